/**
 * Per-client rate limiting: one token bucket per client key (token name, or remote address for
 * requests without a valid token), refilled continuously. The table of buckets is bounded: when it
 * is full, the least recently used bucket is dropped, so a flood of distinct addresses costs memory
 * only up to `maxClients`.
 */
import { monotonicClock, type Clock } from './clock.js';

/** Rate and burst of each client's bucket. */
export interface RateLimitOptions {
  /** Sustained requests per second per client. */
  readonly perSecond: number;
  /** Bucket size: requests a quiet client may send at once. */
  readonly burst: number;
  /** Most clients remembered at once (default 10 000). */
  readonly maxClients?: number;
}

/** The answer for one request: allowed, or refused with the seconds until a token is available. */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** A set of token buckets keyed by client. `now` only measures intervals (default the monotonic clock; injectable for tests). */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxClients: number;

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: Clock = monotonicClock,
  ) {
    if (!(opts.perSecond > 0) || !(opts.burst >= 1)) throw new RangeError('rate limit needs perSecond > 0 and burst >= 1');
    this.maxClients = opts.maxClients ?? 10_000;
  }

  /** Take one token from `client`'s bucket. */
  take(client: string): RateDecision {
    const t = this.now();
    let b = this.buckets.get(client);
    if (b) {
      this.buckets.delete(client); // re-insert below: Map order is our LRU order
      b.tokens = Math.min(this.opts.burst, b.tokens + ((t - b.at) / 1000) * this.opts.perSecond);
      b.at = t;
    } else {
      b = { tokens: this.opts.burst, at: t };
      if (this.buckets.size >= this.maxClients) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(client, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / this.opts.perSecond)) };
  }

  /** Clients currently remembered. */
  get size(): number {
    return this.buckets.size;
  }
}

/** Parse `--rate-limit` text: `<perSecond>` or `<perSecond>/<burst>` (e.g. `20/40`). Undefined when malformed. */
export function parseRateLimit(text: string): RateLimitOptions | undefined {
  const m = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const perSecond = Number(m[1]);
  const burst = m[2] !== undefined ? Number(m[2]) : Math.max(1, Math.ceil(perSecond * 2));
  if (!(perSecond > 0) || burst < 1) return undefined;
  return { perSecond, burst };
}
