/**
 * The control plane behind the shipped HAProxy (deploy/control/haproxy.cfg): every address-keyed
 * control sees the client's address, not the proxy's. Clients are told apart by their loopback source
 * address (127.0.0.2 the attacker, 127.0.0.3 a host), as hosts behind a real proxy would be.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startControl, type ControlProcess } from '../support/control-process.js';
import { startControlHaproxy, type TestControlHaproxy } from '../support/haproxy.js';

const ATTACKER = '127.0.0.2';
const HOST = '127.0.0.3';
const junk = (i: number): string => `junk-token-${String(i).padStart(8, '0')}-${'x'.repeat(24)}`;

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/** One request from `from` (a loopback source address); https without verifying the test certificate. */
function requestFrom(from: string, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const options = { method: init.method ?? 'GET', headers: init.headers ?? {}, localAddress: from, rejectUnauthorized: false, agent: false as const, timeout: 10_000 };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, options, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.once('error', reject);
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.end(init.body);
  });
}

/** Send `bytes` on a fresh connection from `from` and collect whatever comes back until the server closes it. */
function rawFrom(from: string, port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.once('error', () => resolve(text));
    socket.once('close', () => resolve(text));
    socket.setTimeout(10_000, () => socket.destroy());
    socket.write(bytes);
  });
}

const junkReport = (from: string, base: string, i: number): Promise<Answer> =>
  requestFrom(from, `${base}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${junk(i)}`, 'content-type': 'application/json' }, body: '{}' });

test('behind the shipped HAProxy: junk tokens from one client do not starve a host at another address; forged client addresses from untrusted peers change nothing', async (t) => {
  // A small guessing budget, so that the attacker is refused quickly on a slow machine.
  let control: ControlProcess = await startControl({ args: ['--trusted-proxy', '127.0.0.1/32', '--unknown-token-rate-limit', '5/10'] });
  let lb: TestControlHaproxy | undefined;
  t.after(async () => {
    await lb?.stop();
    await control.stop();
    control.remove();
  });
  const enrolled = await control.fetch('/v1/hosts/enroll', { token: control.adminToken, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ host: 'db-0001' }) });
  assert.equal(enrolled.status, 200, enrolled.text);
  const hostToken = String(enrolled.body.token);
  // A fresh process: the host's token is not cached, as after a restart or once its cache entry expired.
  await control.stop();
  control = await control.restart();
  lb = await startControlHaproxy(control.port);

  // The attacker guesses tokens through the proxy, 40 at a time, and is refused.
  const statuses: number[] = [];
  for (let round = 0; round < 4; round++) statuses.push(...(await Promise.all(Array.from({ length: 40 }, (_, i) => junkReport(ATTACKER, lb!.url, round * 40 + i)))).map((a) => a.status));
  assert.ok(statuses.includes(429), `the attacker is rate limited (${statuses.filter((s) => s === 429).length} × 429)`);

  // The host, at another address behind the same proxy, authenticates at once: its report body is
  // judged (422: `{}` is no report), it is not refused with the attacker's bucket.
  const host = await requestFrom(HOST, `${lb.url}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${hostToken}`, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(host.status, 422, `the host was answered ${host.status}, not judged on its body`);

  // Straight to the server from an untrusted peer: a forged X-Forwarded-For does not move the attacker
  // to a fresh bucket.
  for (let round = 0; round < 4; round++) await Promise.all(Array.from({ length: 40 }, (_, i) => junkReport(ATTACKER, control.url, 1000 + round * 40 + i)));
  const forged = await requestFrom(ATTACKER, `${control.url}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${junk(5000)}`, 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' }, body: '{}' });
  assert.equal(forged.status, 429, 'X-Forwarded-For from an untrusted peer is ignored');

  // A PROXY header from an untrusted peer is refused: never an answer from the API.
  const v1 = await rawFrom(ATTACKER, control.port, `PROXY TCP4 198.51.100.7 127.0.0.1 40000 ${control.port}\r\nGET /healthz HTTP/1.1\r\nhost: x\r\n\r\n`);
  assert.doesNotMatch(v1, /^HTTP\/1\.1 200/, 'PROXY v1 from an untrusted peer');
  const sig = '\r\n\r\n\0\r\nQUIT\n';
  const v2 = Buffer.concat([Buffer.from(sig, 'latin1'), Buffer.from([0x21, 0x11, 0, 12, 198, 51, 100, 7, 127, 0, 0, 1, 0x9c, 0x40, 0x20, 0xfb]), Buffer.from('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n')]);
  const v2Answer = await rawFrom(ATTACKER, control.port, v2.toString('latin1'));
  assert.doesNotMatch(v2Answer, /^HTTP\/1\.1 200/, 'PROXY v2 from an untrusted peer');

  // And the host, through the proxy, is still served.
  const again = await requestFrom(HOST, `${lb.url}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${hostToken}`, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(again.status, 422);
});
