import { after, test } from 'node:test';
import { Agent, request } from 'node:http';
import assert from 'node:assert/strict';
import { hashToken, newToken, parseTokenEntries } from '../core/auth.js';
import { VigiaError } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { fakeDevice } from '../../test/support/fake-device.js';
import type { ActionService, RunRecord } from './actions/action-service.js';
import { connect } from 'node:net';
import { spawn } from 'node:child_process';
import { ProcessSampler } from './collectors/processes.js';
import { addressKey } from '../core/http.js';
import { createAgentServer, DEFAULT_LIMITS, type RequestRefusal, type AgentServerDeps } from './server.js';

const READ = newToken();
const OPS = newToken();
const tokens = parseTokenEntries(`${hashToken(READ)} name=reader\n${hashToken(OPS)} scopes=read,actions name=ops\n`);

const devices = [
  fakeDevice({ name: 'vda1', device: '/dev/vda1', mountpoint: '/' }),
  fakeDevice({ name: 'dm-0', device: '/dev/mapper/vg0-data', mountpoint: '/var/lib/mysql', dm_name: 'vg0-data', lvm: { vg: 'vg0', lv: 'data' }, role: 'data' }),
];

/** An action service that records calls; `run` throws for the names the real one would refuse. */
function fakeActions(calls: { name: string; body: unknown; client: string; wait: boolean | undefined }[]): ActionService {
  const record = (name: string, client: string, status: RunRecord['status']): RunRecord => ({
    id: '00000000-0000-4000-8000-000000000001', action: name, status, client, params: {}, started_at: new Date(0).toISOString(),
    finished_at: null, duration_ms: null, exit_code: status === 'running' ? null : 0, signal: null, stdout: '', stderr: '', stdout_truncated: false, stderr_truncated: false, output_dropped: false,
  });
  return {
    list: () => [],
    start: async (name, body, client, opts) => {
      calls.push({ name, body, client, wait: opts?.wait });
      if (name !== 'hello') throw new VigiaError('AGENT_ERR_UNKNOWN_ACTION', name);
      return record(name, client, opts?.wait === false ? 'running' : 'succeeded');
    },
    get: (id) => {
      if (id !== '00000000-0000-4000-8000-000000000001') throw new VigiaError('AGENT_ERR_UNKNOWN_RUN');
      return record('hello', 'ops', 'succeeded');
    },
    identities: () => [],
    close: async () => undefined,
  };
}

interface InjectResult {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
}

/** One request over a real socket, with the path sent exactly as given (no URL normalisation). */
function inject(port: number, opts: { url: string; method?: string; headers?: Record<string, string>; payload?: unknown }): Promise<InjectResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | undefined;
    if (opts.payload !== undefined) {
      body = typeof opts.payload === 'string' ? opts.payload : JSON.stringify(opts.payload);
      if (typeof opts.payload !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    const req = request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.url, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const open: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(open.map((s) => s.close()));
});

async function server(over: Partial<AgentServerDeps> = {}, calls: Parameters<typeof fakeActions>[0] = []) {
  let now = 0;
  const srv = createAgentServer({
    tokens,
    devices: async () => devices,
    system: async () => ({ cpu: { idle_pct: 99 } }),
    processes: async (q) => [{ pid: 1, sort: q.sort, limit: q.limit }],
    metrics: async () => 'node_load1 0.5\n',
    actions: fakeActions(calls),
    limits: DEFAULT_LIMITS,
    log: silentLogger(),
    now: () => now,
    ...over,
  });
  const { port } = await srv.listen('127.0.0.1', 0);
  open.push(srv);
  const app = { inject: (opts: Parameters<typeof inject>[1]) => inject(port, opts) };
  return { app, calls, advance: (ms: number) => (now += ms), srv, port };
}

const auth = (t: string) => ({ authorization: `Bearer ${t}` });

