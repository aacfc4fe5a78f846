/**
 * The PostgreSQL / MySQL (MariaDB) data source. Record tables (deploys, outages, tickets) are
 * selected with every mapped column cast to text, so they go through the same normalizers as CSV
 * and give the same records and findings. Requests are folded in the database: one GROUP BY
 * (minute bucket, status class) and one GROUP BY (UTC month, bad status code) per source, so a
 * year of requests crosses the wire as a few hundred thousand small rows at most.
 *
 * Table and column names come from configuration: they must match /^[A-Za-z_][A-Za-z0-9_.]*$/ and
 * are quoted per part ("schema"."table"); values (the window) are always parameters. Naive
 * timestamps are UTC (the session time zone is set to UTC). Errors name the source and its URL
 * with the password masked, never the password.
 *
 * Request time column types: timestamp / timestamptz / datetime / date, a number (epoch seconds),
 * or text (ISO 8601 or epoch seconds, parsed by the database: PostgreSQL stops with an error on a
 * text that looks like a timestamp but is not one, e.g. month 13; MySQL reads it as NULL, counted
 * as unparsable).
 */
import postgres from 'postgres';
import { createConnection, type Connection } from 'mysql2/promise';
import { redactUrl } from '../../core/db/postgres.js';
import { VigiaError } from '../../core/errors.js';
import type { DataSourceSpec, Dataset, DeployRow, OutageRow, RequestSeries, TableName, TicketRow } from '../model.js';
import {
  HygieneLog, RequestFolder, deployNormalizer, outageNormalizer, reportMissingColumns, tableColumns, ticketNormalizer,
  type ColumnRef, type ReportWindow, type TableNormalizer,
} from './normalize.js';
import { createTimestampParser } from './timestamps.js';
import { plural } from '../../core/plural.js';

type SqlSpec = Extract<DataSourceSpec, { kind: 'postgres' | 'mysql' }>;

