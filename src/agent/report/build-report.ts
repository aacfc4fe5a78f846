/**
 * Builds the host report the agent pushes to the control plane (pure): the agent's own model (devices,
 * system view) mapped onto the wire contract of core/contracts/host-report.ts. Values the contract would
 * reject (a NaN, a percentage a rounding pushed past 100, more devices than MAX_REPORT_DEVICES) are
 * clamped or cut here, because a report the server answers 422 is a report lost.
 */
import { reportDevice, reportSystem } from '../../core/contracts/fit-report.js';
import { HOST_REPORT_VERSION, MAX_REPORT_DEVICES, MAX_REPORT_PROCESSES, type HostReport, type ReportChecks, type ReportDevice, type ReportProcess } from '../../core/contracts/host-report.js';
import type { ProcessSample } from '../collectors/processes.js';
import type { DeviceInfo } from '../model.js';
import type { SystemFigures } from '../../core/contracts/fit-report.js';
import type { SystemSnapshot } from '../system-sampler.js';

/** Who is reporting: fixed for the life of the process. */
export interface ReportIdentity {
  /** Host name as enrolled on the control plane (matches HOST_NAME_RE). */
  readonly host: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly agentVersion: string;
  /** The report interval, seconds (the control plane calls a host stale after N of them). */
  readonly intervalSeconds: number;
}

/**
 * Everything one report is made of. `system` is null when the counters could not be read, or a collector
 * the contract's system section needs is off (see reportableSystem in core/contracts/agent-api.ts).
 */
export interface ReportInput {
  readonly identity: ReportIdentity;
  readonly devices: readonly DeviceInfo[];
  readonly system: SystemFigures | null;
  /** When the figures were taken, ms since the epoch (host clock); identifies the report. */
  readonly sampledAtMs: number;
  /** Latest results of the installed bundle's checks; absent without a bundle. */
  readonly checks?: ReportChecks;
  /** The top processes by CPU, most first; only their short names go on the wire. */
  readonly processes?: readonly ProcessSample[];
}

/** One DeviceInfo as a report device (see core/contracts/fit-report.ts). */
export const toReportDevice = (d: DeviceInfo): ReportDevice => reportDevice(d);

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
    system: input.system ? reportSystem(input.system) : null,
    devices: devices.map(toReportDevice),
    ...(input.checks ? { checks: input.checks } : {}),
    ...(input.processes ? { processes: input.processes.slice(0, MAX_REPORT_PROCESSES).map(toReportProcess) } : {}),
  };
}

/** A process sample as the contract takes it: name and user cut to 64 characters, NUL removed, figures clamped. */
export function toReportProcess(p: ProcessSample): ReportProcess {
  const text = (s: string): string => s.replaceAll('\u0000', '').slice(0, 64) || '?';
  const finite = (n: number, max: number): number => (Number.isFinite(n) ? Math.min(Math.max(n, 0), max) : 0);
  return { pid: p.pid, name: text(p.comm), user: text(p.user), cpu_pct: finite(p.cpu_pct, 100_000), rss_bytes: Math.round(finite(p.rss_bytes, Number.MAX_SAFE_INTEGER)) };
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
