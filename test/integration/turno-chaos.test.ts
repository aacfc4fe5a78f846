/**
 * Chaos under load, bounded and on loopback only. Each scenario records every request and ends with
 * the history check: zero duplicates, zero real-time inversions, every gap explained by a request
 * whose outcome was unknown. The timeline and counts are printed as test diagnostics (they feed
 * docs/postmortems/).
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { formatVerdict, verifyHistory } from '../../src/turno/check/history.js';
import { runLoad, type LoadResult } from '../../src/turno/check/load-client.js';
import { startHaproxy } from '../support/haproxy.js';
import { waitFor } from '../support/wait.js';
import { startRedis } from '../support/redis.js';
import { tempDir } from '../support/tmp.js';
import { startTurno, type TurnoProcess } from '../support/turno-process.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Run load while `chaos` runs; return the verdict after both finished. */
async function underLoad(t: TestContext, url: string, chaos: (mark: (what: string) => void, loadDone: () => number) => Promise<void>): Promise<{ result: LoadResult; verdict: ReturnType<typeof verifyHistory> }> {
  const t0 = performance.now();
  const timeline: string[] = [];
  const mark = (what: string): void => {
    timeline.push(`t+${Math.round(performance.now() - t0)}ms ${what}`);
  };
  let done = 0;
  mark('load starts');
  const load = runLoad({ url, ids: 4, clients: 24, durationMs: 5000, requests: 60_000, timeoutMs: 2000, onProgress: (p) => (done = p.done) });
  await chaos(mark, () => done);
  const result = await load;
  mark('load ends');
  const verdict = verifyHistory(result.records);
  t.diagnostic(timeline.join(' | '));
  t.diagnostic(formatVerdict(verdict, result.stats));
  t.diagnostic(`errors: ${result.stats.errors.map((e) => `${e.reason}=${e.count}`).join(', ') || 'none'}`);
  return { result, verdict };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('kill -9 one turno instance behind HAProxy under load: no duplicate, traffic moves to the other', async (t) => {
  const redis = await startRedis({ appendfsync: 'always' });
  cleanups.push(() => redis.stop());
  const a = await startTurno(['--store', redis.url]);
  const b = await startTurno(['--store', redis.url]);
  cleanups.push(() => a.stop('SIGKILL'), () => b.stop());
  const lb = await startHaproxy([a.port, b.port]);
  cleanups.push(() => lb.stop());
  const { result, verdict } = await underLoad(t, lb.url, async (mark) => {
    await sleep(1500);
    mark(`kill -9 instance turno1 (pid ${a.child.pid})`);
    await a.stop('SIGKILL');
    await waitFor('haproxy marks turno1 DOWN', async () => /^DOWN/.test((await lb.serverStates()).turno1 ?? ''), 15_000, 100);
    mark('haproxy marked turno1 DOWN');
  });
  assert.equal(verdict.duplicates.count, 0);
  assert.equal(verdict.inversions.count, 0);
  assert.equal(verdict.unexplainedGaps.count, 0);
  assert.ok(verdict.ok, formatVerdict(verdict));
  const lastQuarter = result.records.filter((r) => r.start > result.stats.elapsedMs * 0.75);
  assert.ok(lastQuarter.filter((r) => r.outcome === 'ok').length > 100, 'the surviving instance kept serving');
  // Only requests in flight on the killed instance may fail (at most one per client connection, with
  // slack); refused connections are retried on the other instance (retry-on conn-failure + redispatch)
  // instead of becoming a storm of 503s (docs/postmortems/2026-11-22-instance-kill-503-storm.md).
  assert.ok(verdict.counts.unknown <= 2 * 24, `failed requests: ${verdict.counts.unknown} (${result.stats.errors.map((e) => `${e.reason}=${e.count}`).join(', ')})`);
});

test('restart Redis (AOF, appendfsync always) under load: 503s while it is down, no duplicate after', async (t) => {
  const redis = await startRedis({ appendfsync: 'always' });
  cleanups.push(() => redis.stop());
  const turno = await startTurno(['--store', redis.url]);
  cleanups.push(() => turno.stop());
  const { verdict, result } = await underLoad(t, turno.url, async (mark) => {
    await sleep(1500);
    mark(`kill -9 redis (pid ${redis.pid})`);
    await redis.kill();
    await sleep(700);
    mark('redis restarting (AOF replay)');
    await redis.restart();
    mark('redis answers PING');
  });
  assert.ok(verdict.ok, formatVerdict(verdict));
  assert.equal(verdict.duplicates.count, 0);
  assert.ok(verdict.counts.unknown > 0, 'the outage was visible to clients as errors, not made-up numbers');
  assert.ok(result.records.some((r) => r.error?.includes('503')), 'clients saw 503 while Redis was down');
  const okAfter = result.records.filter((r) => r.outcome === 'ok' && r.start > result.stats.elapsedMs - 1000);
  assert.ok(okAfter.length > 50, 'service recovered by itself after Redis came back');
});

test('kill -9 the file-store process mid-stream and restart it: no number is issued twice', async (t) => {
  const tmp = tempDir('vigia-chaos-file-');
  cleanups.push(() => tmp.remove());
  const store = `file:${tmp.dir}/turno.journal`;
  let proc: TurnoProcess = await startTurno(['--store', store]);
  const port = proc.port;
  cleanups.push(() => proc.stop());
  const { verdict } = await underLoad(t, proc.url, async (mark) => {
    await sleep(1500);
    mark(`kill -9 turno (pid ${proc.child.pid})`);
    await proc.stop('SIGKILL');
    mark('restarting on the same journal');
    proc = await startTurno(['--store', store], { port });
    mark('turno listening again');
  });
  assert.ok(verdict.ok, formatVerdict(verdict));
  assert.equal(verdict.duplicates.count, 0);
  assert.ok(verdict.counts.unknown > 0, 'the crash was visible to clients');
});
