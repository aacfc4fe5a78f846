/**
 * Terminal renderings of a rollout: its status (one progress bar per wave) and the drift table
 * (which release runs where, and the stuck hosts with why). Pure: a view in, a string out. Plain
 * text unless `color` is set; control and format characters from host names and reasons are shown
 * as visible escapes (core/sanitise) so that a hostile host cannot drive the operator's terminal or
 * reorder what they read.
 */
import { sanitiseText } from '../../core/sanitise.js';
import { count } from '../reports/format.js';
import type { RolloutState } from './state.js';
import { plural } from '../../core/plural.js';

/** Progress of one wave (wave 0-based; hosts as the view builder counts them). */
export interface WaveProgressView {
  readonly wave: number;
  readonly percent: number;
  readonly hosts: number;
  readonly applied: number;
  readonly failed: number;
  readonly stuck: number;
  /** Hosts of the wave that never polled (counted apart; absent from an older control plane). */
  readonly neverPolled?: number;
}

/** Everything renderRolloutStatus shows. Times are ms since the epoch or preformatted strings. */
export interface RolloutStatusView {
  readonly id: string | number;
  readonly bundle: string;
  readonly release: number;
  readonly previousRelease: number | null;
  readonly state: RolloutState;
  readonly waves: readonly number[];
  /** 0-based index of the wave reached. */
  readonly currentWave: number;
  readonly perWave: readonly WaveProgressView[];
  readonly installFailureRate: number;
  readonly checkFailureRate: number;
  readonly baselineRate: number;
  readonly startedAt: number | string;
  readonly updatedAt: number | string;
  /** The last gate or operator reason; empty for none. */
  readonly reason: string;
  /**
   * Which enrolled hosts the counts cover (model.ts RolloutHostCoverage); absent in the answer of a
   * control plane older than this field, which is then not mentioned.
   */
  readonly hosts?: { readonly counted: number; readonly neverPolled: number; readonly outside?: number };
  /** The `--where` it was published with (null or absent: every enrolled host). */
  readonly selector?: Readonly<Record<string, string>> | null;
}

/** A host that did not converge, and why (`install failed: signature`, `not polled for 12 min`). */
export interface StuckHostView {
  readonly host: string;
  readonly reason: string;
  /** When the host last reported (ms or preformatted); null if never. */
  readonly lastSeen: number | string | null;
}

/** One row of the drift table: hosts running `release` (null: no bundle). */
export interface DriftRowView {
  readonly release: number | null;
  readonly hosts: number;
  readonly stuck: readonly StuckHostView[];
}

/** Rendering options. */
export interface RenderOptions {
  /** ANSI colours (default false: plain text for logs, pipes and tests). */
  readonly color?: boolean;
  /** Characters of a progress bar (default 20). */
  readonly barWidth?: number;
  /** Most stuck hosts listed by renderDrift (default 50); the rest are counted. */
  readonly stuckLimit?: number;
}

const ANSI = { red: 31, green: 32, yellow: 33, blue: 34, cyan: 36, dim: 2, bold: 1 } as const;
type Paint = keyof typeof ANSI;

const STATE_COLOR: Record<RolloutState, Paint> = {
  running: 'cyan',
  paused: 'yellow',
  rolling_back: 'red',
  rolled_back: 'red',
  completed: 'green',
  superseded: 'dim',
};

const safe = sanitiseText;

function when(t: number | string | null): string {
  if (t === null) return 'never';
  return typeof t === 'number' ? new Date(t).toISOString() : safe(t);
}

function rel(r: number | null): string {
  return r === null ? 'none' : String(r);
}

function rate(r: number): string {
  return Number.isFinite(r) ? `${(r * 100).toFixed(1)} %` : '-';
}

/** A cell padded to its column, then painted, so colours never shift the alignment. */
interface Cell {
  readonly text: string;
  readonly right?: boolean;
  readonly paint?: Paint | undefined;
}

