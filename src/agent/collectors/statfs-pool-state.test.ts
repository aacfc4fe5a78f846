/** The statfs pool's bookkeeping, event by event, without threads or timers (statfs-pool-state.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOOT_GRACE_MS, closePool, expireRun, idleCheck, initialPoolState, poolCounts, pump, runDeadline, runEnded, submit, watchRun, workerGone, workerOnline,
  type OutcomeReader, type PoolConfig, type PoolEffect, type PoolState, type PoolStep, type PoolWorker,
} from './statfs-pool-state.js';
import type { StatfsOutcome } from './statfs-pool.js';

const CFG: PoolConfig = { timeoutMs: 1000, maxWorkers: 2, idleMs: 10_000, minPerWorker: 16 };
const VALUES = { bsize: 4096, blocks: 10, bfree: 5, bavail: 4, files: 100, ffree: 50 };
const OK: StatfsOutcome = { ok: true, values: VALUES };

/** Frozen all the way down: a step that mutated its input would throw (modules are strict). */
function frozen<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) frozen(x);
  }
  return v;
}
const pool = (over: Partial<PoolConfig> = {}): PoolState => frozen(initialPoolState({ ...CFG, ...over }));
/** A reader answering OK for the listed (run, index) pairs, null for the rest. */
const answered = (...done: [number, number][]): OutcomeReader => (run, i) => (done.some(([r, k]) => r === run && k === i) ? OK : null);
const only = (step: PoolStep, ...types: PoolEffect['type'][]): PoolEffect[] => step.effects.filter((e) => types.includes(e.type));
const next = (step: PoolStep): PoolState => frozen(step.state);

test('submit, one call on an empty pool: a worker is started, given the path, watched until the call deadline', () => {
  const step = submit(pool(), ['/a'], 'call', 0);
  assert.deepEqual(step.tasks, [1]);
  assert.deepEqual(step.effects, [
    { type: 'spawn', worker: 1 },
    { type: 'dispatch', worker: 1, run: 1, paths: ['/a'] },
    { type: 'watch', run: 1, ms: 1000 },
    { type: 'queue-timer', ms: null },
  ]);
  assert.deepEqual(poolCounts(step.state), { workers: 1, busy: 1, queued: 0, abandoned: 0 });
});

test('submit cases: batches, splitting, queueing and the boot grace', () => {
  const cases: { name: string; cfg?: Partial<PoolConfig>; paths: string[]; mode: 'call' | 'batch'; before?: string[]; want: PoolEffect[]; counts: ReturnType<typeof poolCounts> }[] = [
    {
      name: 'a batch path on a booting worker gets the boot grace, not the call deadline',
      paths: ['/a', '/b'], mode: 'batch',
      want: [{ type: 'spawn', worker: 1 }, { type: 'dispatch', worker: 1, run: 1, paths: ['/a', '/b'] }, { type: 'watch', run: 1, ms: BOOT_GRACE_MS }, { type: 'queue-timer', ms: null }],
      counts: { workers: 1, busy: 1, queued: 0, abandoned: 0 },
    },
    {
      name: 'a long batch is split over the workers',
      cfg: { minPerWorker: 2 }, paths: ['/1', '/2', '/3', '/4', '/5', '/6'], mode: 'batch',
      want: [
        { type: 'spawn', worker: 1 }, { type: 'spawn', worker: 2 },
        { type: 'dispatch', worker: 1, run: 1, paths: ['/1', '/2', '/3'] }, { type: 'watch', run: 1, ms: BOOT_GRACE_MS },
        { type: 'dispatch', worker: 2, run: 2, paths: ['/4', '/5', '/6'] }, { type: 'watch', run: 2, ms: BOOT_GRACE_MS },
        { type: 'queue-timer', ms: null },
      ],
      counts: { workers: 2, busy: 2, queued: 0, abandoned: 0 },
    },
    {
      name: 'a short batch stays on one worker (one message, one wake-up)',
      paths: ['/1', '/2', '/3'], mode: 'batch',
      want: [{ type: 'spawn', worker: 1 }, { type: 'dispatch', worker: 1, run: 1, paths: ['/1', '/2', '/3'] }, { type: 'watch', run: 1, ms: BOOT_GRACE_MS }, { type: 'queue-timer', ms: null }],
      counts: { workers: 1, busy: 1, queued: 0, abandoned: 0 },
    },
    {
      name: 'every worker busy: the call waits in the queue, a timer set for its start deadline',
      cfg: { maxWorkers: 1 }, before: ['/a'], paths: ['/b'], mode: 'call',
      want: [{ type: 'queue-timer', ms: 1000 }],
      counts: { workers: 1, busy: 1, queued: 1, abandoned: 0 },
    },
  ];
  for (const c of cases) {
    let s = pool(c.cfg);
    if (c.before) s = next(submit(s, c.before, 'call', 0));
    const step = submit(s, c.paths, c.mode, 0);
    assert.deepEqual(step.effects, c.want, c.name);
    assert.deepEqual(poolCounts(step.state), c.counts, c.name);
  }
});

