/**
 * The control plane's HTTP API on node:http (the ingest route is the hot path: thousands of reports per
 * second; node:http measured faster than a framework for it, see docs/control-plane.md). A factory
 * that receives its dependencies; run.ts makes it listen.
 *
 * Two kinds of callers, never interchangeable:
 * - hosts, with their own enrolled token, may only POST /v1/reports for themselves;
 * - operators, with a token from the token file: `read` for fleet views, reports and /metrics,
 *   `admin` for enrolling and removing hosts.
 * /healthz is the only open route. Every client is rate limited, bodies and requests are bounded,
 * errors are the catalog's JSON and never carry internals.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { hashToken, matchBearer, newToken, type Scope, type TokenEntry } from '../core/auth.js';
import { HOST_NAME_RE, MAX_REPORT_BYTES, parseHostReport } from '../core/contracts/host-report.js';
import { errorBody, VigiaError } from '../core/errors.js';
import { addressKey, closeGracefully, createBoundedServer, listenOn, methodNotAllowed, parseSearch, readJsonBody, send, sendJson, validateQuery } from '../core/http.js';
import type { Logger } from '../core/log.js';
import { RateLimiter, type RateLimitOptions } from '../core/rate-limit.js';
import { bundleStatusSchema, MAX_POLL_WAIT_SECONDS, pollQuerySchema, taskResultSchema } from '../core/contracts/agent-poll.js';
import type { AgentChannel } from './agent-channel.js';
import { publishBodySchema, type BundleService } from './bundles/bundle-service.js';
import { startRunSchema, type RunService } from './fleet-runs/run-service.js';
import type { HostAuth } from './host-auth.js';
import type { RolloutService } from './rollouts/rollout-service.js';
import type { ControlStore, IngestItem, IngestOutcome } from './store/control-store.js';

/** How far a report's sampled_at may be ahead of the server clock before it is refused. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** A rendered report: what GET /v1/reports/* answers. */
export interface RenderedReport {
  readonly contentType: string;
  readonly body: string;
}

/** Formats the report endpoints (and CLI) render. */
export const REPORT_FORMATS = ['json', 'csv', 'html', 'table'] as const;
/** One of REPORT_FORMATS. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** What the API needs; run.ts wires the real ones, tests their own. */
export interface ControlServerDeps {
  /** Operator tokens (scopes read / admin) from the token file. */
  readonly operatorTokens: readonly TokenEntry[];
  readonly hostAuth: HostAuth;
  readonly store: ControlStore;
  /** Queue one validated report (the ingest queue) of `bytes` on the wire; resolves once it is durable. */
  readonly ingest: (item: IngestItem, bytes: number) => Promise<IngestOutcome>;
  readonly capacityReport: (format: ReportFormat) => Promise<RenderedReport>;
  readonly performanceReport: (day: string, format: ReportFormat) => Promise<RenderedReport>;
  /** The whole /metrics exposition text. */
  readonly metrics: () => Promise<string>;
  readonly limits: ControlLimits;
  readonly log: Logger;
  /** Server clock (receive time, clock-skew checks). */
  readonly now?: () => Date;
  readonly onResponse?: (route: string, status: number, seconds: number) => void;
  /** Counts each report by outcome (stored, duplicate, expired, or the error code). */
  readonly onReport?: (outcome: string) => void;
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer; readonly ca?: Buffer };
  /** Fleet changes (bundles, rollouts, fleet runs); absent: those routes answer 404. */
  readonly fleet?: FleetApi;
  /**
   * PLACEHOLDER (workers branch; the pipeline's hook replaces it): in a follower worker (no `fleet`),
   * fleet routes are authenticated and scope-checked here, then streamed to the leader by this
   * function (control/leader-forward.ts). The body has not been read when it is called.
   */
  readonly forwardToLeader?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** The services behind the fleet-change routes. */
export interface FleetApi {
  readonly channel: AgentChannel;
  readonly rollouts: RolloutService;
  readonly bundles: BundleService;
  readonly runs: RunService;
}

