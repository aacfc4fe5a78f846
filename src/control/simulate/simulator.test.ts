import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseHostReport, type HostReport } from '../../core/contracts/host-report.js';
import { runSimulation, type SimulationProgress } from './simulator.js';

const ADMIN = 'admin-secret';

/** A minimal control plane: enrol + reports, counting exactly what arrived. */
async function receiver(opts: { answer?: (r: HostReport) => { status: number; body: unknown } } = {}) {
  const tokens = new Map<string, string>(); // token -> host
  const enrolled: string[] = [];
  const reports: HostReport[] = [];
  const seen = new Set<string>();
  const problems: string[] = [];
  const sockets = new Set<unknown>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const auth = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      if (req.method === 'POST' && req.url === '/v1/hosts/enroll') {
        if (auth !== ADMIN) return reply(401, { error: { code: 'VIGIA_ERR_UNAUTHORIZED', message: 'no' } });
        const host = (body as { host: string }).host;
        const token = `tok-${host}-${Math.random().toString(36).slice(2)}`;
        tokens.set(token, host);
        enrolled.push(host);
        return reply(200, { host, token, created: true });
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
  return { url, enrolled, reports, problems, connections: () => sockets.size, close: () => new Promise<void>((r) => server.close(() => r())) };
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
    const s = await runSimulation({ url: rx.url, adminToken: ADMIN, hosts: 5, intervalSeconds: 1, rounds: 4, concurrency: 3, seed: 3, dyingFraction: 0, backfillDays: 1, backfillStepSeconds: 3600 });
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
