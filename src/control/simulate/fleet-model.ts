/**
 * A synthetic fleet of MySQL hosts for load tests and demos of the control plane. Pure and
 * deterministic: every figure of a report is a function of (seed, host index, time), never of a
 * previous call, so a backfilled history and the live stream that follows it agree, and two runs with
 * the same seed send the same numbers.
 */
import { mix32 } from '../../core/random.js';
import { HOST_REPORT_VERSION, type HostReport, type ReportDevice, type ReportDisk } from '../../core/contracts/host-report.js';

const GIB = 1024 ** 3;
const DAY_MS = 86_400_000;

/** Options of a fleet model. */
export interface FleetModelOptions {
  /** Number of hosts (1..1_000_000). */
  readonly hosts: number;
  /** Any integer; the same seed gives the same fleet. */
  readonly seed: number;
  /**
   * The model's time origin, ms since the epoch: data volumes hold their base fill here and grow from
   * it; dying hosts die after it. The simulator passes its start time. Default 2026-12-01T00:00Z.
   */
  readonly anchorMs?: number;
  /** Share of hosts (0..1) that stop reporting at some moment after anchorMs (default 0.001). */
  readonly dyingFraction?: number;
  /** Dying hosts die at anchorMs + u * dyingWindowMs, u uniform in [0.1, 0.9) (default one hour). */
  readonly dyingWindowMs?: number;
  /** Host name prefix (default `sim`): names are `<prefix>-00001` ... */
  readonly prefix?: string;
  /** `agent.version` written in reports (default `vigia-sim/0.1.0`). */
  readonly agentVersion?: string;
}

/** What kind of host a synthetic host is; fixed for its life. Exposed for tests and summaries. */
export interface HostProfile {
  readonly index: number;
  readonly name: string;
  readonly cpus: number;
  readonly memTotalBytes: number;
  readonly dataSizeBytes: number;
  /** Fill of the data volume at anchorMs, 0..1. */
  readonly dataBaseFraction: number;
  /** Mean growth of the data volume, bytes per day (>= 0). */
  readonly dataGrowthBytesPerDay: number;
  readonly binlogSizeBytes: number;
  /** Binary logs written per day, bytes; the volume is purged daily at binlogPurgeHour (UTC). */
  readonly binlogBytesPerDay: number;
  readonly binlogPurgeHour: number;
  /** Designated to be near full (data fill starts at 90-96 %). */
  readonly nearFull: boolean;
  /** Designated to have high iowait and slow disks. */
  readonly highIowait: boolean;
  /** When the host stops reporting (ms), or null when it never does. */
  readonly diesAtMs: number | null;
  readonly bootMs: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** A deterministic synthetic fleet. */
export interface FleetModel {
  readonly size: number;
  readonly anchorMs: number;
  /** Host name of index i (0-based). */
  hostName(index: number): string;
  /** The fixed traits of host i (0-based). */
  profile(index: number): HostProfile;
  /** False once a dying host has died (at and after its diesAtMs). */
  isAlive(index: number, atMs: number): boolean;
  /**
   * The report host i would send sampled at `atMs` (rounded down to the millisecond), valid under
   * parseHostReport. `intervalSeconds` is written as the report interval (default 60).
   */
  reportAt(index: number, atMs: number, intervalSeconds?: number): HostReport;
}

/** Uniform [0,1) from integers; the same inputs always give the same number. */
function hashUnit(seed: number, a: number, b: number, c = 0): number {
  let h = mix32(seed ^ 0x9e3779b9);
  h = mix32(h ^ Math.imul(a + 1, 0x27d4eb2f));
  h = mix32(h ^ Math.imul(b + 1, 0x165667b1));
  h = mix32(h ^ Math.imul(c | 0, 0x61c88647) ^ Math.floor(c / 4294967296));
  return h / 4294967296;
}

/** Smooth noise in [-1,1): linear interpolation of hashed knots every periodMs. */
function smoothNoise(seed: number, host: number, salt: number, atMs: number, periodMs: number): number {
  const x = atMs / periodMs;
  const k = Math.floor(x);
  const f = x - k;
  const a = hashUnit(seed, host, salt, k) * 2 - 1;
  const b = hashUnit(seed, host, salt, k + 1) * 2 - 1;
  return a + (b - a) * f;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));
