import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { readJsonBody } from './http.js';
import { createPipelineServer, type Authenticate, type PipelineOptions, type RequestFailure } from './http-pipeline.js';
import { pino } from 'pino';
import { silentLogger } from './log.js';

/** Bounds these tests' bodies never reach (the shape check is tested in json-shape.test.ts). */
const ANY_SHAPE = { maxDepth: 64, maxKeys: 1e6, maxItems: 1e6, maxStringLength: 1e9 };

const BOUNDS = { requestTimeoutMs: 5000, keepAliveTimeoutMs: 1000, maxConnections: 100, maxConnectionsPerAddress: 100 };
const open: { close(g?: number): Promise<void> }[] = [];
after(() => Promise.all(open.map((s) => s.close(100))));

/** A credential is `Bearer <name>`; `scoped-*` names hold scope `read`, `host-*` names no scopes (identity only). */
const auth: Authenticate = (req) => {
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  return m[1]!.startsWith('host-') ? { kind: 'host', name: m[1]! } : { kind: 'operator', name: m[1]!, scopes: m[1]!.startsWith('scoped-') ? ['read'] : [] };
};

async function start(over: Partial<PipelineOptions> = {}) {
  const failures: RequestFailure[] = [];
  const forwarded: string[] = [];
  const srv = createPipelineServer(BOUNDS, undefined, {
    log: silentLogger(),
    onFailure: (f) => failures.push(f),
    mounts: [
      {
        name: 'public', owns: (p) => p.startsWith('/pub/'), authenticate: auth, credential: 'host', order: 'match-first',
        routes: [{ method: 'POST', name: '/pub/x', path: /^\/pub\/x$/, handler: async ({ principal }) => ({ who: principal.name }) }],
      },
      {
        name: 'operator', owns: () => true, authenticate: auth, credential: 'operator',
        routes: [
          { method: 'GET', name: '/read', path: /^\/read$/, scope: 'read', handler: async ({ principal }) => ({ who: principal.name }) },
          { method: 'GET', name: '/fleet', path: /^\/fleet$/, scope: 'read', leader: true, handler: async () => ({ here: true }) },
          { method: 'POST', name: '/fleet-post', path: /^\/fleet-post$/, scope: 'read', leader: true, maxBodyBytes: 1024, handler: async ({ req }) => ({ body: await readJsonBody(req, 1024, { shape: ANY_SHAPE }) }) },
          {
            method: 'POST', name: '/body', path: /^\/body$/,
            handler: async ({ req, query }) => ({
              body: await readJsonBody(req, 64 * 1024, query.inflate === 'no' ? { shape: ANY_SHAPE } : { shape: ANY_SHAPE, inflate: { maxBytes: 256 * 1024, maxRatio: Number(query.ratio ?? 1e9), ratioFloorBytes: 1024 } }),
            }),
          },
        ],
      },
    ],
    ...over,
  });
  const { port } = await srv.listen('127.0.0.1', 0);
  open.push(srv);
  const call = async (method: string, path: string, opts: { token?: string; body?: string | Buffer; encoding?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.encoding) headers['content-encoding'] = opts.encoding;
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers, body: typeof opts.body === 'object' ? new Uint8Array(opts.body) : opts.body });
    const text = await res.text();
    return { status: res.status, text, json: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  return { call, failures, forwarded, port };
}

test('authenticate-first mounts say 401 for any path without credentials; match-first ones say 404/405 first', async () => {
  const { call, failures } = await start();
  assert.equal((await call('GET', '/nope')).status, 401);
  assert.equal((await call('GET', '/nope', { token: 'scoped-a' })).status, 404);
  assert.equal((await call('GET', '/pub/x')).status, 405);
  assert.equal((await call('GET', '/pub/x')).headers.get('allow'), 'POST');
  assert.equal((await call('POST', '/pub/y')).status, 404);
  assert.equal((await call('POST', '/pub/x')).status, 401);
  assert.deepEqual((await call('POST', '/pub/x', { token: 'host-1' })).json, { who: 'host-1' });
  const forbidden = await call('GET', '/read', { token: 'op' });
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.headers.get('www-authenticate'), 'Bearer error="insufficient_scope", scope="read"');
  assert.equal((await call('GET', '/read', { token: 'host-1' })).status, 200, 'a principal without scopes is authorised by identity');
  assert.deepEqual(failures.map((f) => [f.route, f.status, f.principal?.name ?? null]), [
    ['unmatched', 401, null], ['unmatched', 404, 'scoped-a'], ['unmatched', 405, null], ['unmatched', 405, null], ['unmatched', 404, null], ['/pub/x', 401, null], ['/read', 403, 'op'],
  ]);
});

