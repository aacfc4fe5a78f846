/**
 * A small client of the control plane's operator API, for CLI commands run with `--server URL`
 * (the embedded store can only be open in one process: a running `vigia server` owns it).
 */
import { answerError, parseAnswer, transportError } from '../core/client-errors.js';
import { readClientToken } from '../core/config-file.js';
import { VigiaError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';

/** Where the server is and the operator token to use. */
export interface ServerTarget {
  readonly url: string;
  readonly token: string;
}

/** Read the raw operator token from a file (first non-empty line) and check the URL. */
export async function serverTarget(url: string, tokenFile: string | undefined): Promise<ServerTarget> {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    /* reported below */
  }
  // The token goes in --token-file: a password or token in the URL would be echoed by errors and
  // sent to every path the client calls.
  if (!parsed || !/^https?:$/.test(parsed.protocol) || !/^https?:\/\/[^/\s]+/.test(url) || parsed.username || parsed.password || parsed.search || url.includes('#')) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--server must be an http(s):// URL without credentials, query or fragment, got "${redactUrl(url).slice(0, 100)}"`);
  }
  if (!tokenFile) throw new VigiaError('VIGIA_ERR_CONFIG', '--server needs --token-file (a file holding an operator token with scope read, or admin to enrol)');
  const token = await readClientToken(tokenFile, '--token-file');
  return { url: url.replace(/\/+$/, ''), token };
}

/** The client's deadline for one request (a capacity report of a large fleet can take a while). */
export const CALL_TIMEOUT_MS = 120_000;
/** Tries of one call while the server answers 429 or 503 (it did nothing for those). */
export const CALL_TRIES = 4;

/** How a call waits before a retry; injectable so tests need no real delay. */
export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Call the API. A transport failure throws VIGIA_ERR_UNREACHABLE; a non-2xx answer throws the
 * server's catalogued error (or VIGIA_ERR_BAD_ANSWER); 429 and 503 are retried, after Retry-After
 * (at most 30 s) with jitter, up to CALL_TRIES tries, since the server did nothing for them.
 */
export async function callServer(target: ServerTarget, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, sleep: Sleep = realSleep): Promise<{ contentType: string; text: string }> {
  const what = `${method} ${path.replace(/\?.*$/, '')}`;
  for (let attempt = 1; ; attempt++) {
    let status: number;
    let text: string;
    let contentType: string;
    let retryAfter: string | null;
    try {
      const res = await fetch(`${target.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${target.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      // Read inside the try: a connection closed mid-answer is a transport failure too.
      text = await res.text();
      status = res.status;
      contentType = res.headers.get('content-type') ?? '';
      retryAfter = res.headers.get('retry-after');
    } catch (err) {
      throw transportError(err, target.url, CALL_TIMEOUT_MS);
    }
    if (status >= 200 && status < 300) return { contentType, text };
    if ((status === 429 || status === 503) && attempt < CALL_TRIES) {
      const seconds = retryAfter === null || retryAfter.trim() === '' ? Number.NaN : Number(retryAfter);
      const base = Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 30) * 1000 : 500 * 2 ** (attempt - 1);
      await sleep(base + Math.floor(Math.random() * 250));
      continue;
    }
    throw answerError(status, text, what);
  }
}

/** callServer, then parse the JSON answer (VIGIA_ERR_BAD_ANSWER when it is not JSON). */
export async function callServerJson<T>(target: ServerTarget, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, sleep?: Sleep): Promise<T> {
  const { text } = await callServer(target, method, path, body, sleep);
  return parseAnswer<T>(text, `${method} ${path.replace(/\?.*$/, '')}`);
}
