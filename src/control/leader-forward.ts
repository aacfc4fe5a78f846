/**
 * `forwardToLeader(req, res, client)`: how a follower worker of `vigia server --workers N` answers a
 * fleet route (agent polls, bundles, rollouts, drift, checks, audit, runs). Fleet state lives in one
 * process, the leader (core/db/leader-lease.ts), so the follower streams the untouched request (method,
 * path, headers, body; X-Forwarded-For set to the client it resolved, X-Forwarded-Proto) to the
 * leader's internal address and streams the answer back. The follower has already authenticated and scope-checked the request; the leader
 * does so again (it trusts nothing it is sent).
 *
 * Bounds: the exchange must finish within `timeoutMs`, plus the long-poll wait the request asks for
 * (`wait=` seconds, capped at `maxWaitSeconds`). No leader known, the leader unreachable, or the
 * leader silent past the bound: 503 CONTROL_ERR_NO_LEADER with Retry-After (before any byte of the
 * answer was sent; after that the connection is cut, as any proxy must).
 *
 * Internal addresses are loopback only (`http://127.0.0.1:PORT`, `http://[::1]:PORT`) or a unix
 * socket (`unix:/path`): the internal hop carries bearer tokens in clear text, so it never leaves the
 * host. Cross-host followers (the HA plan) need TLS here first.
 */
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { errorBody, VigiaError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { requestPath } from '../core/redact.js';

/**
 * Streams one request to the leader and its answer back; resolves when the exchange is over (never
 * rejects). `client` is the request's client address as the follower resolved it (behind a trusted
 * proxy, not the proxy's; default the peer), sent to the leader as the whole X-Forwarded-For.
 */
export type ForwardToLeader = (req: IncomingMessage, res: ServerResponse, client?: string) => Promise<void>;

/** What the forwarder needs. */
export interface LeaderForwarderOptions {
  /** The leader's internal address as last known (undefined: none alive). */
  readonly leaderAddress: () => string | undefined;
  /** Bound on one exchange, beyond the long-poll wait (e.g. the server's request timeout). */
  readonly timeoutMs: number;
  /** The most a long poll (`wait=` seconds) may add to the bound. */
  readonly maxWaitSeconds: number;
  readonly log?: Logger;
}

/** A forwarder and its kept-alive connections to the leader. */
export interface LeaderForwarder {
  readonly forward: ForwardToLeader;
  /** Close idle connections to the leader (in-flight exchanges finish or time out). */
  close(): void;
}

type Target = { readonly host: string; readonly port: number } | { readonly socketPath: string };

/** Parse an internal address: loopback http or a unix socket; anything else is refused (undefined). */
export function parseInternalAddress(address: string): Target | undefined {
  if (address.startsWith('unix:')) {
    const socketPath = address.slice('unix:'.length);
    return socketPath.startsWith('/') ? { socketPath } : undefined;
  }
  let u: URL;
  try {
    u = new URL(address);
  } catch {
    return undefined;
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (u.protocol !== 'http:' || !u.port || !(host === '127.0.0.1' || host === '::1' || host === 'localhost')) return undefined;
  return { host, port: Number(u.port) };
}

// Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection, never forwarded; `expect` is answered
// by the follower itself.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k) && !named.has(k)) out[k] = v;
  return out;
}

/** The long-poll wait a request asks for (`wait=` seconds), capped; 0 when none. */
function pollWaitSeconds(url: string, max: number): number {
  const q = url.indexOf('?');
  if (q === -1) return 0;
  const w = Number(new URLSearchParams(url.slice(q + 1)).get('wait') ?? 0);
  return Number.isFinite(w) && w > 0 ? Math.min(w, max) : 0;
}

function refuse(res: ServerResponse, req: IncomingMessage, detail: string): void {
  const { status, body, retryAfterSeconds } = errorBody(new VigiaError('CONTROL_ERR_NO_LEADER', detail));
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  if (retryAfterSeconds !== undefined) res.setHeader('retry-after', String(retryAfterSeconds));
  // A body we did not read to its end is not drained: close the connection instead.
  if (!req.readableEnded) res.setHeader('connection', 'close');
  res.end(body);
}

/** Build the forwarder a follower hands to its HTTP server. */
export function createLeaderForwarder(options: LeaderForwarderOptions): LeaderForwarder {
  // Kept-alive connections: a follower forwards every agent poll it receives.
  const agent = new Agent({ keepAlive: true, maxFreeSockets: 64 });
  const forward: ForwardToLeader = (req, res, client = req.socket.remoteAddress ?? '') =>
    new Promise<void>((resolve) => {
      const address = options.leaderAddress();
      const target = address === undefined ? undefined : parseInternalAddress(address);
      if (!target) {
        if (address !== undefined) options.log?.error({ address }, 'leader address is not loopback or a unix socket; refusing to forward');
        refuse(res, req, address === undefined ? 'no leader is known' : 'the leader address is not an internal one');
        return resolve();
      }
      const url = req.url ?? '/';
      const bound = options.timeoutMs + pollWaitSeconds(url, options.maxWaitSeconds) * 1000;
      const headers = endToEnd(req.headers);
      // Only the client this follower resolved (behind --trusted-proxy, the proxy's client): whatever the
      // client wrote itself proves nothing, and the leader, trusting its loopback peers, takes this entry.
      headers['x-forwarded-for'] = client;
      headers['x-forwarded-proto'] = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
      let settled = false;
      const done = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      const upstream = request({ ...target, agent, method: req.method, path: url, headers });
      const timer = setTimeout(() => upstream.destroy(new Error(`the leader did not answer within ${Math.round(bound / 1000)} s`)), bound);
      let answered = false;
      upstream.on('response', (answer) => {
        answered = true;
        // The leader answered before taking the whole body (a refusal): stop uploading, and close the
        // client's connection after the answer, since the rest of its body is never read.
        const early = !req.readableEnded;
        if (early) req.unpipe(upstream);
        const head = endToEnd(answer.headers);
        if (early) head.connection = 'close';
        res.writeHead(answer.statusCode ?? 502, head);
        answer.pipe(res);
        answer.on('end', done);
        answer.on('error', () => {
          res.destroy();
          done();
        });
      });
      upstream.on('error', (err) => {
        // After the answer has begun, the answer's own stream decides (a cut upload of a body the
        // leader refused early is no failure of the answer).
        if (settled || answered) return;
        options.log?.warn({ address, path: requestPath(url), err: err.message }, 'forwarding to the leader failed');
        if (!res.headersSent) refuse(res, req, err.message.startsWith('the leader') ? err.message : 'the leader did not take the request');
        else res.destroy();
        done();
      });
      // The client went away (a parked poll it gave up on): stop the leader's side too.
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
        done();
      });
      req.pipe(upstream);
    });
  return { forward, close: () => agent.destroy() };
}
