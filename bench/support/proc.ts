/**
 * CPU and memory of processes and of the host, from /proc. The parsers are pure; the readers take
 * the /proc root as a parameter and answer NaN for a process that is gone.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clkTck: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 when that fails); asked once, then cached. */
export function clockTicks(): number {
  clkTck ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return clkTck;
}

/**
 * User+system CPU seconds (utime+stime) from the text of /proc/PID/stat, at `ticks` per second; with
 * `reaped`, plus those of its children that exited and were waited for (cutime+cstime).
 */
export function parseStatCpu(stat: string, ticks: number, reaped = false): number {
  // comm (field 2) may hold spaces and ')', so count fields from the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0)) / ticks;
}

/** The parent pid (field 4) from the text of /proc/PID/stat. */
export function parseStatPpid(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * CPU seconds of a process tree from /proc: the root's own and its reaped children's, plus every live
 * descendant's own (a worker that exits moves from the second term to the first, so nothing is counted
 * twice or lost). For servers that fork (node:cluster workers, PostgreSQL backends). NaN when the root is gone.
 */
export function procTreeCpu(pid: number | undefined, procRoot = '/proc'): number {
  if (!pid || pid < 0) return NaN;
  const stats = new Map<number, string>();
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      stats.set(Number(name), readFileSync(`${procRoot}/${name}/stat`, 'utf8'));
    } catch {
      // exited while we looked
    }
  }
  const root = stats.get(pid);
  if (root === undefined) return NaN;
  const children = new Map<number, number[]>();
  for (const [p, st] of stats) {
    const pp = parseStatPpid(st);
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  let total = parseStatCpu(root, clockTicks(), true);
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length > 0) {
    const p = stack.pop()!;
    total += parseStatCpu(stats.get(p)!, clockTicks());
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

/** User+system CPU seconds of a live process (all threads), or NaN (no pid, or gone). */
export function procCpu(pid: number | undefined, procRoot = '/proc'): number {
  if (!pid || pid < 0) return NaN;
  try {
    return parseStatCpu(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'), clockTicks());
  } catch {
    return NaN;
  }
}

/** Memory of a process in MB (10^6 bytes). */
export interface ProcMem {
  /** VmRSS: resident memory, including mapped files such as the node binary. */
  rss: number;
  /** RssAnon: the process's own memory, without mapped files. */
  anon: number;
  /** VmHWM: peak VmRSS. */
  hwm: number;
}

/** VmRSS, RssAnon and VmHWM from the text of /proc/PID/status, in MB; a missing line gives NaN. */
export function parseStatusMem(status: string): ProcMem {
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: (kb('VmRSS') * 1024) / 1e6, anon: (kb('RssAnon') * 1024) / 1e6, hwm: (kb('VmHWM') * 1024) / 1e6 };
}

/** VmRSS, RssAnon and VmHWM of a live process in MB, or all NaN (gone). */
export function procMem(pid: number | undefined, procRoot = '/proc'): ProcMem {
  try {
    return parseStatusMem(readFileSync(`${procRoot}/${pid}/status`, 'utf8'));
  } catch {
    return { rss: NaN, anon: NaN, hwm: NaN };
  }
}

/** Host-wide jiffies since boot, all CPUs together. */
export interface HostCpu {
  /** Everything but idle and iowait. */
  busy: number;
  steal: number;
  total: number;
}

/** Busy, steal and total jiffies from the `cpu` line (the first) of /proc/stat's text. */
export function parseHostStat(stat: string): HostCpu {
  const f = stat.split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, steal, total };
}

/** Host-wide busy, steal and total jiffies now (throws when /proc/stat cannot be read). */
export function hostCpu(procRoot = '/proc'): HostCpu {
  return parseHostStat(readFileSync(`${procRoot}/stat`, 'utf8'));
}

/** Total memory from /proc/meminfo's MemTotal, in GiB rounded to a whole number (0 when missing). */
export function memTotalGiB(procRoot = '/proc'): number {
  return Math.round(Number(readFileSync(`${procRoot}/meminfo`, 'utf8').match(/MemTotal:\s+(\d+)/)?.[1] ?? 0) / 1024 / 1024);
}
