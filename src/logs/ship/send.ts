/**
 * One POST of a batch to the collector (src/logs/wire.ts) over node:http(s) with a kept-alive socket and
 * a deadline, and the classification of the answer (pure): acknowledged, retry later (with the server's
 * Retry-After), or never acceptable (drop and count). node:http rather than fetch: undici costs
 * megabytes of resident memory a shipper on a web server should not take.
 */
import http from 'node:http';
import https from 'node:https';
import { parseRetryAfter } from '../../core/backoff.js';
import { LINES_PATH, type LinesAccepted } from '../wire.js';

/** A compressed batch and everything its request headers say. */
export interface Batch {
  /** X-Vigia-Log-Source: `<shipper id>:<file id>`. */
  readonly source: string;
  readonly format: string;
  /** Byte range of the batch in its source. */
  readonly start: number;
  readonly end: number;
  readonly lines: number;
  /** gzip of the lines (LF-terminated). */
  readonly body: Buffer;
}

/** What became of one POST. */
export type SendResult =
  | { readonly kind: 'ack'; readonly accepted: LinesAccepted }
  | { readonly kind: 'retry'; readonly cause: string; readonly retryAfterMs: number | null }
  | { readonly kind: 'drop'; readonly cause: string };

/**
 * Classify an answer (pure). 2xx with a LinesAccepted body: ack. 401/403: retry (a token being fixed
 * must not lose lines; the spool's bound caps the cost). 408, 429, 5xx, 3xx: retry after Retry-After or
 * backoff. 413 and other 4xx: that batch can never be accepted: drop (counted).
 */
export function classifyAnswer(status: number, retryAfter: string | undefined, body: string, nowMs: number): SendResult {
  let code = '';
  try {
    const j = JSON.parse(body) as Partial<LinesAccepted> & { error?: { code?: unknown } };
    if (status >= 200 && status < 300) {
      if (typeof j.stored === 'number' && typeof j.rejected === 'number' && typeof j.duplicates === 'number') {
        return { kind: 'ack', accepted: { stored: j.stored, rejected: j.rejected, duplicates: j.duplicates } };
      }
    }
    if (typeof j.error?.code === 'string') code = ` ${j.error.code.slice(0, 80)}`;
  } catch {
    // not JSON (a proxy's error page): the status says enough
  }
  const cause = `HTTP ${status}${code}`;
  // A 2xx that is not a LinesAccepted is a proxy or another service: the lines are not known to be stored.
  if (status >= 200 && status < 300) return { kind: 'retry', cause: `${cause} without a LinesAccepted body`, retryAfterMs: null };
  if (status === 401 || status === 403 || status === 408 || status === 429 || status >= 500 || status < 400) {
    return { kind: 'retry', cause, retryAfterMs: parseRetryAfter(retryAfter, nowMs) };
  }
  return { kind: 'drop', cause };
}

/** Where and how batches go. */
export interface SenderOptions {
  /** The collector's base URL (`--server`). */
  readonly url: string;
  readonly token: string;
  readonly timeoutMs: number;
  /** CA certificates for an https collector instead of the system ones. */
  readonly ca?: Buffer;
}

/** Most bytes of an answer read (a LinesAccepted is tiny; an error page is cut). */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Posts batches to one collector. */
export class Sender {
  private readonly target: URL;
  private readonly agent: http.Agent;
  private readonly o: SenderOptions;
  private inFlight: http.ClientRequest | undefined;

  constructor(opts: SenderOptions) {
    this.o = opts;
    const base = new URL(opts.url);
    this.target = new URL(`${base.pathname.replace(/\/+$/, '')}${LINES_PATH}`, base);
    const Agent = this.target.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, ...(opts.ca ? { ca: opts.ca } : {}) });
  }

  /** POST `batch` with the shipper's cumulative `dropped` count; never throws. */
  send(batch: Batch, dropped: number, nowMs: () => number): Promise<SendResult> {
    const mod = this.target.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: SendResult): void => {
        if (settled) return;
        settled = true;
        this.inFlight = undefined;
        resolve(r);
      };
      const req = mod.request(this.target, {
        method: 'POST',
        agent: this.agent,
        headers: {
          authorization: `Bearer ${this.o.token}`,
          'content-type': 'text/plain; charset=utf-8',
          'content-encoding': 'gzip',
          'content-length': batch.body.length,
          'x-vigia-log-format': batch.format,
          'x-vigia-log-source': batch.source,
          'x-vigia-log-offset': `${batch.start}-${batch.end}`,
          'x-vigia-log-dropped': String(dropped),
          'x-vigia-log-lines': String(batch.lines),
        },
      });
      this.inFlight = req;
      // One deadline for the whole exchange: a collector that accepts and never answers is "away".
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(d);
        });
        res.on('end', () => {
          clearTimeout(timer);
          const retryAfter = res.headers['retry-after'];
          done(classifyAnswer(res.statusCode ?? 0, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Buffer.concat(chunks).toString('utf8'), nowMs()));
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          done({ kind: 'retry', cause: err.message, retryAfterMs: null });
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        done({ kind: 'retry', cause: err.code ? `${err.code} ${this.target.host}` : err.message, retryAfterMs: null });
      });
      req.end(batch.body);
    });
  }

  /** Abort the request in flight (shutdown) and close idle sockets. */
  close(): void {
    this.inFlight?.destroy(new Error('shipper stopping'));
    this.agent.destroy();
  }
}
