/**
 * `vigia logs serve` end to end on real sockets, with the real embedded store (DuckDB in a temp dir) and
 * a real control plane (PGlite) for shipper tokens: authentication and scopes, body and gzip-bomb
 * limits, rejected lines by reason, duplicates, shippers' drops, 503 when the queue cannot take a
 * batch, syslog over UDP and TCP (both framings), retention at start, and a drain on shutdown.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { hashToken, newToken, parseTokenEntries } from '../../src/core/auth.js';
import { Lifecycle } from '../../src/core/lifecycle.js';
import { silentLogger } from '../../src/core/log.js';
import { HostAuth } from '../../src/control/host-auth.js';
import { createControlServer, DEFAULT_CONTROL_LIMITS, type ControlServer } from '../../src/control/server.js';
import { openControlStore } from '../../src/control/store/sql-store.js';
import type { ControlStore } from '../../src/control/store/control-store.js';
import { startCollector, type RunningCollector } from '../../src/logs/collect/run-collector.js';
import { parseServeConfig } from '../../src/logs/collect/serve-config.js';
import { openLogStore } from '../../src/logs/store/open-store.js';
import { tempDir } from '../support/tmp.js';

const readToken = newToken();
const adminToken = newToken();
const T0 = Date.now() - 3600_000;
const tmp = tempDir('vigia-logs-collect-');
let control: ControlServer;
let controlStore: ControlStore;
let controlUrl: string;
let collector: RunningCollector;
let life: Lifecycle;
let base: string;
let webToken: string;

function clf(ip: string, path: string, status = 200, at = T0): string {
  const d = new Date(at);
  const mon = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ')[d.getUTCMonth()];
  const t = `${String(d.getUTCDate()).padStart(2, '0')}/${mon}/${d.getUTCFullYear()}:${d.toISOString().slice(11, 19)} +0000`;
  return `${ip} - - [${t}] "GET ${path} HTTP/1.1" ${status} 512 "-" "curl/8.5.0"`;
}

async function post(lines: readonly string[] | string, opts: { token?: string | null; source?: string; offset?: string; dropped?: number; count?: number; gzip?: boolean; body?: Buffer; type?: string } = {}) {
  const text = typeof lines === 'string' ? lines : lines.map((l) => `${l}\n`).join('');
  const headers: Record<string, string> = {
    'content-type': opts.type ?? 'text/plain; charset=utf-8',
    'x-vigia-log-format': 'combined',
    'x-vigia-log-source': opts.source ?? 'ship-1:2049:77',
    'x-vigia-log-lines': String(opts.count ?? (typeof lines === 'string' ? lines.split('\n').length - 1 : lines.length)),
    'x-vigia-log-dropped': String(opts.dropped ?? 0),
  };
  if (opts.offset) headers['x-vigia-log-offset'] = opts.offset;
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? webToken}`;
  let body: Buffer = opts.body ?? Buffer.from(text);
  if (opts.gzip) {
    headers['content-encoding'] = 'gzip';
    if (!opts.body) body = gzipSync(body);
  }
  const res = await fetch(`${base}/v1/logs/lines`, { method: 'POST', headers, body: new Uint8Array(body) });
  const t = await res.text();
  return { status: res.status, json: t.startsWith('{') ? JSON.parse(t) : undefined, text: t, headers: res.headers };
}

async function get(path: string, token: string | null = readToken) {
  const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const t = await res.text();
  return { status: res.status, json: t.startsWith('{') ? JSON.parse(t) : undefined, text: t };
}

/** Sum of a metric's samples whose labels include `labels` (`name{a="b"}`: the registry adds role="..."). */
async function metric(spec: string): Promise<number> {
  const [name, labels = ''] = spec.replace('}', '').split('{');
  const want = labels ? labels.split(',') : [];
  const text = (await get('/metrics')).text;
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && want.every((w) => l.includes(w)))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

