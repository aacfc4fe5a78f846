import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyHistory, formatVerdict } from './history.js';
import { classify, computeStats, freshIds, runLoad, type LoadOptions } from './load-client.js';

/** A turno-like handler: `next(id)` returns the value to answer, or a [status, body] to send instead. */
type Behaviour = (id: string, req: IncomingMessage) => number | [number, string] | Promise<number | [number, string]>;

async function withServer<T>(behaviour: Behaviour, fn: (url: string) => Promise<T>): Promise<T> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const id = (req.url ?? '').replace(/^\/turno\//, '');
    void Promise.resolve(behaviour(id, req)).then((answer) => {
      const [status, body] = typeof answer === 'number' ? [200, JSON.stringify({ id, turno: answer })] : answer;
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await fn(`http://127.0.0.1:${port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A correct in-memory counter. */
function correctCounter(): (id: string) => number {
  const counters = new Map<string, number>();
  return (id) => {
    const n = (counters.get(id) ?? 0) + 1;
    counters.set(id, n);
    return n;
  };
}

const base: Omit<LoadOptions, 'url'> = { ids: 5, clients: 20, requests: 3000, timeoutMs: 5000 };

test('runLoad against a correct counter: PASS, every request recorded', async () => {
  const next = correctCounter();
  const { records, ids, stats } = await withServer((id) => next(id), (url) => runLoad({ ...base, url }));
  assert.equal(records.length, 3000);
  assert.equal(ids.length, 5);
  for (const id of ids) assert.match(id, /^check-[0-9a-f]{8}-\d$/);
  const v = verifyHistory(records);
  assert.equal(v.ok, true, formatVerdict(v, stats));
  assert.equal(v.counts.ok, 3000);
  assert.equal(v.counts.ids, 5);
  assert.equal(v.gaps.count, 0);
  assert.ok(stats.rps > 0 && stats.p50Ms > 0 && stats.p99Ms >= stats.p50Ms);
});

test('runLoad against a counter that hands out a duplicate: duplicate reported', async () => {
  const next = correctCounter();
  let calls = 0;
  const counters = new Map<string, number>();
  const broken = (id: string): number => {
    calls++;
    if (calls === 100) return counters.get(id) ?? 1; // answer the previous number again, without incrementing
    const n = next(id);
    counters.set(id, n);
    return n;
  };
  const { records, stats } = await withServer(broken, (url) => runLoad({ ...base, url }));
  const v = verifyHistory(records);
  assert.equal(v.ok, false, formatVerdict(v, stats));
  assert.equal(v.duplicates.count, 1);
  assert.equal(v.unexplainedGaps.count, 0);
});

test('runLoad against a counter that answers 503 after incrementing: gaps explained by unknowns, PASS', async () => {
  const next = correctCounter();
  let calls = 0;
  const flaky = (id: string): number | [number, string] => {
    const n = next(id);
    if (++calls % 13 === 0) return [503, '{"error":{"code":"TURNO_ERR_STORE_UNAVAILABLE","message":"counter store unavailable"}}'];
    return n;
  };
  const { records, stats } = await withServer(flaky, (url) => runLoad({ ...base, url }));
  const v = verifyHistory(records);
  assert.equal(v.ok, true, formatVerdict(v, stats));
  assert.ok(v.counts.unknown >= 200, `unknown=${v.counts.unknown}`);
  assert.ok(v.gaps.count > 0 && v.gaps.count <= v.counts.unknown, `gaps=${v.gaps.count}`);
  assert.deepEqual(stats.errors[0], { reason: 'HTTP 503 TURNO_ERR_STORE_UNAVAILABLE', count: v.counts.unknown });
});

test('runLoad: 4xx is rejected and explains no gap (a counter that skips a number on a 409 fails)', async () => {
  const next = correctCounter();
  let calls = 0;
  const sneaky = (id: string): number | [number, string] => {
    const n = next(id);
    if (++calls === 50) return [409, '{"error":{"code":"TURNO_ERR_COUNTER_EXHAUSTED","message":"x"}}'];
    return n;
  };
  const { records } = await withServer(sneaky, (url) => runLoad({ ...base, url, requests: 500 }));
  const v = verifyHistory(records);
  assert.equal(v.counts.rejected, 1);
  assert.equal(v.ok, false);
  assert.equal(v.unexplainedGaps.count, 1);
});

test('runLoad: a request past its timeout is unknown, not retried, and the run still ends', async () => {
  const next = correctCounter();
  let calls = 0;
  let served = 0;
  const slow = async (id: string): Promise<number> => {
    served++;
    const n = next(id);
    if (++calls === 10) await new Promise((r) => setTimeout(r, 1500));
    return n;
  };
  const { records } = await withServer(slow, (url) => runLoad({ ...base, url, clients: 4, requests: 200, timeoutMs: 300 }));
  assert.equal(served, 200, 'exactly one server call per request: no retries');
  const v = verifyHistory(records);
  assert.equal(v.counts.unknown, 1);
  assert.equal(records.find((r) => r.outcome === 'unknown')?.error, 'timeout');
  assert.equal(v.ok, true, formatVerdict(v));
});

test('runLoad: bearer token is sent; without it every request is rejected', async () => {
  const next = correctCounter();
  const auth = (id: string, req: IncomingMessage): number | [number, string] =>
    req.headers.authorization === 'Bearer s3cret' ? next(id) : [401, '{"error":{"code":"VIGIA_ERR_UNAUTHORIZED","message":"no"}}'];
  await withServer(auth, async (url) => {
    const good = verifyHistory((await runLoad({ ...base, url, requests: 100, token: 's3cret' })).records);
    assert.equal(good.counts.ok, 100);
    const bad = await runLoad({ ...base, url, requests: 100 });
    assert.equal(verifyHistory(bad.records).counts.rejected, 100);
    assert.deepEqual(bad.stats.errors, [{ reason: 'HTTP 401 VIGIA_ERR_UNAUTHORIZED', count: 100 }]);
  });
});

test('runLoad: --duration bounds a run without --requests; connection refused is unknown', async () => {
  const next = correctCounter();
  const progress: number[] = [];
  const { records } = await withServer(
    (id) => next(id),
    (url) => runLoad({ ...base, url, requests: undefined, durationMs: 1200, onProgress: (p) => progress.push(p.done) }),
  );
  assert.ok(records.length > 0);
  assert.equal(verifyHistory(records).ok, true);
  assert.ok(progress.length >= 1, 'progress reported about once a second');

  // Port 1 on loopback: nothing listens there.
  const refused = await runLoad({ ...base, url: 'http://127.0.0.1:1', requests: 10, clients: 2 });
  assert.equal(refused.records.length, 10);
  assert.ok(refused.records.every((r) => r.outcome === 'unknown' && r.error === 'ECONNREFUSED'));
});

test('runLoad: a base URL with a path prefix', async () => {
  const seen: string[] = [];
  const next = correctCounter();
  await withServer(
    (id, req) => {
      seen.push(req.url ?? '');
      return next(id);
    },
    (url) => runLoad({ ...base, url: `${url}/api`, requests: 1, idNames: ['x'] }),
  );
  assert.deepEqual(seen, ['/api/turno/x']);
});

test('classify', () => {
  const cases: [number, string, string, ReturnType<typeof classify>][] = [
    [200, '{"id":"a","turno":7}', 'a', { outcome: 'ok', value: 7 }],
    [200, '{"id":"b","turno":7}', 'a', { outcome: 'unknown', error: 'HTTP 200 with an unexpected body' }],
    [200, '{"id":"a","turno":0}', 'a', { outcome: 'unknown', error: 'HTTP 200 with an unexpected body' }],
    [200, '{"id":"a","turno":"7"}', 'a', { outcome: 'unknown', error: 'HTTP 200 with an unexpected body' }],
    [200, 'not json', 'a', { outcome: 'unknown', error: 'HTTP 200 with an unexpected body' }],
    [400, '{"error":{"code":"TURNO_ERR_INVALID_ID","message":"invalid id"}}', 'a', { outcome: 'rejected', error: 'HTTP 400 TURNO_ERR_INVALID_ID' }],
    [409, '{"error":{"code":"TURNO_ERR_COUNTER_EXHAUSTED","message":"x"}}', 'a', { outcome: 'rejected', error: 'HTTP 409 TURNO_ERR_COUNTER_EXHAUSTED' }],
    [401, '', 'a', { outcome: 'rejected', error: 'HTTP 401' }],
    [503, '{"error":{"code":"TURNO_ERR_STORE_UNAVAILABLE","message":"x"}}', 'a', { outcome: 'unknown', error: 'HTTP 503 TURNO_ERR_STORE_UNAVAILABLE' }],
    [500, '<html>', 'a', { outcome: 'unknown', error: 'HTTP 500' }],
    [302, '', 'a', { outcome: 'unknown', error: 'HTTP 302' }],
  ];
  for (const [status, body, id, want] of cases) assert.deepEqual(classify(status, body, id), want, `${status} ${body}`);
});

test('computeStats: nearest-rank percentiles over ok requests; errors grouped', () => {
  const records = [
    ...Array.from({ length: 100 }, (_, i) => ({ id: 'a', start: 0, end: i + 1, outcome: 'ok' as const, value: i + 1 })),
    { id: 'a', start: 0, end: 9999, outcome: 'unknown' as const, error: 'timeout' },
  ];
  const s = computeStats(records, 1000);
  assert.equal(s.rps, 101);
  assert.equal(s.p50Ms, 50);
  assert.equal(s.p99Ms, 99);
  assert.equal(s.maxMs, 100);
  assert.deepEqual(s.errors, [{ reason: 'timeout', count: 1 }]);
  assert.ok(Number.isNaN(computeStats([], 0).p50Ms));
});

test('freshIds: unique per run, valid turno ids', () => {
  const a = freshIds(3);
  const b = freshIds(3);
  assert.equal(new Set([...a, ...b]).size, 6);
  for (const id of a) assert.match(id, /^[A-Za-z0-9._:-]{1,128}$/);
});
