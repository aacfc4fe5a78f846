/**
 * Client-side error mapping, shared by every command that talks to a server (`--server`, `--url`,
 * `--to`): a transport failure becomes VIGIA_ERR_UNREACHABLE, a server's `{"error":{"code","message"}}`
 * answer becomes a VigiaError with the server's own code, anything else VIGIA_ERR_BAD_ANSWER. The
 * CLI edge prints a VigiaError as one line and exits 2, so no client command shows a stack trace for
 * a server that is down, misnamed, untrusted or refusing.
 */
import { ERROR_CATALOG, VigiaError, isVigiaError, type ErrorCode } from './errors.js';
import { redactUrl } from './redact.js';
import { sanitiseText } from './sanitise.js';

/** Node and undici error codes that mean "the request did not get a (whole) answer". */
const TRANSPORT_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (nothing listens there)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary DNS failure)',
  EAI_NODATA: 'host name has no address',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'answer not received in time',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  HPE_INVALID_CONSTANT: 'the answer is not HTTP (is the URL\'s scheme right?)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed (is the server speaking plain http?)',
};

/** The first `code` found on an error, its `cause` chain or an AggregateError's errors. */
function findCode(err: unknown, depth = 0): { code: string; message: string } | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown; name?: unknown };
  if (e.name === 'TimeoutError') return { code: 'TimeoutError', message: String(e.message ?? '') };
  if (typeof e.code === 'string' && isTransportCode(e.code)) return { code: e.code, message: String(e.message ?? '') };
  const fromCause = findCode(e.cause, depth + 1);
  if (fromCause) return fromCause;
  if (Array.isArray(e.errors)) for (const inner of e.errors) {
    const found = findCode(inner, depth + 1);
    if (found) return found;
  }
  // undici's fetch rejects every network failure as TypeError('fetch failed'); a cause without a
  // code (a port fetch refuses to use, a redirect loop) is still a request that got no answer.
  if (e.name === 'TypeError' && e.message === 'fetch failed') {
    const cause = e.cause as { message?: unknown } | undefined;
    return { code: 'FETCH_FAILED', message: String(cause?.message ?? 'fetch failed') };
  }
  return undefined;
}

/** True for the error codes of a network or TLS failure (as opposed to a bug or a refused request). */
export function isTransportCode(code: string): boolean {
  return code in TRANSPORT_CODES || /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|UND_ERR_)/.test(code);
}

/** True when `err` (or its cause) is a transport failure that `transportError` would describe. */
export function isTransportError(err: unknown): boolean {
  return findCode(err) !== undefined;
}

/**
 * Map what `fetch` / `http.request` threw to VIGIA_ERR_UNREACHABLE naming `url` (its password and
 * query values redacted: the message is printed and may be pasted into a ticket) and why, or return
 * `err` unchanged (a VigiaError already, or a bug that must not be disguised as a network problem).
 * `timeoutMs` is the client's own deadline, named when it fired.
 */
export function transportError(err: unknown, url: string, timeoutMs?: number): unknown {
  if (isVigiaError(err)) return err;
  const found = findCode(err);
  if (!found) return err;
  let why: string;
  if (found.code === 'TimeoutError') why = timeoutMs === undefined ? 'no answer in time' : `no answer within ${Math.round(timeoutMs / 1000)} s`;
  else if (found.code in TRANSPORT_CODES) why = `${TRANSPORT_CODES[found.code]} (${found.code})`;
  else if (found.code === 'FETCH_FAILED') why = oneLine(found.message);
  else why = `TLS: ${oneLine(found.message) || found.code} (${found.code})`;
  return new VigiaError('VIGIA_ERR_UNREACHABLE', `${redactUrl(url)}: ${why}`, { cause: err });
}

/**
 * The error for a non-2xx answer. A catalogued `{"error":{"code","message"}}` keeps the server's code
 * and message (with `what`, e.g. `GET /v1/hosts`, and the status appended); anything else is
 * VIGIA_ERR_BAD_ANSWER with the status and the start of the body.
 */
export function answerError(status: number, body: string, what: string): VigiaError {
  let served: { code?: unknown; message?: unknown } | undefined;
  try {
    served = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  } catch {
    /* not JSON: described below */
  }
  const where = `[${what} answered ${status}]`;
  if (served && typeof served.code === 'string' && Object.hasOwn(ERROR_CATALOG, served.code)) {
    const code = served.code as ErrorCode;
    const spec = ERROR_CATALOG[code].message;
    const text = oneLine(typeof served.message === 'string' ? served.message : '');
    // The server's message is `<catalog text>[: detail]`; keep only the detail so it is not said twice.
    const detail = text === spec ? '' : text.startsWith(`${spec}: `) ? text.slice(spec.length + 2) : text;
    return new VigiaError(code, detail ? `${detail} ${where}` : where);
  }
  if (served && typeof served.code === 'string') {
    return new VigiaError('VIGIA_ERR_BAD_ANSWER', `${where} ${oneLine(served.code).slice(0, 80)}: ${oneLine(String(served.message ?? '')).slice(0, 300)}`);
  }
  const start = oneLine(body).slice(0, 200);
  return new VigiaError('VIGIA_ERR_BAD_ANSWER', `${where} ${start === '' ? '(empty body)' : start}`);
}

/** Parse a 2xx JSON answer; a body that is not JSON is VIGIA_ERR_BAD_ANSWER naming `what`. */
export function parseAnswer<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new VigiaError('VIGIA_ERR_BAD_ANSWER', `[${what}] expected JSON, got ${JSON.stringify(oneLine(text).slice(0, 100))}`);
  }
}

/**
 * Collapse whitespace and C0 controls so a message prints as one line; any other control or format
 * character (C1 such as U+009B CSI, U+202E) is shown escaped (core/sanitise), since a server's
 * message may quote host text.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return sanitiseText(text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim());
}

/**
 * One GET of `url + path` that must answer 200 (`token` sent as a bearer token when given). Throws
 * VIGIA_ERR_UNREACHABLE, the server's catalogued error or VIGIA_ERR_BAD_ANSWER otherwise: a command
 * that is about to send thousands of requests checks first that the server is there and willing.
 */
export async function probeServer(url: string, path: string, token: string | undefined, timeoutMs: number): Promise<void> {
  let status: number;
  let body: string;
  try {
    const res = await fetch(`${url}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
    body = await res.text();
    status = res.status;
  } catch (err) {
    throw transportError(err, url, timeoutMs);
  }
  if (status !== 200) throw answerError(status, body, `GET ${path}`);
}