function table(rows: readonly (readonly Cell[])[], color: boolean): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.text.length)));
  return rows.map((r) =>
    r
      .map((c, i) => {
        const padded = c.right ? c.text.padStart(widths[i] ?? 0) : i === r.length - 1 ? c.text : c.text.padEnd(widths[i] ?? 0);
        return color && c.paint && c.text ? `\u001b[${ANSI[c.paint]}m${padded}\u001b[0m` : padded;
      })
      .join('  ')
      .trimEnd(),
  );
}

/**
 * A progress bar of `width` cells: `#` applied, `!` failed, `?` stuck, `.` pending. A non-zero
 * failed or stuck count always shows at least one cell; the bar is full only when nothing is pending.
 */
export function progressBar(p: { hosts: number; applied: number; failed: number; stuck: number }, width = 20): string {
  const n = Math.max(p.hosts, p.applied + p.failed + p.stuck);
  if (n === 0) return `[${' '.repeat(width)}]`;
  const cells = (v: number): number => (v > 0 ? Math.max(1, Math.round((v / n) * width)) : 0);
  let failed = Math.min(cells(p.failed), width);
  let stuck = Math.min(cells(p.stuck), width - failed);
  const pending = n - p.applied - p.failed - p.stuck;
  let applied = pending > 0 ? Math.min(cells(p.applied), width - failed - stuck - 1) : width - failed - stuck;
  if (applied < 0) {
    // Tiny bar: keep at least one pending cell by giving up a failed/stuck cell.
    applied = 0;
    if (stuck > 0) stuck--;
    else failed--;
  }
  const rest = width - failed - stuck - applied;
  return `[${'#'.repeat(applied)}${'!'.repeat(failed)}${'?'.repeat(stuck)}${'.'.repeat(rest)}]`;
}

/**
 * The status of one rollout: a header (id, bundle, releases, state; `(no host)` after the state of a
 * rollout that counts no host, `(nothing applied)` after a completion no host applied), the reason, a hosts line when enrolled hosts never polled or none was
 * counted, one line per wave
 * (`wave 2  10 %  1,000 hosts  [####....]  640 applied  2 failed  0 stuck  <- current`, with an
 * `N never polled` column when some host never polled), the rates
 * the gate compared, and the times. Waves are shown 1-based.
 */
export function renderRolloutStatus(view: RolloutStatusView, opts: RenderOptions = {}): string {
  const color = opts.color === true;
  const width = opts.barWidth ?? 20;
  const paint = (p: Paint, s: string): string => (color ? `\u001b[${ANSI[p]}m${s}\u001b[0m` : s);
  const empty = view.hosts !== undefined && view.hosts.counted === 0;
  const nothingApplied = !empty && view.state === 'completed' && view.perWave.every((w) => w.applied === 0);
  // A rollout that "completes" without installing anything never reads as a plain success.
  const note = empty ? ' (no host)' : nothingApplied ? ' (nothing applied)' : '';
  const state = `${view.state.replace('_', ' ')}${note}`;
  const out = [
    `rollout ${safe(String(view.id))}  bundle ${safe(view.bundle)}  release ${rel(view.previousRelease)} -> ${view.release}  ${paint(note ? 'yellow' : STATE_COLOR[view.state], state)}`,
  ];
  if (view.reason) out.push(`reason: ${safe(view.reason)}`);
  if (view.selector) {
    const where = Object.entries(view.selector).map(([k, v]) => `${k}=${v}`).join(',');
    out.push(`selection: --where ${safe(where)}; ${count(view.hosts?.outside ?? 0)} other ${(view.hosts?.outside ?? 0) === 1 ? 'host stays' : 'hosts stay'} on their release`);
  }
  if (empty) out.push(paint('yellow', 'hosts: none counted: no enrolled host when it was published, so it was installed nowhere'));
  else if (view.hosts && view.hosts.neverPolled > 0) {
    out.push(paint('yellow', `hosts: ${count(view.hosts.neverPolled)} of ${count(view.hosts.counted)} enrolled hosts never polled: counted apart, they neither pass nor hold a wave (see rollout drift)`));
  }
  const active = view.state === 'running' || view.state === 'paused';
  // The column appears only when some host never polled, so the common case reads as before.
  const anyNever = view.perWave.some((w) => (w.neverPolled ?? 0) > 0);
  const rows: Cell[][] = view.perWave.map((w) => [
    { text: `wave ${w.wave + 1}` },
    { text: `${w.percent} %`, right: true },
    { text: plural(w.hosts, 'host', { shown: count(w.hosts) }), right: true },
    { text: progressBar(w, width), paint: w.failed > 0 ? 'red' : w.stuck > 0 ? 'yellow' : w.applied >= w.hosts && w.hosts > 0 ? 'green' : undefined },
    { text: `${count(w.applied)} applied`, right: true },
    { text: `${count(w.failed)} failed`, right: true, paint: w.failed > 0 ? 'red' : undefined },
    { text: `${count(w.stuck)} stuck`, right: true, paint: w.stuck > 0 ? 'yellow' : undefined },
    ...(anyNever ? [{ text: `${count(w.neverPolled ?? 0)} never polled`, right: true, paint: (w.neverPolled ?? 0) > 0 ? ('dim' as const) : undefined }] : []),
    { text: active && w.wave === view.currentWave ? '<- current' : '', paint: 'bold' },
  ]);
  out.push(...table(rows, color));
  out.push(
    `install failures ${rate(view.installFailureRate)}  checks failing ${rate(view.checkFailureRate)} (baseline ${rate(view.baselineRate)})`,
    `waves ${view.waves.map((p) => `${p} %`).join(', ')}  started ${when(view.startedAt)}  updated ${when(view.updatedAt)}`,
  );
  return `${out.join('\n')}\n`;
}

