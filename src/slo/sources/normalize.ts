/**
 * From source rows to records, shared by every data source (CSV, PostgreSQL, MySQL): each table's
 * rows arrive as strings (null = SQL NULL, read as empty) in the order of `TABLE_FIELDS`, and leave
 * as DeployRow / OutageRow / TicketRow plus hygiene findings. Nothing is silently fixed: a row that
 * cannot be used is skipped and counted, a row that is used despite a problem is counted too.
 *
 * Checks per row, in this order (a skipped row is counted under its first problem only):
 *   deploys: status outside success|failure -> unparsable commit_at / deploy_at -> deploy before
 *            commit -> duplicate id -> deploy_at outside the window
 *   tickets: unparsable opened_at / closed_at -> closed before opened -> duplicate number ->
 *            [opened, closed] not touching the window; kept but reported: open (closed_at empty)
 *   outages: unparsable down / up -> up before down -> identical (down, up, code) seen before ->
 *            [down, up) not overlapping the window; kept but reported: open (up empty), overlapping
 *   all:     status/state spelled in several cases ("Closed", "closed"): lower-cased, reported
 *
 * Requests are folded (`RequestFolder`) into per-minute buckets as they are read.
 */
import type { ColumnMaps, DeployRow, HygieneFinding, OutageRow, RequestSeries, TableName, TicketRow } from '../model.js';
import type { TimestampParser } from './timestamps.js';

/** Fields of each table, in the order normalizers take their values; default column = field name. */
export const TABLE_FIELDS = {
  deploys: ['id', 'team', 'area', 'feature', 'status', 'commit_at', 'deploy_at'],
  outages: ['down', 'up', 'code'],
  tickets: ['number', 'caller', 'category', 'subcategory', 'symptom', 'assignment_group', 'state', 'opened_at', 'closed_at'],
  requests: ['time', 'status'],
} as const satisfies Record<TableName, readonly string[]>;

/** Tables in report order. */
export const TABLE_ORDER: readonly TableName[] = ['deploys', 'outages', 'tickets', 'requests'];

/** A field and the source column that holds it. */
export interface ColumnRef {
  readonly field: string;
  readonly column: string;
}

/** The source columns of `table` (a field left out of the map uses its own name). */
export function tableColumns(table: TableName, columns: ColumnMaps): ColumnRef[] {
  const map = columns[table] ?? {};
  return TABLE_FIELDS[table].map((field) => ({ field, column: map[field] ?? field }));
}

/** The report window; ±Infinity leaves a side open (record tables only: requests need both ends). */
export interface ReportWindow {
  readonly from: number;
  readonly to: number;
}

type Kind = HygieneFinding['kind'];
const KIND_ORDER: readonly Kind[] = [
  'missing_column', 'column_count_mismatch', 'unparsable_value', 'unknown_value', 'negative_duration', 'duplicate_row',
  'mixed_case_value', 'out_of_window', 'open_ticket', 'open_outage', 'overlapping_outages',
];
const MAX_EXAMPLES = 5;
const MAX_VALUES = 10;

interface Entry {
  table: TableName;
  kind: Kind;
  subject: string;
  message: string;
  rows: number;
  examples: string[];
  values: Set<string>;
}

/**
 * Accumulates findings keyed by (table, kind, subject); `list()` returns them in a stable order
 * (table, kind, subject), so two sources of the same data report the same list.
 */
export class HygieneLog {
  private readonly entries = new Map<string, Entry>();

  /**
   * Count `n` rows under (table, kind, subject). `ref` (or a function making it, called only while
   * examples are still wanted) names a row; `value` is a raw value listed in the message.
   */
  add(table: TableName, kind: Kind, subject: string, message: string, ref?: string | (() => string), n = 1, value?: string): void {
    const key = `${table}\0${kind}\0${subject}`;
    let e = this.entries.get(key);
    if (!e) {
      e = { table, kind, subject, message, rows: 0, examples: [], values: new Set() };
      this.entries.set(key, e);
    }
    e.rows += n;
    if (ref !== undefined && e.examples.length < MAX_EXAMPLES) e.examples.push(typeof ref === 'string' ? ref : ref());
    if (value !== undefined && e.values.size < MAX_VALUES) e.values.add(value);
  }

