/**
 * The control plane's HTTP API: the route files of its audiences composed on the shared request pipeline
 * (src/core/http-pipeline.ts). A factory that receives its dependencies; run.ts makes it listen.
 *
 * Mounts, first match wins (each route file says what its routes do):
 * - api/agent-routes.ts, `/v1/agent/*`: hosts with their own token (long-poll, bundles, task results);
 * - api/ingest-routes.ts, `/v1/reports` and `/v2/reports`: hosts with their own token, and relays with
 *   an operator token of scope `ingest` (v2 only);
 * - api/operator-routes.ts, every other path: operator tokens from the token file, by scope (`read`,
 *   `admin`, `run`).
 * - console/ (with `console`): the web console, `/` and `/ui/*`, by session cookie; and
 *   `/v1/console/*` (login links), by operator token.
 * A new audience (the log collector) is one more route file exporting a Mount, added
 * to the list in createControlServer before the operator mount (which owns every remaining path).
 * /healthz is the only open route. Every client is rate limited, bodies and requests are bounded,
 * errors are the catalog's JSON and never carry internals. Every refused state-changing request of
 * an authenticated caller (operator or host; reports excepted, see ingest-routes.ts) is an
 * `audit_log` row `request.rejected` and an `"audit":true` log line.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TrustedProxies } from '../core/client-address.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { TokenEntry } from '../core/auth.js';
import { createPipelineServer, type PipelineServer } from '../core/http-pipeline.js';
import type { Logger } from '../core/log.js';
import { RateLimiter, type RateLimitOptions } from '../core/rate-limit.js';
import { agentMount } from './api/agent-routes.js';
import { consoleMounts } from './console/api-routes.js';
import type { ConsoleDeps } from './console/page.js';
import { ingestMount } from './api/ingest-routes.js';
import { operatorMount } from './api/operator-routes.js';
import { hostAuthenticator, operatorAuthenticator, operatorOrHostAuthenticator, type ReportFormat } from './api/shared.js';
import type { AgentChannel } from './agent-channel.js';
import type { BundleService } from './bundles/bundle-service.js';
import type { RunService } from './fleet-runs/run-service.js';
import type { HostAuth } from './host-auth.js';
import type { RolloutService } from './rollouts/rollout-service.js';
import type { ControlStore, IngestItem, IngestOutcome } from './store/control-store.js';
import type { FleetStore, RolloutRow } from './store/fleet-store.js';

export { MAX_CLOCK_SKEW_MS, previousUtcDay, REPORT_FORMATS, type ReportFormat } from './api/shared.js';
export { MAX_PUBLISH_BYTES } from './api/operator-routes.js';

/** A rendered report: what GET /v1/reports/* answers. */
export interface RenderedReport {
  readonly contentType: string;
  readonly body: string;
}

/** What the API needs; run.ts wires the real ones, tests their own. */
export interface ControlServerDeps {
  /** Operator tokens (scopes read, admin, run, ingest) from the token file. */
  readonly operatorTokens: readonly TokenEntry[];
  readonly hostAuth: HostAuth;
  readonly store: ControlStore;
  /** Queue one validated report (the ingest queue) of `bytes` on the wire; resolves once it is durable. */
  readonly ingest: (item: IngestItem, bytes: number) => Promise<IngestOutcome>;
  readonly capacityReport: (format: ReportFormat, opts?: { all?: boolean }) => Promise<RenderedReport>;
  readonly performanceReport: (day: string, format: ReportFormat) => Promise<RenderedReport>;
  /** The whole /metrics exposition text. */
  readonly metrics: () => Promise<string>;
  readonly limits: ControlLimits;
  readonly log: Logger;
  /** Server clock (receive time, clock-skew checks); default `systemClock`. */
  readonly now?: Clock;
  readonly onResponse?: (route: string, status: number, seconds: number) => void;
  /** Counts each report by outcome (stored, duplicate, expired, or the error code). */
  readonly onReport?: (outcome: string) => void;
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer; readonly ca?: Buffer };
  /** Fleet changes (bundles, rollouts, fleet runs); absent: those routes answer 404 (unless forwarded). */
  readonly fleet?: FleetApi;
  /**
   * In a follower process (`--workers`): stream a fleet route's request (every /v1/agent/* route and the
   * bundle, rollout, drift, checks, audit and runs routes), once authenticated and scope-checked and with
   * its body unread, to the leader, and the leader's answer back. Absent in a single process and in the
   * leader. With it, the fleet routes exist here even without `fleet`.
   */
  readonly forwardToLeader?: (req: IncomingMessage, res: ServerResponse, client: string) => void | Promise<void>;
  /**
   * Load balancers whose PROXY header (or X-Forwarded-For) names the client: rate limits, connection
   * caps and log lines then key on the client, not the proxy (--trusted-proxy). Default: none.
   */
  readonly trustedProxies?: TrustedProxies;
  /** The web console (`/`, `/ui/...`, `POST /v1/console/login-links`); absent: those paths are the operator API's (401/404). */
  readonly console?: ConsoleDeps;
}

/** One line of the fleet's audit log (`GET /v1/audit`). */
export type AuditLine = Awaited<ReturnType<FleetStore['auditLines']>>[number];
/** The newest check results of one host (`GET /v1/checks`). */
export type HostChecks = Awaited<ReturnType<FleetStore['latestChecks']>>[number];

