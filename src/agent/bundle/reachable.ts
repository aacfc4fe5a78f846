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

/** Whether `id` may search a directory with this owner and mode (root may always). */
export function maySearch(st: { uid: number; gid: number; mode: number }, id: Identity): boolean {
  if (id.uid === 0) return true;
  if (st.uid === id.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === id.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
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