/** Most bytes of a publish request (a 16 MiB archive in base64 plus the envelopes). */
export const MAX_PUBLISH_BYTES = 23 * 1024 * 1024;

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
  readonly maxConnections: number;
  /** Behind a load balancer every connection comes from its address: raise this there. */
  readonly maxConnectionsPerAddress: number;
}

/** Limits for a production control plane. */
export const DEFAULT_CONTROL_LIMITS: ControlLimits = Object.freeze({
  bodyLimitBytes: 16 * 1024,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 65_000,
  rateLimit: Object.freeze({ perSecond: 20, burst: 40 }),
  hostRateLimit: Object.freeze({ perSecond: 20, burst: 100 }),
  maxConnections: 20_000,
  maxConnectionsPerAddress: 1024,
});

/** The control plane's HTTP server, not yet listening. */
export interface ControlServer {
  readonly server: Server;
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Stop accepting, let in-flight requests finish up to graceMs, then cut the rest. */
  close(graceMs?: number): Promise<void>;
}

interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: readonly string[];
  readonly query: Record<string, string | string[]>;
  readonly client: string;
}

interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly name: string;
  readonly path: RegExp;
  readonly scope: Scope;
  readonly handler: (ctx: Ctx) => Promise<unknown>;
}

const SENT = Symbol('sent');
const MAX_URL = 4096;
const formatQuery = z.object({ format: z.enum(REPORT_FORMATS).default('json') }).strict();
const performanceQuery = z
  .object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').optional(), format: z.enum(REPORT_FORMATS).default('json') })
  .strict();
const noQuery = z.object({}).strict();
const resultsQuery = z.object({ after: z.coerce.number().int().min(0).max(1e9).default(0), wait: z.coerce.number().int().min(0).max(30).default(0) }).strict();
const auditQuery = z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(100) }).strict();
const taskPath = /^\/v1\/agent\/tasks\/([0-9]{1,12}-[0-9]{1,12})\/result$/;
const archivePath = /^\/v1\/agent\/bundles\/([0-9a-f]{64})$/;
const tagsSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/), z.string().max(256).refine((v) => !v.includes('\u0000'), 'must not contain NUL')).refine((t) => Object.keys(t).length <= 32, 'at most 32 tags');
const enrollBody = z.object({ host: z.string().regex(HOST_NAME_RE, 'host name: letters, digits, . _ -, at most 253'), tags: tagsSchema.optional() }).strict();

