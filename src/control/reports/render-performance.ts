/**
 * Renderings of the daily performance report: terminal table, JSON, CSV and HTML email body.
 * Silent hosts come first in each, then hosts without CPU data, then hosts ranked by pressure (see
 * performance.ts). Host text (devices, mountpoints) goes through core/sanitise as in
 * render-capacity.ts.
 */
import type { HostPerformance, PerformanceReport } from './performance.js';
import { escapeHtml } from '../../core/html.js';
import { sanitiseJson, sanitiseLines } from '../../core/sanitise.js';
import { alignTable, count, csvDocument, humanBytes } from './format.js';
import { plural } from '../../core/plural.js';

const f1 = (n: number) => n.toFixed(1);

function hostCells(h: HostPerformance): string[] {
  return [
    h.host,
    f1(h.pressure),
    f1(h.busyAvg),
    f1(h.busyP95),
    f1(h.iowait.avg),
    f1(h.iowait.p95),
    f1(h.steal.p95),
    h.worstUtil ? `${f1(h.worstUtil.p95)} ${h.worstUtil.device}` : '-',
    h.worstAwait ? `${f1(h.worstAwait.p95)} ${h.worstAwait.device}` : '-',
    h.reasons.join('; '),
  ];
}
const HOST_HEADER = ['HOST', 'PRESSURE', 'BUSY AVG', 'BUSY P95', 'IOWAIT AVG', 'IOWAIT P95', 'STEAL P95', 'UTIL P95 %', 'AWAIT P95 ms', 'OVER THRESHOLD'];
const HOST_RIGHT = [false, true, true, true, true, true, true, true, true, false];

/** Options of the terminal table. */
export interface PerformanceTableOptions {
  /** Most hosts, disks and filesystems printed each (default 50). */
  readonly limit?: number;
}

/** Aligned terminal table: summary, fleet figures, silent hosts, top hosts, busiest disks, fullest filesystems. */
export function renderPerformanceTable(report: PerformanceReport, opts: PerformanceTableOptions = {}): string {
  const limit = opts.limit ?? 50;
  const f = report.fleet;
  const out: string[] = [report.summary, `generated ${report.generatedAt}`, ''];
  const hint = noSamplesHint(report);
  if (hint) out.push(hint, '');
  if (report.silentHosts.length) out.push(`SILENT HOSTS (${count(report.silentHosts.length)}): ${report.silentHosts.join(', ')}`, '');
  if (report.hostsWithoutSystem.length) out.push(`NO CPU DATA (${count(report.hostsWithoutSystem.length)}, reported without system figures): ${report.hostsWithoutSystem.join(', ')}`, '');
  out.push('FLEET (average and p95 of host day averages, %)');
  out.push(
    alignTable(
      [
        ['FIGURE', 'AVG', 'P95', 'HOSTS OVER'],
        ['cpu busy', f1(f.cpuBusy.avg), f1(f.cpuBusy.p95), count(f.above.cpu_busy)],
        ['iowait', f1(f.iowait.avg), f1(f.iowait.p95), count(f.above.iowait)],
        ['steal', f1(f.steal.avg), f1(f.steal.p95), count(f.above.steal)],
        ['disk util', f1(f.diskUtil.avg), f1(f.diskUtil.p95), count(f.above.disk_util)],
        ['disk await', '-', '-', count(f.above.disk_await)],
        ['filesystem', '-', '-', count(f.above.filesystem)],
      ],
      [false, true, true, true],
    ),
  );
  out.push('', `HOSTS BY PRESSURE (top ${count(Math.min(limit, report.hosts.length))} of ${count(report.hosts.length)})`);
  out.push(alignTable([HOST_HEADER, ...report.hosts.slice(0, limit).map(hostCells)], HOST_RIGHT));
  out.push('', 'BUSIEST DISKS');
  out.push(
    alignTable(
      [['HOST', 'DEVICE', 'THROUGHPUT/S', 'IOPS', 'AWAIT P95 ms', 'UTIL AVG', 'UTIL P95'], ...report.disks.slice(0, limit).map((d) => [d.host, d.device, humanBytes(d.throughputAvg), f1(d.iopsAvg), f1(d.awaitMs.p95), f1(d.utilPct.avg), f1(d.utilPct.p95)])],
      [false, false, true, true, true, true, true],
    ),
  );
  out.push('', 'FULLEST FILESYSTEMS');
  out.push(
    alignTable(
      [['HOST', 'MOUNT', 'ROLE', 'SIZE', 'MAX USE', 'GROWTH'], ...report.filesystems.slice(0, limit).map((x) => [x.host, x.mountpoint, x.role, humanBytes(x.sizeBytes), x.maxUsePct === null ? '-' : `${f1(x.maxUsePct)}%`, humanBytes(x.growthBytes)])],
      [false, false, false, true, true, true],
    ),
  );
  return sanitiseLines(out.join('\n') + '\n');
}

