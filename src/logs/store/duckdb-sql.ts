/**
 * The SQL of the DuckDB engine (duckdb-store.ts), as constants and pure builders, apart from the I/O. Every
 * value from a query arrives as a positional parameter ($1, $2 ...); the only text ever chosen by input is
 * one of the fixed fragments below, picked by a closed union (TopBy, the presence of a series filter).
 *
 * Layout: `access_recent` takes inserts in arrival order; once it holds `runRows` lines they move to
 * `access` sorted by (url_key, url, ts) in one transaction, so `access` is a sequence of sorted runs whose
 * row groups have narrow url_key min/max statistics: "who visited URL X" reads about one row group per run
 * instead of the whole url column (measured in docs/logs-storage.md). `url_key` is urlKey(url), an integer:
 * DuckDB keeps min/max statistics of strings on their first 8 bytes only, useless for URLs that share a
 * prefix like '/products/' (measured: 118 ms vs ... at 20 M lines). Queries read both tables through the
 * `access_all` view.
 */
import type { TopBy } from './log-store.js';

/** Columns in insert order (the appender's order; AccessRecord field names in record.ts order). */
export const COLUMNS = [
  'ts', 'server', 'client', 'method', 'url', 'query', 'protocol', 'status', 'bytes', 'referrer', 'agent', 'vhost', 'usr', 'duration_ms', 'url_key',
] as const;

/**
 * The sort and pruning key of a URL: 32-bit FNV-1a over its UTF-16 code units, as a signed integer. Ours, not
 * DuckDB's hash(), so that it never changes under stored data with an engine upgrade. Collisions cost a
 * little pruning, never a wrong answer: every query also compares the url itself.
 */
