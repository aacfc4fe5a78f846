/**
 * The answers of `vigia logs who | top | visits | series` as the user asked for them: `json` is exactly the
 * LogStore result (log-store.ts) made safe to print, `csv` one row per client/key/URL/minute with every
 * field (core/csv: formula guard, control characters made visible), `table` aligned for a person, with a
 * line saying so when nothing matched or when `--limit` cut the list. Pure.
 */
import { csvDocument } from '../../core/csv.js';
import { plural } from '../../core/plural.js';
import { sanitiseJson, sanitiseText } from '../../core/sanitise.js';
import type { SeriesResult, StatusMix, TopBy, TopResult, VisitsResult, WhoResult } from '../store/log-store.js';
import { renderTable } from './text-table.js';

/** Output formats of every question. */
export const ANSWER_FORMATS = Object.freeze(['table', 'json', 'csv'] as const);

/** One of ANSWER_FORMATS. */
export type AnswerFormat = (typeof ANSWER_FORMATS)[number];

/** What the table's notes need to know about the question: the range in words and the limit asked for. */
export interface AnswerContext {
  readonly describe: string;
  readonly limit?: number;
}

/** JSON as the LogStore answered it, two-space indented, with the characters a terminal would run escaped (core/sanitise). */
export function renderJson(result: unknown): string {
  return `${sanitiseJson(JSON.stringify(result, null, 2))}\n`;
}

/** `2026-12-07T03:04:05.000Z` -> `2026-12-07 03:04:05` (the table's header says UTC). */
export function tableTime(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : iso;
}

const MIX_KEYS = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;
const mixCells = (m: StatusMix): number[] => [m['2xx'], m['3xx'], m['4xx'], m['5xx'], m['1xx'] + m.other];
const MIX_COLUMNS = [
  { header: '2XX', right: true },
  { header: '3XX', right: true },
  { header: '4XX', right: true },
  { header: '5XX', right: true },
  { header: 'OTHER', right: true },
] as const;

function limitNote(shown: number, ctx: AnswerContext, what: string): string {
  return ctx.limit !== undefined && shown >= ctx.limit ? `(the first ${plural(shown, what)} by hits; --limit ${ctx.limit} cut the list, raise it to see more)\n` : '';
}

/** `vigia logs who`: the clients of a URL (or of every URL under a prefix). */
export function renderWho(r: WhoResult, format: AnswerFormat, ctx: AnswerContext & { readonly prefix: boolean }): string {
  if (format === 'json') return renderJson(r);
  if (format === 'csv') {
    return csvDocument(['ip', 'hits', 'first_seen', 'last_seen', ...MIX_KEYS], r.clients.map((c) => [c.ip, c.hits, c.first_seen, c.last_seen, ...MIX_KEYS.map((k) => c.status[k])]));
  }
  const what = `${ctx.prefix ? 'URLs under ' : ''}${sanitiseText(r.url)}`;
  if (r.clients.length === 0) return `no client visited ${what} ${ctx.describe}\n`;
  const hits = r.clients.reduce((n, c) => n + c.hits, 0);
  const table = renderTable(
    [{ header: 'CLIENT', max: 45 }, { header: 'HITS', right: true }, { header: 'FIRST SEEN (UTC)' }, { header: 'LAST SEEN (UTC)' }, ...MIX_COLUMNS],
    r.clients.map((c) => [c.ip, c.hits, tableTime(c.first_seen), tableTime(c.last_seen), ...mixCells(c.status)]),
  );
  return `${table}${plural(r.clients.length, 'client')} visited ${what} ${ctx.describe} (${plural(hits, 'hit')} shown)\n${limitNote(r.clients.length, ctx, 'client')}`;
}

const TOP_HEADER: Readonly<Record<TopBy, string>> = Object.freeze({ ips: 'CLIENT', urls: 'URL', status: 'STATUS', referrers: 'REFERRER', agents: 'USER AGENT', hosts: 'SERVER' });
const TOP_WORD: Readonly<Record<TopBy, string>> = Object.freeze({ ips: 'client', urls: 'URL', status: 'status code', referrers: 'referrer', agents: 'user agent', hosts: 'server' });

/** `vigia logs top <by>`: keys by hits. */
export function renderTop(r: TopResult, format: AnswerFormat, ctx: AnswerContext): string {
  if (format === 'json') return renderJson(r);
  if (format === 'csv') return csvDocument(['key', 'hits'], r.rows.map((row) => [row.key, row.hits]));
  if (r.rows.length === 0) return `no hits ${ctx.describe}${r.by === 'referrers' || r.by === 'agents' ? ` with a ${TOP_WORD[r.by]}` : ''}\n`;
  const table = renderTable([{ header: TOP_HEADER[r.by], max: 100 }, { header: 'HITS', right: true }], r.rows.map((row) => [row.key, row.hits]));
  return `${table}${limitNote(r.rows.length, ctx, TOP_WORD[r.by])}`;
}

/** `vigia logs visits`: the URLs one client visited. */
export function renderVisits(r: VisitsResult, format: AnswerFormat, ctx: AnswerContext): string {
  if (format === 'json') return renderJson(r);
  if (format === 'csv') {
    return csvDocument(['url', 'hits', 'first_seen', 'last_seen', ...MIX_KEYS], r.urls.map((u) => [u.url, u.hits, u.first_seen, u.last_seen, ...MIX_KEYS.map((k) => u.status[k])]));
  }
  if (r.urls.length === 0) return `client ${sanitiseText(r.ip)} visited nothing ${ctx.describe}\n`;
  const table = renderTable(
    [{ header: 'URL', max: 80 }, { header: 'HITS', right: true }, { header: 'FIRST SEEN (UTC)' }, { header: 'LAST SEEN (UTC)' }, ...MIX_COLUMNS],
    r.urls.map((u) => [u.url, u.hits, tableTime(u.first_seen), tableTime(u.last_seen), ...mixCells(u.status)]),
  );
  return `${table}${limitNote(r.urls.length, ctx, 'URL')}`;
}

const BAR_WIDTH = 40;

/** `vigia logs series`: hits per minute (minutes without hits are left out, as the store answers), with a bar for the eye. */
export function renderSeries(r: SeriesResult, format: AnswerFormat, ctx: AnswerContext): string {
  if (format === 'json') return renderJson(r);
  if (format === 'csv') return csvDocument(['t', 'hits'], r.points.map((p) => [p.t, p.hits]));
  if (r.points.length === 0) return `no hits ${ctx.describe}\n`;
  const max = Math.max(...r.points.map((p) => p.hits));
  const table = renderTable(
    [{ header: 'MINUTE (UTC)' }, { header: 'HITS', right: true }, { header: '' }],
    r.points.map((p) => [tableTime(p.t).slice(0, 16), p.hits, '#'.repeat(Math.max(1, Math.round((p.hits / max) * BAR_WIDTH)))]),
  );
  const total = r.points.reduce((n, p) => n + p.hits, 0);
  return `${table}${plural(total, 'hit')} in ${plural(r.points.length, 'minute')} with hits ${ctx.describe}\n`;
}