  /** The findings, sorted. */
  list(): HygieneFinding[] {
    const rank = (e: Entry): [number, number] => [TABLE_ORDER.indexOf(e.table), KIND_ORDER.indexOf(e.kind)];
    return [...this.entries.values()]
      .sort((a, b) => {
        const [ta, ka] = rank(a);
        const [tb, kb] = rank(b);
        return ta - tb || ka - kb || (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0);
      })
      .map((e) => ({
        table: e.table,
        kind: e.kind,
        rows: e.rows,
        message: e.values.size > 0 ? `${e.message}: ${[...e.values].sort().map((v) => JSON.stringify(v)).join(', ')}` : e.message,
        examples: Object.freeze([...e.examples]),
      }));
  }
}

/** A `missing_column` finding: the table cannot be used. */
export function reportMissingColumns(log: HygieneLog, table: TableName, where: string, missing: readonly string[]): void {
  for (const column of missing) {
    log.add(table, 'missing_column', column, `column ${JSON.stringify(column)} not found in ${where}; the ${table} table is not used`, undefined, 0);
  }
}

/** Tracks spellings of a normalised value; reports values spelled in several cases. */
class CaseTracker {
  private readonly families = new Map<string, { spellings: Set<string>; rows: number; refs: string[] }>();

  constructor(private readonly table: TableName, private readonly column: string) {}

  see(raw: string, lower: string, ref: string): void {
    let f = this.families.get(lower);
    if (!f) {
      f = { spellings: new Set(), rows: 0, refs: [] };
      this.families.set(lower, f);
    }
    f.spellings.add(raw);
    if (raw !== lower) {
      f.rows++;
      if (f.refs.length < MAX_EXAMPLES) f.refs.push(ref);
    }
  }

  report(log: HygieneLog): void {
    const msg = `${this.column} spelled in several cases (read as lower case)`;
    for (const [, f] of [...this.families].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (f.spellings.size < 2) continue;
      const spellings = [...f.spellings].sort();
      log.add(this.table, 'mixed_case_value', this.column, msg, undefined, f.rows);
      for (const s of spellings) log.add(this.table, 'mixed_case_value', this.column, msg, undefined, 0, s);
      for (const r of f.refs) log.add(this.table, 'mixed_case_value', this.column, msg, r, 0);
    }
  }
}

/** Receives one table's rows and produces its records. */
export interface TableNormalizer<T> {
  /** One row: values in `TABLE_FIELDS[table]` order (null = NULL); `ref` names it in findings. */
  add(values: readonly (string | null)[], ref: string): void;
  /** The records (sorted) and the end-of-table findings. */
  finish(): T[];
}

