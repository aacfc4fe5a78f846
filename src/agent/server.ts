/**
 * The agent's HTTP API: its routes on the shared request pipeline (src/core/http-pipeline.ts). A factory
 * that receives its dependencies; run.ts makes it listen. Every route but /healthz needs a bearer token
 * with the route's scope; every client is rate limited; bodies, requests and answers are bounded; errors
 * are the catalog's JSON and never carry a stack trace or a path.
 *
 * Why not fastify (the default choice for APIs here): the agent's budget is 80 MB resident on hosts
 * that exist to run MySQL, and fastify with its schema compilers costs ~19 MB of it (node alone 39 MB
 * RSS, node + fastify 58 MB: docs/agent-performance.md, "What limits it, and what was done") for nine
 * routes that need none of its features.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { TokenEntry } from '../core/auth.js';
import type { Clock } from '../core/clock.js';
import { ACTION_PARAMS_SHAPE } from '../core/contracts/agent-poll.js';
import { VigiaError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ActionService } from './actions/action-service.js';
import { findDeviceByMountpoint, findDeviceByName } from './device-lookup.js';
import type { DeviceInfo } from './model.js';
import { readJsonBody, send, sendJson, validateQuery } from '../core/http.js';
import { bearerTokenAuthenticator, createPipelineServer, SENT, type PipelineServer, type Route, type TokenPrincipal } from '../core/http-pipeline.js';
import { RateLimiter, type RateLimitOptions } from '../core/rate-limit.js';
import type { HttpRefusal } from './actions/audit.js';

/** Query of GET /v1/processes. */
export interface ProcessQuery {
  readonly sort: 'cpu' | 'mem' | 'io';
  readonly limit: number;
  /** `full` only for a token with scope `cmdline`; every other caller gets secret values redacted. */
  readonly commandLines: 'redacted' | 'full';
}

/** What the API serves; each function is called per request (collectors coalesce and cache themselves). */
export interface AgentServerDeps {
  readonly tokens: readonly TokenEntry[];
  readonly devices: () => Promise<readonly DeviceInfo[]>;
  readonly system: () => Promise<unknown>;
  readonly processes: (q: ProcessQuery) => Promise<readonly unknown[]>;
  /** The whole /metrics exposition text. */
  readonly metrics: () => Promise<string>;
  /** null when actions are disabled (`--no-actions`): the action routes answer 404 for every name. */
  readonly actions: ActionService | null;
  readonly limits: AgentLimits;
  readonly log: Logger;
  /** Observes each answered request (route name, status, seconds) for the agent's own metrics. */
  readonly onResponse?: (route: string, status: number, seconds: number) => void;
  /** TLS (and mTLS when `ca` is set: client certificates are required and verified against it). */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer; readonly ca?: Buffer };
  /** For rate limiting, which only measures intervals (tests pin it); default the RateLimiter's `monotonicClock`. */
  readonly now?: Clock;
  /**
   * Called, and awaited before the answer, for every state-changing request (POST, DELETE, ...) the
   * HTTP layer refused, whatever its path, unless the action service saw it (that one audits its own
   * refusals): 401, 403, 404, 405, 413, 415, 400, 429, actions disabled. So the audit log has every
   * attempt (see the pipeline's onRefusedChange for the few it does not get, and why).
   */
  readonly onRequestRefused?: (refusal: RequestRefusal) => void | Promise<void>;
}

/** A state-changing request refused by the HTTP layer: the shape the audit log writes (actions/audit.ts). */
export type RequestRefusal = HttpRefusal;

/** Bounds on what one client can make the agent do. */
export interface AgentLimits {
  readonly bodyLimitBytes: number;
  /** Whole request (headers and body) must arrive within this; also the headers deadline. */
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly rateLimit: RateLimitOptions;
  /** Open connections at most, in all (default 1024) and from one address (default 128). */
  readonly maxConnections?: number;
  readonly maxConnectionsPerAddress?: number;
}

/** Limits for a production agent: small bodies, 10 s to send a request, 20 requests/s per client. */
export const DEFAULT_LIMITS: AgentLimits = Object.freeze({
  bodyLimitBytes: 16 * 1024,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  rateLimit: Object.freeze({ perSecond: 20, burst: 40 }),
  maxConnections: 1024,
  maxConnectionsPerAddress: 128,
});

/** The agent's HTTP server, not yet listening (see PipelineServer: listen, close with a grace). */
export type AgentServer = PipelineServer;

const processQuery = z
  .object({
    sort: z.enum(['cpu', 'mem', 'io']).default('cpu'),
    // Digits only: no hex, exponents or spaces sneaking through a numeric coercion.
    limit: z.string().regex(/^[0-9]{1,3}$/, 'must be an integer from 1 to 500').transform(Number).pipe(z.number().int().min(1).max(500)).default('20'),
  })
  .strict();
