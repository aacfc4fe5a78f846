/**
 * A deterministic synthetic fleet for tests, benchmarks and `--demo` renderings: N hosts with a
 * data, a binlog and a root volume each, some of them critical, warning, stale or never reported.
 */
import type { CapacityData, CapacityVolumeRow, DailyExtremes, HostStatusRow, PerformanceData, PerformanceDiskRow, PerformanceFilesystemRow, PerformanceHostRow, Stat3 } from '../store/control-store.js';
import { mulberry32 } from '../../core/random.js';
import { sumsOf } from './regression.js';

/** How many hosts of each kind the synthetic fleet has (the rest are healthy). */
export interface SyntheticFleetOptions {
  readonly hosts: number;
  readonly now: Date;
  readonly critical?: number;
  readonly warning?: number;
  readonly stale?: number;
  readonly neverReported?: number;
  readonly windowDays?: number;
}

/** A small seeded PRNG (mulberry32) so every run builds the same fleet. */
export const seededRandom = mulberry32;

/** Host name of synthetic host i (`db-00042`). */
export function syntheticHostName(i: number): string {
  return `db-${String(i).padStart(5, '0')}`;
}

const TIB = 1024 ** 4;
const GIB = 1024 ** 3;

function volume(host: string, mountpoint: string, device: string, role: CapacityVolumeRow['role'], size: number, usePct: number, growthPerDay: number, now: Date, windowStart: Date, saw: boolean): CapacityVolumeRow {
  const used = Math.round((size * usePct) / 100);
  const windowS = (now.getTime() - windowStart.getTime()) / 1000;
  const pts: [number, number][] = [];
  for (let k = 0; k <= 24; k++) {
    const x = (windowS * k) / 24;
    pts.push([x, used - (growthPerDay * (windowS - x)) / 86_400]);
  }
  const daily: DailyExtremes[] = [];
  const days = Math.round(windowS / 86_400);
  for (let d = days; d >= 1; d--) {
    const day = new Date(now.getTime() - d * 86_400_000).toISOString().slice(0, 10);
    const peak = used - growthPerDay * (d - 1);
    const low = saw ? peak * 0.5 : peak - growthPerDay;
    daily.push({ day, maxUsedBytes: peak, minUsedBytes: low, maxUsePct: (100 * peak) / size });
  }
  return {
    host,
    mountpoint,
    device,
    fstype: 'xfs',
    role,
    readOnly: false,
    sizeBytes: size,
    usedBytes: used,
    availBytes: size - used,
    usePct,
    inodeUsePct: 3,
    error: null,
    sampledAt: new Date(now.getTime() - 30_000),
    trend: sumsOf(pts),
    windowPeakUsePct: daily.reduce<number | null>((m, d) => (m === null || d.maxUsePct > m ? d.maxUsePct : m), null),
    // Like the store: daily extremes for binlog volumes only.
    daily: role === 'binlog' ? daily : [],
  };
}

