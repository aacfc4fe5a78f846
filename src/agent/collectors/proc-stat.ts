/**
 * /proc/stat: CPU times per mode, boot time, context switches, interrupts, forks and run-queue counts
 * (node_exporter's cpu and stat collectors read the same file).
 */
import { join } from 'node:path';
import { readProcFile } from './proc-file.js';
import type { HostRoots } from '../model.js';

/** The kernel's USER_HZ: /proc/stat counts CPU time in 1/100 s on every Linux architecture we run on. */
export const USER_HZ = 100;

/** Cumulative CPU time of one CPU (or all CPUs for the `cpu` line), in SECONDS (ticks / USER_HZ). */
export interface CpuTimes {
  /** '0', '1', ... as in node_exporter's `cpu` label; '' for the aggregate `cpu` line. */
  cpu: string;
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  /** Already included in `user` by the kernel. */
  guest: number;
  /** Already included in `nice` by the kernel. */
  guestNice: number;
}

/** Parsed /proc/stat. Counters are cumulative since boot. */
export interface ProcStat {
  /** The aggregate `cpu` line (cpu: ''). */
  total: CpuTimes;
  /** One entry per `cpuN` line, in file order. */
  cpus: CpuTimes[];
  bootTimeSeconds: number;
  contextSwitches: number;
  /**
   * Interrupts serviced since boot: the first number (the sum over all IRQs) of the `intr` line.
   * parseProcStat always sets it (0 without an `intr` line, like node_exporter); optional only so
   * hand-built values (tests) need not carry it, and then node_intr_total is not rendered.
   */
  interrupts?: number;
  forks: number;
  procsRunning: number;
  procsBlocked: number;
}

function cpuTimes(cpu: string, fields: readonly string[]): CpuTimes {
  const v = (i: number): number => {
    const n = Number(fields[i] ?? '0');
    return Number.isFinite(n) ? n / USER_HZ : 0;
  };
  return {
    cpu,
    user: v(0),
    nice: v(1),
    system: v(2),
    idle: v(3),
    iowait: v(4),
    irq: v(5),
    softirq: v(6),
    steal: v(7),
    guest: v(8),
    guestNice: v(9),
  };
}

/** Parses /proc/stat text (pure). Missing trailing CPU fields (old kernels) read as 0; unknown lines are ignored. */
export function parseProcStat(text: string): ProcStat {
  let total: CpuTimes = cpuTimes('', []);
  const cpus: CpuTimes[] = [];
  const out = { bootTimeSeconds: 0, contextSwitches: 0, interrupts: 0, forks: 0, procsRunning: 0, procsBlocked: 0 };
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const key = parts[0];
    if (!key) continue;
    const rest = parts.slice(1);
    const first = Number(rest[0] ?? 'NaN');
    if (key === 'cpu') total = cpuTimes('', rest);
    else if (/^cpu\d+$/.test(key)) cpus.push(cpuTimes(key.slice(3), rest));
    else if (key === 'btime') out.bootTimeSeconds = first;
    else if (key === 'ctxt') out.contextSwitches = first;
    else if (key === 'intr') out.interrupts = first;
    else if (key === 'processes') out.forks = first;
    else if (key === 'procs_running') out.procsRunning = first;
    else if (key === 'procs_blocked') out.procsBlocked = first;
  }
  return { total, cpus, ...out };
}

/** Reads and parses <procfs>/stat. Rejects with the fs error when the file cannot be read. */
export async function readProcStat(roots: HostRoots): Promise<ProcStat> {
  return parseProcStat(readProcFile(join(roots.procfs, 'stat')));
}
