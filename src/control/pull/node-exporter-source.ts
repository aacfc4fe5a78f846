/**
 * Host reports from a node_exporter's /metrics, for hosts that run node_exporter but no `vigia agent`.
 * The conversion is pure (nodeExporterReport); the source keeps the previous scrape of its target
 * because CPU and disk figures are rates: deltas of node_exporter's counters between two scrapes, the
 * way the agent's sampler diffs /proc/stat and /proc/diskstats.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { clampNum, clampPct, fitText, intOrNull as fitInt, shortText } from '../../core/contracts/fit-report.js';
import { HOST_REPORT_VERSION, MAX_REPORT_DEVICES, MAX_REPORT_DISKS, type HostReport, type ReportDevice, type ReportDisk, type ReportSystem } from '../../core/contracts/host-report.js';
import { groupByName, parsePromText, type PromSample } from '../../core/prom-text.js';
import { redactUrl } from '../../core/redact.js';
import type { RoleMatcher } from './role-rules.js';
import { pullGet, PullError, type PullSource } from './source.js';
import type { PullTarget } from './targets.js';

/** One scrape: when it was taken (ms) and its samples. */
export interface PromScrape {
  readonly atMs: number;
  readonly samples: readonly PromSample[];
}

/** Which mounts and disks are reported. Copied from the agent (filesystem-filter.ts, diskstats.ts): node_exporter 1.5's defaults. */
export interface NodeExporterFilter {
  readonly mountPointsExclude: RegExp;
  readonly fsTypesExclude: RegExp;
  readonly diskExclude: RegExp;
}

/** node_exporter 1.5's upstream defaults, as the agent applies them (see src/agent/collectors/filesystem-filter.ts). */
export const DEFAULT_NODE_EXPORTER_FILTER: NodeExporterFilter = Object.freeze({
  mountPointsExclude: /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/,
  fsTypesExclude:
    /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$/,
  diskExclude: /^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/,
});

/** Everything about a host that is not in its metrics. */
export interface NodeExporterReportOptions {
  readonly host: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly intervalSeconds: number;
  readonly roles: RoleMatcher;
  readonly filter?: NodeExporterFilter;
  /** `agent.version` of the report (default `node_exporter` plus its version when node_exporter_build_info says). */
  readonly agentVersion?: string;
}

const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

const round2 = (n: number): number => Math.round(n * 100) / 100;
/** A gauge that may be missing from the scrape, as a contract integer. */
const intOrNull = (n: number | undefined): number | null => fitInt(n ?? null);
/** A counter delta; a counter that went backwards (restart, wrap) counts as 0. */
const delta = (cur: number | undefined, prev: number | undefined): number => {
  const d = (cur ?? 0) - (prev ?? 0);
  return Number.isFinite(d) && d > 0 ? d : 0;
};

