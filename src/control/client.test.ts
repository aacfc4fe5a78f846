import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { CALL_TRIES, callServer, callServerJson, serverTarget } from './client.js';
import { isVigiaError } from '../core/errors.js';

/** A server answering the given statuses in turn (the last one repeats). */
async function withServer(statuses: number[], fn: (url: string, hits: () => number) => Promise<void>): Promise<void> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    const status = statuses[Math.min(n++, statuses.length - 1)]!;
    res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '7' } : {}) });
    res.end(status === 200 ? '{"ok":true}' : JSON.stringify({ error: { code: status === 429 ? 'VIGIA_ERR_RATE_LIMITED' : 'CONTROL_ERR_OVERLOADED', message: 'busy' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as { port: number }).port}`, () => n);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('429 and 503 are retried after Retry-After (with jitter), then answered', async () => {
  await withServer([429, 503, 200], async (url, hits) => {
    const waits: number[] = [];
    const answer = await callServerJson<{ ok: boolean }>({ url, token: 't' }, 'GET', '/v1/hosts', undefined, async (ms) => void waits.push(ms));
    assert.deepEqual(answer, { ok: true });
    assert.equal(hits(), 3);
    assert.ok(waits[0]! >= 7000 && waits[0]! < 7250, `Retry-After 7 s: ${waits[0]}`);
    assert.ok(waits[1]! >= 1000 && waits[1]! < 1250, `no Retry-After: backoff 1 s: ${waits[1]}`);
  });
});

test('retries are bounded: the last 429 is thrown with its code', async () => {
  await withServer([429], async (url, hits) => {
    await assert.rejects(callServer({ url, token: 't' }, 'POST', '/v1/hosts/enroll', { host: 'a' }, async () => {}), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_RATE_LIMITED') && /POST \/v1\/hosts\/enroll answered 429/.test(e.message));
    assert.equal(hits(), CALL_TRIES);
  });
});

test('serverTarget refuses what is not an http(s) URL before any request', async () => {
  for (const bad of ['ftp://x', 'http://[bad', '127.0.0.1:8080']) {
    await assert.rejects(serverTarget(bad, '/nonexistent'), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /--server must be an http\(s\):\/\/ URL/.test(e.message), bad);
  }
});

test('serverTarget: an unreadable --token-file is named in readConfigFile\'s wording (flag, path, errno)', async () => {
  await assert.rejects(
    serverTarget('http://127.0.0.1:1', '/nonexistent/op.token'),
    (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && e.message.endsWith('--token-file: cannot read /nonexistent/op.token (ENOENT)'),
  );
});

test('serverTarget refuses credentials, a query or a fragment in --server, without echoing them', async () => {
  for (const bad of ['http://ops:hunter2@127.0.0.1:1', 'http://127.0.0.1:1/?token=hunter2', 'http://127.0.0.1:1/#hunter2']) {
    await assert.rejects(serverTarget(bad, '/nonexistent'), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /without credentials, query or fragment/.test(e.message) && !/hunter2/.test(e.message), bad);
  }
});
