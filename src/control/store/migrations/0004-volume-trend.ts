/**
 * Migration 4: `volume_trend`, the per-volume running table the capacity report reads instead of
 * every volume's daily rows (at 10,000 hosts: 30,000 running rows plus today's 30,000 daily rows,
 * instead of ~240,000 device_daily rows grouped per report).
 *
 * Design:
 * - One row per (host, mountpoint): `open_day`, the volume's newest UTC day with figures, and what the
 *   default capacity window (TREND_DAYS_KEPT days before open_day, plus open_day itself) needs from
 *   the CLOSED days of that window, [open_day - TREND_DAYS_KEPT, open_day - 1]: the least-squares
 *   sums with x = seconds since (open_day - TREND_DAYS_KEPT) 00:00Z, the highest use % (`peak`), and
 *   each day's extremes as `offset,max_used,min_used,max_use_pct;...` (`daily`, offsets from that same
 *   first day; the report fits binlog volumes through daily peaks). The open day's own figures are
 *   its device_daily row, which ingest upserts anyway: the report adds it (one partition, one row per volume).
 * - So the row changes only when a closed day of its window does: once a day per volume, on its
 *   first report of a new UTC day (the window moves), or when a spooled report lands in a closed day.
 *   `hosts.trend_day` (the newest day the host reported) tells ingest which batches can touch a
 *   running row at all: those with a report of another day. A volume first seen during a day gets its
 *   running row on the next day's first report; until then the report sums its daily rows.
 *   Ingest rebuilds those rows with a statement sent right after the device_daily upsert, in the same
 *   transaction, from device_daily's rows of the window, so the sums are those of the daily
 *   rows, up to the order of additions (the contract suite compares both). A report for the open day
 *   touches no running row, nor reads one.
 * - The capacity report of the default window reads running row + today's daily row for every volume
 *   whose open_day is today; other volumes (their host silent) and other windows sum device_daily.
 * - Rows whose open_day left every window (a volume unmounted, a host silent for over
 *   TREND_DAYS_KEPT days) are removed by partition maintenance; removeHost removes a host's rows.
 */

/** The days before open_day that a running row sums: the capacity window it serves (the report policy's default). */
export const TREND_DAYS_KEPT = 7;

/** The columns of volume_trend in the order trendRebuild produces them. */
export const TREND_COLUMNS = 'host_id, mountpoint, open_day, n, sx, sy, sxx, sxy, peak, daily';

/**
 * One volume_trend row for every (host_id, mountpoint, open_day) of `touched`, summed from its
 * device_daily rows of the closed days [open_day - TREND_DAYS_KEPT, open_day - 1]. A LATERAL subquery a
 * volume: index probes into those days' partitions, linear in the volumes whatever the planner
 * estimates. (A join of `touched` to the days was planned as a nested loop when `touched` came from
 * a parameter array, estimated at 10 rows: 1,500 volumes x 10,500 day rows compared, 1.5 s a batch of 500.)
 * Part of migration 4's text (its backfill) and of ingest: change what it computes only with a
 * migration that rebuilds the table.
 */
export function trendRebuild(touched: string): string {
  const k = TREND_DAYS_KEPT;
  return `SELECT t.host_id, t.mountpoint, t.open_day, s.*
  FROM (${touched}) t
 CROSS JOIN LATERAL (
  SELECT coalesce(sum(w.n), 0), coalesce(sum(w.sx + w.n * w.d), 0), coalesce(sum(w.sy), 0),
         coalesce(sum(w.sxx + 2 * w.d * w.sx + w.n * w.d * w.d), 0), coalesce(sum(w.sxy + w.d * w.sy), 0),
         max(coalesce(w.max_use_pct, 0)),
         string_agg(concat_ws(',', w.day - (t.open_day - ${k}), w.max_used, w.min_used, coalesce(w.max_use_pct, 0)), ';')
    FROM (SELECT x.day, x.n, x.sx, x.sy, x.sxx, x.sxy, x.min_used, x.max_used, x.max_use_pct, (x.day - (t.open_day - ${k})) * 86400.0::float8 AS d
            FROM device_daily x
           WHERE x.host_id = t.host_id AND x.mountpoint = t.mountpoint AND x.day >= t.open_day - ${k} AND x.day < t.open_day) w
 ) s`;
}

/** Fill volume_trend from device_daily: run once by the migration (a database upgraded with history). */
export const VOLUME_TREND_BACKFILL = `INSERT INTO volume_trend (${TREND_COLUMNS})
${trendRebuild('SELECT host_id, mountpoint, max(day) AS open_day FROM device_daily GROUP BY host_id, mountpoint')};`;

/** The SQL of migration 4. */
export const MIGRATION_0004_VOLUME_TREND = `
CREATE TABLE volume_trend (
  host_id integer NOT NULL,
  mountpoint text NOT NULL,
  open_day date NOT NULL,
  n bigint NOT NULL,
  sx double precision NOT NULL,
  sy double precision NOT NULL,
  sxx double precision NOT NULL,
  sxy double precision NOT NULL,
  peak double precision,
  daily text,
  PRIMARY KEY (host_id, mountpoint)
) WITH (fillfactor = 70);

ALTER TABLE hosts ADD COLUMN trend_day date;

${VOLUME_TREND_BACKFILL}
`;
