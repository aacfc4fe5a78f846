/**
 * The daily performance report, in the spirit of sysstat's daily summary (sar -u / -d / df): per
 * host CPU, per device I/O, every filesystem, fleet figures and the hosts that ran hottest. Pure.
 *
 * Ranking: a host's `pressure` is the largest ratio of one of its day's p95 figures to that
 * figure's threshold: CPU busy (user + system), iowait, steal, worst disk %util, worst disk
 * await. Hosts are ranked by pressure, highest first; pressure >= 1 means "hot" (some figure was
 * over its threshold for more than 5 % of the day). Ratios, not raw percentages, because 25 %
 * iowait is alarming while 25 % CPU is not.
 */
import type { PerformanceData, PerformanceDiskRow, PerformanceFilesystemRow, Stat3 } from '../store/control-store.js';
import type { ReportPolicy } from './policy.js';
import { count } from './format.js';
import { plural } from '../../core/plural.js';

/** Options of buildPerformanceReport. */
export interface PerformanceReportOptions {
  readonly policy: ReportPolicy;
  readonly now: Date;
  /** When the day has no samples: the first later day that has some (null when none up to today). */
  readonly nextDayWithSamples?: string | null;
}

/** Which figure set a host's pressure. */
export type PressureFigure = 'cpu_busy' | 'iowait' | 'steal' | 'disk_util' | 'disk_await';

/** One host's day, with its ranking figures. */
export interface HostPerformance {
  readonly host: string;
  readonly samples: number;
  readonly cpus: number;
  readonly user: Stat3;
  readonly system: Stat3;
  readonly iowait: Stat3;
  readonly steal: Stat3;
  /** CPU busy (user + system of each sample): the store's avg and p95 of the sum. */
  readonly busyAvg: number;
  readonly busyP95: number;
  readonly load1: Stat3;
  readonly memUsedPct: Stat3;
  /** The busiest device by p95 %util, and the slowest by p95 await. */
  readonly worstUtil: { readonly device: string; readonly p95: number } | null;
  readonly worstAwait: { readonly device: string; readonly p95: number } | null;
  readonly pressure: number;
  readonly pressureFigure: PressureFigure;
  readonly hot: boolean;
  /** One line per figure over its threshold, for humans. */
  readonly reasons: readonly string[];
}

/** One device of one host. */
export interface DiskPerformance {
  readonly host: string;
  readonly device: string;
  readonly samples: number;
  /** Read + write bytes per second, day average. */
  readonly throughputAvg: number;
  readonly readBytesPerS: Stat3;
  readonly writeBytesPerS: Stat3;
  readonly iopsAvg: number;
  readonly awaitMs: Stat3;
  readonly utilPct: Stat3;
  readonly hot: boolean;
}

/** One filesystem of one host (every mount). */
export interface FilesystemPerformance extends PerformanceFilesystemRow {
  readonly hot: boolean;
}

/** avg and p95 over hosts of one per-host figure. */
export interface FleetFigure {
  readonly avg: number;
  readonly p95: number;
}

/** Fleet-wide figures: distribution of host day averages and counts over thresholds. */
export interface FleetPerformance {
  /** Enrolled hosts: reporting + silent. */
  readonly hosts: number;
  /** Hosts that sent reports, withoutSystem included. */
  readonly reporting: number;
  /** Reporting hosts that sent no system figures at all (no CPU data; not ranked). */
  readonly withoutSystem: number;
  readonly silent: number;
  readonly hot: number;
  readonly cpuBusy: FleetFigure;
  readonly iowait: FleetFigure;
  readonly steal: FleetFigure;
  readonly diskUtil: FleetFigure;
  /** Hosts whose p95 of the figure is at or over its threshold. */
  readonly above: Readonly<Record<PressureFigure | 'filesystem', number>>;
}

