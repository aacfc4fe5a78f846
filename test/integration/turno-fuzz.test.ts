/**
 * Fuzzes the turno server's request line, path and headers over raw TCP and node's HTTP client.
 * Every test checks the same invariants at the end: the server still answers /healthz, no answer is
 * a 5xx, every answer is well-formed HTTP/1.1 with a JSON body, and the store was incremented exactly
 * once per 200 answer seen (per id, with the values 1..n): a rejected request never consumes a number.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { silentLogger } from '../../src/core/log.js';
import { createRegistry } from '../../src/core/metrics.js';
import { createTurnoMetrics } from '../../src/turno/metrics.js';
import { createTurnoServer } from '../../src/turno/server.js';
import type { TurnoStore } from '../../src/turno/store.js';
import { MemoryStore } from '../../src/turno/stores/memory-store.js';
import { mulberry32 } from '../../src/core/random.js';

const HEADERS_TIMEOUT_MS = 300;

/** A MemoryStore that counts next() calls per id. */
class SpyStore extends MemoryStore implements TurnoStore {
  readonly calls = new Map<string, number>();
  override next(id: string): Promise<number> {
    this.calls.set(id, (this.calls.get(id) ?? 0) + 1);
    return super.next(id);
  }
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

interface RawResult {
  readonly answers: Answer[];
  /** True when the server closed the connection (false: we gave up waiting). */
  readonly closedByServer: boolean;
  readonly ms: number;
}

/** Parse a stream of HTTP/1.1 answers (each with content-length); throws on anything malformed. */
function parseAnswers(text: string): Answer[] {
  const out: Answer[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`truncated answer: ${JSON.stringify(rest.slice(0, 200))}`);
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
    if (!m) throw new Error(`bad status line: ${JSON.stringify(statusLine.slice(0, 200))}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    // node's own 400 for a missing Host header is an empty chunked body.
    if (headers['transfer-encoding'] === 'chunked' && rest.startsWith('0\r\n\r\n', end + 4)) {
      out.push({ status: Number(m[1]), headers, body: '' });
      rest = rest.slice(end + 4 + 5);
      continue;
    }
    const len = Number(headers['content-length']);
    if (!Number.isInteger(len)) throw new Error(`no content-length in ${JSON.stringify(statusLine)}`);
    out.push({ status: Number(m[1]), headers, body: rest.slice(end + 4, end + 4 + len) });
    rest = rest.slice(end + 4 + len);
  }
  return out;
}

/** The running server plus tallies of everything answered, for the shared invariants. */
interface Harness {
  readonly port: number;
  readonly store: SpyStore;
  /** Send `chunks` (one write each, `gapMs` apart), half-close unless `keepOpen`, read until the server closes. */
  raw(chunks: string | Buffer | readonly (string | Buffer)[], opts?: { gapMs?: number; keepOpen?: boolean; deadlineMs?: number }): Promise<RawResult>;
  /** One request through node's HTTP client on its own connection. */
  http(method: string, path: string, headers?: Record<string, string>): Promise<Answer>;
}

async function withServer(fn: (h: Harness) => Promise<void>): Promise<void> {
  const store = new SpyStore();
  const registry = createRegistry();
  const { server } = createTurnoServer({
    store,
    registry,
    metrics: createTurnoMetrics(registry),
    log: silentLogger(),
    limits: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: 2_000 },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const answers: Answer[] = [];
  const problems: string[] = [];

  const record = (a: Answer, what: string): void => {
    answers.push(a);
    if (a.status >= 500) problems.push(`${what}: ${a.status} ${a.body}`);
    if (a.body === '' && Number(a.headers['content-length']) > 0) {
      // an answer to HEAD: headers only
    } else if ((a.headers['content-type'] ?? '').startsWith('application/json')) {
      try {
        JSON.parse(a.body);
      } catch {
        problems.push(`${what}: body is not JSON: ${a.body.slice(0, 100)}`);
      }
    } else if (a.status !== 200 && !(a.status === 400 && a.body === '' && a.headers['transfer-encoding'] === 'chunked')) {
      // Errors are JSON; the one exception is node's own empty 400 for an HTTP/1.1 request without Host.
      problems.push(`${what}: ${a.status} answer without a JSON body`);
    }
  };

  const h: Harness = {
    port,
    store,
    raw(chunks, opts = {}) {
      const list = typeof chunks === 'string' || Buffer.isBuffer(chunks) ? [chunks] : chunks;
      const what = `raw ${JSON.stringify(Buffer.concat(list.map((c) => Buffer.from(c as string | Buffer))).toString('latin1').slice(0, 120))}`;
      const t0 = performance.now();
      return new Promise<RawResult>((resolve) => {
        const got: Buffer[] = [];
        let closedByServer = false;
        const sock = connect(port, '127.0.0.1');
        const deadline = setTimeout(() => sock.destroy(), opts.deadlineMs ?? 10_000);
        const writeAll = async (): Promise<void> => {
          for (const [i, c] of list.entries()) {
            if (sock.destroyed || !sock.writable) return;
            sock.write(c);
            if (opts.gapMs && i < list.length - 1) await new Promise((r) => setTimeout(r, opts.gapMs));
          }
          if (!opts.keepOpen && !sock.destroyed) sock.end();
        };
        sock.on('connect', () => void writeAll());
        sock.on('data', (c: Buffer) => got.push(c));
        sock.on('end', () => (closedByServer = true));
        sock.on('error', () => {}); // EPIPE/ECONNRESET after the server answered and closed: the answer is what counts
        sock.on('close', () => {
          clearTimeout(deadline);
          let parsed: Answer[] = [];
          try {
            parsed = parseAnswers(Buffer.concat(got).toString('latin1'));
          } catch (err) {
            problems.push(`${what}: ${(err as Error).message}`);
          }
          for (const a of parsed) record(a, what);
          resolve({ answers: parsed, closedByServer, ms: performance.now() - t0 });
        });
      });
    },
    http(method, path, headers = {}) {
      return new Promise<Answer>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const hdrs: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) hdrs[k] = String(v);
            const a = { status: res.statusCode ?? 0, headers: hdrs, body: Buffer.concat(chunks).toString('utf8') };
            record(a, `http ${method} ${path.slice(0, 80)}`);
            resolve(a);
          });
        });
        req.on('error', reject);
        req.end();
      });
    },
  };

  try {
    await fn(h);
    // Invariants shared by every test.
    const health = await h.http('GET', '/healthz');
    assert.equal(health.status, 200, 'server must still answer /healthz');
    assert.deepEqual(problems, []);
    const seen = new Map<string, number[]>();
    for (const a of answers) {
      if (a.status !== 200) continue;
      const m = /^\{"id":"([^"]*)","turno":(\d+)\}$/.exec(a.body);
      if (!m) continue;
      const list = seen.get(m[1]!) ?? [];
      list.push(Number(m[2]));
      seen.set(m[1]!, list);
    }
    assert.deepEqual([...store.calls.keys()].sort(), [...seen.keys()].sort(), 'ids incremented vs ids answered 200');
    for (const [id, values] of seen) {
      assert.equal(store.calls.get(id), values.length, `next() calls for ${id} vs 200 answers`);
      assert.deepEqual([...values].sort((a, b) => a - b), values.map((_, i) => i + 1), `values for ${id}`);
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const req = (target: string, extra = ''): string => `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

test('hostile paths are rejected with 4xx and count nothing', async () => {
  await withServer(async (h) => {
    const viaHttp = [
      '/turno/' + 'a'.repeat(129),
      '/turno/' + 'a'.repeat(4_000),
      '/turno/%2F',
      '/turno/a%2Fb',
      '/turno/..',
      '/turno/.',
      '/turno/../../etc/passwd',
      '/turno/..%2F..%2Fetc%2Fpasswd',
      '/turno/%00',
      '/turno/a%0Ab',
      '/turno/%C3%B1',
      '/turno/a b'.replace(' ', '%20'),
      '/turno//a',
      '/turno/a/',
      '/turno/a;b',
      '/turno/a#b',
      '//turno/a',
      '/./turno/a',
      '/turno/*',
    ];
    for (const path of viaHttp) {
      const a = await h.http('GET', path);
      assert.ok(a.status >= 400 && a.status < 500, `${path}: ${a.status}`);
    }
    for (const path of ['/turno/' + 'a'.repeat(10_000), '/turno/' + 'a'.repeat(100_000), '/' + 'b'.repeat(50_000)]) {
      const a = await h.http('GET', path);
      assert.equal(a.status, 431, `${path.length}-byte path`);
    }
    // Bytes node's HTTP client refuses to send: unicode, NUL, control bytes, DEL, spaces.
    const rawTargets = [
      Buffer.from('/turno/ñ', 'utf8'),
      Buffer.from('/turno/日本', 'utf8'),
      Buffer.from('/turno/\u00ff', 'latin1'),
      Buffer.from('/turno/a\u0000b', 'latin1'),
      Buffer.from('/turno/\u0000', 'latin1'),
      Buffer.from('/turno/a\u0001', 'latin1'),
      Buffer.from('/turno/a\u001b[31m', 'latin1'),
      Buffer.from('/turno/a\u007f', 'latin1'),
      Buffer.from('/turno/a\tb', 'latin1'),
      Buffer.from('/turno/a\rb', 'latin1'),
      Buffer.from('/turno/a b', 'latin1'),
      Buffer.from('http://evil/turno/a', 'latin1'),
      Buffer.from('*', 'latin1'),
    ];
    for (const target of rawTargets) {
      const r = await h.raw(Buffer.concat([Buffer.from('GET '), target, Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]));
      assert.equal(r.answers.length, 1, JSON.stringify(target.toString('latin1')));
      assert.ok(r.answers[0]!.status >= 400 && r.answers[0]!.status < 500, `${JSON.stringify(target.toString('latin1'))}: ${r.answers[0]!.status}`);
    }
    assert.equal(h.store.calls.size, 0);
  });
});

test('invalid HTTP gets a 4xx or a closed socket, never a number', async () => {
  await withServer(async (h) => {
    const cases: (string | Buffer)[] = [
      'garbage\r\n\r\n',
      Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00]), // a TLS ClientHello start
      'GET /turno/a\r\n\r\n', // no version
      'GET /turno/a HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /turno/a HTTP/1.1 extra\r\nHost: x\r\n\r\n',
      'GET  /turno/a HTTP/1.1\r\nHost: x\r\n\r\n',
      '/turno/a HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET\r\n\r\n',
      '\r\n\r\n\r\n',
      'GET /turno/a HTTP/1.1\r\nHost x\r\n\r\n', // header without colon
      'GET /turno/a HTTP/1.1\r\nHo st: x\r\n\r\n',
      'GET /turno/a HTTP/1.1\r\nHost: x\u0000y\r\n\r\n',
      'GET /turno/a HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'GET /turno/a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'GET /turno/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
      'GET /turno/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'GET /turno/a HTTP/1.1\r\n Host: x\r\n\r\n', // obsolete line folding at the start
      'GET /turno/a HTTP/1.1\r\nHost: x', // truncated, then EOF
      'GET /turno/a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', // body cut short, then EOF
      'G',
    ];
    for (const c of cases) {
      const r = await h.raw(c);
      assert.ok(r.closedByServer, JSON.stringify(c.toString()));
      for (const a of r.answers) assert.ok(a.status === 200 || (a.status >= 400 && a.status < 500), `${JSON.stringify(c.toString())}: ${a.status}`);
    }
    // LF-only line endings: whether node accepts them or not, the answer and the count must agree.
    const lf = await h.raw('GET /turno/lf HTTP/1.1\nHost: x\nConnection: close\n\n');
    assert.equal(lf.answers.length, 1);
    assert.ok([200, 400].includes(lf.answers[0]!.status), String(lf.answers[0]!.status));
  });
});

test('huge and many headers: over 8 KB answers 431, under it is served', async () => {
  await withServer(async (h) => {
    assert.equal((await h.http('GET', '/turno/hdr', { 'x-big': 'v'.repeat(9_000) })).status, 431);
    assert.equal((await h.http('GET', '/turno/hdr', { 'x-big': 'v'.repeat(100_000) })).status, 431);
    const r = await h.raw(req('/turno/hdr', `X-Big: ${'v'.repeat(64 * 1024)}\r\n`));
    assert.equal(r.answers[0]?.status, 431);
    const many: Record<string, string> = {};
    for (let i = 0; i < 300; i++) many[`x-h${i}`] = 'v';
    assert.equal((await h.http('GET', '/turno/hdr', many)).body, '{"id":"hdr","turno":1}');
    for (let i = 300; i < 1_500; i++) many[`x-h${i}`] = 'v';
    assert.equal((await h.http('GET', '/turno/hdr', many)).status, 431);
    // Thousands of tiny headers, raw (node counts name and value bytes, not the ': ' and CRLF).
    const tiny = Array.from({ length: 3_000 }, (_, i) => `a${i}: v\r\n`).join('');
    assert.equal((await h.raw(req('/turno/hdr', tiny))).answers[0]?.status, 431);
    const fewTiny = Array.from({ length: 1_000 }, (_, i) => `a${i % 10}:\r\n`).join('');
    assert.equal((await h.raw(req('/turno/hdr', fewTiny))).answers[0]?.body, '{"id":"hdr","turno":2}');
    assert.equal(h.store.calls.get('hdr'), 2);
  });
});

test('pipelined requests are all answered in order with consecutive values', async () => {
  await withServer(async (h) => {
    const r = await h.raw(
      req('/turno/p') + req('/turno/..') + req('/turno/p') + req('/nope') + req('/turno/q') + req('/healthz') + req('/turno/p', 'Connection: close\r\n'),
    );
    assert.deepEqual(
      r.answers.map((a) => a.status),
      [200, 400, 200, 404, 200, 200, 200],
    );
    assert.deepEqual(
      r.answers.filter((a) => a.body.startsWith('{"id"')).map((a) => a.body),
      ['{"id":"p","turno":1}', '{"id":"p","turno":2}', '{"id":"q","turno":1}', '{"id":"p","turno":3}'],
    );
    // 50 pipelined in one write.
    const many = await h.raw(Array.from({ length: 50 }, (_, i) => req('/turno/m', i === 49 ? 'Connection: close\r\n' : '')).join(''));
    assert.deepEqual(
      many.answers.map((a) => a.body),
      Array.from({ length: 50 }, (_, i) => `{"id":"m","turno":${i + 1}}`),
    );
    // Valid requests followed by garbage in the same write: the valid ones are answered first,
    // then the error; the client must never read the error as the answer to a counted request.
    const mixed = await h.raw(req('/turno/g') + req('/turno/g') + 'GARBAGE\r\n\r\n' + req('/turno/g'), { keepOpen: true });
    assert.deepEqual(
      mixed.answers.map((a) => a.status),
      [200, 200, 400],
    );
    assert.equal(h.store.calls.get('g'), 2);
    // Same, but the client half-closes after writing: the counted one is answered first, then the
    // 400 (or just a close, when node already ended the socket after the last answer).
    const halfClosed = await h.raw(req('/turno/g') + 'GARBAGE\r\n\r\n');
    assert.equal(halfClosed.answers[0]?.body, '{"id":"g","turno":3}');
    assert.ok(halfClosed.answers.length <= 2 && halfClosed.answers.slice(1).every((a) => a.status === 400));
    // Same, with headers over the limit after a valid request.
    const big = await h.raw(req('/turno/g') + req('/turno/g', `X-Big: ${'v'.repeat(10_000)}\r\n`), { keepOpen: true });
    assert.deepEqual(
      big.answers.map((a) => a.status),
      [200, 431],
    );
  });
});

test('a client sending headers byte by byte blocks nobody and is cut off by headersTimeout', async () => {
  await withServer(async (h) => {
    const bytes = [...req('/turno/slow', 'Connection: close\r\n')];
    const slow = h.raw(bytes, { gapMs: 40, keepOpen: true, deadlineMs: 10_000 });
    const slowest: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const a = await h.http('GET', '/turno/fast');
      slowest.push(performance.now() - t0);
      assert.equal(a.body, `{"id":"fast","turno":${i + 1}}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(Math.max(...slowest) < HEADERS_TIMEOUT_MS, `other clients waited ${Math.max(...slowest)} ms`);
    const r = await slow;
    assert.ok(r.closedByServer, 'the server must close the slow connection');
    assert.ok(r.ms < bytes.length * 40, `closed after ${Math.round(r.ms)} ms, before the request was complete`);
    assert.deepEqual(
      r.answers.map((a) => a.status),
      [408],
    );
    assert.equal(h.store.calls.get('slow'), undefined);
  });
});

test('random and mutated requests (seeded): no 5xx, no hang, no number without a 200', async () => {
  const seed = 0x7475726e;
  const rand = mulberry32(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const ids = ['r0', 'r1', 'r2', 'r3', 'a.b', 'x:y', 'Z_9-'];
  const pathChars = ['a', 'Z', '0', '.', '_', '-', ':', '/', '%', '%2F', '%00', '..', '?', '#', ' ', '\u0000', '\u0001', '\u007f', '\u00ff', 'ñ', '\r', '\n', '\t'];
  const makeCase = (): Buffer => {
    const kind = int(4);
    if (kind === 0) {
      const b = Buffer.alloc(1 + int(200));
      for (let i = 0; i < b.length; i++) b[i] = int(256);
      return rand() < 0.3 ? Buffer.concat([b, Buffer.from('\r\n\r\n')]) : b;
    }
    if (kind === 1) {
      let p = '/turno/';
      for (let n = int(12); n > 0; n--) p += pick(pathChars);
      return Buffer.from(`${pick(['GET', 'GET', 'POST', 'HEAD', 'get', 'DELETE'])} ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 'utf8');
    }
    const template = pick([`/turno/${pick(ids)}`, `/turno/${pick(ids)}`, '/healthz', '/metrics', '/nope']);
    const b = [...Buffer.from(req(template, rand() < 0.5 ? 'Connection: close\r\n' : ''))];
    for (let n = 1 + int(kind === 2 ? 2 : 6); n > 0; n--) {
      const at = int(b.length + 1);
      const op = int(4);
      if (op === 0) b[at] = int(256);
      else if (op === 1) b.splice(at, 0, int(256));
      else if (op === 2) b.splice(at, 1);
      else b.splice(at, 0, ...b.slice(int(b.length), int(b.length)));
    }
    return Buffer.from(b);
  };

  await withServer(async (h) => {
    const cases = Array.from({ length: 3_000 }, makeCase);
    let next = 0;
    let hung = 0;
    let answered = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const r = await h.raw(c, { deadlineMs: 5_000 });
        if (!r.closedByServer) hung++;
        answered += r.answers.length;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.equal(hung, 0, `seed ${seed}: connections the server never closed`);
    assert.ok(answered > cases.length / 2, `seed ${seed}: only ${answered} answers`);
    assert.ok([...h.store.calls.values()].reduce((a, b) => a + b, 0) > 50, 'the mutations must leave some valid requests');
  });
});
