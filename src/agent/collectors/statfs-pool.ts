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
 * Caveat for the edge: Node joins every worker thread on exit, so while a worker is stuck in the
 * kernel neither a natural exit nor process.exit() completes (measured on Node 20 with a SIGSTOPped
 * FUSE daemon). A shutdown path that must finish should, when stats().abandoned > 0 after its hard
 * deadline, end the process with process.kill(process.pid, 'SIGKILL').
 */
import { getSystemErrorMap } from 'node:util';
import { Worker } from 'node:worker_threads';
import { STATFS_CELLS, STATFS_RESULTS_OFFSET, STATFS_WORKER_SOURCE } from './statfs-worker.js';

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

/** Counters describing the pool, for metrics and tests. */
export interface StatfsPoolStats {
  /** Healthy worker threads. */
  readonly workers: number;
  /** Healthy workers running a path (a call, or a batch). */
  readonly busy: number;
  /** Paths waiting for a worker. */
  readonly queued: number;
  /** Workers stuck in a syscall past their deadline. */
  readonly abandoned: number;
}

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

/** One path to stat. */
interface Task {
  readonly path: string;
  /** Must be handed to a worker before this (Date.now() ms), else "did not start". */
  startBy: number;
  /** Absolute deadline of a single call; Infinity for a batch path (its deadline runs from its start). */
  readonly finishBy: number;
  /** Times it was handed to a worker that then failed to start it. */
  retries: number;
  readonly done: (o: StatfsOutcome) => void;
}

/** Paths handed to one worker in one message. */
interface Run {
  readonly id: number;
  readonly tasks: readonly Task[];
  readonly state: Int32Array;
  readonly startedAt: Float64Array;
  readonly results: Float64Array;
  /** Last state seen by the watchdog, and since when. */
  seenState: number;
  seenAt: number;
  timer: NodeJS.Timeout | undefined;
}

interface Slot {
  readonly worker: Worker;
  readonly spawnedAt: number;
  onlineAt: number;
  run: Run | null;
  idleSince: number;
  idleTimer: NodeJS.Timeout | undefined;
  /** Set once abandoned: the run and index of the stuck path, and who receives its eventual answer. */
  late: { run: Run; index: number; resolve: (v: StatfsValues) => void; reject: (e: Error) => void } | null;
}

/** A worker that has not come online yet gets at least this long before its first path counts as late. */
const BOOT_GRACE_MS = 2000;
/** Paths re-queued because their worker failed to start them get this many more tries. */
const MAX_RETRIES = 1;

let errnoMap: Map<number, [string, string]> | undefined;
function errnoError(errno: number, path: string): StatfsError {
  errnoMap ??= getSystemErrorMap();
  const [code, text] = errnoMap.get(errno) ?? ['EIO', 'i/o error'];
  return new StatfsError(code, `${code}: ${text}, statfs '${path}'`);
}

/** The outcome of path `i` of a run, read from the shared buffer; null when it has not finished. */
function outcomeAt(run: Run, i: number, errors?: Reply['errors']): StatfsOutcome | null {
  const r = run.results;
  const o = i * STATFS_CELLS;
  const status = r[o];
  if (status === 1) {
    return { ok: true, values: { bsize: r[o + 1] as number, blocks: r[o + 2] as number, bfree: r[o + 3] as number, bavail: r[o + 4] as number, files: r[o + 5] as number, ffree: r[o + 6] as number } };
  }
  if (status === 2) {
    const e = errors?.[i];
    const path = (run.tasks[i] as Task).path;
    return { ok: false, error: e ? new StatfsError(e.code, e.message) : errnoError(r[o + 7] as number, path) };
  }
  return null;
}

