import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hashToken, newToken, parseTokenEntries } from '../core/auth.js';
import type { HostReport } from '../core/contracts/host-report.js';
import { silentLogger } from '../core/log.js';
import { HostAuth } from './host-auth.js';
import { IngestQueue } from './ingest-queue.js';
import { createControlServer, DEFAULT_CONTROL_LIMITS, isValidDay, previousUtcDay, type ControlServer } from './server.js';
import type { ControlStore } from './store/control-store.js';
import { openControlStore } from './store/sql-store.js';

const readToken = newToken();
const adminToken = newToken();
const NOW = new Date('2026-12-01T07:00:30.000Z');
let store: ControlStore;
let server: ControlServer;
let base: string;
let clock = NOW;
const outcomes: string[] = [];

function report(host: string, sampledAt: string, usedBytes = 40e9): HostReport {
  return {
    v: 1,
    host,
    sampled_at: sampledAt,
    interval_seconds: 60,
    agent: { version: 'test' },
    tags: { env: 'test' },
    system: null,
    devices: [
      {
        mountpoint: '/var/lib/mysql', device: '/dev/mapper/vg0-data', fstype: 'xfs', role: 'data', read_only: false,
        size_bytes: 100e9, used_bytes: usedBytes, avail_bytes: 100e9 - usedBytes, use_pct: Math.ceil(usedBytes / 1e9),
        inodes_total: 1000, inodes_used: 10, inode_use_pct: 1, error: null,
      },
    ],
  };
}

async function call(method: string, path: string, opts: { token?: string | null; body?: unknown; raw?: string; type?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined) headers['content-type'] = opts.type ?? 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

async function enroll(host: string): Promise<string> {
  const r = await call('POST', '/v1/hosts/enroll', { token: adminToken, body: { host, tags: { dc: 'mad1' } } });
  assert.equal(r.status, 200, r.text);
  return r.json.token as string;
}

before(async () => {
  store = await openControlStore({ retentionDays: 90 });
  await store.maintainPartitions(NOW, 90);
  const queue = new IngestQueue(store, { maxWaitMs: 5 });
  const tokens = parseTokenEntries(`${hashToken(readToken)} name=reader\n${hashToken(adminToken)} scopes=admin name=ops\n`);
  server = createControlServer({
    operatorTokens: tokens,
    hostAuth: new HostAuth(store),
    store,
    ingest: (item) => queue.submit(item),
    capacityReport: async (format) => ({ contentType: format === 'csv' ? 'text/csv' : 'application/json', body: format === 'csv' ? 'host\n' : '{"rows":[]}' }),
    performanceReport: async (day, format) => ({ contentType: 'application/json', body: JSON.stringify({ day, format }) }),
    metrics: async () => 'vigia_control_test 1\n',
    limits: { ...DEFAULT_CONTROL_LIMITS, bodyLimitBytes: 4096, rateLimit: { perSecond: 1000, burst: 1000 } },
    log: silentLogger(),
    now: () => clock,
    onReport: (o) => outcomes.push(o),
  });
  const a = await server.listen('127.0.0.1', 0);
  base = `http://127.0.0.1:${a.port}`;
});

after(async () => {
  await server.close(100);
  await store.close();
});

test('only /healthz is open; operator routes need a token with the right scope', async () => {
  assert.equal((await call('GET', '/healthz')).status, 200);
  assert.equal((await call('GET', '/v1/hosts')).status, 401);
  assert.equal((await call('GET', '/v1/hosts', { token: 'not-a-token' })).status, 401);
  assert.equal((await call('GET', '/v1/hosts', { token: readToken })).status, 200);
  const forbidden = await call('POST', '/v1/hosts/enroll', { token: readToken, body: { host: 'x1' } });
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.json.error.code, 'VIGIA_ERR_FORBIDDEN');
  const bad = await call('POST', '/v1/hosts/enroll', { token: adminToken, body: { host: '../etc' } });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /host/);
  assert.equal((await call('GET', '/metrics', { token: readToken })).text, 'vigia_control_test 1\n');
});

test('a host reports with its own token; a replay changes nothing; last_seen is the receive time', async () => {
  const token = await enroll('db-0001');
  const first = await call('POST', '/v1/reports', { token, body: report('db-0001', '2026-12-01T07:00:00.000Z') });
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.json, { outcome: 'stored' });
  const again = await call('POST', '/v1/reports', { token, body: report('db-0001', '2026-12-01T07:00:00.000Z', 99e9) });
  assert.deepEqual(again.json, { outcome: 'duplicate' });
  const hosts = (await call('GET', '/v1/hosts', { token: readToken })).json.hosts as any[];
  const h = hosts.find((x) => x.host === 'db-0001');
  assert.equal(h.lastSeen, NOW.toISOString(), 'server receive time, not the host clock');
  assert.equal(h.lastSampledAt, '2026-12-01T07:00:00.000Z');
  const cap = await store.capacityData(NOW, 7);
  const vol = cap.volumes.find((v) => v.host === 'db-0001')!;
  assert.equal(vol.usedBytes, 40e9, 'the replay with other figures did not overwrite the stored report');
  assert.ok(outcomes.includes('stored') && outcomes.includes('duplicate'));
});

