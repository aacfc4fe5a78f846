/**
 * Host-token authentication for ingest. Each host has its own token (`vigia server enroll`); only its
 * SHA-256 is stored. Lookups are cached briefly so 10,000 hosts reporting every minute cost no extra
 * query per report, while a rotated or removed token stops working within `ttlMs`.
 */
import { hashToken } from '../core/auth.js';
import type { ControlStore, HostIdentity } from './store/control-store.js';

/** Cache bounds. */
export interface HostAuthOptions {
  /** How long a looked-up token stays valid without asking the store again, ms (default 60 s). */
  readonly ttlMs: number;
  /** How long an unknown token is remembered as unknown, ms (default 5 s): guessing costs no query each. */
  readonly negativeTtlMs: number;
  /** Entries at most (default 50,000); the oldest go first. */
  readonly maxEntries: number;
  readonly now: () => number;
}

/** Resolves `Authorization: Bearer <host token>` to the enrolled host. */
export class HostAuth {
  private readonly store: ControlStore;
  private readonly opts: HostAuthOptions;
  private readonly cache = new Map<string, { host: HostIdentity | undefined; until: number }>();

  constructor(store: ControlStore, opts: Partial<HostAuthOptions> = {}) {
    this.store = store;
    this.opts = { ttlMs: 60_000, negativeTtlMs: 5_000, maxEntries: 50_000, now: Date.now, ...opts };
  }

  /** The host whose token the header carries, or undefined (missing, malformed or unknown token). */
  async authenticate(authorization: string | undefined): Promise<HostIdentity | undefined> {
    if (!authorization || !/^bearer /i.test(authorization)) return undefined;
    const token = authorization.slice(7).trim();
    if (token.length < 16 || token.length > 512) return undefined;
    // The store looks the hash up by equality in an index: no timing leak of the token itself, since
    // an attacker cannot choose hash prefixes.
    const hash = hashToken(token);
    const now = this.opts.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.host;
    const host = await this.store.hostByTokenHash(hash);
    if (this.cache.size >= this.opts.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.delete(hash);
    this.cache.set(hash, { host, until: now + (host ? this.opts.ttlMs : this.opts.negativeTtlMs) });
    return host;
  }

  /** Forget every cached lookup (after an enrolment or removal in this process). */
  invalidate(): void {
    this.cache.clear();
  }
}