/** Creates the pool. Nothing starts until the first call. */
export function createStatfsPool(opts: StatfsPoolOptions): StatfsPool {
  const timeoutMs = opts.timeoutMs;
  const maxWorkers = Math.max(1, opts.workers ?? 2);
  const idleMs = opts.idleMs ?? 10_000;
  const minPerWorker = Math.max(1, opts.minBatchPerWorker ?? 16);
  const source = opts.workerSource ?? STATFS_WORKER_SOURCE;
  const healthy = new Set<Slot>();
  const abandoned = new Set<Slot>();
  const queue: Task[] = [];
  let queueTimer: NodeJS.Timeout | undefined;
  let nextId = 1;
  let closed = false;

  const notStarted = (): StatfsTimeoutError => new StatfsTimeoutError(`statfs did not start within ${timeoutMs} ms (all workers busy)`);

  /** The worker posted its end-of-batch message. */
  const onReply = (slot: Slot, reply: Reply): void => {
    const late = slot.late;
    if (late) {
      // An abandoned worker came back: the mount answers again. Its thread is no longer needed.
      slot.late = null;
      abandoned.delete(slot);
      const o = reply.id === late.run.id ? outcomeAt(late.run, late.index, reply.errors) : null;
      if (o === null) late.reject(new StatfsError('EWORKER', 'statfs worker stopped without an answer'));
      else if (o.ok) late.resolve(o.values);
      else late.reject(o.error);
      void slot.worker.terminate();
      pump();
      return;
    }
    const run = slot.run;
    if (!run || run.id !== reply.id) return;
    slot.run = null;
    clearTimeout(run.timer);
    const n = run.tasks.length;
    for (let i = 0; i < n; i++) {
      const o = outcomeAt(run, i, reply.errors);
      // Paths left unstarted (only after a cancel, which detaches the run first) go back in line.
      if (o) (run.tasks[i] as Task).done(o);
      else requeue([run.tasks[i] as Task]);
    }
    idle(slot);
    pump();
  };

  /** The worker failed or exited: its finished paths are answered, the others fail with `why`. */
  const drop = (slot: Slot, why: Error): void => {
    clearTimeout(slot.idleTimer);
    healthy.delete(slot);
    abandoned.delete(slot);
    const run = slot.run;
    if (run) {
      slot.run = null;
      clearTimeout(run.timer);
      for (let i = 0; i < run.tasks.length; i++) (run.tasks[i] as Task).done(outcomeAt(run, i) ?? { ok: false, error: why });
    }
    slot.late?.reject(why);
    slot.late = null;
    pump();
  };

  const spawn = (): Slot => {
    const worker = new Worker(source, {
      eval: true,
      execArgv: [],
      stdout: false,
      stderr: false,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    worker.unref();
    const slot: Slot = { worker, spawnedAt: Date.now(), onlineAt: 0, run: null, idleSince: 0, idleTimer: undefined, late: null };
    worker.on('online', () => {
      slot.onlineAt = Date.now();
    });
    worker.on('message', (r: Reply) => onReply(slot, r));
    worker.on('error', (e) => drop(slot, new StatfsError('EWORKER', `statfs worker failed: ${e.message}`)));
    worker.on('exit', () => drop(slot, new StatfsError('EWORKER', 'statfs worker exited')));
    healthy.add(slot);
    return slot;
  };

  /** Marks the slot idle; one lazy timer per slot terminates it after idleMs without work. */
  const idle = (slot: Slot): void => {
    slot.idleSince = Date.now();
    if (slot.idleTimer) return;
    const check = (): void => {
      slot.idleTimer = undefined;
      if (slot.run !== null || !healthy.has(slot)) return;
      const left = slot.idleSince + idleMs - Date.now();
      if (left > 0) {
        slot.idleTimer = setTimeout(check, left);
        slot.idleTimer.unref();
        return;
      }
      healthy.delete(slot);
      void slot.worker.terminate();
    };
    slot.idleTimer = setTimeout(check, idleMs);
    slot.idleTimer.unref();
  };

  const requeue = (tasks: readonly Task[]): void => {
    const now = Date.now();
    for (const t of tasks) t.startBy = Math.min(t.finishBy, now + timeoutMs);
    queue.unshift(...tasks);
  };

  const dispatch = (slot: Slot, tasks: Task[]): void => {
    const buf = new SharedArrayBuffer(STATFS_RESULTS_OFFSET + tasks.length * STATFS_CELLS * 8);
    const now = Date.now();
    const run: Run = {
      id: nextId++,
      tasks,
      state: new Int32Array(buf, 0, 1),
      startedAt: new Float64Array(buf, 8, 1),
      results: new Float64Array(buf, STATFS_RESULTS_OFFSET, tasks.length * STATFS_CELLS),
      seenState: 0,
      seenAt: now,
      timer: undefined,
    };
    slot.run = run;
    slot.worker.postMessage({ id: run.id, paths: tasks.map((t) => t.path), buf });
    armWatchdog(slot, run, deadlineOf(slot, run, 0, now) - now);
  };

  /** When the run's current state stops being acceptable. */
  const deadlineOf = (slot: Slot, run: Run, state: number, now: number): number => {
    if (state !== run.seenState) {
      run.seenState = state;
      run.seenAt = now;
    }
    if (state % 2 === 1) {
      // Inside path i since the worker's own timestamp.
      const task = run.tasks[(state - 1) / 2] as Task;
      return Math.min(task.finishBy, (run.startedAt[0] as number) + timeoutMs);
    }
    const i = state / 2;
    if (i >= run.tasks.length) return now + timeoutMs; // all done: the reply is on its way
    const task = run.tasks[i] as Task;
    // Between paths: normally microseconds; a fresh worker may still be booting.
    const since = slot.onlineAt === 0 ? slot.spawnedAt + Math.max(timeoutMs, BOOT_GRACE_MS) - timeoutMs : Math.max(run.seenAt, slot.onlineAt);
    return Math.min(task.finishBy, since + timeoutMs);
  };

  /** Checks at least every timeoutMs, so a path is caught timeoutMs after its own start. */
  const armWatchdog = (slot: Slot, run: Run, ms: number): void => {
    run.timer = setTimeout(() => watchdog(slot, run), Math.max(1, Math.ceil(Math.min(ms, timeoutMs))));
  };

  const watchdog = (slot: Slot, run: Run): void => {
    run.timer = undefined;
    if (slot.run !== run) return;
    for (;;) {
      const now = Date.now();
      const state = Atomics.load(run.state, 0);
      const due = deadlineOf(slot, run, state, now);
      if (now < due) {
        armWatchdog(slot, run, due - now);
        return;
      }
      // Cancel: from here on the worker starts no further path. A failed exchange means it moved on.
      if (Atomics.compareExchange(run.state, 0, state, -1) !== state) continue;
      slot.run = null;
      const i = state % 2 === 1 ? (state - 1) / 2 : state / 2;
      for (let k = 0; k < i; k++) (run.tasks[k] as Task).done(outcomeAt(run, k) as StatfsOutcome);
      const rest: Task[] = [];
      if (state % 2 === 1) {
        // Path i hangs in the kernel: abandon the worker; it answers `late` if the syscall returns.
        healthy.delete(slot);
        abandoned.add(slot);
        clearTimeout(slot.idleTimer);
        const late = new Promise<StatfsValues>((resolve, reject) => {
          slot.late = { run, index: i, resolve, reject };
        });
        (run.tasks[i] as Task).done({ ok: false, error: new StatfsTimeoutError(`statfs timed out after ${timeoutMs} ms`, late) });
      } else {
        // The worker has not started path i (still booting, or starved of CPU). It is not stuck in a
        // syscall: it stays in the pool; when it gets to this run it sees the cancel and stops.
        rest.push(run.tasks[i] as Task);
        idle(slot);
      }
      rest.push(...run.tasks.slice(i + 1));
      // After a hang the rest always goes back in line (one hang per path at most); after a
      // worker that did not start, each path gets MAX_RETRIES more chances.
      const hung = state % 2 === 1;
      const again: Task[] = [];
      for (const t of rest) {
        if (t.finishBy <= now || (!hung && t.retries >= MAX_RETRIES)) t.done({ ok: false, error: notStarted() });
        else {
          if (!hung) t.retries++;
          again.push(t);
        }
      }
      if (again.length > 0) requeue(again);
      pump();
      return;
    }
  };

  function pump(): void {
    if (closed) return;
    const now = Date.now();
    if (queue.length > 0) {
      // Paths queued past their start deadline fail now; a (fresh) worker is not spent on them.
      let w = 0;
      for (const t of queue) {
        if (now >= t.startBy) t.done({ ok: false, error: notStarted() });
        else queue[w++] = t;
      }
      queue.length = w;
    }
    while (queue.length > 0) {
      const free: Slot[] = [];
      for (const s of healthy) if (s.run === null) free.push(s);
      const spawnable = maxWorkers - healthy.size;
      const want = Math.max(1, Math.min(free.length + spawnable, Math.ceil(queue.length / minPerWorker)));
      while (free.length < want && healthy.size < maxWorkers) free.push(spawn());
      if (free.length > want) free.length = want;
      if (free.length === 0) {
        if (healthy.size === 0) {
          for (const t of queue.splice(0)) t.done({ ok: false, error: new StatfsTimeoutError(`statfs pool exhausted: ${abandoned.size} workers stuck in hung filesystems`) });
        }
        break;
      }
      const per = Math.ceil(queue.length / free.length);
      for (const slot of free) {
        if (queue.length === 0) break;
        clearTimeout(slot.idleTimer);
        slot.idleTimer = undefined;
        dispatch(slot, queue.splice(0, per));
      }
    }
    clearTimeout(queueTimer);
    queueTimer = undefined;
    if (queue.length > 0) {
      let first = Infinity;
      for (const t of queue) first = Math.min(first, t.startBy);
      queueTimer = setTimeout(pump, Math.max(1, first - now));
    }
  }

  const closedError = (): StatfsError => new StatfsError('ECLOSED', 'statfs pool is closed');

  return {
    statfs(path: string): Promise<StatfsValues> {
      if (closed) return Promise.reject(closedError());
      return new Promise<StatfsValues>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        queue.push({ path, startBy: deadline, finishBy: deadline, retries: MAX_RETRIES, done: (o) => (o.ok ? resolve(o.values) : reject(o.error)) });
        pump();
      });
    },
    statfsMany(paths: readonly string[]): Promise<StatfsOutcome[]> {
      if (paths.length === 0) return Promise.resolve([]);
      if (closed) return Promise.resolve(paths.map(() => ({ ok: false, error: closedError() })));
      return new Promise<StatfsOutcome[]>((resolve) => {
        const out = new Array<StatfsOutcome>(paths.length);
        let left = paths.length;
        const startBy = Date.now() + timeoutMs;
        for (let i = 0; i < paths.length; i++) {
          queue.push({
            path: paths[i] as string,
            startBy,
            finishBy: Infinity,
            retries: 0,
            done: (o) => {
              out[i] = o;
              if (--left === 0) resolve(out);
            },
          });
        }
        pump();
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearTimeout(queueTimer);
      const why = closedError();
      for (const t of queue.splice(0)) t.done({ ok: false, error: why });
      for (const slot of abandoned) {
        slot.late?.reject(why);
        slot.late = null;
        // Cannot be awaited: the thread is inside a syscall. It is unref'd and dies with the process.
        void slot.worker.terminate();
      }
      abandoned.clear();
      const stopping: Promise<number>[] = [];
      for (const slot of healthy) {
        clearTimeout(slot.idleTimer);
        const run = slot.run;
        if (run) {
          slot.run = null;
          clearTimeout(run.timer);
          Atomics.store(run.state, 0, -1);
          for (const t of run.tasks) t.done({ ok: false, error: why });
          // Possibly inside a slow syscall: do not let close() wait for it.
          void slot.worker.terminate();
        } else {
          stopping.push(slot.worker.terminate());
        }
      }
      healthy.clear();
      await Promise.all(stopping);
    },
    stats(): StatfsPoolStats {
      let busy = 0;
      for (const s of healthy) if (s.run) busy++;
      return { workers: healthy.size, busy, queued: queue.length, abandoned: abandoned.size };
    },
  };
}
