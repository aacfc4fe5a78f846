/**
 * The agent's collectors, as node_exporter has them: one explicit list, each entry with its name (the
 * `collector` label of node_scrape_collector_*, and the `--collector.<name>` / `--no-collector.<name>`
 * flags), whether it is on by default, how it reads the host, and what it contributes to `/metrics`, to
 * `GET /v1/system` and to the host report. run.ts, the system sampler, the reporter's figures and the
 * golden tests all iterate this list; nothing registers itself by being imported.
 *
 * A collector that throws is logged with its name and error and yields no output of its own, while the
 * others still answer (node_exporter's node_scrape_collector_success 0).
 */
import { monotonicClock, type Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { DeviceInfo, HostRoots } from '../model.js';
import { readDiskstats, type DiskStat } from './diskstats.js';
import { readLoadavg, type LoadAvg } from './loadavg.js';
import { readMeminfo } from './meminfo.js';
import { readProcStat, type ProcStat } from './proc-stat.js';
import { readUptime, type Uptime } from './uptime.js';

/** What each collector yields, keyed by collector name. */
export interface Collected {
  readonly cpu?: ProcStat;
  readonly diskstats?: readonly DiskStat[];
  readonly filesystem?: readonly DeviceInfo[];
  readonly loadavg?: LoadAvg;
  readonly meminfo?: Readonly<Record<string, number>>;
  readonly stat?: ProcStat;
  readonly uptime?: Uptime;
}

/** A collector's name: a key of Collected. */
export type CollectorName = keyof Collected;

/** Where a collection round reads from. */
export interface CollectSources {
  readonly roots: HostRoots;
  /** The filesystem collector's source (statfs pool, stale mounts, roles); absent where no one asks for it. */
  readonly devices?: () => Promise<readonly DeviceInfo[]>;
}

/** What a round hands each collector: the sources, plus reads shared by several collectors of the round. */
export interface CollectContext extends CollectSources {
  /** /proc/stat, read at most once per round: node_exporter's cpu and stat collectors both read it. */
  readonly procStat: () => Promise<ProcStat>;
}

/** One collector: a name, a default, a read, and what the read contributes where (for docs, --help and tests). */
export interface CollectorSpec<N extends CollectorName = CollectorName> {
  readonly name: N;
  /** One line, shown by `vigia agent --help` and docs/agent.md. */
  readonly description: string;
  readonly defaultEnabled: boolean;
  readonly contributes: {
    /** Metric family names (a trailing `_` means every family with that prefix) of `/metrics`. */
    readonly metrics: readonly string[];
    /** Top-level keys of the `GET /v1/system` answer this collector alone provides. */
    readonly system: readonly string[];
    /** What it gives the host report (`system` needs cpu, loadavg, meminfo and uptime together). */
    readonly report: readonly string[];
  };
  /** Reads the host; throws when it cannot (the runner turns that into success 0 and a log line). */
  readonly collect: (ctx: CollectContext) => Promise<NonNullable<Collected[N]>>;
}

/** Any entry of the list, its name and its value type kept together. */
export type AnyCollector = { [N in CollectorName]: CollectorSpec<N> }[CollectorName];

/**
 * Every collector, in name order (the order of node_scrape_collector_* and of `--help`). Names and
 * metric families are node_exporter's, except `uptime` (node_exporter has none: it only feeds
 * `/v1/system` and the report, and has no /metrics series or scrape line).
 */
export const COLLECTORS: readonly AnyCollector[] = [
  {
    name: 'cpu',
    description: 'seconds each CPU spent in each mode (/proc/stat)',
    defaultEnabled: true,
    contributes: { metrics: ['node_cpu_seconds_total', 'node_cpu_guest_seconds_total'], system: ['cpu'], report: ['system.cpu'] },
    collect: (ctx) => ctx.procStat(),
  },
  {
    name: 'diskstats',
    description: 'I/O counters of each block device (/proc/diskstats, udev properties)',
    defaultEnabled: true,
    contributes: { metrics: ['node_disk_'], system: ['disks'], report: ['system.disks'] },
    collect: (ctx) => readDiskstats(ctx.roots),
  },
  {
    name: 'filesystem',
    description: 'size, use and inodes of each mounted filesystem, with its LVM volume and role (also GET /v1/devices)',
    defaultEnabled: true,
    contributes: { metrics: ['node_filesystem_'], system: [], report: ['devices'] },
    collect: (ctx) => {
      if (!ctx.devices) throw new Error('no device source in this collection round');
      return ctx.devices();
    },
  },
  {
    name: 'loadavg',
    description: '1, 5 and 15 minute load averages (/proc/loadavg)',
    defaultEnabled: true,
    contributes: { metrics: ['node_load1', 'node_load5', 'node_load15'], system: ['load'], report: ['system.load'] },
    collect: (ctx) => readLoadavg(ctx.roots),
  },
  {
    name: 'meminfo',
    description: 'memory and swap (/proc/meminfo)',
    defaultEnabled: true,
    contributes: { metrics: ['node_memory_'], system: ['memory', 'swap'], report: ['system.memory', 'system.swap'] },
    collect: (ctx) => readMeminfo(ctx.roots),
  },
  {
    name: 'stat',
    description: 'boot time, context switches, interrupts, forks, runnable and blocked processes (/proc/stat)',
    defaultEnabled: true,
    contributes: {
      metrics: ['node_boot_time_seconds', 'node_context_switches_total', 'node_intr_total', 'node_forks_total', 'node_procs_running', 'node_procs_blocked'],
      system: ['boot_time_seconds'],
      report: [],
    },
    collect: (ctx) => ctx.procStat(),
  },
  {
    name: 'uptime',
    description: 'seconds since boot (/proc/uptime)',
    defaultEnabled: true,
    contributes: { metrics: [], system: ['uptime_seconds'], report: ['system.uptime_seconds'] },
    collect: (ctx) => readUptime(ctx.roots),
  },
];

/** Every collector name, in registry order. */
export const COLLECTOR_NAMES: readonly CollectorName[] = COLLECTORS.map((c) => c.name);

/** True when `name` is a collector's name. */
export function isCollectorName(name: string): name is CollectorName {
  return (COLLECTOR_NAMES as readonly string[]).includes(name);
}

/** The registry entry of `name`. */
export function collectorSpec(name: CollectorName): AnyCollector {
  return COLLECTORS.find((c) => c.name === name)!;
}

/** The error text for a `--collector.<name>` / `--no-collector.<name>` flag naming no collector. */
export function unknownCollectorMessage(flag: string, name: string): string {
  return `${flag}: unknown collector "${name.slice(0, 64)}" (collectors: ${COLLECTOR_NAMES.join(', ')})`;
}

/** What the flags asked for: `--collector.disable-defaults`, and `--collector.<name>` (true) / `--no-collector.<name>` (false). */
export interface CollectorSelection {
  readonly disableDefaults: boolean;
  readonly set: Readonly<Record<string, boolean>>;
}

/**
 * The enabled collectors, in registry order (pure), node_exporter's rules: each starts at its default
 * (off for all with disableDefaults), then an explicit `--collector.<name>` turns it on and
 * `--no-collector.<name>` off. Returns the unknown names instead when there are any.
 */
export function resolveCollectors(sel: CollectorSelection): { ok: true; enabled: readonly CollectorName[] } | { ok: false; unknown: readonly string[] } {
  const unknown = Object.keys(sel.set).filter((n) => !isCollectorName(n));
  if (unknown.length > 0) return { ok: false, unknown };
  const enabled = COLLECTORS.filter((c) => sel.set[c.name] ?? (c.defaultEnabled && !sel.disableDefaults)).map((c) => c.name);
  return { ok: true, enabled };
}

/** One collector's run in a round: node_scrape_collector_success and _duration_seconds. */
export interface CollectorResult {
  readonly name: CollectorName;
  readonly success: boolean;
  readonly durationSeconds: number;
}

/** Options of runCollectors. */
export interface RunCollectorsOptions {
  /** Failures are logged here at warn, with the collector's name and error. */
  readonly log?: Logger;
  /** Milliseconds, only intervals are measured (durations); default `monotonicClock`. */
  readonly now?: Clock;
  /** The list to run from (tests); default COLLECTORS. */
  readonly registry?: readonly AnyCollector[];
}

/**
 * Runs the named collectors concurrently (one round) and returns what each yielded and one result per
 * collector, in registry order. Never rejects: a collector that throws is logged (name and error) and
 * leaves its key of `collected` absent, with success false; the others are not affected.
 */
export async function runCollectors(
  names: readonly CollectorName[],
  sources: CollectSources,
  opts: RunCollectorsOptions = {},
): Promise<{ collected: Collected; results: CollectorResult[] }> {
  const now = opts.now ?? monotonicClock;
  let procStat: Promise<ProcStat> | undefined;
  const ctx: CollectContext = { ...sources, procStat: () => (procStat ??= readProcStat(sources.roots)) };
  const wanted = new Set(names);
  const specs = (opts.registry ?? COLLECTORS).filter((c) => wanted.has(c.name));
  const collected: Record<string, unknown> = {};
  const results = await Promise.all(
    specs.map(async (spec): Promise<CollectorResult> => {
      const t0 = now();
      try {
        collected[spec.name] = await (spec.collect as (ctx: CollectContext) => Promise<unknown>)(ctx);
        return { name: spec.name, success: true, durationSeconds: (now() - t0) / 1000 };
      } catch (err) {
        const durationSeconds = (now() - t0) / 1000;
        opts.log?.warn({ collector: spec.name, durationSeconds, err }, `collector ${spec.name} failed: ${err instanceof Error ? err.message : String(err)}`);
        return { name: spec.name, success: false, durationSeconds };
      }
    }),
  );
  return { collected: collected as Collected, results };
}

/** The collectors of `names` that contribute to `/metrics` (those with a node_scrape_collector_* line). */
export function metricsCollectors(names: readonly CollectorName[]): CollectorName[] {
  return names.filter((n) => collectorSpec(n).contributes.metrics.length > 0);
}
