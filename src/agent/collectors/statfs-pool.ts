/**
 * statfs(2) with a deadline, off the event loop and off libuv's thread pool.
 *
 * Each path is stat'ed with fs.statfsSync in a small pool of worker threads (started lazily, unref'd,
 * idle ones terminated after idleMs to keep RSS low). `statfsMany` hands a whole list to the workers
 * in one message per worker (a few workers share a long list); each worker runs its paths in order
 * and writes every answer into a SharedArrayBuffer as soon as it has it (statfs-worker.ts), so the
 * main thread gets one message per batch instead of one per path, and can still read every finished
 * path while the worker hangs in a later one.
 *
 * Deadlines: a single `statfs(path)` call must finish within timeoutMs of the call, queueing
 * included. A path of a batch gets timeoutMs from the moment its worker starts it (and must be
 * handed to a worker within timeoutMs of being queued). When the path in progress misses its
 * deadline it gets a StatfsTimeoutError at once; the worker, stuck in the kernel and impossible to
 * kill, is abandoned: removed from the pool, and terminated only when the syscall finally returns.
 * The error's `late` promise settles with that eventual answer, so a caller can treat the stuck call
 * itself as its re-probe instead of spending another thread. The paths of the batch the stuck worker
 * had not reached are queued again (first in line, with a fresh deadline) for the other workers. A
 * stuck worker is always replaced: refusing replacements would make every healthy mount fail while a
 * few hung ones block (a node with several dead NFS volumes would stop reporting `/`). Stuck threads
 * are bounded one level up instead: StaleMounts keeps at most one call in flight per hung mount.
 *
 * The bookkeeping (queue, workers, deadlines, retries, abandonment, idle shutdown, close) is the pure
 * state module statfs-pool-state.ts; this file is its I/O: threads, shared buffers, timers, promises.
 *
 * Caveat for the edge: Node joins every worker thread on exit, so while a worker is stuck in the
 * kernel neither a natural exit nor process.exit() completes (shown with a SIGSTOPped FUSE daemon by
 * test/integration/agent-stale-mount.test.ts, "a process with a statfs thread stuck on the mount does
 * not exit"). A shutdown path that must finish should, when stats().abandoned > 0 after its hard
 * deadline, end the process with process.kill(process.pid, 'SIGKILL').
 */
import { getSystemErrorMap } from 'node:util';
import { Worker } from 'node:worker_threads';
import {
  closePool, expireRun, idleCheck, initialPoolState, poolCounts, pump, runEnded, submit, watchRun, workerGone, workerOnline,
  type OutcomeReader, type PoolCounts, type PoolEffect, type PoolFailure, type PoolState, type PoolStep,
} from './statfs-pool-state.js';
import { STATFS_CELLS, STATFS_RESULTS_OFFSET, STATFS_WORKER_SOURCE } from './statfs-worker.js';
import { plural } from '../../core/plural.js';

/** The statfs fields the agent uses (counts in units of bsize, inodes in files/ffree). */
export interface StatfsValues {
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
}

/** The answer for one path of a batch: the values, or the error `statfs(path)` would have rejected with. */
export type StatfsOutcome = { readonly ok: true; readonly values: StatfsValues } | { readonly ok: false; readonly error: Error };

/** Something that answers statfs for a path; the pool in production, a fake in tests. */
export interface StatfsRunner {
  /** Resolves with the values, rejects with StatfsTimeoutError after the deadline or StatfsError on failure. */
  statfs(path: string): Promise<StatfsValues>;
  /**
   * Optional batch form: one outcome per path, in order; never rejects. Callers fall back to
   * `statfs` per path when a runner lacks it.
   */
  statfsMany?(paths: readonly string[]): Promise<StatfsOutcome[]>;
  /** Rejects pending calls and terminates the workers. */
  close(): Promise<void>;
}

/** The call missed its deadline (or no healthy worker was left). */
export class StatfsTimeoutError extends Error {
  /**
   * Settles with the stuck call's eventual answer when a worker was abandoned for it; undefined when
   * the call never reached a worker (queued past its deadline, pool exhausted). Never rejects unhandled.
   */
  readonly late: Promise<StatfsValues> | undefined;
  constructor(message: string, late?: Promise<StatfsValues>) {
    super(message);
    this.name = 'StatfsTimeoutError';
    this.late = late;
    late?.catch(() => undefined);
  }
}

/** statfs itself failed; `code` is the errno name (ENOENT, EACCES, ...). */
export class StatfsError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'StatfsError';
    this.code = code;
  }
}

/** Options of createStatfsPool. */
export interface StatfsPoolOptions {
  /** Deadline of each call (see the module comment for batches). */
  readonly timeoutMs: number;
  /** Healthy workers at most (default 2). */
  readonly workers?: number;
  /** An idle worker is terminated after this long (default 10000; a stopped worker costs no memory, a restart ~30 ms of CPU). */
  readonly idleMs?: number;
  /** A batch is split over several workers only when each gets at least this many paths (default 16). */
  readonly minBatchPerWorker?: number;
  /** Test seam: the worker's source (default STATFS_WORKER_SOURCE). */
  readonly workerSource?: string;
}

