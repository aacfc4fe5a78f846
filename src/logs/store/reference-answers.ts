/**
 * The answers of every LogStore question computed the plainest way, over an in-memory array of records:
 * the golden reference of the contract suite (log-store.contract.ts). It is the executable statement of the
 * ordering and counting rules that log-store.ts describes in words, so every engine must give exactly this
 * JSON. Pure; no engine code is shared with it on purpose (an engine bug must not hide in both).
 *
 * Rules (the contract every engine follows):
 * - a range is [from, to) on `ts`; `prefix` means the stored url starts with the asked one (no wildcards:
 *   '%' and '_' are plain characters);
 * - ties in a ranking break on the key ascending, compared as UTF-8 bytes (what DuckDB and ClickHouse do);
 * - times are ISO-8601 UTC with milliseconds; a minute is floor(ts / 60 000) * 60 000;
 * - unique visitors: distinct (client, UTC day, agent); bots: agents for which isBot() holds, by agent.
 */
import type { AccessRecord } from '../record.js';
import { isBot } from './bots.js';
import type {
  OverviewResult, SeriesQuery, SeriesResult, StatusMix, TimeRange, TopBy, TopQuery, TopResult,
  VisitsQuery, VisitsResult, WhoQuery, WhoResult,
} from './log-store.js';

type Row = { readonly key: string; readonly hits: number };

/** UTF-8 byte order of two strings (JS `<` compares UTF-16 units, which differs above U+FFFF). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The status class a status counts in (StatusMix keys). */
export function statusClass(status: number): keyof StatusMix {
  if (status >= 100 && status <= 199) return '1xx';
  if (status >= 200 && status <= 299) return '2xx';
  if (status >= 300 && status <= 399) return '3xx';
  if (status >= 400 && status <= 499) return '4xx';
  if (status >= 500 && status <= 599) return '5xx';
  return 'other';
}

const iso = (ms: number): string => new Date(ms).toISOString();
const inRange = (r: TimeRange) => (x: AccessRecord): boolean => x.ts >= r.from && x.ts < r.to;
const urlMatch = (url: string, prefix: boolean) => (x: AccessRecord): boolean => (prefix ? x.url.startsWith(url) : x.url === url);

/** Key of a record for `top <by>`; undefined where the record does not count ('' referrers and agents). */
export function topKey(by: TopBy, x: AccessRecord): string | undefined {
  switch (by) {
    case 'ips': return x.client;
    case 'urls': return x.url;
    case 'status': return String(x.status);
    case 'referrers': return x.referrer === '' ? undefined : x.referrer;
    case 'agents': return x.agent === '' ? undefined : x.agent;
    case 'hosts': return x.server;
  }
}

function rank(keys: Iterable<string>, limit: number): Row[] {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([key, hits]) => ({ key, hits }))
    .sort((a, b) => b.hits - a.hits || compareUtf8(a.key, b.key))
    .slice(0, limit);
}

interface Group { hits: number; first: number; last: number; status: Record<keyof StatusMix, number> }

function groupBy(records: readonly AccessRecord[], key: (x: AccessRecord) => string): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const x of records) {
    const k = key(x);
    let g = groups.get(k);
    if (!g) {
      g = { hits: 0, first: x.ts, last: x.ts, status: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, other: 0 } };
      groups.set(k, g);
    }
    g.hits++;
    g.first = Math.min(g.first, x.ts);
    g.last = Math.max(g.last, x.ts);
    g.status[statusClass(x.status)]++;
  }
  return groups;
}

function ranked(groups: Map<string, Group>, limit: number): [string, Group][] {
  return [...groups].sort(([ka, a], [kb, b]) => b.hits - a.hits || compareUtf8(ka, kb)).slice(0, limit);
}

/** WhoQuery answered over `records`. */
export function referenceWho(records: readonly AccessRecord[], q: WhoQuery): WhoResult {
  const hits = records.filter(inRange(q)).filter(urlMatch(q.url, q.prefix));
  const clients = ranked(groupBy(hits, (x) => x.client), q.limit)
    .map(([ip, g]) => ({ ip, hits: g.hits, first_seen: iso(g.first), last_seen: iso(g.last), status: { ...g.status } }));
  return { url: q.url, clients };
}

/** TopQuery answered over `records`. */
export function referenceTop(records: readonly AccessRecord[], q: TopQuery): TopResult {
  const keys = records.filter(inRange(q)).map((x) => topKey(q.by, x)).filter((k): k is string => k !== undefined);
  return { by: q.by, rows: rank(keys, q.limit) };
}

/** VisitsQuery answered over `records`. */
export function referenceVisits(records: readonly AccessRecord[], q: VisitsQuery): VisitsResult {
  const hits = records.filter(inRange(q)).filter((x) => x.client === q.ip);
  const urls = ranked(groupBy(hits, (x) => x.url), q.limit)
    .map(([url, g]) => ({ url, hits: g.hits, first_seen: iso(g.first), last_seen: iso(g.last), status: { ...g.status } }));
  return { ip: q.ip, urls };
}

/** SeriesQuery answered over `records`. */
export function referenceSeries(records: readonly AccessRecord[], q: SeriesQuery): SeriesResult {
  let hits = records.filter(inRange(q));
  if (q.url !== undefined) hits = hits.filter(urlMatch(q.url, q.prefix ?? false));
  if (q.ip !== undefined) hits = hits.filter((x) => x.client === q.ip);
  if (q.status !== undefined) hits = hits.filter((x) => x.status === q.status);
  const perMinute = new Map<number, number>();
  for (const x of hits) {
    const m = Math.floor(x.ts / 60_000) * 60_000;
    perMinute.set(m, (perMinute.get(m) ?? 0) + 1);
  }
  const points = [...perMinute].sort(([a], [b]) => a - b).map(([t, n]) => ({ t: iso(t), hits: n }));
  return { step_seconds: 60, points };
}

/** The overview of `records` in the range, every list cut to `limit` rows. */
export function referenceOverview(records: readonly AccessRecord[], q: TimeRange & { readonly limit: number }): OverviewResult {
  const hits = records.filter(inRange(q));
  const visitors = new Set(hits.map((x) => JSON.stringify([x.client, iso(x.ts).slice(0, 10), x.agent])));
  const hourly = new Array<number>(24).fill(0);
  for (const x of hits) hourly[new Date(x.ts).getUTCHours()]!++;
  let first = Infinity;
  let last = -Infinity;
  for (const x of hits) {
    first = Math.min(first, x.ts);
    last = Math.max(last, x.ts);
  }
  return {
    requests: hits.length,
    unique_visitors: visitors.size,
    bytes: hits.reduce((s, x) => s + x.bytes, 0),
    first: hits.length ? iso(first) : null,
    last: hits.length ? iso(last) : null,
    status: rank(hits.map((x) => String(x.status)), q.limit),
    top_urls: rank(hits.map((x) => x.url), q.limit),
    not_found: rank(hits.filter((x) => x.status === 404).map((x) => x.url), q.limit),
    referrers: rank(hits.filter((x) => x.referrer !== '').map((x) => x.referrer), q.limit),
    agents: rank(hits.filter((x) => x.agent !== '').map((x) => x.agent), q.limit),
    bots: rank(hits.filter((x) => isBot(x.agent)).map((x) => x.agent), q.limit),
    hourly,
  };
}