before(async () => {
  controlStore = await openControlStore({ retentionDays: 90 });
  control = createControlServer({
    operatorTokens: parseTokenEntries(`${hashToken(adminToken)} scopes=admin name=ops\n`),
    hostAuth: new HostAuth(controlStore),
    store: controlStore,
    ingest: async () => ({ outcome: 'stored' }) as never,
    capacityReport: async () => ({ contentType: 'application/json', body: '{}' }),
    performanceReport: async () => ({ contentType: 'application/json', body: '{}' }),
    metrics: async () => '',
    limits: DEFAULT_CONTROL_LIMITS,
    log: silentLogger(),
  });
  const a = await control.listen('127.0.0.1', 0);
  controlUrl = `http://127.0.0.1:${a.port}`;
  const enrolled = await fetch(`${controlUrl}/v1/hosts/enroll`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ host: 'web-0001' }) });
  webToken = ((await enrolled.json()) as { token: string }).token;
  writeFileSync(join(tmp.dir, 'ops.tokens'), `${hashToken(readToken)} name=reader\n${hashToken(adminToken)} scopes=ingest name=relay\n`, { mode: 0o600 });
  // An old line, stored before the collector starts: retention at start must remove it.
  const pre = await openLogStore({ dataDir: join(tmp.dir, 'logs') });
  await pre.insert([{ ts: Date.now() - 40 * 86_400_000, server: 'old', client: '192.0.2.1', method: 'GET', url: '/old', query: '', protocol: 'HTTP/1.1', status: 200, bytes: 1, referrer: '', agent: '', vhost: '', user: '', durationMs: -1 }]);
  await pre.close();
  life = new Lifecycle(silentLogger());
  collector = await startCollector(
    parseServeConfig({ listen: '127.0.0.1:0', dataDir: join(tmp.dir, 'logs'), control: controlUrl, tokens: join(tmp.dir, 'ops.tokens'), syslogUdp: '127.0.0.1:0', syslogTcp: '127.0.0.1:0', maxQueuedLines: '1000', logLevel: 'silent' }),
    silentLogger(),
    life,
  );
  base = `http://127.0.0.1:${collector.http.port}`;
});

after(async () => {
  await life?.shutdown();
  await control?.close(100);
  await controlStore?.close();
  tmp.remove();
});

test('shippers need their host enrolment token (checked with the control plane); operators need scope read', async () => {
  assert.equal((await post([clf('198.51.100.1', '/a')], { token: null })).status, 401);
  assert.equal((await post([clf('198.51.100.1', '/a')], { token: newToken() })).status, 401, 'unknown to the control plane');
  assert.equal((await post([clf('198.51.100.1', '/a')], { token: readToken })).status, 401, 'an operator token is not a shipper token');
  const ok = await post([clf('198.51.100.1', '/auth-ok')]);
  assert.deepEqual([ok.status, ok.json], [200, { stored: 1, rejected: 0, duplicates: 0 }]);
  const who = await get(`/v1/logs/who?url=/auth-ok&from=0&to=${Date.now() + 1e6}`);
  assert.equal(who.status, 200);
  assert.deepEqual(who.json.clients.map((c: { ip: string; hits: number }) => [c.ip, c.hits]), [['198.51.100.1', 1]]);
  const top = await get(`/v1/logs/top?by=hosts&from=0&to=${Date.now() + 1e6}`);
  assert.equal(top.json.rows[0].key, 'web-0001', 'lines are filed under the token\'s host');
  assert.equal((await get('/v1/logs/who?url=/a&from=0&to=1', null)).status, 401);
  assert.equal((await get('/v1/logs/who?url=/a&from=0&to=1', webToken)).status, 401, 'a shipper token reads nothing');
  const forbidden = await get('/v1/logs/who?url=/a&from=0&to=1', adminToken);
  assert.equal(forbidden.status, 403, 'scope ingest is not read');
  assert.equal((await get('/v1/logs/who?url=/a&from=0&to=1&sql=1')).status, 400, 'unknown query parameter');
  assert.equal((await get('/metrics', null)).status, 401);
});

test('rejected lines are counted by reason and the rest stored; the batch headers and line count are checked', async () => {
  const before = await metric('vigia_logs_lines_rejected_total{reason="bad-status"}');
  const r = await post([clf('198.51.100.2', '/mixed'), '203.0.113.9 - - [07/Dec/2026:03:04:05 +0000] "GET / HTTP/1.1" abc 1 "-" "-"', '', clf('198.51.100.2', '/mixed')]);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { stored: 2, rejected: 2, duplicates: 0 });
  assert.equal(await metric('vigia_logs_lines_rejected_total{reason="bad-status"}'), before + 1);
  assert.equal(collector.tally.count('empty') >= 1, true);
  const wrongCount = await post([clf('198.51.100.2', '/x')], { count: 2 });
  assert.deepEqual([wrongCount.status, wrongCount.json.error.code], [400, 'LOGS_ERR_BAD_BATCH']);
  const partial = await post(clf('198.51.100.2', '/x'), { count: 1 });
  assert.deepEqual([partial.status, partial.json.error.code], [400, 'LOGS_ERR_BAD_BATCH']);
  const badFormat = await fetch(`${base}/v1/logs/lines`, { method: 'POST', headers: { authorization: `Bearer ${webToken}`, 'content-type': 'text/plain', 'x-vigia-log-format': 'no-such-format', 'x-vigia-log-source': 's:1', 'x-vigia-log-lines': '0' }, body: '' });
  assert.equal(badFormat.status, 400);
  assert.equal(((await badFormat.json()) as { error: { code: string } }).error.code, 'LOGS_ERR_FORMAT');
  assert.equal((await post([clf('198.51.100.2', '/x')], { type: 'application/json' })).status, 415);
});

