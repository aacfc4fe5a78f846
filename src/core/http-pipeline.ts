/**
 * The one request pipeline of every node:http API of Vigía (the agent, the control plane; the web console
 * and the log collector mount their own route files on it the same way). Routes are data: method, name
 * (the metrics label), path pattern, scope, and the handler; they are grouped in mounts, one per audience
 * (operators, agents, report senders...), each with its authenticator. For every request, in this order:
 *
 *  1. draining: 503 + `Connection: close`; a URL over 4,096 bytes: 400;
 *  2. `/healthz` (GET/HEAD, no credentials);
 *  3. the mount that owns the raw path; it authenticates first (default: an unknown path without
 *     credentials is 401, not 404, so routes are not probed) or matches first (`match-first`: 404/405
 *     without a credential lookup, for audiences whose paths are public, e.g. the agent's);
 *     authenticators rate-limit their callers themselves (see `bearerTokenAuthenticator`);
 *  4. percent-decoding (400 when malformed), route match (404), method (405 with `Allow`; HEAD is GET);
 *  5. the route's scope (403 naming it, `WWW-Authenticate: Bearer error="insufficient_scope"`);
 *  6. a `leader` route in a follower process goes to `forwardToLeader` with its body unread (a
 *     declared body over the route's `maxBodyBytes` is refused here first: 413);
 *  7. `Expect: 100-continue` is answered only now, so a refused caller is never invited to send a body;
 *  8. the handler: its return value is the JSON answer, or SENT when it answered itself;
 *  9. any error becomes the catalog's JSON (`errorBody`: unknown errors are a bare 500), with
 *     `Retry-After` where the code has one, `WWW-Authenticate: Bearer` on 401, and `Connection: close`
 *     when the request body was refused unread (413, 415, or any error before a POST body was read);
 *     before it is sent, a refused state-changing request (any method but GET, HEAD, OPTIONS, TRACE)
 *     that reached an authenticator is handed to `onRefusedChange` and awaited: the one place where
 *     every role audits refusals, whatever the path (unmatched ones included) and whoever refused it
 *     (pipeline, scope check or handler). Refusals made before any authenticator ran (draining, a URL
 *     too long, a match-first 404) are not: they cost no rate-limit token, so auditing them would let
 *     anyone write audit lines at line rate.
 * Every answer carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`, and is reported
 * to `onResponse` under its route's name ('unmatched' before a route is known and authenticated).
 * Log lines name a request's path, never its query (`requestPath`): a client that put its token in
 * the URL must not have it copied into logs that more people read than the API.
 *
 * Why node:http and not fastify (the guide's default): the agent's budget is 80 MB resident on hosts that
 * exist to run MySQL, and fastify cost ~19 MB of it (measured when the agent API was built: node alone
 * 39 MB RSS, node + fastify 58 MB; docs/agent-performance.md, "What limits it, and what was done"); this
 * pipeline is one file with no dependency, and the control plane's hot path (ingest) needs none of
 * fastify's features either. Not measured: fastify's throughput on the ingest route.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorBody, VigiaError, type ErrorCode } from './errors.js';
import { matchBearer, type TokenEntry } from './auth.js';
import { requestClientAddress, TrustedProxies } from './client-address.js';
import { addressKey, closeGracefully, createBoundedServer, listenOn, methodNotAllowed, parseSearch, send, sendJson, type ServerBounds, type ServerTls } from './http.js';
import type { Logger } from './log.js';
import type { RateLimiter } from './rate-limit.js';
import { requestPath } from './redact.js';

/** Who made a request, as an authenticator established it. */
export interface Principal {
  /** Which kind of credential (e.g. `operator`, `host`): routes and audit lines tell them apart. */
  readonly kind: string;
  /** For logs, audit lines and rate-limit keys: a token's name, a host's name. */
  readonly name: string;
  /**
   * What it may do (a token's scopes): a route's scope must be among them. Undefined for principals
   * authorised by identity alone (a host token acts only on its own host: the handlers of the routes
   * that accept it check that), which pass a route's scope check.
   */
  readonly scopes?: readonly string[];
}

/**
 * Establish who sent `req`: a principal, or undefined when it carries no valid credential of this kind
 * (the pipeline answers 401). It rate-limits its callers itself and throws `rateLimited()` when over.
 */
export type Authenticate<P extends Principal = Principal> = (req: IncomingMessage, res: ServerResponse, address: string) => P | undefined | Promise<P | undefined>;

