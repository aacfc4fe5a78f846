/**
 * Renderings of the capacity report: terminal table, JSON, CSV and an HTML email body. Every
 * rendering lists stale hosts first, because a silent host is the one nobody is watching. Host text
 * (mountpoints, devices, errors) is the host's to choose: every rendering passes it through
 * core/sanitise (tables and CSV cell by cell, HTML through escapeHtml, JSON as JSON escapes), so no
 * raw control or format character reaches a terminal, a spreadsheet or a mail client.
 */
import type { CapacityReport, CapacityRow, CapacityStatus, StaleHost } from './capacity.js';
import { COLORS } from './charts.js';
import { escapeHtml } from '../../core/html.js';
import { sanitiseJson, sanitiseLines } from '../../core/sanitise.js';
import { alignTable, count, csvDocument, days, humanBytes, pct } from './format.js';
import { plural } from '../../core/plural.js';

function silentFor(s: StaleHost): string {
  const sec = s.silentSeconds;
  if (sec < 3600) return `${Math.round(sec / 60)} min`;
  if (sec < 172_800) return `${(sec / 3600).toFixed(1)} h`;
  return `${Math.round(sec / 86_400)} d`;
}

function staleText(s: StaleHost): string {
  if (s.neverReported) return 'never reported';
  return `silent ${silentFor(s)} (last seen ${s.lastSeen})`;
}

function skewText(s: StaleHost): string {
  return s.clockSkewSeconds !== null && Math.abs(s.clockSkewSeconds) >= 5 ? `clock skew ${s.clockSkewSeconds > 0 ? '+' : ''}${s.clockSkewSeconds} s` : '';
}

function spanText(sec: number): string {
  if (sec < 3600) return `${Math.round(sec / 60)} min`;
  if (sec < 172_800) return `${Math.round((sec / 3600) * 10) / 10} h`;
  return `${Math.round((sec / 86_400) * 10) / 10} d`;
}

/**
 * The FULL IN cell: days, or "trend pending (2 min of 24 h, 3 of 12 samples)" when the window holds
 * too little data for a projection, so nobody reads a blank or a dash as "never fills".
 */
export function fullInText(r: CapacityRow): string {
  const p = r.trendPending;
  if (!p) return days(r.daysUntilFull);
  return `trend pending (${spanText(p.spanSeconds)} of ${spanText(p.needSpanSeconds)}, ${count(p.samples)} of ${count(p.needSamples)} samples)`;
}

function usedPctOf(r: CapacityRow): number | null {
  return r.role === 'binlog' ? r.peakUsePct : r.usePct;
}

/** Options of the terminal table. */
export interface CapacityTableOptions {
  /** Most volume rows to print (default: all). Stale hosts are always all printed. */
  readonly limit?: number;
  /** Print ok rows too (default false: a healthy fleet prints a short table; `--all`, `?all=1`). */
  readonly includeOk?: boolean;
}

/**
 * Why the volume table is empty or short, so an empty table never reads as "nothing to see": hosts
 * that have not reported yet, or healthy rows hidden (and how to show them).
 */
function emptyHints(report: CapacityReport, shown: number, includeOk: boolean): string[] {
  const out: string[] = [];
  const waiting = report.waitingForFirstReport;
  if (report.totals.hosts === 0) out.push('no hosts enrolled yet: enroll one with `vigia server enroll` and start its agent');
  else if (waiting > 0) out.push(`waiting for the first report from ${count(waiting)} ${waiting === 1 ? 'host' : 'hosts'}`);
  const hidden = report.rows.length - shown;
  if (!includeOk && hidden > 0) out.push(`${count(hidden)} healthy ${hidden === 1 ? 'volume' : 'volumes'} hidden: --all shows them`);
  return out.length ? ['', ...out] : out;
}