const deviceQuery = z.object({ mountpoint: z.string().min(1).max(4096).optional() }).strict();
const noQuery = z.object({}).strict();
const actionQuery = z.object({ async: z.enum(['true', 'false', '1', '0']).optional() }).strict();
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Build the agent's HTTP server (not listening). */
export function createAgentServer(deps: AgentServerDeps): AgentServer {
  const { limits, log } = deps;
  const limiter = new RateLimiter(limits.rateLimit, deps.now);
  /** Requests whose refusal, if any, the action service audits itself. */
  const reachedActionService = new WeakSet<IncomingMessage>();
  /** The JSON of the last device list: concurrent requests share one collection, so one serialisation. */
  let devicesJson: { list: readonly DeviceInfo[]; body: Buffer } | undefined;

  const routes: Route<TokenPrincipal>[] = [
    {
      method: 'GET', name: '/v1/devices', path: /^\/v1\/devices$/, scope: 'read',
      handler: async ({ req, res, query }) => {
        const q = parseQuery(deviceQuery, query);
        const devices = await deps.devices();
        if (q.mountpoint === undefined) {
          if (devicesJson?.list !== devices) devicesJson = { list: devices, body: Buffer.from(JSON.stringify({ devices }), 'utf8') };
          send(res, 200, 'application/json; charset=utf-8', devicesJson.body, req.method === 'HEAD');
          return SENT;
        }
        const device = findDeviceByMountpoint(devices, q.mountpoint);
        if (!device) throw new VigiaError('AGENT_ERR_UNKNOWN_DEVICE', `no filesystem is mounted at "${q.mountpoint.slice(0, 200)}"`);
        return { device };
      },
    },
    {
      method: 'GET', name: '/v1/devices/:name', path: /^\/v1\/devices\/(.+)$/, scope: 'read',
      handler: async ({ params, query }) => {
        parseQuery(noQuery, query);
        const name = params[0]!;
        const devices = await deps.devices();
        // `/v1/devices/dev/mapper/vg-lv` (unencoded slashes) addresses `/dev/mapper/vg-lv`.
        const device = findDeviceByName(devices, name) ?? (name.startsWith('dev/') ? findDeviceByName(devices, `/${name}`) : undefined);
        if (!device) throw new VigiaError('AGENT_ERR_UNKNOWN_DEVICE', `no device named "${name.slice(0, 200)}" (GET /v1/devices lists them)`);
        return { device };
      },
    },
    { method: 'GET', name: '/v1/system', path: /^\/v1\/system$/, scope: 'read', handler: async ({ query }) => (parseQuery(noQuery, query), deps.system()) },
    {
      method: 'GET', name: '/v1/processes', path: /^\/v1\/processes$/, scope: 'read',
      handler: async ({ query, principal }) => {
        const q = parseQuery(processQuery, query);
        // Command lines carry passwords (`mysql -p...`, `--db-password=`): whole ones need their own scope.
        const commandLines = principal.scopes.includes('cmdline') ? 'full' : 'redacted';
        return { sort: q.sort, limit: q.limit, command_lines: commandLines, processes: await deps.processes({ sort: q.sort, limit: q.limit, commandLines }) };
      },
    },
    {
      method: 'GET', name: '/metrics', path: /^\/metrics$/, scope: 'read',
      handler: async ({ res, query }) => {
        parseQuery(noQuery, query);
        const text = await deps.metrics();
        send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', text);
        return SENT;
      },
    },
    { method: 'GET', name: '/v1/actions', path: /^\/v1\/actions$/, scope: 'read', handler: async ({ query }) => (parseQuery(noQuery, query), { actions: deps.actions?.list() ?? [] }) },
    {
      method: 'GET', name: '/v1/actions/runs/:id', path: /^\/v1\/actions\/runs\/([^/]+)$/, scope: 'read',
      handler: async ({ params, query }) => {
        parseQuery(noQuery, query);
        if (!deps.actions || !RUN_ID.test(params[0]!)) throw new VigiaError('AGENT_ERR_UNKNOWN_RUN');
        return deps.actions.get(params[0]!);
      },
    },
    {
      method: 'POST', name: '/v1/actions/:name', path: /^\/v1\/actions\/([^/]+)$/, scope: 'actions',
      handler: async ({ req, res, params, query, principal }) => {
        const q = parseQuery(actionQuery, query);
        const body = await readJsonBody(req, limits.bodyLimitBytes, { shape: ACTION_PARAMS_SHAPE, shapeError: 'AGENT_ERR_INVALID_PARAMS' });
        if (!deps.actions) throw new VigiaError('AGENT_ERR_UNKNOWN_ACTION', 'actions are disabled on this agent');
        reachedActionService.add(req);
        const run = await deps.actions.start(params[0]!, body ?? {}, principal.name, { wait: !(q.async === 'true' || q.async === '1') });
        if (run.status === 'running') {
          res.setHeader('location', `/v1/actions/runs/${run.id}`);
          sendJson(res, 202, run);
          return SENT;
        }
        return run;
      },
    },
  ];

  return createPipelineServer(
    // A few hundred half-open sockets from one address must not lock everyone else out.
    { requestTimeoutMs: limits.requestTimeoutMs, keepAliveTimeoutMs: limits.keepAliveTimeoutMs, maxConnections: limits.maxConnections ?? 1024, maxConnectionsPerAddress: limits.maxConnectionsPerAddress ?? 128 },
    deps.tls,
    {
      // One audience: every route needs a token from the token file (refused ones are limited by address).
      mounts: [{ name: 'api', owns: () => true, authenticate: bearerTokenAuthenticator(deps.tokens, limiter, 'token'), credential: 'bearer', routes }],
      log,
      ...(deps.onResponse ? { onResponse: deps.onResponse } : {}),
      onRefusedChange: async ({ req, method, path, principal, address, status, code }) => {
        // The action service audits the refusals it makes itself.
        if (reachedActionService.has(req)) return;
        await deps.onRequestRefused?.({ method, path, action: actionNameOf(req), client: principal?.name ?? null, address, status, code });
      },
    },
  );
}

/** The action a request's path names (`/v1/actions/<name>`, any length), percent-decoded where it can be. */
function actionNameOf(req: IncomingMessage): string | undefined {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const name = /^\/v1\/actions\/([^/]+)$/.exec(q === -1 ? url : url.slice(0, q))?.[1];
  if (name === undefined) return undefined;
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

function parseQuery<S extends z.ZodTypeAny>(schema: S, query: Record<string, string | string[]>): z.output<S> {
  return validateQuery(schema, query, 'AGENT_ERR_INVALID_QUERY');
}
