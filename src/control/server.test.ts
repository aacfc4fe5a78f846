import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { hashToken, newToken, parseTokenEntries } from '../core/auth.js';
import { VigiaError } from '../core/errors.js';
import { hostReportSchema, type HostReport } from '../core/contracts/host-report.js';
import { HostAuth } from './host-auth.js';
import { IngestQueue } from './ingest-queue.js';
import { isAcceptedDay } from '../core/contracts/day.js';
import { createControlServer, DEFAULT_CONTROL_LIMITS, previousUtcDay, type ControlServer } from './server.js';
import type { ControlStore } from './store/control-store.js';
import { openControlStore } from './store/sql-store.js';

const readToken = newToken();
const adminToken = newToken();
const ingestToken = newToken();
const logLines: Record<string, unknown>[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
const NOW = new Date('2026-12-01T07:00:30.000Z');
let store: ControlStore;
let server: ControlServer;
let base: string;
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

async function call(method: string, path: string, opts: { token?: string | null; body?: unknown; raw?: string | Buffer; type?: string; encoding?: string; base?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined) headers['content-type'] = opts.type ?? 'application/json';
  if (opts.encoding) headers['content-encoding'] = opts.encoding;
  const res = await fetch(`${opts.base ?? base}${path}`, { method, headers, body: typeof body === 'object' ? new Uint8Array(body) : body });
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
  const tokens = parseTokenEntries(`${hashToken(readToken)} name=reader\n${hashToken(adminToken)} scopes=admin name=ops\n${hashToken(ingestToken)} scopes=ingest name=relay\n`);
  server = createControlServer({
    operatorTokens: tokens,
    hostAuth: new HostAuth(store),
    store,
    ingest: (item) => queue.submit(item),
    capacityReport: async (format, opts) => ({ contentType: format === 'csv' ? 'text/csv' : 'application/json', body: format === 'csv' ? 'host\n' : format === 'table' ? `all=${opts?.all === true}` : '{"rows":[]}' }),
    performanceReport: async (day, format) => ({ contentType: 'application/json', body: JSON.stringify({ day, format }) }),
    metrics: async () => 'vigia_control_test 1\n',
    limits: { ...DEFAULT_CONTROL_LIMITS, bodyLimitBytes: 4096, rateLimit: { perSecond: 1000, burst: 1000 } },
    log,
    now: () => NOW.getTime(),
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

test('GET /v1/agent/whoami names the host of a host token, without fleet changes; anything else is refused', async () => {
  const token = await enroll('web-0001');
  const me = await call('GET', '/v1/agent/whoami', { token });
  assert.deepEqual([me.status, me.json], [200, { host: 'web-0001' }]);
  assert.equal(me.headers.get('cache-control'), 'no-store');
  for (const [t, status] of [[null, 401], ['x'.repeat(43), 401], [readToken, 401], [adminToken, 401]] as const) {
    assert.equal((await call('GET', '/v1/agent/whoami', { token: t })).status, status, String(t).slice(0, 8));
  }
  assert.equal((await call('POST', '/v1/agent/whoami', { token })).status, 405);
  assert.equal((await call('GET', '/v1/agent/whoami?host=x', { token })).status, 400);
  // This server has no fleet: the other agent routes do not exist.
  assert.equal((await call('GET', '/v1/agent/poll?wait=0', { token })).status, 404);
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

test('GET /v1/hosts: a host\'s reported tags never replace the operator\'s; both are shown, apart', async () => {
  const token = await enroll('db-0005');
  const r = { ...report('db-0005', '2026-12-01T07:00:00.000Z'), tags: { dc: 'elsewhere', role: 'web' } };
  assert.equal((await call('POST', '/v1/reports', { token, body: r })).status, 200);
  const h = ((await call('GET', '/v1/hosts', { token: readToken })).json.hosts as any[]).find((x) => x.host === 'db-0005');
  assert.deepEqual(h.tags, { dc: 'mad1' }, 'the operator\'s tags, as enrolled');
  assert.deepEqual(h.reportedTags, { dc: 'elsewhere', role: 'web' }, 'what the host says, under its own name');
});

test('report endpoints validate their query', async () => {
  assert.equal((await call('GET', '/v1/reports/capacity?format=csv', { token: readToken })).text, 'host\n');
  assert.equal((await call('GET', '/v1/reports/capacity?format=pdf', { token: readToken })).status, 400);
  // all=1 (as `vigia report capacity --all`) reaches the report; anything else is a 400.
  assert.equal((await call('GET', '/v1/reports/capacity?format=table&all=1', { token: readToken })).text, 'all=true');
  assert.equal((await call('GET', '/v1/reports/capacity?format=table', { token: readToken })).text, 'all=false');
  assert.equal((await call('GET', '/v1/reports/capacity?all=yes', { token: readToken })).status, 400);
  assert.equal((await call('GET', '/v1/reports/performance?day=2026-02-30', { token: readToken })).status, 400);
  const perf = await call('GET', '/v1/reports/performance', { token: readToken });
  assert.deepEqual(perf.json, { day: '2026-11-30', format: 'json' });
  assert.equal(previousUtcDay(new Date('2026-03-01T00:10:00Z')), '2026-02-28');
  assert.equal(isAcceptedDay('2028-02-29'), true);
  assert.equal(isAcceptedDay('2026-13-01'), false);
});

test('a day outside 1970-01-01..2999-12-31 is a catalogued 400 naming the parameter and the range, never a 500', async () => {
  for (const day of ['0000-01-01', '9999-12-31', '1969-12-31', '3000-01-01']) {
    const r = await call('GET', `/v1/reports/performance?day=${day}`, { token: readToken });
    assert.equal(r.status, 400, `${day}: ${r.text}`);
    assert.equal(r.json.error.code, 'CONTROL_ERR_INVALID_DAY');
    assert.match(r.json.error.message, /day: .*1970-01-01\.\.2999-12-31/);
  }
  assert.equal((await call('GET', '/v1/reports/performance?day=2999-12-31', { token: readToken })).status, 200);
});

/** Counts the runs of a schema (its safeParse) until restored: shows that a body was refused before it. */
function countSchemaRuns(schema: { safeParse: (...args: any[]) => unknown }) {
  const original = schema.safeParse;
  let count = 0;
  schema.safeParse = (...args: any[]) => {
    count++;
    return original.apply(schema, args);
  };
  return { get count() { return count; }, restore: () => void (schema.safeParse = original) };
}

test('a report with 20,000 tag keys is refused before its schema runs (v1; v2 refuses that report alone), and so is an enrolment with as many tags', async () => {
  const token = await enroll('wide-1');
  const tags = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 'v']));
  const wide = { ...report('wide-1', '2026-12-01T07:00:00.000Z'), tags };
  const runs = countSchemaRuns(hostReportSchema);
  try {
    const v1 = await call('POST', '/v1/reports', { token, body: wide });
    assert.equal(v1.status, 422, v1.text);
    assert.equal(v1.json.error.code, 'CONTROL_ERR_INVALID_REPORT');
    assert.match(v1.json.error.message, /tags: more than 32 keys/);
    assert.equal(runs.count, 0, 'the schema never ran on it');
    const v2 = await call('POST', '/v2/reports', { token, body: { reports: [wide, report('wide-1', '2026-12-01T07:00:10.000Z')] } });
    assert.equal(v2.status, 200, v2.text);
    assert.equal(v2.json.results[0].error.code, 'CONTROL_ERR_INVALID_REPORT');
    assert.match(v2.json.results[0].error.message, /tags: more than 32 keys/);
    assert.deepEqual(v2.json.results[1], { outcome: 'stored' });
    assert.equal(runs.count, 1, 'only the valid report went through the schema');
  } finally {
    runs.restore();
  }
  const enrol = await call('POST', '/v1/hosts/enroll', { token: adminToken, body: { hosts: [{ host: 'wide-2', tags }] } });
  assert.equal(enrol.status, 400, enrol.text);
  assert.match(enrol.json.error.message, /hosts\.0\.tags: more than 32 keys/);
  const deep = await call('POST', '/v1/hosts/enroll', { token: adminToken, raw: `{"host":"wide-3","tags":${'{"a":'.repeat(50)}1${'}'.repeat(50)}}` });
  assert.equal(deep.status, 400, deep.text);
  assert.match(deep.json.error.message, /tags\.a\.a\.a: nested deeper than 4 levels/);
});

test('100 hosts reporting at once are batched and all stored', async () => {
  const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => enroll(`web-${String(i).padStart(3, '0')}`)));
  const answers = await Promise.all(tokens.map((t, i) => call('POST', '/v1/reports', { token: t, body: report(`web-${String(i).padStart(3, '0')}`, '2026-12-01T07:00:10.000Z') })));
  assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
  const cap = await store.capacityData(NOW, 7);
  assert.equal(cap.volumes.filter((v) => v.host.startsWith('web-')).length, 100);
});

/** The hosts' latest state, by name. */
async function seen(host: string) {
  return (await store.hostStatuses()).find((h) => h.host === host);
}

test('v2: a host posts a batch (plain or gzip); each report gets its own result, in order', async () => {
  const token = await enroll('v2-host');
  const batch = {
    reports: [
      report('v2-host', '2026-12-01T07:00:00.000Z'),
      report('db-0001', '2026-12-01T07:00:00.000Z'),
      { ...report('v2-host', '2026-12-01T07:00:01.000Z'), devices: 'no' },
      report('v2-host', '2026-12-01T07:00:00.000Z'),
    ],
  };
  const plain = await call('POST', '/v2/reports', { token, body: batch });
  assert.equal(plain.status, 200, plain.text);
  assert.deepEqual(plain.json.results.map((r: any) => r.outcome ?? r.error.code), ['stored', 'CONTROL_ERR_HOST_MISMATCH', 'CONTROL_ERR_INVALID_REPORT', 'duplicate']);
  assert.match(plain.json.results[2].error.message, /devices/);
  const gz = gzipSync(JSON.stringify({ reports: [report('v2-host', '2026-12-01T07:00:02.000Z'), report('v2-host', '2026-12-01T07:00:03.000Z')] }));
  const zipped = await call('POST', '/v2/reports', { token, raw: gz, encoding: 'gzip' });
  assert.equal(zipped.status, 200, zipped.text);
  assert.deepEqual(zipped.json.results, [{ outcome: 'stored' }, { outcome: 'stored' }]);
  assert.equal((await seen('v2-host'))!.lastSampledAt!.toISOString(), '2026-12-01T07:00:03.000Z');
  assert.equal((await call('POST', '/v1/reports', { token, body: report('v2-host', '2026-12-01T07:00:04.000Z') })).json.outcome, 'stored', 'v1 still works');
  const brotli = await call('POST', '/v2/reports', { token, raw: gz, encoding: 'br' });
  assert.equal(brotli.status, 415);
});

test('v2: a batch refused as a whole stores nothing: a gzip bomb, a ratio over the bound, too many reports, bad JSON, a bare array', async () => {
  const token = await enroll('v2-bomb');
  const valid = JSON.stringify(report('v2-bomb', '2026-12-01T07:00:00.000Z'));
  // 64 MiB of spaces inside a valid batch: ~65 KB on the wire, cut off while inflating.
  const bomb = gzipSync(Buffer.concat([Buffer.from(`{"reports":[${valid}`), Buffer.alloc(64 * 1024 * 1024, 0x20), Buffer.from(']}')]));
  const refused = await call('POST', '/v2/reports', { token, raw: bomb, encoding: 'gzip' });
  assert.equal(refused.status, 413);
  assert.equal(refused.json.error.code, 'VIGIA_ERR_BODY_TOO_LARGE');
  // 2 MiB of spaces: under the inflated-size bound, but ~1,000 times its compressed size.
  const dense = gzipSync(Buffer.concat([Buffer.from(`{"reports":[${valid}`), Buffer.alloc(2 * 1024 * 1024, 0x20), Buffer.from(']}')]));
  const ratio = await call('POST', '/v2/reports', { token, raw: dense, encoding: 'gzip' });
  assert.equal(ratio.status, 413);
  assert.match(ratio.json.error.message, /inflates more than 100 times/);
  const many = { reports: Array.from({ length: 101 }, (_, i) => report('v2-bomb', new Date(Date.parse('2026-12-01T06:00:00.000Z') + i * 1000).toISOString())) };
  const tooMany = await call('POST', '/v2/reports', { token, body: many });
  assert.equal(tooMany.status, 413);
  assert.match(tooMany.json.error.message, /at most 100 reports/);
  assert.equal((await call('POST', '/v2/reports', { token, raw: `{"reports":[${valid}` })).status, 400);
  assert.equal((await call('POST', '/v2/reports', { token, raw: `[${valid}]` })).status, 400);
  assert.equal((await call('POST', '/v2/reports', { token, body: { reports: [] } })).status, 400);
  assert.equal((await call('POST', '/v2/reports', { token, raw: gzipSync('{"reports":'), encoding: 'gzip' })).status, 400);
  assert.equal((await seen('v2-bomb'))!.lastSeen, null, 'nothing was stored');
});

test('v2: a relay with scope ingest posts for any enrolled host; read and admin tokens cannot, and ingest reads nothing', async () => {
  await enroll('relay-a');
  await enroll('relay-b');
  const r = await call('POST', '/v2/reports', {
    token: ingestToken,
    raw: gzipSync(JSON.stringify({ reports: [report('relay-a', '2026-12-01T07:00:00.000Z'), report('no-such-host', '2026-12-01T07:00:00.000Z'), report('relay-b', '2026-12-01T07:00:00.000Z')] })),
    encoding: 'gzip',
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.results.map((x: any) => x.outcome ?? x.error.code), ['stored', 'CONTROL_ERR_UNKNOWN_HOST', 'stored']);
  assert.ok((await seen('relay-a'))!.lastSeen && (await seen('relay-b'))!.lastSeen);
  for (const token of [readToken, adminToken]) {
    const refused = await call('POST', '/v2/reports', { token, body: { reports: [report('relay-a', '2026-12-01T07:01:00.000Z')] } });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer error="insufficient_scope", scope="ingest"');
  }
  assert.equal((await call('GET', '/v1/hosts', { token: ingestToken })).status, 403, 'ingest does not imply read');
  assert.equal((await call('POST', '/v1/reports', { token: ingestToken, body: report('relay-a', '2026-12-01T07:02:00.000Z') })).status, 401, 'v1 takes host tokens only');
  assert.equal((await call('POST', '/v2/reports', { token: 'not-a-token-at-all', body: { reports: [] } })).status, 401);
});

test('v2: a batch cannot make one host report faster than v1 would (its host bucket pays per report)', async () => {
  await enroll('relay-busy');
  const t0 = Date.parse('2026-12-01T05:00:00.000Z');
  const reports = Array.from({ length: 101 }, (_, i) => report('relay-busy', new Date(t0 + i * 1000).toISOString()));
  const r = await call('POST', '/v2/reports', { token: ingestToken, body: { reports } });
  assert.equal(r.status, 200, r.text);
  const codes = r.json.results.map((x: any) => x.outcome ?? x.error.code);
  assert.equal(codes.filter((c: string) => c === 'stored').length, 100, 'the burst of the host bucket (100)');
  assert.equal(codes[100], 'VIGIA_ERR_RATE_LIMITED');
  assert.ok(Number(r.headers.get('retry-after')) >= 1, 'the client is told when to send the refused ones again');
});

test('bulk enrolment: up to 1,000 hosts in one request, one audit line each; the single form is unchanged', async () => {
  const r = await call('POST', '/v1/hosts/enroll', { token: adminToken, body: { hosts: [{ host: 'bulk-1', tags: { dc: 'mad1' } }, { host: 'bulk-2' }, { host: 'db-0001' }] } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.hosts.map((h: any) => [h.host, h.created]), [['bulk-1', true], ['bulk-2', true], ['db-0001', false]]);
  const audit = logLines.filter((l) => l.audit === true && ['bulk-1', 'bulk-2', 'db-0001'].includes(l.host as string) && l.client === 'ops');
  assert.deepEqual(audit.slice(-3).map((l) => l.msg), ['host enrolled', 'host enrolled', 'host token rotated']);
  const token = r.json.hosts[0].token as string;
  assert.equal((await call('POST', '/v1/reports', { token, body: report('bulk-1', '2026-12-01T07:00:00.000Z') })).status, 200, 'the new token works at once');
  assert.equal((await seen('bulk-1'))!.tags.dc, 'mad1');
  const twice = await call('POST', '/v1/hosts/enroll', { token: adminToken, body: { hosts: [{ host: 'bulk-3' }, { host: 'bulk-3' }] } });
  assert.equal(twice.status, 400);
  assert.match(twice.json.error.message, /named twice/);
  const tooMany = await call('POST', '/v1/hosts/enroll', { token: adminToken, body: { hosts: Array.from({ length: 1001 }, (_, i) => ({ host: `bulk-x${i}` })) } });
  assert.equal(tooMany.status, 400);
  assert.equal((await call('POST', '/v1/hosts/enroll', { token: adminToken, body: { hosts: [] } })).status, 400);
  assert.equal(await seen('bulk-3'), undefined, 'a refused batch enrols nothing');
  assert.equal((await call('POST', '/v1/hosts/enroll', { token: readToken, body: { hosts: [{ host: 'bulk-4' }] } })).status, 403);
});

test('a follower forwards fleet routes once authenticated and scope-checked, body unread; operator reads and ingest stay local', async () => {
  const forwarded: { method: string; url: string; body: string }[] = [];
  const forwardToLeader = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    assert.equal(req.readableEnded, false, 'the body was not read before the hook');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    forwarded.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"from":"leader"}');
  };
  const tokens = parseTokenEntries(`${hashToken(readToken)} name=reader\n${hashToken(adminToken)} scopes=admin name=ops\n${hashToken(ingestToken)} scopes=ingest name=relay\n`);
  const follower = createControlServer({
    operatorTokens: tokens,
    hostAuth: new HostAuth(store),
    store,
    ingest: (item) => store.ingest([item]).then((o) => o[0]!),
    capacityReport: async () => ({ contentType: 'application/json', body: '{}' }),
    performanceReport: async () => ({ contentType: 'application/json', body: '{}' }),
    metrics: async () => '',
    limits: { ...DEFAULT_CONTROL_LIMITS, rateLimit: { perSecond: 1000, burst: 1000 } },
    log: silent(),
    now: () => NOW.getTime(),
    forwardToLeader,
  });
  const a = await follower.listen('127.0.0.1', 0);
  const fb = `http://127.0.0.1:${a.port}`;
  try {
    const host = await enroll('follower-host');
    const leader = async (method: string, path: string, opts: Parameters<typeof call>[2]) => {
      const n = forwarded.length;
      const r = await call(method, path, { ...opts, base: fb });
      return { ...r, forwarded: forwarded.length > n };
    };
    // Reaches the leader: fleet routes, for the right credential and scope.
    const poll = await leader('GET', '/v1/agent/poll?wait=0', { token: host });
    assert.deepEqual([poll.status, poll.json, poll.forwarded], [200, { from: 'leader' }, true]);
    assert.equal((await leader('GET', '/v1/bundles', { token: readToken })).forwarded, true);
    assert.equal((await leader('GET', '/v1/audit?limit=5', { token: readToken })).forwarded, true);
    assert.equal((await leader('GET', '/v1/checks', { token: readToken })).forwarded, true);
    assert.equal((await leader('POST', '/v1/rollouts/current/pause', { token: adminToken })).forwarded, true);
    const status = await leader('POST', '/v1/agent/bundle-status', { token: host, body: { release: 1 } });
    assert.equal(status.forwarded, true);
    assert.equal(forwarded.at(-1)!.body, '{"release":1}', 'the body reached the leader untouched');
    // Refused here: no credential, wrong credential, missing scope, unknown path, wrong method.
    for (const [method, path, token, code] of [
      ['GET', '/v1/agent/poll', null, 401],
      ['GET', '/v1/agent/poll', readToken, 401],
      ['GET', '/v1/bundles', host, 401],
      ['POST', '/v1/bundles', readToken, 403],
      ['POST', '/v1/runs', adminToken, 403],
      ['GET', '/v1/agent/nope', host, 404],
      ['DELETE', '/v1/drift', readToken, 405],
    ] as const) {
      const r = await leader(method, path, { token });
      assert.deepEqual([r.status, r.forwarded], [code, false], `${method} ${path}`);
    }
    // Served here: operator reads, enrolment, ingest (v1 and v2).
    const before = forwarded.length;
    assert.equal((await leader('GET', '/v1/hosts', { token: readToken })).status, 200);
    assert.equal((await leader('POST', '/v1/reports', { token: host, body: report('follower-host', '2026-12-01T07:00:00.000Z') })).json.outcome, 'stored');
    assert.equal((await leader('POST', '/v2/reports', { token: ingestToken, body: { reports: [report('follower-host', '2026-12-01T07:00:01.000Z')] } })).json.results[0].outcome, 'stored');
    assert.equal((await leader('GET', '/v1/reports/capacity', { token: readToken })).status, 200);
    assert.equal((await leader('POST', '/v1/hosts/enroll', { token: adminToken, body: { host: 'follower-2' } })).status, 200);
    assert.equal(forwarded.length, before, 'none of those reached the leader');
  } finally {
    await follower.close(100);
  }
});

test('v2: reports the queue refuses get their own retryable error and the answer a Retry-After; the others are stored', async () => {
  let n = 0;
  const tokens = parseTokenEntries(`${hashToken(ingestToken)} scopes=ingest name=relay\n`);
  const busy = createControlServer({
    operatorTokens: tokens,
    hostAuth: new HostAuth(store),
    store,
    ingest: async (item) => {
      if (n++ % 2 === 1) throw new VigiaError('CONTROL_ERR_OVERLOADED', 'test');
      return (await store.ingest([item]))[0]!;
    },
    capacityReport: async () => ({ contentType: 'application/json', body: '{}' }),
    performanceReport: async () => ({ contentType: 'application/json', body: '{}' }),
    metrics: async () => '',
    limits: DEFAULT_CONTROL_LIMITS,
    log: silent(),
    now: () => NOW.getTime(),
  });
  const a = await busy.listen('127.0.0.1', 0);
  try {
    await enroll('busy-1');
    const reports = [0, 1, 2, 3].map((i) => report('busy-1', `2026-12-01T07:00:0${i}.000Z`));
    const r = await call('POST', '/v2/reports', { token: ingestToken, body: { reports }, base: `http://127.0.0.1:${a.port}` });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.results.map((x: any) => x.outcome ?? x.error.code), ['stored', 'CONTROL_ERR_OVERLOADED', 'stored', 'CONTROL_ERR_OVERLOADED']);
    const wait = Number(r.headers.get('retry-after'));
    assert.ok(wait >= 2 && wait <= 4, `Retry-After ${wait}: the code's 2 s, spread up to twice`);
  } finally {
    await busy.close(100);
  }
});

