/**
 * The console's session rules, pure: cookie syntax, the CSRF token of a session, expiry, and the
 * same-origin check of state-changing requests. The store (session-store.ts) keeps the rows; the
 * mount (mount.ts) applies these rules to requests.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The session cookie's name. */
export const SESSION_COOKIE = 'vigia_session';
/** The cookie's path: the browser sends it to the console's pages only, never to the operator API. */
export const SESSION_COOKIE_PATH = '/ui';
/** How long a session lives, as configured. */
export interface SessionTimes {
  /** Without a request for this long, a session ends (default 30 min). */
  readonly idleMs: number;
  /** A session ends this long after login whatever its use (default 12 h). */
  readonly absoluteMs: number;
}
/** Defaults of SessionTimes. */
export const DEFAULT_SESSION_TIMES: SessionTimes = Object.freeze({ idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 });
/** How long a one-time login link stays valid. */
export const LOGIN_LINK_TTL_MS = 10 * 60_000;
/**
 * A session's `last_used_at` is written at most this often: a page view is not a database write.
 * The idle expiry is therefore up to this much late, never early.
 */
export const TOUCH_EVERY_MS = 60_000;

/** A stored session as the rules need it. */
export interface SessionTimesRow {
  readonly lastUsedAt: Date;
  readonly expiresAt: Date;
}

/** Whether a session is still valid at `now`: before its absolute expiry and used within `idleMs`. */
export function sessionAlive(row: SessionTimesRow, now: number, times: SessionTimes): boolean {
  return now < row.expiresAt.getTime() && now - row.lastUsedAt.getTime() < times.idleMs;
}

/** Whether a live session's `last_used_at` is old enough to be written again. */
export function needsTouch(row: SessionTimesRow, now: number): boolean {
  return now - row.lastUsedAt.getTime() >= TOUCH_EVERY_MS;
}

/** The stored form of a session id or login code: its SHA-256, hex. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * The CSRF synchronizer token of a session: derived from the session id (which only the browser
 * holds) with a domain separator, so it needs no storage, differs per session, changes at every
 * login (rotation), and cannot be computed from the database (which holds another hash of the id).
 */
export function csrfTokenOf(sessionId: string): string {
  return createHash('sha256').update(`vigia-console-csrf\0${sessionId}`, 'utf8').digest('base64url');
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(sessionId: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const want = Buffer.from(csrfTokenOf(sessionId));
  const got = Buffer.from(presented);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The value of one cookie in a Cookie header (the first one of that name), or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A session id as we make them (newToken: 32 random bytes, base64url); anything else is not looked up. */
export function isSessionIdSyntax(id: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(id);
}

/** The Set-Cookie value of a new session: HttpOnly, SameSite=Strict, Path=/ui, Secure under TLS. */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=${SESSION_COOKIE_PATH}; Max-Age=${Math.floor(maxAgeSeconds)}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that deletes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=${SESSION_COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/**
 * Whether a state-changing request comes from our own pages, by the headers browsers add and pages
 * cannot forge: `Sec-Fetch-Site` must be `same-origin` when present, and `Origin`, when present, must
 * be this server's own (`scheme://Host`). A client that sends neither (curl, an old browser) passes
 * this check; the synchronizer token is then the whole protection, as it is against same-site pages.
 * `Origin: null` is what Chromium sends for a form posted from our own page under
 * `Referrer-Policy: no-referrer` (seen in a real browser: the login form was refused); it passes only
 * with `Sec-Fetch-Site: same-origin`, which the browser sets and a page cannot.
 */
export function sameOrigin(headers: IncomingHttpHeaders, secure: boolean): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = headers.origin;
  if (origin === undefined) return true;
  const host = headers.host;
  if (origin === 'null') return site === 'same-origin';
  if (!host) return false;
  return origin === `${secure ? 'https' : 'http'}://${host}`;
}
