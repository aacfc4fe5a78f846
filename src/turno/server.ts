/**
 * The turno HTTP server: `GET /turno/:id` plus /healthz, /readyz and /metrics. Built on node:http
 * because this is the hot path: its throughput is measured as a ratio of a bare node:http server in
 * docs/turno-scalability.md (a framework's routing and hooks would only add to the gap). The factory
 * wires dependencies and does not listen.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import type { Authenticator } from '../core/auth.js';
import type { RequestTracer } from '../core/tracing.js';
import { VigiaError, errorBody } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { idProblem } from './id.js';
import type { TurnoMetrics } from './metrics.js';
import type { TurnoStore } from './store.js';

/** What the server needs. */
export interface TurnoServerDeps {
  readonly store: TurnoStore;
  readonly registry: Registry;
  readonly metrics: TurnoMetrics;
  readonly log: Logger;
  /** When set, every route but /healthz and /readyz requires a valid bearer token. */
  readonly authenticate?: Authenticator;
  /** When set (OTLP env configured), every GET /turno/:id gets a server span. */
  readonly tracer?: RequestTracer;
  /** Serve /metrics from here instead of the local registry (cluster mode aggregates in the primary). */
  readonly metricsText?: () => Promise<string>;
  /** Per-request limits. */
  readonly limits?: { readonly requestTimeoutMs?: number; readonly headersTimeoutMs?: number; readonly keepAliveTimeoutMs?: number; readonly maxConnections?: number };
}

/** The server plus a drain hook for shutdown. */
export interface TurnoServer {
  readonly server: Server;
  /** Stop accepting, close idle keep-alive sockets, and resolve when in-flight requests finished. */
  drain(): Promise<void>;
}

const JSON_TYPE = 'application/json';
const ROUTE_PREFIX = '/turno/';