/** Aligned terminal table: summary header, stale hosts, then volume rows worst first. */
export function renderCapacityTable(report: CapacityReport, opts: CapacityTableOptions = {}): string {
  const out: string[] = [report.summary, `generated ${report.generatedAt}, trend window ${report.trendWindowDays} d`, ''];
  if (report.stale.length) {
    out.push(`STALE HOSTS (${count(report.stale.length)})`);
    out.push(alignTable([['HOST', 'LAST STATUS', 'STATE', 'LAST ERROR'], ...report.stale.map((s) => [s.host, s.status.toUpperCase(), [staleText(s), skewText(s)].filter(Boolean).join(', '), s.lastError ?? ''])]));
    out.push('');
  }
  const shown = report.rows.filter((r) => opts.includeOk || r.status !== 'ok');
  const limited = opts.limit === undefined ? shown : shown.slice(0, opts.limit);
  out.push(`VOLUMES (${count(limited.length)} of ${count(report.rows.length)}${opts.includeOk ? '' : ', ok rows hidden'})`);
  const header = ['STATUS', 'HOST', 'ROLE', 'MOUNT', 'DEVICE', 'USE', 'AVAIL', 'SIZE', 'GROWTH/D', 'FULL IN', 'REASON'];
  const rows = limited.map((r) => [
    r.status.toUpperCase() + (r.stale ? '*' : ''),
    r.host,
    r.role,
    r.mountpoint,
    r.device,
    pct(usedPctOf(r)),
    humanBytes(r.availBytes),
    humanBytes(r.sizeBytes),
    humanBytes(r.growthBytesPerDay),
    fullInText(r),
    r.reason,
  ]);
  out.push(alignTable([header, ...rows], [false, false, false, false, false, true, true, true, true, true, false]));
  out.push(...emptyHints(report, shown.length, opts.includeOk === true));
  if (limited.some((r) => r.stale)) out.push('', '* host is stale: figures are from its last report');
  return sanitiseLines(out.join('\n') + '\n');
}

/**
 * JSON rendering, format version 1. Field names are stable: snake_case, numbers as numbers, times
 * as ISO 8601 UTC. `days_until_full` is null when unknown, when the volume is not growing
 * or when its trend is pending; `full_never` tells the first two apart (true: flat or shrinking),
 * `trend_pending` the third (with `trend_span_seconds` and `trend_samples`: what the window holds). `totals` count every host once by its
 * worst volume, a stale host by its last figures (`critical_stale`, `warning_stale`: how many of those
 * are stale); a stale host's `status` is that worst status. Compact unless `pretty` (10,000 hosts
 * x 3 volumes make 12 MB compact, 17 MB indented). Control and format characters in strings are
 * JSON escapes (`\u202e`), never raw, so the text is safe to print and parses to the stored value.
 */
export function renderCapacityJson(report: CapacityReport, opts: { pretty?: boolean } = {}): string {
  return sanitiseJson(JSON.stringify(
    {
      v: 1,
      generated_at: report.generatedAt,
      window_start: report.windowStart,
      trend_window_days: report.trendWindowDays,
      summary: report.summary,
      totals: {
        hosts: report.totals.hosts,
        critical: report.totals.critical,
        warning: report.totals.warning,
        unknown: report.totals.unknown,
        ok: report.totals.ok,
        stale: report.totals.stale,
        critical_stale: report.totals.criticalStale,
        warning_stale: report.totals.warningStale,
        never_reported: report.totals.neverReported,
        volumes: report.totals.volumes,
      },
      stale: report.stale.map((s) => ({
        host: s.host,
        last_seen: s.lastSeen,
        silent_seconds: s.silentSeconds,
        interval_seconds: s.intervalSeconds,
        never_reported: s.neverReported,
        clock_skew_seconds: s.clockSkewSeconds,
        last_error: s.lastError,
        last_error_at: s.lastErrorAt,
        status: s.status,
      })),
      rows: report.rows.map((r) => ({
        host: r.host,
        role: r.role,
        mountpoint: r.mountpoint,
        device: r.device,
        fstype: r.fstype,
        status: r.status,
        reason: r.reason,
        use_pct: r.usePct,
        peak_use_pct: r.peakUsePct,
        used_bytes: r.usedBytes,
        avail_bytes: r.availBytes,
        size_bytes: r.sizeBytes,
        growth_bytes_per_day: r.growthBytesPerDay,
        days_until_full: r.daysUntilFull === Infinity ? null : r.daysUntilFull,
        full_never: r.daysUntilFull === Infinity,
        trend_pending: r.trendPending !== null,
        trend_span_seconds: r.trendPending?.spanSeconds ?? null,
        trend_samples: r.trendPending?.samples ?? null,
        stale: r.stale,
        error: r.error,
        sampled_at: r.sampledAt,
      })),
    },
    null,
    opts.pretty ? 2 : undefined,
  ));
}