test('v2: batch bodies read at once are bounded; one more is answered 503 with Retry-After before its body is read, and the slot comes back', async () => {
  const tokens = parseTokenEntries(`${hashToken(ingestToken)} scopes=ingest name=relay\n`);
  const bounded = createControlServer({
    operatorTokens: tokens,
    hostAuth: new HostAuth(store),
    store,
    ingest: async (item) => (await store.ingest([item]))[0]!,
    capacityReport: async () => ({ contentType: 'application/json', body: '{}' }),
    performanceReport: async () => ({ contentType: 'application/json', body: '{}' }),
    metrics: async () => '',
    limits: { ...DEFAULT_CONTROL_LIMITS, rateLimit: { perSecond: 1000, burst: 1000 }, maxBatchBodiesInFlight: 1 },
    log: silent(),
    now: () => NOW.getTime(),
  });
  const a = await bounded.listen('127.0.0.1', 0);
  const at = `http://127.0.0.1:${a.port}`;
  try {
    await enroll('bounded-1');
    const body = Buffer.from(JSON.stringify({ reports: [report('bounded-1', '2026-12-01T07:00:05.000Z')] }));
    // The first batch takes the only slot: the server answers 100 Continue in the same turn as it
    // enters the handler, so once the client sees it the slot is held until the body has been read.
    const held = http.request(`${at}/v2/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json', 'content-length': String(body.length), expect: '100-continue' },
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      held.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      held.on('error', reject);
    });
    await new Promise<void>((resolve) => held.once('continue', () => resolve()));

    const refused = await call('POST', '/v2/reports', { token: ingestToken, body: { reports: [report('bounded-1', '2026-12-01T07:00:06.000Z')] }, base: at });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.json.error.code, 'CONTROL_ERR_OVERLOADED');
    assert.match(refused.json.error.message, /1 report batches are being read at once/);
    const wait = Number(refused.headers.get('retry-after'));
    assert.ok(wait >= 2 && wait <= 4, `Retry-After ${wait}`);
    assert.equal((await call('POST', '/v1/reports', { token: await enroll('bounded-v1'), body: report('bounded-v1', '2026-12-01T07:00:06.000Z'), base: at })).status, 200, 'v1 reports are not held up');

    held.end(body);
    const first = await answered;
    assert.equal(first.status, 200, first.text);
    assert.equal(JSON.parse(first.text).results[0].outcome, 'stored');
    // The slot came back, also after a body that fails to parse.
    assert.equal((await call('POST', '/v2/reports', { token: ingestToken, raw: '{not json', base: at })).status, 400);
    const again = await call('POST', '/v2/reports', { token: ingestToken, body: { reports: [report('bounded-1', '2026-12-01T07:00:06.000Z')] }, base: at });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.results[0].outcome, 'stored', 'the refused batch was not stored');
  } finally {
    await bounded.close(100);
  }
});

test('v2: a host has one batch body read at a time (a second one is 503 while others go on), and skewed reports of one batch record its error once', async () => {
  const token = await enroll('one-at-a-time');
  const other = await enroll('one-at-a-time-other');
  const body = Buffer.from(JSON.stringify({ reports: [report('one-at-a-time', '2026-12-01T07:00:07.000Z')] }));
  const held = http.request(`${base}/v2/reports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(body.length), expect: '100-continue' },
  });
  const answered = new Promise<number>((resolve, reject) => {
    held.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    held.on('error', reject);
  });
  await new Promise<void>((resolve) => held.once('continue', () => resolve()));
  const second = await call('POST', '/v2/reports', { token, body: { reports: [report('one-at-a-time', '2026-12-01T07:00:08.000Z')] } });
  assert.equal(second.status, 503, second.text);
  assert.match(second.json.error.message, /a batch of host "one-at-a-time" is being read already/);
  const meanwhile = await call('POST', '/v2/reports', { token: other, body: { reports: [report('one-at-a-time-other', '2026-12-01T07:00:08.000Z')] } });
  assert.equal(meanwhile.status, 200, 'another host is not held up');
  held.end(body);
  assert.equal(await answered, 200);
  assert.equal((await call('POST', '/v2/reports', { token, body: { reports: [report('one-at-a-time', '2026-12-01T07:00:09.000Z')] } })).status, 200, 'its next batch is read');

  // Twenty reports an hour ahead: twenty skew errors, one database write of the host's error.
  const recorded: string[] = [];
  const original = store.recordHostError.bind(store);
  store.recordHostError = async (hostId, at, message) => {
    recorded.push(message);
    return original(hostId, at, message);
  };
  try {
    const ahead = Array.from({ length: 20 }, (_, i) => report('one-at-a-time', new Date(NOW.getTime() + 3_600_000 + i * 1000).toISOString()));
    const r = await call('POST', '/v2/reports', { token, body: { reports: ahead } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(new Set(r.json.results.map((x: { error?: { code: string } }) => x.error?.code)), new Set(['CONTROL_ERR_CLOCK_SKEW']));
    assert.equal(recorded.length, 1);
  } finally {
    store.recordHostError = original;
  }
});

function silent() {
  return pino({ level: 'silent' });
}
