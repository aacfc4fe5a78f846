import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../core/log.js';
import { freshPgliteStore } from '../../test/support/pglite.js';
import { createReportService } from './report-service.js';
import { parseServerSettings } from './server-settings.js';
import { testReport } from './store/store-contract.js';

const NOW = new Date('2026-12-01T07:00:00.000Z');

test('day one, on a real store: the capacity table waits for the first report, --all shows healthy volumes, the performance report of yesterday says where the samples are', async () => {
  const { store } = await freshPgliteStore();
  try {
    await store.maintainPartitions(NOW, 30);
    const svc = createReportService({ store, settings: parseServerSettings({}), log: createLogger('warn', { role: 'report' }), now: () => NOW.getTime() });
    const { host } = await store.enrollHost('db-1', 'a'.repeat(64), {}, new Date(NOW.getTime() - 600_000));
    assert.match((await svc.capacity('table')).body, /^waiting for the first report from 1 host$/m);
    // Two minutes of reports, every 10 s.
    const items = Array.from({ length: 13 }, (_, k) => {
      const at = NOW.getTime() - 120_000 + k * 10_000;
      return { hostId: host.id, receivedAt: new Date(at + 500), source: 'push' as const, report: testReport('db-1', at) };
    });
    await store.ingest(items);
    const short = (await svc.capacity('table')).body;
    assert.match(short, /^3 healthy volumes hidden: --all shows them$/m);
    assert.doesNotMatch(short, /waiting for the first report/);
    const all = (await svc.capacity('table', { all: true })).body;
    assert.equal(all.split('\n').filter((l) => l.startsWith('OK ')).length, 3);
    assert.match(all, /trend pending \(2 min of 24 h, 13 of 12 samples\)/);
    const perf = (await svc.performance('2026-11-30', 'table')).body;
    assert.match(perf, /^no samples for 2026-11-30; the first samples after it are from 2026-12-01; try --day 2026-12-01$/m);
    assert.doesNotMatch((await svc.performance('2026-12-01', 'table')).body, /no samples/);
    assert.match((await svc.performance('2026-12-01', 'json')).body, /"noSamples": false/);
  } finally {
    await store.close();
  }
});