/**
 * JSON rendering, format version 1: the report value itself, numbers as numbers, camelCase as in the
 * type; control and format characters in strings as JSON escapes (core/sanitise).
 */
export function renderPerformanceJson(report: PerformanceReport): string {
  return sanitiseJson(JSON.stringify({ v: 1, ...report }, null, 2));
}

/** CSV: one row per silent host (status `silent`), per host without CPU data (`no_cpu_data`), then reporting hosts, ranked. */
export function renderPerformanceCsv(report: PerformanceReport): string {
  const header = ['host', 'status', 'pressure', 'pressure_figure', 'samples', 'cpus', 'user_avg', 'user_p95', 'user_max', 'system_avg', 'system_p95', 'system_max', 'iowait_avg', 'iowait_p95', 'iowait_max', 'steal_avg', 'steal_p95', 'steal_max', 'busy_avg', 'busy_p95', 'worst_util_device', 'worst_util_p95', 'worst_await_device', 'worst_await_p95_ms', 'reasons'];
  const r4 = (n: number) => Math.round(n * 1e4) / 1e4;
  const rows: (string | number | null)[][] = report.silentHosts.map((h) => [h, 'silent', ...new Array<null>(header.length - 2).fill(null)]);
  for (const h of report.hostsWithoutSystem) rows.push([h, 'no_cpu_data', ...new Array<null>(header.length - 2).fill(null)]);
  for (const h of report.hosts) {
    rows.push([
      h.host, h.hot ? 'hot' : 'ok', r4(h.pressure), h.pressureFigure, h.samples, h.cpus,
      h.user.avg, h.user.p95, h.user.max, h.system.avg, h.system.p95, h.system.max, h.iowait.avg, h.iowait.p95, h.iowait.max, h.steal.avg, h.steal.p95, h.steal.max,
      r4(h.busyAvg), r4(h.busyP95), h.worstUtil?.device ?? null, h.worstUtil?.p95 ?? null, h.worstAwait?.device ?? null, h.worstAwait?.p95 ?? null, h.reasons.join('; '),
    ]);
  }
  return csvDocument(header, rows);
}

/** CSV with one row per mounted filesystem (every mount, fullest first). */
export function renderPerformanceFilesystemsCsv(report: PerformanceReport): string {
  return csvDocument(
    ['host', 'mountpoint', 'device', 'fstype', 'role', 'size_bytes', 'max_used_bytes', 'max_use_pct', 'growth_bytes', 'hot'],
    report.filesystems.map((x) => [x.host, x.mountpoint, x.device, x.fstype, x.role, x.sizeBytes, x.maxUsedBytes, x.maxUsePct, x.growthBytes, x.hot]),
  );
}

const TD = 'padding:3px 6px;border-bottom:1px solid #dddddd;font-size:13px;';
const TH = 'padding:4px 6px;border-bottom:2px solid #999999;text-align:left;font-size:13px;background:#f4f4f4;';

