/**
 * Logging in and out of the console. Two ways in, both rate-limited per client address and
 * audited (`console.login`, `console.login_failed`): the form, where an operator pastes an operator
 * token (the session gets that token's name and scopes), and a one-time login link
 * `/ui/login/<code>` (`POST /v1/console/login-links`, `vigia server login-link`, `vigia up`). Every
 * login makes a new session id (the old cookie's session, if any, is deleted: rotation); logout
 * deletes the session (`console.logout`).
 */
import type { ServerResponse } from 'node:http';
import type { TokenEntry } from '../../core/auth.js';
import { matchBearer } from '../../core/auth.js';
import type { Clock } from '../../core/clock.js';
import { ERROR_CATALOG } from '../../core/errors.js';
import { addressKey } from '../../core/http.js';
import type { Route } from '../../core/http-pipeline.js';
import { RateLimiter } from '../../core/rate-limit.js';
import type { ConsolePrincipal } from './mount.js';
import { checkCsrf, redirect, sendHtml } from './mount.js';
import { readFormBody } from './form-body.js';
import { bare } from './layout.js';
import type { ConsoleDeps } from './page.js';
import { clearedSessionCookie, cookieValue, isSessionIdSyntax, sameOrigin, SESSION_COOKIE, sessionCookie, type SessionTimes } from './session.js';
import type { Grant } from './session-store.js';
import { e } from './view.js';

/** Default login attempts per client address: 10 at once, then one per 10 s. */
const DEFAULT_LOGIN_RATE = { perSecond: 0.1, burst: 10 };
/** Most bytes of the login form (a token is 43 characters). */
const MAX_LOGIN_FORM = 4096;

interface LoginOptions {
  readonly operatorTokens: readonly TokenEntry[];
  readonly secure: boolean;
  readonly clock: Clock;
  readonly times: SessionTimes;
}

function loginForm(deps: ConsoleDeps, res: ServerResponse, status: number, message: string | undefined, head = false) {
  const err = message ? `<p class="error" role="alert">${e(message)}</p>` : '';
  return sendHtml(
    res,
    status,
    bare({
      title: 'Sign in to Vigía',
      assets: deps.assets,
      body: `${err}<form method="post" action="/ui/login">
<label for="token">Operator token</label>
<input id="token" name="token" type="password" autocomplete="off" required maxlength="200" autofocus>
<p class="muted">A token from the control plane's operator token file (--auth-token-file). The session gets its name and scopes. Or open a one-time link from <code>vigia server login-link</code>.</p>
<button type="submit">Sign in</button></form>`,
    }),
    head,
  );
}

function failure(code: 'CONTROL_ERR_LOGIN_FAILED' | 'CONTROL_ERR_LOGIN_LINK' | 'VIGIA_ERR_RATE_LIMITED', detail?: string): string {
  return `${code}: ${ERROR_CATALOG[code].message}${detail ? `: ${detail}` : ''}`;
}

/** The login and logout routes of the console mount. */
export function loginRoutes(deps: ConsoleDeps, opts: LoginOptions): Route<ConsolePrincipal>[] {
  const limiter = new RateLimiter(deps.loginRateLimit ?? DEFAULT_LOGIN_RATE);
  /** Start a session for `grant` and set its cookie; the old cookie's session, if any, ends (rotation). */
  const startSession = async (res: ServerResponse, cookieHeader: string | undefined, grant: Grant, address: string, how: string): Promise<void> => {
    const old = cookieValue(cookieHeader, SESSION_COOKIE);
    const now = new Date(opts.clock());
    const s = await deps.sessions.create(grant, now, opts.times.absoluteMs, address, how, old !== undefined && isSessionIdSyntax(old) ? old : undefined);
    res.setHeader('set-cookie', sessionCookie(s.id, opts.times.absoluteMs / 1000, opts.secure));
  };
  return [
    {
      method: 'GET', name: '/ui/login', path: /^\/ui\/login$/,
      handler: async ({ res, principal, head }) => (principal.kind === 'console' ? redirect(res, '/ui/') : loginForm(deps, res, 200, undefined, head)),
    },
    {
      method: 'POST', name: '/ui/login', path: /^\/ui\/login$/, maxBodyBytes: MAX_LOGIN_FORM,
      handler: async ({ req, res, address }) => {
        if (!limiter.take(`addr:${addressKey(address)}`).allowed) {
          await deps.sessions.loginFailed(address, 'token', 'rate limited');
          res.setHeader('retry-after', '10');
          return loginForm(deps, res, 429, failure('VIGIA_ERR_RATE_LIMITED', 'too many sign-in attempts; wait a minute'));
        }
        // Login CSRF (a foreign page signing the browser in as someone else) is refused by origin.
        if (!sameOrigin(req.headers, opts.secure)) return loginForm(deps, res, 403, failure('CONTROL_ERR_LOGIN_FAILED', 'the form was not sent from this console'));
        const form = await readFormBody(req, MAX_LOGIN_FORM);
        const token = (form.get('token') ?? '').trim();
        const entry = token === '' ? undefined : matchBearer(opts.operatorTokens, `Bearer ${token}`);
        if (!entry) {
          await deps.sessions.loginFailed(address, 'token', token === '' ? 'empty token' : 'unknown token');
          return loginForm(deps, res, 401, failure('CONTROL_ERR_LOGIN_FAILED', 'unknown operator token'));
        }
        await startSession(res, req.headers.cookie, { name: entry.name, scopes: entry.scopes }, address, 'token');
        return redirect(res, '/ui/');
      },
    },
    {
      method: 'GET', name: '/ui/login/:code', path: /^\/ui\/login\/([A-Za-z0-9_-]{1,100})$/,
      handler: async ({ req, res, params, address }) => {
        if (!limiter.take(`addr:${addressKey(address)}`).allowed) {
          await deps.sessions.loginFailed(address, 'link', 'rate limited');
          res.setHeader('retry-after', '10');
          return loginForm(deps, res, 429, failure('VIGIA_ERR_RATE_LIMITED', 'too many sign-in attempts; wait a minute'));
        }
        const grant = await deps.sessions.consumeLink(params[0]!, new Date(opts.clock()));
        if (!grant) {
          await deps.sessions.loginFailed(address, 'link', 'unknown, used or expired link');
          return loginForm(deps, res, 401, failure('CONTROL_ERR_LOGIN_LINK'));
        }
        await startSession(res, req.headers.cookie, grant, address, 'link');
        // Not a redirect: a SameSite=Strict cookie set on a navigation that came from elsewhere (a
        // link clicked in a terminal or a chat) is not sent on a redirect of that navigation; a page
        // of ours that moves on by itself is a same-site navigation, which sends it.
        return sendHtml(res, 200, bare({ title: 'Signed in', assets: deps.assets, refreshTo: '/ui/', body: `<p>Signed in as <strong>${e(grant.name)}</strong>. <a href="/ui/">Open the console</a>.</p>` }));
      },
    },
    {
      method: 'POST', name: '/ui/logout', path: /^\/ui\/logout$/, maxBodyBytes: 4096,
      handler: async (ctx) => {
        const form = await readFormBody(ctx.req, 4096);
        checkCsrf(ctx, form, opts.secure);
        await deps.sessions.remove(ctx.principal.session!.idHash, { actor: ctx.principal.name, address: ctx.address });
        ctx.res.setHeader('set-cookie', clearedSessionCookie(opts.secure));
        return redirect(ctx.res, '/ui/login');
      },
    },
  ];
}