test('only /healthz answers without a token; every other path (known or not) is 401 with WWW-Authenticate', async () => {
  const { app } = await server();
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  for (const url of ['/v1/devices', '/v1/devices/vda1', '/v1/system', '/v1/processes', '/metrics', '/v1/actions', '/v1/actions/runs/x', '/nope', '/v1/../healthz/../v1/devices']) {
    for (const headers of [{}, auth('wrong'), { authorization: READ }, { authorization: `Basic ${READ}` }]) {
      const res = await app.inject({ url, headers });
      assert.equal(res.statusCode, 401, `${url} ${JSON.stringify(headers)}`);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
      assert.equal(res.json().error.code, 'VIGIA_ERR_UNAUTHORIZED');
    }
  }
  const post = await app.inject({ method: 'POST', url: '/v1/actions/hello', payload: {} });
  assert.equal(post.statusCode, 401);
});

test('a read token reads but cannot run an action (403, nothing started); an actions token can', async () => {
  const { app, calls } = await server();
  assert.equal((await app.inject({ url: '/v1/devices', headers: auth(READ) })).statusCode, 200);
  const refused = await app.inject({ method: 'POST', url: '/v1/actions/hello', headers: auth(READ), payload: {} });
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.json().error.code, 'VIGIA_ERR_FORBIDDEN');
  assert.equal(calls.length, 0, 'the action service was never called');
  const ok = await app.inject({ method: 'POST', url: '/v1/actions/hello', headers: auth(OPS), payload: { x: 1 } });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(calls, [{ name: 'hello', body: { x: 1 }, client: 'ops', wait: true }], 'the client passed on is the token name');
});

test('an action call with more parameters than any action declares is refused before the action service sees it', async () => {
  const { app, calls } = await server();
  const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`p${i}`, 1]));
  const res = await app.inject({ method: 'POST', url: '/v1/actions/hello', headers: auth(OPS), payload: wide });
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.json().error.code, 'AGENT_ERR_INVALID_PARAMS');
  assert.match(res.json().error.message, /more than 32 keys/);
  assert.equal(calls.length, 0, 'the action service was never called');
});

test('async action runs answer 202 with a Location; runs are fetched by id; bad ids are 404', async () => {
  const { app, calls } = await server();
  const res = await app.inject({ method: 'POST', url: '/v1/actions/hello?async=true', headers: auth(OPS) });
  assert.equal(res.statusCode, 202);
  assert.equal(res.headers.location, `/v1/actions/runs/${res.json().id}`);
  assert.equal(calls[0]!.wait, false);
  assert.deepEqual(calls[0]!.body, {}, 'no body means no parameters');
  assert.equal((await app.inject({ url: res.headers.location as string, headers: auth(READ) })).statusCode, 200);
  for (const id of ['00000000-0000-4000-8000-000000000002', '..%2F..%2Fetc%2Fpasswd', 'x'.repeat(400)]) {
    const r = await app.inject({ url: `/v1/actions/runs/${id}`, headers: auth(READ) });
    assert.equal(r.statusCode, 404, id);
    assert.ok(['AGENT_ERR_UNKNOWN_RUN', 'VIGIA_ERR_NOT_FOUND'].includes(r.json().error.code), id);
  }
});

test('unknown actions, non-JSON and oversized bodies are refused with catalog errors', async () => {
  const { app } = await server();
  const unknown = await app.inject({ method: 'POST', url: '/v1/actions/rm-rf', headers: auth(OPS), payload: {} });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().error.code, 'AGENT_ERR_UNKNOWN_ACTION');
  const text = await app.inject({ method: 'POST', url: '/v1/actions/hello', headers: { ...auth(OPS), 'content-type': 'text/plain' }, payload: 'days=1' });
  assert.equal(text.statusCode, 415);
  assert.equal(text.json().error.code, 'VIGIA_ERR_UNSUPPORTED_MEDIA_TYPE');
  const broken = await app.inject({ method: 'POST', url: '/v1/actions/hello', headers: { ...auth(OPS), 'content-type': 'application/json' }, payload: '{"days":' });
  assert.equal(broken.statusCode, 400);
  assert.equal(broken.json().error.code, 'VIGIA_ERR_BAD_REQUEST');
  const big = await app.inject({ method: 'POST', url: '/v1/actions/hello', headers: { ...auth(OPS), 'content-type': 'application/json' }, payload: JSON.stringify({ s: 'x'.repeat(DEFAULT_LIMITS.bodyLimitBytes) }) });
  assert.equal(big.statusCode, 413);
  assert.equal(big.json().error.code, 'VIGIA_ERR_BODY_TOO_LARGE');
  const proto = await app.inject({ method: 'POST', url: '/v1/actions/hello', headers: { ...auth(OPS), 'content-type': 'application/json' }, payload: '{"__proto__":{"admin":true}}' });
  assert.equal(proto.statusCode, 400, 'prototype poisoning is refused by the JSON parser');
});

