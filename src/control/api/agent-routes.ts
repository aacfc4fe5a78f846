/**
 * Agent routes (`/v1/agent/*`): what an enrolled host asks for itself with its own token: the long-poll
 * for its desired release and tasks, the signed bundle archives, its bundle status and task results.
 * Those are `leader` routes (the leader drives fleet changes; a follower forwards them). `whoami` is
 * not: any process answers it from the host-token cache, with or without fleet changes (the log
 * collector asks it to check a shipper's enrolment token: src/logs/collect/shipper-auth.ts). Their
 * paths are public (the agent is open source), so the mount matches first: 404 and 405 cost no token
 * lookup.
 */
import { VigiaError } from '../../core/errors.js';
import { readJsonBody, send, sendJson, validateQuery } from '../../core/http.js';
import { SENT, type Authenticate, type Mount, type Route } from '../../core/http-pipeline.js';
import { WHOAMI_PATH, type WhoamiAnswer } from '../../core/contracts/whoami.js';
import { BUNDLE_STATUS_SHAPE, bundleStatusSchema, MAX_POLL_WAIT_SECONDS, pollQuerySchema, TASK_RESULT_SHAPE, taskResultSchema } from '../../core/contracts/agent-poll.js';
import type { ControlServerDeps } from '../server.js';
import { fleetOf, hasFleetRoutes, issues, leaderRoutes, noQuery, untilClientLeaves, type HostPrincipal } from './shared.js';

/**
 * The agent mount: owns /v1/agent/*; host tokens only. Without fleet changes (--no-fleet) every path
 * but whoami is 404.
 */
export function agentMount(deps: ControlServerDeps, authenticate: Authenticate<HostPrincipal>): Mount<HostPrincipal> {
  const whoami: Route<HostPrincipal> = {
    method: 'GET', name: WHOAMI_PATH, path: /^\/v1\/agent\/whoami$/,
    handler: async ({ query, principal: { host } }): Promise<WhoamiAnswer> => {
      validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
      return { host: host.name };
    },
  };
  const routes: Route<HostPrincipal>[] = [whoami, ...(hasFleetRoutes(deps) ? agentRoutes(deps) : [])];
  return { name: 'agent', owns: (path) => path.startsWith('/v1/agent/'), authenticate, credential: 'host', order: 'match-first', routes };
}

function agentRoutes(deps: ControlServerDeps): Route<HostPrincipal>[] {
  const { limits } = deps;
  const fleet = fleetOf(deps);
  const routes: Omit<Route<HostPrincipal>, 'leader'>[] = [
    {
      method: 'GET', name: '/v1/agent/poll', path: /^\/v1\/agent\/poll$/,
      handler: async ({ req, res, query, principal: { host }, isClosing }) => {
        const f = fleet();
        const q = validateQuery(pollQuerySchema, query, 'VIGIA_ERR_BAD_REQUEST');
        f.rollouts.onPoll(host.id, host.name, q.release, q.sha256);
        const seen = req.headers['if-none-match'];
        return untilClientLeaves(res, async (signal) => {
          for (let waited = false; ; waited = true) {
            const desired = f.rollouts.desiredFor(host.id, host.name);
            const etag = `"r${desired?.release ?? 0}"`;
            const tasks = f.channel.takeTasks(host.id);
            if (tasks.length > 0 || seen !== etag) {
              res.setHeader('etag', etag);
              sendJson(res, 200, { desired, tasks });
              return SENT;
            }
            if (waited || q.wait === 0 || isClosing() || signal.aborted) break;
            // Park until something changes for this host, the wait runs out, or the client leaves.
            await f.channel.wait(host.id, Math.min(q.wait, MAX_POLL_WAIT_SECONDS) * 1000, signal);
            if (signal.aborted) return SENT;
          }
          res.setHeader('etag', seen ?? '"r0"');
          res.writeHead(304).end();
          return SENT;
        });
      },
    },
    {
      method: 'POST', name: '/v1/agent/bundle-status', path: /^\/v1\/agent\/bundle-status$/, maxBodyBytes: limits.bodyLimitBytes,
      handler: async ({ req, principal: { host } }) => {
        const parsed = bundleStatusSchema.safeParse(await readJsonBody(req, limits.bodyLimitBytes, { shape: BUNDLE_STATUS_SHAPE }));
        if (!parsed.success) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', issues(parsed.error).join('; '));
        fleet().rollouts.onStatus(host.id, host.name, parsed.data);
        return { recorded: true };
      },
    },
    {
      method: 'GET', name: '/v1/agent/bundles/:sha256', path: /^\/v1\/agent\/bundles\/([0-9a-f]{64})$/,
      handler: async ({ res, params, head }) => {
        const bytes = await fleet().bundles.archive(params[0]!);
        if (!bytes) throw new VigiaError('VIGIA_ERR_NOT_FOUND', 'no such bundle archive');
        res.setHeader('etag', `"${params[0]}"`);
        send(res, 200, 'application/json', bytes, head);
        return SENT;
      },
    },
    {
      method: 'POST', name: '/v1/agent/tasks/:id/result', path: /^\/v1\/agent\/tasks\/([0-9]{1,12}-[0-9]{1,12})\/result$/, maxBodyBytes: limits.bodyLimitBytes,
      handler: async ({ req, params, principal: { host } }) => {
        const parsed = taskResultSchema.safeParse(await readJsonBody(req, limits.bodyLimitBytes, { shape: TASK_RESULT_SHAPE }));
        if (!parsed.success) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', issues(parsed.error).join('; '));
        return { accepted: await fleet().runs.onResult(host.id, params[0]!, parsed.data) };
      },
    },
  ];
  return leaderRoutes(routes);
}
