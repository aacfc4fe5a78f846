/**
 * The dispatcher of a fleet run: which hosts to start now, when to stop. Deterministic and free of
 * I/O; the caller sends the invocations, reports results with `complete`, calls `expire` on a timer
 * and reads the clock only through the injected `now`.
 *
 * Semantics follow AWS Systems Manager Run Command rate control:
 * - concurrency: a sliding window; a new host starts as soon as one in flight finishes, never more
 *   than `concurrency` in flight at once.
 * - max errors: errors are failed + timed_out + rejected hosts. Dispatch stops once the error count
 *   EXCEEDS `maxErrors` (SSM: the system stops sending "when the command fails one more time beyond
 *   the value of MaxErrors"; with 0 it stops after the first error). Invocations already in flight
 *   are allowed to finish, and may fail too, so at most `concurrency - 1` further errors can land
 *   after the stop: total errors <= maxErrors + concurrency.
 * - ramp-up (optional; SSM ramps up exponentially by default when no concurrency is given): the window starts at 1 and doubles, up to `concurrency`,
 *   each time as many consecutive successes as the current window have come back; an error resets
 *   that streak (the window keeps its size).
 */
import type { Clock } from '../../core/clock.js';
import { VigiaError } from '../../core/errors.js';

/** The final result for one host. `rejected`: the agent refused the invocation (unknown action, bad params, busy). */
export type HostOutcome = 'succeeded' | 'failed' | 'timed_out' | 'rejected';

/** Where one target host stands: a final outcome, or waiting, running, or never started because the run stopped. */
export type HostStatus = HostOutcome | 'pending' | 'in_flight' | 'not_dispatched';

/** A run that has not finished yet. */
export type ActiveRunState = 'running' | 'stopping';

/**
 * A finished run. succeeded: every target succeeded. failed: at least one host failed, timed out or
 * was rejected (whether or not max-errors stopped the run). cancelled: the operator aborted it.
 */
export type FinalRunState = 'succeeded' | 'failed' | 'cancelled';

/** Lifecycle of a run; `stopping` = no more dispatch (max-errors exceeded or cancel) but hosts are still in flight. */
export type RunState = ActiveRunState | FinalRunState;

/**
 * Tallies of a run. Every target is in exactly one of pending, inFlight, succeeded, failed, timedOut,
 * rejected, notDispatched. `errors` = failed + timedOut + rejected; `maxErrors` is the resolved limit
 * the run was started with (so `errors > maxErrors` tells that max-errors stopped it).
 */
export interface RunCounts {
  readonly targets: number;
  readonly pending: number;
  readonly inFlight: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly rejected: number;
  readonly notDispatched: number;
  readonly errors: number;
  readonly maxErrors: number;
}

/** Inputs of `createRunEngine`. Limits are already resolved to host counts (see resolveLimit). */
export interface RunEngineOptions {
  /** Target host ids in dispatch order; no duplicates. */
  readonly hosts: readonly number[];
  /** Most hosts in flight at once; an integer >= 1. */
  readonly concurrency: number;
  /** Errors tolerated; dispatch stops when errors exceed it. An integer >= 0. */
  readonly maxErrors: number;
  /** Start with a window of 1 and double it on success, up to `concurrency`. */
  readonly rampUp: boolean;
  /** A host in flight this long (ms, > 0, may be Infinity) is timed out by `expire`. */
  readonly timeoutMs: number;
  /** The clock, in ms. */
  readonly now: Clock;
  /**
   * Outcomes recorded before a restart: these hosts are final, counted, and never dispatched again.
   * Hosts that were in flight when the process died are the caller's call: record them here (e.g. as
   * timed_out) to avoid running a non-idempotent action twice, or leave them out to run them again.
   * Ids not in `hosts` are ignored.
   */
  readonly alreadyDone?: ReadonlyMap<number, HostOutcome>;
}

/** A running dispatcher; see the module comment for the rules. */
export interface RunEngine {
  /** Hosts to dispatch now, in host order, marked in flight at `now()`. [] when the window is full or the run is stopping/final. */
  next(): number[];
  /** Records a host's result. Ignored (returns false) for a host not in flight, e.g. a late answer after a timeout. */
  complete(hostId: number, outcome: HostOutcome): boolean;
  /** Times out every host in flight for `timeoutMs` or more (counted as errors) and returns them, in host order, so the caller can tell their agents. */
  expire(): number[];
  /** Operator abort: no more dispatch; in-flight hosts may still complete. No effect on a run that already stopped or finished. */
  cancel(): void;
  /** The current lifecycle state. */
  state(): RunState;
  /** Current tallies. */
  counts(): RunCounts;
  /** Status of every target, in host order. */
  outcomes(): Map<number, HostStatus>;
  /** The status of one host (undefined when it is not a target). */
  statusOf(hostId: number): HostStatus | undefined;
  /** The current window size (concurrency, or the ramp-up window). */
  window(): number;
  /** The earliest time (ms) at which `expire` will time a host out, or undefined when nothing is in flight. */
  nextDeadline(): number | undefined;
}

