/**
 * Pure date and name math for the day partitions of the history tables (no I/O, table-tested).
 * Every partition covers one UTC day: `<table>_pYYYYMMDD`, [day 00:00Z, next day 00:00Z).
 */
import { isCalendarDay } from '../../core/contracts/day.js';

/** The tables partitioned by day and the type of their partition key. */
export const PARTITIONED_TABLES = [
  { table: 'system_samples', key: 'timestamptz' },
  { table: 'disk_samples', key: 'timestamptz' },
  // Its rows are upserted once a minute per volume all day long: free space per page keeps those HOT.
  { table: 'device_daily', key: 'date', with: ' WITH (fillfactor = 70)' },
] as const;

/** Name of a partitioned parent table. */
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number]['table'];

/** Milliseconds in one day. */
export const DAY_MS = 86_400_000;


/** The UTC day (YYYY-MM-DD) holding the instant `ms`. */
export function utcDay(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** True when `day` is a real calendar day written YYYY-MM-DD (the contract's isCalendarDay: no range, partitions come from our own database). */
export const isDay = isCalendarDay;

/** Epoch milliseconds of `day` 00:00 UTC. Throws on a malformed day. */
export function dayStartMs(day: string): number {
  if (!isDay(day)) throw new RangeError(`not a day: ${day}`);
  return Date.parse(`${day}T00:00:00.000Z`);
}

/** `day` plus `n` days (n may be negative). */
export function addDays(day: string, n: number): string {
  return utcDay(dayStartMs(day) + n * DAY_MS);
}

/** Every day from `first` to `last`, both included (empty when last < first). */
export function daysBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let t = dayStartMs(first), end = dayStartMs(last); t <= end; t += DAY_MS) out.push(utcDay(t));
  return out;
}

/** The partition of `table` holding `day`, e.g. system_samples_p20261201. */
export function partitionName(table: PartitionedTable, day: string): string {
  dayStartMs(day);
  return `${table}_p${day.replaceAll('-', '')}`;
}

/** The parent table and day of a partition name, or undefined when it is not one of ours. */
export function parsePartitionName(name: string): { table: PartitionedTable; day: string } | undefined {
  const m = /^([a-z_]+)_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!m) return undefined;
  const entry = PARTITIONED_TABLES.find((t) => t.table === m[1]);
  const day = `${m[2]}-${m[3]}-${m[4]}`;
  if (!entry || !isDay(day)) return undefined;
  return { table: entry.table, day };
}

/** `CREATE TABLE IF NOT EXISTS` for one day's partition (identifiers come from our own table list). */
export function createPartitionSql(table: PartitionedTable, day: string): string {
  const entry = PARTITIONED_TABLES.find((t) => t.table === table);
  if (!entry) throw new RangeError(`not partitioned: ${table}`);
  const next = addDays(day, 1);
  const bounds = entry.key === 'date' ? [`'${day}'`, `'${next}'`] : [`'${day} 00:00:00+00'`, `'${next} 00:00:00+00'`];
  const storage = 'with' in entry ? entry.with : '';
  return `CREATE TABLE IF NOT EXISTS ${partitionName(table, day)} PARTITION OF ${table} FOR VALUES FROM (${bounds[0]}) TO (${bounds[1]})${storage}`;
}

/**
 * True when the whole of `day` lies before `now - retentionDays`: its partitions may be dropped and a
 * report sampled that day is expired. A day that straddles the cutoff is kept whole.
 */
export function isExpiredDay(day: string, nowMs: number, retentionDays: number): boolean {
  return dayStartMs(day) + DAY_MS <= nowMs - retentionDays * DAY_MS;
}

/** The days maintenance keeps ready ahead of time: today and the next two (UTC). */
export function upcomingDays(nowMs: number, ahead = 2): string[] {
  const today = utcDay(nowMs);
  return daysBetween(today, addDays(today, ahead));
}
