/**
 * Who may send log lines: shippers with their host's enrolment token (`vigia server enroll`), checked
 * with the control plane (`GET /v1/agent/whoami`, src/core/contracts/whoami.ts) and cached here, or,
 * for a collector without a control plane, tokens from `--shipper-tokens FILE` (token-file lines,
 * `name=<host>`). Either way the principal's name is the web server's name: it becomes the `server`
 * of every record of the batch (a shipper cannot file lines under another host's name).
 *
 * The cache follows src/control/host-auth.ts: a known token is trusted for `ttlMs` (5 min: a token
 * revoked on the control plane stops working here within that), an unknown one is remembered as
 * unknown for `negativeTtlMs` (30 s) in a separate, smaller table (guesses cannot push real hosts out),
 * concurrent lookups of one token share one request, and at most `maxLookups` requests to the control
 * plane run at once (beyond: 503 LOGS_ERR_CONTROL_UNAVAILABLE with Retry-After, so a flood of guesses
 * queues nothing). Only SHA-256 hashes of tokens are kept. Guesses are also rate limited per client
 * address before any lookup (shipperAuthenticator).
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { hashToken } from '../../core/auth.js';
import { VigiaError } from '../../core/errors.js';
import { addressKey } from '../../core/http.js';
import { rateLimited, type Authenticate, type Principal } from '../../core/http-pipeline.js';
import type { RateLimiter } from '../../core/rate-limit.js';
import { WHOAMI_PATH, whoamiAnswerSchema } from '../../core/contracts/whoami.js';

/** A shipper, by its host's token: `name` is the host. */
export interface ShipperPrincipal extends Principal {
  readonly kind: 'shipper';
}

/** Asks whoever knows (the control plane) which host a token belongs to; undefined: nobody. Throws LOGS_ERR_CONTROL_UNAVAILABLE when it cannot tell. */
export type TokenLookup = (token: string) => Promise<string | undefined>;

/** Cache bounds (see the file comment). */
export interface ShipperAuthOptions {
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  readonly maxEntries: number;
  readonly maxNegativeEntries: number;
  readonly maxLookups: number;
  readonly now: Clock;
}

/** Defaults: as the control plane's host-token cache. */
export const DEFAULT_SHIPPER_AUTH: ShipperAuthOptions = Object.freeze({ ttlMs: 300_000, negativeTtlMs: 30_000, maxEntries: 100_000, maxNegativeEntries: 10_000, maxLookups: 32, now: systemClock });

/** Host tokens checked by `lookup`, cached; see the file comment. */
export class ShipperTokenCache {
  private readonly lookup: TokenLookup;
  private readonly opts: ShipperAuthOptions;
  private readonly known = new Map<string, { host: string; until: number }>();
  private readonly unknown = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<string | undefined>>();

  constructor(lookup: TokenLookup, opts: Partial<ShipperAuthOptions> = {}) {
    this.lookup = lookup;
    this.opts = { ...DEFAULT_SHIPPER_AUTH, ...opts };
  }

  /** The cached answer for a token: the host, null (known bad), or undefined (ask). */
  cached(token: string): string | null | undefined {
    const hash = hashToken(token);
    const now = this.opts.now();
    const k = this.known.get(hash);
    if (k && k.until > now) return k.host;
    const u = this.unknown.get(hash);
    if (u !== undefined && u > now) return null;
    return undefined;
  }

  /** The host of `token`, or undefined. Throws LOGS_ERR_CONTROL_UNAVAILABLE when maxLookups are running or the lookup fails. */
  async host(token: string): Promise<string | undefined> {
    const c = this.cached(token);
    if (c !== undefined) return c ?? undefined;
    const hash = hashToken(token);
    const pending = this.inflight.get(hash);
    if (pending) return pending;
    if (this.inflight.size >= this.opts.maxLookups) throw new VigiaError('LOGS_ERR_CONTROL_UNAVAILABLE', `${this.opts.maxLookups} token checks are running already`);
    const lookup = this.lookup(token);
    this.inflight.set(hash, lookup);
    try {
      const host = await lookup;
      this.remember(hash, host);
      return host;
    } finally {
      this.inflight.delete(hash);
    }
  }

  private remember(hash: string, host: string | undefined): void {
    const now = this.opts.now();
    this.known.delete(hash);
    this.unknown.delete(hash);
    if (host !== undefined) {
      if (this.known.size >= this.opts.maxEntries) this.known.delete(this.known.keys().next().value!);
      this.known.set(hash, { host, until: now + this.opts.ttlMs });
    } else {
      if (this.unknown.size >= this.opts.maxNegativeEntries) this.unknown.delete(this.unknown.keys().next().value!);
      this.unknown.set(hash, now + this.opts.negativeTtlMs);
    }
  }
}

/**
 * `GET <control>/v1/agent/whoami` with the token: 200 names the host, 401 means unknown; anything else
 * (unreachable, 429, 5xx, a strange answer, no answer within `timeoutMs`) is LOGS_ERR_CONTROL_UNAVAILABLE.
 */
export function controlPlaneLookup(controlUrl: string, timeoutMs = 5000): TokenLookup {
  const url = new URL(WHOAMI_PATH, controlUrl).toString();
  return async (token) => {
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
      text = (await res.text()).slice(0, 4096);
    } catch (err) {
      throw new VigiaError('LOGS_ERR_CONTROL_UNAVAILABLE', `${controlUrl}: ${(err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'unreachable'}`, { cause: err });
    }
    if (res.status === 401) return undefined;
    if (res.status !== 200) throw new VigiaError('LOGS_ERR_CONTROL_UNAVAILABLE', `${controlUrl} answered ${res.status}`);
    let parsed;
    try {
      parsed = whoamiAnswerSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) throw new VigiaError('LOGS_ERR_CONTROL_UNAVAILABLE', `${controlUrl} answered something that is not a whoami answer`);
    return parsed.data.host;
  };
}

/** The bearer token of an Authorization header, or undefined (none, another scheme, implausible length). */
function bearerOf(authorization: string | undefined): string | undefined {
  if (!authorization || !/^bearer /i.test(authorization)) return undefined;
  const token = authorization.slice(7).trim();
  return token.length >= 16 && token.length <= 512 ? token : undefined;
}

/**
 * The pipeline authenticator of shippers checked with the control plane: a token not known here is
 * first charged to its client address (`guessLimiter`), a known one to its host (`hostLimiter`).
 */
export function shipperAuthenticator(cache: ShipperTokenCache, limiters: { readonly guessLimiter: RateLimiter; readonly hostLimiter: RateLimiter }): Authenticate<ShipperPrincipal> {
  return async (req, res, address) => {
    const token = bearerOf(req.headers.authorization);
    const cached = token === undefined ? null : cache.cached(token);
    if (typeof cached !== 'string') {
      const d = limiters.guessLimiter.take(`addr:${addressKey(address)}`);
      if (!d.allowed) throw rateLimited(res, d.retryAfterSeconds);
    }
    const host = typeof cached === 'string' ? cached : token === undefined || cached === null ? undefined : await cache.host(token);
    if (host === undefined) return undefined;
    const d = limiters.hostLimiter.take(`host:${host}`);
    if (!d.allowed) throw rateLimited(res, d.retryAfterSeconds);
    return { kind: 'shipper', name: host };
  };
}
