/**
 * The log collector's HTTP API (`vigia logs serve`): two mounts on the shared request pipeline
 * (src/core/http-pipeline.ts), first match wins:
 * - lines-route.ts, `POST /v1/logs/lines`: shippers, with their host's enrolment token (checked with
 *   the control plane) or a `--shipper-tokens` token;
 * - query-routes.ts, every other path: operators with a `--tokens` token of scope `read` (queries,
 *   /metrics). Without --tokens every such path is 401.
 * /healthz is the only open route. A factory that receives its dependencies and does not listen.
 */
import type { TokenEntry } from '../../core/auth.js';
import type { TrustedProxies } from '../../core/client-address.js';
import { bearerTokenAuthenticator, createPipelineServer, type Authenticate, type PipelineServer } from '../../core/http-pipeline.js';
import type { Logger } from '../../core/log.js';
import { RateLimiter, type RateLimitOptions } from '../../core/rate-limit.js';
import { linesMount, type LinesRouteDeps } from './lines-route.js';
import { queryMount, type QueryRouteDeps } from './query-routes.js';
import type { ShipperPrincipal } from './shipper-auth.js';

/** Connection and request bounds of the collector. */
export interface CollectorLimits {
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  /** Per client address (behind HAProxy without --trusted-proxy, every connection is the proxy's). */
  readonly maxConnectionsPerAddress: number;
  /** Operator requests per token or address. */
  readonly rateLimit: RateLimitOptions;
}

/** Defaults: 500+ shippers with one kept-alive connection each, a few operators. */
export const DEFAULT_COLLECTOR_LIMITS: CollectorLimits = Object.freeze({
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 20_000,
  maxConnectionsPerAddress: 1024,
  rateLimit: Object.freeze({ perSecond: 20, burst: 40 }),
});

/** What the collector's API needs. */
export interface CollectorServerDeps {
  readonly operatorTokens: readonly TokenEntry[];
  readonly shippers: Authenticate<ShipperPrincipal>;
  readonly lines: LinesRouteDeps;
  readonly query: QueryRouteDeps;
  readonly limits: CollectorLimits;
  readonly log: Logger;
  readonly onResponse?: (route: string, status: number, seconds: number) => void;
  /** Lines of a batch refused whole (401/403 excepted: those carry no count we trust), by error code. */
  readonly onRefusedBatch?: (code: string, lines: number) => void;
  readonly trustedProxies?: TrustedProxies;
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer; readonly ca?: Buffer };
}

/** Build the collector's HTTP server (not listening). */
export function createCollectorServer(deps: CollectorServerDeps): PipelineServer {
  const { limits } = deps;
  const operator = bearerTokenAuthenticator(deps.operatorTokens, new RateLimiter(limits.rateLimit), 'operator');
  return createPipelineServer(
    {
      requestTimeoutMs: limits.requestTimeoutMs,
      keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
      maxConnections: limits.maxConnections,
      maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
      ...(deps.trustedProxies ? { trustedProxies: deps.trustedProxies } : {}),
    },
    deps.tls,
    {
      mounts: [linesMount(deps.lines, deps.shippers), queryMount(deps.query, operator)],
      log: deps.log,
      spreadRetryAfter: true,
      ...(deps.onResponse ? { onResponse: deps.onResponse } : {}),
      onFailure: ({ req, route, principal, code }) => {
        if (route !== '/v1/logs/lines' || principal === undefined) return;
        const n = Number(req.headers['x-vigia-log-lines']);
        deps.onRefusedBatch?.(code, Number.isSafeInteger(n) && n >= 0 ? n : 0);
      },
    },
  );
}
