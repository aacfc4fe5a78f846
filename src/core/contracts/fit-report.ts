/**
 * Fitting measured figures onto the host report contract (pure), shared by every producer: the agent
 * (push), and the control plane's pullers (agent JSON API, node_exporter). Values the contract would
 * refuse (a NaN, a percentage a rounding pushed past 100, a string it cannot store) are clamped or
 * cut here, because a report the server answers 422 is a report lost.
 */
import { MAX_REPORT_DISKS, type ReportDevice, type ReportSystem } from './host-report.js';

/** A percentage in [0, 100]; NaN and infinities become 0. */
export const clampPct = (n: number): number => (Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : 0);
/** A number in [0, max]; NaN and infinities become 0. */
export const clampNum = (n: number, max: number): number => (Number.isFinite(n) ? Math.min(max, Math.max(0, n)) : 0);
/** A non-negative safe integer, or null (unknown, negative or not finite). */
export const intOrNull = (n: number | null): number | null => (n === null || !Number.isFinite(n) || n < 0 ? null : Math.min(Number.MAX_SAFE_INTEGER, Math.round(n)));
/** A clamped percentage, or null when unknown. */
export const pctOrNull = (n: number | null): number | null => (n === null || !Number.isFinite(n) ? null : clampPct(n));
/** The contract's short texts are printable ASCII without spaces; anything else becomes `_`. */
export const shortText = (s: string, max: number): string => s.replace(/[^\x21-\x7e]/g, '_').slice(0, max) || '_';

/** Text cut to at most `maxBytes` of UTF-8 (on a character boundary) with NUL removed: what the contract stores. */
export function fitText(s: string, maxBytes: number): string {
  const clean = s.replaceAll('\u0000', '');
  if (Buffer.byteLength(clean, 'utf8') <= maxBytes) return clean;
  let out = '';
  let bytes = 0;
  for (const ch of clean) {
    bytes += Buffer.byteLength(ch, 'utf8');
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}

/** A mounted filesystem as the agent describes it (its DeviceInfo, or the JSON of GET /v1/devices). */
export interface DeviceFigures {
  readonly name: string;
  readonly device: string;
  readonly mountpoint: string;
  readonly fstype: string;
  readonly role: ReportDevice['role'];
  readonly read_only: boolean;
  readonly size_bytes: number | null;
  readonly used_bytes: number | null;
  readonly avail_bytes: number | null;
  readonly use_pct: number | null;
  readonly inodes_total: number | null;
  readonly inodes_used: number | null;
  readonly inode_use_pct: number | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** One device as a report device; an item error becomes `CODE: message` (at most 512 chars). */
export function reportDevice(d: DeviceFigures, role: ReportDevice['role'] = d.role): ReportDevice {
  return {
    mountpoint: fitText(d.mountpoint, 1024),
    device: fitText(d.device || d.name || '?', 1024) || '?',
    fstype: shortText(d.fstype, 64),
    role,
    read_only: d.read_only,
    size_bytes: intOrNull(d.size_bytes),
    used_bytes: intOrNull(d.used_bytes),
    avail_bytes: intOrNull(d.avail_bytes),
    use_pct: pctOrNull(d.use_pct),
    inodes_total: intOrNull(d.inodes_total),
    inodes_used: intOrNull(d.inodes_used),
    inode_use_pct: pctOrNull(d.inode_use_pct),
    error: d.error ? fitText(`${d.error.code}: ${d.error.message}`, 512) : null,
  };
}

/** The system figures as the agent describes them (its SystemView, or the JSON of GET /v1/system). */
export interface SystemFigures {
  readonly cpu: { readonly user_pct: number; readonly system_pct: number; readonly iowait_pct: number; readonly steal_pct: number; readonly idle_pct: number; readonly cpus: number };
  readonly load: { readonly load1: number; readonly load5: number; readonly load15: number };
  readonly memory: { readonly total_bytes: number; readonly used_pct: number };
  readonly swap: { readonly used_pct: number };
  readonly uptime_seconds: number;
  readonly disks: readonly {
    readonly device: string;
    readonly reads_per_s: number;
    readonly writes_per_s: number;
    readonly read_bytes_per_s: number;
    readonly write_bytes_per_s: number;
    readonly await_ms: number;
    readonly util_pct: number;
  }[];
}

/** System figures as the report's `system` section. */
export function reportSystem(v: SystemFigures): ReportSystem {
  return {
    cpu: {
      user_pct: clampPct(v.cpu.user_pct),
      system_pct: clampPct(v.cpu.system_pct),
      iowait_pct: clampPct(v.cpu.iowait_pct),
      steal_pct: clampPct(v.cpu.steal_pct),
      idle_pct: clampPct(v.cpu.idle_pct),
      cpus: Math.min(65536, Math.max(1, Math.round(clampNum(v.cpu.cpus, 65536)))),
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
