/**
 * The web console's mount on the control plane's pipeline (server.ts lists it before the operator
 * mount): it owns `/`, `/ui` and everything under `/ui/`. Its authenticator runs first for every
 * request and sets the console's security headers (CSP without unsafe-inline, no framing, no
 * referrer, nosniff), so every answer carries them, errors included. It rate-limits per client
 * address, then finds the session of the `vigia_session` cookie (session-store.ts); without one,
 * GETs and login attempts go on as `anonymous` (pages then redirect to the login form) and any
 * other request is 401.
 *
 * Units (registry.ts) become routes here, each wrapped: pages and streams need a session with their
 * scope (default `read`); actions need their scope (checked by the pipeline: refused POSTs of a
 * logged-in session are audited `request.rejected` like any operator refusal), then a same-origin
 * request (session.ts `sameOrigin`) carrying the session's CSRF token (`X-CSRF-Token` or the form
 * field `_csrf`): otherwise 403 CONTROL_ERR_CSRF, audited the same way.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenEntry } from '../../core/auth.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { VigiaError } from '../../core/errors.js';
import { addressKey, send } from '../../core/http.js';
import { rateLimited, SENT, type Mount, type Principal, type Route, type RouteContext } from '../../core/http-pipeline.js';
import type { Logger } from '../../core/log.js';
import { RateLimiter, type RateLimitOptions } from '../../core/rate-limit.js';
import { readFormBody } from './form-body.js';
import { bare, layout, NAV } from './layout.js';
import { loginRoutes } from './login-routes.js';
import type { ConsoleDeps, ConsoleSession, PageContext } from './page.js';
import { ACTIONS, PAGES, STREAMS } from './registry.js';
import { cookieValue, csrfMatches, csrfTokenOf, DEFAULT_SESSION_TIMES, isSessionIdSyntax, needsTouch, sameOrigin, SESSION_COOKIE, sessionAlive } from './session.js';
import { openEventStream } from './sse.js';
import { e } from './view.js';

/** The Content-Security-Policy of every console answer. */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Who a console request is: a session, or `anonymous` (GETs and login attempts only). */
export interface ConsolePrincipal extends Principal {
  readonly kind: 'console' | 'anonymous';
  readonly scopes: readonly string[];
  /** The session id (from the cookie) and the stored hash; absent for anonymous. */
  readonly session?: { readonly id: string; readonly idHash: string };
}

/** What the mount needs from the control server. */
export interface ConsoleMountOptions {
  readonly operatorTokens: readonly TokenEntry[];
  /** The server speaks TLS: cookies get `Secure`, Origin checks expect https. */
  readonly secure: boolean;
  /** Per client address, every console request (pages, assets, actions). */
  readonly rateLimit: RateLimitOptions;
  readonly log: Logger;
  readonly now?: Clock;
}

const SAFE = new Set(['GET', 'HEAD']);
const LOGIN_PATH = /^\/ui\/login(?:\/[A-Za-z0-9_-]{1,100})?$/;
/** Default body bound of an action's form. */
const DEFAULT_ACTION_BODY = 16 * 1024;

/** Set the console's security headers on an answer. */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', CONSOLE_CSP);
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
}

/** Send an HTML answer. */
export function sendHtml(res: ServerResponse, status: number, html: string, head = false): typeof SENT {
  send(res, status, 'text/html; charset=utf-8', html, head);
  return SENT;
}

/** A 303 to `location` (a path of ours). */
export function redirect(res: ServerResponse, location: string): typeof SENT {
  res.statusCode = 303;
  res.setHeader('location', location);
  res.setHeader('content-length', 0);
  res.end();
  return SENT;
}