/** Counters describing the pool, for metrics and tests (workers, busy, queued, abandoned). */
export type StatfsPoolStats = PoolCounts;

/** The production StatfsRunner, with counters. */
export interface StatfsPool extends StatfsRunner {
  statfsMany(paths: readonly string[]): Promise<StatfsOutcome[]>;
  stats(): StatfsPoolStats;
}

/** Message a worker posts when its batch ended (all done, or cancelled). */
interface Reply {
  readonly id: number;
  readonly n: number;
  readonly errors: Readonly<Record<number, { readonly code: string; readonly message: string }>>;
}

/** A run's shared buffer (see statfs-worker.ts) and its watchdog timer. */
interface RunBuffer {
  readonly paths: readonly string[];
  readonly state: Int32Array;
  readonly startedAt: Float64Array;
  readonly results: Float64Array;
  timer: NodeJS.Timeout | undefined;
}

let errnoMap: Map<number, [string, string]> | undefined;
function errnoError(errno: number, path: string): StatfsError {
  errnoMap ??= getSystemErrorMap();
  const [code, text] = errnoMap.get(errno) ?? ['EIO', 'i/o error'];
  return new StatfsError(code, `${code}: ${text}, statfs '${path}'`);
}

/** The outcome of path `i` of a run, read from the shared buffer; null when it has not finished. */
function outcomeAt(run: RunBuffer, i: number, errors?: Reply['errors']): StatfsOutcome | null {
  const r = run.results;
  const o = i * STATFS_CELLS;
  const status = r[o];
  if (status === 1) {
    return { ok: true, values: { bsize: r[o + 1] as number, blocks: r[o + 2] as number, bfree: r[o + 3] as number, bavail: r[o + 4] as number, files: r[o + 5] as number, ffree: r[o + 6] as number } };
  }
  if (status === 2) {
    const e = errors?.[i];
    return { ok: false, error: e ? new StatfsError(e.code, e.message) : errnoError(r[o + 7] as number, run.paths[i] as string) };
  }
  return null;
}

