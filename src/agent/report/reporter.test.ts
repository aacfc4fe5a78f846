import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { HostReport } from '../../core/contracts/host-report.js';
import type { Logger } from '../../core/log.js';
import { backoffDelay, parseRetryAfter } from '../../core/backoff.js';
import { classifyBatchItem, classifyResponse, parseBatchAnswer, Reporter, type ReporterOptions, type ReportOutcome } from './reporter.js';
import { openSpool, type Spool } from './spool.js';
import { waitFor } from '../../../test/support/wait.js';
import { captureLogger } from '../../../test/support/log.js';

const T0 = Date.UTC(2026, 11, 1, 7, 0, 0);
const TOKEN = 'vhk_test_token';

function report(ms: number): HostReport {
  return { v: 1, host: 'db-1', sampled_at: new Date(ms).toISOString(), interval_seconds: 60, agent: { version: '0.1.0' }, tags: { dc: 'x' }, system: null, devices: [] };
}

/** Reports T0, T0+1s, ... : `limit` of them, then collect() fails (nothing more is made). */
function producer(limit: number): { collect: () => Promise<HostReport>; made: string[] } {
  const made: string[] = [];
  return {
    made,
    collect: async () => {
      if (made.length >= limit) throw new Error('test producer exhausted');
      const r = report(T0 + made.length * 1000);
      made.push(r.sampled_at);
      return r;
    },
  };
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

/**
 * The control plane's ingest as far as the agent can tell: POST /v1/reports with the bearer token,
 * idempotent on host+sampled_at. `answer` decides per report (default 200 stored/duplicate).
 *
 * POST /v2/reports (report protocol v2, gzip or not): `answer` is asked per report of the batch; a
 * 401 or a hang for any of them answers the whole request so (a bad token is not a per-report
 * matter), otherwise each answer becomes that report's result (`{error}` for a non-200). `v2: false`
 * plays an older control plane (404); `batchAnswer` may answer a whole batch instead.
 */
async function receiver(
  answer?: (n: number, r: HostReport) => Answer | undefined,
  opts: { v2?: boolean; batchAnswer?: (reports: HostReport[]) => Answer | undefined } = {},
): Promise<{
  url: string;
  port: number;
  stored: string[];
  attempts: { at: number; sampled_at: string; status: number; v: 1 | 2 }[];
  /** Sizes of the v2 batches received, in order, with their content-encoding. */
  batches: { size: number; encoding: string | undefined; at: number }[];
  close: () => Promise<void>;
  reopen: () => Promise<void>;
}> {
  const stored: string[] = [];
  const attempts: { at: number; sampled_at: string; status: number; v: 1 | 2 }[] = [];
  const batches: { size: number; encoding: string | undefined; at: number }[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/base/v2/reports') {
        if (opts.v2 === false) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"VIGIA_ERR_NOT_FOUND","message":"no such endpoint"}}');
          return;
        }
        const raw = Buffer.concat(chunks);
        const reports = (JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString()) as { reports: HostReport[] }).reports;
        batches.push({ size: reports.length, encoding: req.headers['content-encoding'], at: Date.now() });
        const whole = opts.batchAnswer?.(reports);
        if (whole === 'hang') return;
        if (whole) {
          for (const r of reports) attempts.push({ at: Date.now(), sampled_at: r.sampled_at, status: whole.status, v: 2 });
          res.writeHead(whole.status, { 'content-type': 'application/json', ...whole.headers }).end(JSON.stringify(whole.body ?? {}));
          return;
        }
        if (req.headers.authorization !== `Bearer ${TOKEN}`) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"VIGIA_ERR_UNAUTHORIZED","message":"x"}}');
          return;
        }
        const answers = reports.map((r) => answer?.(n++, r));
        const stop = answers.find((a) => a === 'hang' || a?.status === 401);
        if (stop === 'hang') return;
        if (stop) {
          for (const r of reports) attempts.push({ at: Date.now(), sampled_at: r.sampled_at, status: stop.status, v: 2 });
          res.writeHead(stop.status, { 'content-type': 'application/json', ...stop.headers }).end(JSON.stringify(stop.body ?? {}));
          return;
        }
        let headers: Record<string, string> = {};
        const results = reports.map((r, i) => {
          const a = answers[i] as Exclude<Answer, 'hang'> | undefined;
          attempts.push({ at: Date.now(), sampled_at: r.sampled_at, status: a?.status ?? 200, v: 2 });
          if (a) {
            headers = { ...headers, ...a.headers };
            return a.status === 200 ? a.body : { error: (a.body as { error?: unknown } | undefined)?.error ?? { code: 'TEST', message: '' } };
          }
          const dup = stored.includes(r.sampled_at);
          if (!dup) stored.push(r.sampled_at);
          return { outcome: dup ? 'duplicate' : 'stored' };
        });
        res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ results }));
        return;
      }
      const r = JSON.parse(Buffer.concat(chunks).toString()) as HostReport;
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        attempts.push({ at: Date.now(), sampled_at: r.sampled_at, status, v: 1 });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      };
      if (req.url !== '/base/v1/reports' || req.headers.authorization !== `Bearer ${TOKEN}` || req.headers['content-type'] !== 'application/json') {
        reply(400, { error: { code: 'TEST_BAD_REQUEST', message: `${req.url} ${req.headers.authorization}` } });
        return;
      }
      const a = answer?.(n++, r);
      if (a === 'hang') return;
      if (a) {
        reply(a.status, a.body ?? {}, a.headers);
        return;
      }
      const dup = stored.includes(r.sampled_at);
      if (!dup) stored.push(r.sampled_at);
      reply(200, { outcome: dup ? 'duplicate' : 'stored' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/base/`,
    port,
    stored,
    attempts,
    batches,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
    reopen: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r)),
  };
}

async function tempSpool(log: Logger, over: { maxFiles?: number } = {}): Promise<{ spool: Spool; dir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'vigia-reporter-'));
  const dir = join(root, 'spool');
  const spool = await openSpool({ dir, log, ...over });
  return { spool, dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

function reporter(opts: Partial<ReporterOptions> & Pick<ReporterOptions, 'url' | 'spool' | 'collect' | 'log'>): { r: Reporter; outcomes: Record<ReportOutcome, number> } {
  const outcomes: Record<ReportOutcome, number> = { delivered: 0, spooled: 0, dropped: 0 };
  const r = new Reporter({
    token: TOKEN,
    intervalMs: 40,
    jitter: 0.1,
    initialDelayMs: 0,
    backoffBaseMs: 10,
    backoffCapMs: 100,
    drainPerSecond: 200,
    requestTimeoutMs: 2000,
    onOutcome: (o, n) => (outcomes[o] += n),
    ...opts,
  });
  return { r, outcomes };
}

test('classification of answers, Retry-After and full-jitter backoff (pure)', () => {
  const now = Date.UTC(2026, 11, 1);
  const cases: [number, string, SetKind][] = [
    [200, '{"outcome":"stored"}', 'delivered'],
    [200, '{"outcome":"duplicate"}', 'delivered'],
    [200, '{"outcome":"expired"}', 'delivered'],
    [401, '{"error":{"code":"VIGIA_ERR_UNAUTHORIZED","message":"bad token"}}', 'auth'],
    [403, '{"error":{"code":"CONTROL_ERR_HOST_MISMATCH","message":"token is for db-2"}}', 'auth'],
    [408, '', 'retry'],
    [429, '{"error":{"code":"CONTROL_ERR_OVERLOADED","message":"slow down"}}', 'retry'],
    [502, '<html>bad gateway</html>', 'retry'],
    [503, '{"error":{"code":"CONTROL_ERR_STORE_UNAVAILABLE","message":"db down"}}', 'retry'],
    [301, '', 'retry'],
    [409, '{}', 'drop'],
    [413, '{"error":{"code":"CONTROL_ERR_TOO_LARGE","message":"x"}}', 'drop'],
    [415, '{}', 'drop'],
    [422, '{"error":{"code":"CONTROL_ERR_INVALID_REPORT","message":"devices.0.mountpoint: Required"}}', 'drop'],
    [422, '{"error":{"code":"CONTROL_ERR_CLOCK_SKEW","message":"sampled_at is 3 h ahead"}}', 'retry'],
  ];
  for (const [status, body, kind] of cases) assert.equal(classifyResponse(status, undefined, body, now).kind, kind, `${status}`);
  // A report from a clock ahead of ours becomes acceptable later: kept and retried after Retry-After.
  const skew = classifyResponse(422, '600', cases.at(-1)![1], now);
  assert.equal(skew.kind === 'retry' && skew.cause, 'HTTP 422 CONTROL_ERR_CLOCK_SKEW: sampled_at is 3 h ahead');
  assert.equal(skew.kind === 'retry' && skew.retryAfterMs, 600_000);
  const r = classifyResponse(503, '7', '', now);
  assert.equal(r.kind === 'retry' && r.retryAfterMs, 7000);
  assert.equal(parseRetryAfter(new Date(now + 30_000).toUTCString(), now), 30_000);
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter(undefined, now), null);
  assert.equal(backoffDelay(1, 1000, 300_000, 0.999), 999);
  assert.equal(backoffDelay(4, 1000, 300_000, 0.5), 4000);
  assert.equal(backoffDelay(40, 1000, 300_000, 1), 300_000, 'capped');
  assert.equal(backoffDelay(3, 1000, 300_000, 0), 0, 'full jitter goes down to zero');
});
type SetKind = 'delivered' | 'retry' | 'auth' | 'drop';

test('a report is delivered every interval plus a jitter within its bounds; a healthy agent writes no spool file', async () => {
  const { log } = captureLogger();
  const rx = await receiver();
  const { spool, dir, cleanup } = await tempSpool(log);
  const p = producer(6);
  // The schedule is judged from the random draws and the times the reporter collects, not from gaps
  // between arrivals: ticks keep an absolute rhythm, so one late tick (a loaded machine) shortens the
  // next gap by design. What must hold: no tick before its time, each period within the jitter.
  let seed = 7;
  const draws: number[] = [];
  const random = (): number => {
    const v = (seed = (seed * 48271) % 2147483647) / 2147483647;
    draws.push(v);
    return v;
  };
  const collectedAt: number[] = [];
  const collect = async (): Promise<HostReport> => {
    collectedAt.push(Date.now());
    return p.collect();
  };
  const started = Date.now();
  const { r, outcomes } = reporter({ url: rx.url, spool, collect, log, intervalMs: 100, jitter: 0.5, random, initialDelayMs: undefined });
  try {
    r.start();
    await waitFor('six reports', () => rx.stored.length === 6 && outcomes.delivered === 6, 5000);
    // Draw 0 is the initial delay (within one interval); draw k the period before report k.
    const periods = draws.slice(1, 6).map((d) => 100 + d * 0.5 * 100);
    for (const period of periods) assert.ok(period >= 100 && period <= 150, `period ${period} ms outside interval..interval*(1+jitter)`);
    assert.ok(new Set(periods.map((g) => Math.round(g / 10))).size > 1, `periods vary with the jitter: ${periods.join(',')}`);
    let due = started + draws[0]! * 100;
    for (let k = 0; k < 6; k++) {
      if (k > 0) due += periods[k - 1]!;
      assert.ok(collectedAt[k]! >= due - 2, `report ${k} collected ${due - collectedAt[k]!} ms before its time`);
    }
    assert.deepEqual(rx.stored, p.made);
    assert.deepEqual(outcomes, { delivered: 6, spooled: 0, dropped: 0 });
    assert.deepEqual(await readdir(dir), []);
    assert.ok(r.lastSuccessAt! >= started);
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
});

test('control plane answering 503: reports are spooled, and afterwards each is delivered exactly once, in order', async () => {
  const { log, lines } = captureLogger();
  let outage = true;
  const rx = await receiver(() => (outage ? { status: 503, body: { error: { code: 'CONTROL_ERR_STORE_UNAVAILABLE', message: 'store down' } } } : undefined));
  const { spool, cleanup } = await tempSpool(log);
  const p = producer(12);
  // The store's 503 code carries a catalogued Retry-After of seconds; capped here to keep the test short.
  const { r, outcomes } = reporter({ url: rx.url, spool, collect: p.collect, log, intervalMs: 30, maxRetryAfterMs: 100 });
  try {
    r.start();
    await waitFor('six reports during the outage', () => p.made.length >= 6, 5000);
    assert.equal(rx.stored.length, 0);
    assert.ok(spool.files >= 5, `spooled: ${spool.files}`);
    assert.ok(lines.some((l) => l.level === 40 && /cannot deliver reports/.test(l.msg) && /503 CONTROL_ERR_STORE_UNAVAILABLE/.test(String(l.cause))));
    outage = false;
    await waitFor('the backlog and the rest', () => outcomes.delivered === 12 && spool.files === 0, 8000);
    assert.deepEqual(rx.stored, p.made, 'every report, in the order made');
    assert.equal(rx.attempts.filter((a) => a.status === 200).length, 12, 'each delivered exactly once (no duplicates)');
    assert.equal(outcomes.delivered, 12);
    assert.equal(outcomes.dropped, 0);
    assert.ok(outcomes.spooled >= 6);
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
});

test('control plane down (connection refused): spooled, then drained exactly once in order when it is back', async () => {
  const { log } = captureLogger();
  const rx = await receiver();
  await rx.close();
  const { spool, cleanup } = await tempSpool(log);
  const p = producer(10);
  const { r, outcomes } = reporter({ url: rx.url, spool, collect: p.collect, log, intervalMs: 30 });
  try {
    r.start();
    await waitFor('five spooled', () => spool.files >= 5, 5000);
    await rx.reopen();
    await waitFor('all ten', () => outcomes.delivered === 10 && spool.files === 0, 8000);
    assert.deepEqual(rx.stored, p.made);
    assert.equal(rx.attempts.length, 10, 'no report sent twice');
    assert.equal(outcomes.delivered, 10);
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
});

test('a restart delivers what the previous run left in the spool first, then the new reports', async () => {
  const { log } = captureLogger();
  const root = await mkdtemp(join(tmpdir(), 'vigia-reporter-'));
  const dir = join(root, 'spool');
  const rx = await receiver();
  try {
    const before = await openSpool({ dir, log });
    for (let i = 0; i < 3; i++) await before.put(Buffer.from(JSON.stringify(report(T0 - 10_000 + i * 1000))), T0 - 10_000 + i * 1000);
    await writeFile(join(dir, 'r-000000000000000-000000.json'), 'garbage'); // corrupt: deleted, not fatal
    const spool = await openSpool({ dir, log });
    const p = producer(2);
    const { r } = reporter({ url: rx.url, spool, collect: p.collect, log });
    r.start();
    await waitFor('leftovers and new', () => rx.stored.length === 5, 5000);
    await r.stop(500);
    assert.deepEqual(rx.stored, [...[0, 1, 2].map((i) => new Date(T0 - 10_000 + i * 1000).toISOString()), ...p.made]);
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rx.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('422 drops that report for good; 413 too; the others go on', async () => {
  const { log, lines } = captureLogger();
  const bad = new Set([new Date(T0 + 1000).toISOString(), new Date(T0 + 3000).toISOString()]);
  const rx = await receiver((_n, rep) =>
    rep.sampled_at === new Date(T0 + 1000).toISOString()
      ? { status: 422, body: { error: { code: 'CONTROL_ERR_INVALID_REPORT', message: 'devices.0.fstype: bad' } } }
      : rep.sampled_at === new Date(T0 + 3000).toISOString()
        ? { status: 413, body: { error: { code: 'CONTROL_ERR_TOO_LARGE', message: 'too large' } } }
        : undefined,
  );
  const { spool, cleanup } = await tempSpool(log);
  const p = producer(5);
  const { r, outcomes } = reporter({ url: rx.url, spool, collect: p.collect, log });
  try {
    r.start();
    await waitFor('five attempts', () => rx.attempts.length === 5 && outcomes.delivered + outcomes.dropped === 5, 5000);
    await new Promise((res) => setTimeout(res, 150));
    assert.equal(rx.attempts.length, 5, 'a dropped report is never retried');
    assert.deepEqual(rx.stored, p.made.filter((s) => !bad.has(s)));
    assert.deepEqual(outcomes, { delivered: 3, spooled: 0, dropped: 2 });
    assert.equal(spool.files, 0);
    assert.ok(lines.some((l) => l.level === 50 && /refused a report for good/.test(l.msg) && /CONTROL_ERR_INVALID_REPORT/.test(String(l.cause))));
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
});

test('401 keeps every report in the spool and says why; once accepted, all are delivered', async () => {
  const { log, lines } = captureLogger();
  let rejected = true;
  const rx = await receiver(() => (rejected ? { status: 401, body: { error: { code: 'VIGIA_ERR_UNAUTHORIZED', message: 'unknown token' } } } : undefined));
  const { spool, cleanup } = await tempSpool(log);
  const p = producer(6);
  const { r, outcomes } = reporter({ url: rx.url, spool, collect: p.collect, log, intervalMs: 30, backoffCapMs: 60 });
  try {
    r.start();
    await waitFor('six made', () => p.made.length === 6, 5000);
    await waitFor('six spooled', () => spool.files === 6, 2000);
    assert.equal(outcomes.dropped, 0);
    assert.ok(lines.some((l) => l.level === 50 && /rejects the host token \(--report-token-file\)/.test(l.msg)));
    rejected = false;
    await waitFor('delivered after the fix', () => outcomes.delivered === 6 && spool.files === 0, 5000);
    assert.deepEqual(rx.stored, p.made);
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
});

test('Retry-After is honoured even when the backoff would retry sooner', async () => {
  const { log } = captureLogger();
  const rx = await receiver((n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 'CONTROL_ERR_OVERLOADED', message: 'slow down' } } } : undefined));
  const { spool, cleanup } = await tempSpool(log);
  const p = producer(1);
  const { r } = reporter({ url: rx.url, spool, collect: p.collect, log, backoffBaseMs: 1, backoffCapMs: 5 });
  try {
    r.start();
    await waitFor('the retry', () => rx.stored.length === 1, 5000);
    assert.equal(rx.attempts.length, 2);
    const waited = rx.attempts[1]!.at - rx.attempts[0]!.at;
    assert.ok(waited >= 990, `retried after ${waited} ms, Retry-After said 1 s`);
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
});

test('a backlog drains at the bounded rate', async () => {
  const { log } = captureLogger();
  const { spool, cleanup } = await tempSpool(log);
  for (let i = 0; i < 10; i++) await spool.put(Buffer.from(JSON.stringify(report(T0 + i))), T0 + i);
  const rx = await receiver();
  const { r } = reporter({ url: rx.url, spool, collect: producer(0).collect, log, drainPerSecond: 50, intervalMs: 10_000, initialDelayMs: 0, batches: false });
  try {
    const t = Date.now();
    r.start();
    await waitFor('drained', () => rx.stored.length === 10, 5000);
    const took = Date.now() - t;
    assert.ok(took >= 9 * 20 - 10, `10 reports at 50/s took ${took} ms`);
    assert.ok(rx.attempts.every((a) => a.v === 1));
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
});

test('stop() abandons a hung request at the deadline and spools its report; it does not keep the process waiting', async () => {
  const { log } = captureLogger();
  const rx = await receiver(() => 'hang');
  const { spool, cleanup } = await tempSpool(log);
  const p = producer(1);
  const { r } = reporter({ url: rx.url, spool, collect: p.collect, log, requestTimeoutMs: 60_000 });
  try {
    r.start();
    await waitFor('the report', () => p.made.length === 1, 2000);
    await new Promise((res) => setTimeout(res, 50));
    const t = Date.now();
    await r.stop(200);
    const took = Date.now() - t;
    // The request would hang for its 60 s timeout: stop(200) returns long before that.
    assert.ok(took < 5000, `stop took ${took} ms`);
    assert.equal(spool.files, 1, 'the undelivered report is kept for the next run');
  } finally {
    await rx.close();
    await cleanup();
  }
});

test('a request that gets no answer within the timeout is spooled and retried', async () => {
  const { log } = captureLogger();
  const rx = await receiver((n) => (n === 0 ? 'hang' : undefined));
  const { spool, cleanup } = await tempSpool(log);
  const p = producer(1);
  const { r } = reporter({ url: rx.url, spool, collect: p.collect, log, requestTimeoutMs: 100 });
  try {
    r.start();
    await waitFor('the retry', () => rx.stored.length === 1 && spool.files === 0, 5000);
    assert.equal(rx.stored.length, 1);
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
});

test('https control plane: trusted through --report-ca; an unknown CA is a delivery failure (spooled), not a crash', async () => {
  const root = await mkdtemp(join(tmpdir(), 'vigia-tls-'));
  const f = (n: string): string => join(root, n);
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=vigia test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('srv.key'), '-out', f('srv.csr'), '-subj', '/CN=127.0.0.1');
  await writeFile(f('ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', f('srv.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('srv.pem'), '-days', '2', '-extfile', f('ext'));
  const stored: string[] = [];
  const server = https.createServer({ key: await readFile(f('srv.key')), cert: await readFile(f('srv.pem')) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      stored.push((JSON.parse(Buffer.concat(chunks).toString()) as HostReport).sampled_at);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"outcome":"stored"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { log, lines } = captureLogger();
  const a = await tempSpool(log);
  const b = await tempSpool(log);
  const trusted = reporter({ url, spool: a.spool, collect: producer(2).collect, log, ca: await readFile(f('ca.pem')) });
  const untrusted = reporter({ url, spool: b.spool, collect: producer(1).collect, log });
  try {
    trusted.r.start();
    untrusted.r.start();
    await waitFor('two over TLS', () => trusted.outcomes.delivered === 2, 5000);
    await waitFor('the untrusted one spooled', () => b.spool.files === 1, 5000);
    assert.equal(untrusted.outcomes.delivered, 0);
    assert.ok(lines.some((l) => /cannot deliver/.test(l.msg) && /certificate/i.test(String(l.cause))), 'the log says it is the certificate');
  } finally {
    await trusted.r.stop(500);
    await untrusted.r.stop(500);
    server.closeAllConnections();
    server.close();
    await a.cleanup();
    await b.cleanup();
    await rm(root, { recursive: true, force: true });
  }
});

test('v2 items: outcomes delivered, 503/429 codes and clock skew retried, host mismatch is auth, 4xx codes dropped, unknown codes kept (pure)', () => {
  const now = Date.UTC(2026, 11, 1);
  const kind = (item: unknown, ra?: string): string => classifyBatchItem(item, ra, now).kind;
  assert.equal(kind({ outcome: 'stored' }), 'delivered');
  assert.equal(kind({ outcome: 'expired' }), 'delivered');
  assert.equal(kind({ error: { code: 'CONTROL_ERR_STORE_UNAVAILABLE', message: 'db down' } }), 'retry');
  assert.equal(kind({ error: { code: 'VIGIA_ERR_RATE_LIMITED', message: 'slow' } }), 'retry');
  assert.equal(kind({ error: { code: 'CONTROL_ERR_CLOCK_SKEW', message: 'ahead' } }), 'retry');
  assert.equal(kind({ error: { code: 'CONTROL_ERR_HOST_MISMATCH', message: 'db-2' } }), 'auth');
  assert.equal(kind({ error: { code: 'CONTROL_ERR_INVALID_REPORT', message: 'bad' } }), 'drop');
  assert.equal(kind({ error: { code: 'SOME_FUTURE_CODE', message: '?' } }), 'retry', 'not judged: kept');
  assert.equal(kind(null), 'retry');
  // Retry-After: the answer's header first, else the code's catalogued one
  const a = classifyBatchItem({ error: { code: 'CONTROL_ERR_OVERLOADED', message: 'full' } }, '7', now);
  assert.equal(a.kind === 'retry' && a.retryAfterMs, 7000);
  const b = classifyBatchItem({ error: { code: 'CONTROL_ERR_OVERLOADED', message: 'full' } }, undefined, now);
  assert.equal(b.kind === 'retry' && b.retryAfterMs, 2000);
  assert.equal(b.kind === 'retry' && b.cause, 'item CONTROL_ERR_OVERLOADED: full');
  const d = classifyBatchItem({ error: { code: 'CONTROL_ERR_INVALID_REPORT', message: 'devices.0: bad' } }, undefined, now);
  assert.equal(d.kind === 'drop' && d.cause, 'item CONTROL_ERR_INVALID_REPORT: devices.0: bad');
  assert.deepEqual(parseBatchAnswer('{"results":[{"outcome":"stored"},{"outcome":"duplicate"}]}', 2), [{ outcome: 'stored' }, { outcome: 'duplicate' }]);
  assert.equal(parseBatchAnswer('{"results":[{"outcome":"stored"}]}', 2), null, 'one result per report or none');
  assert.equal(parseBatchAnswer('<html>', 1), null);
});

async function spoolOf(log: Logger, n: number, from = T0): Promise<{ spool: Spool; cleanup: () => Promise<void>; made: string[] }> {
  const t = await tempSpool(log);
  const made: string[] = [];
  for (let i = 0; i < n; i++) {
    await t.spool.put(Buffer.from(JSON.stringify(report(from + i * 1000))), from + i * 1000);
    made.push(new Date(from + i * 1000).toISOString());
  }
  return { ...t, made };
}

test('a backlog goes as gzip v2 batches of at most 100, in order, each report once; live reports stay v1', async () => {
  const { log } = captureLogger();
  const rx = await receiver();
  const { spool, cleanup, made } = await spoolOf(log, 250, T0 - 3_600_000);
  const p = producer(1);
  const { r, outcomes } = reporter({ url: rx.url, spool, collect: p.collect, log, drainPerSecond: 100_000, intervalMs: 60_000, initialDelayMs: 0 });
  try {
    r.start();
    await waitFor('the backlog and the live report', () => rx.stored.length === 251 && spool.files === 0, 8000);
    assert.deepEqual(rx.batches.map((b) => [b.size, b.encoding]), [[100, 'gzip'], [100, 'gzip'], [51, 'gzip']]);
    // the live report was made first (its interval came) and spooled behind the backlog: it went in the last batch
    assert.deepEqual(rx.stored, [...made, ...p.made]);
    assert.equal(rx.attempts.length, 251, 'no report sent twice');
    assert.equal(outcomes.delivered, 251);
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
  // with no backlog, a report goes alone on v1
  const rx2 = await receiver();
  const t2 = await tempSpool(log);
  const p2 = producer(2);
  const { r: r2 } = reporter({ url: rx2.url, spool: t2.spool, collect: p2.collect, log });
  try {
    r2.start();
    await waitFor('two live reports', () => rx2.stored.length === 2, 5000);
    assert.deepEqual(rx2.attempts.map((a) => a.v), [1, 1]);
    assert.equal(rx2.batches.length, 0);
  } finally {
    await r2.stop(500);
    await rx2.close();
    await t2.cleanup();
  }
});

test('only the retryable reports of a batch are kept and sent again after Retry-After; a refused one is dropped, never resent', async () => {
  const { log, lines } = captureLogger();
  const { spool, cleanup, made } = await spoolOf(log, 6);
  const busy = new Set([made[1], made[4]]);
  let firstBatch = true;
  const rx = await receiver((_n, rep) => {
    if (rep.sampled_at === made[2]) return { status: 422, body: { error: { code: 'CONTROL_ERR_INVALID_REPORT', message: 'devices.0.fstype: bad' } } };
    if (firstBatch && busy.has(rep.sampled_at)) return { status: 503, headers: { 'retry-after': '1' }, body: { error: { code: 'CONTROL_ERR_OVERLOADED', message: 'queue full' } } };
    return undefined;
  });
  const { r, outcomes } = reporter({ url: rx.url, spool, collect: producer(0).collect, log, drainPerSecond: 100_000, intervalMs: 60_000, initialDelayMs: 0, backoffBaseMs: 1, backoffCapMs: 5 });
  try {
    r.start();
    await waitFor('the first batch', () => rx.batches.length === 1, 5000);
    await waitFor('two kept', () => spool.files === 2, 2000);
    firstBatch = false;
    await waitFor('the two retried', () => spool.files === 0, 5000);
    assert.deepEqual(rx.batches.map((b) => b.size), [6, 2], 'the second batch holds exactly the two retryable ones');
    const waited = rx.batches[1]!.at - rx.batches[0]!.at;
    assert.ok(waited >= 990, `retried after ${waited} ms; the answer said Retry-After: 1`);
    assert.deepEqual([...rx.stored].sort(), made.filter((m) => m !== made[2]).sort());
    assert.equal(rx.attempts.filter((a) => a.sampled_at === made[2]).length, 1, 'the refused report was never resent');
    assert.deepEqual(outcomes, { delivered: 5, spooled: 0, dropped: 1 });
    assert.ok(lines.some((l) => l.level === 50 && /refused a report for good/.test(l.msg) && /CONTROL_ERR_INVALID_REPORT/.test(String(l.cause))));
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
});

test('an older control plane (404 for /v2/reports): the backlog goes one report at a time on v1, v2 is not asked again at once', async () => {
  const { log, lines } = captureLogger();
  const rx = await receiver(undefined, { v2: false });
  const { spool, cleanup, made } = await spoolOf(log, 5);
  const { r, outcomes } = reporter({ url: rx.url, spool, collect: producer(0).collect, log, drainPerSecond: 100_000, intervalMs: 60_000, initialDelayMs: 0 });
  try {
    r.start();
    await waitFor('the backlog on v1', () => rx.stored.length === 5 && spool.files === 0, 5000);
    assert.deepEqual(rx.stored, made);
    assert.ok(rx.attempts.every((a) => a.v === 1));
    assert.equal(outcomes.delivered, 5);
    assert.equal(lines.filter((l) => /takes no report batches/.test(l.msg)).length, 1, 'asked once, said once');
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
});

test('a batch refused as too large (413) is split; one refused as a whole for another reason sends the oldest alone on v1', async () => {
  const { log } = captureLogger();
  const rx = await receiver(
    (_n, rep) => (rep.sampled_at === new Date(T0).toISOString() ? { status: 422, body: { error: { code: 'CONTROL_ERR_INVALID_REPORT', message: 'bad' } } } : undefined),
    { batchAnswer: (reports) => (reports.length > 3 ? { status: 413, body: { error: { code: 'VIGIA_ERR_BODY_TOO_LARGE', message: 'too large' } } } : reports.some((x) => x.sampled_at === new Date(T0).toISOString()) ? { status: 400, body: { error: { code: 'VIGIA_ERR_BAD_REQUEST', message: 'no' } } } : undefined) },
  );
  const { spool, cleanup, made } = await spoolOf(log, 8);
  const { r, outcomes } = reporter({ url: rx.url, spool, collect: producer(0).collect, log, drainPerSecond: 100_000, intervalMs: 60_000, initialDelayMs: 0 });
  try {
    r.start();
    await waitFor('drained', () => spool.files === 0, 5000);
    // 8 -> 413, 4 -> 413, 2 with the bad one -> 400, the bad one alone on v1 -> 422 dropped, then
    // batches of 2 for the other 7, the last one alone on v1
    assert.deepEqual(rx.batches.map((b) => b.size), [8, 4, 2, 2, 2, 2]);
    assert.deepEqual(rx.stored, made.slice(1));
    assert.deepEqual(outcomes, { delivered: 7, spooled: 0, dropped: 1 });
    assert.ok(rx.attempts.some((a) => a.v === 1 && a.sampled_at === made[0] && a.status === 422));
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
});

test('a backlog drained in batches keeps the bounded rate on average', async () => {
  const { log } = captureLogger();
  const { spool, cleanup } = await spoolOf(log, 30);
  const rx = await receiver();
  const { r } = reporter({ url: rx.url, spool, collect: producer(0).collect, log, drainPerSecond: 50, batchMax: 10, intervalMs: 10_000, initialDelayMs: 0 });
  try {
    const t = Date.now();
    r.start();
    await waitFor('drained', () => rx.stored.length === 30, 5000);
    const took = Date.now() - t;
    assert.deepEqual(rx.batches.map((b) => b.size), [10, 10, 10]);
    assert.ok(took >= 2 * 200 - 10, `3 batches of 10 at 50 reports/s took ${took} ms`);
  } finally {
    await r.stop(500);
    await rx.close();
    await cleanup();
  }
});
