/**
 * The one small database interface the control plane (and any later role) codes against, so the same
 * SQL runs on PostgreSQL (`postgres`, porsager) and on embedded PGlite. Deliberately tiny: text plus
 * `$1` parameters in, plain row objects out; no query builder, no driver types leaking upward.
 */

/** Something that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  /** Run one statement with `$1`-style parameters; resolves with the rows (empty for DDL/DML without RETURNING). */
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Run several `;`-separated statements without parameters (migrations, DDL). */
  exec(text: string): Promise<void>;
  /**
   * `COPY <target> FROM STDIN` with `data` in COPY's text format, where the driver makes that faster
   * than a multi-row INSERT (PGlite: measured in docs/control-plane.md); absent where it does not
   * (postgres.js: one more round trip, slower), and callers then INSERT.
   */
  copyFrom?(target: string, data: string): Promise<void>;
}

/** A database handle: a pool (PostgreSQL) or a single embedded instance (PGlite). */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Run `fn` inside BEGIN/COMMIT on one connection; ROLLBACK when it throws (the error is rethrown). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Release connections (and, for PGlite, the data-directory lock). Idempotent. */
  close(): Promise<void>;
}

/**
 * A column value as a JS number: drivers hand int8 and numeric back as strings (or bigint) so they
 * lose nothing; our figures (bytes, counts) stay below 2^53, so a number is exact. null stays null.
 */
export function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || typeof v === 'string') return Number(v);
  throw new TypeError(`not a number: ${typeof v}`);
}

/** The PostgreSQL SQLSTATE of a driver error, when there is one. */
export function sqlState(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    const code = (err as { code: string }).code;
    return /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  }
  return undefined;
}
