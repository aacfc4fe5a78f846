/**
 * Whether a user can reach a directory: every ancestor must let it search (x). Checks run as
 * --actions-user (nobody) when the agent is root, so a bundle directory under a 0700 state directory
 * would make every check UNKNOWN ("could not start: EACCES"); the agent refuses that at start.
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** The identity a directory must be reachable by. */
export interface Identity {
  readonly uid: number;
  readonly gid: number;
}

/** Permission bits as in a mode's "other" triplet: 4 read, 2 write, 1 search/execute. */
export type Access = 4 | 2 | 1;

/**
 * Whether `id` has `access` to a file or directory with this owner and mode by its permission bits
 * (root always has). Only the primary group counts: children the agent spawns with a uid and gid have
 * no supplementary groups (libuv calls setgroups(0) before setgid/setuid). Pure.
 */
export function mayAccess(st: { uid: number; gid: number; mode: number }, id: Identity, access: Access): boolean {
  if (id.uid === 0) return true;
  if (st.uid === id.uid) return (st.mode & (access << 6)) !== 0;
  if (st.gid === id.gid) return (st.mode & (access << 3)) !== 0;
  return (st.mode & access) !== 0;
}

/** Whether `id` may search a directory with this owner and mode (root may always). */
export function maySearch(st: { uid: number; gid: number; mode: number }, id: Identity): boolean {
  return mayAccess(st, id, 1);
}

/** The first directory from `/` down to `dir` that `id` cannot search, or null when all can be. */
export async function unreachableAncestor(dir: string, id: Identity): Promise<string | null> {
  const chain: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of chain) {
    const st = await stat(d);
    if (!maySearch(st, id)) return d;
  }
  return null;
}