/** The services behind the fleet-change routes. */
export interface FleetApi {
  readonly channel: AgentChannel;
  readonly rollouts: RolloutService;
  readonly bundles: BundleService;
  readonly runs: RunService;
  /** The newest `limit` audit lines, newest first. */
  readonly audit: (limit: number) => Promise<readonly AuditLine[]>;
  /** Each host's newest check results. */
  readonly checks: () => Promise<readonly HostChecks[]>;
  /** Rollouts newest first, at most `limit` (the console's history). */
  readonly rolloutHistory?: (limit: number) => Promise<readonly RolloutRow[]>;
}

/** Bounds on what one client can make the control plane do. */
export interface ControlLimits {
  /** Admin/read request bodies (reports have MAX_REPORT_BYTES). */
  readonly bodyLimitBytes: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** Per operator token or per address (unauthenticated). */
  readonly rateLimit: RateLimitOptions;
  /** Per host token: a host reports once a minute, faster only while draining its spool. */
  readonly hostRateLimit: RateLimitOptions;
  /**
   * Per client address, requests carrying a host token not known here (guesses; hosts unseen since
   * start): each may cost one indexed query. Re-validations of expired cache entries are not counted.
   */
  readonly unknownTokenRateLimit: RateLimitOptions;
  readonly maxConnections: number;
  /** Per client address: behind a load balancer in --trusted-proxy, the client's; otherwise the proxy's (raise it then). */
  readonly maxConnectionsPerAddress: number;
  /**
   * POST /v2/reports bodies being read, inflated and parsed at once, at most (each may hold up to
   * MAX_BATCH_INFLATED_BYTES inflated, plus its parse); one more is answered 503 CONTROL_ERR_OVERLOADED
   * with Retry-After before its body is read.
   */
  readonly maxBatchBodiesInFlight: number;
}

/** Limits for a production control plane. */
export const DEFAULT_CONTROL_LIMITS: ControlLimits = Object.freeze({
  bodyLimitBytes: 16 * 1024,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 65_000,
  rateLimit: Object.freeze({ perSecond: 20, burst: 40 }),
  hostRateLimit: Object.freeze({ perSecond: 20, burst: 100 }),
  // A burst of 500: the first reports of 500 hosts behind one NAT after a restart; 50/s after that is
  // 50 indexed lookups a second at most per address (bench/control-token-miss.ts: well under a core).
  unknownTokenRateLimit: Object.freeze({ perSecond: 50, burst: 500 }),
  maxConnections: 20_000,
  maxConnectionsPerAddress: 1024,
  // 8 × 32 MiB inflated bounds what batches can hold at once; a batch of 500 reports (about 1 MiB
  // inflated) is read and parsed in milliseconds, so 8 do not make honest senders wait.
  maxBatchBodiesInFlight: 8,
});

/** The control plane's HTTP server, not yet listening (see PipelineServer: listen, close with a grace). */
export type ControlServer = PipelineServer;

/** Build the control plane's HTTP server (not listening). */
export function createControlServer(deps: ControlServerDeps): ControlServer {
  const { limits, log } = deps;
  const now = deps.now ?? systemClock;
  const limiters = {
    limiter: new RateLimiter(limits.rateLimit),
    // One bucket per host: sized for fleets of up to 200,000 hosts before buckets are recycled.
    hostLimiter: new RateLimiter({ ...limits.hostRateLimit, maxClients: 200_000 }),
    unknownTokenLimiter: new RateLimiter(limits.unknownTokenRateLimit),
  };
  const operator = operatorAuthenticator(deps.operatorTokens, limiters);
  const host = hostAuthenticator(deps.hostAuth, limiters);
  const hostOrOperator = operatorOrHostAuthenticator(deps.operatorTokens, operator, host);
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
      mounts: [agentMount(deps, host), ingestMount(deps, { host, hostOrOperator, hostLimiter: limiters.hostLimiter, now }), ...consoleMounts(deps, operator, now), operatorMount(deps, operator, now)],
      log,
      spreadRetryAfter: true,
      ...(deps.onResponse ? { onResponse: deps.onResponse } : {}),
      ...(deps.forwardToLeader ? { forwardToLeader: deps.forwardToLeader } : {}),
      onRefusedChange: async ({ method, path, route, principal, address, status, code }) => {
        // Unauthenticated refusals are not rows (the pipeline logs each 401): a database write per
        // guessed token would turn token guessing into a database flood.
        if (!principal) return;
        const actor = principal.kind === 'host' ? `host:${principal.name}` : principal.name;
        const detail = { method, path, route, status, code, address };
        // The line first: it is the record when the database is what failed.
        log.warn({ audit: true, client: actor, ...detail }, 'request rejected');
        await deps.store.audit(actor, 'request.rejected', detail);
      },
      onFailure: ({ route, code, err }) => {
        if (code === 'CONTROL_ERR_STORE_UNAVAILABLE') log.error({ err: (err as Error).cause ?? err }, 'database write failed');
        // Reports refused as a whole count under their error code (a v2 batch's reports count one by one).
        if (route === '/v1/reports' || route === '/v2/reports') deps.onReport?.(code);
      },
    },
  );
}