test('body and gzip-bomb limits: 413 before anything is stored', async () => {
  const big = Buffer.alloc(9 * 1024 * 1024, 'a');
  const r = await post('x\n', { body: big, count: 1 }).catch((e: Error) => ({ status: 413, text: String(e) }));
  assert.equal(r.status, 413);
  // 80 MiB of one line feed after another: inflated beyond 64 MiB and at a ratio over 200.
  const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024, 10));
  const b = await post('', { body: bomb, gzip: true, count: 1 });
  assert.equal(b.status, 413, b.text);
  const g = await post([clf('198.51.100.3', '/gz')], { gzip: true });
  assert.deepEqual([g.status, g.json?.stored], [200, 1], 'a normal gzip batch is fine');
});

test('a resent batch is stored again and counted as duplicates; shippers\' cumulative drops are summed', async () => {
  const lines = [clf('198.51.100.4', '/dup'), clf('198.51.100.4', '/dup')];
  const len = lines.reduce((n, l) => n + l.length + 1, 0);
  const d0 = await metric('vigia_logs_duplicates_total');
  const s0 = await metric('vigia_logs_shipper_dropped_total');
  assert.equal((await post(lines, { source: 'ship-9:2049:5', offset: `0-${len}`, dropped: 3 })).json.duplicates, 0);
  const again = await post(lines, { source: 'ship-9:2049:5', offset: `0-${len}`, dropped: 3 });
  assert.deepEqual(again.json, { stored: 2, rejected: 0, duplicates: 2 });
  assert.equal((await post(lines, { source: 'ship-9:2049:6', offset: `0-${len}`, dropped: 5 })).json.duplicates, 0, 'another file');
  assert.equal(await metric('vigia_logs_duplicates_total'), d0 + 2);
  assert.equal(await metric('vigia_logs_shipper_dropped_total'), s0 + 5, 'cumulative per shipper: 3, 3, 5 is 5 drops');
  const who = await get(`/v1/logs/who?url=/dup&from=0&to=${Date.now() + 1e6}`);
  assert.equal(who.json.clients[0].hits, 6, 'duplicates are stored, never silently');
});

test('a batch the queue cannot take is 503 with Retry-After, before its body is read', async () => {
  const lines = Array.from({ length: 1001 }, (_, i) => clf('198.51.100.5', `/big/${i}`));
  const r = await post(lines);
  assert.equal(r.status, 503);
  assert.equal(r.json.error.code, 'LOGS_ERR_OVERLOADED');
  assert.ok(Number(r.headers.get('retry-after')) >= 2);
  assert.ok((await metric('vigia_logs_lines_refused_total{code="LOGS_ERR_OVERLOADED"}')) >= 1001);
  // Refused before its body is read: a gzip bomb announced as 1001 lines is 503, not 413.
  const unread = await post('', { body: gzipSync(Buffer.alloc(80 * 1024 * 1024, 10)), gzip: true, count: 1001 });
  assert.equal(unread.status, 503, unread.text);
});

test('syslog over UDP and TCP (octet counting and LF framing) is stored under the syslog HOSTNAME; bad messages are counted', async () => {
  const udp = createSocket('udp4');
  const msg = (host: string, path: string): string => `<190>Dec  7 03:04:05 ${host} nginx: ${clf('198.51.100.6', path)}`;
  await new Promise<void>((r) => udp.send(msg('web-udp', '/syslog-udp'), collector.syslogUdp!.port, '127.0.0.1', () => r()));
  await new Promise<void>((r) => udp.send('not syslog', collector.syslogUdp!.port, '127.0.0.1', () => r()));
  udp.close();
  const five = `<134>1 2026-12-07T03:04:05Z web-tcp nginx - - - ${clf('198.51.100.6', '/syslog-octet')}`;
  const sock = connect(collector.syslogTcp!.port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(`${Buffer.byteLength(five)} ${five}${msg('web-tcp', '/syslog-lf')}\n`);
  await new Promise<void>((r) => sock.end(() => r()));
  const to = Date.now() + 1e6;
  let rows: { key: string; hits: number }[] = [];
  for (let i = 0; i < 50; i++) {
    rows = (await get(`/v1/logs/top?by=urls&from=0&to=${to}&limit=100`)).json.rows;
    if (['/syslog-udp', '/syslog-octet', '/syslog-lf'].every((u) => rows.some((x) => x.key === u))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(['/syslog-udp', '/syslog-octet', '/syslog-lf'].every((u) => rows.some((x) => x.key === u)), JSON.stringify(rows));
  const hosts = (await get(`/v1/logs/top?by=hosts&from=0&to=${to}`)).json.rows.map((x: { key: string }) => x.key);
  assert.ok(hosts.includes('web-udp') && hosts.includes('web-tcp'), hosts.join());
  assert.equal(await metric('vigia_logs_syslog_messages_total{transport="udp",outcome="no-pri"}'), 1);
});

test('retention ran at start: the 40-day-old line is gone', async () => {
  const who = await get(`/v1/logs/who?url=/old&from=0&to=${Date.now() + 1e6}`);
  assert.deepEqual(who.json.clients, []);
});
