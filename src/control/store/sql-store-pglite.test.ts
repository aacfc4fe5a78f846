import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isVigiaError } from '../../core/errors.js';
import { tempDir } from '../../../test/support/tmp.js';
import { SqlControlStore, openControlStore } from './sql-store.js';
import { measureIngest, runStoreContract, testReport } from './store-contract.js';
import { freshPgliteStore } from '../../../test/support/pglite.js';

runStoreContract('pglite (in memory)', async () => {
  const { store, handle, exec } = await freshPgliteStore();
  return { store, cleanup: () => store.close(), exec, dailyReader: () => new SqlControlStore(handle, { capacitySource: 'daily' }) };
});

test('pglite on disk: data survives reopen; a second open is refused while the first holds the lock', async () => {
  const tmp = tempDir('vigia-pglite-');
  try {
    const dir = join(tmp.dir, 'store');
    const a = await openControlStore({ dataDir: dir });
    assert.equal(a.kind, 'pglite');
    assert.equal(readFileSync(join(dir, 'vigia.lock'), 'utf8').trim(), String(process.pid));
    await assert.rejects(openControlStore({ dataDir: dir }), (e) => isVigiaError(e, 'CONTROL_ERR_STORE_LOCKED') && e.message.includes(`pid ${process.pid}`));
    const { host } = await a.enrollHost('h', 't');
    assert.deepEqual(await a.ingest([{ hostId: host.id, receivedAt: new Date('2026-12-01T00:01:00Z'), source: 'push', report: testReport('h', Date.parse('2026-12-01T00:00:00Z')) }]), ['stored']);
    await a.close();
    assert.equal(existsSync(join(dir, 'vigia.lock')), false, 'lock released on close');
    // A stale lock (dead pid) is taken over.
    writeFileSync(join(dir, 'vigia.lock'), '2147483646\n');
    const b = await openControlStore({ dataDir: dir });
    assert.equal((await b.hostStatuses())[0]?.host, 'h');
    assert.equal((await b.performanceData('2026-12-01')).hosts[0]?.samples, 1);
    await b.close();
  } finally {
    tmp.remove();
  }
});

test('ingest throughput on PGlite (printed)', async () => {
  const store = await openControlStore({});
  try {
    const r = await measureIngest(store, 6, 500);
    console.log(`pglite ingest: ${r.perSecond.toFixed(0)} reports/s, median batch of 500: ${r.medianBatchMs.toFixed(1)} ms`);
    const s = performance.now();
    const cap = await store.capacityData(new Date('2026-12-01T01:00:00Z'), 7);
    console.log(`pglite capacityData: ${cap.volumes.length} volumes in ${(performance.now() - s).toFixed(1)} ms`);
    assert.equal(cap.volumes.length, 1500);
  } finally {
    await store.close();
  }
});