/**
 * The drift table: hosts per release (newest first, `none` last) with their stuck count and a total,
 * then the stuck hosts (by name, at most opts.stuckLimit) with their release, last report and why.
 */
export function renderDrift(rows: readonly DriftRowView[], opts: RenderOptions = {}): string {
  const color = opts.color === true;
  const limit = opts.stuckLimit ?? 50;
  const sorted = [...rows].sort((a, b) => (a.release === b.release ? 0 : a.release === null ? 1 : b.release === null ? -1 : b.release - a.release));
  const totalHosts = sorted.reduce((s, r) => s + r.hosts, 0);
  const totalStuck = sorted.reduce((s, r) => s + r.stuck.length, 0);
  const head: Cell[] = [{ text: 'release' }, { text: 'hosts', right: true }, { text: 'stuck', right: true }];
  const body: Cell[][] = sorted.map((r) => [
    { text: rel(r.release) },
    { text: count(r.hosts), right: true },
    { text: count(r.stuck.length), right: true, paint: r.stuck.length > 0 ? 'yellow' : undefined },
  ]);
  const out = table([head, ...body, [{ text: 'total' }, { text: count(totalHosts), right: true }, { text: count(totalStuck), right: true }]], color);
  if (totalStuck === 0) {
    out.push('', 'no stuck hosts');
    return `${out.join('\n')}\n`;
  }
  const stuck = sorted
    .flatMap((r) => r.stuck.map((s) => ({ ...s, release: r.release })))
    .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const shown = stuck.slice(0, limit);
  out.push('', `stuck hosts (${count(totalStuck)})`);
  out.push(
    ...table(
      [
        [{ text: 'host' }, { text: 'release' }, { text: 'last seen' }, { text: 'why' }],
        ...shown.map((s): Cell[] => [{ text: safe(s.host) }, { text: rel(s.release) }, { text: when(s.lastSeen) }, { text: safe(s.reason), paint: 'yellow' }]),
      ],
      color,
    ),
  );
  if (stuck.length > shown.length) out.push(`... and ${count(stuck.length - shown.length)} more`);
  return `${out.join('\n')}\n`;
}

/**
 * What `rollout status --watch` writes for a new frame `next` after `prev` (undefined: the first).
 * On a terminal: clear the screen and redraw. Elsewhere (CI logs, pipes) a clear code is noise and a
 * full block every second buries the one line that changed, so only a changed frame is written, and
 * null says to write nothing.
 */
export function watchFrame(prev: string | undefined, next: string, tty: boolean): string | null {
  if (tty) return `\u001b[H\u001b[2J${next}`;
  return prev === next ? null : next;
}
