/**
 * The pure side of the simulated poll agents (poll-agents.ts is the I/O shell: sockets, timers, the
 * loops): what one poll's answer does to a host's loop (which counter it lands in, how long to wait
 * before the next poll, the failure streak), the wait for a host's next slot in interval mode, which
 * release counts move on an install, and the outcome counters. Time and randomness come in as
 * arguments.
 */
import { backoffDelay as coreBackoffDelay } from '../../core/backoff.js';

/** Poll outcome counters (PollStats without the latency summaries and the parked gauge). */
export interface PollCounters {
  polls: number;
  status200: number;
  status304: number;
  /** 304s of held polls that came back more than EARLY_304_MS before the wait ran out (woken, nothing new). */
  early304: number;
  /** Other statuses (`"429"`) and failures (`network`, `bad_answer`). */
  errors: Record<string, number>;
  downloads: number;
  downloadBytes: number;
  installed: number;
  /** Releases refused (bad signature, sha256 mismatch). */
  refused: number;
  reports: number;
  tasksAnswered: number;
}

/** Fresh counters, all zero. */
export function newCounters(): PollCounters {
  return { polls: 0, status200: 0, status304: 0, early304: 0, errors: {}, downloads: 0, downloadBytes: 0, installed: 0, refused: 0, reports: 0, tasksAnswered: 0 };
}

/** A held poll answered 304 this long (ms) before its wait ran out was woken with nothing new. */
export const EARLY_304_MS = 1000;

/** Longest backoff after failed polls (ms). */
export const MAX_BACKOFF_MS = 30_000;

/** The wait after `failures` failed polls in a row: 500 ms doubling up to MAX_BACKOFF_MS, times a random() jitter in [0, 1). */
export function backoffDelay(failures: number, random: () => number): number {
  return coreBackoffDelay(failures + 1, 500, MAX_BACKOFF_MS, random());
}

/** What one poll answer (or a failure to get one) means for the host's loop. */
export interface PollAnswerStep {
  /**
   * Where the answer is counted: `200` (something new), `304` with `overshootMs` for a held poll that
   * ran its wait out (the cost of the hold), `early304` (woken with nothing new), or an error key
   * (the status, `network`, `bad_answer`).
   */
  readonly outcome: { readonly kind: '200' } | { readonly kind: '304'; readonly overshootMs: number | undefined } | { readonly kind: 'early304' } | { readonly kind: 'error'; readonly key: string };
  /** Failed polls in a row after this one. */
  readonly failures: number;
  /** Wait before the next poll (ms): jitter after a 304, Retry-After or backoff after an error, none after a 200. */
  readonly delayMs: number;
}

/**
 * The step after a poll: `status` the HTTP status (undefined: no answer; `error` says why, e.g.
 * `network`), `held` whether the poll was sent with a wait the server could hold it for, `elapsedMs`
 * its response time. A 200 or 304 ends a failure streak; another status backs off for its Retry-After
 * when it gives one, else exponentially.
 */
export function pollAnswerStep(a: {
  readonly status: number | undefined;
  readonly error?: string;
  readonly retryAfter?: unknown;
  readonly held: boolean;
  readonly elapsedMs: number;
  readonly waitSeconds: number;
  readonly jitterMs: number;
  readonly failures: number;
  readonly random: () => number;
}): PollAnswerStep {
  if (a.status === 200) return { outcome: { kind: '200' }, failures: 0, delayMs: 0 };
  if (a.status === 304) {
    const delayMs = a.random() * a.jitterMs;
    if (!a.held) return { outcome: { kind: '304', overshootMs: undefined }, failures: 0, delayMs };
    const over = a.elapsedMs - a.waitSeconds * 1000;
    return { outcome: over < -EARLY_304_MS ? { kind: 'early304' } : { kind: '304', overshootMs: Math.max(0, over) }, failures: 0, delayMs };
  }
  const failures = a.failures + 1;
  if (a.status === undefined) return { outcome: { kind: 'error', key: a.error ?? 'network' }, failures, delayMs: backoffDelay(failures, a.random) };
  const ra = Number(a.retryAfter);
  return { outcome: { kind: 'error', key: String(a.status) }, failures, delayMs: Number.isFinite(ra) && ra > 0 ? ra * 1000 : backoffDelay(failures, a.random) };
}

/**
 * In interval mode (a plain short poll every `intervalMs`, each host at its own `offsetMs`), the wait
 * before poll k+1 of a loop that started at `t0`: at least `delayMs`, and no earlier than its slot.
 */
export function slotDelay(delayMs: number, a: { readonly t0: number; readonly offsetMs: number; readonly k: number; readonly intervalMs: number; readonly now: number }): number {
  if (a.intervalMs <= 0) return delayMs;
  return Math.max(delayMs, a.t0 + a.offsetMs + a.k * a.intervalMs - a.now);
}

/** The per-release host counts after a host moves from release `from` (0: none) to `to`. */
export function moveRunning(counts: ReadonlyMap<number, number>, from: number, to: number): Map<number, number> {
  const next = new Map(counts);
  if (from > 0) next.set(from, (next.get(from) ?? 1) - 1);
  next.set(to, (next.get(to) ?? 0) + 1);
  return next;
}

