/**
 * Builds the host report the agent pushes to the control plane (pure): the agent's own model (devices,
 * system view) mapped onto the wire contract of core/contracts/host-report.ts. Values the contract would
 * reject (a NaN, a percentage a rounding pushed past 100, more devices than MAX_REPORT_DEVICES) are
 * clamped or cut here, because a report the server answers 422 is a report lost.
 */
import { HOST_REPORT_VERSION, MAX_REPORT_DEVICES, MAX_REPORT_DISKS, type HostReport, type ReportDevice, type ReportSystem } from '../../core/contracts/host-report.js';
import type { DeviceInfo } from '../model.js';
import type { SystemSnapshot, SystemView } from '../system-sampler.js';

/** Who is reporting: fixed for the life of the process. */
export interface ReportIdentity {
  /** Host name as enrolled on the control plane (matches HOST_NAME_RE). */
  readonly host: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly agentVersion: string;
  /** The report interval, seconds (the control plane calls a host stale after N of them). */
  readonly intervalSeconds: number;
}

/** Everything one report is made of. `system` is null when the counters could not be read. */
export interface ReportInput {
  readonly identity: ReportIdentity;
  readonly devices: readonly DeviceInfo[];
  readonly system: SystemView | null;
  /** When the figures were taken, ms since the epoch (host clock); identifies the report. */
  readonly sampledAtMs: number;
}

const clampPct = (n: number): number => (Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : 0);
const clampNum = (n: number, max: number): number => (Number.isFinite(n) ? Math.min(max, Math.max(0, n)) : 0);
const intOrNull = (n: number | null): number | null => (n === null || !Number.isFinite(n) || n < 0 ? null : Math.min(Number.MAX_SAFE_INTEGER, Math.round(n)));
const pctOrNull = (n: number | null): number | null => (n === null || !Number.isFinite(n) ? null : clampPct(n));
/** The contract's short texts are printable ASCII without spaces; anything else becomes `_`. */
const shortText = (s: string, max: number): string => (s.replace(/[^\x21-\x7e]/g, '_').slice(0, max) || '_');

/** One DeviceInfo as a report device; an item error becomes `CODE: message` (at most 512 chars). */
export function toReportDevice(d: DeviceInfo): ReportDevice {
  return {
    mountpoint: d.mountpoint.slice(0, 4096),
    device: (d.device || d.name || '?').slice(0, 4096),
    fstype: shortText(d.fstype, 64),
    role: d.role,
    read_only: d.read_only,
    size_bytes: intOrNull(d.size_bytes),
    used_bytes: intOrNull(d.used_bytes),
    avail_bytes: intOrNull(d.avail_bytes),
    use_pct: pctOrNull(d.use_pct),
    inodes_total: intOrNull(d.inodes_total),
    inodes_used: intOrNull(d.inodes_used),
    inode_use_pct: pctOrNull(d.inode_use_pct),
    error: d.error ? `${d.error.code}: ${d.error.message}`.slice(0, 512) : null,
  };
}

/** A SystemView as the report's `system` section. */
export function toReportSystem(v: SystemView): ReportSystem {
  return {
    cpu: {
      user_pct: clampPct(v.cpu.user_pct),
      system_pct: clampPct(v.cpu.system_pct),
      iowait_pct: clampPct(v.cpu.iowait_pct),
      steal_pct: clampPct(v.cpu.steal_pct),
      idle_pct: clampPct(v.cpu.idle_pct),
      cpus: Math.min(65536, Math.max(1, v.cpu.cpus)),
    },
    load1: clampNum(v.load.load1, 1e6),
    load5: clampNum(v.load.load5, 1e6),
    load15: clampNum(v.load.load15, 1e6),
    mem_total_bytes: Math.round(clampNum(v.memory.total_bytes, Number.MAX_SAFE_INTEGER)),
    mem_used_pct: clampPct(v.memory.used_pct),
    swap_used_pct: clampPct(v.swap.used_pct),
    uptime_seconds: clampNum(v.uptime_seconds, 1e10),
    disks: v.disks.slice(0, MAX_REPORT_DISKS).map((d) => ({
      device: shortText(d.device, 128),
      reads_per_s: clampNum(d.reads_per_s, 1e15),
      writes_per_s: clampNum(d.writes_per_s, 1e15),
      read_bytes_per_s: clampNum(d.read_bytes_per_s, 1e15),
      write_bytes_per_s: clampNum(d.write_bytes_per_s, 1e15),
      await_ms: clampNum(d.await_ms, 1e15),
      util_pct: clampPct(d.util_pct),
    })),
  };
}

/**
 * The host report for one interval. Data and binlog volumes come first when there are more devices than
 * the contract allows, since those are what the fleet view is for.
 */
export function buildHostReport(input: ReportInput): HostReport {
  const rank = (d: DeviceInfo): number => (d.role === 'other' ? 1 : 0);
  const devices = input.devices.length > MAX_REPORT_DEVICES ? [...input.devices].sort((a, b) => rank(a) - rank(b)).slice(0, MAX_REPORT_DEVICES) : input.devices;
  return {
    v: HOST_REPORT_VERSION,
    host: input.identity.host,
    sampled_at: new Date(input.sampledAtMs).toISOString(),
    interval_seconds: input.identity.intervalSeconds,
    agent: { version: input.identity.agentVersion },
    tags: { ...input.identity.tags },
    system: input.system ? toReportSystem(input.system) : null,
    devices: devices.map(toReportDevice),
  };
}

/**
 * Keeps the counters snapshot taken at the previous report so each report's CPU and disk rates cover the
 * whole report interval (a 60 s report of a 10 s sampler window would miss 50 s of every minute).
 * `next(cur)` returns the snapshot to diff against (the previous one, or null on the first report, when the
 * caller falls back to the sampler's short window) and remembers `cur`.
 */
export class IntervalBaseline {
  private prev: SystemSnapshot | null = null;

  /** The previous report's snapshot (null the first time); `cur` becomes the next baseline. */
  next(cur: SystemSnapshot): SystemSnapshot | null {
    const prev = this.prev;
    this.prev = cur;
    // A clock step backwards would give a negative interval: start over rather than report nonsense.
    return prev && cur.at > prev.at ? prev : null;
  }
}
