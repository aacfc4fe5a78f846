/**
 * Reads a check bundle from a directory (the producer side of `vigia bundle publish`): every file
 * except dotfiles and dot-directories, the manifest parsed and checked. The archive built from the
 * result is the same whatever order the filesystem lists entries in.
 */
import { lstat, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { VigiaError } from '../../core/errors.js';
import {
  BUNDLE_PATH_RE, MANIFEST_FILE, MAX_ARCHIVE_BYTES, MAX_BUNDLE_FILES, commandProblems, parseManifest,
} from '../../core/contracts/bundle.js';
import type { BundleFile, BundleManifest } from '../../core/contracts/bundle.js';

/** A bundle directory as read: the checked manifest, the raw parsed YAML, the files sorted by path. */
export interface BundleDir {
  readonly manifest: BundleManifest;
  readonly rawManifest: unknown;
  readonly files: BundleFile[];
}

/**
 * Read `dir` as a bundle. Skips names starting with `.` (files and directories, `.git` included);
 * follows a symlink only when it resolves to a regular file inside `dir`; refuses other symlinks,
 * special files, paths the archive cannot carry and more than MAX_BUNDLE_FILES files or
 * MAX_ARCHIVE_BYTES bytes. Parses MANIFEST_FILE (YAML) with manifestSchema and checks that every
 * relative check command is an executable file of the bundle. Throws BUNDLE_ERR_INVALID naming the
 * path or field path at fault.
 */
export async function readBundleDir(dir: string): Promise<BundleDir> {
  const invalid = (detail: string): VigiaError => new VigiaError('BUNDLE_ERR_INVALID', `${dir}: ${detail}`);
  const root = await realpath(dir).catch((err: unknown) => {
    throw new VigiaError('BUNDLE_ERR_INVALID', `${dir}: cannot read the bundle directory (${(err as Error).message})`, { cause: err });
  });
  const files: BundleFile[] = [];
  let total = 0;

  async function walk(abs: string, rel: string): Promise<void> {
    const names = (await readdir(abs)).filter((n) => !n.startsWith('.')).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(abs, name);
      let st = await lstat(full);
      if (st.isSymbolicLink()) {
        const target = await realpath(full).catch(() => null);
        if (target === null || !target.startsWith(root + sep)) throw invalid(`${path}: symlink points outside the bundle (or nowhere)`);
        st = await stat(target);
        if (!st.isFile()) throw invalid(`${path}: symlink to something other than a regular file`);
      } else if (st.isDirectory()) {
        await walk(full, path);
        continue;
      } else if (!st.isFile()) {
        throw invalid(`${path}: not a regular file or directory`);
      }
      if (!BUNDLE_PATH_RE.test(path)) throw invalid(`${path}: a bundle path may hold only A-Z a-z 0-9 . _ + @ - and /, at most 255 characters`);
      if (files.length >= MAX_BUNDLE_FILES) throw invalid(`more than ${MAX_BUNDLE_FILES} files`);
      total += st.size;
      if (total > MAX_ARCHIVE_BYTES) throw invalid(`files exceed ${MAX_ARCHIVE_BYTES} bytes`);
      files.push({ path, executable: (st.mode & 0o111) !== 0, data: await readFile(full) });
    }
  }
  await walk(root, '');

  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const source = join(dir, MANIFEST_FILE);
  const manifestFile = files.find((f) => f.path === MANIFEST_FILE);
  if (!manifestFile) throw new VigiaError('BUNDLE_ERR_INVALID', `${source}: missing`);
  let rawManifest: unknown;
  try {
    rawManifest = parseYaml(manifestFile.data.toString('utf8'));
  } catch (err) {
    throw new VigiaError('BUNDLE_ERR_INVALID', `${source}: not valid YAML (${(err as Error).message})`, { cause: err });
  }
  const manifest = parseManifest(rawManifest, source);
  const problems = commandProblems(manifest, files);
  if (problems.length) throw new VigiaError('BUNDLE_ERR_INVALID', `${source}: ${problems.join('; ')}`);
  return { manifest, rawManifest, files };
}
