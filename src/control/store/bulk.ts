/**
 * Multi-row statements with one array parameter per column: `unnest($1::text::int[], ...)`.
 * The arrays travel as PostgreSQL array literals in text parameters, built here, so both drivers
 * (postgres.js and PGlite) pass them through untouched, and the server parses them faster than the
 * same rows as JSON (measured: ~40 % less for 1 500 device rows).
 */

/** One column of a bulk row set: the key in the row objects and its SQL type. */
export type BulkColumn = readonly [key: string, sqlType: string];

/** The `FROM` item (`unnest(...) AS r(k1, k2, ...)`) and its parameters, starting at `$first`. */
export interface BulkSource {
  readonly from: string;
  readonly params: string[];
}

/** One value as a PostgreSQL array-literal element. */
export function arrayElement(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 't' : 'f';
  const s = typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : JSON.stringify(v);
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A PostgreSQL array literal of `values` (one dimension). */
export function arrayLiteral(values: readonly unknown[]): string {
  return `{${values.map(arrayElement).join(',')}}`;
}

/** Build `unnest(...) AS r(...)` over `rows` for `columns`; `first` is the number of the first `$n`. */
export function bulkSource(columns: readonly BulkColumn[], rows: ReadonlyArray<Record<string, unknown>>, first = 1): BulkSource {
  const params = columns.map(([key]) => arrayLiteral(rows.map((r) => r[key])));
  const args = columns.map(([, type], i) => `$${first + i}::text::${type}[]`).join(', ');
  return { from: `unnest(${args}) AS r(${columns.map(([key]) => key).join(', ')})`, params };
}

/** One value as a field of COPY's text format: `\N` for null, backslash escapes for text. */
export function copyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 't' : 'f';
  const s = typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : JSON.stringify(v);
  return s.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** `rows` as COPY text-format input for `keys` (one line per row, fields tab-separated). */
export function copyText(keys: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  let out = '';
  for (const r of rows) out += keys.map((k) => copyField(r[k])).join('\t') + '\n';
  return out;
}