/** Build the control plane's HTTP server (not listening). */
export function createControlServer(deps: ControlServerDeps): ControlServer {
  const { limits, log } = deps;
  const now = deps.now ?? (() => new Date());
  const limiter = new RateLimiter(limits.rateLimit);
  // One bucket per host: sized for fleets of up to 200,000 hosts before buckets are recycled.
  const hostLimiter = new RateLimiter({ ...limits.hostRateLimit, maxClients: 200_000 });
  let closing = false;

  const routes: Route[] = [
    {
      method: 'GET', name: '/v1/hosts', path: /^\/v1\/hosts$/, scope: 'read',
      handler: async ({ query }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        return { hosts: await deps.store.hostStatuses() };
      },
    },
    {
      method: 'POST', name: '/v1/hosts/enroll', path: /^\/v1\/hosts\/enroll$/, scope: 'admin',
      handler: async ({ req, query, client }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        const parsed = enrollBody.safeParse(await readJsonBody(req, limits.bodyLimitBytes));
        if (!parsed.success) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', issues(parsed.error).join('; '));
        const token = newToken();
        const tokenHash = hashToken(token);
        // No tags given: a rotation keeps the operator's tags.
        const { created, host } = await deps.store.enrollHost(parsed.data.host, tokenHash, parsed.data.tags);
        deps.hostAuth.hostChanged(host.id, tokenHash, host);
        log.info({ audit: true, client, host: host.name, created }, created ? 'host enrolled' : 'host token rotated');
        return { host: host.name, token, created };
      },
    },
    {
      method: 'DELETE', name: '/v1/hosts/:name', path: /^\/v1\/hosts\/([^/]+)$/, scope: 'admin',
      handler: async ({ params, query, client }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        const name = params[0]!;
        const known = HOST_NAME_RE.test(name) ? await deps.store.hostByName(name) : undefined;
        if (!known || !(await deps.store.removeHost(name))) throw new VigiaError('CONTROL_ERR_UNKNOWN_HOST', name.slice(0, 253));
        deps.hostAuth.hostChanged(known.id);
        deps.fleet?.rollouts.onHostRemoved(known.id);
        log.info({ audit: true, client, host: name }, 'host removed');
        return { host: name, removed: true };
      },
    },
    {
      method: 'GET', name: '/v1/reports/capacity', path: /^\/v1\/reports\/capacity$/, scope: 'read',
      handler: async ({ res, query }) => {
        const q = validateQuery(formatQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        const r = await deps.capacityReport(q.format);
        send(res, 200, r.contentType, r.body);
        return SENT;
      },
    },
    {
      method: 'GET', name: '/v1/reports/performance', path: /^\/v1\/reports\/performance$/, scope: 'read',
      handler: async ({ res, query }) => {
        const q = validateQuery(performanceQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        const day = q.day ?? previousUtcDay(now());
        if (!isValidDay(day)) throw new VigiaError('CONTROL_ERR_INVALID_DAY', day);
        const r = await deps.performanceReport(day, q.format);
        send(res, 200, r.contentType, r.body);
        return SENT;
      },
    },
    {
      method: 'GET', name: '/metrics', path: /^\/metrics$/, scope: 'read',
      handler: async ({ res, query }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', await deps.metrics());
        return SENT;
      },
    },
  ];

  const fleet = deps.fleet;
  const forward = fleet ? undefined : deps.forwardToLeader;
  const firstFleetRoute = routes.length;
  // A follower registers the same fleet routes (for matching, 405 and scopes) with a handler that
  // forwards; their own handlers never run there, so the FleetApi they close over is never touched.
  const routeFleet = fleet ?? (forward ? ({} as FleetApi) : undefined);
  if (routeFleet) {
    const fleet = routeFleet;
    const body = async <T>(req: IncomingMessage, schema: z.ZodType<T, z.ZodTypeDef, unknown>, limit: number): Promise<T> => {
      const parsed = schema.safeParse((await readJsonBody(req, limit)) ?? {});
      if (!parsed.success) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', issues(parsed.error).join('; '));
      return parsed.data;
    };
    const runId = (p: string): number => Number(p);
    routes.push(
      {
        method: 'GET', name: '/v1/bundles', path: /^\/v1\/bundles$/, scope: 'read',
        handler: async ({ query }) => {
          validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          return fleet.bundles.index();
        },
      },
      {
        method: 'POST', name: '/v1/bundles', path: /^\/v1\/bundles$/, scope: 'admin',
        handler: async ({ req, query, client }) => {
          validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          return fleet.bundles.publish(await body(req, publishBodySchema, MAX_PUBLISH_BYTES), client);
        },
      },
      {
        method: 'GET', name: '/v1/rollouts/current', path: /^\/v1\/rollouts\/current$/, scope: 'read',
        handler: async ({ query }) => {
          validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          const view = fleet.rollouts.view();
          if (!view) throw new VigiaError('CONTROL_ERR_NO_ROLLOUT', 'nothing was published yet');
          return view;
        },
      },
      ...(['pause', 'resume', 'rollback'] as const).map((step): Route => ({
        method: 'POST', name: `/v1/rollouts/current/${step}`, path: new RegExp(`^/v1/rollouts/current/${step}$`), scope: 'admin',
        handler: async ({ query, client }) => {
          validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          return fleet.rollouts[step](client);
        },
      })),
      {
        method: 'GET', name: '/v1/drift', path: /^\/v1\/drift$/, scope: 'read',
        handler: async ({ query }) => {
          validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          return { rollout: fleet.rollouts.view() ?? null, releases: fleet.rollouts.drift() };
        },
      },
      {
        method: 'GET', name: '/v1/audit', path: /^\/v1\/audit$/, scope: 'read',
        handler: async ({ query }) => {
          const q = validateQuery(auditQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          return { lines: await fleet.rollouts.store.auditLines(q.limit) };
        },
      },
      {
        method: 'GET', name: '/v1/checks', path: /^\/v1\/checks$/, scope: 'read',
        handler: async ({ query }) => {
          validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          return { hosts: await fleet.rollouts.store.latestChecks() };
        },
      },
      {
        method: 'POST', name: '/v1/runs', path: /^\/v1\/runs$/, scope: 'run',
        handler: async ({ req, query, client }) => {
          validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          return fleet.runs.start(await body(req, startRunSchema, limits.bodyLimitBytes), client);
        },
      },
      {
        method: 'GET', name: '/v1/runs', path: /^\/v1\/runs$/, scope: 'read',
        handler: async ({ query }) => {
          validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          return { runs: await fleet.runs.list() };
        },
      },
      {
        method: 'GET', name: '/v1/runs/:id', path: /^\/v1\/runs\/([0-9]{1,9})$/, scope: 'read',
        handler: async ({ params, query }) => {
          validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          return fleet.runs.view(runId(params[0]!));
        },
      },
      {
        method: 'GET', name: '/v1/runs/:id/results', path: /^\/v1\/runs\/([0-9]{1,9})\/results$/, scope: 'read',
        handler: async ({ res, params, query }) => {
          const q = validateQuery(resultsQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          // A client that goes away ends the wait. The listener is on the response (not the
          // keep-alive socket, where one per request would pile up) and is removed afterwards.
          const abort = new AbortController();
          const onClose = (): void => abort.abort();
          res.once('close', onClose);
          try {
            return await fleet.runs.results(runId(params[0]!), q.after, q.wait * 1000, abort.signal);
          } finally {
            res.off('close', onClose);
          }
        },
      },
      {
        method: 'GET', name: '/v1/runs/:id/hosts', path: /^\/v1\/runs\/([0-9]{1,9})\/hosts$/, scope: 'read',
        handler: async ({ params, query }) => {
          validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          return { hosts: await fleet.runs.hosts(runId(params[0]!)) };
        },
      },
      {
        method: 'POST', name: '/v1/runs/:id/cancel', path: /^\/v1\/runs\/([0-9]{1,9})\/cancel$/, scope: 'run',
        handler: async ({ params, query, client }) => {
          validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          return fleet.runs.cancel(runId(params[0]!), client);
        },
      },
    );
  }

  if (forward) {
    for (let i = firstFleetRoute; i < routes.length; i++) {
      routes[i] = { ...routes[i]!, handler: async ({ req, res }) => (await forward(req, res), SENT) };
    }
  }

  /** A host's own token (cached), rate limited per address before a database lookup and per host after. */
  const authenticateHost = async (req: IncomingMessage, res: ServerResponse, address: string) => {
    const refuse = (retryAfterSeconds: number): never => {
      res.setHeader('retry-after', String(retryAfterSeconds));
      throw new VigiaError('VIGIA_ERR_RATE_LIMITED');
    };
    // A token not in the cache costs a database query: the caller's address pays for it first, so
    // guessing tokens is rate limited before it reaches the database.
    const cached = deps.hostAuth.cached(req.headers.authorization);
    if (!cached.hit || !cached.host) {
      const d = limiter.take(`addr:${addressKey(address)}`);
      if (!d.allowed) refuse(d.retryAfterSeconds);
    }
    const host = cached.hit ? cached.host : await deps.hostAuth.authenticate(req.headers.authorization);
    if (host) {
      const d = hostLimiter.take(`host:${host.id}`);
      if (!d.allowed) refuse(d.retryAfterSeconds);
    }
    if (!host) {
      log.warn({ ip: address, url: req.url?.slice(0, 200) }, 'request without a valid host token');
      throw new VigiaError('VIGIA_ERR_UNAUTHORIZED');
    }
    return host;
  };

  /** /v1/agent/*: what a host asks for itself (host token). */
  const agentRoute = async (req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string, method: string | undefined, address: string): Promise<string> => {
    if (!fleet) {
      if (!forward) throw new VigiaError('VIGIA_ERR_NOT_FOUND');
      await authenticateHost(req, res, address);
      await forward(req, res);
      return '/v1/agent (forwarded)';
    }
    if (path === '/v1/agent/poll') {
      if (method !== 'GET') throw methodNotAllowed(res, 'GET');
      const host = await authenticateHost(req, res, address);
      const q = validateQuery(pollQuerySchema, parseSearch(rawQuery), 'VIGIA_ERR_BAD_REQUEST');
      fleet.rollouts.onPoll(host.id, host.name, q.release, q.sha256);
      const seen = req.headers['if-none-match'];
      const abort = new AbortController();
      const onClose = (): void => abort.abort();
      res.once('close', onClose);
      try {
        for (let waited = false; ; waited = true) {
          const desired = fleet.rollouts.desiredFor(host.id, host.name);
          const etag = `"r${desired?.release ?? 0}"`;
          const tasks = fleet.channel.takeTasks(host.id);
          if (tasks.length > 0 || seen !== etag) {
            res.setHeader('etag', etag);
            sendJson(res, 200, { desired, tasks });
            return '/v1/agent/poll';
          }
          if (waited || q.wait === 0 || closing || abort.signal.aborted) break;
          // Park until something changes for this host, the wait runs out, or the client leaves.
          await fleet.channel.wait(host.id, Math.min(q.wait, MAX_POLL_WAIT_SECONDS) * 1000, abort.signal);
          if (abort.signal.aborted) return '/v1/agent/poll';
        }
        res.setHeader('etag', seen ?? '"r0"');
        res.writeHead(304).end();
        return '/v1/agent/poll';
      } finally {
        res.off('close', onClose);
      }
    }
    if (path === '/v1/agent/bundle-status') {
      if (method !== 'POST') throw methodNotAllowed(res, 'POST');
      const host = await authenticateHost(req, res, address);
      const parsed = bundleStatusSchema.safeParse(await readJsonBody(req, limits.bodyLimitBytes));
      if (!parsed.success) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', issues(parsed.error).join('; '));
      fleet.rollouts.onStatus(host.id, host.name, parsed.data);
      sendJson(res, 200, { recorded: true });
      return '/v1/agent/bundle-status';
    }
    const archive = archivePath.exec(path);
    if (archive) {
      if (method !== 'GET') throw methodNotAllowed(res, 'GET, HEAD');
      await authenticateHost(req, res, address);
      const bytes = await fleet.bundles.archive(archive[1]!);
      if (!bytes) throw new VigiaError('VIGIA_ERR_NOT_FOUND', 'no such bundle archive');
      res.setHeader('etag', `"${archive[1]}"`);
      send(res, 200, 'application/json', bytes, req.method === 'HEAD');
      return '/v1/agent/bundles/:sha256';
    }
    const task = taskPath.exec(path);
    if (task) {
      if (method !== 'POST') throw methodNotAllowed(res, 'POST');
      const host = await authenticateHost(req, res, address);
      const parsed = taskResultSchema.safeParse(await readJsonBody(req, limits.bodyLimitBytes));
      if (!parsed.success) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', issues(parsed.error).join('; '));
      const accepted = await fleet.runs.onResult(host.id, task[1]!, parsed.data);
      sendJson(res, 200, { accepted });
      return '/v1/agent/tasks/:id/result';
    }
    throw new VigiaError('VIGIA_ERR_NOT_FOUND');
  };

  /** POST /v1/reports: a host's own token, its own name, a valid report. */
  const ingest = async (req: IncomingMessage, res: ServerResponse, address: string): Promise<void> => {
    const host = await authenticateHost(req, res, address);
    // The host report schema is strict at every level and refuses `__proto__`-like tag keys.
    const body = await readJsonBody(req, MAX_REPORT_BYTES, { guardPrototypeKeys: false });
    const parsed = parseHostReport(body);
    if (!parsed.ok) throw new VigiaError('CONTROL_ERR_INVALID_REPORT', parsed.problems.join('; '));
    const report = parsed.report;
    if (report.host !== host.name) {
      throw new VigiaError('CONTROL_ERR_HOST_MISMATCH', `the token belongs to "${host.name}", the report says "${report.host.slice(0, 253)}"`);
    }
    const receivedAt = now();
    const aheadMs = Date.parse(report.sampled_at) - receivedAt.getTime();
    if (aheadMs > MAX_CLOCK_SKEW_MS) {
      const message = `sampled_at ${report.sampled_at} is ${Math.round(aheadMs / 1000)} s ahead of the control plane's clock`;
      await deps.store.recordHostError(host.id, receivedAt, message).catch((err: unknown) => log.warn({ err }, 'could not record a host error'));
      // The agent keeps such a report and tries again after Retry-After: it becomes acceptable once
      // our clock catches up (or the host's is fixed), and ingest is idempotent.
      res.setHeader('retry-after', String(Math.min(3600, Math.max(60, Math.ceil((aheadMs - MAX_CLOCK_SKEW_MS) / 1000)))));
      throw new VigiaError('CONTROL_ERR_CLOCK_SKEW', message);
    }
    if (report.checks) {
      const failing = report.checks.results.filter((r) => r.state === 'CRITICAL' || r.state === 'UNKNOWN').length;
      fleet?.rollouts.onChecks(host.id, report.checks.release, report.checks.results.length, failing);
    }
    const bytes = Number(req.headers['content-length'] ?? MAX_REPORT_BYTES) || MAX_REPORT_BYTES;
    const outcome = await deps.ingest({ hostId: host.id, receivedAt, source: 'push', report }, bytes);
    deps.onReport?.(outcome);
    sendJson(res, 200, { outcome });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const t0 = performance.now();
    let routeName = 'unmatched';
    res.once('finish', () => deps.onResponse?.(routeName, res.statusCode, (performance.now() - t0) / 1000));
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    const address = req.socket.remoteAddress ?? '?';
    if (closing) {
      res.setHeader('connection', 'close');
      res.once('finish', () => server.closeIdleConnections());
    }
    try {
      if (closing) throw new VigiaError('VIGIA_ERR_SHUTTING_DOWN');
      const url = req.url ?? '/';
      if (url.length > MAX_URL) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'URL too long');
      const qAt = url.indexOf('?');
      const rawPath = qAt === -1 ? url : url.slice(0, qAt);
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      if (rawPath === '/healthz') {
        routeName = '/healthz';
        if (method !== 'GET') throw methodNotAllowed(res, 'GET, HEAD');
        return sendJson(res, 200, { status: 'ok' }, req.method === 'HEAD');
      }
      if (rawPath.startsWith('/v1/agent/')) {
        routeName = '/v1/agent';
        routeName = await agentRoute(req, res, rawPath, qAt === -1 ? '' : url.slice(qAt + 1), method, address);
        return;
      }
      if (rawPath === '/v1/reports') {
        routeName = '/v1/reports';
        if (method !== 'POST') throw methodNotAllowed(res, 'POST');
        await ingest(req, res, address);
        return;
      }
      const entry = matchBearer(deps.operatorTokens, req.headers.authorization);
      const decision = limiter.take(entry ? `token:${entry.name}` : `addr:${addressKey(address)}`);
      if (!decision.allowed) {
        res.setHeader('retry-after', String(decision.retryAfterSeconds));
        throw new VigiaError('VIGIA_ERR_RATE_LIMITED');
      }
      if (!entry) {
        log.warn({ ip: address, method: req.method, url: url.slice(0, 200) }, 'request without a valid operator token');
        throw new VigiaError('VIGIA_ERR_UNAUTHORIZED');
      }
      let path: string;
      try {
        path = decodeURIComponent(rawPath);
      } catch {
        throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'malformed percent-encoding in the path');
      }
      const candidates = routes.filter((r) => r.path.test(path));
      if (candidates.length === 0) throw new VigiaError('VIGIA_ERR_NOT_FOUND');
      const route = candidates.find((r) => r.method === method);
      if (!route) throw methodNotAllowed(res, candidates.map((r) => (r.method === 'GET' ? 'GET, HEAD' : r.method)).join(', '));
      routeName = route.name;
      if (!entry.scopes.includes(route.scope)) {
        log.warn({ client: entry.name, url: url.slice(0, 200), need: route.scope }, 'token lacks scope');
        res.setHeader('www-authenticate', `Bearer error="insufficient_scope", scope="${route.scope}"`);
        throw new VigiaError('VIGIA_ERR_FORBIDDEN', `this endpoint needs scope "${route.scope}"`);
      }
      const params = route.path.exec(path)!.slice(1);
      const query = parseSearch(qAt === -1 ? '' : url.slice(qAt + 1));
      const result = await route.handler({ req, res, params, query, client: entry.name });
      if (result !== SENT) sendJson(res, 200, result, req.method === 'HEAD');
    } catch (err) {
      if (!(err instanceof VigiaError)) log.error({ err, url: req.url?.slice(0, 200) }, 'request failed');
      else if (err.code === 'CONTROL_ERR_STORE_UNAVAILABLE') log.error({ err: err.cause ?? err }, 'database write failed');
      if (routeName === '/v1/reports') deps.onReport?.(err instanceof VigiaError ? err.code : 'VIGIA_ERR_INTERNAL');
      if (res.headersSent) return void res.destroy();
      const { status, body, retryAfterSeconds } = errorBody(err);
      // Spread the retries of clients refused together (overload, database down) over twice the wait.
      if (retryAfterSeconds !== undefined && !res.hasHeader('retry-after')) res.setHeader('retry-after', String(retryAfterSeconds + Math.floor(Math.random() * (retryAfterSeconds + 1))));
      if (status === 401) res.setHeader('www-authenticate', 'Bearer');
      // A refused body is never read to its end: close the connection rather than drain it.
      const close = status === 413 || status === 415 || (req.method === 'POST' && !req.readableEnded);
      send(res, status, 'application/json; charset=utf-8', body, false, close);
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => void handle(req, res);
  const server = createBoundedServer(
    { requestTimeoutMs: limits.requestTimeoutMs, keepAliveTimeoutMs: limits.keepAliveTimeoutMs, maxConnections: limits.maxConnections, maxConnectionsPerAddress: limits.maxConnectionsPerAddress },
    deps.tls,
    onRequest,
  );
  // `Expect: 100-continue` is answered by the handler's normal path (it reads the body only when allowed).
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization) res.writeContinue();
    onRequest(req, res);
  });

  return {
    server,
    listen: (host, port) => listenOn(server, host, port),
    // Requests still running after the grace (a client that keeps its socket busy) are cut off.
    close: (graceMs = 5000) => closeGracefully(server, graceMs, () => (closing = true)),
  };
}

/** The UTC day before `now`, YYYY-MM-DD (the default day of the performance report). */
export function previousUtcDay(now: Date): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
}

/** Whether `day` is a real calendar day YYYY-MM-DD (2026-02-30 is not). */
export function isValidDay(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const t = Date.parse(`${day}T00:00:00.000Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === day;
}

function issues(error: z.ZodError): string[] {
  return error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}
