/**
 * Operator routes: everything an operator token (--auth-token-file) may do, by scope. `read`: fleet
 * views, reports, /metrics; `admin`: enrol and remove hosts, publish bundles, steer rollouts; `run`:
 * fleet runs. The fleet-change routes (bundles, rollouts, drift, checks, audit, runs) are `leader`
 * routes: a follower process authenticates and scope-checks them, then forwards them to the leader.
 */
import { z } from 'zod';
import { hashToken, newToken } from '../../core/auth.js';
import type { Clock } from '../../core/clock.js';
import { dayProblem, isAcceptedDay } from '../../core/contracts/day.js';
import { HOST_NAME_RE, hostNameSchema, MAX_HOST_NAME_LENGTH } from '../../core/contracts/host-report.js';
import type { JsonShape } from '../../core/contracts/json-shape.js';
import { MAX_TAG_VALUE_LENGTH, MAX_TAGS, tagsSchema } from '../../core/contracts/tags.js';
import { VigiaError } from '../../core/errors.js';
import { readJsonBody, send, validateQuery } from '../../core/http.js';
import { SENT, type Authenticate, type Mount, type Route } from '../../core/http-pipeline.js';
import { PUBLISH_BODY_SHAPE, publishBodySchema } from '../bundles/bundle-service.js';
import { START_RUN_SHAPE, startRunSchema } from '../fleet-runs/run-service.js';
import { parseWhere } from '../fleet-runs/selector.js';
import type { ControlServerDeps } from '../server.js';
import { fleetOf, hasFleetRoutes, issues, jsonBody, leaderRoutes, noQuery, previousUtcDay, REPORT_FORMATS, untilClientLeaves, type OperatorPrincipal } from './shared.js';
import { plural } from '../../core/plural.js';

/** Most bytes of a publish request (a 16 MiB archive in base64 plus the envelopes). */
export const MAX_PUBLISH_BYTES = 23 * 1024 * 1024;
/** Most hosts one bulk enrolment may name. */
export const MAX_BULK_ENROLL_HOSTS = 1000;
/** Most bytes of an enrolment request (1,000 hosts with a few tags each fit in ~200 KB). */
export const MAX_ENROLL_BYTES = 2 * 1024 * 1024;

/** `all=1`: the capacity table lists healthy volumes too (as `vigia report capacity --all`). */
const capacityQuery = z.object({ format: z.enum(REPORT_FORMATS).default('json'), all: z.enum(['0', '1']).optional() }).strict();
const performanceQuery = z
  .object({ day: z.string().optional(), format: z.enum(REPORT_FORMATS).default('json') })
  .strict();
const resultsQuery = z.object({ after: z.coerce.number().int().min(0).max(1e9).default(0), wait: z.coerce.number().int().min(0).max(30).default(0) }).strict();
const auditQuery = z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(100) }).strict();
/**
 * `POST /v1/hosts/remove`: the hosts a selector picks (`where`, as `vigia run --where`), listed with
 * `dry_run`, else removed. Removing more than one host needs `confirm`: the count the operator saw.
 */
const bulkRemove = z
  .object({ where: z.record(z.string().max(80), z.string().max(MAX_TAG_VALUE_LENGTH)).refine((w) => Object.keys(w).length > 0, 'where: at least one key=value').refine((w) => Object.keys(w).length <= MAX_TAGS, `where: at most ${MAX_TAGS} keys`), dry_run: z.boolean().default(false), confirm: z.number().int().min(0).optional() })
  .strict();
const enrollHost = z.object({ host: hostNameSchema, tags: tagsSchema.optional() }).strict();
const bulkEnroll = z
  .object({ hosts: z.array(enrollHost).min(1).max(MAX_BULK_ENROLL_HOSTS) })
  .strict()
  .refine((b) => new Set(b.hosts.map((h) => h.host)).size === b.hosts.length, 'a host is named twice');
/** The structural bounds of an enrolment body: `{"host","tags"}` or `{"hosts":[{"host","tags"}, ...]}`. */
const ENROLL_SHAPE: JsonShape = Object.freeze({ maxDepth: 4, maxKeys: MAX_TAGS, maxItems: MAX_BULK_ENROLL_HOSTS, maxStringLength: Math.max(MAX_HOST_NAME_LENGTH, MAX_TAG_VALUE_LENGTH) });

