/**
 * sse.ts on a real node:http server: the event syntax (multi-line data, no injected fields), the
 * headers, the heartbeat comment, and every way a stream ends: the body returns, the client leaves,
 * the time cap, the server draining (noticed at a heartbeat). The cap and the heartbeat are
 * shortened through openEventStream's arguments.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { EventSink } from './page.js';
import { formatEvent, openEventStream } from './sse.js';

let server: Server;
let base: string;
/** What the next request's stream does, and how it ended. */
let body: (sink: EventSink) => Promise<void> = async () => {};
let maxMs = 5000;
let heartbeatMs = 15_000;
let closing = false;
let ended: Promise<{ aborted: boolean }> = Promise.resolve({ aborted: false });
/** A stream cap no test reaches unless it says so (so an end is the cause under test, not the cap). */
const LONG = 600_000;

/** How the stream ended, or a failure when it did not within `ms` (a liveness bound, far above the expected milliseconds). */
async function endedWithin(ms = 5000): Promise<{ aborted: boolean }> {
  let t: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`the stream did not end within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([ended, late]);
  } finally {
    clearTimeout(t);
  }
}

before(async () => {
  server = createServer((_req, res) => {
    let seen: EventSink | undefined;
    ended = openEventStream(res, () => closing, (sink) => {
      seen = sink;
      return body(sink);
    }, maxMs, heartbeatMs).then(() => ({ aborted: seen?.signal.aborted ?? false }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('formatEvent: one data field per line, a newline in the event name cannot add a field', () => {
  assert.equal(formatEvent('swap', 'a'), 'event: swap\ndata: a\n\n');
  assert.equal(formatEvent('swap', 'a\nb\r\nc'), 'event: swap\ndata: a\ndata: b\ndata: c\n\n');
  assert.equal(formatEvent('x\ndata: evil', 'y'), 'event: xdata: evil\ndata: y\n\n');
});

test('headers, events in order, and the answer ends when the body returns', async () => {
  maxMs = 5000;
  body = async (sink) => {
    assert.equal(sink.send('one', '1'), true);
    sink.send('two', 'x\ny');
  };
  const res = await fetch(base);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(await res.text(), 'event: one\ndata: 1\n\nevent: two\ndata: x\ndata: y\n\n');
  assert.deepEqual(await ended, { aborted: false });
});

test('a client that leaves aborts the signal, and send answers false afterwards', async () => {
  maxMs = LONG;
  let after: boolean | undefined;
  body = async (sink) => {
    sink.send('hello', '');
    await new Promise<void>((r) => sink.signal.addEventListener('abort', () => r(), { once: true }));
    after = sink.send('late', '');
  };
  const ac = new AbortController();
  const res = await fetch(base, { signal: ac.signal });
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.match(first, /event: hello/);
  ac.abort();
  assert.deepEqual(await endedWithin(), { aborted: true });
  assert.equal(after, false);
});

test('the time cap ends a stream whose body would wait for ever', async () => {
  maxMs = 150;
  body = (sink) => new Promise<void>((r) => sink.signal.addEventListener('abort', () => r(), { once: true }));
  const res = await fetch(base);
  assert.equal(await res.text(), '', 'ended by the cap, not by the client');
  assert.deepEqual(await ended, { aborted: true });
});

test('an idle stream gets heartbeat comments; a draining server ends it at the next one', async () => {
  maxMs = LONG;
  heartbeatMs = 40;
  closing = false;
  body = (sink) => new Promise<void>((r) => sink.signal.addEventListener('abort', () => r(), { once: true }));
  const res = await fetch(base);
  const reader = res.body!.getReader();
  const beat = new TextDecoder().decode((await reader.read()).value);
  assert.equal(beat, ': keep-alive\n\n', 'a comment line, which EventSource ignores');
  closing = true;
  assert.deepEqual(await endedWithin(), { aborted: true });
  let rest = '';
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
  assert.match(rest, /^(: keep-alive\n\n)*$/);
  closing = false;
  heartbeatMs = 15_000;
});