test('ingest refuses bad reports with a clear error and stores nothing', async () => {
  const token = await enroll('db-0002');
  const noToken = await call('POST', '/v1/reports', { body: report('db-0002', '2026-12-01T07:00:00.000Z') });
  assert.equal(noToken.status, 401);
  const other = await call('POST', '/v1/reports', { token, body: report('db-0001', '2026-12-01T07:00:01.000Z') });
  assert.equal(other.status, 403);
  assert.equal(other.json.error.code, 'CONTROL_ERR_HOST_MISMATCH');
  const bad = { ...report('db-0002', '2026-12-01T07:00:02.000Z'), devices: [{ mountpoint: 'relative', device: 'x' }] };
  const invalid = await call('POST', '/v1/reports', { token, body: bad });
  assert.equal(invalid.status, 422);
  assert.equal(invalid.json.error.code, 'CONTROL_ERR_INVALID_REPORT');
  assert.match(invalid.json.error.message, /devices\.0\.mountpoint/);
  const notJson = await call('POST', '/v1/reports', { token, raw: '{"v":1,', type: 'application/json' });
  assert.equal(notJson.status, 400);
  const wrongType = await call('POST', '/v1/reports', { token, raw: 'v=1', type: 'application/x-www-form-urlencoded' });
  assert.equal(wrongType.status, 415);
  const huge = await call('POST', '/v1/reports', { token, raw: JSON.stringify({ pad: 'x'.repeat(300 * 1024) }) });
  assert.equal(huge.status, 413);
  const nul = report('db-0002', '2026-12-01T07:00:03.000Z');
  const nulBody = { ...nul, devices: [{ ...nul.devices[0]!, mountpoint: '/var/lib/my\u0000sql' }] };
  const refusedNul = await call('POST', '/v1/reports', { token, body: nulBody });
  assert.equal(refusedNul.status, 422, 'NUL would fail the database transaction of a whole batch');
  const proto = JSON.stringify(report('db-0002', '2026-12-01T07:00:04.000Z')).replace('"tags":{"env":"test"}', '"tags":{"__proto__":"x"}');
  const refusedProto = await call('POST', '/v1/reports', { token, raw: proto });
  assert.equal(refusedProto.status, 422, 'a __proto__ tag key is refused by the schema');
  const future = await call('POST', '/v1/reports', { token, body: report('db-0002', '2026-12-01T08:00:00.000Z') });
  assert.equal(future.status, 422);
  assert.equal(future.json.error.code, 'CONTROL_ERR_CLOCK_SKEW');
  assert.equal(future.headers.get('retry-after'), '3270', 'the agent keeps it and retries once our clock could accept it');
  const h = (await store.hostStatuses()).find((x) => x.host === 'db-0002')!;
  assert.equal(h.lastSeen, null, 'nothing was stored for db-0002');
  assert.match(h.lastError ?? '', /ahead of the control plane's clock/);
});

test('re-enrolling rotates the token and removing a host revokes it at once', async () => {
  const oldToken = await enroll('db-0003');
  const rotated = await call('POST', '/v1/hosts/enroll', { token: adminToken, body: { host: 'db-0003' } });
  assert.equal(rotated.json.created, false);
  const newer = rotated.json.token as string;
  assert.notEqual(oldToken, newer);
  assert.deepEqual((await store.hostStatuses()).find((h) => h.host === 'db-0003')!.tags, { dc: 'mad1' }, 'a rotation without tags keeps the operator tags');
  assert.equal((await call('POST', '/v1/reports', { token: oldToken, body: report('db-0003', '2026-12-01T07:00:00.000Z') })).status, 401);
  assert.equal((await call('POST', '/v1/reports', { token: newer, body: report('db-0003', '2026-12-01T07:00:00.000Z') })).status, 200);
  assert.equal((await call('DELETE', '/v1/hosts/db-0003', { token: adminToken })).status, 200);
  assert.equal((await call('DELETE', '/v1/hosts/db-0003', { token: adminToken })).status, 404);
  assert.equal((await call('POST', '/v1/reports', { token: newer, body: report('db-0003', '2026-12-01T07:01:00.000Z') })).status, 401);
});

test('report endpoints validate their query', async () => {
  assert.equal((await call('GET', '/v1/reports/capacity?format=csv', { token: readToken })).text, 'host\n');
  assert.equal((await call('GET', '/v1/reports/capacity?format=pdf', { token: readToken })).status, 400);
  assert.equal((await call('GET', '/v1/reports/performance?day=2026-02-30', { token: readToken })).status, 400);
  const perf = await call('GET', '/v1/reports/performance', { token: readToken });
  assert.deepEqual(perf.json, { day: '2026-11-30', format: 'json' });
  assert.equal(previousUtcDay(new Date('2026-03-01T00:10:00Z')), '2026-02-28');
  assert.equal(isValidDay('2028-02-29'), true);
  assert.equal(isValidDay('2026-13-01'), false);
});

test('100 hosts reporting at once are batched and all stored', async () => {
  const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => enroll(`web-${String(i).padStart(3, '0')}`)));
  const answers = await Promise.all(tokens.map((t, i) => call('POST', '/v1/reports', { token: t, body: report(`web-${String(i).padStart(3, '0')}`, '2026-12-01T07:00:10.000Z') })));
  assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
  const cap = await store.capacityData(NOW, 7);
  assert.equal(cap.volumes.filter((v) => v.host.startsWith('web-')).length, 100);
});
