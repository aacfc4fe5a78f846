/**
 * The console's client of the log collector's operator API (`vigia logs serve`; the wire contract is
 * src/core/contracts/logs-query.ts, shared with the collector: roles never import each other). Every
 * request is bounded in time and size, and every answer is checked against the contract's answer
 * schema before a page reads it. Failures are catalogued VigiaErrors (VIGIA_ERR_UNREACHABLE,
 * the collector's own VIGIA_ERR_UNAUTHORIZED / VIGIA_ERR_FORBIDDEN, VIGIA_ERR_BAD_ANSWER) that the
 * logs page shows as a message; nothing here retries (a page view is one attempt; the user reloads).
 */
import type { z } from 'zod';
import { answerError, transportError } from '../../core/client-errors.js';
import { ANSWER_SCHEMAS, QUERY_PATHS, type SeriesQuery, type SeriesResult, type StoreStats, type TopQuery, type TopResult, type WhoQuery, type WhoResult } from '../../core/contracts/logs-query.js';
import { VigiaError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';

/** The questions the logs page asks. */
export interface LogsSource {
  /** The collector's base URL as configured (`--logs-server`), for messages. */
  readonly url: string;
  who(q: WhoQuery): Promise<WhoResult>;
  top(q: TopQuery): Promise<TopResult>;
  series(q: SeriesQuery): Promise<SeriesResult>;
  stats(): Promise<StoreStats>;
}

/** Limits of one request to the collector. */
export interface LogsClientOptions {
  /** Base URL, http(s)://host:port (no credentials, query or fragment). */
  readonly url: string;
  /** A collector operator token with the `read` scope. */
  readonly token: string;
  /** Deadline of one request, headers and body (default 10 s: a page waits on it). */
  readonly timeoutMs?: number;
  /** Largest answer read (default 8 MiB: a month of per-minute points is ~2 MiB). */
  readonly maxBytes?: number;
}

/** Default deadline of one request. */
export const LOGS_TIMEOUT_MS = 10_000;
/** Default largest answer. */
export const LOGS_MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/**
 * Check a `--logs-server` value: an http(s) URL without credentials, query or fragment (the token
 * goes in --logs-token-file, so it never lands in a log line or a process listing). Pure.
 */
export function parseLogsServerUrl(text: string): string {
  let u: URL | undefined;
  try {
    u = new URL(text);
  } catch {
    /* reported below */
  }
  if (!u || !/^https?:$/.test(u.protocol) || u.username || u.password || u.search || text.includes('#')) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--logs-server must be an http(s):// URL without credentials, query or fragment, got "${redactUrl(text).slice(0, 100)}"`);
  }
  return text.replace(/\/+$/, '');
}

async function readBounded(res: Response, max: number, what: string): Promise<string> {
  if (Number(res.headers.get('content-length') ?? '0') > max) {
    await res.body?.cancel();
    throw new VigiaError('VIGIA_ERR_BAD_ANSWER', `[${what}] answer over the ${max}-byte limit`);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new VigiaError('VIGIA_ERR_BAD_ANSWER', `[${what}] answer over the ${max}-byte limit`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A LogsSource over HTTP. */
export function createLogsClient(opts: LogsClientOptions): LogsSource {
  const base = parseLogsServerUrl(opts.url);
  const timeoutMs = opts.timeoutMs ?? LOGS_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? LOGS_MAX_ANSWER_BYTES;
  async function get<S extends z.ZodTypeAny>(path: string, params: Record<string, string | number | boolean | undefined>, schema: S): Promise<z.output<S>> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    const qs = q.toString();
    const url = `${base}${path}${qs ? `?${qs}` : ''}`;
    const what = `GET ${path}`;
    let text: string;
    let status: number;
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${opts.token}`, accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
      status = res.status;
      text = await readBounded(res, maxBytes, what);
    } catch (err) {
      throw transportError(err, url, timeoutMs);
    }
    if (status !== 200) throw answerError(status, text, what);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new VigiaError('VIGIA_ERR_BAD_ANSWER', `[${what}] the collector's answer is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new VigiaError('VIGIA_ERR_BAD_ANSWER', `[${what}] the collector's answer does not have the expected shape (${parsed.error.issues[0]?.path.join('.') ?? ''})`);
    return parsed.data as z.output<S>;
  }
  return {
    url: base,
    who: (q) => get(QUERY_PATHS.who, { url: q.url, prefix: q.prefix, from: q.from, to: q.to, limit: q.limit }, ANSWER_SCHEMAS.who),
    top: (q) => get(QUERY_PATHS.top, { by: q.by, from: q.from, to: q.to, limit: q.limit }, ANSWER_SCHEMAS.top),
    series: (q) => get(QUERY_PATHS.series, { url: q.url, prefix: q.url === undefined ? undefined : q.prefix === true, ip: q.ip, status: q.status, from: q.from, to: q.to }, ANSWER_SCHEMAS.series),
    stats: () => get(QUERY_PATHS.stats, {}, ANSWER_SCHEMAS.stats),
  };
}
