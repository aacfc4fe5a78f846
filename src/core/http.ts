/**
 * Small pieces every node:http API of Vigía shares (agent, control plane): bounded JSON bodies, strict
 * query parsing, whole answers with Content-Length, per-address connection caps and rate-limit keys.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { z } from 'zod';
import { acceptClients, TrustedProxies, type ProxyRefusal } from './client-address.js';
import { jsonShapeProblem, type JsonShape } from './contracts/json-shape.js';
import { VigiaError, type ErrorCode } from './errors.js';

/** TLS material of a server; with `ca`, client certificates are required and verified (mTLS). */
export interface ServerTls {
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly ca?: Buffer;
}

/** Bounds every Vigía API server applies to its connections. */
export interface ServerBounds {
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  /** Per client address (see client-address.ts: behind a trusted proxy, the address it vouches for). */
  readonly maxConnectionsPerAddress: number;
  /** Peers whose PROXY header or X-Forwarded-For names the client (default: none). */
  readonly trustedProxies?: TrustedProxies;
  /** A trusted proxy's connection was closed for a malformed PROXY header (for a log line). */
  readonly onProxyRefused?: (refusal: ProxyRefusal) => void;
}

/**
 * A node:http(s) server with Vigía's bounds: whole request within requestTimeoutMs (checked at least
 * every second: Node checks only every 30 s by default, so a slow client could hold a socket far past
 * the timeout), TLS 1.2+ with a handshake deadline (a silent TCP connection must not wait out Node's
 * 120 s default), 64 headers, connection caps in all and per client address (counted as each
 * connection is accepted, before any TLS handshake: half-open handshakes count too).
 */
export function createBoundedServer(bounds: ServerBounds, tls: ServerTls | undefined, onRequest: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const timeouts = {
    requestTimeout: bounds.requestTimeoutMs,
    headersTimeout: bounds.requestTimeoutMs,
    keepAliveTimeout: bounds.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(bounds.requestTimeoutMs / 2))),
  };
  const server: Server = tls
    ? createHttpsServer(
        {
          key: tls.key,
          cert: tls.cert,
          minVersion: 'TLSv1.2',
          ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
          handshakeTimeout: bounds.requestTimeoutMs,
          ...timeouts,
        },
        onRequest,
      )
    : createHttpServer(timeouts, onRequest);
  server.maxHeadersCount = 64;
  server.headersTimeout = bounds.requestTimeoutMs;
  server.maxConnections = bounds.maxConnections;
  acceptClients(server, {
    trusted: bounds.trustedProxies ?? TrustedProxies.none,
    headerTimeoutMs: bounds.requestTimeoutMs,
    tls: Boolean(tls),
    admit: connectionCap(bounds.maxConnectionsPerAddress),
    ...(bounds.onProxyRefused ? { onProxyRefused: bounds.onProxyRefused } : {}),
  });
  return server;
}

/** Listen on host:port; resolves with the bound address (port 0 picks a free one). */
export function listenOn(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Stop accepting, let in-flight requests finish (idle kept-alive connections close now), then cut
 * whatever is still open after graceMs. `markClosing` runs first, so handlers answer 503 meanwhile.
 */
export function closeGracefully(server: Server, graceMs: number, markClosing: () => void): Promise<void> {
  return new Promise((resolve) => {
    markClosing();
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), graceMs).unref();
  });
}

/**
 * Admit at most `max` open connections per client address (IPv6 by /64), so a few hundred half-open
 * sockets from one client cannot lock everyone else out.
 */
export function connectionCap(max: number): (socket: Socket, client: string) => boolean {
  const perAddress = new Map<string, number>();
  return (socket, client) => {
    const key = addressKey(client);
    const n = (perAddress.get(key) ?? 0) + 1;
    if (n > max) return false;
    perAddress.set(key, n);
    socket.once('close', () => {
      const left = (perAddress.get(key) ?? 1) - 1;
      if (left <= 0) perAddress.delete(key);
      else perAddress.set(key, left);
    });
    return true;
  };
}

/** Rate-limit and connection-count key of an address: IPv6 by /64 (one host usually owns a whole /64). */
export function addressKey(address: string): string {
  if (!address.includes(':') || address.startsWith('::ffff:')) return address.replace(/^::ffff:/, '');
  const full = expandIpv6(address);
  return full ? `${full.slice(0, 4).join(':')}::/64` : address;
}

