import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { parseHostReport, type HostReport } from '../../core/contracts/host-report.js';
import { runSimulation, type SimulationProgress } from './simulator.js';

const ADMIN = 'admin-secret';
const INGEST = 'ingest-secret';

/**
 * A minimal control plane: enrol (single and bulk form) + reports (v1, and v2 batches with the ingest
 * token), counting exactly what arrived. `bulk: false` plays a server older than bulk enrolment (400),
 * `v2: false` one older than v2 (404); `operatorBurst` answers 429 with Retry-After: 1 to the operator
 * token beyond that many requests per second (the operator rate limit); `item` may answer a v2 report.
 */
async function receiver(opts: {
  answer?: (r: HostReport) => { status: number; body: unknown };
  bulk?: boolean;
  v2?: boolean;
  operatorBurst?: number;
  item?: (r: HostReport) => unknown;
  maxBatch?: number;
} = {}) {
  const tokens = new Map<string, string>(); // token -> host
  const enrolled: string[] = [];
  const reports: HostReport[] = [];
  const seen = new Set<string>();
  const problems: string[] = [];
  const sockets = new Set<unknown>();
  const enrolRequests: { bulk: number | null; status: number }[] = [];
  const batches: { size: number; encoding: string | undefined }[] = [];
  let window = { second: 0, n: 0 };
  const enrolOne = (host: string) => {
    const token = `tok-${host}-${Math.random().toString(36).slice(2)}`;
    tokens.set(token, host);
    enrolled.push(host);
    return { host, token, created: true };
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      const auth = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      const raw = Buffer.concat(chunks);
      const body = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as unknown;
      if (req.method === 'POST' && req.url === '/v1/hosts/enroll') {
        const hosts = (body as { hosts?: { host: string }[] }).hosts;
        const record = (status: number) => enrolRequests.push({ bulk: hosts ? hosts.length : null, status });
        if (auth !== ADMIN) return record(401), reply(401, { error: { code: 'VIGIA_ERR_UNAUTHORIZED', message: 'no' } });
        const second = Math.floor(Date.now() / 1000);
        window = window.second === second ? { second, n: window.n + 1 } : { second, n: 1 };
        if (opts.operatorBurst !== undefined && window.n > opts.operatorBurst) return record(429), reply(429, { error: { code: 'VIGIA_ERR_RATE_LIMITED', message: 'slow' } }, { 'retry-after': '1' });
        if (hosts) {
          if (opts.bulk === false) return record(400), reply(400, { error: { code: 'VIGIA_ERR_BAD_REQUEST', message: 'host: Required' } });
          record(200);
          return reply(200, { hosts: hosts.map((h) => enrolOne(h.host)) });
        }
        record(200);
        return reply(200, enrolOne((body as { host: string }).host));
      }
      if (req.method === 'POST' && req.url === '/v2/reports') {
        if (opts.v2 === false) return reply(404, { error: { code: 'VIGIA_ERR_NOT_FOUND', message: 'no such endpoint' } });
        if (auth !== INGEST) return reply(401, { error: { code: 'VIGIA_ERR_UNAUTHORIZED', message: 'no' } });
        const list = (body as { reports: unknown[] }).reports;
        if (opts.maxBatch !== undefined && list.length > opts.maxBatch) {
          batches.push({ size: list.length, encoding: 'refused' });
          return reply(413, { error: { code: 'VIGIA_ERR_BODY_TOO_LARGE', message: 'batch too large' } });
        }
        batches.push({ size: list.length, encoding: req.headers['content-encoding'] });
        const results = list.map((r) => {
          const parsed = parseHostReport(r);
          if (!parsed.ok) {
            problems.push(...parsed.problems);
            return { error: { code: 'CONTROL_ERR_INVALID_REPORT', message: parsed.problems.join('; ') } };
          }
          if (![...tokens.values()].includes(parsed.report.host)) return { error: { code: 'CONTROL_ERR_UNKNOWN_HOST', message: parsed.report.host } };
          reports.push(parsed.report);
          const a = opts.item?.(parsed.report);
          if (a) return a;
          const key = `${parsed.report.host} ${parsed.report.sampled_at}`;
          const dup = seen.has(key);
          seen.add(key);
          return { outcome: dup ? 'duplicate' : 'stored' };
        });
        return reply(200, { results });
      }
      if (req.method === 'POST' && req.url === '/v1/reports') {
        const host = tokens.get(auth);
        if (!host) return reply(401, { error: { code: 'VIGIA_ERR_UNAUTHORIZED', message: 'no' } });
        const parsed = parseHostReport(body);
        if (!parsed.ok) {
          problems.push(...parsed.problems);
          return reply(422, { error: { code: 'CONTROL_ERR_INVALID_REPORT', message: parsed.problems.join('; ') } });
        }
        if (parsed.report.host !== host) return reply(403, { error: { code: 'CONTROL_ERR_HOST_MISMATCH', message: 'x' } });
        reports.push(parsed.report);
        if (opts.answer) {
          const a = opts.answer(parsed.report);
          return reply(a.status, a.body);
        }
        const key = `${host} ${parsed.report.sampled_at}`;
        const dup = seen.has(key);
        seen.add(key);
        return reply(200, { outcome: dup ? 'duplicate' : 'stored' });
      }
      reply(404, { error: { code: 'VIGIA_ERR_NOT_FOUND', message: 'no' } });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, enrolled, reports, problems, enrolRequests, batches, connections: () => sockets.size, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('nominal: enrols every host and sends one report per host per round, spread over the interval', async () => {
  const rx = await receiver();
  try {
    const progress: SimulationProgress[] = [];
    const started = Date.now();
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, hosts: 20, intervalSeconds: 1, rounds: 3, concurrency: 4, seed: 1, dyingFraction: 0, onProgress: (p) => progress.push(p), progressEveryMs: 500 });
    const took = Date.now() - started;
    assert.deepEqual(rx.problems, []);
    assert.equal(rx.enrolled.length, 20);
    assert.equal(new Set(rx.enrolled).size, 20);
    assert.equal(rx.reports.length, 60);
    assert.equal(s.enrolled, 20);
    assert.deepEqual({ sent: s.live.sent, stored: s.live.stored, duplicate: s.live.duplicate, expired: s.live.expired, errors: s.live.errors }, { sent: 60, stored: 60, duplicate: 0, expired: 0, errors: {} });
    assert.equal(s.live.latencyMs.count, 60);
    assert.ok(s.live.latencyMs.p50 > 0 && s.live.latencyMs.p99 >= s.live.latencyMs.p50 && s.live.latencyMs.max >= s.live.latencyMs.p99);
    // Three rounds one second apart, the last host's last report at ~2.95 s: spread, not bursty.
    assert.ok(took >= 2800 && took < 6000, `took ${took} ms`);
    const perHost = new Map<string, number>();
    for (const r of rx.reports) perHost.set(r.host, (perHost.get(r.host) ?? 0) + 1);
    assert.ok([...perHost.values()].every((n) => n === 3));
    const first = rx.reports.filter((r) => r.host === 'sim-00001').map((r) => Date.parse(r.sampled_at));
    assert.deepEqual(first.map((t) => t - first[0]!), [0, 1000, 2000]);
    const offsets = new Set(rx.reports.map((r) => Date.parse(r.sampled_at) % 1000));
    assert.ok(offsets.size >= 15, 'hosts report at different moments of the interval');
    assert.ok(progress.some((p) => p.phase === 'live'));
    assert.equal(s.aborted, false);
  } finally {
    await rx.close();
  }
});

