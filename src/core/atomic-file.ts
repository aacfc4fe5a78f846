/**
 * Write a whole file or nothing: a temp file beside the target (created exclusively, with the final
 * mode), renamed over it. A reader sees the old content or the new, never half; a link at the
 * target is replaced, not followed; the temp file is removed when anything fails.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/** Replace `path` with `content` atomically, the new file with `mode` (default 0644). */
export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, content, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