test('devices: the list, one by name or LV, by mountpoint; unknown names and traversal are 404 without touching paths', async () => {
  const { app } = await server();
  const get = (url: string) => app.inject({ url, headers: auth(READ) });
  assert.equal((await get('/v1/devices')).json().devices.length, 2);
  for (const url of ['/v1/devices/dm-0', '/v1/devices/data', '/v1/devices/vg0%2Fdata', '/v1/devices/%2Fdev%2Fmapper%2Fvg0-data', '/v1/devices/dev/mapper/vg0-data', '/v1/devices?mountpoint=/var/lib/mysql']) {
    const res = await get(url);
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.json().device.name, 'dm-0', url);
  }
  for (const url of ['/v1/devices/sdz', '/v1/devices/..%2F..%2Fetc%2Fpasswd', '/v1/devices/../../etc/passwd', '/v1/devices/%2e%2e/%2e%2e/etc/shadow', '/v1/devices?mountpoint=/etc']) {
    const res = await get(url);
    assert.ok(res.statusCode === 404, `${url}: ${res.statusCode}`);
    const body = res.json();
    assert.ok(['AGENT_ERR_UNKNOWN_DEVICE', 'VIGIA_ERR_NOT_FOUND'].includes(body.error.code), url);
    assert.doesNotMatch(res.body, /root:|\/home\//, 'no file content leaks');
  }
  const arr = await get('/v1/devices?mountpoint=/&mountpoint=/var/lib/mysql');
  assert.equal(arr.statusCode, 400, 'repeated query parameters are not guessed at');
  assert.equal((await get('/v1/devices?name=x')).json().error.code, 'AGENT_ERR_INVALID_QUERY');
});

test('processes: sort and limit are validated; defaults cpu/20', async () => {
  const { app } = await server();
  const get = (url: string) => app.inject({ url, headers: auth(READ) });
  assert.deepEqual((await get('/v1/processes')).json().processes, [{ pid: 1, sort: 'cpu', limit: 20 }]);
  assert.deepEqual((await get('/v1/processes?sort=io&limit=5')).json().processes, [{ pid: 1, sort: 'io', limit: 5 }]);
  for (const q of ['sort=disk', 'limit=0', 'limit=501', 'limit=1.5', 'limit=abc', 'sort=cpu&sort=mem', 'user=root']) {
    const res = await get(`/v1/processes?${q}`);
    assert.equal(res.statusCode, 400, q);
    assert.equal(res.json().error.code, 'AGENT_ERR_INVALID_QUERY', q);
  }
});