/** Creates the pool. Nothing starts until the first call. */
export function createStatfsPool(opts: StatfsPoolOptions): StatfsPool {
  const timeoutMs = opts.timeoutMs;
  const source = opts.workerSource ?? STATFS_WORKER_SOURCE;
  let state: PoolState = initialPoolState({
    timeoutMs,
    maxWorkers: Math.max(1, opts.workers ?? 2),
    idleMs: opts.idleMs ?? 10_000,
    minPerWorker: Math.max(1, opts.minBatchPerWorker ?? 16),
  });
  const threads = new Map<number, Worker>();
  const runs = new Map<number, RunBuffer>();
  const idleTimers = new Map<number, NodeJS.Timeout>();
  /** Who receives each queued path's outcome. */
  const callers = new Map<number, (o: StatfsOutcome) => void>();
  /** Who receives each abandoned worker's late answer. */
  const lates = new Map<number, { resolve: (v: StatfsValues) => void; reject: (e: Error) => void }>();
  let queueTimer: NodeJS.Timeout | undefined;
  const stopping: Promise<number>[] = [];

  const closedError = (): StatfsError => new StatfsError('ECLOSED', 'statfs pool is closed');
  const failureError = (f: PoolFailure): Error => {
    switch (f.kind) {
      case 'not-started':
        return new StatfsTimeoutError(`statfs did not start within ${timeoutMs} ms (all workers busy)`);
      case 'exhausted':
        return new StatfsTimeoutError(`statfs pool exhausted: ${plural(f.abandoned, 'worker')} stuck in hung filesystems`);
      case 'closed':
        return closedError();
      case 'worker':
        return new StatfsError('EWORKER', f.message);
    }
  };
  const reader = (errors?: Reply['errors']): OutcomeReader => (run, i) => {
    const buf = runs.get(run);
    return buf ? outcomeAt(buf, i, errors) : null;
  };
  const answer = (task: number, o: StatfsOutcome): void => {
    const done = callers.get(task);
    callers.delete(task);
    done?.(o);
  };

  /** Takes the step: the next state, then its effects in order. */
  const apply = (step: PoolStep): void => {
    state = step.state;
    for (const e of step.effects) effect(e);
  };

  const effect = (e: PoolEffect): void => {
    switch (e.type) {
      case 'spawn':
        return spawn(e.worker);
      case 'dispatch': {
        const buf = new SharedArrayBuffer(STATFS_RESULTS_OFFSET + e.paths.length * STATFS_CELLS * 8);
        runs.set(e.run, {
          paths: e.paths,
          state: new Int32Array(buf, 0, 1),
          startedAt: new Float64Array(buf, 8, 1),
          results: new Float64Array(buf, STATFS_RESULTS_OFFSET, e.paths.length * STATFS_CELLS),
          timer: undefined,
        });
        threads.get(e.worker)?.postMessage({ id: e.run, paths: e.paths, buf });
        return;
      }
      case 'watch':
        return watch(e.run, e.ms);
      case 'run-done': {
        clearTimeout(runs.get(e.run)?.timer);
        runs.delete(e.run);
        return;
      }
      case 'cancel': {
        const buf = runs.get(e.run);
        if (buf) Atomics.store(buf.state, 0, -1);
        return;
      }
      case 'settle':
        return answer(e.task, e.outcome);
      case 'fail':
        return answer(e.task, { ok: false, error: failureError(e.failure) });
      case 'abandon': {
        const late = new Promise<StatfsValues>((resolve, reject) => lates.set(e.worker, { resolve, reject }));
        return answer(e.task, { ok: false, error: new StatfsTimeoutError(`statfs timed out after ${timeoutMs} ms`, late) });
      }
      case 'late': {
        const late = lates.get(e.worker);
        lates.delete(e.worker);
        if (!late) return;
        if ('kind' in e.outcome) late.reject(failureError(e.outcome));
        else if (e.outcome.ok) late.resolve(e.outcome.values);
        else late.reject(e.outcome.error);
        return;
      }
      case 'arm-idle': {
        clearTimeout(idleTimers.get(e.worker));
        const t = setTimeout(() => {
          idleTimers.delete(e.worker);
          apply(idleCheck(state, e.worker, Date.now()));
        }, e.ms);
        t.unref();
        idleTimers.set(e.worker, t);
        return;
      }
      case 'clear-idle':
        clearTimeout(idleTimers.get(e.worker));
        idleTimers.delete(e.worker);
        return;
      case 'terminate': {
        const thread = threads.get(e.worker);
        threads.delete(e.worker);
        // A thread inside a syscall cannot be waited for: it is unref'd and dies with the process.
        if (thread) {
          const ended = thread.terminate();
          if (e.wait) stopping.push(ended);
        }
        return;
      }
      case 'queue-timer':
        clearTimeout(queueTimer);
        queueTimer = e.ms === null ? undefined : setTimeout(() => apply(pump(state, Date.now())), e.ms);
        return;
    }
  };

  const spawn = (id: number): void => {
    const worker = new Worker(source, {
      eval: true,
      execArgv: [],
      stdout: false,
      stderr: false,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    worker.unref();
    threads.set(id, worker);
    worker.on('online', () => apply(workerOnline(state, id, Date.now())));
    worker.on('message', (r: Reply) => apply(runEnded(state, id, r.id, reader(r.errors), Date.now())));
    worker.on('error', (err) => apply(workerGone(state, id, `statfs worker failed: ${err.message}`, reader(), Date.now())));
    worker.on('exit', () => apply(workerGone(state, id, 'statfs worker exited', reader(), Date.now())));
  };

  /** Checks the run in `ms` (at most timeoutMs, so a path is caught timeoutMs after its own start). */
  const watch = (run: number, ms: number): void => {
    const buf = runs.get(run);
    if (!buf) return;
    clearTimeout(buf.timer);
    buf.timer = setTimeout(() => watchdog(run), Math.max(1, Math.ceil(Math.min(ms, timeoutMs))));
  };

  const watchdog = (run: number): void => {
    const buf = runs.get(run);
    if (!buf) return;
    buf.timer = undefined;
    for (;;) {
      const now = Date.now();
      const progress = Atomics.load(buf.state, 0);
      const seen = watchRun(state, run, progress, buf.startedAt[0] as number, now);
      if (!seen) return;
      state = seen.state;
      if (now < seen.due) return watch(run, seen.due - now);
      // Cancel: from here on the worker starts no further path. A failed exchange means it moved on.
      if (Atomics.compareExchange(buf.state, 0, progress, -1) !== progress) continue;
      return apply(expireRun(state, run, progress, reader(), now));
    }
  };

  /** Queues paths; `done` receives each one's outcome, in path order of `paths`. */
  const enqueue = (paths: readonly string[], mode: 'call' | 'batch', done: (i: number, o: StatfsOutcome) => void): void => {
    const step = submit(state, paths, mode, Date.now());
    step.tasks.forEach((task, i) => callers.set(task, (o) => done(i, o)));
    apply(step);
  };

  return {
    statfs(path: string): Promise<StatfsValues> {
      if (state.closed) return Promise.reject(closedError());
      return new Promise<StatfsValues>((resolve, reject) => enqueue([path], 'call', (_, o) => (o.ok ? resolve(o.values) : reject(o.error))));
    },
    statfsMany(paths: readonly string[]): Promise<StatfsOutcome[]> {
      if (paths.length === 0) return Promise.resolve([]);
      if (state.closed) return Promise.resolve(paths.map(() => ({ ok: false, error: closedError() })));
      return new Promise<StatfsOutcome[]>((resolve) => {
        const out = new Array<StatfsOutcome>(paths.length);
        let left = paths.length;
        enqueue(paths, 'batch', (i, o) => {
          out[i] = o;
          if (--left === 0) resolve(out);
        });
      });
    },
    async close(): Promise<void> {
      if (state.closed) return;
      apply(closePool(state, Date.now()));
      await Promise.all(stopping.splice(0));
    },
    stats(): StatfsPoolStats {
      return poolCounts(state);
    },
  };
}
