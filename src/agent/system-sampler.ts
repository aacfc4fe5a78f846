/**
 * Turns cumulative kernel counters (/proc/stat, /proc/diskstats) into rates over an interval, the way
 * top and iostat -x do, plus current memory, swap, load and uptime. Each section comes from one
 * collector of collectors/registry.ts; a disabled or failed collector leaves its section out.
 */
import type { Logger } from '../core/log.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { SystemView } from '../core/contracts/agent-api.js';
import type { HostRoots } from './model.js';
import type { CpuTimes, ProcStat } from './collectors/proc-stat.js';
import { DEFAULT_DISKSTATS_DEVICE_EXCLUDE, DISKSTATS_SECTOR_BYTES, type DiskStat } from './collectors/diskstats.js';
import type { LoadAvg } from './collectors/loadavg.js';
import type { Uptime } from './collectors/uptime.js';
import { COLLECTOR_NAMES, collectorSpec, runCollectors, type Collected, type CollectorName } from './collectors/registry.js';

/** Counters read at one instant (`at`, ms from the sampler's clock); a field is absent when its collector is off or failed. */
export interface SystemSnapshot {
  at: number;
  stat?: ProcStat;
  diskstats?: DiskStat[];
}

/** The counters of one collection round (cpu and stat share /proc/stat) as a snapshot taken at `at`. */
export function snapshotOf(collected: Partial<Pick<Collected, 'cpu' | 'stat' | 'diskstats'>>, at: number): SystemSnapshot {
  const stat = collected.cpu ?? collected.stat;
  return { at, ...(stat ? { stat } : {}), ...(collected.diskstats ? { diskstats: [...collected.diskstats] } : {}) };
}

/** Current values read fresh for a view (not rates); absent when their collector is off or failed. */
export interface SystemReadings {
  readonly meminfo?: Readonly<Record<string, number>>;
  readonly loadavg?: LoadAvg;
  readonly uptime?: Uptime;
}

// The view is the agent's GET /v1/system answer, which the control plane also reads: its one definition
// is the wire contract. Re-exported so the agent's modules keep importing it from here.
export type { DiskView, SystemView } from '../core/contracts/agent-api.js';

const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A counter delta; a counter that went backwards (reset, wrap) counts as 0. */
function delta(cur: number | undefined, prev: number | undefined): number {
  const d = (cur ?? 0) - (prev ?? 0);
  return d > 0 ? d : 0;
}

function pct(part: number, whole: number): number {
  return whole > 0 ? round2((part / whole) * 100) : 0;
}

function cpuView(prev: CpuTimes, cur: CpuTimes, cpus: number): SystemView['cpu'] {
  // guest time is already counted in user/nice, so it is not part of the total
  const d = Object.fromEntries(CPU_MODES.map((m) => [m, delta(cur[m], prev[m])])) as Record<(typeof CPU_MODES)[number], number>;
  const total = CPU_MODES.reduce((s, m) => s + d[m], 0);
  return {
    user_pct: pct(d.user, total),
    system_pct: pct(d.system, total),
    iowait_pct: pct(d.iowait, total),
    steal_pct: pct(d.steal, total),
    idle_pct: total > 0 ? pct(d.idle, total) : 100,
    nice_pct: pct(d.nice, total),
    irq_pct: pct(d.irq, total),
    softirq_pct: pct(d.softirq, total),
    cpus,
  };
}

/** `GET /v1/system`'s answer: the SystemView sections whose collectors are enabled and answered. */
export type SystemAnswer = Pick<SystemView, 'interval_seconds'> & Partial<Omit<SystemView, 'interval_seconds'>>;

/** The collectors whose counters are snapshotted (rates need two reads); the others are read per view. */
export const COUNTER_COLLECTORS: readonly CollectorName[] = ['cpu', 'diskstats', 'stat'];

/** The collectors of `enabled` that contribute to `GET /v1/system` (registry order). */
export function systemCollectors(enabled: readonly CollectorName[]): CollectorName[] {
  return enabled.filter((n) => collectorSpec(n).contributes.system.length > 0);
}