/** What a route handler gets. */
export interface RouteContext<P extends Principal = Principal> {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The path pattern's capture groups, percent-decoded. */
  readonly params: readonly string[];
  /** The query string (a repeated key is an array, which strict schemas refuse). */
  readonly query: Record<string, string | string[]>;
  readonly principal: P;
  /** The caller's address (rate-limit keys, audit): behind a trusted proxy, the client's (client-address.ts). */
  readonly address: string;
  /** True for HEAD (answer without a body). */
  readonly head: boolean;
  /** True once the server is draining (long waits should end). */
  isClosing(): boolean;
}

/** A handler's answer: a JSON value, or SENT when it wrote the answer itself. */
export const SENT: unique symbol = Symbol('sent');

/** One route, as data. */
export interface Route<P extends Principal = Principal> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Stable name for metrics and logs (the pattern as documented, e.g. `/v1/runs/:id`). */
  readonly name: string;
  /** Anchored pattern on the percent-decoded path; capture groups become `params`. */
  readonly path: RegExp;
  /** Scope the principal needs (see Principal.scopes). */
  readonly scope?: string;
  /** This route's own authenticator (only in a `match-first` mount): e.g. one that accepts two kinds of credential. */
  readonly authenticate?: Authenticate<P>;
  /** Served by the leader process only: in a follower, the pipeline hands the request to `forwardToLeader`. */
  readonly leader?: boolean;
  /**
   * The most body bytes the handler reads. A follower refuses a larger declared body itself (413)
   * before forwarding: the leader would refuse it after a few bytes and close the connection, which
   * the follower, still uploading, could only report as a leader that did not answer.
   */
  readonly maxBodyBytes?: number;
  /** Method syntax on purpose: a mount of host routes is a Mount of any Principal (the pipeline hands each route only what its authenticator made). */
  handler(ctx: RouteContext<P>): Promise<unknown>;
}

/** The routes of one audience, behind one authenticator. */
export interface Mount<P extends Principal = Principal> {
  /** The audience (`operator`, `agent`, `ingest`...), for logs. */
  readonly name: string;
  /** Whether this mount answers a raw path (first mount that does wins; the last should own every path). */
  readonly owns: (rawPath: string) => boolean;
  readonly authenticate: Authenticate<P>;
  /** Logged with a refused request: "request without a valid <credential> token". */
  readonly credential: string;
  /** `authenticate-first` (default) or `match-first`: see the file comment. */
  readonly order?: 'authenticate-first' | 'match-first';
  /** False: refusals here are not handed to `onRefusedChange` (the mount says why; default true). */
  readonly auditRefusals?: boolean;
  readonly routes: readonly Route<P>[];
}

/** What the pipeline tells its owner about a refused or failed request, before answering. */
export interface RequestFailure {
  readonly req: IncomingMessage;
  readonly route: string;
  /** Undefined when the request was refused before it was authenticated. */
  readonly principal: Principal | undefined;
  readonly address: string;
  readonly status: number;
  readonly code: ErrorCode;
  readonly err: unknown;
}

/** A refused state-changing request, as the pipeline hands it to `onRefusedChange` (see the file comment). */
export interface RefusedChange {
  readonly req: IncomingMessage;
  readonly method: string;
  /** The path as sent (still percent-encoded), without the query (which may hold secrets), at most 200 characters. */
  readonly path: string;
  /** The route's name, or 'unmatched'. */
  readonly route: string;
  /** Who sent it; undefined when the authenticator refused it (401, or 429 before a token was looked at). */
  readonly principal: Principal | undefined;
  readonly address: string;
  readonly status: number;
  readonly code: ErrorCode;
}

/** Methods that change nothing (RFC 9110 9.2.1): their refusals are not audited. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
/** Most characters of a path handed to logs and audits. */
const MAX_LOGGED_PATH = 200;

/** How a pipeline behaves. */
export interface PipelineOptions {
  /** First mount that owns a path answers it. */
  readonly mounts: readonly Mount[];
  readonly log: Logger;
  /** Observes each answered request (route name, status, seconds). */
  readonly onResponse?: (route: string, status: number, seconds: number) => void;
  /** Called for every error answer (per-route counters, extra logging). */
  readonly onFailure?: (failure: RequestFailure) => void;
  /**
   * Audits a refused state-changing request (see the file comment); awaited before the answer is
   * sent, so an answered refusal is on record. It should not throw (an error is logged, never answered).
   */
  readonly onRefusedChange?: (refusal: RefusedChange) => void | Promise<void>;
  /**
   * Answer `Retry-After` of catalogued errors between the code's seconds and twice that, at random,
   * so clients refused together (overload, database down) do not come back together.
   */
  readonly spreadRetryAfter?: boolean;
  /**
   * In a follower process: stream a `leader` route's request (authenticated, scope-checked, body
   * unread) to the leader and its answer back. Absent in a single process and in the leader.
   */
  readonly forwardToLeader?: (req: IncomingMessage, res: ServerResponse, address: string) => void | Promise<void>;
  /**
   * Peers whose PROXY header or X-Forwarded-For names the client (createPipelineServer passes its
   * bounds' `trustedProxies`); default none: the client is the peer.
   */
  readonly trustedProxies?: TrustedProxies;
}

