/**
 * Host-token authentication for ingest. Each host has its own token (`vigia server enroll`); only its
 * SHA-256 is stored. A known token is cached for `ttlMs` (5 min: a host reporting every minute costs
 * one query per five reports, and a token rotated or removed on another replica stops working there
 * within that time; on this replica at once). Unknown tokens are remembered briefly in a separate,
 * smaller table, so guessing can neither cost a query per attempt nor push real hosts out. Concurrent
 * lookups of one token share one query. Host names are resolved to hosts the same way (for relays that
 * post reports of many hosts with one operator token), with the same lifetimes and invalidation.
 *
 * A miss is one query by the token's hash on a unique index (bench/control-token-miss.ts measures it).
 * Two kinds of miss are told apart, so that guessing is bounded without bounding the fleet
 * (src/control/api/shared.ts charges them):
 * - re-validating a token that was valid here within its cache lifetime (its entry expired but is
 *   still in the table): the fleet's own steady traffic, ~hosts / ttl per second (10,000 hosts: 33/s),
 *   which a guesser cannot produce without holding a token;
 * - a token never seen (or forgotten): at most `maxUnknownLookups` such queries run at once, so a
 *   flood of guesses from many addresses queues no more than that on the database; beyond it the
 *   request is answered 503 CONTROL_ERR_OVERLOADED with Retry-After.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { hashToken } from '../core/auth.js';
import { VigiaError } from '../core/errors.js';
import type { ControlStore, HostIdentity } from './store/control-store.js';

/** Cache bounds. */
export interface HostAuthOptions {
  /** How long a known token stays valid without asking the store again, ms (default 5 min). */
  readonly ttlMs: number;
  /** How long an unknown token is remembered as unknown, ms (default 30 s). */
  readonly negativeTtlMs: number;
  /** Known tokens at most (default 200,000); the oldest go first. */
  readonly maxEntries: number;
  /** Unknown tokens at most (default 10,000). */
  readonly maxNegativeEntries: number;
  /** Store lookups of never-seen tokens in flight at once, at most (default 32); re-validations are not counted. */
  readonly maxUnknownLookups: number;
  readonly now: Clock;
}

/**
 * What a cache lookup says without asking the store. A miss says whether the token was valid here within
 * its cache lifetime (`recentlyKnown`: its entry expired and is re-validated), or was never seen.
 */
export type CachedAuth = { readonly hit: true; readonly host: HostIdentity | undefined } | { readonly hit: false; readonly recentlyKnown: boolean };

/** Resolves `Authorization: Bearer <host token>` to the enrolled host. */
export class HostAuth {
  private readonly store: ControlStore;
  private readonly opts: HostAuthOptions;
  private readonly known = new Map<string, { host: HostIdentity; until: number }>();
  /** host id -> its cached token hash, so one host's entry can be dropped without a scan. */
  private readonly hashOfHost = new Map<number, string>();
  private readonly unknown = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<HostIdentity | undefined>>();
  /** Lookups of never-seen tokens running now (bounded by maxUnknownLookups). */
  private unknownLookups = 0;
  /** Host name -> the host (or undefined: no such host) until a time; `nameOfHost` drops one by id. */
  private readonly names = new Map<string, { host: HostIdentity | undefined; until: number }>();
  private readonly nameOfHost = new Map<number, string>();
  private readonly inflightNames = new Map<string, Promise<HostIdentity | undefined>>();
  /** Bumped by invalidate(): a lookup that started before must not cache its (maybe stale) answer. */
  private generation = 0;

  constructor(store: ControlStore, opts: Partial<HostAuthOptions> = {}) {
    this.store = store;
    this.opts = { ttlMs: 300_000, negativeTtlMs: 30_000, maxEntries: 200_000, maxNegativeEntries: 10_000, maxUnknownLookups: 32, now: systemClock, ...opts };
  }

  /** The cached answer for this header, if any (a malformed header is a cached "unknown"). */
  cached(authorization: string | undefined): CachedAuth {
    const hash = tokenHashOf(authorization);
    if (hash === undefined) return { hit: true, host: undefined };
    const now = this.opts.now();
    const k = this.known.get(hash);
    if (k && k.until > now) return { hit: true, host: k.host };
    const u = this.unknown.get(hash);
    if (u !== undefined && u > now) return { hit: true, host: undefined };
    return { hit: false, recentlyKnown: k !== undefined };
  }