/** The console's mount; see the file comment. */
export function consoleMount(deps: ConsoleDeps, opts: ConsoleMountOptions): Mount<ConsolePrincipal> {
  const clock = deps.now ?? opts.now ?? systemClock;
  const times = deps.times ?? DEFAULT_SESSION_TIMES;
  const limiter = new RateLimiter(opts.rateLimit);
  const units = deps.units ?? { pages: PAGES, actions: ACTIONS, streams: STREAMS };
  const pageNav = new Set(units.pages.map((p) => p.nav));

  const authenticate = async (req: IncomingMessage, res: ServerResponse, address: string): Promise<ConsolePrincipal | undefined> => {
    setSecurityHeaders(res);
    const d = limiter.take(`addr:${addressKey(address)}`);
    if (!d.allowed) throw rateLimited(res, d.retryAfterSeconds);
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (id !== undefined && isSessionIdSyntax(id)) {
      const row = await deps.sessions.get(id);
      const t = clock();
      if (row && sessionAlive(row, t, times)) {
        if (needsTouch(row, t)) await deps.sessions.touch(row.idHash, new Date(t));
        return { kind: 'console', name: row.name, scopes: row.scopes, session: { id, idHash: row.idHash } };
      }
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (SAFE.has(req.method ?? 'GET') || LOGIN_PATH.test(path)) return { kind: 'anonymous', name: 'anonymous', scopes: [] };
    return undefined;
  };

  const sessionOf = (p: ConsolePrincipal): ConsoleSession | undefined => (p.kind === 'console' && p.session ? { name: p.name, scopes: p.scopes, csrf: csrfTokenOf(p.session.id) } : undefined);
  const contextOf = (ctx: RouteContext<ConsolePrincipal>, session: ConsoleSession): PageContext => ({
    deps, session, params: ctx.params, query: ctx.query, now: new Date(clock()), can: (s) => session.scopes.includes(s), htmx: ctx.req.headers['hx-request'] === 'true', req: ctx.req,
  });
  /** GET with a session holding `scope`: else a redirect to the login form, or a 403 page. */
  const withSession = (scope: string, ctx: RouteContext<ConsolePrincipal>, fn: (session: ConsoleSession) => Promise<unknown>): Promise<unknown> => {
    const session = sessionOf(ctx.principal);
    if (!session) return Promise.resolve(redirect(ctx.res, '/ui/login'));
    if (!session.scopes.includes(scope)) {
      return Promise.resolve(sendHtml(ctx.res, 403, layout({ title: 'Not allowed', body: `<p>This page needs the scope <code>${e(scope)}</code>.</p>`, session, active: '', assets: deps.assets }), ctx.head));
    }
    return fn(session);
  };

  const routes: Route<ConsolePrincipal>[] = [
    { method: 'GET', name: '/', path: /^\/$/, handler: async ({ res }) => redirect(res, '/ui/') },
    { method: 'GET', name: '/ui', path: /^\/ui$/, handler: async ({ res }) => redirect(res, '/ui/') },
    {
      method: 'GET', name: '/ui/assets/:file', path: /^\/ui\/assets\/[0-9a-f]{12}\/[A-Za-z0-9._-]{1,64}$/,
      handler: async ({ req, res, head }) => {
        const asset = deps.assets.byUrl.get((req.url ?? '').split('?')[0]!);
        if (!asset) throw new VigiaError('VIGIA_ERR_NOT_FOUND');
        // The URL holds the content hash: a new build is a new URL, so this one never changes.
        res.setHeader('cache-control', 'public, max-age=31536000, immutable');
        send(res, 200, asset.type, asset.body, head);
        return SENT;
      },
    },
    ...loginRoutes(deps, { ...opts, clock, times }),
    ...units.pages.map((page): Route<ConsolePrincipal> => ({
      method: 'GET', name: page.name, path: page.path, ...(page.leader ? { leader: true } : {}),
      handler: (ctx) => withSession(page.scope ?? 'read', ctx, async (session) => {
        const pc = contextOf(ctx, session);
        const r = await page.render(pc);
        if (pc.htmx && r.fragment !== undefined) return sendHtml(ctx.res, r.status ?? 200, r.fragment, ctx.head);
        return sendHtml(ctx.res, r.status ?? 200, layout({ title: r.title, body: r.body, session, active: page.nav, assets: deps.assets }), ctx.head);
      }),
    })),
    ...units.streams.map((stream): Route<ConsolePrincipal> => ({
      method: 'GET', name: stream.name, path: stream.path, ...(stream.leader ? { leader: true } : {}),
      handler: (ctx) => withSession(stream.scope ?? 'read', ctx, async (session) => {
        await openEventStream(ctx.res, ctx.isClosing, (sink) => stream.open(contextOf(ctx, session), sink));
        return SENT;
      }),
    })),
    ...units.actions.map((action): Route<ConsolePrincipal> => ({
      method: 'POST', name: action.name, path: action.path, scope: action.scope, maxBodyBytes: action.maxBodyBytes ?? DEFAULT_ACTION_BODY, ...(action.leader ? { leader: true } : {}),
      handler: async (ctx) => {
        const session = sessionOf(ctx.principal);
        if (!session) throw new VigiaError('VIGIA_ERR_UNAUTHORIZED');
        const form = await readFormBody(ctx.req, action.maxBodyBytes ?? DEFAULT_ACTION_BODY);
        checkCsrf(ctx, form, opts.secure);
        form.delete('_csrf');
        const r = await action.handle({ ...contextOf(ctx, session), form });
        if ('redirect' in r) return redirect(ctx.res, r.redirect);
        if ('page' in r) return sendHtml(ctx.res, r.page.status ?? 200, layout({ title: r.page.title, body: r.page.body, session, active: r.nav, assets: deps.assets }));
        return sendHtml(ctx.res, 200, r.fragment);
      },
    })),
    // Nav entries without a page yet: say so rather than 404.
    ...NAV.filter((n) => !pageNav.has(n.id) && n.href !== '/ui/').map((n): Route<ConsolePrincipal> => ({
      method: 'GET', name: n.href, path: new RegExp(`^${n.href}$`),
      handler: (ctx) => withSession('read', ctx, async (session) => sendHtml(ctx.res, 200, layout({ title: n.label, body: '<p class="empty">Not available yet.</p>', session, active: n.id, assets: deps.assets }), ctx.head)),
    })),
    {
      method: 'GET', name: '/ui/*', path: /^\/ui\/.*$/,
      handler: (ctx) => withSession('read', ctx, async (session) => sendHtml(ctx.res, 404, layout({ title: 'Not found', body: '<p>No such page. <a href="/ui/">Back to the overview</a>.</p>', session, active: '', assets: deps.assets }), ctx.head)),
    },
  ];
  return { name: 'console', owns: (p) => p === '/' || p === '/ui' || p.startsWith('/ui/'), authenticate, credential: 'console session', routes };
}

/**
 * A state change must come from our own pages (Origin / Sec-Fetch-Site) and carry this session's
 * CSRF token; otherwise 403 CONTROL_ERR_CSRF (thrown, so the pipeline audits the refusal).
 */
export function checkCsrf(ctx: RouteContext<ConsolePrincipal>, form: URLSearchParams, secure: boolean): void {
  const id = ctx.principal.session?.id;
  if (id === undefined) throw new VigiaError('VIGIA_ERR_UNAUTHORIZED');
  if (!sameOrigin(ctx.req.headers, secure)) throw new VigiaError('CONTROL_ERR_CSRF', 'the request did not come from this console');
  const header = ctx.req.headers['x-csrf-token'];
  const presented = typeof header === 'string' ? header : form.get('_csrf') ?? undefined;
  if (!csrfMatches(id, presented)) throw new VigiaError('CONTROL_ERR_CSRF', 'missing or wrong CSRF token (reload the page)');
}
