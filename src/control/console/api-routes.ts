/**
 * The console's operator API (bearer tokens, like every /v1 route): `POST /v1/console/login-links`
 * (scope admin) makes a one-time login link, and `consoleMounts` composes it with the console's
 * own mount for server.ts. `createLoginLink` does the same in-process (for `vigia up`).
 */
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { VigiaError } from '../../core/errors.js';
import { validateQuery } from '../../core/http.js';
import type { Authenticate, Mount, Principal } from '../../core/http-pipeline.js';
import { jsonBody, noQuery, type OperatorPrincipal } from '../api/shared.js';
import type { ControlServerDeps } from '../server.js';
import { consoleMount } from './mount.js';
import type { ConsoleDeps } from './page.js';
import { LOGIN_LINK_TTL_MS } from './session.js';
import type { Grant, SessionStore } from './session-store.js';

const linkBody = z
  .object({
    /** The session's name (default: the caller's token name). */
    name: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'letters, digits, . _ @ -, at most 64').optional(),
    /** The session's scopes (default and at most: the caller's). */
    scopes: z.array(z.string().max(16)).max(8).optional(),
  })
  .strict();

/** A login link as answered: the path to open on the server (`/ui/login/<code>`) and its expiry. */
export interface LoginLink {
  readonly path: string;
  readonly expiresAt: Date;
}

/** Make a one-time login link for `grant` (valid LOGIN_LINK_TTL_MS), audited as made by `createdBy`. */
export async function createLoginLink(sessions: SessionStore, grant: Grant, createdBy: string, now: Date = new Date()): Promise<LoginLink> {
  const { code, expiresAt } = await sessions.createLink(grant, createdBy, now, LOGIN_LINK_TTL_MS);
  return { path: `/ui/login/${code}`, expiresAt };
}

/** The login-link route's mount (operator tokens, paths under /v1/console/). */
export function consoleApiMount(console: ConsoleDeps, authenticate: Authenticate<OperatorPrincipal>, now: Clock): Mount<OperatorPrincipal> {
  return {
    name: 'console-api', owns: (p) => p.startsWith('/v1/console/'), authenticate, credential: 'operator',
    routes: [
      {
        method: 'POST', name: '/v1/console/login-links', path: /^\/v1\/console\/login-links$/, scope: 'admin', maxBodyBytes: 4096,
        handler: async ({ req, query, principal }) => {
          validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
          const body = await jsonBody(req, linkBody, { maxDepth: 2, maxKeys: 2, maxItems: 8, maxStringLength: 64 }, 4096);
          const scopes = body.scopes ?? principal.scopes;
          const beyond = scopes.filter((s) => !principal.scopes.includes(s));
          // A link never grants more than its maker holds.
          if (beyond.length > 0) throw new VigiaError('VIGIA_ERR_FORBIDDEN', `a login link cannot grant scopes its maker lacks: ${beyond.join(', ')}`);
          const link = await createLoginLink(console.sessions, { name: body.name ?? principal.name, scopes: [...new Set(scopes)] }, principal.name, new Date(now()));
          return { path: link.path, expires_at: link.expiresAt.toISOString() };
        },
      },
    ],
  };
}

/** The console's two mounts for server.ts (none when the server has no console). */
export function consoleMounts(deps: ControlServerDeps, operator: Authenticate<OperatorPrincipal>, now: Clock): Mount<Principal>[] {
  if (!deps.console) return [];
  // The console steers the same rollout and run services as the operator API (server.ts FleetApi).
  const consoleDeps = deps.console.fleet === undefined && deps.fleet ? { ...deps.console, fleet: deps.fleet } : deps.console;
  const ui = consoleMount(consoleDeps, { operatorTokens: deps.operatorTokens, secure: Boolean(deps.tls), rateLimit: { ...deps.limits.rateLimit, burst: Math.max(deps.limits.rateLimit.burst, 100) }, log: deps.log, now });
  return [consoleApiMount(deps.console, operator, now) as Mount<Principal>, ui as Mount<Principal>];
}
