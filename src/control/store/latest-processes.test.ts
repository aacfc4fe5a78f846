/** The newest report's top processes per host (migration 7): replaced by newer reports, cleared by one without them, gone with the host. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshPgliteStore } from '../../../test/support/pglite.js';
import { testReport } from './store-contract.js';

const T0 = Date.parse('2026-12-01T07:00:00.000Z');
const proc = (pid: number, name: string) => ({ pid, name, user: 'mysql', cpu_pct: 12.5, rss_bytes: 1e9 });

test('latest_processes: the newest report wins, an older one changes nothing, a report without processes clears them, removal deletes them', async () => {
  const { store, handle } = await freshPgliteStore();
  try {
    await store.maintainPartitions(new Date(T0), 30);
    const { host } = await store.enrollHost('db-1', 'hash-a');
    const rows = async () => (await handle.query<{ sampled_at: Date; processes: unknown }>('SELECT sampled_at, processes FROM latest_processes WHERE host_id = $1', [host.id]));
    const ingest = (atMs: number, processes?: ReturnType<typeof proc>[]) =>
      store.ingest([{ hostId: host.id, receivedAt: new Date(atMs + 1000), source: 'push', report: testReport('db-1', atMs, processes ? { processes } : {}) }]);
    await ingest(T0, [proc(1, 'mysqld'), proc(2, 'sshd')]);
    assert.deepEqual((await rows())[0]!.processes, [proc(1, 'mysqld'), proc(2, 'sshd')]);
    await ingest(T0 + 60_000, [proc(3, 'mysqld')]);
    await ingest(T0 + 30_000, [proc(9, 'late')]);
    assert.deepEqual((await rows())[0]!.processes, [proc(3, 'mysqld')], 'an older report arriving late does not replace the newest');
    await ingest(T0 + 120_000);
    assert.equal((await rows()).length, 0, 'a newest report without processes (an older agent) clears them');
    await ingest(T0 + 180_000, [proc(4, 'mysqld')]);
    assert.equal(await store.removeHost('db-1'), true);
    assert.equal((await handle.query('SELECT 1 FROM latest_processes')).length, 0);
  } finally {
    await store.close();
  }
});
