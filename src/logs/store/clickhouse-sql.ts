/**
 * The SQL of every LogStore question for ClickHouse, and the mapping of its JSONEachRow rows to the
 * LogStore answers. Pure. Every value from input is a `{name:Type}` placeholder sent as `param_<name>`;
 * the only text spliced is the table name (validated identifiers, clickhouse-schema.ts) and fixed
 * fragments chosen from this file. The ordering rules are those of reference-answers.ts: hits descending,
 * ties by key as UTF-8 bytes ascending (ClickHouse compares String bytewise).
 */
import type {
  OverviewResult, SeriesQuery, StatusMix, TimeRange, TopBy, TopQuery, VisitsQuery, WhoQuery,
} from './log-store.js';

/** Query parameters: name -> value, every one typed by its placeholder. */
export type SqlParams = Readonly<Record<string, string | number>>;

/** A statement and its parameters. */
export interface Statement {
  readonly sql: string;
  readonly params: SqlParams;
}

/** A row as ClickHouse's JSONEachRow gives it (64-bit integers may be quoted, as servers do by default). */
export type Row = Readonly<Record<string, unknown>>;

const RANGE = "ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')";
const URL_MATCH = (prefix: boolean): string => (prefix ? 'startsWith(url, {url:String})' : 'url = {url:String}');
const STATUS_MIX = `countIf(status BETWEEN 100 AND 199) AS s1, countIf(status BETWEEN 200 AND 299) AS s2,
  countIf(status BETWEEN 300 AND 399) AS s3, countIf(status BETWEEN 400 AND 499) AS s4,
  countIf(status BETWEEN 500 AND 599) AS s5, countIf(status < 100 OR status > 599) AS so`;
const GROUP_COLUMNS = `count() AS hits, toUnixTimestamp64Milli(min(ts)) AS first_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms, ${STATUS_MIX}`;

/** The expression each `top <by>` ranks, and the filter that leaves out empty values. */
const TOP_KEYS: Readonly<Record<TopBy, { key: string; where: string }>> = Object.freeze({
  ips: { key: 'client', where: '' },
  urls: { key: 'url', where: '' },
  status: { key: 'toString(status)', where: '' },
  referrers: { key: 'referrer', where: " AND referrer != ''" },
  agents: { key: 'agent', where: " AND agent != ''" },
  hosts: { key: 'server', where: '' },
});

const range = (r: TimeRange): SqlParams => ({ from: r.from, to: r.to });

/** `who`: clients of a URL (or prefix). */
export function whoStatement(table: string, q: WhoQuery): Statement {
  return {
    sql: `SELECT client AS key, ${GROUP_COLUMNS} FROM ${table}
WHERE ${URL_MATCH(q.prefix)} AND ${RANGE}
GROUP BY client ORDER BY hits DESC, key ASC LIMIT {limit:UInt32}`,
    params: { ...range(q), url: q.url, limit: q.limit },
  };
}

/** `visits`: URLs of one client. */
export function visitsStatement(table: string, q: VisitsQuery): Statement {
  return {
    sql: `SELECT url AS key, ${GROUP_COLUMNS} FROM ${table}
WHERE client = {ip:String} AND ${RANGE}
GROUP BY url ORDER BY hits DESC, key ASC LIMIT {limit:UInt32}`,
    params: { ...range(q), ip: q.ip, limit: q.limit },
  };
}

/** `top <by>`. `extraWhere` is a fixed fragment of this file (the overview's 404 and bot panels). */
function rankStatement(table: string, key: string, where: string, params: SqlParams): Statement {
  return {
    sql: `SELECT ${key} AS key, count() AS hits FROM ${table} WHERE ${RANGE}${where}
GROUP BY key ORDER BY hits DESC, key ASC LIMIT {limit:UInt32}`,
    params,
  };
}

/** `top <by>`. */
export function topStatement(table: string, q: TopQuery): Statement {
  const k = TOP_KEYS[q.by];
  return rankStatement(table, k.key, k.where, { ...range(q), limit: q.limit });
}

/** Per-minute series with its optional filters (each a fixed fragment, its value a parameter). */
export function seriesStatement(table: string, q: SeriesQuery): Statement {
  const where = [RANGE];
  const params: Record<string, string | number> = { ...range(q) };
  if (q.url !== undefined) {
    where.push(URL_MATCH(q.prefix ?? false));
    params.url = q.url;
  }
  if (q.ip !== undefined) {
    where.push('client = {ip:String}');
    params.ip = q.ip;
  }
  if (q.status !== undefined) {
    where.push('status = {status:UInt16}');
    params.status = q.status;
  }
  return {
    sql: `SELECT intDiv(toUnixTimestamp64Milli(ts), 60000) * 60000 AS t, count() AS hits FROM ${table}
WHERE ${where.join(' AND ')} GROUP BY t ORDER BY t`,
    params,
  };
}

