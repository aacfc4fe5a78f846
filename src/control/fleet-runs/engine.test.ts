import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../core/clock.js';
import { isVigiaError } from '../../core/errors.js';
import { createRunEngine } from './engine.js';
import type { HostOutcome, RunEngine, RunEngineOptions } from './engine.js';
import { parseLimit, resolveLimit } from './selector.js';
import { mulberry32 } from '../../core/random.js';

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** A fake clock. */
function clock(): { now: Clock; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

function engine(over: Partial<RunEngineOptions> & { hosts: readonly number[] }, now = clock().now): RunEngine {
  return createRunEngine({ concurrency: 10, maxErrors: 0, rampUp: false, timeoutMs: 60_000, now, ...over });
}

/**
 * Drives a run to the end: dispatch, then complete one random in-flight host with an outcome from
 * `outcomeOf`, and repeat. Checks the window after every step and returns the observations.
 */
function simulate(e: RunEngine, seed: number, outcomeOf: (id: number) => HostOutcome, concurrency: number) {
  const rand = mulberry32(seed);
  const inFlight: number[] = [];
  const dispatched: number[] = [];
  let maxInFlight = 0;
  let dispatchedAfterStop = 0;
  let stopped = false;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const got = e.next();
    if (stopped) dispatchedAfterStop += got.length;
    inFlight.push(...got);
    dispatched.push(...got);
    maxInFlight = Math.max(maxInFlight, inFlight.length);
    assert.ok(inFlight.length <= concurrency, `window exceeded: ${inFlight.length} > ${concurrency}`);
    assert.equal(e.counts().inFlight, inFlight.length);
    if (inFlight.length === 0) break;
    const [id] = inFlight.splice(Math.floor(rand() * inFlight.length), 1) as [number];
    assert.equal(e.complete(id, outcomeOf(id)), true);
    if (e.state() !== 'running') stopped = true;
  }
  return { dispatched, maxInFlight, dispatchedAfterStop };
}

test('the concurrency window is never exceeded, whatever the completion order', () => {
  const cases = [
    { n: 1000, concurrency: 50 },
    { n: 7, concurrency: 50 },
    { n: 100, concurrency: 1 },
    { n: 257, concurrency: 16 },
  ];
  for (const { n, concurrency } of cases) {
    for (const seed of [1, 2, 3]) {
      const e = engine({ hosts: ids(n), concurrency, maxErrors: n });
      const r = simulate(e, seed, () => 'succeeded', concurrency);
      assert.equal(r.maxInFlight, Math.min(n, concurrency), `window is used fully n=${n} c=${concurrency}`);
      assert.deepEqual(r.dispatched, ids(n), 'every host dispatched once, in order');
      assert.equal(e.state(), 'succeeded');
      assert.deepEqual(e.counts(), { targets: n, pending: 0, inFlight: 0, succeeded: n, failed: 0, timedOut: 0, rejected: 0, notDispatched: 0, errors: 0, maxErrors: n });
    }
  }
});

test('percent limits resolve against the target count', () => {
  const cases = [
    { n: 1000, conc: '5%', errs: '1%', wantConc: 50, wantErrs: 10 },
    { n: 10, conc: '5%', errs: '5%', wantConc: 1, wantErrs: 0 },
    { n: 50, conc: '10%', errs: '10%', wantConc: 5, wantErrs: 5 },
  ];
  for (const c of cases) {
    const concurrency = resolveLimit(parseLimit(c.conc, '--concurrency', { min: 1 }), c.n, { minOne: true });
    const maxErrors = resolveLimit(parseLimit(c.errs, '--max-errors'), c.n, { minOne: false });
    assert.deepEqual([concurrency, maxErrors], [c.wantConc, c.wantErrs]);
    const e = engine({ hosts: ids(c.n), concurrency, maxErrors });
    assert.equal(e.next().length, c.wantConc);
    // One at a time: errors stop the run exactly at maxErrors + 1 (the SSM "sixth error" for 10% of 50).
    const serial = engine({ hosts: ids(c.n), concurrency: 1, maxErrors });
    let failures = 0;
    while (serial.state() === 'running') {
      const [id] = serial.next() as [number];
      serial.complete(id, 'failed');
      failures++;
    }
    assert.equal(failures, c.wantErrs + 1);
  }
});

test('max-errors N stops dispatch exactly when errors exceed N, and nothing is dispatched after', () => {
  for (const maxErrors of [0, 1, 3, 10]) {
    for (const bad of ['failed', 'timed_out', 'rejected'] as const) {
      const c = clock();
      const e = engine({ hosts: ids(100), concurrency: 1, maxErrors, timeoutMs: 1000 }, c.now);
      const seen: HostOutcome[] = [];
      for (let i = 0; i < 100 && e.state() === 'running'; i++) {
        const [id] = e.next() as [number];
        const outcome: HostOutcome = id % 2 === 0 ? bad : 'succeeded';
        if (outcome === 'timed_out') {
          c.advance(1000);
          assert.deepEqual(e.expire(), [id]);
        } else {
          e.complete(id, outcome);
        }
        seen.push(outcome);
        const errs = seen.filter((o) => o !== 'succeeded').length;
        assert.equal(e.state() === 'running', errs <= maxErrors, `state after ${errs} errors, max ${maxErrors}`);
      }
      assert.equal(e.state(), 'failed');
      assert.deepEqual(e.next(), [], 'no dispatch after the stop');
      const k = e.counts();
      assert.equal(k.errors, maxErrors + 1);
      assert.equal(k.succeeded, maxErrors + 1);
      assert.equal(k.notDispatched, 100 - 2 * (maxErrors + 1));
      assert.equal(k.pending, 0);
      assert.equal([...e.outcomes().values()].filter((s) => s === 'not_dispatched').length, k.notDispatched);
    }
  }
});

