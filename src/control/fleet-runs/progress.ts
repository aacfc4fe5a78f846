/**
 * Terminal rendering for `vigia run`: the live progress line, the final summary table and the
 * process exit code. Pure string building; the caller decides where and how often to write.
 */
import { sanitiseText } from '../../core/sanitise.js';
import type { FinalRunState, HostStatus, RunCounts } from './engine.js';
import { plural } from '../../core/plural.js';

/** One host in the final summary. `exitCode` / `durationMs` are null when the host never ran or never answered. */
export interface SummaryRow {
  readonly host: string;
  readonly status: HostStatus;
  readonly exitCode: number | null;
  readonly durationMs: number | null;
  /** The host's captured output; the summary shows its last non-blank line, sanitised (core/sanitise). */
  readonly output: string;
}

/** Options of `renderSummary`. */
export interface SummaryOptions {
  /** Most host rows to print (default 20); the rest become "... and K more". */
  readonly maxRows?: number;
  /** Most characters of output per row (default 60). */
  readonly outputWidth?: number;
}

const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';
const MIN_BAR = 10;

function paint(text: string, code: string, color: boolean): string {
  return color ? `${code}${text}${RESET}` : text;
}

/** `14 s`, `3 min 20 s`, `2 h 05 min`. */
function formatEta(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

function formatRate(perSecond: number): string {
  if (perSecond >= 10) return String(Math.round(perSecond));
  return perSecond >= 1 || perSecond === 0 ? perSecond.toFixed(1) : perSecond.toFixed(2);
}

/**
 * One status line, at most `width` visible columns (ANSI colour codes, present only when `color`,
 * do not count):
 * `[#######.......] 412/1000  ok 400  err 12  in-flight 10  41 hosts/s  eta 14 s`.
 * done = succeeded + errors; the rate is done / elapsed (hosts restored from a previous process count
 * as done, so a resumed run shows a high early rate); eta = (pending + in flight) / rate, `--` while
 * nothing has finished. `skipped N` appears once hosts were left undispatched. The bar shrinks with
 * the width and disappears below 10 columns; the text is cut last.
 */
export function renderProgressLine(counts: RunCounts, elapsedMs: number, width: number, color = false): string {
  const done = counts.succeeded + counts.errors;
  const total = counts.targets;
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  const remaining = counts.pending + counts.inFlight;
  const eta = remaining === 0 ? formatEta(0) : rate > 0 ? formatEta(remaining / rate) : '--';
  const parts: Array<[plain: string, code: string | undefined]> = [
    [`${done}/${total}`, undefined],
    [`ok ${counts.succeeded}`, counts.succeeded > 0 ? GREEN : undefined],
    [`err ${counts.errors}`, counts.errors > 0 ? RED : undefined],
    [`in-flight ${counts.inFlight}`, undefined],
  ];
  if (counts.notDispatched > 0) parts.push([`skipped ${counts.notDispatched}`, undefined]);
  parts.push([`${formatRate(rate)} hosts/s`, undefined], [`eta ${eta}`, undefined]);

  const plainText = parts.map(([p]) => p).join('  ');
  const barWidth = width - plainText.length - 3; // "[" + "]" + " "
  if (barWidth < MIN_BAR) {
    // No room for a bar: plain text, cut to the width (colour would be cut mid-sequence, so none).
    return plainText.length > width ? plainText.slice(0, Math.max(0, width)) : plainText;
  }
  const filled = total === 0 ? barWidth : Math.min(barWidth, Math.floor((done / total) * barWidth));
  const bar = paint('#'.repeat(filled), counts.errors > 0 ? RED : GREEN, color && filled > 0) + '.'.repeat(barWidth - filled);
  const text = parts.map(([p, code]) => (code ? paint(p, code, color) : p)).join('  ');
  return `[${bar}] ${text}`;
}

/** Display order in the summary: problems first. */
const STATUS_RANK: Record<HostStatus, number> = {
  failed: 0,
  timed_out: 1,
  rejected: 2,
  not_dispatched: 3,
  in_flight: 4,
  pending: 5,
  succeeded: 6,
};

/**
 * Remote output is untrusted: keep the last non-blank line, collapse tabs and spaces, show every
 * other control or format character as a visible escape (core/sanitise: an ESC sequence could
 * rewrite the operator's terminal, U+202E reorder what they read) and cut to `max` characters.
 */
function outputCell(output: string, max: number): string {
  const lines = output.split(/\r\n|\r|\n/).map((l) => sanitiseText(l.replace(/[\t ]+/g, ' ').trim()));
  const last = lines.filter((l) => l !== '').pop() ?? '';
  const chars = [...last];
  return chars.length > max ? `${chars.slice(0, Math.max(0, max - 1)).join('')}…` : last;
}

/**
 * The live line `vigia run` prints for a host that did not succeed: `host: state (exit N) last
 * output line`, at most `max` characters of output, host and output through core/sanitise (a host's
 * output streams to the operator's terminal as the run goes).
 */
export function renderResultLine(r: { readonly host: string; readonly state: string; readonly exit_code: number | null; readonly output: string }, max = 200): string {
  return `${sanitiseText(r.host)}: ${sanitiseText(r.state)}${r.exit_code !== null ? ` (exit ${r.exit_code})` : ''} ${outputCell(r.output, max)}`.trimEnd();
}

function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * A plain-text table (HOST, STATUS, EXIT, DURATION, OUTPUT; columns padded to align) of at most
 * `maxRows` hosts, failed ones first (then timed out, rejected, not dispatched, in flight, pending,
 * succeeded; by host name within a status), then "... and K more" when rows were cut, then the totals:
 * `succeeded 990, failed 3, timed out 1, not dispatched 6 of 1000 hosts` (rejected, in flight and
 * pending are added only when non-zero). No colour; lines end with "\n".
 */
export function renderSummary(rows: readonly SummaryRow[], counts: RunCounts, opts: SummaryOptions = {}): string {
  const maxRows = Math.max(0, opts.maxRows ?? 20);
  const outputWidth = Math.max(1, opts.outputWidth ?? 60);
  const sorted = [...rows].sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const shown = sorted.slice(0, maxRows);
  const lines: string[] = [];
  if (shown.length > 0) {
    const table = [
      ['HOST', 'STATUS', 'EXIT', 'DURATION', 'OUTPUT'],
      ...shown.map((r) => [
        sanitiseText(r.host),
        r.status.replace('_', ' '),
        r.exitCode === null ? '-' : String(r.exitCode),
        formatDuration(r.durationMs),
        outputCell(r.output, outputWidth),
      ]),
    ];
    const widths = table[0]!.map((_, col) => Math.max(...table.map((row) => row[col]!.length)));
    for (const row of table) lines.push(row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ').trimEnd());
  }
  if (sorted.length > shown.length) lines.push(`... and ${sorted.length - shown.length} more`);
  const totals = [`succeeded ${counts.succeeded}`, `failed ${counts.failed}`, `timed out ${counts.timedOut}`];
  if (counts.rejected > 0) totals.push(`rejected ${counts.rejected}`);
  if (counts.inFlight > 0) totals.push(`in flight ${counts.inFlight}`);
  if (counts.pending > 0) totals.push(`pending ${counts.pending}`);
  totals.push(`not dispatched ${counts.notDispatched}`);
  lines.push(`${totals.join(', ')} of ${plural(counts.targets, 'host')}`);
  return lines.map((l) => `${l}\n`).join('');
}

/**
 * The exit code of `vigia run` for a finished run:
 * 0 every target succeeded; 1 some host failed, timed out or was rejected but max-errors was not
 * exceeded (the run went to the end); 2 the run was stopped because errors exceeded max-errors;
 * 3 the operator cancelled it.
 */
export function exitCodeFor(state: FinalRunState, counts: RunCounts): 0 | 1 | 2 | 3 {
  if (state === 'cancelled') return 3;
  if (counts.errors > counts.maxErrors) return 2;
  return state === 'succeeded' ? 0 : 1;
}
