import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { bearerAuthenticator, hashToken, parseTokenFile, type Authenticator } from '../core/auth.js';
import { VigiaError } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { createRegistry } from '../core/metrics.js';
import { createTurnoMetrics } from './metrics.js';
import { createTurnoServer, type TurnoServer } from './server.js';
import { MAX_TURNO, type TurnoStore } from './store.js';
import { MemoryStore } from './stores/memory-store.js';

interface Running extends TurnoServer {
  readonly port: number;
  close(): Promise<void>;
}

async function start(store: TurnoStore, authenticate?: Authenticator): Promise<Running> {
  const registry = createRegistry();
  const t = createTurnoServer({ store, registry, metrics: createTurnoMetrics(registry), log: silentLogger(), authenticate });
  await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', resolve));
  const port = (t.server.address() as AddressInfo).port;
  return {
    ...t,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        t.server.closeAllConnections();
        if (!t.server.listening) return resolve();
        t.server.close(() => resolve());
      }),
  };
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request on its own connection (no keep-alive agent left holding sockets). */
function request(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Send raw bytes (then half-close, unless told not to), read until the server closes, return the raw answer text. */
function raw(port: number, bytes: string | Buffer, halfClose = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = connect(port, '127.0.0.1', () => (halfClose ? sock.end(bytes) : sock.write(bytes)));
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

/** Parse one HTTP/1.1 answer with a content-length. */
function parseRaw(text: string): Answer {
  const end = text.indexOf('\r\n\r\n');
  assert.ok(end > 0, `no complete answer in ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: IncomingHttpHeaders = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const len = Number(headers['content-length']);
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4, end + 4 + len) };
}

function errorCode(a: Answer): string {
  const parsed = JSON.parse(a.body) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof parsed.error?.message, 'string', a.body);
  return String(parsed.error?.code);
}

/** A store whose every method fails the way `fail` says. */
function failingStore(fail: () => Error): TurnoStore & { calls: number } {
  return {
    kind: 'failing',
    description: 'failing',
    calls: 0,
    next(): Promise<number> {
      this.calls++;
      return Promise.reject(fail());
    },
    current: () => Promise.reject(fail()),
    advance: () => Promise.reject(fail()),
    ping: () => Promise.reject(fail()),
    close: () => Promise.resolve(),
  };
}

test('first call returns 1, then 2, as exact JSON', async () => {
  const s = await start(new MemoryStore());
  try {
    const a = await request(s.port, 'GET', '/turno/q');
    assert.equal(a.status, 200);
    assert.equal(a.body, '{"id":"q","turno":1}');
    assert.match(a.headers['content-type'] ?? '', /^application\/json/);
    const b = await request(s.port, 'GET', '/turno/q?ignored=1');
    assert.equal(b.body, '{"id":"q","turno":2}');
  } finally {
    await s.close();
  }
});

test('ids count independently', async () => {
  const store = new MemoryStore();
  const s = await start(store);
  try {
    for (let i = 1; i <= 3; i++) assert.equal((await request(s.port, 'GET', '/turno/a')).body, `{"id":"a","turno":${i}}`);
    assert.equal((await request(s.port, 'GET', '/turno/b')).body, '{"id":"b","turno":1}');
    assert.equal((await request(s.port, 'GET', '/turno/A')).body, '{"id":"A","turno":1}');
    assert.equal((await request(s.port, 'GET', '/turno/a')).body, '{"id":"a","turno":4}');
    assert.equal(await store.current('b'), 1);
  } finally {
    await s.close();
  }
});

test('invalid ids answer 400 TURNO_ERR_INVALID_ID and count nothing', async () => {
  const store = new MemoryStore();
  const next = store.next.bind(store);
  let calls = 0;
  store.next = (id) => {
    calls++;
    return next(id);
  };
  const s = await start(store);
  try {
    const paths = ['/turno/', '/turno/' + 'x'.repeat(129), '/turno/a%2Fb', '/turno/%2F', '/turno/..', '/turno/.', '/turno/%C3%B1', '/turno/%00', '/turno/a/b', '/turno/../../etc/passwd'];
    for (const path of paths) {
      const a = await request(s.port, 'GET', path);
      assert.equal(a.status, 400, path);
      assert.match(a.headers['content-type'] ?? '', /^application\/json/, path);
      assert.equal(errorCode(a), 'TURNO_ERR_INVALID_ID', path);
    }
    // Raw bytes node's client refuses to send: unicode (UTF-8) and a NUL in the target.
    for (const target of [Buffer.from('/turno/ñ', 'utf8'), Buffer.from('/turno/\u00e9', 'latin1')]) {
      const text = await raw(s.port, Buffer.concat([Buffer.from('GET '), target, Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]));
      const a = parseRaw(text);
      assert.equal(a.status, 400, text);
    }
    const nul = parseRaw(await raw(s.port, 'GET /turno/a\u0000b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    assert.equal(nul.status, 400);
    assert.equal(calls, 0);
    // 128 characters is still fine.
    assert.equal((await request(s.port, 'GET', '/turno/' + 'x'.repeat(128))).status, 200);
    assert.equal(calls, 1);
  } finally {
    await s.close();
  }
});

test('unknown paths answer 404 with a JSON body', async () => {
  const s = await start(new MemoryStore());
  try {
    for (const path of ['/', '/turno', '/turnox/a', '/metrics/x', '/healthz/', '/TURNO/a']) {
      const a = await request(s.port, 'GET', path);
      assert.equal(a.status, 404, path);
      assert.match(a.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(errorCode(a), 'VIGIA_ERR_NOT_FOUND', path);
    }
  } finally {
    await s.close();
  }
});

test('POST, PUT, DELETE and HEAD on /turno/x answer 405 with Allow: GET and count nothing', async () => {
  const store = new MemoryStore();
  const s = await start(store);
  try {
    for (const method of ['POST', 'PUT', 'DELETE', 'HEAD', 'PATCH']) {
      const a = await request(s.port, method, '/turno/x');
      assert.equal(a.status, 405, method);
      assert.equal(a.headers.allow, 'GET', method);
      if (method !== 'HEAD') assert.equal(errorCode(a), 'VIGIA_ERR_METHOD_NOT_ALLOWED');
    }
    assert.equal(await store.current('x'), 0);
    assert.equal((await request(s.port, 'GET', '/turno/x')).body, '{"id":"x","turno":1}');
  } finally {
    await s.close();
  }
});

test('an unavailable store answers 503 with Retry-After', async () => {
  const store = failingStore(() => new VigiaError('TURNO_ERR_STORE_UNAVAILABLE', 'redis down'));
  const s = await start(store);
  try {
    const a = await request(s.port, 'GET', '/turno/q');
    assert.equal(a.status, 503);
    assert.equal(a.headers['retry-after'], '1');
    assert.equal(errorCode(a), 'TURNO_ERR_STORE_UNAVAILABLE');
    assert.equal(store.calls, 1);
  } finally {
    await s.close();
  }
});

test('a counter at MAX_SAFE_INTEGER answers 409 and never goes past it', async () => {
  const store = new MemoryStore();
  await store.advance('edge', Number.MAX_SAFE_INTEGER - 1);
  await store.advance('full', Number.MAX_SAFE_INTEGER);
  const s = await start(store);
  try {
    const last = await request(s.port, 'GET', '/turno/edge');
    assert.equal(last.status, 200);
    assert.equal(last.body, `{"id":"edge","turno":${Number.MAX_SAFE_INTEGER}}`);
    for (const id of ['edge', 'full', 'full']) {
      const a = await request(s.port, 'GET', `/turno/${id}`);
      assert.equal(a.status, 409, id);
      assert.equal(errorCode(a), 'TURNO_ERR_COUNTER_EXHAUSTED');
    }
    assert.equal(await store.current('edge'), MAX_TURNO);
    assert.equal(await store.current('full'), MAX_TURNO);
  } finally {
    await s.close();
  }
});

test('an unknown store error answers a plain 500 that reveals nothing', async () => {
  const secret = 'password=hunter2 in /etc/vigia/redis.conf';
  const s = await start(failingStore(() => new Error(secret)));
  try {
    const a = await request(s.port, 'GET', '/turno/q');
    assert.equal(a.status, 500);
    assert.equal(a.body, '{"error":{"code":"VIGIA_ERR_INTERNAL","message":"internal error"}}');
    assert.doesNotMatch(a.body, /hunter2|\/etc|redis\.conf|\bat\s|\.ts|\.js|node:/);
    assert.equal(a.headers['retry-after'], undefined);
  } finally {
    await s.close();
  }
});

test('/healthz answers 200; /readyz 200, and 503 when ping fails or hangs', async () => {
  const ok = await start(new MemoryStore());
  try {
    const h = await request(ok.port, 'GET', '/healthz');
    assert.equal(h.status, 200);
    assert.deepEqual(JSON.parse(h.body), { status: 'ok' });
    const r = await request(ok.port, 'GET', '/readyz');
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { status: string }).status, 'ready');
  } finally {
    await ok.close();
  }
  const down = await start(failingStore(() => new Error('ECONNREFUSED 10.0.0.1:6379')));
  try {
    assert.equal((await request(down.port, 'GET', '/healthz')).status, 200);
    const r = await request(down.port, 'GET', '/readyz');
    assert.equal(r.status, 503);
    assert.equal(errorCode(r), 'TURNO_ERR_STORE_UNAVAILABLE');
    assert.equal(r.headers['retry-after'], '1');
    assert.doesNotMatch(r.body, /ECONNREFUSED|10\.0\.0\.1/);
  } finally {
    await down.close();
  }
  const hanging = new MemoryStore();
  hanging.ping = () => new Promise<void>(() => {});
  const hung = await start(hanging);
  try {
    const r = await request(hung.port, 'GET', '/readyz');
    assert.equal(r.status, 503);
    assert.equal(errorCode(r), 'TURNO_ERR_STORE_UNAVAILABLE');
  } finally {
    await hung.close();
  }
});

test('/metrics exposes turno and process metrics', async () => {
  const s = await start(new MemoryStore());
  try {
    await request(s.port, 'GET', '/turno/m');
    await request(s.port, 'GET', '/turno/..');
    const a = await request(s.port, 'GET', '/metrics');
    assert.equal(a.status, 200);
    assert.match(a.headers['content-type'] ?? '', /^text\/plain/);
    for (const name of ['vigia_turno_requests_total', 'vigia_turno_request_duration_seconds_bucket', 'nodejs_eventloop_lag_seconds', 'process_cpu_seconds_total', 'process_resident_memory_bytes']) {
      assert.match(a.body, new RegExp(`^${name}`, 'm'), name);
    }
    assert.match(a.body, /^vigia_turno_requests_total\{route="turno",code="200"\} 1$/m);
    assert.match(a.body, /^vigia_turno_requests_total\{route="turno",code="400"\} 1$/m);
    assert.match(a.body, /^vigia_turno_numbers_issued_total\{store="memory"\} 1$/m);
  } finally {
    await s.close();
  }
});

test('with a token file, /turno and /metrics need the bearer token; /healthz and /readyz do not', async () => {
  const tok = 'test-token-0123456789';
  const store = new MemoryStore();
  const s = await start(store, bearerAuthenticator(parseTokenFile(hashToken(tok))));
  try {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: tok }, { authorization: `Basic ${tok}` }] as Record<string, string>[]) {
      for (const path of ['/turno/x', '/metrics']) {
        const a = await request(s.port, 'GET', path, headers);
        assert.equal(a.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.match(a.headers['www-authenticate'] ?? '', /^Bearer/);
        assert.equal(errorCode(a), 'VIGIA_ERR_UNAUTHORIZED');
      }
    }
    // Unauthenticated requests never reach the store, whatever the method or id.
    assert.equal((await request(s.port, 'POST', '/turno/x')).status, 401);
    assert.equal(await store.current('x'), 0);
    const auth = { authorization: `Bearer ${tok}` };
    assert.equal((await request(s.port, 'GET', '/turno/x', auth)).body, '{"id":"x","turno":1}');
    assert.equal((await request(s.port, 'GET', '/metrics', auth)).status, 200);
    assert.equal((await request(s.port, 'GET', '/healthz')).status, 200);
    assert.equal((await request(s.port, 'GET', '/readyz')).status, 200);
  } finally {
    await s.close();
  }
});

test('drain(): in-flight requests complete, idle keep-alive sockets close, the server stops', async () => {
  const store = new MemoryStore();
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered: () => void = () => {};
  const inStore = new Promise<void>((resolve) => (entered = resolve));
  const next = store.next.bind(store);
  store.next = async (id) => {
    entered();
    await gate;
    return next(id);
  };
  const s = await start(store);
  try {
    // An idle keep-alive connection: one answered request, socket left open.
    const idle = connect(s.port, '127.0.0.1');
    const idleClosed = new Promise<string>((resolve) => {
      let text = '';
      idle.on('data', (c: Buffer) => (text += c.toString('latin1')));
      idle.on('close', () => resolve(text));
    });
    idle.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    // The in-flight request, blocked inside the store.
    const inflight = request(s.port, 'GET', '/turno/d', { connection: 'keep-alive' });
    await inStore;

    let drained = false;
    const draining = s.drain().then(() => (drained = true));
    const idleText = await idleClosed;
    assert.equal(parseRaw(idleText).status, 200);
    await assert.rejects(request(s.port, 'GET', '/healthz'), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(drained, false, 'drain must wait for the in-flight request');

    release();
    const a = await inflight;
    assert.equal(a.status, 200);
    assert.equal(a.body, '{"id":"d","turno":1}');
    assert.equal(a.headers.connection, 'close');
    await draining;
    assert.equal(s.server.listening, false);
  } finally {
    release();
    await s.close();
  }
});

test('a client that half-closes after sending still gets answers from a slow store', async () => {
  const store = new MemoryStore();
  const next = store.next.bind(store);
  store.next = async (id) => {
    await new Promise((r) => setTimeout(r, 30));
    return next(id);
  };
  const s = await start(store);
  try {
    // Like `printf 'GET ...' | nc -N`: the request, then FIN, while the store is still working.
    const text = await raw(s.port, 'GET /turno/h HTTP/1.1\r\nHost: x\r\n\r\nGET /turno/h HTTP/1.1\r\nHost: x\r\n\r\n').catch((e: unknown) => String(e));
    assert.match(text, /^HTTP\/1\.1 200 [^]*\{"id":"h","turno":1\}HTTP\/1\.1 200 [^]*\{"id":"h","turno":2\}$/);
  } finally {
    await s.close();
  }
});

test('bad bytes after pipelined requests: earlier answers first, then the 400 (or a close)', async () => {
  const store = new MemoryStore();
  const next = store.next.bind(store);
  store.next = async (id) => {
    await new Promise((r) => setTimeout(r, 20));
    return next(id);
  };
  const s = await start(store);
  const pipelined = 'GET /turno/g HTTP/1.1\r\nHost: x\r\n\r\nGET /turno/g HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n';
  const statuses = (text: string): number[] => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  try {
    const open = await raw(s.port, pipelined, false);
    assert.deepEqual(statuses(open), [200, 200, 400]);
    assert.match(open, /"turno":1\}[^]*"turno":2\}[^]*VIGIA_ERR_BAD_REQUEST/);
    // The client already half-closed: node closes after the last answer, so no room for the 400.
    const halfClosed = await raw(s.port, pipelined);
    assert.deepEqual(statuses(halfClosed), [200, 200]);
    assert.match(halfClosed, /"turno":3\}[^]*"turno":4\}$/);
    assert.equal(await store.current('g'), 4);
  } finally {
    await s.close();
  }
});