const str = (v: string | null | undefined): string => (v ?? '').trim();

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Deploys; `columns` from `tableColumns('deploys', …)` (for messages). */
export function deployNormalizer(log: HygieneLog, columns: readonly ColumnRef[], window: ReportWindow, parser: TimestampParser): TableNormalizer<DeployRow> {
  const col = (i: number): string => columns[i]!.column;
  const cases = new CaseTracker('deploys', col(4));
  const ids = new Set<string>();
  const out: DeployRow[] = [];
  return {
    add(v, ref) {
      const rawStatus = str(v[4]);
      const status = rawStatus.toLowerCase();
      cases.see(rawStatus, status, ref);
      if (status !== 'success' && status !== 'failure') {
        log.add('deploys', 'unknown_value', col(4), `${col(4)} is neither success nor failure (row skipped)`, ref, 1, rawStatus);
        return;
      }
      const commitAt = parser.parse(str(v[5]));
      if (commitAt === null) return log.add('deploys', 'unparsable_value', col(5), `unparsable ${col(5)} (row skipped)`, ref);
      const deployAt = parser.parse(str(v[6]));
      if (deployAt === null) return log.add('deploys', 'unparsable_value', col(6), `unparsable ${col(6)} (row skipped)`, ref);
      if (deployAt < commitAt) return log.add('deploys', 'negative_duration', col(6), `${col(6)} before ${col(5)} (row skipped)`, ref);
      const id = str(v[0]);
      if (ids.has(id)) return log.add('deploys', 'duplicate_row', col(0), `${col(0)} seen before (counted once)`, ref);
      ids.add(id);
      if (deployAt < window.from || deployAt >= window.to) return log.add('deploys', 'out_of_window', col(6), `${col(6)} outside the report window (ignored)`, ref);
      out.push(Object.freeze({ id, team: str(v[1]), area: str(v[2]), feature: str(v[3]), status, commitAt, deployAt }));
    },
    finish() {
      cases.report(log);
      return out.sort((a, b) => a.deployAt - b.deployAt || compare(a.id, b.id));
    },
  };
}

/** Tickets. */
export function ticketNormalizer(log: HygieneLog, columns: readonly ColumnRef[], window: ReportWindow, parser: TimestampParser): TableNormalizer<TicketRow> {
  const col = (i: number): string => columns[i]!.column;
  const cases = new CaseTracker('tickets', col(6));
  const numbers = new Set<string>();
  const out: TicketRow[] = [];
  return {
    add(v, ref) {
      const rawState = str(v[6]);
      const state = rawState.toLowerCase();
      cases.see(rawState, state, ref);
      const openedAt = parser.parse(str(v[7]));
      if (openedAt === null) return log.add('tickets', 'unparsable_value', col(7), `unparsable ${col(7)} (row skipped)`, ref);
      const closedText = str(v[8]);
      const closedAt = closedText === '' ? null : parser.parse(closedText);
      if (closedText !== '' && closedAt === null) return log.add('tickets', 'unparsable_value', col(8), `unparsable ${col(8)} (row skipped)`, ref);
      if (closedAt !== null && closedAt < openedAt) return log.add('tickets', 'negative_duration', col(8), `${col(8)} before ${col(7)} (row skipped)`, ref);
      const number = str(v[0]);
      if (numbers.has(number)) return log.add('tickets', 'duplicate_row', col(0), `${col(0)} seen before (counted once)`, ref);
      numbers.add(number);
      if (openedAt >= window.to || (closedAt !== null && closedAt < window.from)) {
        return log.add('tickets', 'out_of_window', col(7), `${col(7)}..${col(8)} outside the report window (ignored)`, ref);
      }
      if (closedAt === null) log.add('tickets', 'open_ticket', col(8), `${col(8)} empty: still open (counted as open, not resolved)`, ref);
      out.push(Object.freeze({
        number, caller: str(v[1]), category: str(v[2]), subcategory: str(v[3]), symptom: str(v[4]), assignmentGroup: str(v[5]), state, openedAt, closedAt,
      }));
    },
    finish() {
      cases.report(log);
      return out.sort((a, b) => a.openedAt - b.openedAt || compare(a.number, b.number));
    },
  };
}