test('max: sends rounds*hosts distinct reports as fast as possible over a few keep-alive sockets', async () => {
  const rx = await receiver();
  try {
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, hosts: 10, intervalSeconds: 60, rounds: 50, rate: 'max', concurrency: 8, seed: 2, dyingFraction: 0 });
    assert.equal(rx.reports.length, 500);
    assert.equal(s.live.stored, 500);
    assert.equal(s.live.duplicate, 0);
    // Distinct and never in the future (max mode walks back in time).
    assert.equal(new Set(rx.reports.map((r) => `${r.host} ${r.sampled_at}`)).size, 500);
    assert.ok(rx.reports.every((r) => Date.parse(r.sampled_at) <= Date.now() + 60_000));
    assert.ok(rx.connections() <= 8, `keep-alive sockets: ${rx.connections()}`);
    assert.ok(s.live.reportsPerSecond > 0);
  } finally {
    await rx.close();
  }
});

test('backfill sends past reports at the coarse step; outcomes and error statuses are counted', async () => {
  const cutoff = Date.now() - 12 * 3_600_000;
  let n = 0;
  const rx = await receiver({
    answer: (r) => {
      if (Date.parse(r.sampled_at) < Date.now() - 60_000) return { status: 200, body: { outcome: Date.parse(r.sampled_at) < cutoff ? 'expired' : 'stored' } };
      n++;
      if (n % 4 === 0) return { status: 503, body: { error: { code: 'CONTROL_ERR_OVERLOADED', message: 'x' } } };
      if (n % 4 === 1) return { status: 200, body: { outcome: 'duplicate' } };
      return { status: 200, body: { outcome: 'stored' } };
    },
  });
  try {
    // maxTries 1: the 503 stays an error here (retries are tested below)
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, hosts: 5, intervalSeconds: 1, rounds: 4, concurrency: 3, seed: 3, dyingFraction: 0, backfillDays: 1, backfillStepSeconds: 3600, maxTries: 1 });
    assert.equal(s.backfill.sent, 5 * 24);
    assert.equal(s.backfill.expired + s.backfill.stored, 120);
    assert.ok(s.backfill.expired >= 50 && s.backfill.expired <= 70, `expired ${s.backfill.expired}`);
    const past = rx.reports.filter((r) => Date.parse(r.sampled_at) < Date.now() - 60_000);
    assert.equal(past.length, 120);
    assert.ok(past.every((r) => r.interval_seconds === 3600));
    assert.equal(s.live.sent, 20);
    assert.deepEqual(s.live.errors, { '503': 5 });
    assert.equal(s.live.duplicate, 5);
    assert.equal(s.live.stored, 10);
  } finally {
    await rx.close();
  }
});

