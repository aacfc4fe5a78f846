/** File-mode helpers for tests of private state. */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every entry under `dir` (itself included; symlinks skipped) whose mode lets group or others in, as 'mode path'. */
export function accessibleToOthers(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) out.push(`${(st.mode & 0o7777).toString(8)} ${p}`);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(dir);
  return out;
}
