/**
 * How every Vigía client waits before trying a server again (the agent's reporter, `vigia simulate`,
 * `vigia server enroll --from`): full-jitter exponential backoff, and a server's Retry-After honoured
 * with jitter on top, so clients refused together do not come back together. Pure: the random number
 * and the clock are parameters.
 */

/** Retry-After as ms from `nowMs`: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** Full-jitter exponential backoff: `random` ([0, 1)) times min(cap, base * 2^(failures-1)). */
export function backoffDelay(failures: number, baseMs: number, capMs: number, random: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return random * ceiling;
}

/**
 * The wait before try number `failures + 1`: the backoff, or when the server sent a Retry-After, at
 * least that plus up to half of it again (jitter), never more than `capMs`.
 */
export function retryDelay(failures: number, retryAfterMs: number | null, random: number, baseMs: number, capMs: number): number {
  const backoff = backoffDelay(failures, baseMs, capMs, random);
  return retryAfterMs === null ? backoff : Math.max(backoff, Math.min(retryAfterMs * (1 + random / 2), capMs));
}