type StopReason = 'max_errors' | 'cancelled';

function bad(message: string): VigiaError {
  return new VigiaError('VIGIA_ERR_BAD_REQUEST', message);
}

/** Creates the dispatcher for one run; throws VIGIA_ERR_BAD_REQUEST on invalid options. */
export function createRunEngine(opts: RunEngineOptions): RunEngine {
  const { hosts, concurrency, maxErrors, rampUp, timeoutMs, now } = opts;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw bad('concurrency must be an integer >= 1');
  if (!Number.isSafeInteger(maxErrors) || maxErrors < 0) throw bad('max-errors must be an integer >= 0');
  if (!(timeoutMs > 0)) throw bad('timeout must be positive');

  const status = new Map<number, HostStatus>();
  for (const id of hosts) {
    if (status.has(id)) throw bad(`host ${id} listed twice`);
    status.set(id, 'pending');
  }
  const tally = { pending: hosts.length, succeeded: 0, failed: 0, timed_out: 0, rejected: 0 };
  for (const [id, outcome] of opts.alreadyDone ?? []) {
    if (status.get(id) !== 'pending') continue;
    status.set(id, outcome);
    tally.pending--;
    tally[outcome]++;
  }

  /** Start time of each host in flight; Map order = dispatch order. */
  const inFlight = new Map<number, number>();
  /** Index into `hosts` below which no host is pending. */
  let cursor = 0;
  let win = rampUp ? 1 : concurrency;
  let streak = 0;
  let stopReason: StopReason | undefined;

  const errors = (): number => tally.failed + tally.timed_out + tally.rejected;
  const checkErrors = (): void => {
    if (stopReason === undefined && errors() > maxErrors) stopReason = 'max_errors';
  };
  checkErrors();

  const finish = (id: number, outcome: HostOutcome): void => {
    inFlight.delete(id);
    status.set(id, outcome);
    tally[outcome]++;
    if (outcome === 'succeeded') {
      if (++streak >= win && win < concurrency) {
        win = Math.min(concurrency, win * 2);
        streak = 0;
      }
    } else {
      streak = 0;
      checkErrors();
    }
  };

  const state = (): RunState => {
    const active = inFlight.size > 0 || (stopReason === undefined && tally.pending > 0);
    if (active) return stopReason === undefined ? 'running' : 'stopping';
    if (stopReason === 'cancelled') return 'cancelled';
    return errors() > 0 ? 'failed' : 'succeeded';
  };

  return {
    next() {
      if (stopReason !== undefined) return [];
      const out: number[] = [];
      const t = now();
      while (inFlight.size < win && cursor < hosts.length) {
        const id = hosts[cursor++] as number;
        if (status.get(id) !== 'pending') continue;
        status.set(id, 'in_flight');
        tally.pending--;
        inFlight.set(id, t);
        out.push(id);
      }
      return out;
    },
    complete(hostId, outcome) {
      if (!inFlight.has(hostId)) return false;
      finish(hostId, outcome);
      return true;
    },
    expire() {
      const t = now();
      const out: number[] = [];
      for (const [id, started] of inFlight) if (t - started >= timeoutMs) out.push(id);
      for (const id of out) finish(id, 'timed_out');
      return out;
    },
    cancel() {
      if (stopReason === undefined && state() === 'running') stopReason = 'cancelled';
    },
    state,
    counts() {
      const stopped = stopReason !== undefined;
      return {
        targets: hosts.length,
        pending: stopped ? 0 : tally.pending,
        inFlight: inFlight.size,
        succeeded: tally.succeeded,
        failed: tally.failed,
        timedOut: tally.timed_out,
        rejected: tally.rejected,
        notDispatched: stopped ? tally.pending : 0,
        errors: errors(),
        maxErrors,
      };
    },
    outcomes() {
      const stopped = stopReason !== undefined;
      const out = new Map<number, HostStatus>();
      for (const [id, s] of status) out.set(id, stopped && s === 'pending' ? 'not_dispatched' : s);
      return out;
    },
    statusOf(hostId) {
      const s = status.get(hostId);
      return stopReason !== undefined && s === 'pending' ? 'not_dispatched' : s;
    },
    window: () => win,
    nextDeadline() {
      let earliest: number | undefined;
      for (const started of inFlight.values()) if (earliest === undefined || started < earliest) earliest = started;
      return earliest === undefined ? undefined : earliest + timeoutMs;
    },
  };
}
