/**
 * Server-sent events for the console's live views (rollouts, runs): the answer's headers, one
 * writer, a heartbeat comment that keeps proxies from closing an idle stream, and bounds: a stream
 * ends after MAX_STREAM_MS (the browser's EventSource reconnects by itself), when the client goes
 * away, and when the server drains.
 */
import type { ServerResponse } from 'node:http';
import type { EventSink } from './page.js';

/** A stream ends after this long; EventSource reconnects (so no connection lives forever). */
export const MAX_STREAM_MS = 5 * 60_000;
/** A comment line this often keeps intermediaries from timing an idle stream out. */
export const HEARTBEAT_MS = 15_000;

/** One event in the text/event-stream syntax; `data` may hold newlines (each line is a `data:` field). */
export function formatEvent(event: string, data: string): string {
  const name = event.replace(/[\r\n]/g, '');
  return `event: ${name}\n${data.split(/\r\n|\r|\n/).map((l) => `data: ${l}`).join('\n')}\n\n`;
}

/**
 * Answer `res` as an event stream and run `body` with a sink until it resolves or the signal aborts
 * (client gone, server draining, MAX_STREAM_MS); then end the answer. The drain is noticed at the
 * next heartbeat (`heartbeatMs`, shorter in tests).
 */
export async function openEventStream(res: ServerResponse, isClosing: () => boolean, body: (sink: EventSink) => Promise<void>, maxMs = MAX_STREAM_MS, heartbeatMs = HEARTBEAT_MS): Promise<void> {
  const abort = new AbortController();
  res.statusCode = 200;
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.flushHeaders();
  const stop = (): void => abort.abort();
  res.once('close', stop);
  const limit = setTimeout(stop, maxMs);
  const beat = setInterval(() => {
    if (isClosing()) return stop();
    if (!res.writableEnded) res.write(': keep-alive\n\n');
  }, heartbeatMs);
  const sink: EventSink = {
    send: (event, data) => {
      if (abort.signal.aborted || res.writableEnded) return false;
      res.write(formatEvent(event, data));
      return true;
    },
    signal: abort.signal,
  };
  try {
    await body(sink);
  } finally {
    clearTimeout(limit);
    clearInterval(beat);
    res.off('close', stop);
    if (!res.writableEnded) res.end();
  }
}
