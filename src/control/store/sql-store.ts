/**
 * The control-plane store over SQL: one class for PostgreSQL and PGlite (same schema, same
 * statements), plus `openControlStore`, which picks the database from the options and migrates.
 *
 * Batches travel as one array-literal text parameter per column (`unnest($1::text::int[], ...)`,
 * see bulk.ts): a multi-row statement with a fixed text (prepared once per connection) that both
 * drivers pass through untouched, where native array parameters depend on each driver's serialiser.
 */
import { VigiaError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { Database, Queryable } from '../../core/db/database.js';
import { sqlState, toNumber } from '../../core/db/database.js';
import { migrate } from '../../core/db/migrate.js';
import { openPglite } from '../../core/db/pglite.js';
import { openPostgres } from '../../core/db/postgres.js';
import { dayProblem, isAcceptedDay } from '../../core/contracts/day.js';
import type { HostReport, ReportDevice } from '../../core/contracts/host-report.js';
import type {
  AuditBy, CapacityData, CapacityVolumeRow, ControlStore, DailyExtremes, HostIdentity, HostStatusRow, IngestItem, IngestOutcome,
  PartitionMaintenance, PerformanceData, PerformanceDiskRow, PerformanceFilesystemRow, PerformanceHostRow, ReportSource, Stat3,
} from './control-store.js';
import { MIGRATIONS } from './migrations/index.js';
import { TREND_COLUMNS, TREND_DAYS_KEPT, trendRebuild } from './migrations/0004-volume-trend.js';
import { insertAuditRow } from './audit-log.js';
import { plural } from '../../core/plural.js';
import { matchesWhere, type WhereClause } from '../fleet-runs/selector.js';
import { bulkSource, copyText, type BulkColumn } from './bulk.js';
import {
  DAY_MS, PARTITIONED_TABLES, addDays, createPartitionSql, dayStartMs, isExpiredDay, parsePartitionName, upcomingDays, utcDay,
} from './partitions.js';

/** Default history retention, days: reports sampled before it are `expired`. */
export const DEFAULT_RETENTION_DAYS = 90;

/** Options of the SQL store. */
export interface SqlControlStoreOptions {
  /** Days of history kept; older reports are refused as `expired` (default 90). */
  readonly retentionDays?: number;
  /**
   * Where capacityData reads the window's sums: `trend` (default), the per-volume running table for
   * volumes reporting today in the default window, device_daily for the others; `daily`, device_daily's
   * rows for every volume (the query before migration 4: for the test that proves both agree, and for
   * comparing them).
   */
  readonly capacitySource?: 'trend' | 'daily';
  readonly log?: Logger;
}

const MAX_ERROR_CHARS = 1000;
const DAILY_COLUMNS = 'host_id int, mountpoint text, day date, device text, fstype text, role text, size_bytes bigint, n int, sx float8, sy float8, sxx float8, sxy float8, min_used bigint, max_used bigint, max_use_pct float8, first_used bigint, first_at timestamptz, last_used bigint, last_at timestamptz';
const VOLUME_DAY_COLUMNS = 'host_id int, mountpoint text, day date';
const DISK_COLUMNS = 'h int, t timestamptz, d text, r float8, w float8, rb float8, wb float8, a float8, u float8';
const DISK_COPY_COLUMNS = 'host_id, sampled_at, device, reads_per_s, writes_per_s, read_bytes_per_s, write_bytes_per_s, await_ms, util_pct';
const SYSTEM_COLUMNS = 'h int, t timestamptz, u float8, sy float8, io float8, st float8, id float8, c int, l1 float8, l5 float8, l15 float8, mt bigint, mu float8, sw float8, up float8';

/** `unnest(...) AS r(...)` over `rows` for a `key type, key type` column spec; params built on demand. */
function rowsFrom(spec: string, rows: ReadonlyArray<Record<string, unknown>>): { readonly from: string; readonly params: string[] } {
  const columns = spec.split(',').map((c): BulkColumn => {
    const [key, ...type] = c.trim().split(/\s+/);
    return [key!, type.join(' ')];
  });
  return {
    get from() {
      return bulkSource(columns, []).from;
    },
    get params() {
      return bulkSource(columns, rows).params;
    },
  };
}

// The capacity report's volumes: latest figures with the window's sums, x = seconds since the
// window's first day ($1) 00:00Z. Summing days, each day's sums (x relative to the day) are shifted by
// d = seconds from $1 to the day's 00:00Z: sx' = sx + n d, sxx' = sxx + 2 d sx + n d^2, sxy' = sxy + d sy.
// float8 here is IEEE double, i.e. exactly what shifting in JS would compute: d and n are integers, so
// n d^2 (< 2^53 for a week of minutes) is exact, and every other term keeps double's relative
// precision; the per-day sums stay small because x is relative to the day. numeric was measured 10x
// slower at 10 000 hosts for no gain after the final cast to double. `peak` is the highest use % of the
// window's days; `daily` (binlog volumes only: their trend is fitted through daily peaks) is an
// unordered aggregate (an ORDER BY inside it costs one sort per volume); the caller sorts a volume's few days.
const CAPACITY_COLUMNS = `h.name, l.mountpoint, l.device, l.fstype, l.role, l.read_only, l.size_bytes, l.used_bytes, l.avail_bytes, l.use_pct, l.inode_use_pct, l.error,
       extract(epoch FROM l.sampled_at)::float8 * 1000 AS sampled_ms`;
const WINDOW_SUMS = `sum(n) AS n, sum(sx + n * d) AS sx, sum(sy) AS sy, sum(sxx + 2 * d * sx + n * d * d) AS sxx, sum(sxy + d * sy) AS sxy,
       max(coalesce(max_use_pct, 0)) AS peak, string_agg(concat_ws(',', day - $1::date, max_used, min_used, coalesce(max_use_pct, 0)), ';') AS daily`;
const AGG_COLUMNS = `agg.n, agg.sx, agg.sy, agg.sxx, agg.sxy, agg.peak, CASE WHEN l.role = 'binlog' THEN agg.daily END AS daily`;

/**
 * With the running table (migration 4): a volume whose open day is today ($2), in the default window
 * ($3 = TREND_DAYS_KEPT), adds today's daily row to its running row's sums of the closed days
 * (today's sums shifted by d = TREND_DAYS_KEPT days); any other volume sums its device_daily rows of the
 * window. One pass: for a fast row that sum is a one-time-filtered empty scan.
 */
const TODAY_D = `${TREND_DAYS_KEPT * 86_400}.0::float8`;
const CAPACITY_FROM_TREND_SQL = packCapacity(`SELECT ${CAPACITY_COLUMNS},
       CASE WHEN f.fast THEN v.n + t.n ELSE agg.n END AS n,
       CASE WHEN f.fast THEN v.sx + (t.sx + t.n * ${TODAY_D}) ELSE agg.sx END AS sx,
       CASE WHEN f.fast THEN v.sy + t.sy ELSE agg.sy END AS sy,
       CASE WHEN f.fast THEN v.sxx + (t.sxx + 2 * ${TODAY_D} * t.sx + t.n * ${TODAY_D} * ${TODAY_D}) ELSE agg.sxx END AS sxx,
       CASE WHEN f.fast THEN v.sxy + (t.sxy + ${TODAY_D} * t.sy) ELSE agg.sxy END AS sxy,
       CASE WHEN f.fast THEN greatest(v.peak, coalesce(t.max_use_pct, 0)) ELSE agg.peak END AS peak,
       CASE WHEN l.role <> 'binlog' THEN NULL
            WHEN f.fast THEN concat_ws(';', v.daily, concat_ws(',', ${TREND_DAYS_KEPT}, t.max_used, t.min_used, coalesce(t.max_use_pct, 0)))
            ELSE agg.daily END AS daily
  FROM latest_devices l
  JOIN hosts h ON h.id = l.host_id
  LEFT JOIN volume_trend v ON v.host_id = l.host_id AND v.mountpoint = l.mountpoint
  LEFT JOIN device_daily t ON t.host_id = l.host_id AND t.mountpoint = l.mountpoint AND t.day = $2::date
 CROSS JOIN LATERAL (SELECT coalesce(v.open_day = $2::date AND $3::int = ${TREND_DAYS_KEPT} AND t.n IS NOT NULL, false) AS fast) f
  LEFT JOIN LATERAL (
    SELECT ${WINDOW_SUMS}
      FROM (SELECT x.*, (x.day - $1::date) * 86400.0::float8 AS d FROM device_daily x
             WHERE NOT f.fast AND x.host_id = l.host_id AND x.mountpoint = l.mountpoint AND x.day >= $1::date AND x.day <= $2::date) w
  ) agg ON true`);

/**
 * The capacity rows as the client reads them: the five free-text columns, and every other figure packed
 * into one tab-separated text `f` (role, read-only, size, used, avail, use %, inode use %, sampled ms,
 * n, sx, sy, sxx, sxy, peak, daily; an empty field is NULL). Measured at 10,000 hosts: the driver parses
 * 30,000 rows of 6 columns in about half the client CPU of 20 columns (docs/control-plane.md). Role is
 * one of three words and numbers print without tabs, so the split is unambiguous.
 */
function packCapacity(inner: string): string {
  const t = (c: string) => `coalesce(${c}::text, '')`;
  return `SELECT name, mountpoint, device, fstype, error,
       concat_ws(E'\\t', role, CASE WHEN read_only THEN '1' ELSE '0' END, ${['size_bytes', 'used_bytes', 'avail_bytes', 'use_pct', 'inode_use_pct', 'sampled_ms', 'n', 'sx', 'sy', 'sxx', 'sxy', 'peak'].map(t).join(', ')}, coalesce(daily, '')) AS f
  FROM (${inner}) q`;
}

/** Without the running table (`capacitySource: 'daily'`, the query before migration 4): every daily row of the window, grouped per volume. */
const CAPACITY_FROM_DAILY_SQL = packCapacity(`WITH agg AS (
  SELECT host_id, mountpoint, ${WINDOW_SUMS}
    FROM (SELECT *, (day - $1::date) * 86400.0::float8 AS d FROM device_daily WHERE day >= $1::date AND day <= $2::date AND $3::int IS NOT NULL) w
   GROUP BY host_id, mountpoint
)
SELECT ${CAPACITY_COLUMNS}, ${AGG_COLUMNS}
  FROM latest_devices l
  JOIN hosts h ON h.id = l.host_id
  LEFT JOIN agg ON agg.host_id = l.host_id AND agg.mountpoint = l.mountpoint`);

/** The device_daily upsert of a batch's per-volume day sums (`$FROM`: the rows' unnest source). */
const DAILY_UPSERT_SQL = `INSERT INTO device_daily AS d (host_id, mountpoint, day, device, fstype, role, size_bytes, n, sx, sy, sxx, sxy, min_used, max_used, max_use_pct, first_used, first_at, last_used, last_at)
  SELECT host_id, mountpoint, day, device, fstype, role, size_bytes, n, sx, sy, sxx, sxy, min_used, max_used, max_use_pct, first_used, first_at, last_used, last_at
    FROM $FROM
   ORDER BY host_id, mountpoint, day
  ON CONFLICT (host_id, mountpoint, day) DO UPDATE SET
    n = d.n + excluded.n, sx = d.sx + excluded.sx, sy = d.sy + excluded.sy, sxx = d.sxx + excluded.sxx, sxy = d.sxy + excluded.sxy,
    min_used = least(d.min_used, excluded.min_used), max_used = greatest(d.max_used, excluded.max_used),
    max_use_pct = greatest(d.max_use_pct, excluded.max_use_pct),
    first_used = CASE WHEN excluded.first_at < d.first_at THEN excluded.first_used ELSE d.first_used END,
    first_at = least(d.first_at, excluded.first_at),
    last_used = CASE WHEN excluded.last_at > d.last_at THEN excluded.last_used ELSE d.last_used END,
    device = CASE WHEN excluded.last_at > d.last_at THEN excluded.device ELSE d.device END,
    fstype = CASE WHEN excluded.last_at > d.last_at THEN excluded.fstype ELSE d.fstype END,
    role = CASE WHEN excluded.last_at > d.last_at THEN excluded.role ELSE d.role END,
    size_bytes = CASE WHEN excluded.last_at > d.last_at THEN excluded.size_bytes ELSE d.size_bytes END,
    last_at = greatest(d.last_at, excluded.last_at)`;

/**
 * The running rows (migration 4) of the volumes whose window's closed days this batch changed (new
 * volume, new day, spooled report), rebuilt from device_daily. Sent after DAILY_UPSERT_SQL in the same
 * transaction, so it reads the batch's sums; the batch's host rows are locked, so nothing else moves
 * them. `$FROM`: the batch's (host_id, mountpoint, day) rows (VOLUME_DAY_COLUMNS) of the hosts that may need it.
 *
 * Both steps are linear in the batch whatever the planner estimates for the parameter arrays (10 rows):
 * the rebuild reads device_daily after the upsert (no anti-join against the upsert's RETURNING rows)
 * and one LATERAL probe a volume (trendRebuild). Before, on a batch of 500 first reports of a day, each
 * was planned as a nested loop over the whole batch: 0.5-1.5 s a batch (pg_stat_statements and
 * auto_explain, 2026-12-07; docs/control-plane.md).
 */
const TREND_REBUILD_SQL = `INSERT INTO volume_trend AS v (${TREND_COLUMNS})
${trendRebuild(`SELECT r.host_id, r.mountpoint, greatest(max(r.day), max(o.open_day)) AS open_day
    FROM $FROM
    LEFT JOIN volume_trend o ON o.host_id = r.host_id AND o.mountpoint = r.mountpoint
   GROUP BY r.host_id, r.mountpoint
  HAVING bool_or(o.open_day IS NULL OR r.day > o.open_day OR (r.day < o.open_day AND r.day >= o.open_day - ${TREND_DAYS_KEPT}))`)}
 ORDER BY t.host_id, t.mountpoint
ON CONFLICT (host_id, mountpoint) DO UPDATE SET open_day = excluded.open_day, n = excluded.n, sx = excluded.sx, sy = excluded.sy,
  sxx = excluded.sxx, sxy = excluded.sxy, peak = excluded.peak, daily = excluded.daily`;

// Errors that mean "someone else created/dropped this partition at the same moment".
const RACE_STATES = new Set(['42P07', '23505', '42P01', '40P01']);

type Row = Record<string, unknown>;

function toDate(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === 'string' || typeof v === 'number') return new Date(v);
  throw new TypeError('not a timestamp');
}
function toDateOrNull(v: unknown): Date | null {
  return v === null || v === undefined ? null : toDate(v);
}
function num(v: unknown): number {
  return toNumber(v) ?? 0;
}
function json(v: unknown): string {
  return JSON.stringify(v);
}
function stat3(r: Row, p: string): Stat3 {
  return { avg: num(r[`${p}_avg`]), p95: num(r[`${p}_p95`]), max: num(r[`${p}_max`]) };
}
function stat3Sql(col: string, p: string): string {
  return `avg(${col}) AS ${p}_avg, percentile_cont(0.95) WITHIN GROUP (ORDER BY ${col}) AS ${p}_p95, max(${col}) AS ${p}_max`;
}