  /**
   * The host whose token the header carries, or undefined (missing, malformed or unknown token). Throws
   * CONTROL_ERR_OVERLOADED when `maxUnknownLookups` lookups of never-seen tokens are running already.
   */
  async authenticate(authorization: string | undefined): Promise<HostIdentity | undefined> {
    const c = this.cached(authorization);
    if (c.hit) return c.host;
    const hash = tokenHashOf(authorization)!;
    const pending = this.inflight.get(hash);
    if (pending) return pending;
    const counted = !c.recentlyKnown;
    if (counted && this.unknownLookups >= this.opts.maxUnknownLookups) {
      throw new VigiaError('CONTROL_ERR_OVERLOADED', `${this.opts.maxUnknownLookups} unknown host tokens are being looked up at once`);
    }
    const generation = this.generation;
    const lookup = this.store.hostByTokenHash(hash);
    this.inflight.set(hash, lookup);
    if (counted) this.unknownLookups++;
    try {
      const host = await lookup;
      if (generation === this.generation) this.remember(hash, host);
      return host;
    } finally {
      if (counted) this.unknownLookups--;
      if (this.inflight.get(hash) === lookup) this.inflight.delete(hash);
    }
  }

  /** The enrolled host named `name`, or undefined; cached like tokens (known: ttlMs, unknown: negativeTtlMs). */
  async byName(name: string): Promise<HostIdentity | undefined> {
    const c = this.names.get(name);
    if (c && c.until > this.opts.now()) return c.host;
    const pending = this.inflightNames.get(name);
    if (pending) return pending;
    const generation = this.generation;
    const lookup = this.store.hostByName(name);
    this.inflightNames.set(name, lookup);
    try {
      const host = await lookup;
      if (generation === this.generation) this.rememberName(name, host);
      return host;
    } finally {
      if (this.inflightNames.get(name) === lookup) this.inflightNames.delete(name);
    }
  }

  /** Forget every cached lookup. */
  invalidate(): void {
    this.generation++;
    this.known.clear();
    this.hashOfHost.clear();
    this.unknown.clear();
    this.inflight.clear();
    this.names.clear();
    this.nameOfHost.clear();
    this.inflightNames.clear();
  }

  /**
   * After an enrolment, rotation or removal of `hostId` in this process: its old token stops working at
   * once (lookups in flight are not cached either), and `newTokenHash`, when given, is known without a
   * query (a freshly enrolled host's first report costs no lookup).
   */
  hostChanged(hostId: number, newTokenHash?: string, host?: HostIdentity): void {
    this.generation++;
    this.inflight.clear();
    this.inflightNames.clear();
    const old = this.hashOfHost.get(hostId);
    if (old !== undefined) this.known.delete(old);
    this.hashOfHost.delete(hostId);
    const name = this.nameOfHost.get(hostId);
    if (name !== undefined) this.names.delete(name);
    this.nameOfHost.delete(hostId);
    // A name looked up before its host was enrolled is remembered as unknown: not any more.
    if (host) this.names.delete(host.name);
    if (newTokenHash !== undefined && host) {
      this.unknown.delete(newTokenHash);
      this.remember(newTokenHash, host);
    }
  }

  private remember(hash: string, host: HostIdentity | undefined): void {
    const now = this.opts.now();
    if (host) {
      this.unknown.delete(hash);
      this.known.delete(hash);
      if (this.known.size >= this.opts.maxEntries) {
        const oldest = this.known.keys().next().value!;
        this.hashOfHost.delete(this.known.get(oldest)!.host.id);
        this.known.delete(oldest);
      }
      const previous = this.hashOfHost.get(host.id);
      if (previous !== undefined && previous !== hash) this.known.delete(previous);
      this.hashOfHost.set(host.id, hash);
      this.known.set(hash, { host, until: now + this.opts.ttlMs });
    } else {
      // No longer valid (rotated or removed on another replica): not "recently known" any more either.
      const stale = this.known.get(hash);
      if (stale) {
        this.known.delete(hash);
        if (this.hashOfHost.get(stale.host.id) === hash) this.hashOfHost.delete(stale.host.id);
      }
      this.unknown.delete(hash);
      if (this.unknown.size >= this.opts.maxNegativeEntries) this.unknown.delete(this.unknown.keys().next().value!);
      this.unknown.set(hash, now + this.opts.negativeTtlMs);
    }
  }

  private rememberName(name: string, host: HostIdentity | undefined): void {
    this.names.delete(name);
    if (this.names.size >= this.opts.maxEntries) {
      const oldest = this.names.keys().next().value!;
      const id = this.names.get(oldest)!.host?.id;
      if (id !== undefined) this.nameOfHost.delete(id);
      this.names.delete(oldest);
    }
    if (host) this.nameOfHost.set(host.id, name);
    this.names.set(name, { host, until: this.opts.now() + (host ? this.opts.ttlMs : this.opts.negativeTtlMs) });
  }
}

function tokenHashOf(authorization: string | undefined): string | undefined {
  if (!authorization || !/^bearer /i.test(authorization)) return undefined;
  const token = authorization.slice(7).trim();
  if (token.length < 16 || token.length > 512) return undefined;
  // The store finds the hash by equality in an index; an attacker cannot choose hash prefixes, so
  // the lookup's timing says nothing about the token.
  return hashToken(token);
}
