/**
 * The statfs pool's bookkeeping (pure): the queue of paths, the worker slots and the run each one holds,
 * deadlines, retries, abandonment of workers stuck in the kernel, idle shutdown and close. Every function
 * takes the state and an event (with the time, and whatever the I/O side read from a worker's shared
 * buffer) and returns the next state plus the effects the I/O side must carry out, in order: start or
 * terminate a thread, post a batch, arm a timer, settle a caller. statfs-pool.ts is that I/O side (worker
 * threads, SharedArrayBuffers, timers, promises); the contract of the pool is written there.
 *
 * The state is never mutated: each step copies what it changes.
 */
import type { StatfsOutcome } from './statfs-pool.js';

/** A worker that has not come online yet gets at least this long before its first path counts as late. */
export const BOOT_GRACE_MS = 2000;
/** Paths re-queued because their worker failed to start them get this many more tries. */
export const MAX_RETRIES = 1;

/** Fixed settings of a pool. */
export interface PoolConfig {
  readonly timeoutMs: number;
  readonly maxWorkers: number;
  readonly idleMs: number;
  readonly minPerWorker: number;
}

/** One path to stat. */
export interface PoolTask {
  readonly id: number;
  readonly path: string;
  /** Must be handed to a worker before this (ms), else "did not start". */
  readonly startBy: number;
  /** Absolute deadline of a single call; Infinity for a batch path (its deadline runs from its start). */
  readonly finishBy: number;
  /** Times it was handed to a worker that then failed to start it. */
  readonly retries: number;
}

/** Paths handed to one worker in one message. */
export interface PoolRun {
  readonly id: number;
  readonly tasks: readonly PoolTask[];
  /** Last progress value (the worker's shared state word) seen by the watchdog, and since when. */
  readonly seenState: number;
  readonly seenAt: number;
}

/** One worker thread. */
export interface PoolWorker {
  readonly id: number;
  readonly spawnedAt: number;
  /** When it came online; 0 until then. */
  readonly onlineAt: number;
  readonly run: PoolRun | null;
  readonly idleSince: number;
  /** An idle timer is armed for it (one lazy timer per worker). */
  readonly idleArmed: boolean;
  /** Set once abandoned: the run and index of the stuck path, whose caller awaits its late answer. */
  readonly late: { readonly runId: number; readonly index: number } | null;
}

/** The whole pool. `healthy` keeps start order (the order free workers are used in). */
export interface PoolState {
  readonly config: PoolConfig;
  readonly queue: readonly PoolTask[];
  readonly healthy: readonly PoolWorker[];
  readonly abandoned: readonly PoolWorker[];
  readonly nextTaskId: number;
  readonly nextRunId: number;
  readonly nextWorkerId: number;
  readonly closed: boolean;
}

/** Why the pool failed a path without a worker's answer; the I/O side turns it into the error. */
export type PoolFailure =
  | { readonly kind: 'not-started' }
  | { readonly kind: 'exhausted'; readonly abandoned: number }
  | { readonly kind: 'closed' }
  | { readonly kind: 'worker'; readonly message: string };

/** What the I/O side must do, in order. */
export type PoolEffect =
  | { readonly type: 'spawn'; readonly worker: number }
  | { readonly type: 'dispatch'; readonly worker: number; readonly run: number; readonly paths: readonly string[] }
  /** Check the run again in `ms` (the I/O side caps it at timeoutMs: a path is caught timeoutMs after its own start). */
  | { readonly type: 'watch'; readonly run: number; readonly ms: number }
  /** The run's buffer and timer are no longer needed. */
  | { readonly type: 'run-done'; readonly run: number }
  /** Tell the worker to start no further path of the run (close). */
  | { readonly type: 'cancel'; readonly run: number }
  | { readonly type: 'settle'; readonly task: number; readonly outcome: StatfsOutcome }
  | { readonly type: 'fail'; readonly task: number; readonly failure: PoolFailure }
  /** The task's path hangs in the worker: fail it with a timeout whose late answer is the worker's. */
  | { readonly type: 'abandon'; readonly worker: number; readonly task: number }
  /** An abandoned worker's late answer (or why there will be none). */
  | { readonly type: 'late'; readonly worker: number; readonly outcome: StatfsOutcome | PoolFailure }
  | { readonly type: 'arm-idle'; readonly worker: number; readonly ms: number }
  | { readonly type: 'clear-idle'; readonly worker: number }
  /** `wait`: close() awaits this thread's end (an idle one); a busy or stuck one is not waited for. */
  | { readonly type: 'terminate'; readonly worker: number; readonly wait: boolean }
  /** Run pump again in `ms`; null: no queue timer. */
  | { readonly type: 'queue-timer'; readonly ms: number | null };

