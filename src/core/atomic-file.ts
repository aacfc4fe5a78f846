/**
 * Write a whole file or nothing: a temp file beside the target (created exclusively, with the final
 * mode), renamed over it. A reader sees the old content or the new, never half; a link at the
 * target is replaced, not followed; the temp file is removed when anything fails.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Replace `path` with `content` atomically, the new file with `mode` (less the umask). No default:
 * each caller says whether what it writes is private (0600: tokens) or an output anyone may read
 * (0644). The mode of a file being replaced is not kept.
 */
export async function writeFileAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, content, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
