import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFleetModel } from '../simulate/fleet-model.js';
import type { HostReport } from '../../core/contracts/host-report.js';
import { createPullLoop } from './pull-loop.js';
import type { PullSource } from './source.js';
import { toPullTarget, type PullTarget } from './targets.js';

const model = createFleetModel({ hosts: 50, seed: 1, dyingFraction: 0 });
const targets = (n: number): PullTarget[] => Array.from({ length: n }, (_, i) => toPullTarget({ host: model.hostName(i), kind: 'node_exporter', url: `http://127.0.0.1:1/${i}` }, null));
const waitMs = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/** Fake sources: each collect takes `delayMs` (abortable) and returns the model's report. */
function fakes(opts: { delayMs: number | ((host: string) => number); bad?: Set<string>; fail?: Set<string> }) {
  let inflight = 0;
  let peak = 0;
  const calls: string[] = [];
  const create = (t: PullTarget): PullSource => ({
    host: t.host,
    kind: t.kind,
    async collect(signal) {
      calls.push(t.host);
      inflight++;
      peak = Math.max(peak, inflight);
      try {
        await waitMs(typeof opts.delayMs === 'number' ? opts.delayMs : opts.delayMs(t.host), signal);
        if (opts.fail?.has(t.host)) throw new Error('connection refused');
        const r = model.reportAt(Number(t.host.slice(4)) - 1, Date.now());
        return opts.bad?.has(t.host) ? ({ ...r, host: 'bad host!' } as HostReport) : r;
      } finally {
        inflight--;
      }
    },
  });
  return { create, calls, peak: () => peak };
}

test('pullOnce scrapes every target once with bounded concurrency; bad reports and failures go to onError', async () => {
  const f = fakes({ delayMs: 20, bad: new Set(['sim-00003']), fail: new Set(['sim-00004']) });
  const reports: string[] = [];
  const errors: string[] = [];
  const loop = createPullLoop({ targets: targets(20), intervalSeconds: 60, concurrency: 4, onReport: (h, r, kind) => void reports.push(`${h}:${r.host}:${kind}`), onError: (h, e) => void errors.push(`${h}: ${e.message}`), createSource: f.create });
  await loop.pullOnce();
  assert.equal(f.calls.length, 20);
  assert.equal(f.peak(), 4);
  assert.equal(reports.length, 18);
  assert.ok(reports.includes('sim-00001:sim-00001:node_exporter'));
  assert.equal(errors.length, 2);
  assert.match(errors.find((e) => e.startsWith('sim-00003'))!, /host report contract: host/);
  assert.match(errors.find((e) => e.startsWith('sim-00004'))!, /connection refused/);
  assert.deepEqual(loop.stats(), { scrapes: 20, reports: 18, errors: 2, timeouts: 0, skipped: 0 });
  await loop.stop();
});

test('per-target timeouts abort slow scrapes; the others are not held up', async () => {
  const f = fakes({ delayMs: (h) => (h === 'sim-00002' ? 5000 : 10) });
  const errors: string[] = [];
  const loop = createPullLoop({ targets: targets(3), intervalSeconds: 60, concurrency: 3, timeoutMs: 200, onReport: () => {}, onError: (h, e) => void errors.push(`${h}: ${e.message}`), createSource: f.create });
  const started = Date.now();
  await loop.pullOnce();
  assert.ok(Date.now() - started < 2000);
  assert.deepEqual(errors, ['sim-00002: scrape of http://127.0.0.1:1/1 timed out after 200 ms']);
  assert.equal(loop.stats().timeouts, 1);
  await loop.stop();
});

test('start() spreads first scrapes over the interval, repeats every interval, and stop() ends it', async () => {
  const f = fakes({ delayMs: 1 });
  const seen: { host: string; at: number }[] = [];
  const loop = createPullLoop({ targets: targets(10), intervalSeconds: 1, concurrency: 10, onReport: (host) => void seen.push({ host, at: Date.now() }), createSource: f.create });
  const t0 = Date.now();
  loop.start();
  await new Promise((r) => setTimeout(r, 2500));
  await loop.stop();
  const n = seen.length;
  assert.ok(n >= 20 && n <= 30, `reports in 2.5 s at 1/s for 10 targets: ${n}`);
  const firstSecond = seen.filter((s) => s.at - t0 < 1000).map((s) => s.at - t0);
  assert.ok(Math.max(...firstSecond) - Math.min(...firstSecond) > 300, 'first scrapes are spread, not all at once');
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(seen.length, n, 'nothing after stop()');
});

test('a target still being scraped at its next turn is skipped; stop() aborts scrapes in flight', async () => {
  const f = fakes({ delayMs: 10_000 });
  const errors: string[] = [];
  // A scrape's deadline is at most one interval, so a turn can only find its target busy when the
  // previous scrape started off-schedule (pullOnce) or the clock jumped: pullOnce during a scrape shows it.
  const loop = createPullLoop({ targets: targets(2), intervalSeconds: 30, timeoutMs: 60_000, jitter: 0, onReport: () => {}, onError: (h) => void errors.push(h), createSource: f.create });
  loop.start();
  await new Promise((r) => setTimeout(r, 100));
  await loop.pullOnce();
  assert.equal(f.calls.length, 2);
  assert.equal(loop.stats().skipped, 2);
  const t = Date.now();
  await loop.stop();
  assert.ok(Date.now() - t < 500, 'stop aborts in-flight scrapes');
  assert.deepEqual(errors, [], 'aborts by stop() are not errors');
});

test('bad options are refused', () => {
  assert.throws(() => createPullLoop({ targets: [], intervalSeconds: 0, onReport: () => {} }), RangeError);
  assert.throws(() => createPullLoop({ targets: [], intervalSeconds: 10, concurrency: 0, onReport: () => {} }), RangeError);
});