/** A step's result. */
export interface PoolStep {
  readonly state: PoolState;
  readonly effects: readonly PoolEffect[];
}

/** Reads path `index` of run `run` from the worker's shared buffer; null when it has not finished. */
export type OutcomeReader = (run: number, index: number) => StatfsOutcome | null;

/** Counters describing the pool, for metrics and tests. */
export interface PoolCounts {
  /** Healthy worker threads. */
  readonly workers: number;
  /** Healthy workers running a path (a call, or a batch). */
  readonly busy: number;
  /** Paths waiting for a worker. */
  readonly queued: number;
  /** Workers stuck in a syscall past their deadline. */
  readonly abandoned: number;
}

/** A pool with nothing started. */
export function initialPoolState(config: PoolConfig): PoolState {
  return { config, queue: [], healthy: [], abandoned: [], nextTaskId: 1, nextRunId: 1, nextWorkerId: 1, closed: false };
}

/** The counters of `state`. */
export function poolCounts(state: PoolState): PoolCounts {
  return { workers: state.healthy.length, busy: state.healthy.filter((w) => w.run !== null).length, queued: state.queue.length, abandoned: state.abandoned.length };
}

/** A mutable draft of one step: the next state's parts and the effects so far. */
class Draft {
  queue: PoolTask[];
  healthy: PoolWorker[];
  abandoned: PoolWorker[];
  nextTaskId: number;
  nextRunId: number;
  nextWorkerId: number;
  closed: boolean;
  readonly effects: PoolEffect[] = [];

  constructor(readonly from: PoolState, readonly now: number) {
    this.queue = [...from.queue];
    this.healthy = [...from.healthy];
    this.abandoned = [...from.abandoned];
    this.nextTaskId = from.nextTaskId;
    this.nextRunId = from.nextRunId;
    this.nextWorkerId = from.nextWorkerId;
    this.closed = from.closed;
  }

  get config(): PoolConfig {
    return this.from.config;
  }

  done(): PoolStep {
    const { config } = this.from;
    return {
      state: { config, queue: this.queue, healthy: this.healthy, abandoned: this.abandoned, nextTaskId: this.nextTaskId, nextRunId: this.nextRunId, nextWorkerId: this.nextWorkerId, closed: this.closed },
      effects: this.effects,
    };
  }

  emit(e: PoolEffect): void {
    this.effects.push(e);
  }

  /** Replaces a healthy worker by id. */
  setHealthy(w: PoolWorker): void {
    this.healthy = this.healthy.map((h) => (h.id === w.id ? w : h));
  }

  /** Marks the worker idle; arms its one idle timer when none is. */
  idle(w: PoolWorker): PoolWorker {
    const next = { ...w, run: null, idleSince: this.now, idleArmed: true };
    if (!w.idleArmed) this.emit({ type: 'arm-idle', worker: w.id, ms: this.config.idleMs });
    return next;
  }

  /** Puts tasks back at the head of the queue with a fresh start deadline. */
  requeue(tasks: readonly PoolTask[]): void {
    const startBy = this.now + this.config.timeoutMs;
    this.queue = [...tasks.map((t) => ({ ...t, startBy: Math.min(t.finishBy, startBy) })), ...this.queue];
  }

  /** Hands `tasks` to the (free) worker and watches the run. */
  dispatch(w: PoolWorker, tasks: PoolTask[]): void {
    const run: PoolRun = { id: this.nextRunId++, tasks, seenState: 0, seenAt: this.now };
    const next = { ...w, run, idleArmed: false };
    if (w.idleArmed) this.emit({ type: 'clear-idle', worker: w.id });
    this.setHealthy(next);
    this.emit({ type: 'dispatch', worker: w.id, run: run.id, paths: tasks.map((t) => t.path) });
    const { due } = runDeadline(this.config, next, run, 0, 0, this.now);
    this.emit({ type: 'watch', run: run.id, ms: due - this.now });
  }