/** The operator mount: owns every path no other mount owns; operator tokens only. */
export function operatorMount(deps: ControlServerDeps, authenticate: Authenticate<OperatorPrincipal>, now: Clock): Mount<OperatorPrincipal> {
  const { log } = deps;
  /**
   * Enrol (or rotate) one host; its new token is known to this process's cache at once. The change
   * and its audit row (`host.enroll`/`host.rotate`, GET /v1/audit) are one transaction.
   */
  const enroll = async (entry: z.infer<typeof enrollHost>, client: string) => {
    const token = newToken();
    const tokenHash = hashToken(token);
    // No tags given: a rotation keeps the operator's tags.
    const { created, host } = await deps.store.enrollHost(entry.host, tokenHash, entry.tags, undefined, { actor: client });
    deps.hostAuth.hostChanged(host.id, tokenHash, host);
    log.info({ audit: true, client, host: host.name, created }, created ? 'host enrolled' : 'host token rotated');
    return { host: host.name, token, created };
  };
  const routes: Route<OperatorPrincipal>[] = [
    {
      method: 'GET', name: '/v1/hosts', path: /^\/v1\/hosts$/, scope: 'read',
      handler: async ({ query }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        return { hosts: await deps.store.hostStatuses() };
      },
    },
    {
      // `{"host","tags"?}` enrols one host; `{"hosts":[...]}` up to 1,000, one audit line each. Hosts are
      // enrolled one after the other: when one fails the earlier ones are enrolled but their tokens are
      // not answered; sending the batch again rotates them (the unanswered tokens were never used).
      method: 'POST', name: '/v1/hosts/enroll', path: /^\/v1\/hosts\/enroll$/, scope: 'admin',
      handler: async ({ req, query, principal }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        const body = await readJsonBody(req, MAX_ENROLL_BYTES, { shape: ENROLL_SHAPE });
        if (body !== null && typeof body === 'object' && 'hosts' in body) {
          const parsed = bulkEnroll.safeParse(body);
          if (!parsed.success) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', issues(parsed.error).join('; '));
          const hosts = [];
          for (const entry of parsed.data.hosts) hosts.push(await enroll(entry, principal.name));
          return { hosts };
        }
        const parsed = enrollHost.safeParse(body);
        if (!parsed.success) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', issues(parsed.error).join('; '));
        return enroll(parsed.data, principal.name);
      },
    },
    {
      method: 'POST', name: '/v1/hosts/remove', path: /^\/v1\/hosts\/remove$/, scope: 'admin', maxBodyBytes: 64 * 1024,
      handler: async ({ req, query, principal }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        const body = await jsonBody(req, bulkRemove, { maxDepth: 2, maxKeys: MAX_TAGS, maxItems: 0, maxStringLength: MAX_TAG_VALUE_LENGTH }, 64 * 1024);
        // The same parser as --where on the command line: key syntax, values, no repeated key.
        const where = parseWhere(Object.entries(body.where).map(([k, v]) => `${k}=${v}`).join(','));
        if (body.dry_run) {
          const hosts = await deps.store.hostsWhere(where);
          return { where, count: hosts.length, hosts: hosts.map((h) => h.name), removed: false };
        }
        const selected = await deps.store.hostsWhere(where);
        if (selected.length > 1 && body.confirm === undefined) {
          throw new VigiaError('VIGIA_ERR_BAD_REQUEST', `--where selects ${plural(selected.length, 'host')}: confirm the count (confirm: ${selected.length}; vigia server remove --yes)`);
        }
        const removed = await deps.store.removeHostsWhere(where, { actor: principal.name, ...(body.confirm !== undefined ? { expect: body.confirm } : {}) });
        for (const h of removed) {
          deps.hostAuth.hostChanged(h.id);
          deps.fleet?.rollouts.onHostRemoved(h.id);
        }
        log.info({ audit: true, client: principal.name, where, removed: removed.length }, 'hosts removed');
        return { where, count: removed.length, hosts: removed.map((h) => h.name), removed: true };
      },
    },
    {
      method: 'DELETE', name: '/v1/hosts/:name', path: /^\/v1\/hosts\/([^/]+)$/, scope: 'admin',
      handler: async ({ params, query, principal }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        const name = params[0]!;
        const known = HOST_NAME_RE.test(name) ? await deps.store.hostByName(name) : undefined;
        if (!known || !(await deps.store.removeHost(name, { actor: principal.name }))) throw new VigiaError('CONTROL_ERR_UNKNOWN_HOST', name.slice(0, 253));
        deps.hostAuth.hostChanged(known.id);
        deps.fleet?.rollouts.onHostRemoved(known.id);
        log.info({ audit: true, client: principal.name, host: name }, 'host removed');
        return { host: name, removed: true };
      },
    },
    {
      method: 'GET', name: '/v1/reports/capacity', path: /^\/v1\/reports\/capacity$/, scope: 'read',
      handler: async ({ res, query }) => {
        const q = validateQuery(capacityQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        const r = await deps.capacityReport(q.format, { all: q.all === '1' });
        send(res, 200, r.contentType, r.body);
        return SENT;
      },
    },
    {
      method: 'GET', name: '/v1/reports/performance', path: /^\/v1\/reports\/performance$/, scope: 'read',
      handler: async ({ res, query }) => {
        const q = validateQuery(performanceQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        const day = q.day ?? previousUtcDay(new Date(now()));
        if (!isAcceptedDay(day)) throw new VigiaError('CONTROL_ERR_INVALID_DAY', dayProblem('day', day));
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
  // Fleet routes exist where fleet changes are served here or forwarded to the leader; elsewhere
  // (--no-fleet) they are unknown paths (404).
  if (hasFleetRoutes(deps)) routes.push(...fleetRoutes(deps));
  return { name: 'operator', owns: () => true, authenticate, credential: 'operator', routes };
}

/** The fleet-change routes; their handlers run in the leader (or the only process). */
function fleetRoutes(deps: ControlServerDeps): Route<OperatorPrincipal>[] {
  const fleet = fleetOf(deps);
  const runId = (p: string): number => Number(p);
  const routes: Omit<Route<OperatorPrincipal>, 'leader'>[] = [
    {
      method: 'GET', name: '/v1/bundles', path: /^\/v1\/bundles$/, scope: 'read',
      handler: async ({ query }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        return fleet().bundles.index();
      },
    },
    {
      method: 'POST', name: '/v1/bundles', path: /^\/v1\/bundles$/, scope: 'admin', maxBodyBytes: MAX_PUBLISH_BYTES,
      handler: async ({ req, query, principal }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        return fleet().bundles.publish(await jsonBody(req, publishBodySchema, PUBLISH_BODY_SHAPE, MAX_PUBLISH_BYTES), principal.name);
      },
    },
    {
      method: 'GET', name: '/v1/rollouts/current', path: /^\/v1\/rollouts\/current$/, scope: 'read',
      handler: async ({ query }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        const view = fleet().rollouts.view();
        if (!view) throw new VigiaError('CONTROL_ERR_NO_ROLLOUT', 'nothing was published yet');
        return view;
      },
    },
    ...(['pause', 'resume', 'rollback'] as const).map((step): Route<OperatorPrincipal> => ({
      method: 'POST', name: `/v1/rollouts/current/${step}`, path: new RegExp(`^/v1/rollouts/current/${step}$`), scope: 'admin',
      handler: async ({ query, principal }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        return fleet().rollouts[step](principal.name);
      },
    })),
    {
      method: 'GET', name: '/v1/drift', path: /^\/v1\/drift$/, scope: 'read',
      handler: async ({ query }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        const f = fleet();
        return { rollout: f.rollouts.view() ?? null, releases: f.rollouts.drift() };
      },
    },
    {
      method: 'GET', name: '/v1/audit', path: /^\/v1\/audit$/, scope: 'read',
      handler: async ({ query }) => {
        const q = validateQuery(auditQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        return { lines: await fleet().audit(q.limit) };
      },
    },
    {
      method: 'GET', name: '/v1/checks', path: /^\/v1\/checks$/, scope: 'read',
      handler: async ({ query }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        return { hosts: await fleet().checks() };
      },
    },
    {
      method: 'POST', name: '/v1/runs', path: /^\/v1\/runs$/, scope: 'run', maxBodyBytes: deps.limits.bodyLimitBytes,
      handler: async ({ req, query, principal }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        return fleet().runs.start(await jsonBody(req, startRunSchema, START_RUN_SHAPE, deps.limits.bodyLimitBytes), principal.name);
      },
    },
    {
      method: 'GET', name: '/v1/runs', path: /^\/v1\/runs$/, scope: 'read',
      handler: async ({ query }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        return { runs: await fleet().runs.list() };
      },
    },
    {
      method: 'GET', name: '/v1/runs/:id', path: /^\/v1\/runs\/([0-9]{1,9})$/, scope: 'read',
      handler: async ({ params, query }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        return fleet().runs.view(runId(params[0]!));
      },
    },
    {
      method: 'GET', name: '/v1/runs/:id/results', path: /^\/v1\/runs\/([0-9]{1,9})\/results$/, scope: 'read',
      handler: async ({ res, params, query }) => {
        const q = validateQuery(resultsQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        // A client that goes away ends the wait.
        return untilClientLeaves(res, (signal) => fleet().runs.results(runId(params[0]!), q.after, q.wait * 1000, signal));
      },
    },
    {
      method: 'GET', name: '/v1/runs/:id/hosts', path: /^\/v1\/runs\/([0-9]{1,9})\/hosts$/, scope: 'read',
      handler: async ({ params, query }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        return { hosts: await fleet().runs.hosts(runId(params[0]!)) };
      },
    },
    {
      method: 'POST', name: '/v1/runs/:id/cancel', path: /^\/v1\/runs\/([0-9]{1,9})\/cancel$/, scope: 'run',
      handler: async ({ params, query, principal }) => {
        validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
        return fleet().runs.cancel(runId(params[0]!), principal.name);
      },
    },
  ];
  return leaderRoutes(routes);
}