/**
 * Computes the answer between two snapshots (pure). A section is present when its collector is in
 * `enabled` and its inputs are there (cpu: both snapshots' stat; disks: cur's diskstats; ...). Disks are
 * those of `cur` not excluded by `diskExclude` (default: node_exporter's diskstats exclude), in file
 * order; a disk absent from `prev` has zero rates. Memory: MemAvailable, falling back to
 * MemFree+Buffers+Cached on kernels without it.
 */
export function computeSystemAnswer(
  prev: SystemSnapshot,
  cur: SystemSnapshot,
  readings: SystemReadings,
  enabled: readonly CollectorName[] = COLLECTOR_NAMES,
  diskExclude: RegExp = DEFAULT_DISKSTATS_DEVICE_EXCLUDE,
): SystemAnswer {
  const on = new Set(enabled);
  const ms = cur.at - prev.at;
  const seconds = ms > 0 ? ms / 1000 : 0;
  const perS = (n: number): number => (seconds > 0 ? round2(n / seconds) : 0);
  const out: { -readonly [K in keyof SystemAnswer]: SystemAnswer[K] } = { interval_seconds: round2(seconds) };
  if (on.has('cpu') && prev.stat && cur.stat) out.cpu = cpuView(prev.stat.total, cur.stat.total, cur.stat.cpus.length);
  const { meminfo, loadavg, uptime } = readings;
  if (on.has('loadavg') && loadavg) out.load = { load1: loadavg.load1, load5: loadavg.load5, load15: loadavg.load15 };
  if (on.has('meminfo') && meminfo) {
    const m = (k: string): number => meminfo[k] ?? 0;
    const total = m('MemTotal');
    const available = meminfo.MemAvailable ?? m('MemFree') + m('Buffers') + m('Cached');
    const used = Math.max(0, total - available);
    const swapTotal = m('SwapTotal');
    const swapFree = m('SwapFree');
    const swapUsed = Math.max(0, swapTotal - swapFree);
    out.memory = {
      total_bytes: total,
      available_bytes: available,
      used_bytes: used,
      used_pct: pct(used, total),
      free_bytes: m('MemFree'),
      buffers_bytes: m('Buffers'),
      cached_bytes: m('Cached'),
    };
    out.swap = { total_bytes: swapTotal, free_bytes: swapFree, used_bytes: swapUsed, used_pct: pct(swapUsed, swapTotal) };
  }
  if (on.has('diskstats') && cur.diskstats) {
    const before = new Map((prev.diskstats ?? []).map((d) => [d.device, d]));
    out.disks = cur.diskstats
      .filter((d) => !diskExclude.test(d.device))
      .map((d) => {
        const p = before.get(d.device) ?? d;
        const ios = delta(d.readsCompleted, p.readsCompleted) + delta(d.writesCompleted, p.writesCompleted);
        const ioMs = delta(d.readTimeMs, p.readTimeMs) + delta(d.writeTimeMs, p.writeTimeMs);
        return {
          device: d.device,
          reads_per_s: perS(delta(d.readsCompleted, p.readsCompleted)),
          writes_per_s: perS(delta(d.writesCompleted, p.writesCompleted)),
          read_bytes_per_s: perS(delta(d.sectorsRead, p.sectorsRead) * DISKSTATS_SECTOR_BYTES),
          write_bytes_per_s: perS(delta(d.sectorsWritten, p.sectorsWritten) * DISKSTATS_SECTOR_BYTES),
          await_ms: ios > 0 ? round2(ioMs / ios) : 0,
          util_pct: ms > 0 ? Math.min(100, round2((delta(d.ioTimeMs, p.ioTimeMs) / ms) * 100)) : 0,
          in_flight: d.ioInProgress,
        };
      });
  }
  if (on.has('uptime') && uptime) out.uptime_seconds = uptime.uptimeSeconds;
  if (on.has('stat') && cur.stat) out.boot_time_seconds = cur.stat.bootTimeSeconds;
  return out;
}

/** True when every section is there (every system collector enabled and answering). */
export function isCompleteSystemView(a: SystemAnswer): a is SystemView {
  return a.cpu !== undefined && a.load !== undefined && a.memory !== undefined && a.swap !== undefined && a.disks !== undefined && a.uptime_seconds !== undefined && a.boot_time_seconds !== undefined;
}

/**
 * Computes the whole view between two snapshots (pure), every collector on: see computeSystemAnswer.
 * Throws when a snapshot lacks its counters.
 */