  spawn(): PoolWorker {
    const w: PoolWorker = { id: this.nextWorkerId++, spawnedAt: this.now, onlineAt: 0, run: null, idleSince: 0, idleArmed: false, late: null };
    this.healthy = [...this.healthy, w];
    this.emit({ type: 'spawn', worker: w.id });
    return w;
  }

  /** Gives queued paths to workers, starting new ones up to the limit; fails the paths past their start deadline. */
  pump(): void {
    if (this.closed) return;
    const { now } = this;
    const { maxWorkers, minPerWorker } = this.config;
    const waiting: PoolTask[] = [];
    // Paths queued past their start deadline fail now; a (fresh) worker is not spent on them.
    for (const t of this.queue) {
      if (now >= t.startBy) this.emit({ type: 'fail', task: t.id, failure: { kind: 'not-started' } });
      else waiting.push(t);
    }
    this.queue = waiting;
    while (this.queue.length > 0) {
      const free = this.healthy.filter((w) => w.run === null);
      const spawnable = maxWorkers - this.healthy.length;
      const want = Math.max(1, Math.min(free.length + spawnable, Math.ceil(this.queue.length / minPerWorker)));
      while (free.length < want && this.healthy.length < maxWorkers) free.push(this.spawn());
      if (free.length > want) free.length = want;
      if (free.length === 0) {
        if (this.healthy.length === 0) {
          for (const t of this.queue) this.emit({ type: 'fail', task: t.id, failure: { kind: 'exhausted', abandoned: this.abandoned.length } });
          this.queue = [];
        }
        break;
      }
      const per = Math.ceil(this.queue.length / free.length);
      for (const w of free) {
        if (this.queue.length === 0) break;
        this.dispatch(w, this.queue.slice(0, per));
        this.queue = this.queue.slice(per);
      }
    }
    if (this.queue.length > 0) {
      let first = Infinity;
      for (const t of this.queue) first = Math.min(first, t.startBy);
      this.emit({ type: 'queue-timer', ms: Math.max(1, first - now) });
    } else {
      this.emit({ type: 'queue-timer', ms: null });
    }
  }
}

/**
 * When the run's current progress stops being acceptable (pure), and the run with what the watchdog has
 * now seen. `progress` is the worker's state word: 2i+1 while in path i (since `startedAt`, the worker's
 * own clock), 2i between paths (normally microseconds; a fresh worker may still be booting).
 */
export function runDeadline(config: PoolConfig, worker: PoolWorker, run: PoolRun, progress: number, startedAt: number, now: number): { run: PoolRun; due: number } {
  const { timeoutMs } = config;
  const seen = progress !== run.seenState ? { ...run, seenState: progress, seenAt: now } : run;
  if (progress % 2 === 1) {
    const task = run.tasks[(progress - 1) / 2]!;
    return { run: seen, due: Math.min(task.finishBy, startedAt + timeoutMs) };
  }
  const i = progress / 2;
  if (i >= run.tasks.length) return { run: seen, due: now + timeoutMs }; // all done: the reply is on its way
  const task = run.tasks[i]!;
  const since = worker.onlineAt === 0 ? worker.spawnedAt + Math.max(timeoutMs, BOOT_GRACE_MS) - timeoutMs : Math.max(seen.seenAt, worker.onlineAt);
  return { run: seen, due: Math.min(task.finishBy, since + timeoutMs) };
}

/** Queues paths: a single call (deadline timeoutMs from now, queueing included) or a batch (see statfs-pool.ts). */
export function submit(state: PoolState, paths: readonly string[], mode: 'call' | 'batch', now: number): PoolStep & { tasks: readonly number[] } {
  const d = new Draft(state, now);
  const startBy = now + state.config.timeoutMs;
  const tasks = paths.map((path): PoolTask => ({ id: d.nextTaskId++, path, startBy, finishBy: mode === 'call' ? startBy : Infinity, retries: mode === 'call' ? MAX_RETRIES : 0 }));
  if (d.closed) {
    for (const t of tasks) d.emit({ type: 'fail', task: t.id, failure: { kind: 'closed' } });
  } else {
    d.queue = [...d.queue, ...tasks];
    d.pump();
  }
  return { ...d.done(), tasks: tasks.map((t) => t.id) };
}

