/**
 * The one error catalog of Vigía. Every error a user can see has a stable code, an HTTP status and a
 * message template; docs/errors.md lists them all and a test keeps the two in sync.
 */

/** Everything the catalog knows about one error code. */
export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
  /** When set, HTTP answers carry `Retry-After: <seconds>`. */
  readonly retryAfterSeconds?: number;
}

/**
 * The catalog: stable code -> spec, grouped by role, one prefix per role (ERROR_PREFIXES, in this order;
 * docs/errors.md has one section per prefix). Codes never change meaning once released.
 */
export const ERROR_CATALOG = {
  // Every role: HTTP, auth, configuration, clients (VIGIA_ERR_*).
  VIGIA_ERR_INTERNAL: { status: 500, message: 'internal error' },
  VIGIA_ERR_CONFIG: { status: 500, message: 'invalid configuration' },
  VIGIA_ERR_UNSAFE_PATH: { status: 500, message: 'refusing a directory or file that other users can change' },
  VIGIA_ERR_NOT_FOUND: { status: 404, message: 'no such endpoint' },
  VIGIA_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'method not allowed' },
  VIGIA_ERR_UNAUTHORIZED: { status: 401, message: 'missing or invalid bearer token' },
  VIGIA_ERR_BAD_REQUEST: { status: 400, message: 'malformed request' },
  VIGIA_ERR_SHUTTING_DOWN: { status: 503, message: 'server is shutting down', retryAfterSeconds: 1 },
  VIGIA_ERR_FORBIDDEN: { status: 403, message: 'token lacks the scope this endpoint needs' },
  VIGIA_ERR_RATE_LIMITED: { status: 429, message: 'too many requests from this client', retryAfterSeconds: 1 },
  VIGIA_ERR_BODY_TOO_LARGE: { status: 413, message: 'request body too large' },
  VIGIA_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'request body must be application/json' },
  VIGIA_ERR_REQUEST_TIMEOUT: { status: 408, message: 'request not received in time' },
  VIGIA_ERR_UNREACHABLE: { status: 502, message: 'cannot reach the server' },
  VIGIA_ERR_BAD_ANSWER: { status: 502, message: 'the server answered something this client does not understand' },
  VIGIA_ERR_PORT_IN_USE: { status: 500, message: 'a port this command needs is taken' },
  VIGIA_ERR_UP_FAILED: { status: 500, message: 'a part of vigia up could not start or stopped' },
  // vigia turno (TURNO_ERR_*).
  TURNO_ERR_INVALID_ID: { status: 400, message: 'invalid id' },
  TURNO_ERR_COUNTER_EXHAUSTED: { status: 409, message: 'counter reached Number.MAX_SAFE_INTEGER; no exact next number exists' },
  TURNO_ERR_STORE_UNAVAILABLE: { status: 503, message: 'counter store unavailable', retryAfterSeconds: 1 },
  TURNO_ERR_REPLICATION_TIMEOUT: { status: 503, message: 'no replica confirmed the increment in time; the number was not handed out', retryAfterSeconds: 1 },
  TURNO_ERR_STORE_LOCKED: { status: 500, message: 'file store is locked by another process' },
  TURNO_ERR_STORE_CORRUPT: { status: 500, message: 'file store journal is corrupt' },
  TURNO_ERR_SHARD_TOPOLOGY: { status: 500, message: 'Redis shard list differs from the one these shards were initialised with' },
  // vigia agent (AGENT_ERR_*).
  AGENT_ERR_UNKNOWN_DEVICE: { status: 404, message: 'no such device or mountpoint' },
  AGENT_ERR_INVALID_QUERY: { status: 400, message: 'invalid query parameter' },
  AGENT_ERR_UNKNOWN_ACTION: { status: 404, message: 'no such action' },
  AGENT_ERR_INVALID_PARAMS: { status: 400, message: 'invalid action parameters' },
  AGENT_ERR_ACTION_BUSY: { status: 429, message: 'action is already running at its concurrency limit', retryAfterSeconds: 1 },
  AGENT_ERR_UNKNOWN_RUN: { status: 404, message: 'no such action run' },
  AGENT_ERR_ACTION_MANIFEST: { status: 500, message: 'invalid action manifest' },
  // vigia server, report, simulate, rollout, run (CONTROL_ERR_*).
  CONTROL_ERR_INVALID_REPORT: { status: 422, message: 'report does not match the host report schema' },
  CONTROL_ERR_HOST_MISMATCH: { status: 403, message: 'report names a different host than the one its token was issued to' },
  CONTROL_ERR_CLOCK_SKEW: { status: 422, message: 'report sampled_at is too far in the future; fix the host clock' },
  CONTROL_ERR_STORE_UNAVAILABLE: { status: 503, message: 'control-plane database unavailable', retryAfterSeconds: 5 },
  CONTROL_ERR_STORE_LOCKED: { status: 500, message: 'embedded store is in use by another process' },
  CONTROL_ERR_SCHEMA_TOO_NEW: { status: 500, message: 'database schema is newer than this vigia build' },
  CONTROL_ERR_UNKNOWN_HOST: { status: 404, message: 'no such host' },
  CONTROL_ERR_INVALID_DAY: { status: 400, message: 'invalid day' },
  CONTROL_ERR_EMAIL_FAILED: { status: 502, message: 'email could not be delivered' },
  CONTROL_ERR_OVERLOADED: { status: 503, message: 'the control plane is overloaded; retry later', retryAfterSeconds: 2 },
  CONTROL_ERR_RELEASE_CONFLICT: { status: 409, message: 'release number already taken; publish again' },
  CONTROL_ERR_ROLLOUT_STATE: { status: 409, message: 'the rollout cannot do that in its current state' },
  CONTROL_ERR_NO_ROLLOUT: { status: 404, message: 'no such rollout' },
  CONTROL_ERR_UNKNOWN_RUN: { status: 404, message: 'no such fleet run' },
  CONTROL_ERR_NO_TARGETS: { status: 422, message: 'the selection matches no enrolled host' },
  CONTROL_ERR_NO_LEADER: { status: 503, message: 'no control-plane leader is reachable; retry shortly', retryAfterSeconds: 2 },
  CONTROL_ERR_CSRF: { status: 403, message: 'refused: the request did not come from a console page of this session' },
  CONTROL_ERR_LOGIN_FAILED: { status: 401, message: 'sign-in refused' },
  CONTROL_ERR_LOGIN_LINK: { status: 401, message: 'this login link is unknown, already used or expired; ask for a new one' },
  CONTROL_ERR_SLO_REPORT: { status: 502, message: 'the SLO report could not be built' },
  // Signed check bundles (BUNDLE_ERR_*): the contract of core/contracts/bundle.ts, raised by the
  // control plane when a release is published and by the agent when it installs one.
  BUNDLE_ERR_INVALID: { status: 422, message: 'the bundle is invalid' },
  BUNDLE_ERR_SIGNATURE: { status: 422, message: 'the release signature does not verify' },
  BUNDLE_ERR_REJECTED: { status: 409, message: 'the release was refused' },
  // vigia slo (SLO_ERR_*).
  SLO_ERR_SOURCE_UNAVAILABLE: { status: 502, message: 'an SLO data source could not be read' },
  // vigia logs (LOGS_ERR_*).
  LOGS_ERR_INVALID_RECORD: { status: 500, message: 'an access record does not have the AccessRecord shape; nothing of its batch was stored' },
  LOGS_ERR_STORE_LOCKED: { status: 500, message: 'the embedded log store is in use by another process' },
  LOGS_ERR_STORE_URL: { status: 400, message: 'unsupported log store URL' },
  LOGS_ERR_ENGINE_MISSING: { status: 500, message: 'the log store engine is not installed here' },
  LOGS_ERR_CLICKHOUSE_UNREACHABLE: { status: 503, message: 'the ClickHouse server cannot be reached', retryAfterSeconds: 5 },
  LOGS_ERR_CLICKHOUSE_AUTH: { status: 502, message: 'the ClickHouse server refused the credentials' },
  LOGS_ERR_CLICKHOUSE_QUERY: { status: 502, message: 'the ClickHouse server refused a statement' },
  LOGS_ERR_CLICKHOUSE_ANSWER: { status: 502, message: 'the ClickHouse server answered something the log store cannot use' },
  LOGS_ERR_READ_FAILED: { status: 422, message: 'a log file could not be read' },
  LOGS_ERR_BAD_BATCH: { status: 400, message: 'the log batch does not follow the shipper protocol' },
  LOGS_ERR_OVERLOADED: { status: 503, message: 'the log collector is behind its store; retry later', retryAfterSeconds: 2 },
  LOGS_ERR_CONTROL_UNAVAILABLE: { status: 503, message: 'the control plane could not confirm the shipper token; retry later', retryAfterSeconds: 5 },
  LOGS_ERR_FORMAT: { status: 400, message: 'invalid log format' },
} as const satisfies Record<string, ErrorSpec>;

