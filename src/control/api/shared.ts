/**
 * What the control plane's route files share: the principals of its two kinds of credential, their
 * authenticators, and small validation helpers. Route files (one per audience: operator-routes.ts,
 * agent-routes.ts, ingest-routes.ts; later the web console's and the log collector's) export a Mount
 * for the request pipeline (src/core/http-pipeline.ts), and server.ts composes them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { matchBearer, type TokenEntry } from '../../core/auth.js';
import type { JsonShape } from '../../core/contracts/json-shape.js';
import { VigiaError } from '../../core/errors.js';
import { addressKey, readJsonBody } from '../../core/http.js';
import { bearerTokenAuthenticator, rateLimited, type Authenticate, type Principal, type Route, type TokenPrincipal } from '../../core/http-pipeline.js';
import type { RateLimiter } from '../../core/rate-limit.js';
import type { HostAuth } from '../host-auth.js';
import type { ControlServerDeps, FleetApi } from '../server.js';
import type { HostIdentity } from '../store/control-store.js';

/** Formats the report endpoints (and CLI) render. */
export const REPORT_FORMATS = ['json', 'csv', 'html', 'table'] as const;
/** One of REPORT_FORMATS. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** How far a report's sampled_at may be ahead of the server clock before it is refused. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** An enrolled host, by its own token: authorised by identity (it acts only on its own host). */
export interface HostPrincipal extends Principal {
  readonly kind: 'host';
  readonly host: HostIdentity;
}

/** An operator token from --auth-token-file, with its scopes. */
export interface OperatorPrincipal extends TokenPrincipal {
  readonly kind: 'operator';
}

/** Whoever the control plane's authenticators let in. */
export type ControlPrincipal = HostPrincipal | OperatorPrincipal;

/** The rate limiters of the control plane: per operator token or address, per host, and per address for unknown host tokens. */
export interface ControlLimiters {
  readonly limiter: RateLimiter;
  readonly hostLimiter: RateLimiter;
  /** Host tokens not known here (guesses, and hosts unseen since this process started), per client address. */
  readonly unknownTokenLimiter: RateLimiter;
}

/** Operator tokens; refused requests are charged to their address. */
export function operatorAuthenticator(tokens: readonly TokenEntry[], limiters: ControlLimiters): Authenticate<OperatorPrincipal> {
  return bearerTokenAuthenticator(tokens, limiters.limiter, 'operator');
}

/**
 * A host's own token (cached), rate limited per host once known. A token not known here (a guess, a
 * cached guess, or a host unseen since this process started) is first charged to its client address
 * (behind a trusted proxy, the client's: client-address.ts), so guessing is limited before it reaches
 * the database; re-validating a token whose cache entry merely expired is not (a guesser cannot
 * produce one, and every host does it once per cache lifetime: see host-auth.ts).
 */
export function hostAuthenticator(hostAuth: HostAuth, limiters: ControlLimiters): Authenticate<HostPrincipal> {
  return async (req, res, address) => {
    const cached = hostAuth.cached(req.headers.authorization);
    if (cached.hit ? !cached.host : !cached.recentlyKnown) {
      const d = limiters.unknownTokenLimiter.take(`addr:${addressKey(address)}`);
      if (!d.allowed) throw rateLimited(res, d.retryAfterSeconds);
    }
    const host = cached.hit ? cached.host : await hostAuth.authenticate(req.headers.authorization);
    if (!host) return undefined;
    const d = limiters.hostLimiter.take(`host:${host.id}`);
    if (!d.allowed) throw rateLimited(res, d.retryAfterSeconds);
    return { kind: 'host', name: host.name, host };
  };
}

/** An operator token when the header holds one (no address charge for trying), else a host token. */
export function operatorOrHostAuthenticator(tokens: readonly TokenEntry[], operator: Authenticate<OperatorPrincipal>, host: Authenticate<HostPrincipal>): Authenticate<ControlPrincipal> {
  return (req, res, address) => (matchBearer(tokens, req.headers.authorization) ? operator(req, res, address) : host(req, res, address));
}

/** A query without parameters. */
export const noQuery = z.object({}).strict();

/** Up to five schema problems, each naming its field path. */
export function issues(error: z.ZodError): string[] {
  return error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}

/**
 * Read a JSON body of at most `limit` bytes, check it against `shape` (the schema's structural bounds)
 * and validate it (no body: `{}`); 400 naming the fields.
 */
export async function jsonBody<T>(req: IncomingMessage, schema: z.ZodType<T, z.ZodTypeDef, unknown>, shape: JsonShape, limit: number): Promise<T> {
  const parsed = schema.safeParse((await readJsonBody(req, limit, { shape })) ?? {});
  if (!parsed.success) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', issues(parsed.error).join('; '));
  return parsed.data;
}

/** The UTC day before `now`, YYYY-MM-DD (the default day of the performance report). */
export function previousUtcDay(now: Date): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
}

/** Whether this process has the fleet-change routes: it drives fleet changes, or forwards them to the leader. */
export function hasFleetRoutes(deps: ControlServerDeps): boolean {
  return Boolean(deps.fleet || deps.forwardToLeader);
}

/**
 * The fleet services, for a fleet route's handler. Handlers run only where `deps.fleet` exists (a
 * follower forwards before its handler runs); anywhere else the route does not exist: 404.
 */
export function fleetOf(deps: ControlServerDeps): () => FleetApi {
  return () => {
    if (!deps.fleet) throw new VigiaError('VIGIA_ERR_NOT_FOUND');
    return deps.fleet;
  };
}

/** Marks routes as the leader's: a follower forwards them (see the pipeline's `leader`). */
export function leaderRoutes<P extends Principal>(routes: readonly Omit<Route<P>, 'leader'>[]): Route<P>[] {
  return routes.map((r) => ({ ...r, leader: true }));
}

/**
 * Runs a long wait with a signal aborted when the client goes away. The listener is on the response
 * (not the keep-alive socket, where one per request would pile up) and is removed afterwards.
 */
export async function untilClientLeaves<T>(res: ServerResponse, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onClose = (): void => abort.abort();
  res.once('close', onClose);
  try {
    return await fn(abort.signal);
  } finally {
    res.off('close', onClose);
  }
}