/** The queue timer fired: fail what waited too long, dispatch what can be. */
export function pump(state: PoolState, now: number): PoolStep {
  const d = new Draft(state, now);
  d.pump();
  return d.done();
}

/** The worker's thread came online. */
export function workerOnline(state: PoolState, worker: number, now: number): PoolStep {
  const d = new Draft(state, now);
  const w = d.healthy.find((h) => h.id === worker);
  if (w) d.setHealthy({ ...w, onlineAt: now });
  return d.done();
}

/**
 * The watchdog read the run's progress: when it is not due yet, the next state (what it saw) and how long
 * to wait; null when the run is no longer in a worker's hands (answered, dropped, closed).
 */
export function watchRun(state: PoolState, run: number, progress: number, startedAt: number, now: number): { state: PoolState; due: number } | null {
  const w = state.healthy.find((h) => h.run?.id === run);
  if (!w) return null;
  const r = runDeadline(state.config, w, w.run!, progress, startedAt, now);
  const next = { ...w, run: r.run };
  return { state: { ...state, healthy: state.healthy.map((h) => (h.id === w.id ? next : h)) }, due: r.due };
}

/**
 * The run missed its deadline at `progress` and the I/O side has cancelled it (the worker starts no
 * further path). Finished paths are answered; a path in progress hangs in the kernel, so its worker is
 * abandoned (it answers late if the syscall returns) and the rest goes back in line, first, with a fresh
 * deadline (one hang per path at most). A path not started (a booting or starved worker, which stays in
 * the pool) and those after it get MAX_RETRIES more chances; a single call's path none.
 */
export function expireRun(state: PoolState, run: number, progress: number, read: OutcomeReader, now: number): PoolStep {
  const d = new Draft(state, now);
  const w = d.healthy.find((h) => h.run?.id === run);
  if (!w || !w.run) return d.done();
  const tasks = w.run.tasks;
  const hung = progress % 2 === 1;
  const i = hung ? (progress - 1) / 2 : progress / 2;
  for (let k = 0; k < i; k++) {
    const o = read(run, k);
    if (o) d.emit({ type: 'settle', task: tasks[k]!.id, outcome: o });
    else d.emit({ type: 'fail', task: tasks[k]!.id, failure: { kind: 'worker', message: 'statfs worker lost an answer' } });
  }
  const rest: PoolTask[] = [];
  if (hung) {
    d.healthy = d.healthy.filter((h) => h.id !== w.id);
    d.abandoned = [...d.abandoned, { ...w, run: null, idleArmed: false, late: { runId: run, index: i } }];
    if (w.idleArmed) d.emit({ type: 'clear-idle', worker: w.id });
    d.emit({ type: 'abandon', worker: w.id, task: tasks[i]!.id });
  } else {
    d.emit({ type: 'run-done', run });
    if (i < tasks.length) rest.push(tasks[i]!);
    d.setHealthy(d.idle(w));
  }
  rest.push(...tasks.slice(i + 1));
  const again: PoolTask[] = [];
  for (const t of rest) {
    if (t.finishBy <= now || (!hung && t.retries >= MAX_RETRIES)) d.emit({ type: 'fail', task: t.id, failure: { kind: 'not-started' } });
    else again.push(hung ? t : { ...t, retries: t.retries + 1 });
  }
  if (again.length > 0) d.requeue(again);
  d.pump();
  return d.done();
}

/**
 * The worker posted the end of run `run`. From an abandoned worker this is its late answer: the mount
 * answers again and the thread is no longer needed. From a healthy one: every finished path is answered,
 * paths it left unstarted (only after a cancel) go back in line, and the worker is idle.
 */