/** CSV header of the capacity CSV (one row per host and volume, in report order). */
export const CAPACITY_CSV_HEADER = [
  'host', 'role', 'mountpoint', 'device', 'fstype', 'status', 'reason', 'use_pct', 'peak_use_pct', 'used_bytes', 'avail_bytes',
  'size_bytes', 'growth_bytes_per_day', 'days_until_full', 'stale', 'error', 'sampled_at',
] as const;

/** CSV of every row (RFC 4180, formula-injection guarded); days_until_full is empty when unknown, `never` when not growing, `pending` when the window holds too little data. */
export function renderCapacityCsv(report: CapacityReport): string {
  return csvDocument(
    CAPACITY_CSV_HEADER,
    report.rows.map((r) => [
      r.host, r.role, r.mountpoint, r.device, r.fstype, r.status, r.reason, r.usePct, r.peakUsePct, r.usedBytes, r.availBytes,
      r.sizeBytes, r.growthBytesPerDay === null ? null : Math.round(r.growthBytesPerDay),
      r.trendPending ? 'pending' : r.daysUntilFull === Infinity ? 'never' : r.daysUntilFull === null ? null : Math.round(r.daysUntilFull * 100) / 100,
      r.stale, r.error, r.sampledAt,
    ]),
  );
}

/** CSV header of the stale-hosts CSV. */
export const STALE_CSV_HEADER = ['host', 'never_reported', 'last_seen', 'silent_seconds', 'interval_seconds', 'clock_skew_seconds', 'last_error', 'last_error_at', 'status'] as const;

/** CSV of every stale host (never-reported hosts have no volume rows, so the volume CSV cannot show them). */
export function renderStaleCsv(report: CapacityReport): string {
  return csvDocument(
    STALE_CSV_HEADER,
    report.stale.map((s) => [s.host, s.neverReported, s.lastSeen, s.silentSeconds, s.intervalSeconds, s.clockSkewSeconds, s.lastError, s.lastErrorAt, s.status]),
  );
}

/** An inline image the HTML references as `cid:`; the caption is HTML-escaped by the renderer. */
export interface HtmlChart {
  readonly cid: string;
  readonly alt: string;
  readonly caption: string;
  readonly width: number;
  readonly height: number;
}

/** Options of the HTML email body. */
export interface CapacityHtmlOptions {
  /** Most volume rows shown (default 200); the CSV attachment has all. */
  readonly maxRows?: number;
  readonly charts?: readonly HtmlChart[];
  /** Name of the CSV attachment, mentioned when rows are cut. */
  readonly csvFilename?: string;
  /** Name of the stale-hosts CSV attachment, mentioned when the stale list is cut. */
  readonly staleCsvFilename?: string;
}

const rgb = (c: readonly [number, number, number]) => `rgb(${c[0]},${c[1]},${c[2]})`;
const STATUS_BG: Record<CapacityStatus, string> = { critical: '#fde0e0', warning: '#fff3cd', unknown: '#eeeeee', ok: '#ffffff' };
const TD = 'padding:3px 6px;border-bottom:1px solid #dddddd;font-size:13px;';
const TH = 'padding:4px 6px;border-bottom:2px solid #999999;text-align:left;font-size:13px;background:#f4f4f4;';
const NUM = 'text-align:right;white-space:nowrap;';

function cells(values: readonly string[], style: string, numeric: readonly boolean[] = []): string {
  return values.map((v, i) => `<td style="${style}${numeric[i] ? NUM : ''}">${escapeHtml(v)}</td>`).join('');
}

/**
 * A complete HTML email body: inline CSS only, tables, no scripts, all text escaped. Order: stale
 * hosts, critical/warning/unknown volumes (worst `maxRows`), counts, then charts.
 */