test('a leader route goes to forwardToLeader after authentication and scope; without the hook it runs here', async () => {
  const seen: string[] = [];
  const { call } = await start({ forwardToLeader: (req, res) => void (seen.push(req.url!), res.writeHead(200).end('{"leader":true}')) });
  assert.equal((await call('GET', '/fleet')).status, 401);
  assert.equal((await call('GET', '/fleet', { token: 'op' })).status, 403);
  assert.deepEqual((await call('GET', '/fleet', { token: 'scoped-a' })).json, { leader: true });
  assert.deepEqual((await call('GET', '/read', { token: 'scoped-a' })).json, { who: 'scoped-a' });
  assert.deepEqual(seen, ['/fleet']);
  const single = await start();
  assert.deepEqual((await single.call('GET', '/fleet', { token: 'scoped-a' })).json, { here: true });
});

test("a follower refuses a declared body over a leader route's maxBodyBytes itself (413), and forwards one within it", async () => {
  const seen: string[] = [];
  const { call } = await start({ forwardToLeader: (req, res) => void (seen.push(req.url!), req.resume(), res.writeHead(200).end('{"leader":true}')) });
  const tooBig = await call('POST', '/fleet-post', { token: 'scoped-a', body: JSON.stringify({ a: 'x'.repeat(2000) }) });
  assert.equal(tooBig.status, 413);
  assert.equal(tooBig.json.error.code, 'VIGIA_ERR_BODY_TOO_LARGE');
  assert.deepEqual(seen, [], 'nothing was forwarded');
  assert.deepEqual((await call('POST', '/fleet-post', { token: 'scoped-a', body: '{"a":1}' })).json, { leader: true });
  assert.deepEqual(seen, ['/fleet-post']);
});

test('gzip bodies are inflated within bounds: size and ratio are cut off while inflating (413), bad gzip is 400, other encodings 415', async () => {
  const { call } = await start();
  const doc = JSON.stringify({ a: 'x'.repeat(1000) });
  assert.deepEqual((await call('POST', '/body', { token: 'a', body: gzipSync(doc), encoding: 'gzip' })).json, { body: JSON.parse(doc) });
  const big = gzipSync(JSON.stringify({ a: 'x'.repeat(300 * 1024) }));
  const tooBig = await call('POST', '/body', { token: 'a', body: big, encoding: 'gzip' });
  assert.equal(tooBig.status, 413);
  assert.match(tooBig.json.error.message, /more than 262144 bytes once inflated/);
  assert.equal(tooBig.headers.get('connection'), 'close');
  const ratio = await call('POST', '/body?ratio=20', { token: 'a', body: gzipSync(JSON.stringify({ a: 'x'.repeat(100 * 1024) })), encoding: 'gzip' });
  assert.equal(ratio.status, 413);
  assert.match(ratio.json.error.message, /inflates more than 20 times/);
  assert.equal((await call('POST', '/body?ratio=20', { token: 'a', body: gzipSync(doc), encoding: 'gzip' })).status, 200, 'under the ratio floor, any ratio');
  assert.equal((await call('POST', '/body', { token: 'a', body: Buffer.from('not gzip'), encoding: 'gzip' })).status, 400);
  assert.equal((await call('POST', '/body', { token: 'a', body: gzipSync(doc), encoding: 'deflate' })).status, 415);
  assert.equal((await call('POST', '/body?inflate=no', { token: 'a', body: gzipSync(doc), encoding: 'gzip' })).status, 400, 'a route that does not inflate reads the bytes as they are');
});