export function computeSystemView(
  prev: SystemSnapshot,
  cur: SystemSnapshot,
  meminfo: Readonly<Record<string, number>>,
  loadavg: LoadAvg,
  uptime: Uptime,
  diskExclude: RegExp = DEFAULT_DISKSTATS_DEVICE_EXCLUDE,
): SystemView {
  const a = computeSystemAnswer(prev, cur, { meminfo, loadavg, uptime }, COLLECTOR_NAMES, diskExclude);
  if (!isCompleteSystemView(a)) throw new Error('computeSystemView needs both snapshots with stat and diskstats');
  return a;
}

/** Options of a SystemSampler. */
export interface SystemSamplerOptions {
  roots: HostRoots;
  /** Snapshot period, ms (default 10000). */
  intervalMs?: number;
  /** Milliseconds; defaults to Date.now. */
  clock?: Clock;
  /** Wait before a second snapshot when only one exists, ms (default 250, the minimum). */
  firstGapMs?: number;
  /** Devices left out of `disks` (default node_exporter's diskstats exclude). */
  diskExclude?: RegExp;
  /** The enabled collectors (default all); only those that feed `/v1/system` are read. */
  collectors?: readonly CollectorName[];
  /** Where a failing collector is logged (name and error); default nowhere. */
  log?: Logger;
}

/**
 * Snapshots the counters (cpu, stat, diskstats collectors) every intervalMs on an unref'd timer and serves
 * rates over the last two snapshots. Memory, load and uptime are read fresh on each view(). A collector
 * that fails is logged and its section left out; the others still answer.
 */
export class SystemSampler {
  private readonly roots: HostRoots;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly firstGapMs: number;
  private readonly diskExclude: RegExp;
  private readonly enabled: readonly CollectorName[];
  private readonly counters: readonly CollectorName[];
  private readonly readings: readonly CollectorName[];
  private readonly log: Logger | undefined;
  private prev: SystemSnapshot | undefined;
  private cur: SystemSnapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<SystemSnapshot> | undefined;
  private warmup: Promise<void> | undefined;

  constructor(opts: SystemSamplerOptions) {
    this.roots = opts.roots;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.clock = opts.clock ?? systemClock;
    this.firstGapMs = Math.max(250, opts.firstGapMs ?? 250);
    this.diskExclude = opts.diskExclude ?? DEFAULT_DISKSTATS_DEVICE_EXCLUDE;
    this.enabled = systemCollectors(opts.collectors ?? COLLECTOR_NAMES);
    this.counters = this.enabled.filter((n) => COUNTER_COLLECTORS.includes(n));
    this.readings = this.enabled.filter((n) => !COUNTER_COLLECTORS.includes(n));
    this.log = opts.log;
  }

  /** Takes a first snapshot now and then one every intervalMs; the timer does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    void this.snapshot().catch(() => undefined);
    this.timer = setInterval(() => void this.snapshot().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer; snapshots taken so far are kept. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The newest snapshot, if any. */
  latest(): SystemSnapshot | undefined {
    return this.cur;
  }

  /** Takes one snapshot now and makes it the newest. Concurrent calls share one read. */
  snapshot(): Promise<SystemSnapshot> {
    this.pending ??= (async () => {
      try {
        const { collected } = await runCollectors(this.counters, { roots: this.roots }, this.log ? { log: this.log } : {});
        const snap = snapshotOf(collected, this.clock());
        this.prev = this.cur;
        this.cur = snap;
        return snap;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  /** Rates over the last two snapshots; with fewer than two, takes them (firstGapMs apart) first. */
  async view(): Promise<SystemAnswer> {
    // Concurrent first callers share one pair of snapshots; each taking its own second snapshot would
    // leave the last two microseconds apart (a zero-length interval).
    if (!this.prev) {
      this.warmup ??= (async () => {
        if (!this.cur) await this.snapshot();
        await new Promise((r) => setTimeout(r, this.firstGapMs));
        await this.snapshot();
      })().finally(() => {
        this.warmup = undefined;
      });
      await this.warmup;
    }
    const { collected } = await runCollectors(this.readings, { roots: this.roots }, this.log ? { log: this.log } : {});
    return computeSystemAnswer(this.prev!, this.cur!, collected, this.enabled, this.diskExclude);
  }
}
