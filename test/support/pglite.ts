/**
 * The embedded control store for tests. PGlite takes seconds to start, so a test file shares one
 * in-memory instance (closed after the file's tests) and each `freshPgliteStore()` starts from an
 * empty, migrated schema. Test files run in processes of their own, so "shared" means one file.
 */
import { after } from 'node:test';
import type { Database } from '../../src/core/db/database.js';
import { openPglite } from '../../src/core/db/pglite.js';
import { SqlControlStore } from '../../src/control/store/sql-store.js';

let shared: Database | undefined;
// Registered when a test file imports this module, so on the file's root: after all of its tests.
after(() => shared?.close());

/** A migrated control store on an empty schema of the file's shared PGlite. */
export interface PgliteWorld {
  readonly store: SqlControlStore;
  /** The database behind `store`, for other stores over the same tables (FleetStore); its close() does nothing. */
  readonly handle: Database;
  /** Runs SQL on the shared instance (e.g. to age rows a test needs old). */
  readonly exec: (sql: string) => Promise<void>;
}

/** Drops and recreates the public schema of the shared in-memory PGlite, then migrates a store on it. */
export async function freshPgliteStore(): Promise<PgliteWorld> {
  shared ??= await openPglite('memory://');
  const db = shared;
  await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  // store.close() must not close the instance the next test reuses.
  const handle: Database = {
    kind: db.kind,
    query: (t, p) => db.query(t, p),
    exec: (t) => db.exec(t),
    ...(db.copyFrom ? { copyFrom: (target: string, data: string) => db.copyFrom!(target, data) } : {}),
    transaction: (fn) => db.transaction(fn),
    close: async () => {},
  };
  const store = new SqlControlStore(handle);
  await store.migrate();
  return { store, handle, exec: (sql) => db.exec(sql) };
}
