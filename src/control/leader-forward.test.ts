import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createLeaderForwarder, parseInternalAddress, type LeaderForwarderOptions } from './leader-forward.js';

/** A real "leader" and a real "follower" on loopback: the network is the point here. */
async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function withPair(
  leader: ((req: IncomingMessage, res: ServerResponse) => void) | undefined,
  options: Partial<LeaderForwarderOptions>,
  fn: (followerUrl: string) => Promise<void>,
  client?: string,
): Promise<void> {
  const up = leader ? await listen(leader) : undefined;
  const fwd = createLeaderForwarder({ leaderAddress: () => up?.url, timeoutMs: 5000, maxWaitSeconds: 30, ...options });
  const follower = await listen((req, res) => {
    res.setHeader('cache-control', 'no-store');
    void fwd.forward(req, res, client);
  });
  try {
    await fn(follower.url);
  } finally {
    fwd.close();
    follower.server.closeAllConnections();
    up?.server.closeAllConnections();
    await new Promise((r) => follower.server.close(r));
    if (up) await new Promise((r) => up.server.close(r));
  }
}

test('streams method, path, headers and body to the leader and its answer back', async () => {
  let seen: { method?: string; url?: string; headers?: IncomingMessage['headers']; body?: string } = {};
  await withPair(
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() };
        res.writeHead(201, { 'content-type': 'application/json', etag: '"r7"', 'x-leader': 'yes' });
        res.end('{"started":true}');
      });
    },
    {},
    async (url) => {
      const r = await fetch(`${url}/v1/runs?x=1`, { method: 'POST', headers: { authorization: 'Bearer tok', 'content-type': 'application/json', 'x-forwarded-for': '10.0.0.9' }, body: '{"action":"noop"}' });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('etag'), '"r7"');
      assert.equal(r.headers.get('x-leader'), 'yes');
      assert.equal(await r.text(), '{"started":true}');
    },
  );
  assert.equal(seen.method, 'POST');
  assert.equal(seen.url, '/v1/runs?x=1');
  assert.equal(seen.body, '{"action":"noop"}');
  assert.equal(seen.headers?.authorization, 'Bearer tok');
  assert.equal(seen.headers?.['content-type'], 'application/json');
  // Only the client the follower resolved (here its peer): what the client wrote is dropped.
  assert.equal(seen.headers?.['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen.headers?.['x-forwarded-proto'], 'http');
});

test('the client the follower resolved (e.g. behind a trusted proxy) is the X-Forwarded-For the leader gets', async () => {
  let xff: string | string[] | undefined;
  await withPair(
    (req, res) => {
      xff = req.headers['x-forwarded-for'];
      res.end('{}');
    },
    {},
    async (url) => void (await (await fetch(`${url}/v1/runs`, { headers: { 'x-forwarded-for': '6.6.6.6' } })).text()),
    '198.51.100.7',
  );
  assert.equal(xff, '198.51.100.7');
});

test('no leader known: 503 CONTROL_ERR_NO_LEADER with Retry-After', async () => {
  await withPair(undefined, {}, async (url) => {
    const r = await fetch(`${url}/v1/agent/poll?wait=0`);
    assert.equal(r.status, 503);
    assert.ok(Number(r.headers.get('retry-after')) > 0);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'CONTROL_ERR_NO_LEADER');
  });
});

test('a leader that is gone (connection refused) or silent past the bound: 503 CONTROL_ERR_NO_LEADER', async () => {
  const gone = await listen(() => undefined);
  const goneUrl = gone.url;
  await new Promise((r) => gone.server.close(r));
  await withPair(undefined, { leaderAddress: () => goneUrl }, async (url) => {
    const r = await fetch(`${url}/v1/rollouts/current`);
    assert.equal(r.status, 503);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'CONTROL_ERR_NO_LEADER');
  });
  // Never answers: the bound (no wait= asked) cuts it.
  await withPair(() => undefined, { timeoutMs: 200 }, async (url) => {
    const r = await fetch(`${url}/v1/rollouts/current`);
    assert.equal(r.status, 503);
    const body = (await r.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'CONTROL_ERR_NO_LEADER');
    assert.match(body.error.message, /did not answer/);
  });
});

test('a long poll may take its wait= on top of the bound', async () => {
  await withPair(
    (_req, res) => {
      setTimeout(() => {
        res.writeHead(304);
        res.end();
      }, 600);
    },
    { timeoutMs: 100 },
    async (url) => {
      const r = await fetch(`${url}/v1/agent/poll?release=0&sha256=&wait=5`);
      assert.equal(r.status, 304);
    },
  );
});

test('only loopback or unix-socket internal addresses are used', () => {
  assert.deepEqual(parseInternalAddress('http://127.0.0.1:4000'), { host: '127.0.0.1', port: 4000 });
  assert.deepEqual(parseInternalAddress('http://[::1]:4000'), { host: '::1', port: 4000 });
  assert.deepEqual(parseInternalAddress('unix:/run/vigia/leader.sock'), { socketPath: '/run/vigia/leader.sock' });
  for (const bad of ['http://10.0.0.1:4000', 'https://127.0.0.1:4000', 'http://127.0.0.1', 'unix:relative.sock', 'nonsense']) {
    assert.equal(parseInternalAddress(bad), undefined, bad);
  }
});

test('an address that is not internal is refused, not used', async () => {
  await withPair(undefined, { leaderAddress: () => 'http://192.0.2.1:80' }, async (url) => {
    const r = await fetch(`${url}/v1/audit`);
    assert.equal(r.status, 503);
  });
});

test('a failed forward is logged with the path only: a token in the query does not reach the log', async () => {
  const gone = await listen(() => undefined);
  const goneUrl = gone.url;
  await new Promise((r) => gone.server.close(r));
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  await withPair(undefined, { leaderAddress: () => goneUrl, log }, async (url) => {
    assert.equal((await fetch(`${url}/v1/rollouts/current?token=SECRET`)).status, 503);
  });
  assert.equal(lines.length, 1, lines.join(''));
  assert.doesNotMatch(lines.join(''), /SECRET/);
  assert.match(lines[0]!, /"path":"\/v1\/rollouts\/current"/);
});