function expandIpv6(address: string): string[] | undefined {
  const [head, tail, extra] = address.split('::');
  if (extra !== undefined) return undefined;
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const missing = 8 - h.length - t.length;
  if (tail === undefined ? h.length !== 8 : missing < 0) return undefined;
  return [...h, ...Array.from({ length: tail === undefined ? 0 : missing }, () => '0'), ...t].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}

/** Set Allow and return the 405 error to throw. */
export function methodNotAllowed(res: ServerResponse, allow: string): VigiaError {
  res.setHeader('allow', allow);
  return new VigiaError('VIGIA_ERR_METHOD_NOT_ALLOWED');
}

/** Send a whole answer with Content-Length (and `Connection: close` when asked). */
export function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headOnly = false, close = false): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.setHeader('content-length', buf.length);
  if (close) res.setHeader('connection', 'close');
  res.end(headOnly ? undefined : buf);
}

/** Send a JSON answer. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headOnly = false, close = false): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), headOnly, close);
}

/** Query string to an object; a repeated key becomes an array (which the schemas refuse). */
export function parseSearch(search: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  if (search === '') return out;
  for (const [k, v] of new URLSearchParams(search)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** Validate a query object; unknown or bad parameters are `code` (a 400) naming the parameter. */
export function validateQuery<S extends z.ZodTypeAny>(schema: S, query: Record<string, string | string[]>, code: ErrorCode): z.output<S> {
  const r = schema.safeParse({ ...query });
  if (!r.success) {
    const i = r.error.issues[0]!;
    const param = i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(',') : 'query');
    throw new VigiaError(code, `${param.slice(0, 100)}: ${i.message}`);
  }
  return r.data;
}

/** Bounds on a gzip request body while it is inflated (see readJsonBody's `inflate`). */
export interface InflateLimits {
  /** Most bytes once inflated. */
  readonly maxBytes: number;
  /** Most inflated bytes per compressed byte (checked as it inflates, once over `ratioFloorBytes`). */
  readonly maxRatio: number;
  /** Inflated bytes below which the ratio is not checked (small bodies are harmless whatever their ratio). */
  readonly ratioFloorBytes: number;
}

/** How readJsonBody bounds and checks a body. */
export interface JsonBodyOptions {
  /**
   * The body's structural bounds (its contract's shape, beside its schema), checked as soon as it is
   * parsed and before any schema runs; or `in-parse` where the route's contract parse function checks
   * them itself (parseHostReport: each report of a batch is refused alone). Required, so that no route
   * hands a body of unknown shape to a schema.
   */
  readonly shape: JsonShape | 'in-parse';
  /** The error a body outside `shape` gets: the one its schema would give (default VIGIA_ERR_BAD_REQUEST). */
  readonly shapeError?: ErrorCode;
  /** False: skip the prototype-key reviver (for callers whose schema is strict everywhere). */
  readonly guardPrototypeKeys?: boolean;
  /** Accept `Content-Encoding: gzip` within these bounds. */
  readonly inflate?: InflateLimits;
}

/**
 * Read a JSON body of at most `limit` bytes on the wire. No body means undefined. A declared or actual
 * size over the limit is refused as soon as it is known (413), a content type other than JSON is 415,
 * and keys that could poison prototypes (`__proto__`, `constructor.prototype`) are refused (400).
 * A body outside `options.shape` is `options.shapeError` (400 by default) naming where.
 * With `inflate`, `Content-Encoding: gzip` is accepted and inflated as it arrives: more than
 * `inflate.maxBytes` inflated, or a ratio over `inflate.maxRatio` (a gzip bomb), is 413 at once,
 * before anything is parsed; another encoding is 415. Without `inflate` the encoding is not looked at.
 */
export async function readJsonBody(req: IncomingMessage, limit: number, options: JsonBodyOptions): Promise<unknown> {
  return (await readJsonBodySized(req, limit, options)).value;
}

/** readJsonBody, also saying how many bytes the JSON text had (inflated): for callers that account memory. */
export async function readJsonBodySized(req: IncomingMessage, limit: number, options: JsonBodyOptions): Promise<{ value: unknown; bytes: number }> {
  const body = await readBodyBytes(req, limit, options.inflate, 'application/json');
  if (body === undefined) return { value: undefined, bytes: 0 };
  let value: unknown;
  try {
    const text = body.toString('utf8');
    // The reviver costs ~30 µs per 3 KB report; a caller whose schema is strict everywhere (unknown
    // keys, `__proto__` included, are refused) may skip it.
    value =
      options.guardPrototypeKeys === false
        ? JSON.parse(text)
        : JSON.parse(text, (key, v: unknown) => {
            if (key === '__proto__' || (key === 'constructor' && v !== null && typeof v === 'object' && 'prototype' in v)) throw new SyntaxError('forbidden key');
            return v;
          });
  } catch {
    throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'the body is not valid JSON');
  }
  if (options.shape !== 'in-parse') {
    const outside = jsonShapeProblem(value, options.shape);
    if (outside !== undefined) throw new VigiaError(options.shapeError ?? 'VIGIA_ERR_BAD_REQUEST', outside);
  }
  return { value, bytes: body.length };
}