test('rate limiting is per client: a token that exceeds its burst gets 429 + Retry-After, others are unaffected', async () => {
  const { app, advance } = await server({ limits: { ...DEFAULT_LIMITS, rateLimit: { perSecond: 1, burst: 3 } } });
  const codes = [];
  for (let i = 0; i < 5; i++) codes.push((await app.inject({ url: '/v1/system', headers: auth(READ) })).statusCode);
  assert.deepEqual(codes, [200, 200, 200, 429, 429]);
  const limited = await app.inject({ url: '/v1/system', headers: auth(READ) });
  assert.equal(limited.headers['retry-after'], '1');
  assert.equal(limited.json().error.code, 'VIGIA_ERR_RATE_LIMITED');
  assert.equal((await app.inject({ url: '/v1/system', headers: auth(OPS) })).statusCode, 200, 'another token has its own bucket');
  advance(1000);
  assert.equal((await app.inject({ url: '/v1/system', headers: auth(READ) })).statusCode, 200, 'refilled after a second');
  const guesses = [];
  for (let i = 0; i < 5; i++) guesses.push((await app.inject({ url: '/v1/system', headers: auth(`guess${i}`) })).statusCode);
  assert.deepEqual(guesses, [401, 401, 401, 429, 429], 'token guessing from one address is rate limited too');
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'health checks are never limited');
});

test('an unexpected failure is a bare 500 with no stack, message or path', async () => {
  const { app } = await server({
    devices: async () => {
      throw new Error('EACCES: permission denied, open /secret/path/at/line 42');
    },
  });
  const res = await app.inject({ url: '/v1/devices', headers: auth(READ) });
  assert.equal(res.statusCode, 500);
  assert.deepEqual(res.json(), { error: { code: 'VIGIA_ERR_INTERNAL', message: 'internal error' } });
});

test('/metrics is Prometheus text; answers are never cached and not sniffed', async () => {
  const { app } = await server();
  const res = await app.inject({ url: '/metrics', headers: auth(READ) });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.equal(res.body, 'node_load1 0.5\n');
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
});

test('with actions disabled every action name is unknown and the list is empty', async () => {
  const { app } = await server({ actions: null });
  assert.deepEqual((await app.inject({ url: '/v1/actions', headers: auth(READ) })).json(), { actions: [] });
  const res = await app.inject({ method: 'POST', url: '/v1/actions/hello', headers: auth(OPS), payload: {} });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().error.code, 'AGENT_ERR_UNKNOWN_ACTION');
});

test('wrong methods are 405 with Allow; HEAD works where GET does; malformed escapes are 400', async () => {
  const { app } = await server();
  const del = await app.inject({ method: 'DELETE', url: '/v1/devices', headers: auth(READ) });
  assert.equal(del.statusCode, 405);
  assert.equal(del.headers.allow, 'GET, HEAD');
  const getAction = await app.inject({ url: '/v1/actions/hello', headers: auth(OPS) });
  assert.equal(getAction.statusCode, 405);
  assert.equal(getAction.headers.allow, 'POST');
  const head = await app.inject({ method: 'HEAD', url: '/v1/system', headers: auth(READ) });
  assert.equal(head.statusCode, 200);
  assert.equal(head.body, '');
  assert.equal((await app.inject({ method: 'POST', url: '/healthz' })).statusCode, 405);
  const bad = await app.inject({ url: '/v1/devices/%E0%A4%A', headers: auth(READ) });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'VIGIA_ERR_BAD_REQUEST');
});