function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[], rowStyle: (i: number) => string = () => ''): string {
  const head = `<tr>${header.map((h) => `<th style="${TH}">${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r, i) => `<tr style="${rowStyle(i)}">${r.map((c, j) => `<td style="${TD}${right[j] ? 'text-align:right;white-space:nowrap;' : ''}">${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table role="presentation" cellspacing="0" cellpadding="0" style="border-collapse:collapse;">\n${head}\n${body}\n</table>`;
}

/** Options of the HTML email body. */
export interface PerformanceHtmlOptions {
  /** Most hosts shown (default 200); the CSV attachment has all. */
  readonly maxRows?: number;
  readonly csvFilename?: string;
}

/**
 * Why a report is empty: "no samples for 2026-11-30; the first samples after it are from 2026-12-01;
 * try --day 2026-12-01" (the default day is yesterday, so on day one the report would show 0 hosts
 * with no reason). Null when the day has samples.
 */
export function noSamplesHint(report: PerformanceReport): string | null {
  if (!report.noSamples) return null;
  const next = report.nextDayWithSamples;
  return next ? `no samples for ${report.day}; the first samples after it are from ${next}; try --day ${next}` : `no samples for ${report.day} or any day after it`;
}

/** A complete HTML email body (inline CSS, tables, no scripts, text escaped): silent hosts, fleet, ranked hosts, disks, filesystems. */
export function renderPerformanceHtml(report: PerformanceReport, opts: PerformanceHtmlOptions = {}): string {
  const maxRows = opts.maxRows ?? 200;
  const f = report.fleet;
  const h2 = (t: string) => `<h2 style="font-size:16px;margin:20px 0 6px 0;">${escapeHtml(t)}</h2>`;
  const parts = [
    '<!DOCTYPE html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(report.summary)}</title></head>`,
    '<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;color:#222222;background:#ffffff;">',
    `<h1 style="font-size:18px;margin:0 0 4px 0;">${escapeHtml(report.summary)}</h1>`,
    `<p style="font-size:12px;color:#666666;margin:0 0 16px 0;">Day ${escapeHtml(report.day)} (UTC), generated ${escapeHtml(report.generatedAt)}. Hosts are ranked by pressure: the largest ratio of a p95 figure to its threshold; 1.0 or more is hot.</p>`,
    ...(report.noSamples ? [`<p style="font-size:14px;font-weight:bold;">${escapeHtml(noSamplesHint(report) ?? '')}</p>`] : []),
    h2(`Silent hosts (${count(report.silentHosts.length)})`),
    report.silentHosts.length ? table(['Host'], report.silentHosts.map((h) => [h]), [false]) : '<p style="font-size:13px;">Every host sent samples.</p>',
    ...(report.hostsWithoutSystem.length
      ? [h2(`Hosts without CPU data (${count(report.hostsWithoutSystem.length)})`), '<p style="font-size:13px;">They reported, but without system figures (e.g. a node_exporter without the cpu collector), so they are not ranked.</p>', table(['Host'], report.hostsWithoutSystem.map((h) => [h]), [false])]
      : []),
    h2('Fleet'),
    table(
      ['Figure', 'Avg of host avgs', 'P95 of host avgs', 'Hosts over threshold'],
      [
        ['CPU busy %', f1(f.cpuBusy.avg), f1(f.cpuBusy.p95), count(f.above.cpu_busy)],
        ['iowait %', f1(f.iowait.avg), f1(f.iowait.p95), count(f.above.iowait)],
        ['steal %', f1(f.steal.avg), f1(f.steal.p95), count(f.above.steal)],
        ['disk %util', f1(f.diskUtil.avg), f1(f.diskUtil.p95), count(f.above.disk_util)],
        ['disk await', '-', '-', count(f.above.disk_await)],
        ['filesystem use', '-', '-', count(f.above.filesystem)],
      ],
      [false, true, true, true],
    ),
    h2(`Hosts by pressure (worst ${count(Math.min(maxRows, report.hosts.length))} of ${count(report.hosts.length)})`),
    table(HOST_HEADER.map((x) => x.toLowerCase()), report.hosts.slice(0, maxRows).map(hostCells), HOST_RIGHT, (i) => (report.hosts[i]?.hot ? 'background:#fde0e0;' : '')),
  ];
  if (report.hosts.length > maxRows) {
    parts.push(`<p style="font-size:13px;">The CSV attachment${opts.csvFilename ? ` <b>${escapeHtml(opts.csvFilename)}</b>` : ''} has all ${escapeHtml(plural(report.hosts.length, 'host', { shown: count(report.hosts.length) }))}.</p>`);
  }
  const top = Math.min(maxRows, 50);
  parts.push(
    h2('Busiest disks'),
    table(['host', 'device', 'throughput/s', 'iops', 'await p95 ms', 'util avg %', 'util p95 %'], report.disks.slice(0, top).map((d) => [d.host, d.device, humanBytes(d.throughputAvg), f1(d.iopsAvg), f1(d.awaitMs.p95), f1(d.utilPct.avg), f1(d.utilPct.p95)]), [false, false, true, true, true, true, true]),
    h2('Fullest filesystems'),
    table(['host', 'mount', 'role', 'size', 'max use', 'growth'], report.filesystems.slice(0, top).map((x) => [x.host, x.mountpoint, x.role, humanBytes(x.sizeBytes), x.maxUsePct === null ? '-' : `${f1(x.maxUsePct)}%`, humanBytes(x.growthBytes)]), [false, false, false, true, true, true]),
    '</body></html>',
  );
  return parts.join('\n');
}
