import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../core/log.js';
import { freshPgliteStore } from '../../test/support/pglite.js';
import { createReportService, PAST_DAY_CACHE_MS } from './report-service.js';
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

test('performance report: a past day is built once and kept, rebuilt in the background after PAST_DAY_CACHE_MS while the kept one answers; today is always fresh; mails build fresh', async () => {
  const { store } = await freshPgliteStore();
  try {
    await store.maintainPartitions(NOW, 30);
    let t = NOW.getTime();
    const calls: string[] = [];
    const counted = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'performanceData') return (day: string) => (calls.push(day), target.performanceData(day));
        const v = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const svc = createReportService({ store: counted, settings: parseServerSettings({}), log: createLogger('silent', { role: 'report' }), now: () => t });
    const { host } = await store.enrollHost('db-1', 'a'.repeat(64), {}, new Date(NOW.getTime() - 86_400_000));
    await store.ingest([{ hostId: host.id, receivedAt: new Date(NOW.getTime() - 86_400_000), source: 'push' as const, report: testReport('db-1', NOW.getTime() - 86_400_000) }]);
    const yesterday = '2026-11-30';
    const first = await svc.buildPerformance(yesterday);
    const again = await svc.buildPerformance(yesterday);
    assert.equal(again, first, 'the same report object: kept');
    assert.deepEqual(calls, [yesterday], 'built once');
    await Promise.all([svc.buildPerformance('2026-12-01'), svc.buildPerformance('2026-12-01')]);
    assert.equal(calls.filter((d) => d === '2026-12-01').length, 2, "today's is built on every call");
    // Past the cache time: the kept report answers at once, and one rebuild starts behind it.
    t += PAST_DAY_CACHE_MS + 1;
    calls.length = 0;
    assert.equal(await svc.buildPerformance(yesterday), first, 'stale answered while it rebuilds');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(calls, [yesterday], 'one rebuild');
    const rebuilt = await svc.buildPerformance(yesterday);
    assert.notEqual(rebuilt, first, 'the rebuilt report answers next');
    assert.equal(rebuilt.day, yesterday);
  } finally {
    await store.close();
  }
});

test('performance report: an empty past day is not kept (it may be one being backfilled)', async () => {
  const { store } = await freshPgliteStore();
  try {
    await store.maintainPartitions(NOW, 30);
    const svc = createReportService({ store, settings: parseServerSettings({}), log: createLogger('silent', { role: 'report' }), now: () => NOW.getTime() });
    assert.equal((await svc.buildPerformance('2026-11-30')).noSamples, true);
    const { host } = await store.enrollHost('db-1', 'a'.repeat(64), {}, new Date(NOW.getTime() - 86_400_000));
    await store.ingest([{ hostId: host.id, receivedAt: new Date(NOW.getTime() - 86_400_000), source: 'push' as const, report: testReport('db-1', NOW.getTime() - 86_400_000) }]);
    assert.equal((await svc.buildPerformance('2026-11-30')).noSamples, false, 'the backfilled day shows at once');
  } finally {
    await store.close();
  }
});
