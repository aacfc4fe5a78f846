/**
 * Numbered migrations: each applied once, in order, in its own transaction, recorded in
 * `schema_migrations`. On PostgreSQL a transaction-scoped advisory lock serialises replicas that start
 * together (the loser waits, then finds nothing pending); PGlite is one process, so it needs none.
 */
import { VigiaError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Database } from './database.js';
import { toNumber } from './database.js';

/** One migration: a version (1, 2, ...; never renumbered), a name for logs, and its SQL (several statements). */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Advisory lock key for migrations (an arbitrary constant shared by every vigia build). */
export const MIGRATION_LOCK_KEY = 7_310_420_001;

/** The highest version the database has recorded (0 when none). */
export async function schemaVersion(db: Database): Promise<number> {
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (!exists[0]?.t) return 0;
  const r = await db.query<{ v: unknown }>(`SELECT coalesce(max(version), 0) AS v FROM schema_migrations`);
  return toNumber(r[0]?.v) ?? 0;
}

/**
 * Apply every pending migration; returns the versions applied. Throws CONTROL_ERR_SCHEMA_TOO_NEW when
 * the database records a version this build does not know (a newer vigia migrated it: refusing beats
 * writing through a schema we do not understand).
 */
export async function migrate(db: Database, migrations: readonly Migration[], log?: Logger): Promise<number[]> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 1..n without gaps; found ${m.version} at position ${i + 1}`);
  });
  const known = sorted.length;
  const applied: number[] = [];
  for (;;) {
    const done = await db.transaction(async (tx) => {
      if (db.kind === 'postgres') await tx.query(`SELECT pg_advisory_xact_lock($1::bigint)`, [MIGRATION_LOCK_KEY]);
      await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const r = await tx.query<{ v: unknown }>(`SELECT coalesce(max(version), 0) AS v FROM schema_migrations`);
      const current = toNumber(r[0]?.v) ?? 0;
      if (current > known) {
        throw new VigiaError('CONTROL_ERR_SCHEMA_TOO_NEW', `database is at schema version ${current}, this build knows up to ${known}; upgrade vigia`);
      }
      const next = sorted[current];
      if (!next) return true;
      await tx.exec(next.sql);
      await tx.query(`INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, [next.version, next.name]);
      log?.info({ version: next.version, name: next.name }, 'applied migration');
      applied.push(next.version);
      return false;
    });
    if (done) return applied;
  }
}
