/**
 * The questions of `vigia logs` asked of a running collector (`--server URL --token-file F`) through its
 * operator API (src/core/contracts/logs-query.ts: the same paths and query strings the collector's routes validate), so the CLI
 * gives the same answers whether it opens the store or asks the server that holds it. Every answer is
 * bounded in time and size; 429/503 are retried after Retry-After, since the server did nothing for them.
 */
import { answerError, parseAnswer, transportError } from '../../core/client-errors.js';
import { readClientToken } from '../../core/config-file.js';
import { VigiaError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';
import { QUERY_PATHS } from '../../core/contracts/logs-query.js';
import type { LogStore } from '../store/log-store.js';

/** What the CLI's questions need of a store: every question and stats, and close. */
export type LogQuestions = Pick<LogStore, 'who' | 'top' | 'visits' | 'series' | 'overview' | 'stats' | 'close'>;

/** The deadline of one request (a top over 50 M lines answers in well under a second; a busy server may queue). */
export const REMOTE_TIMEOUT_MS = 60_000;
/** The largest answer read (10,000 rows of 8 KiB URLs is 80 MiB; nobody needs that on a terminal). */
export const REMOTE_MAX_ANSWER_BYTES = 32 * 1024 * 1024;
const TRIES = 3;

/** Injectable wait, so tests of the retry need no real delay. */
export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Check `--server` (http(s), no credentials, query or fragment: the token goes in --token-file) and read the token. */
export async function remoteTarget(url: string, tokenFile: string | undefined): Promise<{ url: string; token: string }> {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    /* reported below */
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.username || parsed.password || parsed.search || url.includes('#')) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--server must be an http(s):// URL without credentials, query or fragment, got "${redactUrl(url).slice(0, 100)}"`);
  }
  if (!tokenFile) throw new VigiaError('VIGIA_ERR_CONFIG', '--server needs --token-file (a file holding an operator token with scope read)');
  return { url: url.replace(/\/+$/, ''), token: await readClientToken(tokenFile, '--token-file') };
}

async function readBounded(res: Response, max: number, what: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) throw new VigiaError('VIGIA_ERR_BAD_ANSWER', `[${what}] answer of ${declared} bytes is over the ${max}-byte limit (lower --limit)`);
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new VigiaError('VIGIA_ERR_BAD_ANSWER', `[${what}] answer over the ${max}-byte limit (lower --limit)`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * LogQuestions over HTTP. Each question becomes `GET <path>?<params>` (params URL-encoded, never spliced
 * into anything else); a transport failure is VIGIA_ERR_UNREACHABLE, an error answer the server's own
 * code, an answer that is not the expected shape VIGIA_ERR_BAD_ANSWER.
 */
export function remoteQuestions(target: { url: string; token: string }, sleep: Sleep = realSleep): LogQuestions {
  async function get<T>(path: string, params: Record<string, string | number | boolean | undefined>, check: (v: T) => boolean): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) qs.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    const what = `GET ${path}`;
    const full = `${target.url}${path}${qs.size > 0 ? `?${qs}` : ''}`;
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let text: string;
      let retryAfter: string | null;
      try {
        const res = await fetch(full, { headers: { authorization: `Bearer ${target.token}`, accept: 'application/json' }, signal: AbortSignal.timeout(REMOTE_TIMEOUT_MS) });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        text = await readBounded(res, REMOTE_MAX_ANSWER_BYTES, what);
      } catch (err) {
        if (err instanceof VigiaError) throw err;
        throw transportError(err, target.url, REMOTE_TIMEOUT_MS);
      }
      if (status >= 200 && status < 300) {
        const value = parseAnswer<T>(text, what);
        if (value === null || typeof value !== 'object' || !check(value)) throw new VigiaError('VIGIA_ERR_BAD_ANSWER', `[${what}] the answer is not the shape this client expects (is --server a vigia logs collector?)`);
        return value;
      }
      if ((status === 429 || status === 503) && attempt < TRIES) {
        const s = retryAfter === null ? Number.NaN : Number(retryAfter);
        await sleep((Number.isFinite(s) && s >= 0 ? Math.min(s, 30) * 1000 : 500 * attempt) + Math.floor(Math.random() * 250));
        continue;
      }
      throw answerError(status, text, what);
    }
  }
  const isArr = (v: unknown): boolean => Array.isArray(v);
  return {
    who: (q) => get(QUERY_PATHS.who, { url: q.url, prefix: q.prefix, from: q.from, to: q.to, limit: q.limit }, (v) => isArr(v.clients)),
    top: (q) => get(QUERY_PATHS.top, { by: q.by, from: q.from, to: q.to, limit: q.limit }, (v) => isArr(v.rows)),
    visits: (q) => get(QUERY_PATHS.visits, { ip: q.ip, from: q.from, to: q.to, limit: q.limit }, (v) => isArr(v.urls)),
    series: (q) => get(QUERY_PATHS.series, { url: q.url, prefix: q.url === undefined ? undefined : q.prefix === true, ip: q.ip, status: q.status, from: q.from, to: q.to }, (v) => isArr(v.points)),
    overview: (q) => get(QUERY_PATHS.overview, { from: q.from, to: q.to, limit: q.limit }, (v) => typeof v.requests === 'number' && isArr(v.hourly)),
    stats: () => get(QUERY_PATHS.stats, {}, (v) => typeof v.lines === 'number'),
    close: async () => {},
  };
}