function single(by: Map<string, PromSample[]>, name: string): number | undefined {
  const v = by.get(name)?.[0]?.value;
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** node_filesystem_* series grouped per mount, keyed by mountpoint; figures by metric suffix. */
function filesystems(by: Map<string, PromSample[]>, options: NodeExporterReportOptions): ReportDevice[] {
  const filter = options.filter ?? DEFAULT_NODE_EXPORTER_FILTER;
  type Mount = { device: string; mountpoint: string; fstype: string; v: Record<string, number> };
  const mounts = new Map<string, Mount>();
  for (const suffix of ['device_error', 'size_bytes', 'free_bytes', 'avail_bytes', 'files', 'files_free', 'readonly']) {
    for (const s of by.get(`node_filesystem_${suffix}`) ?? []) {
      const { device = '', mountpoint = '', fstype = '' } = s.labels;
      if (!mountpoint.startsWith('/') || filter.mountPointsExclude.test(mountpoint) || filter.fsTypesExclude.test(fstype)) continue;
      // One filesystem mounted twice at the same point (over-mount): node_exporter lists both; the top one counts.
      let m = mounts.get(mountpoint);
      if (!m) mounts.set(mountpoint, (m = { device, mountpoint, fstype, v: {} }));
      if (m.device === device && m.fstype === fstype) m.v[suffix] = s.value;
    }
  }
  // Bind mounts of one block device appear once per mountpoint; the agent lists a device once (the
  // others being aliases), and so do we. Sources like tmpfs are not devices: keep every one.
  const byDevice = new Map<string, Mount[]>();
  for (const m of mounts.values()) {
    const key = m.device.startsWith('/') ? `${m.device}\0${m.fstype}\0${m.v.size_bytes ?? ''}` : `\0${m.mountpoint}`;
    byDevice.set(key, [...(byDevice.get(key) ?? []), m]);
  }
  const out: ReportDevice[] = [];
  for (const group of byDevice.values()) {
    // The mountpoint a role rule names comes first (a bind of the data volume elsewhere must not hide
    // /var/lib/mysql), then the shortest.
    const ranked = group.map((g) => ({ g, role: options.roles(g.mountpoint) }));
    ranked.sort((a, b) => Number(a.role === 'other') - Number(b.role === 'other') || a.g.mountpoint.length - b.g.mountpoint.length || (a.g.mountpoint < b.g.mountpoint ? -1 : 1));
    const { g: m, role } = ranked[0]!;
    const failed = m.v.device_error === 1 || m.v.size_bytes === undefined;
    const size = failed ? null : intOrNull(m.v.size_bytes);
    const free = failed ? null : intOrNull(m.v.free_bytes);
    const avail = failed ? null : intOrNull(m.v.avail_bytes);
    const used = size !== null && free !== null ? Math.max(0, size - free) : null;
    const files = failed ? null : intOrNull(m.v.files);
    const filesFree = failed ? null : intOrNull(m.v.files_free);
    const iused = files !== null && filesFree !== null ? Math.max(0, files - filesFree) : null;
    out.push({
      mountpoint: fitText(m.mountpoint, 1024),
      device: fitText(m.device || m.fstype || '?', 1024) || '?',
      fstype: shortText(m.fstype, 64),
      role,
      read_only: m.v.readonly === 1,
      size_bytes: size,
      used_bytes: used,
      avail_bytes: avail,
      // df's Use%: ceil(100 * used / (used + avail)), as the agent computes it.
      use_pct: used !== null && avail !== null && used + avail > 0 ? clampPct(Math.ceil((100 * used) / (used + avail))) : null,
      inodes_total: files,
      inodes_used: iused,
      inode_use_pct: files !== null && iused !== null && files > 0 ? clampPct(Math.ceil((100 * iused) / files)) : null,
      error: failed ? 'STATFS_FAILED: node_exporter could not stat this filesystem' : null,
    });
  }
  out.sort((a, b) => (a.mountpoint < b.mountpoint ? -1 : a.mountpoint > b.mountpoint ? 1 : 0));
  if (out.length <= MAX_REPORT_DEVICES) return out;
  // Data and binlog volumes first when the contract's limit cuts the list: they are what the fleet view is for.
  const rank = (d: ReportDevice): number => (d.role === 'other' ? 1 : 0);
  return [...out].sort((a, b) => rank(a) - rank(b)).slice(0, MAX_REPORT_DEVICES);
}

/** Sum of node_cpu_seconds_total per mode over all CPUs, and the CPU count. */
function cpuTotals(by: Map<string, PromSample[]>): { modes: Record<string, number>; cpus: number } | null {
  const series = by.get('node_cpu_seconds_total');
  if (!series || series.length === 0) return null;
  const modes: Record<string, number> = {};
  const cpus = new Set<string>();
  for (const s of series) {
    const mode = s.labels.mode ?? '';
    if (!Number.isFinite(s.value)) continue;
    modes[mode] = (modes[mode] ?? 0) + s.value;
    cpus.add(s.labels.cpu ?? '');
  }
  return { modes, cpus: cpus.size };
}

const DISK_COUNTERS = {
  reads: 'node_disk_reads_completed_total',
  writes: 'node_disk_writes_completed_total',
  readBytes: 'node_disk_read_bytes_total',
  writeBytes: 'node_disk_written_bytes_total',
  readTime: 'node_disk_read_time_seconds_total',
  writeTime: 'node_disk_write_time_seconds_total',
  ioTime: 'node_disk_io_time_seconds_total',
} as const;
type DiskCounters = Partial<Record<keyof typeof DISK_COUNTERS, number>>;

function diskCounters(by: Map<string, PromSample[]>, exclude: RegExp): Map<string, DiskCounters> {
  const out = new Map<string, DiskCounters>();
  for (const [key, name] of Object.entries(DISK_COUNTERS) as [keyof typeof DISK_COUNTERS, string][]) {
    for (const s of by.get(name) ?? []) {
      const device = s.labels.device;
      if (!device || exclude.test(device)) continue;
      let d = out.get(device);
      if (!d) out.set(device, (d = {}));
      d[key] = s.value;
    }
  }
  return out;
}

/** The system section from two scrapes; null without CPU counters in both (no rates can be computed). */
function system(cur: PromScrape, curBy: Map<string, PromSample[]>, prev: PromScrape | null, prevBy: Map<string, PromSample[]> | null, filter: NodeExporterFilter): ReportSystem | null {
  if (!prev || !prevBy) return null;
  const ms = cur.atMs - prev.atMs;
  const a = cpuTotals(prevBy);
  const b = cpuTotals(curBy);
  if (!a || !b || ms <= 0) return null;
  const d = Object.fromEntries(CPU_MODES.map((m) => [m, delta(b.modes[m], a.modes[m])])) as Record<(typeof CPU_MODES)[number], number>;
  const total = CPU_MODES.reduce((s, m) => s + d[m], 0);
  const pct = (part: number): number => (total > 0 ? clampPct(round2((part / total) * 100)) : 0);
  const seconds = ms / 1000;
  const perS = (n: number): number => clampNum(round2(n / seconds), 1e15);
  const before = diskCounters(prevBy, filter.diskExclude);
  const disks: ReportDisk[] = [];
  for (const [device, c] of diskCounters(curBy, filter.diskExclude)) {
    const p = before.get(device) ?? c;
    const ios = delta(c.reads, p.reads) + delta(c.writes, p.writes);
    const ioMs = (delta(c.readTime, p.readTime) + delta(c.writeTime, p.writeTime)) * 1000;
    disks.push({
      device: shortText(device, 128),
      reads_per_s: perS(delta(c.reads, p.reads)),
      writes_per_s: perS(delta(c.writes, p.writes)),
      read_bytes_per_s: perS(delta(c.readBytes, p.readBytes)),
      write_bytes_per_s: perS(delta(c.writeBytes, p.writeBytes)),
      await_ms: ios > 0 ? clampNum(round2(ioMs / ios), 1e15) : 0,
      util_pct: clampPct(round2(((delta(c.ioTime, p.ioTime) * 1000) / ms) * 100)),
    });
    if (disks.length >= MAX_REPORT_DISKS) break;
  }
  const mem = (k: string): number | undefined => single(curBy, `node_memory_${k}_bytes`);
  const memTotal = mem('MemTotal') ?? 0;
  const available = mem('MemAvailable') ?? (mem('MemFree') ?? 0) + (mem('Buffers') ?? 0) + (mem('Cached') ?? 0);
  const swapTotal = mem('SwapTotal') ?? 0;
  const swapUsed = Math.max(0, swapTotal - (mem('SwapFree') ?? 0));
  const boot = single(curBy, 'node_boot_time_seconds');
  const nowS = single(curBy, 'node_time_seconds') ?? cur.atMs / 1000;
  return {
    cpu: {
      user_pct: pct(d.user),
      system_pct: pct(d.system),
      iowait_pct: pct(d.iowait),
      steal_pct: pct(d.steal),
      idle_pct: total > 0 ? pct(d.idle) : 100,
      cpus: Math.min(65536, Math.max(1, b.cpus)),
    },
    load1: clampNum(single(curBy, 'node_load1') ?? 0, 1e6),
    load5: clampNum(single(curBy, 'node_load5') ?? 0, 1e6),
    load15: clampNum(single(curBy, 'node_load15') ?? 0, 1e6),
    mem_total_bytes: Math.round(clampNum(memTotal, Number.MAX_SAFE_INTEGER)),
    mem_used_pct: memTotal > 0 ? clampPct(round2((Math.max(0, memTotal - available) / memTotal) * 100)) : 0,
    swap_used_pct: swapTotal > 0 ? clampPct(round2((swapUsed / swapTotal) * 100)) : 0,
    uptime_seconds: boot !== undefined ? clampNum(Math.round(nowS - boot), 1e10) : 0,
    disks,
  };
}

/**
 * The host report of a scrape (pure). `prev` is the target's previous scrape: without it (first
 * scrape) or without node_cpu_seconds_total, `system` is null. Memory, load and uptime figures are 0
 * when the meminfo, loadavg or stat/time collectors are off; devices are empty without the filesystem
 * collector. Mounts and disks are filtered like node_exporter's (and the agent's) defaults.
 */
export function nodeExporterReport(cur: PromScrape, prev: PromScrape | null, options: NodeExporterReportOptions): HostReport {
  const curBy = groupByName(cur.samples);
  const prevBy = prev ? groupByName(prev.samples) : null;
  const build = curBy.get('node_exporter_build_info')?.[0]?.labels.version;
  return {
    v: HOST_REPORT_VERSION,
    host: options.host,
    sampled_at: new Date(Math.floor(cur.atMs)).toISOString(),
    interval_seconds: options.intervalSeconds,
    agent: { version: (options.agentVersion ?? (build ? `node_exporter/${build}` : 'node_exporter')).slice(0, 64) },
    tags: { ...options.tags },
    system: system(cur, curBy, prev, prevBy, options.filter ?? DEFAULT_NODE_EXPORTER_FILTER),
    devices: filesystems(curBy, options),
  };
}

/** Options of a node_exporter source. */
export interface NodeExporterSourceOptions {
  readonly target: PullTarget;
  /** The pull interval, written as the report's interval_seconds. */
  readonly intervalSeconds: number;
  /**
   * On the first collect (no previous scrape), wait this long and scrape again so the first report has
   * CPU and disk rates (default 0: the first report has system null). Bounded by the collect's signal.
   */
  readonly firstGapMs?: number;
  readonly filter?: NodeExporterFilter;
  /** Wall clock, ms (default Date.now). */
  readonly now?: Clock;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** A pull source for one node_exporter target; keeps the previous scrape for rates. */
export function createNodeExporterSource(options: NodeExporterSourceOptions): PullSource {
  const { target } = options;
  const now = options.now ?? systemClock;
  let prev: PromScrape | null = null;
  const scrape = async (signal: AbortSignal): Promise<PromScrape> => {
    const text = await pullGet(`${target.url}/metrics`, target.token, signal, 'text/plain;version=0.0.4');
    const atMs = now();
    const { samples, errors } = parsePromText(text);
    if (samples.length === 0) throw new PullError(`${redactUrl(target.url)}/metrics: no samples${errors.length ? ` (${errors[0]})` : ''}`);
    return { atMs, samples };
  };
  return {
    host: target.host,
    kind: 'node_exporter',
    async collect(signal) {
      let cur = await scrape(signal);
      if (prev === null && (options.firstGapMs ?? 0) > 0) {
        prev = cur;
        await sleep(options.firstGapMs!, signal);
        cur = await scrape(signal);
      }
      // A clock step backwards gives a negative interval: start over rather than report nonsense.
      const base = prev && cur.atMs > prev.atMs ? prev : null;
      prev = cur;
      return nodeExporterReport(cur, base, { host: target.host, tags: target.tags, intervalSeconds: options.intervalSeconds, roles: target.roles, filter: options.filter });
    },
  };
}