/** Options of `readSqlDataset`. */
export interface SqlReadOptions {
  /** Progress lines ("deploys: 1234 rows"). */
  readonly onProgress?: (msg: string) => void;
  /** Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Per statement; default 300 s. */
  readonly queryTimeoutMs?: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** A configured SQL identifier split into parts ("schema.table"), or a config error. */
export function identifierParts(name: string, what: string): string[] {
  const parts = name.split('.');
  if (!IDENT.test(name) || parts.some((p) => p === '')) throw new VigiaError('VIGIA_ERR_CONFIG', `${what} ${JSON.stringify(name)} is not a valid SQL name (letters, digits, _ and . only)`);
  return parts;
}

/** Quote a validated identifier for a dialect. */
export function quoteIdentifier(name: string, dialect: 'postgres' | 'mysql', what = 'identifier'): string {
  const q = dialect === 'postgres' ? '"' : '`';
  return identifierParts(name, what).map((p) => `${q}${p}${q}`).join('.');
}


/** The minimal driver the source needs; one per dialect. */
interface Driver {
  readonly dialect: 'postgres' | 'mysql';
  /** Placeholder for the n-th (1-based) parameter. */
  param(n: number): string;
  query(text: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function postgresDriver(url: string, connectMs: number, queryMs: number): Promise<Driver> {
  const sql = postgres(url, {
    max: 1,
    connect_timeout: Math.max(1, Math.ceil(connectMs / 1000)),
    idle_timeout: 5,
    onnotice: () => {},
    connection: { TimeZone: 'UTC', statement_timeout: queryMs, application_name: 'vigia-slo' },
  });
  const driver: Driver = {
    dialect: 'postgres',
    param: (n) => `$${n}`,
    query: async (text, params) => [...(await sql.unsafe(text, params as never[]))] as Record<string, unknown>[],
    close: () => sql.end({ timeout: 2 }),
  };
  try {
    await driver.query('SELECT 1', []);
  } catch (err) {
    await sql.end({ timeout: 0 }).catch(() => {});
    throw err;
  }
  return driver;
}

async function mysqlDriver(url: string, connectMs: number, queryMs: number): Promise<Driver> {
  const u = new URL(url);
  const conn: Connection = await createConnection({
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : undefined,
    connectTimeout: connectMs,
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    multipleStatements: false,
  });
  const driver: Driver = {
    dialect: 'mysql',
    param: () => '?',
    query: async (text, params) => {
      const [rows] = await conn.query({ sql: text, timeout: queryMs }, params as unknown[]);
      return rows as Record<string, unknown>[];
    },
    close: () => conn.end(),
  };
  try {
    await driver.query("SET time_zone = '+00:00'", []);
  } catch (err) {
    conn.destroy();
    throw err;
  }
  return driver;
}

/** Builds a parameter list and its placeholders in order. */
class Params {
  readonly values: unknown[] = [];
  constructor(private readonly driver: Driver) {}
  add(v: unknown): string {
    this.values.push(v);
    return this.driver.param(this.values.length);
  }
}

/** Column name -> data type of a table, or null when the table does not exist. */
async function tableInfo(d: Driver, table: string): Promise<Map<string, { name: string; type: string }> | null> {
  const parts = identifierParts(table, 'table');
  const name = parts[parts.length - 1]!;
  const schema = parts.length > 1 ? parts.slice(0, -1).join('.') : null;
  const p = new Params(d);
  const text = d.dialect === 'postgres'
    ? `SELECT column_name::text AS column_name, data_type::text AS data_type FROM information_schema.columns WHERE table_schema::text = COALESCE(${p.add(schema)}::text, current_schema()::text) AND table_name::text = ${p.add(name)}::text`
    : `SELECT COLUMN_NAME AS column_name, DATA_TYPE AS data_type FROM information_schema.columns WHERE table_schema = COALESCE(${p.add(schema)}, DATABASE()) AND table_name = ${p.add(name)}`;
  const rows = await d.query(text, p.values);
  if (rows.length === 0) return null;
  const out = new Map<string, { name: string; type: string }>();
  for (const r of rows) {
    const col = String(r.column_name);
    // MySQL column names are case-insensitive; PostgreSQL's quoted names are exact.
    out.set(d.dialect === 'mysql' ? col.toLowerCase() : col, { name: col, type: String(r.data_type).toLowerCase() });
  }
  return out;
}

/** Check the mapped columns exist; report the missing ones. Returns the column types, or null. */
async function checkColumns(d: Driver, log: HygieneLog, table: TableName, tableName: string, columns: readonly ColumnRef[]): Promise<Map<string, { name: string; type: string }> | null> {
  for (const c of columns) identifierParts(c.column, `${table} column`);
  const info = await tableInfo(d, tableName);
  const missing = columns.map((c) => c.column).filter((c) => !info?.has(d.dialect === 'mysql' ? c.toLowerCase() : c));
  if (!info || missing.length > 0) {
    reportMissingColumns(log, table, info ? `table ${tableName}` : `table ${tableName} (the table does not exist)`, missing);
    return null;
  }
  return info;
}

const asText = (d: Driver, column: string): string => (d.dialect === 'postgres' ? `${quoteIdentifier(column, d.dialect)}::text` : `CAST(${quoteIdentifier(column, d.dialect)} AS CHAR)`);

async function readRecords<T>(d: Driver, spec: SqlSpec, table: 'deploys' | 'outages' | 'tickets', log: HygieneLog, make: (cols: ColumnRef[]) => TableNormalizer<T>, ref: (v: readonly (string | null)[]) => string, opts: SqlReadOptions): Promise<T[] | undefined> {
  const tableName = spec.tables[table]!;
  const columns = tableColumns(table, spec.columns);
  if (!(await checkColumns(d, log, table, tableName, columns))) return undefined;
  const select = columns.map((c, i) => `${asText(d, c.column)} AS c${i}`).join(', ');
  // Ordered so that which of two duplicates is kept does not depend on the database's whim.
  const order = columns.map((_, i) => String(i + 1)).join(', ');
  const rows = await d.query(`SELECT ${select} FROM ${quoteIdentifier(tableName, d.dialect, 'table')} ORDER BY ${order}`, []);
  const n = make(columns);
  const values: Array<string | null> = new Array<string | null>(columns.length);
  for (const r of rows) {
    for (let i = 0; i < columns.length; i++) {
      const v = r[`c${i}`];
      values[i] = v === null || v === undefined ? null : String(v);
    }
    n.add(values, ref(values));
  }
  opts.onProgress?.(`${table}: ${plural(rows.length, 'row')} from ${tableName}`);
  return n.finish();
}

/** SQL giving epoch milliseconds (NULL when unreadable) of a request time column of `type`. */
function epochMsExpr(d: Driver, column: string, type: string, tableName: string): string {
  const c = quoteIdentifier(column, d.dialect);
  if (d.dialect === 'postgres') {
    if (type.startsWith('timestamp') || type === 'date') return `(extract(epoch from ${c}) * 1000)`;
    if (/^(smallint|integer|bigint|numeric|real|double precision)$/.test(type)) return `(${c}::numeric * 1000)`;
    if (/^(text|character varying|character)$/.test(type)) {
      const t = `btrim(${c}::text)`;
      return `(CASE WHEN ${t} ~ '^-?[0-9]+([.][0-9]+)?$' THEN ${t}::numeric * 1000`
        + ` WHEN ${t} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?)?$' THEN extract(epoch from ${t}::timestamptz) * 1000 END)`;
    }
  } else {
    const since = (x: string): string => `(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${x}) / 1000)`;
    if (type === 'datetime' || type === 'timestamp' || type === 'date') return since(c);
    if (/^(tinyint|smallint|mediumint|int|bigint|decimal|float|double)$/.test(type)) return `(${c} * 1000)`;
    if (/^(char|varchar|tinytext|text|mediumtext|longtext)$/.test(type)) {
      const t = `TRIM(${c})`;
      return `(CASE WHEN ${t} REGEXP '^-?[0-9]+([.][0-9]+)?$' THEN ${t} * 1000 ELSE ${since(`CAST(REPLACE(${t}, 'T', ' ') AS DATETIME(6))`)} END)`;
    }
  }
  throw new VigiaError('VIGIA_ERR_CONFIG', `requests column ${column} of ${tableName} has type ${type}; expected a timestamp, a number (epoch seconds) or text`);
}

function statusExpr(d: Driver, column: string): string {
  if (d.dialect === 'postgres') {
    const t = `btrim(${quoteIdentifier(column, d.dialect)}::text, ' ')`;
    return `(CASE WHEN ${t} ~ '^[1-5][0-9][0-9]$' THEN ${t}::int END)`;
  }
  const t = `TRIM(CAST(${quoteIdentifier(column, d.dialect)} AS CHAR))`;
  return `(CASE WHEN ${t} REGEXP '^[1-5][0-9][0-9]$' THEN CAST(${t} AS SIGNED) END)`;
}

async function readRequests(d: Driver, spec: SqlSpec, window: ReportWindow, log: HygieneLog, opts: SqlReadOptions): Promise<RequestSeries | undefined> {
  const tableName = spec.tables.requests!;
  const columns = tableColumns('requests', spec.columns);
  let folder: RequestFolder;
  try {
    folder = new RequestFolder(window, log, columns);
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${spec.kind} data source ${JSON.stringify(spec.name)}: ${(err as Error).message}`);
  }
  const info = await checkColumns(d, log, 'requests', tableName, columns);
  if (!info) return undefined;
  const timeCol = columns[0]!.column;
  const timeType = info.get(d.dialect === 'mysql' ? timeCol.toLowerCase() : timeCol)!.type;
  const statusType = info.get(d.dialect === 'mysql' ? columns[1]!.column.toLowerCase() : columns[1]!.column)!.type;
  if (d.dialect === 'postgres' && /^(timestamp|date$)/.test(timeType) && /^(smallint|integer|bigint)$/.test(statusType)) {
    await readRequestsPostgresNative(d, tableName, timeCol, columns[1]!.column, window, folder);
    opts.onProgress?.(`requests: ${plural(folder.rowCount, 'row')} folded from ${tableName}`);
    return folder.finish();
  }
  const inner = `SELECT ${epochMsExpr(d, timeCol, timeType, tableName)} AS ms, ${statusExpr(d, columns[1]!.column)} AS st FROM ${quoteIdentifier(tableName, d.dialect, 'table')}`;
  const num = d.dialect === 'postgres' ? '::numeric' : '';

  // Buckets: -3 unparsable time, -2 unparsable status, -1 outside the window (same order as CSV).
  const p = new Params(d);
  const from1 = p.add(window.from);
  const to1 = p.add(window.to);
  const from2 = p.add(window.from);
  const buckets = await d.query(
    `SELECT b, c, COUNT(*) AS n FROM (SELECT CASE WHEN ms IS NULL THEN -3 WHEN st IS NULL THEN -2 WHEN ms < ${from1}${num} OR ms >= ${to1}${num} THEN -1`
      + ` ELSE FLOOR((ms - ${from2}${num}) / 60000) END AS b, CASE WHEN ms IS NULL OR st IS NULL THEN 0 ELSE FLOOR(st / 100) END AS c FROM (${inner}) q1) q2 GROUP BY b, c`,
    p.values,
  );
  for (const r of buckets) {
    const b = Number(r.b);
    const n = Number(r.n);
    if (b === -3) folder.badTime(n);
    else if (b === -2) folder.badStatus(n);
    else if (b === -1) folder.outside(n);
    else folder.addBucket(b, Number(r.c), n);
  }

  const q = new Params(d);
  const month = d.dialect === 'postgres'
    ? `to_char(timestamp '1970-01-01 00:00:00' + floor(ms / 1000) * interval '1 second', 'YYYY-MM')`
    : `DATE_FORMAT(TIMESTAMPADD(SECOND, FLOOR(ms / 1000), '1970-01-01 00:00:00'), '%Y-%m')`;
  const bad = await d.query(
    `SELECT m, st, COUNT(*) AS n FROM (SELECT ${month} AS m, st FROM (${inner}) q1 WHERE ms >= ${q.add(window.from)}${num} AND ms < ${q.add(window.to)}${num} AND st >= 400) q2 GROUP BY m, st`,
    q.values,
  );
  for (const r of bad) folder.addBadCodes(String(r.m), Number(r.st), Number(r.n));
  opts.onProgress?.(`requests: ${plural(folder.rowCount, 'row')} folded from ${tableName}`);
  return folder.finish();
}

/**
 * PostgreSQL with a timestamp time column and an integer status (the usual schema): native
 * comparisons and date_bin instead of per-row numeric epoch math and text casts. 10M rows: ~4x
 * faster than the generic path (bench:slo). Same buckets, aligned on the window's start.
 */
async function readRequestsPostgresNative(d: Driver, tableName: string, timeCol: string, statusCol: string, window: ReportWindow, folder: RequestFolder): Promise<void> {
  const t = quoteIdentifier(timeCol, d.dialect);
  const st = quoteIdentifier(statusCol, d.dialect);
  const table = quoteIdentifier(tableName, d.dialect, 'table');
  const p = new Params(d);
  const from = p.add(new Date(window.from).toISOString());
  const to = p.add(new Date(window.to).toISOString());
  // k: T time missing, S status not 100-599, O outside the window, I counted. One row per minute
  // (classes pivoted into columns): a year is at most 525,600 rows back, whatever the request count.
  const rows = await d.query(
    `SELECT k, CASE WHEN k = 'I' THEN (extract(epoch from b - ${from}::timestamptz) / 60)::bigint END AS bucket, n, c4, c5 FROM (`
      + ` SELECT CASE WHEN ${t} IS NULL THEN 'T' WHEN ${st} IS NULL OR ${st} < 100 OR ${st} > 599 THEN 'S' WHEN ${t} < ${from}::timestamptz OR ${t} >= ${to}::timestamptz THEN 'O' ELSE 'I' END AS k,`
      + ` CASE WHEN ${t} >= ${from}::timestamptz AND ${t} < ${to}::timestamptz THEN date_bin('1 minute', ${t}::timestamptz, ${from}::timestamptz) END AS b,`
      + ` count(*) AS n, count(*) FILTER (WHERE ${st} BETWEEN 400 AND 499) AS c4, count(*) FILTER (WHERE ${st} BETWEEN 500 AND 599) AS c5`
      + ` FROM ${table} GROUP BY 1, 2) s`,
    p.values,
  );
  for (const r of rows) {
    const n = Number(r.n);
    if (r.k === 'T') folder.badTime(n);
    else if (r.k === 'S') folder.badStatus(n);
    else if (r.k === 'O') folder.outside(n);
    else {
      const b = Number(r.bucket);
      const c4 = Number(r.c4);
      const c5 = Number(r.c5);
      folder.addBucket(b, 5, c5);
      folder.addBucket(b, 4, c4);
      folder.addBucket(b, 2, n - c4 - c5);
    }
  }
  const q = new Params(d);
  const qFrom = q.add(new Date(window.from).toISOString());
  const qTo = q.add(new Date(window.to).toISOString());
  const bad = await d.query(
    `SELECT to_char(${t}::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM') AS m, ${st} AS st, count(*) AS n FROM ${table}`
      + ` WHERE ${t} >= ${qFrom}::timestamptz AND ${t} < ${qTo}::timestamptz AND ${st} BETWEEN 400 AND 599 GROUP BY 1, 2`,
    q.values,
  );
  for (const r of bad) folder.addBadCodes(String(r.m), Number(r.st), Number(r.n));
}

function describeError(spec: SqlSpec, err: unknown): string {
  const e = err as { message?: string; code?: string };
  let msg = e.message || e.code || 'unknown error';
  try {
    const pw = decodeURIComponent(new URL(spec.url).password);
    if (pw) msg = msg.split(pw).join('***');
  } catch {
    // unparsable URL: nothing to mask but the URL itself, which is never echoed
  }
  return msg;
}

/**
 * Read the tables `spec.tables` names from PostgreSQL (`kind: 'postgres'`, the `postgres` client)
 * or MySQL/MariaDB (`kind: 'mysql'`, mysql2). A table lacking a mapped column is absent from the
 * Dataset, with a `missing_column` finding; a connection or query failure is a VIGIA_ERR_CONFIG
 * error naming the source and its URL with the password masked.
 */
export async function readSqlDataset(spec: SqlSpec, window: ReportWindow, opts: SqlReadOptions = {}): Promise<Dataset> {
  const where = `${spec.kind} data source ${JSON.stringify(spec.name)} (${redactUrl(spec.url)})`;
  for (const [table, name] of Object.entries(spec.tables)) if (name !== undefined) identifierParts(name, `${where}: ${table} table`);
  try {
    new URL(spec.url);
  } catch {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: the URL does not parse`);
  }
  const connectMs = opts.connectTimeoutMs ?? 10_000;
  const queryMs = opts.queryTimeoutMs ?? 300_000;
  let d: Driver;
  try {
    d = spec.kind === 'postgres' ? await postgresDriver(spec.url, connectMs, queryMs) : await mysqlDriver(spec.url, connectMs, queryMs);
  } catch (err) {
    throw new VigiaError('SLO_ERR_SOURCE_UNAVAILABLE', `${where}: cannot connect: ${describeError(spec, err)}`);
  }
  const log = new HygieneLog();
  const parser = (): ReturnType<typeof createTimestampParser> => createTimestampParser('UTC');
  const out: { deploys?: DeployRow[]; outages?: OutageRow[]; tickets?: TicketRow[]; requests?: RequestSeries } = {};
  const t = spec.tables;
  try {
    const keyed = (i: number, what: string) => (v: readonly (string | null)[]): string => (v[i] ? v[i]! : `${what} with empty key`);
    if (t.deploys !== undefined) out.deploys = await readRecords(d, spec, 'deploys', log, (c) => deployNormalizer(log, c, window, parser()), keyed(0, 'deploy'), opts);
    if (t.outages !== undefined) out.outages = await readRecords(d, spec, 'outages', log, (c) => outageNormalizer(log, c, window, parser()), (v) => `outage ${v[0] ?? ''} ${v[2] ?? ''}`.trim(), opts);
    if (t.tickets !== undefined) out.tickets = await readRecords(d, spec, 'tickets', log, (c) => ticketNormalizer(log, c, window, parser()), keyed(0, 'ticket'), opts);
    if (t.requests !== undefined) out.requests = await readRequests(d, spec, window, log, opts);
  } catch (err) {
    if (err instanceof VigiaError) throw err;
    throw new VigiaError('SLO_ERR_SOURCE_UNAVAILABLE', `${where}: query failed: ${describeError(spec, err)}`);
  } finally {
    await d.close().catch(() => {});
  }
  for (const k of Object.keys(out) as Array<keyof typeof out>) if (out[k] === undefined) delete out[k];
  return { ...out, hygiene: log.list() };
}