/** The whole performance report. */
export interface PerformanceReport {
  readonly day: string;
  readonly generatedAt: string;
  readonly summary: string;
  readonly fleet: FleetPerformance;
  /** Hosts that sent nothing that day (listed first in every rendering). */
  readonly silentHosts: readonly string[];
  /** Hosts that reported without system figures (no CPU data), sorted; listed after the silent ones. */
  readonly hostsWithoutSystem: readonly string[];
  /** Ranked by pressure, highest first. */
  readonly hosts: readonly HostPerformance[];
  /** Ranked by p95 %util, highest first. */
  readonly disks: readonly DiskPerformance[];
  /** Ranked by max use %, highest first. */
  readonly filesystems: readonly FilesystemPerformance[];
  /** No host sent anything that day (the report is empty, not healthy): renderings say so. */
  readonly noSamples: boolean;
  /** With noSamples: the first later day with samples, to suggest (`--day`); null when none. */
  readonly nextDayWithSamples: string | null;
}

function fleetFigure(values: number[]): FleetFigure {
  if (values.length === 0) return { avg: 0, p95: 0 };
  let sum = 0;
  for (const v of values) sum += v;
  values.sort((a, b) => a - b);
  // Linear interpolation between closest ranks, like the store's percentile_cont(0.95).
  const pos = 0.95 * (values.length - 1);
  const lo = Math.floor(pos);
  const p95 = values[lo]! + (pos - lo) * ((values[Math.min(lo + 1, values.length - 1)]!) - values[lo]!);
  return { avg: sum / values.length, p95 };
}

/** The summary line, e.g. `[vigia] performance 2026-11-30: 10,000 hosts, 12 hot`. */
export function performanceSummary(prefix: string, day: string, f: FleetPerformance): string {
  const p = prefix ? `${prefix} ` : '';
  return `${p}performance ${day}: ${plural(f.hosts, 'host', { shown: count(f.hosts) })}, ${count(f.hot)} hot${f.silent ? `, ${count(f.silent)} silent` : ''}${f.withoutSystem ? `, ${count(f.withoutSystem)} without CPU data` : ''}`;
}

