/** Looking at processes from tests: is one still running, which ones mention a marker. */
import { readdirSync, readFileSync } from 'node:fs';

/** True while `pid` exists and is not a zombie (a reparented zombie waits for PID 1 to reap it). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Pids of live processes, other than `except`, whose command line mentions `marker`. */
export function processesMentioning(marker: string, except?: number): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === except) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(marker) && isAlive(Number(e))) pids.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return pids;
}