interface Candidate {
  readonly index: number;
  readonly item: IngestItem;
  readonly ms: number;
  readonly day: string;
  readonly key: string;
}

interface DailyAgg {
  host_id: number;
  mountpoint: string;
  day: string;
  device: string;
  fstype: string;
  role: string;
  size_bytes: number | null;
  n: number;
  sx: number;
  sy: number;
  sxx: number;
  sxy: number;
  min_used: number;
  max_used: number;
  max_use_pct: number | null;
  first_used: number;
  first_ms: number;
  last_used: number;
  last_ms: number;
}

/** A device_daily row as the upsert takes it (DAILY_COLUMNS). */
type DailyRow = Omit<DailyAgg, 'first_ms' | 'last_ms'> & { first_at: string; last_at: string };

/** One entry per mountpoint (the last wins): a report may list an over-mounted path twice. */
function uniqueDevices(devices: readonly ReportDevice[]): ReportDevice[] {
  const m = new Map<string, ReportDevice>();
  for (const d of devices) m.set(d.mountpoint, d);
  return [...m.values()];
}

// Operator and reported tags stay apart: merged, a host's report could override its operator's tags.
const HOST_STATUS_SQL = `SELECT name, tags, report_tags, enrolled_at, last_seen, last_sampled_at, interval_seconds, source, last_error, last_error_at
  FROM hosts ORDER BY name`;

