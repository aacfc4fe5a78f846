/**
 * Enrolling many hosts through a control plane's admin API, as `vigia simulate` and the simulated poll
 * fleet do: the bulk form of `POST /v1/hosts/enroll` (`{"hosts":[...]}`, up to 1000 a request), falling
 * back to one request per host when the server is older and answers the bulk form with 400. A request
 * answered 413 (the server's body limit is below it) is split in halves. Every
 * request that gets 429 or 503 is tried again after the server's Retry-After (with jitter) or a
 * full-jitter backoff, a bounded number of times: the operator rate limit must slow a big enrolment
 * down, not leave hosts out of it.
 */
import { retryDelay } from '../../core/backoff.js';

/** Most hosts in one bulk enrolment request (the server's bound). */
export const ENROLL_BULK_MAX = 1000;

/** A server answer as the enrolment needs it. */
export interface EnrollAnswer {
  readonly status: number;
  readonly body: string;
  /** Retry-After in ms when the server sent one, else null. */
  readonly retryAfterMs: number | null;
}

/** Options of enrollHosts. */
export interface EnrollHostsOptions {
  /** One JSON POST to a path of the control plane with the admin token; rejects on network failures. */
  readonly post: (path: string, payload: unknown) => Promise<EnrollAnswer>;
  readonly hosts: readonly { readonly host: string; readonly tags?: Readonly<Record<string, string>> }[];
  /** Requests in flight at once (default 4 for bulk, `singleConcurrency` after a fallback). */
  readonly concurrency?: number;
  /**
   * Requests in flight at once when enrolling one host per request (default 8: the operator rate limit,
   * 20/s by default, then turns few requests away, and each comes back after Retry-After; 64 at once
   * against 20/s made some hosts lose every try).
   */
  readonly singleConcurrency?: number;
  /** Hosts per bulk request (1..1000, default 1000). */
  readonly bulkSize?: number;
  /** Tries per request at most, the first included (default 10). */
  readonly maxTries?: number;
  /** Backoff base and cap, ms (defaults 250, 30000). */
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Stop taking new work once true (hosts not tried yet are counted under `aborted`). */
  readonly aborted?: () => boolean;
  /** Called as hosts are done (enrolled or failed), with how many so far. */
  readonly onDone?: (done: number) => void;
}

/** What became of the enrolment. */
export interface EnrollHostsResult {
  /** Token per host, by index into `hosts`; undefined where it failed. */
  readonly tokens: (string | undefined)[];
  /** Failed hosts by cause: HTTP status (`"403"`), `network`, `bad_answer`, `retries_exhausted`, `aborted`. */
  readonly errors: Record<string, number>;
  /** Requests tried again after a 429 or 503. */
  readonly retried: number;
  /** The server took the bulk form (false: it is older, hosts went one per request). */
  readonly bulk: boolean;
  /** The first failure: its key (as in `errors`) and the server's answer body, if any (for messages). */
  readonly firstFailure?: { readonly key: string; readonly body: string };
}