/** An HTTP server running a pipeline, not yet listening. */
export interface PipelineServer {
  readonly server: Server;
  /** Listen; resolves with the bound address (port 0 picks a free one). */
  listen(host: string, port: number): Promise<AddressInfo>;
  /**
   * Stop accepting, answer 503 with `Connection: close` to requests on kept-alive connections, wait
   * for in-flight ones up to `graceMs` (default 5 s), then close every connection.
   */
  close(graceMs?: number): Promise<void>;
  /** True once close() was called (long waits end, new requests get 503). */
  isClosing(): boolean;
}

const MAX_URL = 4096;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const EXPECTS_CONTINUE = new WeakSet<IncomingMessage>();

/** The error an authenticator throws for a caller over its rate limit (429 with this Retry-After). */
export function rateLimited(res: ServerResponse, retryAfterSeconds: number): VigiaError {
  res.setHeader('retry-after', String(retryAfterSeconds));
  return new VigiaError('VIGIA_ERR_RATE_LIMITED');
}

/** A principal holding a token from a token file. */
export interface TokenPrincipal extends Principal {
  readonly scopes: readonly string[];
}

/**
 * Bearer tokens from a token file (operator tokens of the control plane, the agent's tokens). Each
 * request takes one token from the limiter's bucket `token:<name>`, or `addr:<address>` when it carries
 * no valid token, before it is refused: guessing tokens is as slow as any other flood.
 */
export function bearerTokenAuthenticator<K extends string>(tokens: readonly TokenEntry[], limiter: RateLimiter, kind: K): Authenticate<TokenPrincipal & { readonly kind: K }> {
  return (req, res, address) => {
    const entry = matchBearer(tokens, req.headers.authorization);
    const d = limiter.take(entry ? `token:${entry.name}` : `addr:${addressKey(address)}`);
    if (!d.allowed) throw rateLimited(res, d.retryAfterSeconds);
    return entry ? { kind, name: entry.name, scopes: entry.scopes } : undefined;
  };
}

/** Build a node:http(s) server whose every request goes through the pipeline. */
export function createPipelineServer(bounds: ServerBounds, tls: ServerTls | undefined, options: PipelineOptions): PipelineServer {
  let closing = false;
  const isClosing = (): boolean => closing;
  const trustedProxies = bounds.trustedProxies ?? TrustedProxies.none;
  const handle = createPipeline({ ...options, trustedProxies }, isClosing, () => server.closeIdleConnections());
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => void handle(req, res);
  const server = createBoundedServer(
    { ...bounds, onProxyRefused: bounds.onProxyRefused ?? (({ peer, reason }) => options.log.warn({ ip: peer, reason }, 'closed a connection from a trusted proxy: bad PROXY header')) },
    tls,
    onRequest,
  );
  // `Expect: 100-continue`: "continue" is sent only once the request has passed authentication, route
  // and scope (just before its handler runs); a refused caller gets its error without sending the body.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    EXPECTS_CONTINUE.add(req);
    onRequest(req, res);
  });
  return {
    server,
    listen: (host, port) => listenOn(server, host, port),
    // Requests still running after the grace (a client that keeps its socket busy) are cut off.
    close: (graceMs = 5000) => closeGracefully(server, graceMs, () => (closing = true)),
    isClosing,
  };
}

/**
 * The pipeline as a request handler (createPipelineServer wires it; exported for servers that need their
 * own node:http setup). `onClosingAnswer` runs after each answer sent while draining.
 */