test('in-flight hosts finish after the stop: overshoot is at most concurrency - 1', () => {
  const cases = [
    { maxErrors: 0, concurrency: 50 },
    { maxErrors: 10, concurrency: 50 },
    { maxErrors: 3, concurrency: 7 },
  ];
  for (const { maxErrors, concurrency } of cases) {
    // Worst case: every host fails.
    const e = engine({ hosts: ids(1000), concurrency, maxErrors });
    const r = simulate(e, 42, () => 'failed', concurrency);
    const k = e.counts();
    assert.equal(r.dispatchedAfterStop, 0);
    assert.equal(k.failed, maxErrors + concurrency, 'every in-flight host landed after the stop');
    assert.equal(k.notDispatched, 1000 - k.failed);
    assert.equal(e.state(), 'failed');
    // Mixed random outcomes: the bound still holds.
    for (const seed of [7, 8, 9, 10]) {
      const rand = mulberry32(seed);
      const m = engine({ hosts: ids(1000), concurrency, maxErrors });
      simulate(m, seed, () => (rand() < 0.2 ? 'failed' : 'succeeded'), concurrency);
      assert.ok(m.counts().errors <= maxErrors + concurrency, `errors ${m.counts().errors}`);
    }
  }
});

test('stopping: no dispatch while in-flight hosts drain, then failed', () => {
  const e = engine({ hosts: ids(10), concurrency: 3, maxErrors: 0 });
  assert.deepEqual(e.next(), [1, 2, 3]);
  e.complete(2, 'failed');
  assert.equal(e.state(), 'stopping');
  assert.deepEqual(e.next(), []);
  assert.deepEqual(e.counts(), { targets: 10, pending: 0, inFlight: 2, succeeded: 0, failed: 1, timedOut: 0, rejected: 0, notDispatched: 7, errors: 1, maxErrors: 0 });
  e.complete(1, 'succeeded');
  e.complete(3, 'succeeded');
  assert.equal(e.state(), 'failed');
  assert.deepEqual([...e.outcomes()], [
    [1, 'succeeded'], [2, 'failed'], [3, 'succeeded'],
    ...ids(10).slice(3).map((id) => [id, 'not_dispatched']),
  ]);
});

test('a failure within max-errors lets the run go on; it ends failed, not succeeded', () => {
  const e = engine({ hosts: ids(5), concurrency: 5, maxErrors: 1 });
  for (const id of e.next()) e.complete(id, id === 3 ? 'failed' : 'succeeded');
  assert.equal(e.state(), 'failed');
  assert.equal(e.counts().notDispatched, 0);
});

test('ramp-up doubles the window 1, 2, 4, 8 ... up to concurrency', () => {
  const cases = [
    { concurrency: 50, n: 200, want: [1, 2, 4, 8, 16, 32, 50, 50, 37] },
    { concurrency: 5, n: 20, want: [1, 2, 4, 5, 5, 3] },
    { concurrency: 1, n: 3, want: [1, 1, 1] },
  ];
  for (const { concurrency, n, want } of cases) {
    const e = engine({ hosts: ids(n), concurrency, maxErrors: 0, rampUp: true });
    const waves: number[] = [];
    for (let batch = e.next(); batch.length > 0; batch = e.next()) {
      waves.push(batch.length);
      for (const id of batch) e.complete(id, 'succeeded');
    }
    assert.deepEqual(waves, want, `concurrency ${concurrency}`);
    assert.equal(e.state(), 'succeeded');
  }
});

test('ramp-up: an error resets the success streak, the window does not grow', () => {
  const e = engine({ hosts: ids(20), concurrency: 8, maxErrors: 5, rampUp: true });
  let [id] = e.next() as [number];
  e.complete(id, 'succeeded');
  assert.equal(e.window(), 2);
  const two = e.next();
  assert.equal(two.length, 2);
  e.complete(two[0] as number, 'succeeded');
  e.complete(two[1] as number, 'failed');
  assert.equal(e.window(), 2, 'one success then an error: no doubling');
  const again = e.next();
  assert.equal(again.length, 2);
  for (id of again) e.complete(id, 'succeeded');
  assert.equal(e.window(), 4);
});