test('dying hosts stop reporting during the run; an abort stops the loop early', async () => {
  const rx = await receiver();
  try {
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, hosts: 200, intervalSeconds: 1, rounds: 3, concurrency: 16, seed: 4, dyingFraction: 0.05 });
    assert.ok(s.deadHosts.length > 0, 'some hosts died');
    assert.equal(rx.reports.length, 600 - s.live.skippedDead);
    const perHost = new Map<string, number>();
    for (const r of rx.reports) perHost.set(r.host, (perHost.get(r.host) ?? 0) + 1);
    for (const h of s.deadHosts) assert.ok((perHost.get(h) ?? 0) < 3, `${h} stopped`);
  } finally {
    await rx.close();
  }
  // A short dying window (a demo's silent hosts): the dying hosts never send a live report.
  const rx1 = await receiver();
  try {
    const s = await runSimulation({ url: rx1.url, adminToken: ADMIN, hosts: 200, intervalSeconds: 1, rounds: 3, concurrency: 16, seed: 4, dyingFraction: 0.05, dyingWindowSeconds: 0.001 });
    assert.ok(s.deadHosts.length > 0, 'some hosts died');
    const reported = new Set(rx1.reports.map((r) => r.host));
    for (const h of s.deadHosts) assert.ok(!reported.has(h), `${h} never reported`);
  } finally {
    await rx1.close();
  }
  const rx2 = await receiver();
  try {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 700);
    const started = Date.now();
    const s = await runSimulation({ url: rx2.url, adminToken: ADMIN, hosts: 5, intervalSeconds: 1, durationSeconds: 60, seed: 5, dyingFraction: 0, signal: ac.signal });
    assert.ok(Date.now() - started < 3000);
    assert.equal(s.aborted, true);
    assert.equal(rx2.reports.length, s.live.sent);
  } finally {
    await rx2.close();
  }
});