export function createPipeline(options: PipelineOptions, isClosing: () => boolean, onClosingAnswer: () => void): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { log } = options;
  const trusted = options.trustedProxies ?? TrustedProxies.none;
  return async (req, res) => {
    const t0 = performance.now();
    let routeName = 'unmatched';
    let principal: Principal | undefined;
    /** Whether an authenticator ran (and charged the caller a rate-limit token): see onRefusedChange. */
    let authenticatorRan = false;
    let mountAudits = true;
    const url = req.url ?? '/';
    const qAt = url.indexOf('?');
    const rawPath = qAt === -1 ? url : url.slice(0, qAt);
    res.once('finish', () => options.onResponse?.(routeName, res.statusCode, (performance.now() - t0) / 1000));
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    const address = requestClientAddress(req, trusted);
    const closing = isClosing();
    if (closing) {
      // Draining: no keep-alive, so clients reconnect to a live instance and shutdown is not held up.
      res.setHeader('connection', 'close');
      res.once('finish', onClosingAnswer);
    }
    try {
      if (closing) throw new VigiaError('VIGIA_ERR_SHUTTING_DOWN');
      if (url.length > MAX_URL) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'URL too long');
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      if (rawPath === '/healthz') {
        routeName = '/healthz';
        if (method !== 'GET') throw methodNotAllowed(res, 'GET, HEAD');
        return sendJson(res, 200, { status: 'ok' }, req.method === 'HEAD');
      }
      const mount = options.mounts.find((m) => m.owns(rawPath));
      if (!mount) throw new VigiaError('VIGIA_ERR_NOT_FOUND');
      mountAudits = mount.auditRefusals !== false;
      const authenticate = async (fn: Authenticate<Principal>): Promise<Principal> => {
        authenticatorRan = true;
        const p = await fn(req, res, address);
        if (!p) {
          log.warn({ ip: address, method: req.method, path: requestPath(rawPath) }, `request without a valid ${mount.credential} token`);
          throw new VigiaError('VIGIA_ERR_UNAUTHORIZED');
        }
        return p;
      };
      const matchFirst = mount.order === 'match-first';
      if (!matchFirst) principal = await authenticate(mount.authenticate);
      let path: string;
      try {
        path = decodeURIComponent(rawPath);
      } catch {
        throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'malformed percent-encoding in the path');
      }
      const candidates = mount.routes.filter((r) => r.path.test(path));
      if (candidates.length === 0) throw new VigiaError('VIGIA_ERR_NOT_FOUND');
      const route = candidates.find((r) => r.method === method);
      if (!route) throw methodNotAllowed(res, candidates.map((r) => (r.method === 'GET' ? 'GET, HEAD' : r.method)).join(', '));
      routeName = route.name;
      principal ??= await authenticate(route.authenticate ?? mount.authenticate);
      if (route.scope !== undefined && principal.scopes !== undefined && !principal.scopes.includes(route.scope)) {
        log.warn({ client: principal.name, path: requestPath(rawPath), need: route.scope }, 'token lacks scope');
        res.setHeader('www-authenticate', `Bearer error="insufficient_scope", scope="${route.scope}"`);
        throw new VigiaError('VIGIA_ERR_FORBIDDEN', `this endpoint needs scope "${route.scope}"`);
      }
      const forward = route.leader ? options.forwardToLeader : undefined;
      if (forward && route.maxBodyBytes !== undefined && Number(req.headers['content-length'] ?? 0) > route.maxBodyBytes) throw new VigiaError('VIGIA_ERR_BODY_TOO_LARGE');
      if (EXPECTS_CONTINUE.has(req)) res.writeContinue();
      if (forward) return void (await forward(req, res, address));
      const params = route.path.exec(path)!.slice(1);
      const query = parseSearch(qAt === -1 ? '' : url.slice(qAt + 1));
      const head = req.method === 'HEAD';
      const result = await route.handler({ req, res, params, query, principal, address, head, isClosing });
      if (result !== SENT) sendJson(res, 200, result, head);
    } catch (err) {
      if (!(err instanceof VigiaError)) log.error({ err, path: requestPath(req.url) }, 'request failed');
      const { status, body, retryAfterSeconds } = errorBody(err);
      const code: ErrorCode = err instanceof VigiaError ? err.code : 'VIGIA_ERR_INTERNAL';
      options.onFailure?.({ req, route: routeName, principal, address, status, code, err });
      if (options.onRefusedChange && authenticatorRan && mountAudits && !SAFE_METHODS.has(req.method ?? 'GET')) {
        try {
          await options.onRefusedChange({ req, method: req.method ?? '?', path: rawPath.slice(0, MAX_LOGGED_PATH), route: routeName, principal, address, status, code });
        } catch (auditErr) {
          log.error({ err: auditErr, method: req.method, path: rawPath.slice(0, MAX_LOGGED_PATH), status, code }, 'audit of a refused request failed');
        }
      }
      if (res.headersSent) return void res.destroy();
      if (retryAfterSeconds !== undefined && !res.hasHeader('retry-after')) {
        const seconds = options.spreadRetryAfter ? retryAfterSeconds + Math.floor(Math.random() * (retryAfterSeconds + 1)) : retryAfterSeconds;
        res.setHeader('retry-after', String(seconds));
      }
      if (status === 401) res.setHeader('www-authenticate', 'Bearer');
      // A refused body is never read to its end: close the connection rather than drain it.
      const close = status === 413 || status === 415 || (BODY_METHODS.has(req.method ?? '') && !req.readableEnded);
      send(res, status, 'application/json; charset=utf-8', body, false, close);
    }
  };
}
