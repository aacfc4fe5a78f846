/**
 * Whether a file or directory can be trusted by a process running as `uid`: the sshd StrictModes
 * rules. What a role trusts on disk (action manifests and scripts, the installed check bundle, the
 * embedded store) must be owned by root or the process's own user and writable by nobody else, and
 * so must every directory above it: whoever can write a parent can rename the trusted entry away
 * and put their own in its place. A root-owned sticky directory (like /tmp, 1777) is the exception:
 * others may add entries there but not replace ours.
 *
 * These functions answer with a sentence (or undefined) instead of throwing, so each caller raises
 * its own catalogued error naming what the user typed.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** Who may own trusted entries besides root. */
export interface TrustOptions {
  /** The trusting process's uid; default process.getuid() (0 where there is none). */
  readonly uid?: number;
  /** How messages name that uid's owner: "the agent's" gives "must be root or the agent's uid 1000". */
  readonly who?: string;
}

/** The uid trusted entries may belong to besides root. */
export function trustedUid(opts: TrustOptions = {}): number {
  return opts.uid ?? process.getuid?.() ?? 0;
}

/** Why an entry with owner `uid` and `mode` cannot be trusted by a process running as `owner`, or undefined. Pure. */
export function trustProblem(st: { uid: number; mode: number }, isDir: boolean, owner: number, who = "this process's"): string | undefined {
  if (st.uid !== 0 && st.uid !== owner) return `is owned by uid ${st.uid} (must be root or ${who} uid ${owner})`;
  if (st.mode & 0o022) {
    if (isDir && st.uid === 0 && st.mode & 0o1000) return undefined;
    return `is ${st.mode & 0o020 ? 'group' : ''}${(st.mode & 0o022) === 0o022 ? '- and ' : ''}${st.mode & 0o002 ? 'world' : ''}-writable (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  }
  return undefined;
}

async function dirsUpProblem(dir: string, owner: number, who: string | undefined, seen: Set<string>): Promise<string | undefined> {
  for (let d = dir; ; d = dirname(d)) {
    if (!seen.has(d)) {
      seen.add(d);
      const problem = trustProblem(await stat(d), true, owner, who);
      if (problem) return `directory ${d} ${problem}`;
    }
    if (d === dirname(d)) return undefined;
  }
}

/**
 * Why `path` (which must exist; symlinks followed) cannot be trusted, or undefined: it and every
 * directory above it, along the path as written and along its real path, must pass trustProblem.
 * `kind` also requires a regular file or a directory. Answers like "/x/state.json is owned by uid
 * 65534 (...)" or "directory /x is group-writable (mode 0775)". Rejects (ENOENT ...) when it is missing.
 */
export async function pathTrustProblem(path: string, kind: 'file' | 'dir', opts: TrustOptions = {}): Promise<string | undefined> {
  const owner = trustedUid(opts);
  const abs = resolve(path);
  const real = await realpath(abs);
  const st = await stat(real);
  if (kind === 'file' && !st.isFile()) return `${path} is not a regular file`;
  if (kind === 'dir' && !st.isDirectory()) return `${path} is not a directory`;
  const own = trustProblem(st, kind === 'dir', owner, opts.who);
  if (own) return kind === 'dir' ? `directory ${path} ${own}` : `${path} ${own}`;
  const seen = new Set<string>([real]);
  return (await dirsUpProblem(dirname(real), owner, opts.who, seen)) ?? (real !== abs ? await dirsUpProblem(dirname(abs), owner, opts.who, seen) : undefined);
}

/**
 * Why something under directory `root` cannot be trusted, or undefined: every directory and regular
 * file below it passes trustProblem (symlinks by their owner only: their mode means nothing, and
 * what they point at is checked where it is used). `root` itself and what is above it are the
 * caller's to check (pathTrustProblem).
 */
export async function treeTrustProblem(root: string, opts: TrustOptions = {}): Promise<string | undefined> {
  const owner = trustedUid(opts);
  for (const e of await readdir(root)) {
    const p = join(root, e);
    const st = await lstat(p);
    const problem = st.isSymbolicLink() ? trustProblem({ uid: st.uid, mode: 0 }, false, owner, opts.who) : trustProblem(st, st.isDirectory(), owner, opts.who);
    if (problem) return `${p} ${problem}`;
    if (st.isDirectory()) {
      const below = await treeTrustProblem(p, opts);
      if (below) return below;
    }
  }
  return undefined;
}