/** Create (but do not start) the turno HTTP server. */
export function createTurnoServer(deps: TurnoServerDeps): TurnoServer {
  const { store, metrics, authenticate } = deps;
  const limits = deps.limits ?? {};
  let draining = false;

  // Label children resolved once: the hot path must not look them up per request.
  const turnoDuration = metrics.duration.labels('turno');
  const issued = metrics.issued.labels(store.kind);
  const ok200 = metrics.requests.labels('turno', '200');

  const send = (res: ServerResponse, status: number, body: string, extra?: readonly string[]): void => {
    const headers = ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body)), 'cache-control', 'no-store'];
    if (extra) headers.push(...extra);
    if (draining) headers.push('connection', 'close');
    res.writeHead(status, headers);
    res.end(body);
  };

  const sendError = (res: ServerResponse, route: string, err: unknown, extra?: readonly string[]): void => {
    const { status, body, retryAfterSeconds } = errorBody(err);
    const headers = extra ? [...extra] : [];
    if (retryAfterSeconds !== undefined) headers.push('retry-after', String(retryAfterSeconds));
    metrics.requests.labels(route, String(status)).inc();
    send(res, status, body, headers);
  };

  const handleTurno = (req: IncomingMessage, res: ServerResponse, id: string, start: number): void => {
    const problem = idProblem(id);
    if (problem !== undefined) return sendError(res, 'turno', new VigiaError('TURNO_ERR_INVALID_ID', problem));
    if (req.method !== 'GET') return sendError(res, 'turno', new VigiaError('VIGIA_ERR_METHOD_NOT_ALLOWED', 'use GET'), ['allow', 'GET']);
    const span = deps.tracer?.startServerSpan('GET /turno/:id', req.headers, { 'http.request.method': 'GET', 'http.route': '/turno/:id', 'turno.id': id, 'turno.store': store.kind });
    store.next(id).then(
      (n) => {
        issued.inc();
        ok200.inc();
        send(res, 200, '{"id":"' + id + '","turno":' + n + '}');
        turnoDuration.observe((performance.now() - start) / 1000);
        if (span) {
          span.setAttributes({ 'http.response.status_code': 200, 'turno.value': n });
          span.end();
        }
      },
      (err: unknown) => {
        const code = err instanceof VigiaError ? err.code : 'VIGIA_ERR_INTERNAL';
        if (code !== 'TURNO_ERR_COUNTER_EXHAUSTED') metrics.storeErrors.labels(store.kind, code).inc();
        if (code === 'VIGIA_ERR_INTERNAL') deps.log.error({ err, id }, 'store failed');
        sendError(res, 'turno', err);
        turnoDuration.observe((performance.now() - start) / 1000);
        if (span) {
          span.setAttributes({ 'http.response.status_code': res.statusCode, 'error.type': code });
          if (res.statusCode >= 500) span.setStatus({ code: 2, message: code }); // SpanStatusCode.ERROR
          span.end();
        }
      },
    );
  };

  const handleAdmin = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const route = path.slice(1);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(res, route, new VigiaError('VIGIA_ERR_METHOD_NOT_ALLOWED', 'use GET'), ['allow', 'GET, HEAD']);
    }
    if (path === '/healthz') {
      metrics.requests.labels(route, '200').inc();
      return send(res, 200, '{"status":"ok"}');
    }
    if (path === '/readyz') {
      if (draining) return sendError(res, route, new VigiaError('VIGIA_ERR_SHUTTING_DOWN'));
      try {
        await withTimeout(store.ping(), 1000);
      } catch (err) {
        return sendError(res, route, err instanceof VigiaError ? err : new VigiaError('TURNO_ERR_STORE_UNAVAILABLE', undefined, { cause: err }));
      }
      metrics.requests.labels(route, '200').inc();
      return send(res, 200, JSON.stringify({ status: 'ready', store: store.description }));
    }
    // /metrics
    if (authenticate && !authenticate(req.headers.authorization)) return unauthorized(res, route);
    const text = deps.metricsText ? await deps.metricsText() : await deps.registry.metrics();
    metrics.requests.labels(route, '200').inc();
    res.writeHead(200, { 'content-type': deps.registry.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const unauthorized = (res: ServerResponse, route: string): void =>
    sendError(res, route, new VigiaError('VIGIA_ERR_UNAUTHORIZED'), ['www-authenticate', 'Bearer realm="vigia"']);

  const headersTimeout = limits.headersTimeoutMs ?? 5_000;
  // Node checks both timeouts only every connectionsCheckingInterval (default 30 s), so a slow client
  // would otherwise hold a socket up to 30 s past headersTimeout.
  const connectionsCheckingInterval = Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 2)));
  const server = createServer({ requestTimeout: limits.requestTimeoutMs ?? 10_000, headersTimeout, connectionsCheckingInterval, keepAliveTimeout: limits.keepAliveTimeoutMs ?? 65_000, maxHeaderSize: 8192 }, (req, res) => {
    const start = performance.now();
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path.startsWith(ROUTE_PREFIX)) {
      if (authenticate && !authenticate(req.headers.authorization)) return unauthorized(res, 'turno');
      return handleTurno(req, res, path.slice(ROUTE_PREFIX.length), start);
    }
    if (path === '/healthz' || path === '/readyz' || path === '/metrics') {
      handleAdmin(req, res, path).catch((err: unknown) => {
        deps.log.error({ err }, 'admin route failed');
        if (!res.headersSent) sendError(res, 'other', err);
      });
      return;
    }
    sendError(res, 'other', new VigiaError('VIGIA_ERR_NOT_FOUND', 'try GET /turno/:id'));
  });
  server.maxConnections = limits.maxConnections ?? 20_000;
  // A client that half-closes after its last request (`printf ... | nc -N`) must still get the answers
  // for requests already counted; node's default ends the socket at once and drops them.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  const failedSockets = new WeakSet<object>();
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (failedSockets.has(socket)) return; // node reports the same broken parser again on more data
    failedSockets.add(socket);
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    const body = '{"error":{"code":"VIGIA_ERR_BAD_REQUEST","message":"malformed request"}}';
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    const answer = (): void => {
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
      else socket.destroy();
    };
    // Pipelined requests parsed before the bad bytes may still be in flight (and already counted):
    // answer them first, or the client reads this error as their answer. `_httpMessage` is node's
    // response now owning the socket; when it finishes node hands the socket to the next queued one.
    const afterInFlight = (): void => {
      const current = (socket as typeof socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (current) current.once('finish', afterInFlight);
      else answer();
    };
    afterInFlight();
  });

  return {
    server,
    drain: () =>
      new Promise<void>((resolve) => {
        draining = true;
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new VigiaError('TURNO_ERR_STORE_UNAVAILABLE', `no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
