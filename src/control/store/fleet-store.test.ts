import { after } from 'node:test';
import type { Database } from '../../core/db/database.js';
import { openPglite } from '../../core/db/pglite.js';
import { runFleetStoreContract } from './fleet-store-contract.js';
import { FleetStore } from './fleet-store.js';
import { SqlControlStore } from './sql-store.js';

// One in-memory PGlite for the suite; each test starts from an empty, migrated schema.
let shared: Database | undefined;
after(() => shared?.close());

runFleetStoreContract('pglite (in memory)', async () => {
  shared ??= await openPglite('memory://');
  const db = shared;
  await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  const handle: Database = { kind: db.kind, query: (t, p) => db.query(t, p), exec: (t) => db.exec(t), transaction: (fn) => db.transaction(fn), close: async () => {} };
  const store = new SqlControlStore(handle);
  await store.migrate();
  return { store, fleet: new FleetStore(handle), cleanup: () => store.close() };
});