test('a failed request is counted under its route for the metrics', async () => {
  const seen: [string, number][] = [];
  const { app } = await server({ onResponse: (route, status) => seen.push([route, status]) });
  await app.inject({ url: '/v1/devices/nope', headers: auth(READ) });
  await app.inject({ url: '/healthz' });
  await app.inject({ url: '/v1/system' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, [['/v1/devices/:name', 404], ['/healthz', 200], ['unmatched', 401]]);
});

test('a 403 names the missing scope; HTTP-level refusals of action calls are reported for the audit log, service-level ones are not', async () => {
  const refused: RequestRefusal[] = [];
  const { app } = await server({ onRequestRefused: (r) => void refused.push(r) });
  const forbidden = await app.inject({ method: 'POST', url: '/v1/actions/hello', headers: auth(READ), payload: {} });
  assert.equal(forbidden.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="actions"');
  await app.inject({ method: 'POST', url: '/v1/actions/hello', payload: {} });
  await app.inject({ method: 'POST', url: '/v1/actions/hello', headers: { ...auth(OPS), 'content-type': 'text/plain' }, payload: 'x' });
  await app.inject({ method: 'POST', url: '/v1/actions/rm-rf', headers: auth(OPS), payload: {} }); // the service refuses (and audits) this one
  await app.inject({ method: 'POST', url: '/v1/actions/hello', headers: auth(OPS), payload: {} }); // runs
  assert.deepEqual(refused.map((r) => [r.action, r.client, r.status, r.code, r.address]), [
    ['hello', 'reader', 403, 'VIGIA_ERR_FORBIDDEN', '127.0.0.1'],
    ['hello', null, 401, 'VIGIA_ERR_UNAUTHORIZED', '127.0.0.1'],
    ['hello', 'ops', 415, 'VIGIA_ERR_UNSUPPORTED_MEDIA_TYPE', '127.0.0.1'],
  ]);
});

test('every refused state-changing request reaches the audit hook, whatever its path: long names, trailing and doubled slashes, unknown routes; reads do not', async () => {
  const refused: RequestRefusal[] = [];
  const { app, calls } = await server({ onRequestRefused: (r) => void refused.push(r) });
  const long = 'a'.repeat(201);
  assert.equal((await app.inject({ method: 'POST', url: `/v1/actions/${long}`, headers: { ...auth(OPS), 'content-type': 'text/plain' }, payload: 'x' })).statusCode, 415);
  assert.equal((await app.inject({ method: 'POST', url: '/v1/actions/x/', headers: auth(OPS), payload: {} })).statusCode, 404);
  assert.equal((await app.inject({ method: 'POST', url: '/v1//actions/x', headers: auth(OPS), payload: {} })).statusCode, 404);
  assert.equal((await app.inject({ method: 'DELETE', url: '/v1/actions/hello', headers: auth(OPS) })).statusCode, 405);
  assert.equal((await app.inject({ method: 'POST', url: '/v1//actions/x', headers: auth(READ), payload: {} })).statusCode, 404);
  assert.equal((await app.inject({ method: 'POST', url: '/v1/actions/hello?token=secret', headers: auth(OPS), payload: {} })).statusCode, 400);
  assert.equal((await app.inject({ url: '/v1/actions/x/', headers: auth(OPS) })).statusCode, 404, 'a read');
  assert.equal(calls.length, 0, 'nothing reached the action service');
  assert.deepEqual(refused.map((r) => [r.method, r.path, r.action, r.client, r.status, r.code]), [
    ['POST', `/v1/actions/${long}`.slice(0, 200), long, 'ops', 415, 'VIGIA_ERR_UNSUPPORTED_MEDIA_TYPE'],
    ['POST', '/v1/actions/x/', undefined, 'ops', 404, 'VIGIA_ERR_NOT_FOUND'],
    ['POST', '/v1//actions/x', undefined, 'ops', 404, 'VIGIA_ERR_NOT_FOUND'],
    ['DELETE', '/v1/actions/hello', 'hello', 'ops', 405, 'VIGIA_ERR_METHOD_NOT_ALLOWED'],
    ['POST', '/v1//actions/x', undefined, 'reader', 404, 'VIGIA_ERR_NOT_FOUND'],
    ['POST', '/v1/actions/hello', 'hello', 'ops', 400, 'AGENT_ERR_INVALID_QUERY'],
  ]);
  assert.ok(!JSON.stringify(refused).includes('secret'), 'no query string');
});

test('numbers in queries are plain digits; endpoints without parameters refuse any', async () => {
  const { app } = await server();
  for (const url of ['/v1/processes?limit=0x10', '/v1/processes?limit=1e2', '/v1/processes?limit=%205', '/metrics?x=1', '/v1/actions?debug=1', '/v1/system?a=b']) {
    const res = await app.inject({ url, headers: auth(READ) });
    assert.equal(res.statusCode, 400, url);
    assert.equal(res.json().error.code, 'AGENT_ERR_INVALID_QUERY', url);
    assert.match(String(res.headers['content-type']), /charset=utf-8/);
  }
});

test('Expect: 100-continue is only honoured for a valid token', async () => {
  const { port } = await server();
  const talk = (token: string | null) =>
    new Promise<string>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      let got = '';
      sock.on('data', (d) => {
        got += d.toString();
        if (/\r\n\r\n/.test(got)) sock.destroy();
      });
      sock.on('close', () => resolve(got));
      sock.write(`POST /v1/actions/hello HTTP/1.1\r\nHost: x\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}Content-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`);
    });
  assert.match(await talk(null), /^HTTP\/1\.1 401/, 'no "100 Continue" before the 401');
  assert.match(await talk(OPS), /^HTTP\/1\.1 100 Continue/);
});

