/**
 * A leader lease on PostgreSQL: exactly one contender at a time holds a session advisory lock
 * (`pg_try_advisory_lock`) on its own dedicated connection, and advertises where it listens in a small
 * discovery table, heartbeat included, so followers (other workers, later other hosts) can find it.
 *
 * Why a session lock on a dedicated connection: PostgreSQL releases it by itself when that session
 * ends (process killed, connection cut, host gone once the server notices), so a dead leader never
 * needs to be cleaned up by hand, and no clock has to agree with another. The table is discovery
 * only: it never decides who leads, and only the lock holder writes it (heartbeats use the
 * database's clock).
 *
 * Stepping down: the holder checks on every renewal that its session is still the one that took the
 * lock (same backend pid, row still its own) and is told at once when the connection closes; either
 * way the lease reports `onLost` and stays lost (a lease that was lost is never silently re-won by
 * the same object: the caller decides, e.g. by exiting so a fresh process contends again). Between
 * PostgreSQL dropping the session and the holder noticing there can be up to one renewal interval
 * plus the query timeout; a new holder should wait `takeoverDelayMs()` before acting.
 */
import postgres from 'postgres';
import type { Logger } from '../log.js';
import { redactUrl } from './postgres.js';

/** How a lease is set up; timings default to a 1 s cadence. */
export interface LeaderLeaseOptions {
  /** PostgreSQL URL; the lease opens one connection of its own (never a pooled one: the lock lives in the session). */
  readonly url: string;
  /** The advisory lock key (a constant shared by every contender for this lease). */
  readonly key: number;
  /** Discovery table (lease text PRIMARY KEY, holder, address, acquired_at, heartbeat_at), created by a migration. */
  readonly table: string;
  /** This lease's row in the table (several leases may share a table). */
  readonly lease: string;
  /** Who this contender is, for humans (host/pid). */
  readonly holder: string;
  /** Where this contender serves forwarded requests when it leads (e.g. http://127.0.0.1:41234). */
  readonly address: string;
  /** Renewal and retry period (default 1000 ms). */
  readonly intervalMs?: number;
  /** A heartbeat older than this means no leader is known (default 5 × intervalMs). */
  readonly staleAfterMs?: number;
  /** Bound on each lease query; a renewal that takes longer counts as lost (default 2 × intervalMs). */
  readonly queryTimeoutMs?: number;
  readonly log?: Logger;
}