test('pump: a queued path past its start deadline fails without spending a worker', () => {
  let s = next(submit(pool({ maxWorkers: 1 }), ['/a'], 'call', 0));
  s = next(submit(s, ['/b'], 'call', 10));
  const step = pump(s, 1010);
  assert.deepEqual(step.effects, [{ type: 'fail', task: 2, failure: { kind: 'not-started' } }, { type: 'queue-timer', ms: null }]);
  assert.equal(poolCounts(step.state).queued, 0);
});

test('runEnded: every path answered, the worker goes idle (one idle timer) and takes the next queued path', () => {
  let s = next(submit(pool({ maxWorkers: 1 }), ['/a'], 'call', 0));
  s = next(submit(s, ['/b'], 'call', 5));
  const step = runEnded(s, 1, 1, answered([1, 0]), 20);
  assert.deepEqual(step.effects, [
    { type: 'settle', task: 1, outcome: OK },
    { type: 'run-done', run: 1 },
    { type: 'arm-idle', worker: 1, ms: 10_000 },
    { type: 'clear-idle', worker: 1 },
    { type: 'dispatch', worker: 1, run: 2, paths: ['/b'] },
    { type: 'watch', run: 2, ms: 985 },
    { type: 'queue-timer', ms: null },
  ]);
  assert.deepEqual(runEnded(step.state, 1, 1, answered([1, 0]), 30).effects, [], 'a reply for a run the worker no longer holds is ignored');
});

test('runDeadline: in a path, its own start; between paths, the last change or coming online; a booting worker, the grace', () => {
  const w = (over: Partial<PoolWorker>): PoolWorker => ({ id: 1, spawnedAt: 0, onlineAt: 5, run: null, idleSince: 0, idleArmed: false, late: null, ...over });
  const run = (finishBy: number) => ({ id: 1, tasks: [{ id: 1, path: '/a', startBy: 1000, finishBy, retries: 0 }, { id: 2, path: '/b', startBy: 1000, finishBy, retries: 0 }], seenState: 0, seenAt: 0 });
  const cases: [string, PoolWorker, ReturnType<typeof run>, number, number, number, number][] = [
    // name, worker, run, progress, startedAt, now, due
    ['in path 0 since 300 (batch)', w({}), run(Infinity), 1, 300, 400, 1300],
    ['in path 1: the call deadline comes first', w({}), run(900), 3, 300, 400, 900],
    ['between paths, progress just changed at 700', w({}), run(Infinity), 2, 0, 700, 1700],
    ['between paths, unchanged since 0, online at 5', w({}), run(Infinity), 0, 0, 700, 1005],
    ['booting worker: the grace runs from its start', w({ onlineAt: 0, spawnedAt: 100 }), run(Infinity), 0, 0, 700, 100 + BOOT_GRACE_MS],
    ['all paths done: the reply is on its way', w({}), run(Infinity), 4, 0, 700, 1700],
  ];
  for (const [name, worker, r, progress, startedAt, now, due] of cases) assert.equal(runDeadline(CFG, worker, r, progress, startedAt, now).due, due, name);
});