/** Build a synthetic CapacityData. Critical hosts come first by index, then warning, stale, never reported. */
export function syntheticCapacityData(o: SyntheticFleetOptions): CapacityData {
  const rnd = seededRandom(42);
  const windowDays = o.windowDays ?? 7;
  const windowStart = new Date(o.now.getTime() - windowDays * 86_400_000);
  const crit = o.critical ?? 0;
  const warn = o.warning ?? 0;
  const stale = o.stale ?? 0;
  const never = o.neverReported ?? 0;
  const hosts: HostStatusRow[] = [];
  const volumes: CapacityVolumeRow[] = [];
  for (let i = 0; i < o.hosts; i++) {
    const host = syntheticHostName(i);
    const kind = i < crit ? 'critical' : i < crit + warn ? 'warning' : i < crit + warn + stale ? 'stale' : i < crit + warn + stale + never ? 'never' : 'ok';
    const lastSeen = kind === 'never' ? null : kind === 'stale' ? new Date(o.now.getTime() - 3_600_000 - i * 1000) : new Date(o.now.getTime() - 20_000);
    hosts.push({
      host,
      tags: { site: i % 2 ? 'mad' : 'bcn' },
      reportedTags: {},
      enrolledAt: new Date(o.now.getTime() - 30 * 86_400_000),
      lastSeen,
      lastSampledAt: lastSeen && kind === 'stale' ? new Date(lastSeen.getTime() + 400_000) : lastSeen,
      intervalSeconds: lastSeen ? 60 : null,
      source: lastSeen ? 'push' : null,
      lastError: kind === 'stale' ? 'CONTROL_ERR_CLOCK_SKEW: sampled_at 400 s in the future' : null,
      lastErrorAt: kind === 'stale' ? lastSeen : null,
    });
    if (kind === 'never') continue;
    const dataUse = kind === 'critical' ? 91 + rnd() * 8 : kind === 'warning' ? 81 + rnd() * 8 : 30 + rnd() * 45;
    const growth = kind === 'ok' ? rnd() * 5 * GIB : 10 * GIB + rnd() * 50 * GIB;
    volumes.push(volume(host, '/var/lib/mysql', '/dev/nvme0n1p1', 'data', 4 * TIB, dataUse, growth, o.now, windowStart, false));
    volumes.push(volume(host, '/var/lib/mysql-binlog', '/dev/nvme1n1p1', 'binlog', 500 * GIB, 20 + rnd() * 40, 0, o.now, windowStart, true));
    volumes.push(volume(host, '/', '/dev/sda1', 'other', 50 * GIB, 20 + rnd() * 30, 0, o.now, windowStart, false));
  }
  return { now: o.now, windowStart, hosts, volumes };
}

function stat(avg: number, spread: number): Stat3 {
  return { avg, p95: Math.min(100, avg + spread), max: Math.min(100, avg + spread * 2) };
}

/** Build a synthetic PerformanceData for `day` with `hot` hosts having high iowait first. */
export function syntheticPerformanceData(o: { hosts: number; day: string; hot?: number; silent?: number }): PerformanceData {
  const rnd = seededRandom(7);
  const hosts: PerformanceHostRow[] = [];
  const disks: PerformanceDiskRow[] = [];
  const filesystems: PerformanceFilesystemRow[] = [];
  const silentHosts: string[] = [];
  const hot = o.hot ?? 0;
  const silent = o.silent ?? 0;
  for (let i = 0; i < o.hosts; i++) {
    const host = syntheticHostName(i);
    if (i >= o.hosts - silent) {
      silentHosts.push(host);
      continue;
    }
    const isHot = i < hot;
    hosts.push({
      host,
      samples: 1440,
      cpus: 32,
      user: stat(10 + rnd() * 20, 10),
      system: stat(3 + rnd() * 4, 3),
      busy: stat(15 + rnd() * 20, 12),
      iowait: isHot ? stat(25 + rnd() * 10, 15) : stat(rnd() * 3, 2),
      steal: stat(rnd() * 0.5, 0.5),
      load1: stat(4 + rnd() * 4, 4),
      memUsedPct: stat(60 + rnd() * 20, 5),
    });
    for (const device of ['nvme0n1', 'nvme1n1']) {
      disks.push({
        host,
        device,
        samples: 1440,
        readBytesPerS: stat(50e6 * rnd(), 20e6),
        writeBytesPerS: stat(80e6 * rnd(), 30e6),
        readsPerS: stat(2000 * rnd(), 500),
        writesPerS: stat(3000 * rnd(), 500),
        awaitMs: isHot ? stat(40 + rnd() * 20, 30) : stat(0.5 + rnd(), 1),
        utilPct: isHot ? stat(80, 15) : stat(20 + rnd() * 30, 10),
      });
    }
    filesystems.push({ host, mountpoint: '/var/lib/mysql', device: '/dev/nvme0n1p1', fstype: 'xfs', role: 'data', sizeBytes: 4 * TIB, maxUsedBytes: 2 * TIB, maxUsePct: 50, growthBytes: 3 * GIB });
    filesystems.push({ host, mountpoint: '/', device: '/dev/sda1', fstype: 'ext4', role: 'other', sizeBytes: 50 * GIB, maxUsedBytes: 10 * GIB, maxUsePct: 20, growthBytes: 0 });
  }
  return { day: o.day, hosts, disks, filesystems, silentHosts, hostsWithoutSystem: [] };
}