/** Outages. */
export function outageNormalizer(log: HygieneLog, columns: readonly ColumnRef[], window: ReportWindow, parser: TimestampParser): TableNormalizer<OutageRow> {
  const col = (i: number): string => columns[i]!.column;
  const seen = new Set<string>();
  const out: Array<{ row: OutageRow; ref: string }> = [];
  return {
    add(v, ref) {
      const down = parser.parse(str(v[0]));
      if (down === null) return log.add('outages', 'unparsable_value', col(0), `unparsable ${col(0)} (row skipped)`, ref);
      const upText = str(v[1]);
      const up = upText === '' ? null : parser.parse(upText);
      if (upText !== '' && up === null) return log.add('outages', 'unparsable_value', col(1), `unparsable ${col(1)} (row skipped)`, ref);
      if (up !== null && up < down) return log.add('outages', 'negative_duration', col(1), `${col(1)} before ${col(0)} (row skipped)`, ref);
      const code = str(v[2]);
      const key = `${down}|${up}|${code}`;
      if (seen.has(key)) return log.add('outages', 'duplicate_row', '', `identical outage seen before (counted once)`, ref);
      seen.add(key);
      if (down >= window.to || (up !== null && up <= window.from)) {
        return log.add('outages', 'out_of_window', col(0), `${col(0)}..${col(1)} outside the report window (ignored)`, ref);
      }
      if (up === null) log.add('outages', 'open_outage', col(1), `${col(1)} empty: still down (counted to the window's end)`, ref);
      out.push({ row: Object.freeze({ down, up, code }), ref });
    },
    finish() {
      out.sort((a, b) => a.row.down - b.row.down || (a.row.up ?? Infinity) - (b.row.up ?? Infinity) || compare(a.row.code, b.row.code));
      let maxEnd = -Infinity;
      for (const { row, ref } of out) {
        if (row.down < maxEnd) log.add('outages', 'overlapping_outages', '', 'outage overlaps an earlier one (the union is counted)', ref);
        maxEnd = Math.max(maxEnd, row.up ?? Infinity);
      }
      return out.map((o) => o.row);
    },
  };
}

/** HTTP status from bytes [s, e) (spaces trimmed): 100..599, else -1. */
export function parseStatusBytes(b: Uint8Array, s: number, e: number): number {
  while (s < e && b[s] === 0x20) s++;
  while (e > s && b[e - 1] === 0x20) e--;
  if (e - s !== 3) return -1;
  const x = b[s]! - 0x30;
  const y = b[s + 1]! - 0x30;
  const z = b[s + 2]! - 0x30;
  if (x < 1 || x > 5 || y < 0 || y > 9 || z < 0 || z > 9) return -1;
  return x * 100 + y * 10 + z;
}

/** HTTP status from text: 100..599, else -1. */
export function parseStatus(text: string | null): number {
  if (text === null) return -1;
  const b = Buffer.from(text, 'utf8');
  return parseStatusBytes(b, 0, b.length);
}

const BUCKET_MS = 60_000;

/** How the folder names a row for examples (CSV: "requests.csv:17"). */
export type RowRef = (line: number) => string;

/**
 * Folds requests into per-minute buckets over [from, to). The hot path (`add`) allocates nothing:
 * bad requests per (month, code) go to a Float64Array per month until `finish`.
 */
export class RequestFolder {
  private readonly total: Float64Array;
  private readonly server: Float64Array;
  private readonly client: Float64Array;
  private readonly months: Array<{ key: string; counts: Float64Array }> = [];
  private monthStart = 0;
  private monthEnd = -1;
  private monthCounts: Float64Array = new Float64Array(200);
  private rows = 0;
  private outsideRows = 0;
  private readonly outsideRefs: string[] = [];
  private readonly timeColumn: string;
  private readonly statusColumn: string;

  /** `columns` from `tableColumns('requests', …)`. */
  constructor(private readonly window: ReportWindow, private readonly log: HygieneLog, columns: readonly ColumnRef[], private readonly refOf: RowRef = String) {
    if (!Number.isFinite(window.from) || !Number.isFinite(window.to) || window.to <= window.from) {
      throw new RangeError('requests need a finite report window with from < to');
    }
    const n = Math.ceil((window.to - window.from) / BUCKET_MS);
    this.total = new Float64Array(n);
    this.server = new Float64Array(n);
    this.client = new Float64Array(n);
    this.timeColumn = columns[0]!.column;
    this.statusColumn = columns[1]!.column;
  }