test('Expect: 100-continue is answered only once the request passed authentication, route and scope', async () => {
  const { port } = await start();
  const talk = (path: string, token: string | null) =>
    new Promise<string>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      let got = '';
      sock.on('data', (d) => {
        got += d.toString();
        if (/\r\n\r\n/.test(got)) sock.destroy();
      });
      sock.on('close', () => resolve(got));
      sock.write(`POST ${path} HTTP/1.1\r\nHost: x\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}Content-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`);
    });
  assert.match(await talk('/body', null), /^HTTP\/1\.1 401/);
  assert.match(await talk('/nowhere', 'a'), /^HTTP\/1\.1 404/);
  assert.match(await talk('/body', 'a'), /^HTTP\/1\.1 100 Continue/);
});


test('onRefusedChange gets every refused state-changing request that reached an authenticator, any path, before the answer; not reads, not refusals made before any authenticator', async () => {
  const refused: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  let gated = true;
  const { call } = await start({
    onRefusedChange: async (r) => {
      refused.push(`${r.principal?.name ?? '-'} ${r.method} ${r.path} ${r.route} ${r.status} ${r.code}`);
      if (gated) await gate;
    },
  });
  // The first refusal's answer waits for its audit.
  let answered = false;
  const first = call('POST', '/body?x=secret', { token: 'ops', body: '{' }).then((r) => ((answered = true), r));
  while (refused.length === 0) await new Promise((r) => setImmediate(r));
  assert.equal(answered, false, 'not answered before the audit finished');
  gated = false;
  release();
  assert.equal((await first).status, 400);
  await call('POST', '/nope/', { token: 'ops', body: '{}' });
  await call('DELETE', '/read', { token: 'ops' });
  await call('POST', '/fleet-post', { token: 'ops', body: '{}' });
  await call('POST', '/body', { token: '', body: '{}' });
  await call('POST', '/pub/x', { body: '{}' });
  // Not handed: reads, and refusals before any authenticator ran (a match-first 404, /healthz).
  await call('GET', '/nope', { token: 'ops' });
  await call('POST', '/pub/nope', { body: '{}' });
  await call('POST', '/healthz', { body: '{}' });
  assert.deepEqual(refused, [
    'ops POST /body /body 400 VIGIA_ERR_BAD_REQUEST',
    'ops POST /nope/ unmatched 404 VIGIA_ERR_NOT_FOUND',
    'ops DELETE /read unmatched 405 VIGIA_ERR_METHOD_NOT_ALLOWED',
    'ops POST /fleet-post /fleet-post 403 VIGIA_ERR_FORBIDDEN',
    '- POST /body unmatched 401 VIGIA_ERR_UNAUTHORIZED',
    '- POST /pub/x /pub/x 401 VIGIA_ERR_UNAUTHORIZED',
  ]);
});

test('log lines name the path of a request, never its query: a token put in the URL does not reach the log', async () => {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  const { call } = await start({
    log,
    mounts: [
      {
        name: 'operator', owns: () => true, authenticate: auth, credential: 'operator',
        routes: [
          { method: 'GET', name: '/read', path: /^\/read$/, scope: 'read', handler: async () => ({}) },
          { method: 'GET', name: '/boom', path: /^\/boom$/, handler: async () => { throw new Error('boom'); } },
        ],
      },
    ],
  });
  assert.equal((await call('GET', '/read?token=SECRET-1')).status, 401, 'no credential: warn line');
  assert.equal((await call('GET', '/read?access_token=SECRET-2', { token: 'unscoped' })).status, 403, 'lacks scope: warn line');
  assert.equal((await call('GET', '/boom?token=SECRET-3', { token: 'unscoped' })).status, 500, 'handler failure: error line');
  const text = lines.join('');
  assert.equal(lines.length, 3, text);
  assert.doesNotMatch(text, /SECRET/);
  assert.match(text, /"path":"\/read"/);
  assert.match(text, /"path":"\/boom"/);
});