test('watchRun: remembers the progress it saw; null once the run is no longer in a worker', () => {
  const s = next(workerOnline(next(submit(pool(), ['/a', '/b'], 'batch', 0)), 1, 50));
  const seen = watchRun(s, 1, 2, 0, 400);
  assert.equal(seen?.due, 1400);
  assert.equal(seen?.state.healthy[0]?.run?.seenAt, 400);
  assert.equal(watchRun(s, 99, 0, 0, 400), null);
});

test('expireRun, a path hangs: earlier paths answered, its worker abandoned, the rest first in line for a new worker', () => {
  const s = next(submit(pool({ maxWorkers: 1 }), ['/a', '/hung', '/c'], 'batch', 0));
  const step = expireRun(s, 1, 3, answered([1, 0]), 1100);
  assert.deepEqual(step.effects, [
    { type: 'settle', task: 1, outcome: OK },
    { type: 'abandon', worker: 1, task: 2 },
    { type: 'spawn', worker: 2 },
    { type: 'dispatch', worker: 2, run: 2, paths: ['/c'] },
    { type: 'watch', run: 2, ms: BOOT_GRACE_MS },
    { type: 'queue-timer', ms: null },
  ]);
  assert.deepEqual(poolCounts(step.state), { workers: 1, busy: 1, queued: 0, abandoned: 1 });
  assert.deepEqual(step.state.abandoned[0]?.late, { runId: 1, index: 1 });
  assert.equal(step.state.healthy[0]?.run?.tasks[0]?.startBy, 2100, 'a fresh start deadline');

  // The stuck syscall returns: its answer goes to the caller of the hung path, the thread is ended.
  const late = runEnded(next(step), 1, 1, answered([1, 1]), 3000);
  assert.deepEqual(late.effects.slice(0, 3), [{ type: 'late', worker: 1, outcome: OK }, { type: 'run-done', run: 1 }, { type: 'terminate', worker: 1, wait: false }]);
  assert.equal(poolCounts(late.state).abandoned, 0);
  // Gone before answering (error, exit): the late answer fails.
  assert.deepEqual(only(workerGone(next(step), 1, 'statfs worker exited', answered(), 3000), 'late'), [{ type: 'late', worker: 1, outcome: { kind: 'worker', message: 'statfs worker exited' } }]);
});

test('expireRun, a path not started (booting or starved worker): the worker stays; a call fails, a batch path gets one retry', () => {
  const call = next(submit(pool(), ['/a'], 'call', 0));
  const c = expireRun(call, 1, 0, answered(), 1000);
  assert.deepEqual(c.effects, [{ type: 'run-done', run: 1 }, { type: 'arm-idle', worker: 1, ms: 10_000 }, { type: 'fail', task: 1, failure: { kind: 'not-started' } }, { type: 'queue-timer', ms: null }]);
  assert.deepEqual(poolCounts(c.state), { workers: 1, busy: 0, queued: 0, abandoned: 0 });

  const batch = next(submit(pool({ maxWorkers: 1 }), ['/a', '/b'], 'batch', 0));
  const first = expireRun(batch, 1, 2, answered([1, 0]), BOOT_GRACE_MS);
  assert.deepEqual(only(first, 'settle', 'fail', 'dispatch'), [{ type: 'settle', task: 1, outcome: OK }, { type: 'dispatch', worker: 1, run: 2, paths: ['/b'] }]);
  assert.equal(first.state.healthy[0]?.run?.tasks[0]?.retries, 1);
  const second = expireRun(next(first), 2, 0, answered(), BOOT_GRACE_MS + 1000);
  assert.deepEqual(only(second, 'fail', 'dispatch'), [{ type: 'fail', task: 2, failure: { kind: 'not-started' } }], 'no third try');
});

test('runEnded after a cancel: unstarted paths go back in line', () => {
  const s = next(submit(pool({ maxWorkers: 1 }), ['/a', '/b'], 'batch', 0));
  const step = runEnded(s, 1, 1, answered([1, 0]), 10);
  assert.deepEqual(only(step, 'settle', 'dispatch'), [{ type: 'settle', task: 1, outcome: OK }, { type: 'dispatch', worker: 1, run: 2, paths: ['/b'] }]);
});

