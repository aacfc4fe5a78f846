/**
 * What the logs page is asked (pure): the time range (a preset such as `24h`, or `from`/`to` as UTC
 * `YYYY-MM-DDTHH:MM`), the "who visited this URL" box (`url`, `prefix`), and the per-minute series
 * filled and downsampled for its chart. Anything malformed falls back to the default with a note,
 * never an error page: the query string is whatever a user typed or pasted.
 */
import { MAX_QUERY_URL, type SeriesResult } from '../../../core/contracts/logs-query.js';
import { downsampleMinMax } from '../downsample.js';

/** The preset ranges offered, in order, and their length. */
export const RANGE_PRESETS: ReadonlyArray<readonly [string, number]> = Object.freeze([
  ['1h', 3_600_000], ['6h', 6 * 3_600_000], ['24h', 86_400_000], ['7d', 7 * 86_400_000], ['30d', 30 * 86_400_000],
] as const);
/** The range when none is chosen. */
export const DEFAULT_RANGE = '24h';
/** Longest custom range: a per-minute chart of more than a month says little and costs a large answer. */
export const MAX_RANGE_MS = 31 * 86_400_000;
/** Most points the per-minute chart draws (min/max downsampled on the server). */
export const MAX_SERIES_POINTS = 1500;

/** A parsed view of the logs page. */
export interface LogsView {
  readonly from: number;
  readonly to: number;
  /** The preset in use, or `custom`. */
  readonly range: string;
  /** The URL of the who box, when one was asked. */
  readonly url: string | null;
  readonly prefix: boolean;
  /** What was not understood and replaced by a default (shown to the user). */
  readonly notes: readonly string[];
}

const MINUTE = 60_000;

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** `2026-12-01T07:30` (UTC, as `<input type="datetime-local">` sends it) to ms; undefined when malformed. */
export function parseUtcMinute(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2})?$/.exec(text);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  // Date.UTC rolls 2026-02-30 over into March: refuse what does not round-trip.
  return new Date(t).toISOString().slice(0, 16) === text.slice(0, 16) ? t : undefined;
}

/** The form value of a time (UTC, minutes). */
export function utcMinute(t: number): string {
  return new Date(t).toISOString().slice(0, 16);
}

/** Parse the page's query string against `now`. */
export function parseLogsView(query: Readonly<Record<string, string | string[]>>, now: number): LogsView {
  const notes: string[] = [];
  const end = Math.floor(now / MINUTE) * MINUTE + MINUTE;
  let range = one(query.range) ?? DEFAULT_RANGE;
  const to = end;
  const rawFrom = one(query.from);
  const rawTo = one(query.to);
  if (range === 'custom' || (rawFrom !== undefined && rawFrom !== '' && query.range === undefined)) {
    const f = rawFrom ? parseUtcMinute(rawFrom) : undefined;
    const t = rawTo ? parseUtcMinute(rawTo) : end;
    if (f === undefined || t === undefined || t <= f || t - f > MAX_RANGE_MS) {
      notes.push(`the range from "${(rawFrom ?? '').slice(0, 40)}" to "${(rawTo ?? '').slice(0, 40)}" is not a range of at most 31 days (UTC, YYYY-MM-DDTHH:MM): showing the last ${DEFAULT_RANGE}`);
      range = DEFAULT_RANGE;
    } else {
      return { ...who(query, notes), from: f, to: t, range: 'custom', notes };
    }
  }
  const preset = RANGE_PRESETS.find(([name]) => name === range);
  if (!preset) {
    notes.push(`unknown range "${range.slice(0, 20)}": showing the last ${DEFAULT_RANGE}`);
    range = DEFAULT_RANGE;
  }
  const from = to - (preset ?? RANGE_PRESETS.find(([n]) => n === DEFAULT_RANGE)!)[1];
  return { ...who(query, notes), from, to, range, notes };
}

function who(query: Readonly<Record<string, string | string[]>>, notes: string[]): { url: string | null; prefix: boolean } {
  let url = one(query.url)?.trim() ?? '';
  if (url.length > MAX_QUERY_URL) {
    notes.push(`the URL is longer than ${MAX_QUERY_URL} characters: not asked`);
    url = '';
  }
  // People paste whole links; the store keeps paths without host or query string.
  const link = /^https?:\/\/[^/?#]*(.*)$/i.exec(url);
  if (link) url = link[1] === '' ? '/' : link[1]!;
  const q = url.search(/[?#]/);
  if (q >= 0) url = url.slice(0, q) || '/';
  return { url: url === '' ? null : url, prefix: one(query.prefix) === '1' };
}

/**
 * Hits per minute over [from, to) as chart data: minutes without hits are zeros (the collector leaves
 * them out), x in unix seconds, at most `maxPoints` points (min/max per bucket keeps the peaks).
 */
export function minuteSeries(s: SeriesResult, from: number, to: number, maxPoints = MAX_SERIES_POINTS): { x: number[]; y: (number | null)[] } {
  const start = Math.floor(from / MINUTE) * MINUTE;
  const n = Math.max(0, Math.ceil((to - start) / MINUTE));
  const y = new Array<number>(n).fill(0);
  for (const p of s.points) {
    const i = Math.floor((Date.parse(p.t) - start) / MINUTE);
    if (i >= 0 && i < n) y[i] = (y[i] ?? 0) + p.hits;
  }
  const x = Array.from({ length: n }, (_, i) => (start + i * MINUTE) / 1000);
  return downsampleMinMax({ x, y }, maxPoints);
}