function hostStatus(r: Row): HostStatusRow {
  return {
    host: String(r.name),
    tags: Object.freeze({ ...((r.tags ?? {}) as Record<string, string>) }),
    reportedTags: Object.freeze({ ...((r.report_tags ?? {}) as Record<string, string>) }),
    enrolledAt: toDate(r.enrolled_at),
    lastSeen: toDateOrNull(r.last_seen),
    lastSampledAt: toDateOrNull(r.last_sampled_at),
    intervalSeconds: toNumber(r.interval_seconds),
    source: (r.source ?? null) as ReportSource | null,
    lastError: (r.last_error ?? null) as string | null,
    lastErrorAt: toDateOrNull(r.last_error_at),
  };
}

/** `ControlStore` over a `Database` (PostgreSQL or PGlite). Construct, then `migrate()` before use. */
export class SqlControlStore implements ControlStore {
  readonly kind: 'postgres' | 'pglite';
  readonly #db: Database;
  readonly #retentionDays: number;
  readonly #capacitySource: 'trend' | 'daily';
  readonly #log: Logger | undefined;
  // Days whose partitions (every partitioned table) are known to exist; a promise so concurrent
  // batches needing the same new day create it once.
  readonly #readyDays = new Map<string, Promise<void>>();

  constructor(db: Database, options: SqlControlStoreOptions = {}) {
    this.#db = db;
    this.kind = db.kind;
    this.#retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    this.#capacitySource = options.capacitySource ?? 'trend';
    this.#log = options.log;
  }