/** Build the daily performance report; linear in rows plus sorts. `now` is passed in. */
export function buildPerformanceReport(data: PerformanceData, opts: PerformanceReportOptions): PerformanceReport {
  const th = opts.policy.performance;
  const disksByHost = new Map<string, PerformanceDiskRow[]>();
  const disks: DiskPerformance[] = [];
  for (const d of data.disks) {
    const list = disksByHost.get(d.host);
    if (list) list.push(d);
    else disksByHost.set(d.host, [d]);
    disks.push({
      host: d.host,
      device: d.device,
      samples: d.samples,
      throughputAvg: d.readBytesPerS.avg + d.writeBytesPerS.avg,
      readBytesPerS: d.readBytesPerS,
      writeBytesPerS: d.writeBytesPerS,
      iopsAvg: d.readsPerS.avg + d.writesPerS.avg,
      awaitMs: d.awaitMs,
      utilPct: d.utilPct,
      hot: d.utilPct.p95 >= th.diskUtilPct || d.awaitMs.p95 >= th.awaitMs,
    });
  }
  const above = { cpu_busy: 0, iowait: 0, steal: 0, disk_util: 0, disk_await: 0, filesystem: 0 };
  const busyAvgs: number[] = [];
  const iowaitAvgs: number[] = [];
  const stealAvgs: number[] = [];
  const utilAvgs: number[] = [];
  const hosts: HostPerformance[] = data.hosts.map((h) => {
    let worstUtil: HostPerformance['worstUtil'] = null;
    let worstAwait: HostPerformance['worstAwait'] = null;
    let utilAvgMax = 0;
    for (const d of disksByHost.get(h.host) ?? []) {
      if (!worstUtil || d.utilPct.p95 > worstUtil.p95) worstUtil = { device: d.device, p95: d.utilPct.p95 };
      if (!worstAwait || d.awaitMs.p95 > worstAwait.p95) worstAwait = { device: d.device, p95: d.awaitMs.p95 };
      utilAvgMax = Math.max(utilAvgMax, d.utilPct.avg);
    }
    const busyAvg = h.busy.avg;
    const busyP95 = h.busy.p95;
    const figures: [PressureFigure, number, number, string][] = [
      ['cpu_busy', busyP95, th.cpuBusyPct, `CPU busy p95 ${busyP95.toFixed(1)}% >= ${th.cpuBusyPct}%`],
      ['iowait', h.iowait.p95, th.iowaitPct, `iowait p95 ${h.iowait.p95.toFixed(1)}% >= ${th.iowaitPct}%`],
      ['steal', h.steal.p95, th.stealPct, `steal p95 ${h.steal.p95.toFixed(1)}% >= ${th.stealPct}%`],
      ['disk_util', worstUtil?.p95 ?? 0, th.diskUtilPct, `${worstUtil?.device} %util p95 ${(worstUtil?.p95 ?? 0).toFixed(1)}% >= ${th.diskUtilPct}%`],
      ['disk_await', worstAwait?.p95 ?? 0, th.awaitMs, `${worstAwait?.device} await p95 ${(worstAwait?.p95 ?? 0).toFixed(1)} ms >= ${th.awaitMs} ms`],
    ];
    let pressure = 0;
    let pressureFigure: PressureFigure = 'cpu_busy';
    const reasons: string[] = [];
    for (const [name, value, limit, text] of figures) {
      const ratio = limit > 0 ? value / limit : 0;
      if (ratio > pressure) {
        pressure = ratio;
        pressureFigure = name;
      }
      if (value >= limit) {
        above[name]++;
        reasons.push(text);
      }
    }
    busyAvgs.push(busyAvg);
    iowaitAvgs.push(h.iowait.avg);
    stealAvgs.push(h.steal.avg);
    utilAvgs.push(utilAvgMax);
    return { host: h.host, samples: h.samples, cpus: h.cpus, user: h.user, system: h.system, iowait: h.iowait, steal: h.steal, busyAvg, busyP95, load1: h.load1, memUsedPct: h.memUsedPct, worstUtil, worstAwait, pressure, pressureFigure, hot: pressure >= 1, reasons };
  });
  hosts.sort((a, b) => b.pressure - a.pressure || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  disks.sort((a, b) => b.utilPct.p95 - a.utilPct.p95 || b.awaitMs.p95 - a.awaitMs.p95 || (a.host < b.host ? -1 : 1));
  const fsHot = new Set<string>();
  const filesystems: FilesystemPerformance[] = data.filesystems.map((f) => {
    const hot = f.maxUsePct !== null && f.maxUsePct >= th.filesystemUsePct;
    if (hot) fsHot.add(f.host);
    return { ...f, hot };
  });
  above.filesystem = fsHot.size;
  filesystems.sort((a, b) => (b.maxUsePct ?? -1) - (a.maxUsePct ?? -1) || (a.host < b.host ? -1 : 1));
  const silentHosts = [...data.silentHosts].sort();
  const hostsWithoutSystem = [...data.hostsWithoutSystem].sort();
  const fleet: FleetPerformance = {
    hosts: data.hosts.length + hostsWithoutSystem.length + silentHosts.length,
    reporting: data.hosts.length + hostsWithoutSystem.length,
    withoutSystem: hostsWithoutSystem.length,
    silent: silentHosts.length,
    hot: hosts.reduce((n, h) => n + (h.hot ? 1 : 0), 0),
    cpuBusy: fleetFigure(busyAvgs),
    iowait: fleetFigure(iowaitAvgs),
    steal: fleetFigure(stealAvgs),
    diskUtil: fleetFigure(utilAvgs),
    above,
  };
  return {
    day: data.day,
    generatedAt: opts.now.toISOString(),
    summary: performanceSummary(opts.policy.subjectPrefix, data.day, fleet),
    fleet,
    silentHosts,
    hostsWithoutSystem,
    hosts,
    disks,
    filesystems,
    noSamples: data.hosts.length === 0 && hostsWithoutSystem.length === 0,
    nextDayWithSamples: opts.nextDayWithSamples ?? null,
  };
}