/** A contender for the lease. */
export interface LeaderLease {
  /** Try to acquire (follower) or renew (leader) once; resolves with whether this contender leads afterwards. */
  tick(): Promise<boolean>;
  /** tick() every interval until close() (timers do not keep the process alive). */
  start(): void;
  /** Whether this contender holds the lock now (as of the last tick). */
  readonly isLeader: boolean;
  /** Whether the lease was held and then lost (it is not won again by this object). */
  readonly lost: boolean;
  /** Called once when the lock is won. */
  onAcquired(fn: () => void): void;
  /** Called once when a held lock is lost (connection closed, renewal failed, row taken over), with why. */
  onLost(fn: (reason: string) => void): void;
  /** The leader's advertised address as last read (this contender's own while it leads); undefined when none is alive. */
  leaderAddress(): string | undefined;
  /** Who advertised that address (its `holder`), read together with it; undefined when none is alive. */
  leaderHolder(): string | undefined;
  /** How long a new holder should wait before acting, so an old holder that lost its session has noticed. */
  takeoverDelayMs(): number;
  /** Stop ticking; when leading, clear the row and release the lock; close the connection. Idempotent. */
  close(): Promise<void>;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Open a lease contender (connects lazily, on the first tick). */
export function createLeaderLease(options: LeaderLeaseOptions): LeaderLease {
  if (!IDENT.test(options.table)) throw new Error(`leader lease: bad table name ${options.table}`);
  const intervalMs = options.intervalMs ?? 1000;
  const staleAfterMs = options.staleAfterMs ?? 5 * intervalMs;
  const queryTimeoutMs = options.queryTimeoutMs ?? 2 * intervalMs;
  const log = options.log;
  let leader = false;
  let lost = false;
  let closing = false;
  let backendPid: number | undefined;
  let knownAddress: string | undefined;
  let knownHolder: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | undefined;
  /** Whether the last attempt to contend failed (an outage is logged once, not every interval). */
  let contendFailing = false;
  const acquiredFns: Array<() => void> = [];
  const lostFns: Array<(reason: string) => void> = [];

  const sql = postgres(options.url, {
    max: 1,
    // The lock lives as long as this one session: never recycle or idle-close it.
    idle_timeout: null as unknown as number,
    max_lifetime: null,
    connect_timeout: Math.max(1, Math.ceil(queryTimeoutMs / 1000)),
    onnotice: () => {},
    connection: { application_name: 'vigia-leader-lease', statement_timeout: queryTimeoutMs, TimeZone: 'UTC' },
    onclose: () => {
      // The session (and with it the lock) is gone: a leader must not act one moment longer.
      if (leader && !closing) stepDown('the lease connection closed');
    },
  });

  const stepDown = (reason: string): void => {
    if (!leader) return;
    leader = false;
    lost = true;
    knownAddress = undefined;
    knownHolder = undefined;
    log?.error({ lease: options.lease, reason }, 'leader lease lost');
    for (const fn of lostFns.splice(0)) fn(reason);
  };

  const bounded = <T>(p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`lease query took more than ${queryTimeoutMs} ms`)), queryTimeoutMs);
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(t);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });

  const q = <T extends Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<T[]> =>
    bounded(sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]) as unknown as Promise<T[]>);

  const renew = async (): Promise<void> => {
    try {
      const rows = await q<{ pid: number }>(
        `UPDATE ${options.table} SET heartbeat_at = now() WHERE lease = $1 AND holder = $2 AND address = $3 RETURNING pg_backend_pid() AS pid`,
        [options.lease, options.holder, options.address],
      );
      if (rows.length === 0) stepDown('the lease row names another holder');
      else if (Number(rows[0]!.pid) !== backendPid) stepDown('the lease connection was replaced (the session holding the lock ended)');
    } catch (err) {
      stepDown(`renewal failed: ${(err as Error).message}`);
    }
  };

  const tryAcquire = async (): Promise<void> => {
    try {
      const [r] = await q<{ got: boolean; pid: number }>(`SELECT pg_try_advisory_lock($1::bigint) AS got, pg_backend_pid() AS pid`, [options.key]);
      if (r?.got) {
        backendPid = Number(r.pid);
        try {
          await q(
            `INSERT INTO ${options.table} (lease, holder, address, acquired_at, heartbeat_at) VALUES ($1, $2, $3, now(), now())
             ON CONFLICT (lease) DO UPDATE SET holder = EXCLUDED.holder, address = EXCLUDED.address, acquired_at = now(), heartbeat_at = now()`,
            [options.lease, options.holder, options.address],
          );
        } catch (err) {
          // Unannounced, followers could not find us: give the lock back and contend again later.
          await q(`SELECT pg_advisory_unlock($1::bigint)`, [options.key]).catch(() => undefined);
          throw err;
        }
        leader = true;
        knownAddress = options.address;
        knownHolder = options.holder;
        // Won while closing: close() (waiting for this tick) clears the row and gives the lock back.
        if (closing) return;
        log?.info({ lease: options.lease, address: options.address }, 'leader lease acquired');
        for (const fn of acquiredFns.splice(0)) fn();
        return;
      }
      const rows = await q<{ address: string; holder: string }>(
        `SELECT address, holder FROM ${options.table} WHERE lease = $1 AND heartbeat_at > now() - $2::bigint * interval '1 millisecond'`,
        [options.lease, staleAfterMs],
      );
      knownAddress = rows[0]?.address;
      knownHolder = rows[0]?.holder;
      if (contendFailing) log?.info({ lease: options.lease }, 'leader lease: contending again');
      contendFailing = false;
    } catch (err) {
      // Not leading: nothing to give up. Keep the last known address; the forwarder copes if it is gone.
      if (!contendFailing) log?.warn({ lease: options.lease, err: (err as Error).message }, 'leader lease: could not contend; retrying every interval');
      contendFailing = true;
    }
  };

  const tick = (): Promise<boolean> => {
    running ??= (async () => {
      try {
        if (closing || lost) return false;
        if (leader) await renew();
        else await tryAcquire();
        return leader;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const schedule = (): void => {
    if (closing || lost) return;
    timer = setTimeout(() => void tick().finally(schedule), intervalMs);
    timer.unref();
  };

  return {
    tick,
    start: () => {
      if (timer || closing) return;
      void tick().finally(schedule);
    },
    get isLeader() {
      return leader;
    },
    get lost() {
      return lost;
    },
    onAcquired: (fn) => void acquiredFns.push(fn),
    onLost: (fn) => void lostFns.push(fn),
    leaderAddress: () => knownAddress,
    leaderHolder: () => knownHolder,
    takeoverDelayMs: () => intervalMs + queryTimeoutMs,
    close: async () => {
      if (closing) return;
      closing = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
      if (leader) {
        leader = false;
        // Clear the heartbeat first so followers stop forwarding here, then give the lock back.
        await q(`DELETE FROM ${options.table} WHERE lease = $1 AND holder = $2`, [options.lease, options.holder]).catch(() => undefined);
        await q(`SELECT pg_advisory_unlock($1::bigint)`, [options.key]).catch(() => undefined);
      }
      await sql.end({ timeout: 2 }).catch((err: unknown) => log?.debug({ err, database: redactUrl(options.url) }, 'leader lease: close failed'));
    },
  };
}