test('workerGone: finished paths answered from the buffer, the others fail with why', () => {
  const s = next(submit(pool({ maxWorkers: 1 }), ['/a', '/b'], 'batch', 0));
  const step = workerGone(s, 1, 'statfs worker failed: boom', answered([1, 0]), 10);
  assert.deepEqual(only(step, 'settle', 'fail', 'run-done'), [
    { type: 'settle', task: 1, outcome: OK },
    { type: 'fail', task: 2, failure: { kind: 'worker', message: 'statfs worker failed: boom' } },
    { type: 'run-done', run: 1 },
  ]);
  assert.deepEqual(poolCounts(step.state), { workers: 0, busy: 0, queued: 0, abandoned: 0 });
  assert.deepEqual(workerGone(step.state, 1, 'statfs worker exited', answered(), 20).effects, [{ type: 'queue-timer', ms: null }], 'the exit after an error changes nothing');
});

test('idleCheck: re-armed for what is left of idleMs, then the thread is ended', () => {
  const s = next(runEnded(next(submit(pool(), ['/a'], 'call', 0)), 1, 1, answered([1, 0]), 100));
  assert.deepEqual(idleCheck(s, 1, 5000).effects, [{ type: 'arm-idle', worker: 1, ms: 5100 }]);
  const end = idleCheck(s, 1, 10_100);
  assert.deepEqual(end.effects, [{ type: 'terminate', worker: 1, wait: false }]);
  assert.deepEqual(poolCounts(end.state), { workers: 0, busy: 0, queued: 0, abandoned: 0 });
  assert.deepEqual(only(submit(next(end), ['/b'], 'call', 20_000), 'spawn'), [{ type: 'spawn', worker: 2 }], 'a new one on demand');
});

test('closePool: queued, in flight and late answers fail closed; idle threads are awaited, busy and stuck ones not', () => {
  let s = next(submit(pool({ maxWorkers: 2 }), ['/hung'], 'call', 0));
  s = next(expireRun(s, 1, 1, answered(), 1000)); // worker 1 abandoned, nothing left to do
  s = next(submit(s, ['/busy'], 'call', 1000)); // worker 2 started (replacement)
  s = next(submit(s, ['/x'], 'call', 1000)); // worker 3
  s = next(runEnded(s, 3, 3, answered([3, 0]), 1010)); // worker 3 idle
  s = next(submit(s, ['/y'], 'call', 1020)); // worker 3 busy again
  s = next(submit(s, ['/queued'], 'call', 1030)); // queued
  const step = closePool(s, 1040);
  assert.deepEqual(step.effects, [
    { type: 'queue-timer', ms: null },
    { type: 'fail', task: 5, failure: { kind: 'closed' } },
    { type: 'late', worker: 1, outcome: { kind: 'closed' } },
    { type: 'run-done', run: 1 },
    { type: 'terminate', worker: 1, wait: false },
    { type: 'cancel', run: 2 },
    { type: 'fail', task: 2, failure: { kind: 'closed' } },
    { type: 'run-done', run: 2 },
    { type: 'terminate', worker: 2, wait: false },
    { type: 'cancel', run: 4 },
    { type: 'fail', task: 4, failure: { kind: 'closed' } },
    { type: 'run-done', run: 4 },
    { type: 'terminate', worker: 3, wait: false },
  ]);
  assert.deepEqual(poolCounts(step.state), { workers: 0, busy: 0, queued: 0, abandoned: 0 });
  assert.deepEqual(submit(next(step), ['/z'], 'call', 2000).effects, [{ type: 'fail', task: 6, failure: { kind: 'closed' } }]);
  assert.deepEqual(closePool(next(step), 2000).effects, [], 'closing twice does nothing');

  const idle = next(runEnded(next(submit(pool(), ['/a'], 'call', 0)), 1, 1, answered([1, 0]), 10));
  assert.deepEqual(closePool(idle, 20).effects, [{ type: 'queue-timer', ms: null }, { type: 'clear-idle', worker: 1 }, { type: 'terminate', worker: 1, wait: true }]);
});