/** Enrol every host; never throws for server answers or network failures (they are counted). */
export async function enrollHosts(o: EnrollHostsOptions): Promise<EnrollHostsResult> {
  const random = o.random ?? Math.random;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const aborted = o.aborted ?? (() => false);
  const maxTries = o.maxTries ?? 10;
  const bulkSize = Math.max(1, Math.min(ENROLL_BULK_MAX, o.bulkSize ?? ENROLL_BULK_MAX));
  const tokens: (string | undefined)[] = new Array(o.hosts.length).fill(undefined);
  const errors: Record<string, number> = {};
  let retried = 0;
  let done = 0;
  let firstFailure: { key: string; body: string } | undefined;
  const fail = (key: string, n: number, body = ''): void => {
    firstFailure ??= { key, body: body.slice(0, 1000) };
    errors[key] = (errors[key] ?? 0) + n;
    done += n;
    o.onDone?.(done);
  };

  /** POST with retries on 429/503; the final answer, or the failure key. */
  const call = async (path: string, payload: unknown): Promise<EnrollAnswer | string> => {
    for (let attempt = 1; ; attempt++) {
      let a: EnrollAnswer;
      try {
        a = await o.post(path, payload);
      } catch {
        return 'network';
      }
      if (a.status !== 429 && a.status !== 503) return a;
      if (attempt >= maxTries) return 'retries_exhausted';
      if (aborted()) return String(a.status);
      retried++;
      await sleep(retryDelay(attempt, a.retryAfterMs, random(), o.backoffBaseMs ?? 250, o.backoffCapMs ?? 30_000));
    }
  };

  const pool = async (n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> => {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) await fn(next++);
    }));
  };

  // Bulk, chunk by chunk.
  let bulk = true;
  const chunks: number[][] = [];
  for (let i = 0; i < o.hosts.length; i += bulkSize) chunks.push(Array.from({ length: Math.min(bulkSize, o.hosts.length - i) }, (_, k) => i + k));
  const single: number[] = [];
  let bulkConfirmed = false;
  const sendChunk = async (idx: number[]): Promise<void> => {
    if (!bulk) {
      single.push(...idx);
      return;
    }
    if (aborted()) return fail('aborted', idx.length);
    const a = await call('/v1/hosts/enroll', { hosts: idx.map((i) => o.hosts[i]!) });
    if (typeof a === 'string') return fail(a, idx.length);
    if (a.status === 413 && idx.length > 1) {
      // The server's body limit is below this request: halves, one after the other.
      const half = Math.ceil(idx.length / 2);
      await sendChunk(idx.slice(0, half));
      await sendChunk(idx.slice(half));
      return;
    }
    if (a.status === 400 && !bulkConfirmed) {
      // An older control plane: its enrolment takes one host per request.
      bulk = false;
      single.push(...idx);
      return;
    }
    if (a.status !== 200) return fail(String(a.status), idx.length, a.body);
    const got = readBulk(a.body, idx.map((i) => o.hosts[i]!.host));
    if (!got) return fail('bad_answer', idx.length, a.body);
    bulkConfirmed = true;
    idx.forEach((i, k) => (tokens[i] = got[k]));
    done += idx.length;
    o.onDone?.(done);
  };
  // The first chunk alone tells whether the server knows the bulk form (and how big a request it takes).
  if (chunks.length > 0) await sendChunk(chunks[0]!);
  await pool(chunks.length - 1, o.concurrency ?? 4, (c) => sendChunk(chunks[c + 1]!));

  await pool(single.length, o.singleConcurrency ?? 8, async (k) => {
    const i = single[k]!;
    const h = o.hosts[i]!;
    if (aborted()) return fail('aborted', 1);
    const a = await call('/v1/hosts/enroll', h.tags === undefined ? { host: h.host } : { host: h.host, tags: h.tags });
    if (typeof a === 'string') return fail(a, 1);
    if (a.status !== 200) return fail(String(a.status), 1, a.body);
    let token: unknown;
    try {
      token = (JSON.parse(a.body) as { token?: unknown }).token;
    } catch {
      /* counted below */
    }
    if (typeof token !== 'string' || token === '') return fail('bad_answer', 1, a.body);
    tokens[i] = token;
    done++;
    o.onDone?.(done);
  });
  return { tokens, errors, retried, bulk, ...(firstFailure ? { firstFailure } : {}) };
}

/** The tokens of a bulk answer in the order of `names`, or null when the answer does not hold one per host. */
export function readBulk(body: string, names: readonly string[]): string[] | null {
  let hosts: unknown;
  try {
    hosts = (JSON.parse(body) as { hosts?: unknown }).hosts;
  } catch {
    return null;
  }
  if (!Array.isArray(hosts) || hosts.length !== names.length) return null;
  const byName = new Map<string, string>();
  for (const h of hosts as { host?: unknown; token?: unknown }[]) {
    if (typeof h?.host !== 'string' || typeof h.token !== 'string' || h.token === '') return null;
    byName.set(h.host, h.token);
  }
  const out = names.map((n) => byName.get(n));
  return out.every((t): t is string => t !== undefined) ? out : null;
}