export function renderCapacityHtml(report: CapacityReport, opts: CapacityHtmlOptions = {}): string {
  const maxRows = opts.maxRows ?? 200;
  const t = report.totals;
  const parts: string[] = [];
  parts.push(
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>' + escapeHtml(report.summary) + '</title></head>',
    '<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;color:#222222;background:#ffffff;">',
    `<h1 style="font-size:18px;margin:0 0 4px 0;">${escapeHtml(report.summary)}</h1>`,
    `<p style="font-size:12px;color:#666666;margin:0 0 16px 0;">Generated ${escapeHtml(report.generatedAt)}; trend over ${escapeHtml(plural(report.trendWindowDays, 'day'))}.</p>`,
  );
  parts.push(`<h2 id="stale" style="font-size:16px;margin:16px 0 6px 0;color:${rgb(COLORS.critical)};">Stale hosts (${escapeHtml(count(report.stale.length))})</h2>`);
  if (report.stale.length === 0) {
    parts.push('<p style="font-size:13px;">Every host reported in time.</p>');
  } else {
    parts.push('<table role="presentation" cellspacing="0" cellpadding="0" style="border-collapse:collapse;">');
    parts.push(`<tr>${['Host', 'Last status', 'State', 'Clock', 'Last error'].map((h) => `<th style="${TH}">${h}</th>`).join('')}</tr>`);
    // A control-plane ingest outage makes every host stale: cap the list like the volume rows.
    for (const s of report.stale.slice(0, maxRows)) parts.push(`<tr data-stale="1" style="background:${STATUS_BG[s.status]};">${cells([s.host, s.status, staleText(s), skewText(s), s.lastError ?? ''], TD)}</tr>`);
    parts.push('</table>');
    if (report.stale.length > maxRows) {
      const file = opts.staleCsvFilename ? ` <b>${escapeHtml(opts.staleCsvFilename)}</b>` : '';
      parts.push(`<p style="font-size:13px;">Showing ${escapeHtml(count(maxRows))} of ${escapeHtml(count(report.stale.length))} stale hosts; the CSV attachment${file} has all.</p>`);
    }
  }
  const bad = report.rows.filter((r) => r.status !== 'ok');
  const shown = bad.slice(0, maxRows);
  parts.push(`<h2 id="volumes" style="font-size:16px;margin:20px 0 6px 0;">Volumes needing attention (${escapeHtml(count(bad.length))})</h2>`);
  if (shown.length === 0) {
    parts.push('<p style="font-size:13px;">No volume is at a threshold.</p>');
  } else {
    parts.push('<table role="presentation" cellspacing="0" cellpadding="0" style="border-collapse:collapse;">');
    parts.push(`<tr>${['Status', 'Host', 'Role', 'Mount', 'Device', 'Use', 'Avail', 'Size', 'Growth/day', 'Full in', 'Reason'].map((h) => `<th style="${TH}">${h}</th>`).join('')}</tr>`);
    for (const r of shown) {
      const vals = [r.status + (r.stale ? ' (stale)' : ''), r.host, r.role, r.mountpoint, r.device, pct(usedPctOf(r)), humanBytes(r.availBytes), humanBytes(r.sizeBytes), humanBytes(r.growthBytesPerDay), fullInText(r), r.reason];
      parts.push(`<tr style="background:${STATUS_BG[r.status]};">${cells(vals, TD, [false, false, false, false, false, true, true, true, true, true, false])}</tr>`);
    }
    parts.push('</table>');
  }
  if (bad.length > shown.length || report.rows.length > shown.length) {
    const file = opts.csvFilename ? ` <b>${escapeHtml(opts.csvFilename)}</b>` : '';
    parts.push(`<p style="font-size:13px;">Showing the worst ${escapeHtml(count(shown.length))} of ${escapeHtml(plural(bad.length, 'volume', { shown: count(bad.length) }))} needing attention; the CSV attachment${file} has all ${escapeHtml(plural(report.rows.length, 'volume', { shown: count(report.rows.length) }))}.</p>`);
  }
  parts.push('<h2 style="font-size:16px;margin:20px 0 6px 0;">Counts</h2>');
  parts.push('<table role="presentation" cellspacing="0" cellpadding="0" style="border-collapse:collapse;">');
  const countRows: [string, number][] = [
    ['Hosts', t.hosts], ['Critical', t.critical], ['Critical and stale (part of critical)', t.criticalStale], ['Warning', t.warning], ['Warning and stale (part of warning)', t.warningStale],
    ['Unknown (no figures)', t.unknown], ['OK', t.ok], ['Stale (counted above by their last figures)', t.stale], ['Never reported (part of stale and unknown)', t.neverReported], ['Volumes', t.volumes],
  ];
  for (const [k, v] of countRows) parts.push(`<tr>${cells([k, count(v)], TD, [false, true])}</tr>`);
  parts.push('</table>');
  for (const c of opts.charts ?? []) {
    parts.push(
      `<h3 style="font-size:14px;margin:20px 0 4px 0;">${escapeHtml(c.caption)}</h3>`,
      `<img src="cid:${escapeHtml(c.cid)}" alt="${escapeHtml(c.alt)}" width="${c.width}" height="${c.height}" style="display:block;border:0;">`,
    );
  }
  parts.push('</body></html>');
  return parts.join('\n');
}
