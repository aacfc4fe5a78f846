import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from './group-commit.js';

const deferred = <T>(): { promise: Promise<T>; resolve: (v: T) => void } => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

test('submissions of one turn form one batch; later ones wait for the batch in flight (maxInFlight 1)', async () => {
  const batches: number[][] = [];
  const gates: ReturnType<typeof deferred<void>>[] = [];
  const gc = new GroupCommit<number, number>(async (items) => {
    batches.push([...items]);
    const gate = deferred<void>();
    gates.push(gate);
    await gate.promise;
    return items.map((i) => i * 10);
  });
  const first = [gc.submit(1), gc.submit(2)];
  await new Promise((r) => setImmediate(r));
  const second = [gc.submit(3), gc.submit(4), gc.submit(5)];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(batches, [[1, 2]], 'the second batch waits for the first');
  assert.equal(gc.committing, 1);
  gates[0]!.resolve();
  assert.deepEqual(await Promise.all(first), [10, 20]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(batches, [[1, 2], [3, 4, 5]]);
  gates[1]!.resolve();
  assert.deepEqual(await Promise.all(second), [30, 40, 50]);
  await gc.idle();
});

test('with maxInFlight > 1 batches overlap, start in submission order, and the sync part runs in order', async () => {
  const started: number[][] = [];
  const gates: ReturnType<typeof deferred<void>>[] = [];
  const gc = new GroupCommit<number, number>(
    (items) => {
      started.push([...items]); // synchronous part
      const gate = deferred<void>();
      gates.push(gate);
      return gate.promise.then(() => items.map((i) => i));
    },
    { maxInFlight: 2 },
  );
  const a = gc.submit(1);
  await new Promise((r) => setImmediate(r));
  const b = gc.submit(2);
  await new Promise((r) => setImmediate(r));
  const c = gc.submit(3);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [[1], [2]], 'two in flight, the third waits');
  gates[1]!.resolve(); // the second finishes first: allowed
  assert.equal(await b, 2);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [[1], [2], [3]]);
  gates[0]!.resolve();
  gates[2]!.resolve();
  assert.deepEqual(await Promise.all([a, c]), [1, 3]);
});

test('per-item errors reject only that item; a thrown commit rejects the batch; idle waits for everything', async () => {
  let call = 0;
  const gc = new GroupCommit<number, number>(async (items) => {
    call++;
    if (call === 2) throw new Error('disk gone');
    return items.map((i) => (i === 2 ? new Error('bad item') : i));
  });
  const r = await Promise.allSettled([gc.submit(1), gc.submit(2), gc.submit(3)]);
  assert.deepEqual(r.map((x) => x.status), ['fulfilled', 'rejected', 'fulfilled']);
  await assert.rejects(gc.submit(4), /disk gone/);
  const late = gc.submit(5);
  await gc.idle();
  assert.equal(await late, 5);
});

test('maxBatch splits a long queue into several batches', async () => {
  const sizes: number[] = [];
  const gc = new GroupCommit<number, number>(async (items) => {
    sizes.push(items.length);
    return [...items];
  }, { maxBatch: 3 });
  const all = await Promise.all(Array.from({ length: 7 }, (_, i) => gc.submit(i)));
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(sizes, [3, 3, 1]);
});