const ceilPct = (part: number, whole: number): number | null => (whole > 0 ? clamp(Math.ceil((100 * part) / whole), 0, 100) : null);

// Salts name the independent random streams of a host, so adding one never shifts the others.
const S = {
  cpus: 1, data: 2, fill: 3, growth: 4, binlog: 5, purge: 6, nearFull: 7, iowait: 8, dying: 9, dieAt: 10,
  boot: 11, cpuBase: 12, cpuPeak: 13, cpuNoise: 14, dataNoise: 15, rootFill: 16, mem: 17, disk: 18, load: 19, dc: 20,
} as const;

const CPU_CHOICES = [4, 8, 16, 32, 64];
const DATA_SIZES_GIB = [500, 1000, 2000, 4000];

/**
 * The operator tag every simulated host is enrolled with: simulated hosts stay enrolled after the
 * simulator stops and never poll again, so an operator must be able to select them
 * (`vigia server remove --where simulated=true`, `vigia bundle publish --where`) apart from real hosts.
 */
export const SIMULATED_TAG = Object.freeze({ key: 'simulated', value: 'true' });

/** Build the fleet model (pure; profiles are computed on first use and cached). */
export function createFleetModel(options: FleetModelOptions): FleetModel {
  const size = options.hosts;
  if (!Number.isInteger(size) || size < 1 || size > 1_000_000) throw new RangeError(`hosts must be an integer from 1 to 1000000, got ${size}`);
  const seed = options.seed | 0;
  const anchorMs = options.anchorMs ?? Date.UTC(2026, 11, 1);
  const dyingFraction = clamp(options.dyingFraction ?? 0.001, 0, 1);
  const dyingWindowMs = options.dyingWindowMs ?? 3_600_000;
  const prefix = options.prefix ?? 'sim';
  const agentVersion = options.agentVersion ?? 'vigia-sim/0.1.0';
  const width = Math.max(5, String(size).length);
  const cache: (HostProfile | undefined)[] = new Array(size);

  const hostName = (i: number): string => `${prefix}-${String(i + 1).padStart(width, '0')}`;
  const u = (i: number, salt: number, c = 0): number => hashUnit(seed, i, salt, c);

  const profile = (i: number): HostProfile => {
    if (!Number.isInteger(i) || i < 0 || i >= size) throw new RangeError(`host index ${i} outside 0..${size - 1}`);
    const cached = cache[i];
    if (cached) return cached;
    const cpus = CPU_CHOICES[Math.floor(u(i, S.cpus) * CPU_CHOICES.length)]!;
    const nearFull = u(i, S.nearFull) < 0.02;
    const dataSizeBytes = DATA_SIZES_GIB[Math.floor(u(i, S.data) * DATA_SIZES_GIB.length)]! * GIB;
    // Squared uniform: most hosts grow slowly, a few grow by several GiB a day, as real fleets do.
    const g = u(i, S.growth);
    const dataGrowthBytesPerDay = Math.round(g * g * 4 * GIB);
    const binlogBytesPerDay = Math.round((5 + u(i, S.binlog) * 55) * GIB);
    // Room for two days of binlogs plus headroom, in 50 GiB steps like a real LV.
    const binlogSizeBytes = Math.ceil((binlogBytesPerDay * 2.6) / (50 * GIB)) * 50 * GIB;
    const dying = u(i, S.dying) < dyingFraction;
    const p: HostProfile = {
      index: i,
      name: hostName(i),
      cpus,
      memTotalBytes: cpus * 8 * GIB,
      dataSizeBytes,
      dataBaseFraction: nearFull ? 0.9 + u(i, S.fill) * 0.06 : 0.15 + u(i, S.fill) * 0.6,
      dataGrowthBytesPerDay,
      binlogSizeBytes,
      binlogBytesPerDay,
      binlogPurgeHour: Math.floor(u(i, S.purge) * 24),
      nearFull,
      highIowait: u(i, S.iowait) < 0.02,
      diesAtMs: dying ? Math.round(anchorMs + (0.1 + u(i, S.dieAt) * 0.8) * dyingWindowMs) : null,
      bootMs: Math.round(anchorMs - (30 + u(i, S.boot) * 370) * DAY_MS),
      tags: Object.freeze({ env: 'sim', service: 'mysql', dc: `dc${1 + Math.floor(u(i, S.dc) * 3)}`, [SIMULATED_TAG.key]: SIMULATED_TAG.value }),
    };
    cache[i] = Object.freeze(p);
    return p;
  };

  const isAlive = (i: number, atMs: number): boolean => {
    const d = profile(i).diesAtMs;
    return d === null || atMs < d;
  };

  const reportAt = (i: number, atMsRaw: number, intervalSeconds = 60): HostReport => {
    const p = profile(i);
    const atMs = Math.floor(atMsRaw);
    const days = (atMs - anchorMs) / DAY_MS;
    const hourOfDay = ((atMs % DAY_MS) + DAY_MS) % DAY_MS / 3_600_000;

    // Data: linear growth from the anchor with ±0.3 % of size noise; a full disk stays (almost) full.
    const dataNoise = smoothNoise(seed, i, S.dataNoise, atMs, 3_600_000) * 0.003 * p.dataSizeBytes;
    const dataUsed = Math.round(clamp(p.dataBaseFraction * p.dataSizeBytes + p.dataGrowthBytesPerDay * days + dataNoise, 0.01 * p.dataSizeBytes, 0.995 * p.dataSizeBytes));
    // Binlog: a saw-tooth, one day retained plus what was written since today's purge.
    const sincePurgeDays = (((hourOfDay - p.binlogPurgeHour) % 24) + 24) % 24 / 24;
    const binlogUsed = Math.round(clamp(p.binlogBytesPerDay * (1 + sincePurgeDays) + 64 * 1024 ** 2, 0, 0.995 * p.binlogSizeBytes));
    const rootSize = 50 * GIB;
    const rootUsed = Math.round(rootSize * (0.25 + u(i, S.rootFill) * 0.35 + smoothNoise(seed, i, S.rootFill, atMs, DAY_MS) * 0.01));

    const volume = (mountpoint: string, device: string, fstype: string, role: ReportDevice['role'], sizeBytes: number, used: number, bytesPerInode: number, avgFileBytes: number): ReportDevice => {
      // ext4/xfs keep ~5 % (ext4) or ~1 % (xfs) back from non-root users: avail < size - used.
      const reserved = fstype === 'ext4' ? Math.round(sizeBytes * 0.05) : Math.round(sizeBytes * 0.01);
      const avail = Math.max(0, sizeBytes - used - reserved);
      const inodesTotal = Math.round(sizeBytes / bytesPerInode);
      const inodesUsed = Math.min(inodesTotal, 500 + Math.round(used / avgFileBytes));
      return {
        mountpoint, device, fstype, role, read_only: false,
        size_bytes: sizeBytes, used_bytes: used, avail_bytes: avail, use_pct: ceilPct(used, used + avail),
        inodes_total: inodesTotal, inodes_used: inodesUsed, inode_use_pct: ceilPct(inodesUsed, inodesTotal), error: null,
      };
    };
    const devices: ReportDevice[] = [
      volume('/', '/dev/sda1', 'ext4', 'other', rootSize, rootUsed, 16_384, 48 * 1024),
      volume('/var/lib/mysql', '/dev/mapper/vg_mysql-data', 'xfs', 'data', p.dataSizeBytes, dataUsed, 1024 ** 2, 256 * 1024 ** 2),
      volume('/var/lib/mysql-binlog', '/dev/mapper/vg_mysql-binlog', 'xfs', 'binlog', p.binlogSizeBytes, binlogUsed, 1024 ** 2, 1024 ** 3),
    ];

    // CPU: a daily cycle peaking at a per-host hour, plus noise; high-iowait hosts wait on disks.
    const base = 5 + u(i, S.cpuBase) * 45;
    const peakHour = 10 + u(i, S.cpuPeak) * 10;
    const cycle = 0.65 + 0.35 * Math.cos(((hourOfDay - peakHour) / 24) * 2 * Math.PI);
    const busy = clamp(base * cycle + smoothNoise(seed, i, S.cpuNoise, atMs, 300_000) * 5, 0.5, 95);
    const iowait = p.highIowait ? clamp(18 + smoothNoise(seed, i, S.iowait, atMs, 600_000) * 12, 3, 40) : clamp(1.2 + smoothNoise(seed, i, S.iowait, atMs, 600_000), 0, 5);
    const steal = round2(u(i, S.cpuNoise) * 0.8);
    const user = round2(busy * 0.75);
    const system = round2(busy * 0.25);
    const iow = round2(Math.min(iowait, 100 - user - system - steal));
    const idle = round2(Math.max(0, 100 - user - system - iow - steal));
    const loadBase = (p.cpus * (busy + iow)) / 100;
    const load = (salt: number, period: number): number => round2(Math.max(0, loadBase * (1 + smoothNoise(seed, i, S.load + salt, atMs, period) * 0.2)));

    // Disks: sdb holds the data volume, sda the OS and binlogs; slow disks on high-iowait hosts.
    const dayFactor = cycle;
    const disk = (name: string, salt: number, scale: number): ReportDisk => {
      const n = 1 + smoothNoise(seed, i, S.disk + salt, atMs, 120_000) * 0.25;
      const reads = round2(Math.max(0, (50 + u(i, S.disk, salt) * 800) * scale * dayFactor * n));
      const writes = round2(Math.max(0, (30 + u(i, S.disk, salt + 1) * 400) * scale * dayFactor * n));
      const awaitMs = round2(p.highIowait ? 20 + u(i, S.disk, salt + 2) * 60 * n : 0.3 + u(i, S.disk, salt + 2) * 4 * n);
      return {
        device: name,
        reads_per_s: reads,
        writes_per_s: writes,
        read_bytes_per_s: Math.round(reads * 16_384),
        write_bytes_per_s: Math.round(writes * 24_576),
        await_ms: Math.max(0, awaitMs),
        util_pct: round2(clamp((p.highIowait ? 70 : 5) + (p.highIowait ? 30 : 35) * dayFactor * n, 0, 100)),
      };
    };

    return {
      v: HOST_REPORT_VERSION,
      host: p.name,
      sampled_at: new Date(atMs).toISOString(),
      interval_seconds: intervalSeconds,
      agent: { version: agentVersion },
      tags: { ...p.tags },
      system: {
        cpu: { user_pct: user, system_pct: system, iowait_pct: iow, steal_pct: steal, idle_pct: idle, cpus: p.cpus },
        load1: load(0, 120_000),
        load5: load(1, 600_000),
        load15: load(2, 1_800_000),
        mem_total_bytes: p.memTotalBytes,
        mem_used_pct: round2(clamp(78 + u(i, S.mem) * 15 + smoothNoise(seed, i, S.mem, atMs, 1_800_000) * 2, 0, 100)),
        swap_used_pct: round2(u(i, S.mem, 1) * 4),
        uptime_seconds: Math.max(0, Math.floor((atMs - p.bootMs) / 1000)),
        disks: [disk('sda', 0, 0.4), disk('sdb', 3, 1)],
      },
      devices,
    };
  };

  return { size, anchorMs, hostName, profile, isAlive, reportAt };
}
