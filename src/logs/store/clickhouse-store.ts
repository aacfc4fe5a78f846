/**
 * The ClickHouse log store: LogStore over ClickHouse's HTTP interface, for the cluster (one server, or
 * shards and replicas behind HAProxy with `cluster=`). Every value from input travels as a query
 * parameter; inserts are one gzip'd JSONCompactEachRow INSERT per batch; the schema is created
 * idempotently at open. See docs/logs-clickhouse.md for the design and its measured figures.
 */
import type { AccessRecord } from '../record.js';
import type {
  LogStore, OverviewResult, SeriesQuery, SeriesResult, StoreStats, TimeRange, TopQuery, TopResult,
  VisitsQuery, VisitsResult, WhoQuery, WhoResult,
} from './log-store.js';
import { checkRecords } from './record-check.js';
import { BOT_PATTERN } from './bots.js';
import { clickHouseHttp } from './clickhouse-http.js';
import { parseClickHouseStoreUrl, type ClickHouseStoreOptions } from './clickhouse-options.js';
import { INSERT_COLUMNS, localTable, onCluster, queryTable, schemaStatements } from './clickhouse-schema.js';
import {
  groupOf, int, overviewResult, overviewStatements, pointOf, rankOf, seriesStatement, text, topStatement,
  visitsStatement, whoStatement, type OverviewPanel, type Row,
} from './clickhouse-sql.js';

export type { ClickHouseStoreOptions } from './clickhouse-options.js';

/** One record as a JSONCompactEachRow line, columns in INSERT_COLUMNS order. */
export function recordLine(r: AccessRecord): string {
  return JSON.stringify([r.ts, r.server, r.client, r.method, r.url, r.query, r.protocol, r.status, r.bytes, r.referrer, r.agent, r.vhost, r.user, r.durationMs]);
}

/** The ms time where day `before` starts (UTC). */
const dayStart = (ms: number): number => Math.floor(ms / 86_400_000) * 86_400_000;

/**
 * Opens the ClickHouse store at `url` (see clickhouse-options.ts for its form) and creates its tables when
 * missing. Throws LOGS_ERR_CLICKHOUSE_* when the server cannot be reached or refuses, VIGIA_ERR_CONFIG or
 * LOGS_ERR_STORE_URL for a bad URL.
 */
export async function openClickHouseStore(url: string, opts: ClickHouseStoreOptions = {}): Promise<LogStore> {
  const config = parseClickHouseStoreUrl(url, opts);
  const { layout } = config;
  const http = clickHouseHttp(config.endpoint);
  const table = queryTable(layout);
  try {
    if (config.createSchema) for (const ddl of schemaStatements(layout)) await http.exec(ddl);
  } catch (err) {
    http.close();
    throw err;
  }
  const groups = async (sql: { sql: string; params: Record<string, string | number> }) => (await http.rows(sql.sql, sql.params)).map(groupOf);

  return {
    engine: 'clickhouse',

    async insert(records: readonly AccessRecord[]): Promise<void> {
      checkRecords(records);
      if (records.length === 0) return;
      let data = '';
      for (const r of records) data += `${recordLine(r)}\n`;
      await http.insert(table, INSERT_COLUMNS, data);
    },

    async who(q: WhoQuery): Promise<WhoResult> {
      const clients = (await groups(whoStatement(table, q))).map(({ key, ...g }) => ({ ip: key, ...g }));
      return { url: q.url, clients };
    },

    async top(q: TopQuery): Promise<TopResult> {
      const s = topStatement(table, q);
      return { by: q.by, rows: (await http.rows(s.sql, s.params)).map(rankOf) };
    },

    async visits(q: VisitsQuery): Promise<VisitsResult> {
      const urls = (await groups(visitsStatement(table, q))).map(({ key, ...g }) => ({ url: key, ...g }));
      return { ip: q.ip, urls };
    },

    async series(q: SeriesQuery): Promise<SeriesResult> {
      const s = seriesStatement(table, q);
      return { step_seconds: 60, points: (await http.rows(s.sql, s.params)).map(pointOf) };
    },

    async overview(q: TimeRange & { readonly limit: number }): Promise<OverviewResult> {
      const statements = overviewStatements(table, q, BOT_PATTERN);
      const panels = Object.keys(statements) as OverviewPanel[];
      const answers = await Promise.all(panels.map((p) => http.rows(statements[p].sql, statements[p].params)));
      const rows = Object.fromEntries(panels.map((p, i) => [p, answers[i]!])) as Record<OverviewPanel, Row[]>;
      return overviewResult(rows);
    },

    async expire(before: number): Promise<number> {
      const range = { from: 0, to: before };
      const [counted] = await http.rows(`SELECT count() AS n FROM ${table} WHERE ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`, range);
      const gone = counted ? int(counted, 'n') : 0;
      if (gone === 0) return 0;
      // Whole days first: dropping a partition is a file operation, a DELETE rewrites or masks rows.
      const days = await http.rows(
        `SELECT DISTINCT toString(toYYYYMMDD(ts)) AS day FROM ${table} WHERE ts < fromUnixTimestamp64Milli({day:Int64}, 'UTC')`,
        { day: dayStart(before) },
      );
      for (const row of days) {
        const id = text(row, 'day');
        // The partition id comes from the server (toYYYYMMDD), checked to be 8 digits: never input text.
        if (!/^\d{8}$/.test(id)) continue;
        await http.exec(`ALTER TABLE ${localTable(layout)}${onCluster(layout)} DROP PARTITION ID '${id}'`);
      }
      // The day `before` cuts: a lightweight DELETE, synchronous by default (lightweight_deletes_sync=2).
      await http.exec(`DELETE FROM ${localTable(layout)}${onCluster(layout)} WHERE ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`, range);
      return gone;
    },

    async stats(): Promise<StoreStats> {
      const [totals] = await http.rows(`SELECT count() AS lines, toUnixTimestamp64Milli(min(ts)) AS first_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms FROM ${table}`);
      const parts = layout.cluster === undefined ? 'system.parts' : `cluster('${layout.cluster}', system.parts)`;
      const [disk] = await http.rows(
        `SELECT sum(bytes_on_disk) AS bytes FROM ${parts} WHERE active AND database = {db:String} AND table = {t:String}`,
        { db: layout.database, t: layout.cluster === undefined ? layout.table : `${layout.table}_local` },
      );
      const lines = totals ? int(totals, 'lines') : 0;
      return {
        lines,
        bytes: disk ? int(disk, 'bytes') : 0,
        oldest: lines > 0 && totals ? new Date(int(totals, 'first_ms')).toISOString() : null,
        newest: lines > 0 && totals ? new Date(int(totals, 'last_ms')).toISOString() : null,
      };
    },

    async close(): Promise<void> {
      http.close();
    },
  };
}
