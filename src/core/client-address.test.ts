import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { clientFromForwardedFor, parseCidr, readProxyHeader, TrustedProxies } from './client-address.js';
import { createPipelineServer } from './http-pipeline.js';
import type { ServerTls } from './http.js';
import { silentLogger } from './log.js';

const SIG = Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1');
/** A PROXY v2 header (PROXY command, TCP over IPv4) naming `src` as the client. */
function v2(src: string, tlvs = Buffer.alloc(0)): Buffer {
  const addr = Buffer.from([...src.split('.').map(Number), 127, 0, 0, 1, 0x9c, 0x40, 0x20, 0xfb]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(addr.length + tlvs.length);
  return Buffer.concat([SIG, Buffer.from([0x21, 0x11]), len, addr, tlvs]);
}
function v2ipv6(groups: number[]): Buffer {
  const body = Buffer.alloc(36);
  groups.forEach((g, i) => body.writeUInt16BE(g, i * 2));
  body.writeUInt16BE(1, 30); // destination ::1
  return Buffer.concat([SIG, Buffer.from([0x21, 0x21, 0, 36]), body]);
}

test('readProxyHeader: v1 and v2, whole, partial, local and malformed', () => {
  const cases: [string, Buffer, unknown][] = [
    ['HTTP', Buffer.from('GET / HTTP/1.1\r\n'), { kind: 'none' }],
    ['TLS ClientHello', Buffer.from([0x16, 0x03, 0x01, 0x02]), { kind: 'none' }],
    ['v1 TCP4', Buffer.from('PROXY TCP4 198.51.100.7 10.0.0.1 40000 8443\r\nGET /'), { kind: 'header', length: 45, source: '198.51.100.7' }],
    ['v1 TCP6', Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::1 40000 8443\r\n'), { kind: 'header', length: 47, source: '2001:db8::7' }],
    ['v1 UNKNOWN', Buffer.from('PROXY UNKNOWN\r\n'), { kind: 'header', length: 15, source: undefined }],
    ['v1 partial', Buffer.from('PROXY TCP4 198.51'), { kind: 'incomplete' }],
    ['v1 prefix', Buffer.from('PRO'), { kind: 'incomplete' }],
    ['v1 bad address', Buffer.from('PROXY TCP4 198.51.100.777 10.0.0.1 40000 8443\r\n'), { kind: 'invalid', reason: 'PROXY v1: malformed line' }],
    ['v1 family mismatch', Buffer.from('PROXY TCP4 2001:db8::7 10.0.0.1 40000 8443\r\n'), { kind: 'invalid', reason: 'PROXY v1: malformed line' }],
    ['v1 no CRLF', Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`), { kind: 'invalid', reason: 'PROXY v1: no CRLF within 107 bytes' }],
    ['v2 IPv4', Buffer.concat([v2('198.51.100.7'), Buffer.from('GET /')]), { kind: 'header', length: 28, source: '198.51.100.7' }],
    ['v2 with TLVs', v2('198.51.100.7', Buffer.from([0x05, 0, 2, 1, 2])), { kind: 'header', length: 33, source: '198.51.100.7' }],
    ['v2 IPv6', v2ipv6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 7]), { kind: 'header', length: 52, source: '2001:db8::7' }],
    ['v2 IPv4-mapped IPv6', v2ipv6([0, 0, 0, 0, 0, 0xffff, 0xc633, 0x6407]), { kind: 'header', length: 52, source: '198.51.100.7' }],
    ['v2 LOCAL (health checks)', Buffer.concat([SIG, Buffer.from([0x20, 0x00, 0, 0])]), { kind: 'header', length: 16, source: undefined }],
    ['v2 signature only', SIG.subarray(0, 7), { kind: 'incomplete' }],
    ['v2 addresses cut', v2('198.51.100.7').subarray(0, 20), { kind: 'incomplete' }],
    ['v2 bad version', Buffer.concat([SIG, Buffer.from([0x11, 0x11, 0, 12]), Buffer.alloc(12)]), { kind: 'invalid', reason: 'PROXY v2: version is not 2' }],
    ['v2 short IPv4 block', Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0, 4]), Buffer.alloc(4)]), { kind: 'invalid', reason: 'PROXY v2: short IPv4 addresses' }],
    ['v2 too long', Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])]), { kind: 'invalid', reason: 'PROXY v2: header too long' }],
  ];
  for (const [name, buf, want] of cases) assert.deepEqual(readProxyHeader(buf), want, name);
});

test('CIDRs: parse, membership, IPv4-mapped addresses; bad ones are refused', () => {
  assert.deepEqual(parseCidr('10.0.1.0/24'), { address: '10.0.1.0', prefix: 24, family: 'ipv4' });
  assert.deepEqual(parseCidr('2001:db8::/64'), { address: '2001:db8::', prefix: 64, family: 'ipv6' });
  assert.deepEqual(parseCidr('10.0.1.5'), { address: '10.0.1.5', prefix: 32, family: 'ipv4' });
  for (const bad of ['10.0.1.0/33', 'haproxy', '10.0.1/24', '::/129', '', '10.0.0.0/8/8']) assert.equal(parseCidr(bad), undefined, bad);
  const t = TrustedProxies.parse(['10.0.1.0/24', '2001:db8::/64']);
  assert.ok(t.has('10.0.1.9') && t.has('::ffff:10.0.1.9') && t.has('2001:db8::5'));
  assert.ok(!t.has('10.0.2.1') && !t.has('2001:db9::1') && !t.has('garbage') && !t.has(undefined));
  assert.ok(!TrustedProxies.none.has('127.0.0.1'));
  assert.throws(() => TrustedProxies.parse(['10.0.0.0/8', 'lb.example']), /"lb\.example" is not an address or CIDR block/);
});

test('X-Forwarded-For: the rightmost entry that is not a trusted proxy; what the client wrote to its left proves nothing', () => {
  const t = TrustedProxies.parse(['10.0.0.0/8']);
  const cases: [string | string[] | undefined, string][] = [
    [undefined, '10.0.0.2'],
    ['198.51.100.7', '198.51.100.7'],
    ['6.6.6.6, 198.51.100.7', '198.51.100.7'],
    ['6.6.6.6, 198.51.100.7, 10.0.0.9', '198.51.100.7'],
    [['6.6.6.6', '198.51.100.7, 10.0.0.9'], '198.51.100.7'],
    ['10.0.0.8, 10.0.0.9', '10.0.0.8'],
    ['not-an-ip, 10.0.0.9', '10.0.0.9'],
    ['198.51.100.7:1234', '10.0.0.2'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
  ];
  for (const [xff, want] of cases) assert.equal(clientFromForwardedFor('10.0.0.2', xff, t), want, JSON.stringify(xff));
});

// Real sockets: a pipeline server that answers each request with the client address it resolved.
const BOUNDS = { requestTimeoutMs: 5000, keepAliveTimeoutMs: 1000, maxConnections: 100, maxConnectionsPerAddress: 100 };
const open: { close(g?: number): Promise<void> }[] = [];
after(() => Promise.all(open.map((s) => s.close(100))));

async function whoami(trusted: readonly string[], extra: { tls?: ServerTls; maxConnectionsPerAddress?: number } = {}): Promise<number> {
  const srv = createPipelineServer({ ...BOUNDS, ...(extra.maxConnectionsPerAddress ? { maxConnectionsPerAddress: extra.maxConnectionsPerAddress } : {}), trustedProxies: TrustedProxies.parse(trusted) }, extra.tls, {
    log: silentLogger(),
    mounts: [{ name: 'all', owns: () => true, authenticate: () => ({ kind: 'any', name: 'any' }), credential: 'any', routes: [{ method: 'GET', name: '/who', path: /^\/who$/, handler: async ({ address }) => ({ address }) }] }],
  });
  const { port } = await srv.listen('127.0.0.1', 0);
  open.push(srv);
  return port;
}

/** Write `chunks` (with a pause between them) on one connection from `from`; resolve with everything answered until `answers` answers came or it closed. */
function exchange(socket: Socket, chunks: (string | Buffer)[], answers: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = (): void => resolve(text);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
      if ((text.match(/HTTP\/1\.1 /g) ?? []).length >= answers && /\}$/.test(text)) done();
    });
    socket.once('close', done);
    socket.once('error', done);
    void (async () => {
      for (const c of chunks) {
        socket.write(c);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
  });
}
const GET = 'GET /who HTTP/1.1\r\nhost: x\r\n\r\n';
const addresses = (text: string): string[] => [...text.matchAll(/"address":"([^"]*)"/g)].map((m) => m[1]!);

test('a trusted proxy: its PROXY header (whole or in pieces) names the client of every request on the connection', async () => {
  const port = await whoami(['127.0.0.1']);
  const a = await exchange(connect({ port, host: '127.0.0.1' }), [Buffer.concat([v2('198.51.100.7'), Buffer.from(GET)]), GET], 2);
  assert.deepEqual(addresses(a), ['198.51.100.7', '198.51.100.7']);
  const header = Buffer.from('PROXY TCP4 198.51.100.8 127.0.0.1 40000 8443\r\n');
  const b = await exchange(connect({ port, host: '127.0.0.1' }), [header.subarray(0, 3), header.subarray(3, 20), header.subarray(20), GET], 1);
  assert.deepEqual(addresses(b), ['198.51.100.8']);
  // A PROXY header wins: X-Forwarded-For on such a connection is not read.
  const c = await exchange(connect({ port, host: '127.0.0.1' }), [v2('198.51.100.9'), 'GET /who HTTP/1.1\r\nhost: x\r\nx-forwarded-for: 6.6.6.6\r\n\r\n'], 1);
  assert.deepEqual(addresses(c), ['198.51.100.9']);
  // No header (e.g. a proxy that only sets X-Forwarded-For): the rightmost untrusted entry; none: the peer.
  const d = await exchange(connect({ port, host: '127.0.0.1' }), ['GET /who HTTP/1.1\r\nhost: x\r\nx-forwarded-for: 6.6.6.6, 198.51.100.10\r\n\r\n', GET], 2);
  assert.deepEqual(addresses(d), ['198.51.100.10', '127.0.0.1']);
  // LOCAL (the proxy's own health checks): the peer.
  const e = await exchange(connect({ port, host: '127.0.0.1' }), [Buffer.concat([SIG, Buffer.from([0x20, 0x00, 0, 0]), Buffer.from(GET)])], 1);
  assert.deepEqual(addresses(e), ['127.0.0.1']);
  // A malformed header from a trusted peer: closed without an answer.
  const f = await exchange(connect({ port, host: '127.0.0.1' }), ['PROXY TCP4 nonsense\r\n', GET], 1);
  assert.equal(f, '');
});

test('an untrusted peer: X-Forwarded-For is ignored and a PROXY header is refused (400), whatever it claims', async () => {
  const port = await whoami(['127.0.0.1']);
  const xff = await exchange(connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' }), ['GET /who HTTP/1.1\r\nhost: x\r\nx-forwarded-for: 198.51.100.7\r\n\r\n'], 1);
  assert.deepEqual(addresses(xff), ['127.0.0.2']);
  for (const header of [v2('198.51.100.7'), Buffer.from('PROXY TCP4 198.51.100.7 127.0.0.1 40000 8443\r\n')]) {
    const text = await exchange(connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' }), [Buffer.concat([header, Buffer.from(GET)])], 1);
    assert.match(text, /^HTTP\/1\.1 400 /);
    assert.deepEqual(addresses(text), []);
  }
  // No trusted proxy at all: the same.
  const none = await whoami([]);
  const text = await exchange(connect({ port: none, host: '127.0.0.1' }), [Buffer.concat([v2('198.51.100.7'), Buffer.from(GET)])], 1);
  assert.match(text, /^HTTP\/1\.1 400 /);
});

test('connections per address count the client the PROXY header names, not the proxy', async () => {
  const port = await whoami(['127.0.0.1'], { maxConnectionsPerAddress: 2 });
  const held: Socket[] = [];
  const hold = async (src: string): Promise<string> => {
    const s = connect({ port, host: '127.0.0.1' });
    held.push(s);
    return exchange(s, [Buffer.concat([v2(src), Buffer.from(GET)])], 1);
  };
  try {
    assert.deepEqual(addresses(await hold('198.51.100.1')), ['198.51.100.1']);
    assert.deepEqual(addresses(await hold('198.51.100.1')), ['198.51.100.1']);
    assert.equal(await hold('198.51.100.1'), '', 'a third connection of one client is closed');
    assert.deepEqual(addresses(await hold('198.51.100.2')), ['198.51.100.2'], 'another client behind the same proxy is not');
  } finally {
    for (const s of held) s.destroy();
  }
});

test('TLS: the PROXY header precedes the handshake and names the client of requests inside it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigia-proxy-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const port = await whoami(['127.0.0.1'], { tls: { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) } });
  const raw = connect({ port, host: '127.0.0.1' });
  await new Promise((r) => raw.once('connect', r));
  raw.write(v2('198.51.100.7'));
  const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
  const text = await exchange(secure, [GET, GET], 2);
  assert.deepEqual(addresses(text), ['198.51.100.7', '198.51.100.7']);
  secure.destroy();
});