test('timeouts: hosts in flight for timeoutMs are timed out, counted as errors; late results are ignored', () => {
  const c = clock();
  const e = engine({ hosts: ids(6), concurrency: 3, maxErrors: 1, timeoutMs: 10_000 }, c.now);
  assert.deepEqual(e.next(), [1, 2, 3]);
  assert.equal(e.nextDeadline(), c.now() + 10_000);
  c.advance(4_000);
  e.complete(2, 'succeeded');
  assert.deepEqual(e.next(), [4]);
  c.advance(5_999);
  assert.deepEqual(e.expire(), [], 'not yet');
  c.advance(1);
  assert.deepEqual(e.expire(), [1, 3]);
  assert.equal(e.state(), 'stopping', '2 timeouts exceed max-errors 1');
  assert.equal(e.complete(1, 'succeeded'), false, 'late result after the timeout is ignored');
  assert.equal(e.complete(99, 'succeeded'), false, 'unknown host ignored');
  assert.equal(e.complete(5, 'succeeded'), false, 'never dispatched: ignored');
  assert.equal(e.nextDeadline(), c.now() - 6_000 + 10_000);
  assert.equal(e.complete(4, 'succeeded'), true);
  assert.equal(e.complete(4, 'failed'), false, 'second result ignored');
  assert.equal(e.nextDeadline(), undefined);
  assert.equal(e.state(), 'failed');
  assert.deepEqual(e.counts(), { targets: 6, pending: 0, inFlight: 0, succeeded: 2, failed: 0, timedOut: 2, rejected: 0, notDispatched: 2, errors: 2, maxErrors: 1 });
  assert.deepEqual(e.outcomes().get(1), 'timed_out');
});

test('resume: hosts in alreadyDone are counted and never re-dispatched', () => {
  const cases: Array<{ done: Array<[number, HostOutcome]>; maxErrors: number; wantState: string; wantDispatched: number[] }> = [
    { done: [[1, 'succeeded'], [3, 'succeeded'], [4, 'failed']], maxErrors: 1, wantState: 'failed', wantDispatched: [2, 5, 6] },
    { done: [[1, 'succeeded'], [2, 'succeeded']], maxErrors: 0, wantState: 'succeeded', wantDispatched: [3, 4, 5, 6] },
    // Already over the limit: nothing dispatched at all.
    { done: [[1, 'failed'], [2, 'timed_out']], maxErrors: 1, wantState: 'failed', wantDispatched: [] },
    // Ids not among the targets are ignored.
    { done: [[99, 'failed']], maxErrors: 0, wantState: 'succeeded', wantDispatched: [1, 2, 3, 4, 5, 6] },
  ];
  for (const c of cases) {
    const e = engine({ hosts: ids(6), concurrency: 2, maxErrors: c.maxErrors, alreadyDone: new Map(c.done) });
    const dispatched: number[] = [];
    for (let batch = e.next(); batch.length > 0; batch = e.next()) {
      dispatched.push(...batch);
      for (const id of batch) e.complete(id, 'succeeded');
    }
    assert.deepEqual(dispatched, c.wantDispatched);
    assert.equal(e.state(), c.wantState);
    for (const [id, o] of c.done) if (id <= 6) assert.equal(e.outcomes().get(id), o);
  }
});

test('cancel stops dispatch; in-flight hosts drain; final state cancelled', () => {
  const e = engine({ hosts: ids(10), concurrency: 3, maxErrors: 5 });
  assert.deepEqual(e.next(), [1, 2, 3]);
  e.cancel();
  assert.equal(e.state(), 'stopping');
  assert.deepEqual(e.next(), []);
  e.complete(1, 'succeeded');
  e.complete(2, 'failed');
  assert.equal(e.state(), 'stopping');
  e.complete(3, 'succeeded');
  assert.equal(e.state(), 'cancelled');
  assert.equal(e.counts().notDispatched, 7);

  const idle = engine({ hosts: ids(3) });
  idle.cancel();
  assert.equal(idle.state(), 'cancelled', 'cancel before any dispatch');
  assert.deepEqual(idle.next(), []);

  const done = engine({ hosts: ids(2) });
  for (const id of done.next()) done.complete(id, 'succeeded');
  done.cancel();
  assert.equal(done.state(), 'succeeded', 'cancel after the end changes nothing');

  const stopped = engine({ hosts: ids(5), concurrency: 2, maxErrors: 0 });
  stopped.next();
  stopped.complete(1, 'failed');
  stopped.cancel();
  stopped.complete(2, 'succeeded');
  assert.equal(stopped.state(), 'failed', 'max-errors stopped it first');
});

test('edge cases: no targets, and invalid options', () => {
  const empty = engine({ hosts: [] });
  assert.equal(empty.state(), 'succeeded');
  assert.deepEqual(empty.next(), []);
  const bad: Array<Partial<RunEngineOptions> & { hosts: number[] }> = [
    { hosts: [1], concurrency: 0 },
    { hosts: [1], concurrency: 1.5 },
    { hosts: [1], maxErrors: -1 },
    { hosts: [1], timeoutMs: 0 },
    { hosts: [1, 1] },
  ];
  for (const o of bad) assert.throws(() => engine(o), (err: unknown) => isVigiaError(err, 'VIGIA_ERR_BAD_REQUEST'), JSON.stringify(o));
});