test('one address cannot hold more than its share of connections', async () => {
  const { port } = await server({ limits: { ...DEFAULT_LIMITS, maxConnectionsPerAddress: 5 } });
  const socks = Array.from({ length: 8 }, () => connect(port, '127.0.0.1'));
  const closed = await Promise.all(socks.map((s) => new Promise<boolean>((resolve) => {
    s.on('error', () => undefined);
    s.on('close', () => resolve(true));
    setTimeout(() => resolve(false), 1000);
  })));
  assert.equal(closed.filter(Boolean).length, 3, 'the three over the limit are closed at once');
  for (const s of socks) s.destroy();
});

test('while draining, a kept-alive client gets 503 + Connection: close and does not hold shutdown up', async () => {
  const { srv, port } = await server();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/system', headers: auth(READ), agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.end();
    });
  assert.deepEqual(await get(), { status: 200, connection: 'keep-alive' });
  const closing = srv.close(5000);
  const during = await get().catch(() => undefined);
  if (during) assert.deepEqual(during, { status: 503, connection: 'close' }, 'the kept-alive socket is told to go away');
  const t0 = Date.now();
  await closing;
  assert.ok(Date.now() - t0 < 2000, 'closed without waiting for the grace period');
  agent.destroy();
});

test('rate-limit keys: IPv4 as is, IPv4-mapped unwrapped, IPv6 by /64', () => {
  assert.equal(addressKey('10.1.2.3'), '10.1.2.3');
  assert.equal(addressKey('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:DB8:0001:0002::9'), '2001:db8:1:2::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
});

test('processes: a secret on a command line is redacted for a read token and shown whole only to scope cmdline', async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', '--db-password=hunter2', '--port=3306'], { stdio: 'ignore' });
  try {
    const sampler = new ProcessSampler({ roots: { rootfs: '/', procfs: '/proc', sysfs: '/sys', udevData: '/run/udev/data' }, gapMs: 50 });
    let { app } = await server({ processes: (q) => sampler.top(q) });
    const child_ = async (token: string) => {
      const res = await app.inject({ url: '/v1/processes?sort=mem&limit=500', headers: auth(token) });
      assert.equal(res.statusCode, 200, res.body);
      const found = res.json().processes.find((p: { pid: number }) => p.pid === child.pid);
      assert.ok(found, 'the child is listed');
      return { answer: res.json(), command: found.command as string, body: res.body };
    };
    const read = await child_(READ);
    assert.match(read.command, /--db-password=\*\*\* --port=3306$/);
    assert.doesNotMatch(read.body, /hunter2/, 'no process of the answer shows the secret');
    assert.equal(read.answer.command_lines, 'redacted');
    const FULL = newToken();
    const entries = parseTokenEntries(`${hashToken(READ)} name=reader\n${hashToken(FULL)} scopes=cmdline name=debugger\n`);
    ({ app } = await server({ tokens: entries, processes: (q) => sampler.top(q) }));
    assert.equal((await child_(READ)).answer.command_lines, 'redacted', 'a read token still gets redacted lines');
    const full = await child_(FULL);
    assert.match(full.command, /--db-password=hunter2 --port=3306$/);
    assert.equal(full.answer.command_lines, 'full');
  } finally {
    child.kill();
  }
});