/** The overview's statements by panel; run them in any order, then overviewResult(). */
export function overviewStatements(table: string, q: TimeRange & { readonly limit: number }, botPattern: string): Record<OverviewPanel, Statement> {
  const p = { ...range(q), limit: q.limit };
  return {
    totals: {
      sql: `SELECT count() AS requests, uniqExact(client, toDate(ts), agent) AS visitors, sum(bytes) AS bytes,
  toUnixTimestamp64Milli(min(ts)) AS first_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms FROM ${table} WHERE ${RANGE}`,
      params: range(q),
    },
    status: rankStatement(table, 'toString(status)', '', p),
    top_urls: rankStatement(table, 'url', '', p),
    not_found: rankStatement(table, 'url', ' AND status = 404', p),
    referrers: rankStatement(table, 'referrer', " AND referrer != ''", p),
    agents: rankStatement(table, 'agent', " AND agent != ''", p),
    // BOT_PATTERN is RE2 (store/bots.ts), which match() speaks; bound like any value.
    bots: rankStatement(table, 'agent', " AND agent != '' AND match(agent, {bots:String})", { ...p, bots: botPattern }),
    hourly: { sql: `SELECT toHour(ts) AS hour, count() AS hits FROM ${table} WHERE ${RANGE} GROUP BY hour`, params: range(q) },
  };
}

/** The panels of the overview, one statement each. */
export type OverviewPanel = 'totals' | 'status' | 'top_urls' | 'not_found' | 'referrers' | 'agents' | 'bots' | 'hourly';

/** A count or ms time from a row: ClickHouse quotes 64-bit integers in JSON by default. */
export function int(row: Row, name: string): number {
  const v = row[name];
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new TypeError(`column ${name}: not a safe integer: ${JSON.stringify(v)}`);
  return n;
}

/** A text column from a row. */
export function text(row: Row, name: string): string {
  const v = row[name];
  if (typeof v !== 'string') throw new TypeError(`column ${name}: not a string`);
  return v;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** A `who`/`visits` group: key, hits, first and last seen, status mix. */
export function groupOf(row: Row): { key: string; hits: number; first_seen: string; last_seen: string; status: StatusMix } {
  return {
    key: text(row, 'key'),
    hits: int(row, 'hits'),
    first_seen: iso(int(row, 'first_ms')),
    last_seen: iso(int(row, 'last_ms')),
    status: { '1xx': int(row, 's1'), '2xx': int(row, 's2'), '3xx': int(row, 's3'), '4xx': int(row, 's4'), '5xx': int(row, 's5'), other: int(row, 'so') },
  };
}

/** A ranking row. */
export function rankOf(row: Row): { key: string; hits: number } {
  return { key: text(row, 'key'), hits: int(row, 'hits') };
}

/** A series point. */
export function pointOf(row: Row): { t: string; hits: number } {
  return { t: iso(int(row, 't')), hits: int(row, 'hits') };
}

/** The overview from its panels' rows. */
export function overviewResult(rows: Record<OverviewPanel, readonly Row[]>): OverviewResult {
  const totals = rows.totals[0];
  const requests = totals ? int(totals, 'requests') : 0;
  const hourly = new Array<number>(24).fill(0);
  for (const r of rows.hourly) hourly[int(r, 'hour')] = int(r, 'hits');
  return {
    requests,
    unique_visitors: totals ? int(totals, 'visitors') : 0,
    bytes: totals ? int(totals, 'bytes') : 0,
    first: totals && requests > 0 ? iso(int(totals, 'first_ms')) : null,
    last: totals && requests > 0 ? iso(int(totals, 'last_ms')) : null,
    status: rows.status.map(rankOf),
    top_urls: rows.top_urls.map(rankOf),
    not_found: rows.not_found.map(rankOf),
    referrers: rows.referrers.map(rankOf),
    agents: rows.agents.map(rankOf),
    bots: rows.bots.map(rankOf),
    hourly,
  };
}

/**
 * A parameter value in ClickHouse's escaped text form: the server reads `param_<name>` values as escaped
 * text (a backslash starts an escape), so a URL with `\x16` or `\\` in it must be sent escaped to reach the
 * query unchanged.
 */
export function escapeParam(value: string | number): string {
  const s = String(value);
  return /[\\\t\n\r\0\b\f]/.test(s)
    ? s.replace(/[\\\t\n\r\0\b\f]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', '\b': '\\b', '\f': '\\f' })[c]!)
    : s;
}