test('refuses a non-http URL and inconsistent options; a wrong admin token enrols nobody', async () => {
  await assert.rejects(runSimulation({ url: 'file:///etc/passwd', adminToken: 'x', hosts: 1, intervalSeconds: 1, rounds: 1 }), /http: or https:/);
  await assert.rejects(runSimulation({ url: 'http://127.0.0.1:1', adminToken: 'x', hosts: 1, intervalSeconds: 1, rounds: 1, durationSeconds: 5 }), /not both/);
  const rx = await receiver();
  try {
    const s = await runSimulation({ url: rx.url, adminToken: 'wrong', hosts: 3, intervalSeconds: 1, rounds: 1, dyingFraction: 0 });
    assert.equal(s.enrolled, 0);
    assert.deepEqual(s.enrollErrors, { '401': 3 });
    assert.equal(rx.reports.length, 0);
  } finally {
    await rx.close();
  }
});

test('enrolment: bulk requests of at most 1000; an operator rate limit (429 + Retry-After) slows it down but leaves nobody out', async () => {
  const rx = await receiver({ operatorBurst: 2 });
  try {
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, hosts: 2500, intervalSeconds: 60, rounds: 1, rate: 'max', concurrency: 8, seed: 1, dyingFraction: 0 });
    assert.equal(s.enrolled, 2500);
    assert.deepEqual(s.enrollErrors, {});
    assert.equal(s.enrollBulk, true);
    const ok = rx.enrolRequests.filter((r) => r.status === 200);
    assert.deepEqual(ok.map((r) => r.bulk).sort(), [1000, 1000, 500].sort());
    assert.ok(rx.enrolRequests.some((r) => r.status === 429), 'the limit was hit');
    assert.equal(s.enrollRetried, rx.enrolRequests.filter((r) => r.status === 429).length);
    assert.equal(s.live.stored, 2500);
  } finally {
    await rx.close();
  }
});

test('enrolment falls back to one host per request when the server refuses the bulk form (400), still retrying 429s', async () => {
  const rx = await receiver({ bulk: false, operatorBurst: 40 });
  try {
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, hosts: 100, intervalSeconds: 60, rounds: 1, rate: 'max', concurrency: 32, seed: 1, dyingFraction: 0 });
    assert.equal(s.enrolled, 100);
    assert.deepEqual(s.enrollErrors, {});
    assert.equal(s.enrollBulk, false);
    assert.deepEqual(rx.enrolRequests[0], { bulk: 100, status: 400 });
    assert.equal(rx.enrolRequests.filter((r) => r.bulk === null && r.status === 200).length, 100);
    assert.ok(s.enrollRetried > 0, 'more than 40 a second were refused and retried');
    assert.equal(new Set(rx.enrolled).size, 100);
  } finally {
    await rx.close();
  }
});

test('v1: a report answered 429/503 is sent again (bounded), and counted once', async () => {
  const refused = new Set<string>();
  const rx = await receiver({
    answer: (r) => {
      const key = `${r.host} ${r.sampled_at}`;
      if (!refused.has(key)) {
        refused.add(key);
        return { status: 429, body: { error: { code: 'VIGIA_ERR_RATE_LIMITED', message: 'slow' } } };
      }
      return { status: 200, body: { outcome: 'stored' } };
    },
  });
  try {
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, hosts: 4, intervalSeconds: 60, rounds: 2, rate: 'max', concurrency: 4, seed: 1, dyingFraction: 0 });
    assert.equal(s.live.sent, 8);
    assert.equal(s.live.requests, 16);
    assert.equal(s.live.retried, 8);
    assert.equal(s.live.stored, 8);
    assert.deepEqual(s.live.errors, {});
  } finally {
    await rx.close();
  }
});

test('v2 max: gzip batches of many hosts with the ingest token, at most --batch each; every report once', async () => {
  const rx = await receiver();
  try {
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, protocol: 'v2', ingestToken: INGEST, batchSize: 64, hosts: 50, intervalSeconds: 60, rounds: 10, rate: 'max', concurrency: 3, seed: 2, dyingFraction: 0 });
    assert.deepEqual(rx.problems, []);
    assert.equal(s.protocol, 'v2');
    assert.equal(s.live.stored, 500);
    assert.equal(s.live.sent, 500);
    assert.equal(s.live.requests, rx.batches.length);
    assert.ok(rx.batches.every((b) => b.size <= 64 && b.encoding === 'gzip'));
    assert.equal(rx.batches.reduce((a, b) => a + b.size, 0), 500);
    assert.ok(new Set(rx.reports.map((r) => r.host)).size === 50, 'one batch holds many hosts');
    assert.equal(new Set(rx.reports.map((r) => `${r.host} ${r.sampled_at}`)).size, 500);
  } finally {
    await rx.close();
  }
});