  async migrate(): Promise<void> {
    await migrate(this.#db, MIGRATIONS, this.#log);
  }

  /** The database under this store, for the other stores of the same schema (fleet changes). */
  get database(): Database {
    return this.#db;
  }

  async enrollHost(name: string, tokenHash: string, tags?: Readonly<Record<string, string>>, now = new Date(), by?: AuditBy): Promise<{ created: boolean; host: HostIdentity }> {
    if (!by) return this.#enrollHost(this.#db, name, tokenHash, tags, now);
    return this.#db.transaction(async (tx) => {
      const r = await this.#enrollHost(tx, name, tokenHash, tags, now);
      await insertAuditRow(tx, by.actor, r.created ? 'host.enroll' : 'host.rotate', { host: r.host.name, ...(tags !== undefined ? { tags } : {}) });
      return r;
    });
  }

  async #enrollHost(q: Queryable, name: string, tokenHash: string, tags: Readonly<Record<string, string>> | undefined, now: Date): Promise<{ created: boolean; host: HostIdentity }> {
    // xmax = 0 only on a freshly inserted row: tells insert from rotate in one statement.
    const rows = await q.query<Row>(
      `INSERT INTO hosts (name, token_hash, tags, enrolled_at) VALUES ($1, $2, coalesce($3::text::jsonb, '{}'::jsonb), $4::timestamptz)
       ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash,
         tags = CASE WHEN $3::text IS NULL THEN hosts.tags ELSE excluded.tags END
       RETURNING id, name, (xmax = 0) AS created`,
      [name, tokenHash, tags === undefined ? null : json(tags), now.toISOString()],
    );
    const r = rows[0]!;
    return { created: r.created === true, host: { id: num(r.id), name: String(r.name) } };
  }

  async removeHost(name: string, by?: AuditBy): Promise<boolean> {
    return this.#db.transaction(async (tx) => (await this.#removeHost(tx, name, by)) !== undefined);
  }

  async hostsWhere(where: WhereClause): Promise<HostIdentity[]> {
    return this.#hostsWhere(this.#db, where);
  }

  async removeHostsWhere(where: WhereClause, by?: AuditBy & { readonly expect?: number }): Promise<HostIdentity[]> {
    return this.#db.transaction(async (tx) => {
      const hosts = await this.#hostsWhere(tx, where);
      // The count the operator confirmed: a selection that grew or shrank since is not what they agreed to.
      if (by?.expect !== undefined && by.expect !== hosts.length) {
        throw new VigiaError('VIGIA_ERR_BAD_REQUEST', `--where selects ${plural(hosts.length, 'host')} now, not the ${by.expect} confirmed: run it again`);
      }
      for (const h of hosts) await this.#removeHost(tx, h.name, by && { actor: by.actor, detail: { where } });
      return hosts;
    });
  }

  async #hostsWhere(q: Queryable, where: WhereClause): Promise<HostIdentity[]> {
    const rows = await q.query<Row>(`SELECT id, name, tags, coalesce(report_tags, '{}'::jsonb) AS report_tags FROM hosts ORDER BY name`);
    const parse = (v: unknown): Record<string, string> => (typeof v === 'string' ? (JSON.parse(v) as Record<string, string>) : ((v ?? {}) as Record<string, string>));
    return rows
      .filter((r) => matchesWhere(where, { name: String(r.name), tags: parse(r.tags), reportedTags: parse(r.report_tags) }))
      .map((r) => ({ id: num(r.id), name: String(r.name) }));
  }

  /** Remove one host in transaction `tx` (audit row with `by`); its id, or undefined when unknown. */
  async #removeHost(tx: Queryable, name: string, by?: AuditBy & { readonly detail?: Record<string, unknown> }): Promise<number | undefined> {
    {
      const rows = await tx.query<Row>(`DELETE FROM hosts WHERE name = $1 RETURNING id`, [name]);
      const id = rows[0] ? num(rows[0].id) : undefined;
      if (id === undefined) return undefined;
      if (by) await insertAuditRow(tx, by.actor, 'host.remove', { host: name, ...by.detail });
      // Every table whose index leads with host_id. disk_samples has none (an index there would cost
      // ingest ~20 000 index entries a minute): its rows become unreachable (every read joins hosts,
      // and a re-enrolled name gets a new id) and leave with their day's partition.
      for (const table of ['latest_devices', 'latest_system', 'system_samples', 'device_daily', 'volume_trend']) {
        await tx.query(`DELETE FROM ${table} WHERE host_id = $1`, [id]);
      }
      return id;
    }
  }

  async audit(actor: string, action: string, detail: Record<string, unknown>): Promise<void> {
    await insertAuditRow(this.#db, actor, action, detail);
  }

  async hostByTokenHash(tokenHash: string): Promise<HostIdentity | undefined> {
    const rows = await this.#db.query<Row>(`SELECT id, name FROM hosts WHERE token_hash = $1`, [tokenHash]);
    return rows[0] ? { id: num(rows[0].id), name: String(rows[0].name) } : undefined;
  }

  async hostByName(name: string): Promise<HostIdentity | undefined> {
    const rows = await this.#db.query<Row>(`SELECT id, name FROM hosts WHERE name = $1`, [name]);
    return rows[0] ? { id: num(rows[0].id), name: String(rows[0].name) } : undefined;
  }

  async recordHostError(hostId: number, at: Date, message: string): Promise<void> {
    await this.#db.query(`UPDATE hosts SET last_error = $2, last_error_at = $3::timestamptz WHERE id = $1`, [hostId, message.slice(0, MAX_ERROR_CHARS), at.toISOString()]);
  }

  async hostStatuses(): Promise<HostStatusRow[]> {
    return (await this.#db.query<Row>(HOST_STATUS_SQL)).map(hostStatus);
  }

  async ingest(items: readonly IngestItem[]): Promise<IngestOutcome[]> {
    if (items.length === 0) return [];
    const outcomes: IngestOutcome[] = new Array<IngestOutcome>(items.length).fill('duplicate');
    const live: Candidate[] = [];
    items.forEach((item, index) => {
      const ms = Date.parse(item.report.sampled_at);
      const day = utcDay(ms);
      if (isExpiredDay(day, item.receivedAt.getTime(), this.#retentionDays)) outcomes[index] = 'expired';
      else live.push({ index, item, ms, day, key: `${item.hostId}/${ms}` });
    });
    const days = [...new Set(live.map((c) => c.day))];
    const initial = [...outcomes];
    for (let attempt = 0; ; attempt++) {
      await this.#ensureDays(days);
      try {
        await this.#db.transaction((tx) => this.#ingestTx(tx, items, live, outcomes));
        break;
      } catch (err) {
        // 23514 "no partition of relation found": our cache said the day exists but another
        // replica's maintenance dropped it (or it is brand new there): forget it and retry once.
        if (sqlState(err) !== '23514' || attempt > 0) throw err;
        for (const d of days) this.#readyDays.delete(d);
        initial.forEach((o, i) => (outcomes[i] = o));
      }
    }
    return outcomes;
  }

  async #ingestTx(tx: Queryable, items: readonly IngestItem[], live: readonly Candidate[], outcomes: IngestOutcome[]): Promise<void> {
    const hostIds = [...new Set(items.map((i) => i.hostId))].sort((a, b) => a - b);
    // Lock the batch's hosts in id order: serialises batches sharing a host (no deadlock, since all
    // take them in the same order) and makes last_sampled_at a stable read for "is it newest?". The ids
    // are one array literal unnested once: `id = ANY($1::text::int[])` parsed the array again for every
    // row a sequential scan visited (~10 ms a batch of 500, measured), and JSON costs a parse per element.
    const locked = await tx.query<Row>(
      `SELECT id, last_sampled_at, trend_day::text AS trend_day FROM hosts WHERE id IN (SELECT unnest($1::text::int[])) ORDER BY id FOR UPDATE`,
      [`{${hostIds.join(',')}}`],
    );
    const prevSampled = new Map<number, number | null>();
    const trendDay = new Map<number, string | null>();
    for (const r of locked) {
      prevSampled.set(num(r.id), r.last_sampled_at == null ? null : toDate(r.last_sampled_at).getTime());
      trendDay.set(num(r.id), (r.trend_day ?? null) as string | null);
    }

    // Unknown hosts (removed while their report was queued) store nothing: reported as duplicate.
    const seen = new Set<string>();
    const candidates = live.filter((c) => {
      if (!prevSampled.has(c.item.hostId) || seen.has(c.key)) return false;
      seen.add(c.key);
      return true;
    });

    const stored: Candidate[] = [];
    if (candidates.length > 0) {
      const rows = candidates.map((c) => {
        const s = c.item.report.system;
        return {
          h: c.item.hostId, t: c.item.report.sampled_at,
          u: s?.cpu.user_pct ?? null, sy: s?.cpu.system_pct ?? null, io: s?.cpu.iowait_pct ?? null, st: s?.cpu.steal_pct ?? null, id: s?.cpu.idle_pct ?? null,
          c: s?.cpu.cpus ?? null, l1: s?.load1 ?? null, l5: s?.load5 ?? null, l15: s?.load15 ?? null,
          mt: s?.mem_total_bytes ?? null, mu: s?.mem_used_pct ?? null, sw: s?.swap_used_pct ?? null, up: s?.uptime_seconds ?? null,
        };
      });
      const inserted = await tx.query<Row>(
        `INSERT INTO system_samples (host_id, sampled_at, cpu_user, cpu_system, cpu_iowait, cpu_steal, cpu_idle, cpus, load1, load5, load15, mem_total_bytes, mem_used_pct, swap_used_pct, uptime_seconds)
         SELECT h, t, u, sy, io, st, id, c, l1, l5, l15, mt, mu, sw, up
           FROM ${rowsFrom(SYSTEM_COLUMNS, rows).from}
          ORDER BY h, t
         ON CONFLICT (host_id, sampled_at) DO NOTHING
         RETURNING host_id, sampled_at`,
        rowsFrom(SYSTEM_COLUMNS, rows).params,
      );
      const isNew = new Set(inserted.map((r) => `${num(r.host_id)}/${toDate(r.sampled_at).getTime()}`));
      for (const c of candidates) {
        if (isNew.has(c.key)) {
          stored.push(c);
          outcomes[c.index] = 'stored';
        }
      }
    }

    // The writes below depend on nothing but `stored`: they go out together (one round trip, run in
    // this order by the connection) instead of one round trip each.
    const writes: Promise<unknown>[] = [];
    if (stored.length > 0) {
      const disks = stored.flatMap((c) =>
        (c.item.report.system?.disks ?? []).map((d) => ({
          h: c.item.hostId, t: c.item.report.sampled_at, d: d.device, r: d.reads_per_s, w: d.writes_per_s, rb: d.read_bytes_per_s, wb: d.write_bytes_per_s, a: d.await_ms, u: d.util_pct,
        })),
      );
      if (disks.length > 0) {
        // COPY where the driver makes it faster (PGlite); a multi-row INSERT otherwise (postgres.js:
        // COPY measured slower, see docs/control-plane.md). disk_samples has no key: rows of stored reports only.
        writes.push(tx.copyFrom
          ? tx.copyFrom(`disk_samples (${DISK_COPY_COLUMNS})`, copyText(['h', 't', 'd', 'r', 'w', 'rb', 'wb', 'a', 'u'], disks))
          : tx.query(
            `INSERT INTO disk_samples (${DISK_COPY_COLUMNS})
             SELECT h, t, d, r, w, rb, wb, a, u FROM ${rowsFrom(DISK_COLUMNS, disks).from}`,
            rowsFrom(DISK_COLUMNS, disks).params,
          ));
      }
      const daily = this.#dailyRows(stored);
      if (daily.length > 0) {
        const src = rowsFrom(DAILY_COLUMNS, daily);
        writes.push(tx.query(DAILY_UPSERT_SQL.replace('$FROM', () => src.from), src.params));
        // The running rows (migration 4) change only when a closed day of their window does: a host's
        // first report of a new day (trend_day, the newest day it reported, moves) or a spooled report
        // for an older day. Only then are the running rows of that host's volumes rebuilt, after the upsert.
        const rebuild = new Set(stored.filter((c) => c.day !== trendDay.get(c.item.hostId)).map((c) => c.item.hostId));
        if (rebuild.size > 0) {
          const volumeDays = rowsFrom(VOLUME_DAY_COLUMNS, daily.filter((r) => rebuild.has(r.host_id)));
          writes.push(tx.query(TREND_REBUILD_SQL.replace('$FROM', () => volumeDays.from), volumeDays.params));
        }
      }
    }

    // Per host: last_seen moves to the newest receive time for every report (even a replay or an
    // expired one proves the host alive); the rest moves only with a stored report newer than all.
    const newest = new Map<number, Candidate>();
    for (const c of stored) {
      const cur = newest.get(c.item.hostId);
      if (!cur || c.ms > cur.ms) newest.set(c.item.hostId, c);
    }
    const lastSeen = new Map<number, number>();
    for (const it of items) {
      if (!prevSampled.has(it.hostId)) continue;
      lastSeen.set(it.hostId, Math.max(lastSeen.get(it.hostId) ?? 0, it.receivedAt.getTime()));
    }
    const newestDay = new Map<number, string>();
    for (const c of stored) if ((newestDay.get(c.item.hostId) ?? '') < c.day) newestDay.set(c.item.hostId, c.day);
    const winners: Candidate[] = [];
    const hostRows = [...lastSeen].map(([id, seenMs]) => {
      const c = newest.get(id);
      const prev = prevSampled.get(id) ?? null;
      const win = c !== undefined && (prev === null || c.ms > prev);
      if (win) winners.push(c);
      return {
        id, ls: new Date(seenMs).toISOString(), w: win,
        t: win ? c.item.report.sampled_at : null, i: win ? c.item.report.interval_seconds : null, s: win ? c.item.source : null, g: win ? c.item.report.tags : null,
        td: newestDay.get(id) ?? null,
      };
    });
    if (hostRows.length > 0) {
      writes.push(tx.query(
        `UPDATE hosts h SET last_seen = greatest(h.last_seen, r.ls),
           last_sampled_at = CASE WHEN r.w THEN r.t ELSE h.last_sampled_at END,
           interval_seconds = CASE WHEN r.w THEN r.i ELSE h.interval_seconds END,
           source = CASE WHEN r.w THEN r.s ELSE h.source END,
           report_tags = CASE WHEN r.w THEN r.g ELSE h.report_tags END,
           trend_day = greatest(h.trend_day, r.td)
         FROM ${rowsFrom('id int, ls timestamptz, w boolean, t timestamptz, i int, s text, g jsonb, td date', hostRows).from}
         WHERE h.id = r.id`,
        rowsFrom('id int, ls timestamptz, w boolean, t timestamptz, i int, s text, g jsonb, td date', hostRows).params,
      ));
    }
    if (winners.length > 0) writes.push(...this.#replaceLatest(tx, winners));
    await Promise.all(writes);
  }

  /** The statements replacing the winners' latest state, issued in order (the caller awaits them). */
  #replaceLatest(tx: Queryable, winners: readonly Candidate[]): Promise<unknown>[] {
    const writes: Promise<unknown>[] = [];
    // Upsert the newest devices (HOT updates, no index churn), then drop the winner hosts' rows the
    // upsert did not touch: those mounts vanished from the newest report.
    const devices = winners.flatMap((c) =>
      uniqueDevices(c.item.report.devices).map((d) => ({
        h: c.item.hostId, m: d.mountpoint, t: c.item.report.sampled_at, d: d.device, f: d.fstype, r: d.role, ro: d.read_only,
        sb: d.size_bytes, ub: d.used_bytes, ab: d.avail_bytes, up: d.use_pct, it: d.inodes_total, iu: d.inodes_used, ip: d.inode_use_pct, e: d.error,
      })),
    );
    if (devices.length > 0) {
      writes.push(tx.query(
        `INSERT INTO latest_devices AS l (host_id, mountpoint, sampled_at, device, fstype, role, read_only, size_bytes, used_bytes, avail_bytes, use_pct, inodes_total, inodes_used, inode_use_pct, error)
         SELECT h, m, t, d, f, r, ro, sb, ub, ab, up, it, iu, ip, e
           FROM ${rowsFrom('h int, m text, t timestamptz, d text, f text, r text, ro boolean, sb bigint, ub bigint, ab bigint, up float8, it bigint, iu bigint, ip float8, e text', devices).from}
          ORDER BY h, m
         ON CONFLICT (host_id, mountpoint) DO UPDATE SET sampled_at = excluded.sampled_at, device = excluded.device, fstype = excluded.fstype, role = excluded.role,
           read_only = excluded.read_only, size_bytes = excluded.size_bytes, used_bytes = excluded.used_bytes, avail_bytes = excluded.avail_bytes, use_pct = excluded.use_pct,
           inodes_total = excluded.inodes_total, inodes_used = excluded.inodes_used, inode_use_pct = excluded.inode_use_pct, error = excluded.error`,
        rowsFrom('h int, m text, t timestamptz, d text, f text, r text, ro boolean, sb bigint, ub bigint, ab bigint, up float8, it bigint, iu bigint, ip float8, e text', devices).params,
      ));
    }
    const newest = winners.map((c) => ({ h: c.item.hostId, t: c.item.report.sampled_at, s: c.item.report.system !== null }));
    writes.push(tx.query(
      `WITH w AS (SELECT * FROM ${rowsFrom('h int, t timestamptz, s boolean', newest).from}),
            a AS (DELETE FROM latest_devices l USING w WHERE l.host_id = w.h AND l.sampled_at <> w.t RETURNING 1),
            b AS (DELETE FROM latest_system l USING w WHERE l.host_id = w.h AND NOT w.s RETURNING 1)
       SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b) AS n`,
      rowsFrom('h int, t timestamptz, s boolean', newest).params,
    ));
    const systems = winners.flatMap((c) => {
      const s = c.item.report.system;
      if (!s) return [];
      return [{
        h: c.item.hostId, t: c.item.report.sampled_at, u: s.cpu.user_pct, sy: s.cpu.system_pct, io: s.cpu.iowait_pct, st: s.cpu.steal_pct, id: s.cpu.idle_pct, c: s.cpu.cpus,
        l1: s.load1, l5: s.load5, l15: s.load15, mt: s.mem_total_bytes, mu: s.mem_used_pct, sw: s.swap_used_pct, up: s.uptime_seconds,
      }];
    });
    if (systems.length > 0) {
      writes.push(tx.query(
        `INSERT INTO latest_system (host_id, sampled_at, cpu_user, cpu_system, cpu_iowait, cpu_steal, cpu_idle, cpus, load1, load5, load15, mem_total_bytes, mem_used_pct, swap_used_pct, uptime_seconds)
         SELECT h, t, u, sy, io, st, id, c, l1, l5, l15, mt, mu, sw, up
           FROM ${rowsFrom(SYSTEM_COLUMNS, systems).from}
          ORDER BY h
         ON CONFLICT (host_id) DO UPDATE SET sampled_at = excluded.sampled_at, cpu_user = excluded.cpu_user, cpu_system = excluded.cpu_system, cpu_iowait = excluded.cpu_iowait,
           cpu_steal = excluded.cpu_steal, cpu_idle = excluded.cpu_idle, cpus = excluded.cpus, load1 = excluded.load1, load5 = excluded.load5, load15 = excluded.load15,
           mem_total_bytes = excluded.mem_total_bytes, mem_used_pct = excluded.mem_used_pct, swap_used_pct = excluded.swap_used_pct, uptime_seconds = excluded.uptime_seconds`,
        rowsFrom(SYSTEM_COLUMNS, systems).params,
      ));
    }
    // Check results of the newest report: one row per host, replaced; a newest report without
    // checks (the bundle was removed, or an older agent) clears the host's row.
    const checks = winners.flatMap((c) => {
      const k = c.item.report.checks;
      if (!k) return [];
      const failing = k.results.filter((r) => r.state === 'CRITICAL' || r.state === 'UNKNOWN').length;
      return [{ h: c.item.hostId, r: k.release, t: c.item.report.sampled_at, n: k.results.length, f: failing, j: JSON.stringify(k.results) }];
    });
    if (checks.length > 0) {
      writes.push(tx.query(
        `INSERT INTO latest_checks AS l (host_id, release, sampled_at, total, failing, results)
         SELECT h, r, t, n, f, j::jsonb FROM ${rowsFrom('h int, r int, t timestamptz, n int, f int, j text', checks).from}
          ORDER BY h
         ON CONFLICT (host_id) DO UPDATE SET release = excluded.release, sampled_at = excluded.sampled_at, total = excluded.total, failing = excluded.failing, results = excluded.results`,
        rowsFrom('h int, r int, t timestamptz, n int, f int, j text', checks).params,
      ));
    }
    const noChecks = winners.filter((c) => !c.item.report.checks).map((c) => c.item.hostId);
    if (noChecks.length > 0) writes.push(tx.query(`DELETE FROM latest_checks WHERE host_id IN (SELECT unnest($1::text::int[]))`, [`{${noChecks.join(',')}}`]));
    // Top processes of the newest report, the same way: replaced, or cleared by a report without them.
    const procs = winners.flatMap((c) => (c.item.report.processes ? [{ h: c.item.hostId, t: c.item.report.sampled_at, j: JSON.stringify(c.item.report.processes) }] : []));
    if (procs.length > 0) {
      const rows = rowsFrom('h int, t timestamptz, j text', procs);
      writes.push(tx.query(
        `INSERT INTO latest_processes AS l (host_id, sampled_at, processes)
         SELECT h, t, j::jsonb FROM ${rows.from}
          ORDER BY h
         ON CONFLICT (host_id) DO UPDATE SET sampled_at = excluded.sampled_at, processes = excluded.processes`,
        rows.params,
      ));
    }
    const noProcs = winners.filter((c) => !c.item.report.processes).map((c) => c.item.hostId);
    if (noProcs.length > 0) writes.push(tx.query(`DELETE FROM latest_processes WHERE host_id IN (SELECT unnest($1::text::int[]))`, [`{${noProcs.join(',')}}`]));
    return writes;
  }

  /** Per (host, mountpoint, day) sums of the stored reports, x relative to that day's 00:00Z. */
  #dailyRows(stored: readonly Candidate[]): DailyRow[] {
    const acc = new Map<string, DailyAgg>();
    for (const c of stored) {
      const x = (c.ms - Math.floor(c.ms / DAY_MS) * DAY_MS) / 1000; // since c.day's 00:00Z
      for (const d of uniqueDevices(c.item.report.devices)) {
        if (d.used_bytes === null) continue;
        const y = d.used_bytes;
        const key = `${c.item.hostId}\u0000${d.mountpoint}\u0000${c.day}`;
        let a = acc.get(key);
        if (!a) {
          a = {
            host_id: c.item.hostId, mountpoint: d.mountpoint, day: c.day, device: d.device, fstype: d.fstype, role: d.role, size_bytes: d.size_bytes,
            n: 0, sx: 0, sy: 0, sxx: 0, sxy: 0, min_used: y, max_used: y, max_use_pct: d.use_pct, first_used: y, first_ms: c.ms, last_used: y, last_ms: c.ms,
          };
          acc.set(key, a);
        }
        a.n += 1;
        a.sx += x;
        a.sy += y;
        a.sxx += x * x;
        a.sxy += x * y;
        a.min_used = Math.min(a.min_used, y);
        a.max_used = Math.max(a.max_used, y);
        if (d.use_pct !== null) a.max_use_pct = a.max_use_pct === null ? d.use_pct : Math.max(a.max_use_pct, d.use_pct);
        if (c.ms < a.first_ms) {
          a.first_ms = c.ms;
          a.first_used = y;
        }
        if (c.ms >= a.last_ms) {
          a.last_ms = c.ms;
          a.last_used = y;
          a.device = d.device;
          a.fstype = d.fstype;
          a.role = d.role;
          a.size_bytes = d.size_bytes;
        }
      }
    }
    // Explicit fields: an object rest/spread here was 4 % of the server's CPU at saturation (profile, 2026-12-07).
    const out: DailyRow[] = [];
    for (const a of acc.values()) {
      out.push({
        host_id: a.host_id, mountpoint: a.mountpoint, day: a.day, device: a.device, fstype: a.fstype, role: a.role, size_bytes: a.size_bytes,
        n: a.n, sx: a.sx, sy: a.sy, sxx: a.sxx, sxy: a.sxy, min_used: a.min_used, max_used: a.max_used, max_use_pct: a.max_use_pct,
        first_used: a.first_used, first_at: new Date(a.first_ms).toISOString(), last_used: a.last_used, last_at: new Date(a.last_ms).toISOString(),
      });
    }
    return out;
  }

  async capacityData(now: Date, windowDays: number): Promise<CapacityData> {
    const firstDay = utcDay(now.getTime() - windowDays * DAY_MS);
    const lastDay = utcDay(now.getTime());
    // The store keeps per-day sums and adds whole UTC days, so the points span [firstDay 00:00Z, now]:
    // that is the window, and its start is the x origin (every x >= 0). Each day's sums (x relative to
    // the day) are shifted by d = seconds from windowStart to the day's 00:00Z:
    // sx' = sx + n d, sxx' = sxx + 2 d sx + n d^2, sxy' = sxy + d sy.
    const windowStart = new Date(dayStartMs(firstDay));
    const hostsP = this.hostStatuses();
    // The running table sums the window's closed days as they were when its row was rebuilt; with a
    // retention shorter than the window, maintenance drops some of those days from device_daily
    // during the day, and only the daily rows then give the answer the old query gave.
    const fromTrend = this.#capacitySource === 'trend' && windowDays < this.#retentionDays;
    const params = [firstDay, lastDay, windowDays];
    const sql = fromTrend ? CAPACITY_FROM_TREND_SQL : CAPACITY_FROM_DAILY_SQL;
    // Without JIT: the generic plan of this prepared statement is estimated far above jit_above_cost
    // (30,000 lateral aggregates, partitions pruned only at run time), and PostgreSQL then spent ~0.8 s
    // of a ~1 s query compiling it at 10,000 hosts (EXPLAIN ANALYZE, docs/control-plane.md). PGlite has no JIT.
    const rows = this.kind === 'postgres'
      ? await this.#db.transaction(async (tx) => (await Promise.all([tx.query('SET LOCAL jit = off'), tx.query<Row>(sql, params)]))[1])
      : await this.#db.query<Row>(sql, params);
    // A window has a handful of days: name each once, not once per volume and day.
    const dayNames = Array.from({ length: windowDays + 1 }, (_, i) => addDays(firstDay, i));
    const numOrNull = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
    const volumes: CapacityVolumeRow[] = rows.map((r) => {
      const f = String(r.f).split('\t');
      const n = numOrNull(f[8]);
      const dailyText = f[14] ?? '';
      // An unordered aggregate: an ORDER BY inside it costs one sort per volume (30 000 sorts at
      // 10 000 hosts); a volume has at most windowDays + 1 entries, sorted here.
      const daily: DailyExtremes[] = (dailyText !== '' ? dailyText.split(';') : [])
        .map((e) => e.split(',').map(Number) as [number, number, number, number])
        .sort((x, y) => x[0] - y[0])
        .map(([off, max, min, pct]) => ({ day: dayNames[off] ?? addDays(firstDay, off), maxUsedBytes: max, minUsedBytes: min, maxUsePct: pct }));
      return {
        host: String(r.name),
        mountpoint: String(r.mountpoint),
        device: String(r.device),
        fstype: String(r.fstype),
        role: f[0] as ReportDevice['role'],
        readOnly: f[1] === '1',
        sizeBytes: numOrNull(f[2]),
        usedBytes: numOrNull(f[3]),
        availBytes: numOrNull(f[4]),
        usePct: numOrNull(f[5]),
        inodeUsePct: numOrNull(f[6]),
        error: (r.error ?? null) as string | null,
        sampledAt: new Date(Number(f[7])),
        trend: n ? { n, sx: Number(f[9]), sy: Number(f[10]), sxx: Number(f[11]), sxy: Number(f[12]) } : null,
        windowPeakUsePct: numOrNull(f[13]),
        daily,
      };
    });
    // Sorted here by code point (host, then mountpoint): independent of the database collation, and
    // a 30 000-row ORDER BY spilled to disk on the server.
    volumes.sort((a, b) => (a.host === b.host ? (a.mountpoint < b.mountpoint ? -1 : a.mountpoint > b.mountpoint ? 1 : 0) : a.host < b.host ? -1 : 1));
    return { now, windowStart, hosts: await hostsP, volumes };
  }

  async performanceData(day: string): Promise<PerformanceData> {
    if (!isAcceptedDay(day)) throw new VigiaError('CONTROL_ERR_INVALID_DAY', dayProblem('day', day));
    const from = `${day}T00:00:00.000Z`;
    const to = `${addDays(day, 1)}T00:00:00.000Z`;
    const [hostRows, diskRows, fsRows, allHosts] = await Promise.all([
      this.#db.query<Row>(
        `SELECT h.name, s.* FROM (
           SELECT host_id, count(*) AS reports, count(cpu_user) AS samples, max(cpus) AS cpus,
                  ${stat3Sql('cpu_user', 'u')}, ${stat3Sql('cpu_system', 'sy')}, ${stat3Sql('cpu_iowait', 'io')}, ${stat3Sql('cpu_steal', 'st')},
                  ${stat3Sql('load1', 'l1')}, ${stat3Sql('mem_used_pct', 'mu')},
                  ${stat3Sql('cpu_user + cpu_system', 'b')}
             FROM system_samples WHERE sampled_at >= $1::timestamptz AND sampled_at < $2::timestamptz GROUP BY host_id
         ) s JOIN hosts h ON h.id = s.host_id ORDER BY h.name`,
        [from, to],
      ),
      this.#db.query<Row>(
        `SELECT h.name, s.* FROM (
           SELECT host_id, device, count(*) AS samples,
                  ${stat3Sql('read_bytes_per_s', 'rb')}, ${stat3Sql('write_bytes_per_s', 'wb')}, ${stat3Sql('reads_per_s', 'r')}, ${stat3Sql('writes_per_s', 'w')},
                  ${stat3Sql('await_ms', 'a')}, ${stat3Sql('util_pct', 'ut')}
             FROM disk_samples WHERE sampled_at >= $1::timestamptz AND sampled_at < $2::timestamptz GROUP BY host_id, device
         ) s JOIN hosts h ON h.id = s.host_id ORDER BY h.name, s.device`,
        [from, to],
      ),
      this.#db.query<Row>(
        `SELECT h.name, d.mountpoint, d.device, d.fstype, d.role, d.size_bytes, d.max_used, d.max_use_pct, d.last_used - d.first_used AS growth
           FROM device_daily d JOIN hosts h ON h.id = d.host_id WHERE d.day = $1::date ORDER BY h.name, d.mountpoint`,
        [day],
      ),
      this.#db.query<Row>(`SELECT name FROM hosts WHERE enrolled_at < $1::timestamptz ORDER BY name`, [to]),
    ]);
    // samples counts reports with system figures; a host whose reports that day all had none
    // (system: null) reported, so it is not silent, and is listed apart rather than dropped.
    const hosts: PerformanceHostRow[] = hostRows
      .filter((r) => num(r.samples) > 0)
      .map((r) => ({
        host: String(r.name), samples: num(r.samples), cpus: num(r.cpus),
        user: stat3(r, 'u'), system: stat3(r, 'sy'), iowait: stat3(r, 'io'), steal: stat3(r, 'st'), load1: stat3(r, 'l1'), memUsedPct: stat3(r, 'mu'),
        busy: stat3(r, 'b'),
      }));
    const hostsWithoutSystem = hostRows.filter((r) => num(r.samples) === 0).map((r) => String(r.name));
    const disks: PerformanceDiskRow[] = diskRows.map((r) => ({
      host: String(r.name), device: String(r.device), samples: num(r.samples),
      readBytesPerS: stat3(r, 'rb'), writeBytesPerS: stat3(r, 'wb'), readsPerS: stat3(r, 'r'), writesPerS: stat3(r, 'w'), awaitMs: stat3(r, 'a'), utilPct: stat3(r, 'ut'),
    }));
    const filesystems: PerformanceFilesystemRow[] = fsRows.map((r) => ({
      host: String(r.name), mountpoint: String(r.mountpoint), device: String(r.device), fstype: String(r.fstype), role: r.role as ReportDevice['role'],
      sizeBytes: toNumber(r.size_bytes), maxUsedBytes: toNumber(r.max_used), maxUsePct: toNumber(r.max_use_pct), growthBytes: toNumber(r.growth),
    }));
    const reported = new Set(hostRows.map((r) => String(r.name)));
    const silentHosts = allHosts.map((r) => String(r.name)).filter((n) => !reported.has(n));
    return { day, hosts, disks, filesystems, silentHosts, hostsWithoutSystem };
  }

  async maintainPartitions(now: Date, retentionDays: number): Promise<PartitionMaintenance> {
    const before = new Set(await this.listPartitions());
    const created: string[] = [];
    for (const day of upcomingDays(now.getTime())) {
      for (const { table } of PARTITIONED_TABLES) {
        const sql = createPartitionSql(table, day);
        const name = `${table}_p${day.replaceAll('-', '')}`;
        if (before.has(name)) continue;
        if (await this.#createPartition(sql)) created.push(name);
      }
      this.#readyDays.set(day, Promise.resolve());
    }
    const dropped: string[] = [];
    for (const name of before) {
      const p = parsePartitionName(name);
      if (!p || !isExpiredDay(p.day, now.getTime(), retentionDays)) continue;
      this.#readyDays.delete(p.day);
      try {
        await this.#db.exec(`DROP TABLE IF EXISTS ${name}`);
        dropped.push(name);
      } catch (err) {
        // Another replica dropped it first: fine, it is gone either way.
        if (!RACE_STATES.has(sqlState(err) ?? '')) throw err;
      }
    }
    // Running rows whose newest day is before every window they could serve (a volume unmounted, a host
    // silent for longer than TREND_DAYS_KEPT days): device_daily still has those days.
    await this.#db.query(`DELETE FROM volume_trend WHERE open_day < $1::date`, [addDays(utcDay(now.getTime()), -TREND_DAYS_KEPT)]);
    if (created.length || dropped.length) this.#log?.info({ created, dropped }, 'partition maintenance');
    return { created, dropped };
  }

  async listPartitions(): Promise<string[]> {
    const rows = await this.#db.query<Row>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname IN ('system_samples', 'disk_samples', 'device_daily') AND pg_table_is_visible(p.oid)`,
    );
    const order = PARTITIONED_TABLES.map((t) => t.table as string);
    return rows
      .map((r) => String(r.name))
      .filter((n) => parsePartitionName(n) !== undefined)
      .sort((a, b) => {
        const pa = parsePartitionName(a)!;
        const pb = parsePartitionName(b)!;
        return pa.day === pb.day ? order.indexOf(pa.table) - order.indexOf(pb.table) : pa.day < pb.day ? -1 : 1;
      });
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  /** Make sure every partition of each day exists (cached; created outside the ingest transaction). */
  async #ensureDays(days: readonly string[]): Promise<void> {
    await Promise.all(
      days.map((day) => {
        let p = this.#readyDays.get(day);
        if (!p) {
          p = (async () => {
            for (const { table } of PARTITIONED_TABLES) await this.#createPartition(createPartitionSql(table, day));
          })();
          this.#readyDays.set(day, p);
          p.catch(() => this.#readyDays.delete(day));
        }
        return p;
      }),
    );
  }

  /** Run one CREATE ... IF NOT EXISTS; true when it created the table, false when it existed or lost a race. */
  async #createPartition(sql: string): Promise<boolean> {
    const name = /EXISTS (\S+) PARTITION/.exec(sql)![1]!;
    const exists = async (): Promise<boolean> => (await this.#db.query<Row>(`SELECT to_regclass($1)::text AS t`, [name]))[0]?.t != null;
    if (await exists()) return false;
    try {
      // Without IF NOT EXISTS here: a replica that waited on our lock must learn it did not create it.
      await this.#db.exec(sql.replace(' IF NOT EXISTS', ''));
      return true;
    } catch (err) {
      // Replicas starting together race on the catalog: the loser sees 42P07 or a unique violation.
      if (RACE_STATES.has(sqlState(err) ?? '') && (await exists())) return false;
      throw err;
    }
  }
}

/** Options of `openControlStore`: a PostgreSQL URL, or an embedded data directory (or neither: in memory). */
export interface OpenControlStoreOptions {
  /** postgres://user:pass@host:port/db; when set, PostgreSQL is used. */
  readonly database?: string;
  /** Embedded PGlite data directory, `--data-dir` in messages (`memory://` or unset: in memory, for tests). */
  readonly dataDir?: string;
  /** Days of history kept (default 90). */
  readonly retentionDays?: number;
  /** PostgreSQL pool size (default 8). */
  readonly poolMax?: number;
  readonly log?: Logger;
}

/** Open the store the options name, apply pending migrations, and return it (closed again on failure). */
export async function openControlStore(opts: OpenControlStoreOptions): Promise<SqlControlStore> {
  const db = opts.database
    ? openPostgres(opts.database, { max: opts.poolMax, log: opts.log })
    : await openPglite(opts.dataDir, { log: opts.log, flag: '--data-dir' });
  const store = new SqlControlStore(db, { retentionDays: opts.retentionDays, log: opts.log });
  try {
    await store.migrate();
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return store;
}
