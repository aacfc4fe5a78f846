/**
 * The ControlStore contract on a real PostgreSQL (started by the test), plus what only a server
 * shows: replicas migrating at once, partition races, and an ingest throughput figure (printed, not
 * asserted: timings on the CI machine are noisy).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgres } from '../../src/core/db/postgres.js';
import { isVigiaError } from '../../src/core/errors.js';
import { SqlControlStore, openControlStore } from '../../src/control/store/sql-store.js';
import { measureIngest, runStoreContract, testReport } from '../../src/control/store/store-contract.js';
import { runFleetStoreContract } from '../../src/control/store/fleet-store-contract.js';
import { FleetStore } from '../../src/control/store/fleet-store.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let pg: TestPostgres;
let seq = 0;

before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

async function freshUrl(): Promise<string> {
  return pg.createDatabase(`vigia_t${process.pid}_${seq++}`);
}

runStoreContract('postgres', async () => {
  const url = await freshUrl();
  const db = openPostgres(url, { max: 8 });
  const store = new SqlControlStore(db);
  await store.migrate();
  // The daily reader shares the pool; closing the store closes it.
  return { store, cleanup: () => store.close(), exec: (sql) => db.exec(sql), dailyReader: () => new SqlControlStore(db, { capacitySource: 'daily' }) };
});

runFleetStoreContract('postgres', async () => {
  const url = await freshUrl();
  const db = openPostgres(url, { max: 8 });
  const store = new SqlControlStore(db);
  await store.migrate();
  return { store, fleet: new FleetStore(db), cleanup: () => store.close() };
});

test('several replicas migrating and creating partitions at once', async () => {
  const url = await freshUrl();
  const stores = await Promise.all([0, 1, 2, 3].map(() => openControlStore({ database: url })));
  try {
    const now = new Date('2026-12-01T12:00:00Z');
    const results = await Promise.all(stores.map((s) => s.maintainPartitions(now, 90)));
    assert.equal(results.flatMap((r) => r.created).length, 9, 'each partition created exactly once');
    const { host } = await stores[0]!.enrollHost('h', 't');
    const day = Date.parse('2026-12-05T00:00:00Z');
    const outs = await Promise.all(stores.map((s, i) => s.ingest([{ hostId: host.id, receivedAt: new Date(day + i), source: 'push', report: testReport('h', day + i * 60_000) }])));
    assert.deepEqual(outs, [['stored'], ['stored'], ['stored'], ['stored']]);
    assert.equal((await stores[1]!.listPartitions()).length, 12);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});

test('an unreachable database is CONTROL_ERR_STORE_UNAVAILABLE and the password is not in the message', async () => {
  await assert.rejects(
    openControlStore({ database: 'postgres://vigia:s3cret-pw@127.0.0.1:1/vigia' }),
    (e) => isVigiaError(e, 'CONTROL_ERR_STORE_UNAVAILABLE') && !e.message.includes('s3cret-pw'),
  );
});

test('ingest throughput on PostgreSQL (printed)', async () => {
  const store = await openControlStore({ database: await freshUrl() });
  try {
    const r = await measureIngest(store);
    console.log(`postgres ingest: ${r.perSecond.toFixed(0)} reports/s, median batch of 500: ${r.medianBatchMs.toFixed(1)} ms`);
    const s = performance.now();
    const cap = await store.capacityData(new Date('2026-12-01T01:00:00Z'), 7);
    console.log(`postgres capacityData: ${cap.volumes.length} volumes in ${(performance.now() - s).toFixed(1)} ms`);
    assert.equal(cap.volumes.length, 1500);
  } finally {
    await store.close();
  }
});