/** The prefix of each role's codes, in catalog order. */
export const ERROR_PREFIXES = ['VIGIA', 'TURNO', 'AGENT', 'CONTROL', 'BUNDLE', 'SLO', 'LOGS'] as const;

/** A stable error code from the catalog. */
export type ErrorCode = keyof typeof ERROR_CATALOG;

/** An error with a stable code, an optional detail for the user and an optional cause (never shown). */
export class VigiaError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const spec: ErrorSpec = ERROR_CATALOG[code];
    super(detail ? `${spec.message}: ${detail}` : spec.message, options);
    this.name = 'VigiaError';
    this.code = code;
    this.status = spec.status;
    this.retryAfterSeconds = spec.retryAfterSeconds;
  }
}

/** True when `err` is a catalogued error with the given code (or any code when omitted). */
export function isVigiaError(err: unknown, code?: ErrorCode): err is VigiaError {
  return err instanceof VigiaError && (code === undefined || err.code === code);
}

/** The JSON body of an error answer: `{"error": {"code", "message"}}`. Unknown errors reveal nothing. */
export function errorBody(err: unknown): { status: number; body: string; retryAfterSeconds: number | undefined } {
  const e = err instanceof VigiaError ? err : new VigiaError('VIGIA_ERR_INTERNAL');
  return {
    status: e.status,
    body: JSON.stringify({ error: { code: e.code, message: e.message } }),
    retryAfterSeconds: e.retryAfterSeconds,
  };
}