/**
 * A body of media type `type` (e.g. `text/plain`, the log shipper's batches), as bytes, with readJsonBody's
 * bounds: at most `limit` bytes on the wire (413), `Content-Encoding: gzip` inflated within `inflate`
 * (413 for a bomb), another type 415. Undefined when empty.
 */
export function readBody(req: IncomingMessage, limit: number, type: string, inflate?: InflateLimits): Promise<Buffer | undefined> {
  return readBodyBytes(req, limit, inflate, type);
}

/** The body's bytes, inflated (see readJsonBody for the bounds), or undefined when empty. */
async function readBodyBytes(req: IncomingMessage, limit: number, inflate: InflateLimits | undefined, expected: string): Promise<Buffer | undefined> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && !/^\d+$/.test(declared)) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'invalid Content-Length');
  if (declared !== undefined && Number(declared) > limit) throw new VigiaError('VIGIA_ERR_BODY_TOO_LARGE');
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const gzip = inflate !== undefined && (encoding === 'gzip' || encoding === 'x-gzip');
  if (inflate !== undefined && !gzip && encoding !== 'identity') throw new VigiaError('VIGIA_ERR_UNSUPPORTED_MEDIA_TYPE', 'Content-Encoding must be gzip or identity');
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  // A gzip body is checked before inflating anything; a plain one after reading (no body: no type needed).
  // The catalog message names application/json; another endpoint's type is said in the detail.
  const wrongType = (): VigiaError => new VigiaError('VIGIA_ERR_UNSUPPORTED_MEDIA_TYPE', expected === 'application/json' ? undefined : `this endpoint takes ${expected} instead`);
  if (gzip && type !== expected) throw wrongType();
  const body = gzip ? await inflateBody(req, limit, inflate) : await readBytes(req, limit);
  if (body.length === 0) return undefined;
  if (type !== expected) throw wrongType();
  return body;
}

async function readBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new VigiaError('VIGIA_ERR_BODY_TOO_LARGE');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Inflate a gzip body as it arrives, counting bytes on both sides: the compressed side is bounded by
 * `limit`, the inflated side by `inflate.maxBytes` and by `maxRatio` times what came in so far. Over any
 * bound the inflater and the request stream are abandoned at once (413): a bomb costs at most one
 * zlib chunk (16 KiB) past the bound, never its whole inflated size. node:zlib is loaded on first use:
 * the agent, which never inflates, does not pay for it.
 */
async function inflateBody(req: IncomingMessage, limit: number, inflate: InflateLimits): Promise<Buffer> {
  const { createGunzip } = await import('node:zlib');
  return new Promise<Buffer>((resolve, reject) => {
    const gunzip = createGunzip();
    const chunks: Buffer[] = [];
    let compressed = 0;
    let inflated = 0;
    let done = false;
    const fail = (err: VigiaError): void => {
      if (done) return;
      done = true;
      req.unpipe(gunzip);
      req.off('data', count);
      gunzip.destroy();
      reject(err);
    };
    const count = (chunk: Buffer): void => {
      compressed += chunk.length;
      if (compressed > limit) fail(new VigiaError('VIGIA_ERR_BODY_TOO_LARGE'));
    };
    req.on('data', count);
    req.on('error', () => fail(new VigiaError('VIGIA_ERR_BAD_REQUEST', 'the request body was cut off')));
    gunzip.on('data', (chunk: Buffer) => {
      if (done) return;
      inflated += chunk.length;
      if (inflated > inflate.maxBytes) return fail(new VigiaError('VIGIA_ERR_BODY_TOO_LARGE', `more than ${inflate.maxBytes} bytes once inflated`));
      if (inflated > inflate.ratioFloorBytes && inflated > inflate.maxRatio * Math.max(1, compressed)) {
        return fail(new VigiaError('VIGIA_ERR_BODY_TOO_LARGE', `inflates more than ${inflate.maxRatio} times`));
      }
      chunks.push(chunk);
    });
    gunzip.on('error', () => fail(new VigiaError('VIGIA_ERR_BAD_REQUEST', 'the body is not valid gzip')));
    gunzip.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    req.pipe(gunzip);
  });
}