test('v2 nominal: a relay batches the reports due within a second; only reports with a 429/503 code are retried', async () => {
  const refused = new Set<string>();
  const rx = await receiver({
    item: (r) => {
      const key = `${r.host} ${r.sampled_at}`;
      if (r.host.endsWith('3') && !refused.has(key)) {
        refused.add(key);
        return { error: { code: 'VIGIA_ERR_RATE_LIMITED', message: 'slow' } };
      }
      if (r.host.endsWith('7')) return { error: { code: 'CONTROL_ERR_INVALID_REPORT', message: 'no' } };
      return undefined;
    },
  });
  try {
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, protocol: 'v2', ingestToken: INGEST, hosts: 20, intervalSeconds: 1, rounds: 3, concurrency: 4, seed: 1, dyingFraction: 0 });
    assert.equal(s.live.sent, 60);
    // sim-00003 and sim-00013 refused once per report, then stored; sim-00007 and sim-00017 refused for good, never retried
    assert.equal(s.live.retried, 6);
    assert.equal(s.live.stored, 54);
    assert.deepEqual(s.live.errors, { CONTROL_ERR_INVALID_REPORT: 6 });
    assert.equal(rx.reports.filter((r) => r.host.endsWith('7')).length, 6);
    // three rounds a second apart, flushed at most a second after the first report due: a handful of batches, not 60 requests
    const firstRound = rx.batches.length;
    assert.ok(firstRound >= 3 && firstRound <= 12, `${firstRound} batches`);
  } finally {
    await rx.close();
  }
});

test('v2: a batch answered 413 is split in halves until the server takes it; each report still counted once', async () => {
  const rx = await receiver({ maxBatch: 100 });
  try {
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, protocol: 'v2', ingestToken: INGEST, batchSize: 400, hosts: 400, intervalSeconds: 60, rounds: 1, rate: 'max', concurrency: 1, seed: 1, dyingFraction: 0 });
    assert.equal(s.live.sent, 400);
    assert.equal(s.live.stored, 400);
    assert.deepEqual(s.live.errors, {});
    assert.deepEqual(rx.batches.map((b) => b.size), [400, 200, 100, 100, 200, 100, 100]);
  } finally {
    await rx.close();
  }
});

test('v2 against a server older than v2 (404): the run stops and says so', async () => {
  const rx = await receiver({ v2: false });
  try {
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, protocol: 'v2', ingestToken: INGEST, hosts: 10, intervalSeconds: 60, durationSeconds: 30, rate: 'max', concurrency: 2, seed: 1, dyingFraction: 0 });
    assert.equal(s.protocolUnavailable, true);
    assert.ok(s.elapsedSeconds < 10);
    assert.equal(s.live.stored, 0);
    assert.ok((s.live.errors['404'] ?? 0) > 0);
  } finally {
    await rx.close();
  }
  await assert.rejects(runSimulation({ url: 'http://127.0.0.1:1', adminToken: 'x', protocol: 'v2', hosts: 1, intervalSeconds: 1, rounds: 1 }), /needs ingestToken/);
});

test('many requests waiting to be retried at once add no listener per wait to the abort signal (no MaxListenersExceededWarning)', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  const refused = new Set<string>();
  const rx = await receiver({
    answer: (r) => {
      const key = `${r.host} ${r.sampled_at}`;
      if (!refused.has(key)) {
        refused.add(key);
        return { status: 503, body: { error: { code: 'VIGIA_ERR_SHUTTING_DOWN', message: 'later' } } };
      }
      return { status: 200, body: { outcome: 'stored' } };
    },
  });
  try {
    // 32 reports refused at once: 32 retry pauses pending together on the one signal of the run.
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, hosts: 32, intervalSeconds: 60, rounds: 1, rate: 'max', concurrency: 32, seed: 1, dyingFraction: 0, signal: new AbortController().signal });
    assert.equal(s.live.stored, 32);
    assert.equal(s.live.retried, 32);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
  } finally {
    process.off('warning', onWarning);
    await rx.close();
  }
});