  /** One request; `ms` and `status` already parsed (status 100..599). `line` only names it in findings. */
  add(ms: number, status: number, line: number): void {
    const w = this.window;
    if (ms < w.from || ms >= w.to) {
      this.outside(1, line);
      return;
    }
    const i = Math.floor((ms - w.from) / BUCKET_MS);
    this.total[i]!++;
    this.rows++;
    if (status >= 400) {
      if (status >= 500) this.server[i]!++;
      else this.client[i]!++;
      if (ms < this.monthStart || ms >= this.monthEnd) this.enterMonth(ms);
      this.monthCounts[status - 400]!++;
    }
  }

  /** Rows outside the window (`line` for an example, when known); counted here, logged by `finish`. */
  outside(n: number, line?: number): void {
    this.outsideRows += n;
    if (line !== undefined && this.outsideRefs.length < 5) this.outsideRefs.push(this.refOf(line));
  }

  /** Rows whose time does not parse. */
  badTime(n: number, line?: number): void {
    this.log.add('requests', 'unparsable_value', this.timeColumn, `unparsable ${this.timeColumn} (row skipped)`, line === undefined ? undefined : () => this.refOf(line), n);
  }

  /** Rows whose status is not an HTTP status code (100..599). */
  badStatus(n: number, line?: number): void {
    this.log.add('requests', 'unparsable_value', this.statusColumn, `${this.statusColumn} is not an HTTP status code 100-599 (row skipped)`, line === undefined ? undefined : () => this.refOf(line), n);
  }

  /** Pre-aggregated rows (SQL): `n` requests of status class `cls` (1..5) in bucket `bucket`. */
  addBucket(bucket: number, cls: number, n: number): void {
    this.total[bucket]! += n;
    if (cls === 5) this.server[bucket]! += n;
    else if (cls === 4) this.client[bucket]! += n;
    this.rows += n;
  }

  /** Pre-aggregated bad requests (SQL): `n` rows of `code` (400..599) in month "YYYY-MM". */
  addBadCodes(month: string, code: number, n: number): void {
    this.monthFor(month).counts[code - 400]! += n;
  }

  /** Rows folded in so far. */
  get rowCount(): number {
    return this.rows;
  }

  /** Number of buckets. */
  get buckets(): number {
    return this.total.length;
  }

  private monthFor(key: string): { key: string; counts: Float64Array } {
    let m = this.months.find((x) => x.key === key);
    if (!m) {
      m = { key, counts: new Float64Array(200) };
      this.months.push(m);
    }
    return m;
  }

  private enterMonth(ms: number): void {
    const d = new Date(ms);
    const y = d.getUTCFullYear();
    const mo = d.getUTCMonth();
    this.monthStart = Date.UTC(y, mo, 1);
    this.monthEnd = Date.UTC(y, mo + 1, 1);
    this.monthCounts = this.monthFor(`${String(y).padStart(4, '0')}-${String(mo + 1).padStart(2, '0')}`).counts;
  }

  /** The series (months and codes in ascending order). */
  finish(): RequestSeries {
    if (this.outsideRows > 0) {
      const msg = `${this.timeColumn} outside the report window (ignored)`;
      this.log.add('requests', 'out_of_window', this.timeColumn, msg, undefined, this.outsideRows);
      for (const r of this.outsideRefs) this.log.add('requests', 'out_of_window', this.timeColumn, msg, r, 0);
    }
    const byMonth = new Map<string, ReadonlyMap<string, number>>();
    for (const m of [...this.months].sort((a, b) => compare(a.key, b.key))) {
      const codes = new Map<string, number>();
      for (let i = 0; i < 200; i++) if (m.counts[i]! > 0) codes.set(String(400 + i), m.counts[i]!);
      if (codes.size > 0) byMonth.set(m.key, codes);
    }
    return { startMs: this.window.from, bucketMs: BUCKET_MS, total: this.total, serverErrors: this.server, clientErrors: this.client, badByCodeMonth: byMonth, rows: this.rows };
  }
}