export function urlKey(url: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < url.length; i++) {
    h ^= url.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

const TABLE_COLUMNS = `(
  ts BIGINT NOT NULL, server VARCHAR NOT NULL, client VARCHAR NOT NULL, method VARCHAR NOT NULL, url VARCHAR NOT NULL,
  query VARCHAR NOT NULL, protocol VARCHAR NOT NULL, status SMALLINT NOT NULL, bytes BIGINT NOT NULL,
  referrer VARCHAR NOT NULL, agent VARCHAR NOT NULL, vhost VARCHAR NOT NULL, usr VARCHAR NOT NULL, duration_ms DOUBLE NOT NULL,
  url_key INTEGER NOT NULL
)`;

/** Idempotent schema (a data dir opened again keeps its lines). */
export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS access ${TABLE_COLUMNS}`,
  `CREATE TABLE IF NOT EXISTS access_recent ${TABLE_COLUMNS}`,
  'CREATE OR REPLACE VIEW access_all AS SELECT * FROM access UNION ALL SELECT * FROM access_recent',
] as const;

/** Moves the recent lines into a new sorted run (inside a transaction, with DELETE_RECENT). */
export const MOVE_RECENT = 'INSERT INTO access SELECT * FROM access_recent ORDER BY url_key, url, ts';
/** Empties the recent table after MOVE_RECENT. */
export const DELETE_RECENT = 'DELETE FROM access_recent';
/** Lines in the recent table. */
export const COUNT_RECENT = 'SELECT count(*) FROM access_recent';

const RANGE = 'ts >= $1 AND ts < $2';
// The lower bound lets the url statistics of sorted row groups prune; starts_with keeps '%' and '_' plain.
const URL_EXACT = (p: string, key: string) => `url_key = ${key} AND url = ${p}`;
const URL_PREFIX = (p: string) => `url >= ${p} AND starts_with(url, ${p})`;
const MIX = `count(*) FILTER (WHERE status BETWEEN 100 AND 199), count(*) FILTER (WHERE status BETWEEN 200 AND 299),
  count(*) FILTER (WHERE status BETWEEN 300 AND 399), count(*) FILTER (WHERE status BETWEEN 400 AND 499),
  count(*) FILTER (WHERE status BETWEEN 500 AND 599)`;

/** who: params [from, to, url, limit, urlKey(url)]; rows [client, hits, first, last, 1xx..5xx]. */
export function whoSql(prefix: boolean): string {
  return `SELECT client, count(*) AS hits, min(ts), max(ts), ${MIX} FROM access_all
    WHERE ${RANGE} AND ${prefix ? URL_PREFIX('$3') : URL_EXACT('$3', '$5::INTEGER')}
    GROUP BY client ORDER BY hits DESC, client ASC LIMIT $4`;
}

/** visits: params [from, to, ip, limit]; rows [url, hits, first, last, 1xx..5xx]. */
export const VISITS_SQL = `SELECT url, count(*) AS hits, min(ts), max(ts), ${MIX} FROM access_all
  WHERE ${RANGE} AND client = $3 GROUP BY url ORDER BY hits DESC, url ASC LIMIT $4`;

const TOP_KEY: Readonly<Record<TopBy, { key: string; where: string }>> = Object.freeze({
  ips: { key: 'client', where: '' },
  urls: { key: 'url', where: '' },
  status: { key: 'CAST(status AS VARCHAR)', where: '' },
  referrers: { key: 'referrer', where: "AND referrer <> ''" },
  agents: { key: 'agent', where: "AND agent <> ''" },
  hosts: { key: 'server', where: '' },
});

/** top: params [from, to, limit]; rows [key, hits]. `extra` narrows further (fixed text: overview's 404s and bots). */
export function topSql(by: TopBy, extra = ''): string {
  const { key, where } = TOP_KEY[by];
  return `SELECT ${key} AS k, count(*) AS hits FROM access_all WHERE ${RANGE} ${where} ${extra}
    GROUP BY k ORDER BY hits DESC, k ASC LIMIT $3`;
}

/** Overview's 404 URLs (topSql('urls', NOT_FOUND)). */
export const NOT_FOUND = 'AND status = 404';
/** Overview's bots (topSql('agents', BOTS)): $4 is BOT_PATTERN. */
export const BOTS = 'AND regexp_matches(agent, $4)';

/** Which series filters are present; the SQL has a fixed fragment for each. */
export interface SeriesShape {
  readonly url: 'none' | 'exact' | 'prefix';
  readonly ip: boolean;
  readonly status: boolean;
}

/** series: params [from, to, then url (and urlKey(url) when exact), ip, status for those present, in that order]; rows [minute ms, hits]. */
export function seriesSql(shape: SeriesShape): string {
  const where = [RANGE];
  let n = 3;
  if (shape.url === 'exact') {
    where.push(URL_EXACT(`$${n}`, `$${n + 1}::INTEGER`));
    n += 2;
  }
  if (shape.url === 'prefix') where.push(URL_PREFIX(`$${n++}`));
  if (shape.ip) where.push(`client = $${n++}`);
  if (shape.status) where.push(`status = $${n++}`);
  return `SELECT (ts // 60000) * 60000 AS m, count(*) FROM access_all WHERE ${where.join(' AND ')} GROUP BY m ORDER BY m`;
}

/** Overview totals: params [from, to]; one row [requests, unique visitors, bytes, first, last]. */
export const TOTALS_SQL = `SELECT count(*), count(DISTINCT (client, ts // 86400000, agent)), coalesce(sum(bytes), 0), min(ts), max(ts)
  FROM access_all WHERE ${RANGE}`;

/** Hits per UTC hour of the day: params [from, to]; rows [hour, hits]. */
export const HOURLY_SQL = `SELECT (ts // 3600000) % 24 AS h, count(*) FROM access_all WHERE ${RANGE} GROUP BY h`;

/** Store stats: one row [lines, oldest, newest]. */
export const STATS_SQL = 'SELECT count(*), min(ts), max(ts) FROM access_all';

/** Retention: param [before]; the two deletes run in one transaction. */
export const EXPIRE_SQL = ['DELETE FROM access WHERE ts < $1', 'DELETE FROM access_recent WHERE ts < $1'] as const;