export function runEnded(state: PoolState, worker: number, run: number, read: OutcomeReader, now: number): PoolStep {
  const d = new Draft(state, now);
  const gone = d.abandoned.find((a) => a.id === worker);
  if (gone?.late) {
    d.abandoned = d.abandoned.filter((a) => a.id !== worker);
    const o = run === gone.late.runId ? read(run, gone.late.index) : null;
    d.emit({ type: 'late', worker, outcome: o ?? { kind: 'worker', message: 'statfs worker stopped without an answer' } });
    d.emit({ type: 'run-done', run: gone.late.runId });
    d.emit({ type: 'terminate', worker, wait: false });
    d.pump();
    return d.done();
  }
  const w = d.healthy.find((h) => h.id === worker);
  if (!w || !w.run || w.run.id !== run) return d.done();
  const left: PoolTask[] = [];
  w.run.tasks.forEach((t, i) => {
    const o = read(run, i);
    if (o) d.emit({ type: 'settle', task: t.id, outcome: o });
    else left.push(t);
  });
  d.emit({ type: 'run-done', run });
  if (left.length > 0) d.requeue(left);
  d.setHealthy(d.idle(w));
  d.pump();
  return d.done();
}

/** The worker failed or exited: its finished paths are answered, the others (and a late answer) fail with `message`. */
export function workerGone(state: PoolState, worker: number, message: string, read: OutcomeReader, now: number): PoolStep {
  const d = new Draft(state, now);
  const w = d.healthy.find((h) => h.id === worker) ?? d.abandoned.find((a) => a.id === worker);
  if (w) {
    d.healthy = d.healthy.filter((h) => h.id !== worker);
    d.abandoned = d.abandoned.filter((a) => a.id !== worker);
    if (w.idleArmed) d.emit({ type: 'clear-idle', worker });
    if (w.run) {
      const run = w.run.id;
      w.run.tasks.forEach((t, i) => {
        const o = read(run, i);
        d.emit(o ? { type: 'settle', task: t.id, outcome: o } : { type: 'fail', task: t.id, failure: { kind: 'worker', message } });
      });
      d.emit({ type: 'run-done', run });
    }
    if (w.late) {
      d.emit({ type: 'late', worker, outcome: { kind: 'worker', message } });
      d.emit({ type: 'run-done', run: w.late.runId });
    }
  }
  d.pump();
  return d.done();
}

/** The worker's idle timer fired: terminate it when idle for idleMs, else wait the rest. */
export function idleCheck(state: PoolState, worker: number, now: number): PoolStep {
  const d = new Draft(state, now);
  const w = d.healthy.find((h) => h.id === worker);
  if (!w) return d.done();
  if (w.run !== null) {
    d.setHealthy({ ...w, idleArmed: false });
    return d.done();
  }
  const left = w.idleSince + state.config.idleMs - now;
  if (left > 0) {
    d.emit({ type: 'arm-idle', worker, ms: left });
    return d.done();
  }
  d.healthy = d.healthy.filter((h) => h.id !== worker);
  d.emit({ type: 'terminate', worker, wait: false });
  return d.done();
}

/**
 * Closes the pool: queued paths, runs in flight and late answers fail with `closed`; every thread is
 * terminated (idle ones waited for; busy and stuck ones not: they may be inside a syscall).
 */
export function closePool(state: PoolState, now: number): PoolStep {
  const d = new Draft(state, now);
  if (d.closed) return d.done();
  d.closed = true;
  d.emit({ type: 'queue-timer', ms: null });
  for (const t of d.queue) d.emit({ type: 'fail', task: t.id, failure: { kind: 'closed' } });
  d.queue = [];
  for (const a of d.abandoned) {
    d.emit({ type: 'late', worker: a.id, outcome: { kind: 'closed' } });
    if (a.late) d.emit({ type: 'run-done', run: a.late.runId });
    d.emit({ type: 'terminate', worker: a.id, wait: false });
  }
  d.abandoned = [];
  for (const w of d.healthy) {
    if (w.idleArmed) d.emit({ type: 'clear-idle', worker: w.id });
    if (w.run) {
      d.emit({ type: 'cancel', run: w.run.id });
      for (const t of w.run.tasks) d.emit({ type: 'fail', task: t.id, failure: { kind: 'closed' } });
      d.emit({ type: 'run-done', run: w.run.id });
      d.emit({ type: 'terminate', worker: w.id, wait: false });
    } else {
      d.emit({ type: 'terminate', worker: w.id, wait: true });
    }
  }
  d.healthy = [];
  return d.done();
}
