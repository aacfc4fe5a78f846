import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuplicateTracker } from './duplicate-tracker.js';

/** Line starts of `n` lines of `len` bytes (LF included) from `start`. */
const lines = (start: number, n: number, len = 10): number[] => Array.from({ length: n }, (_, i) => start + i * len);

test('a resent batch counts whole; consecutive batches merge into one range; other sources are apart', () => {
  const t = new DuplicateTracker();
  assert.equal(t.count('s:1', lines(0, 5)), 0);
  t.add('s:1', 0, 50);
  t.add('s:1', 50, 100);
  assert.equal(t.count('s:1', lines(0, 5)), 5);
  assert.equal(t.count('s:1', lines(40, 5)), 5);
  assert.equal(t.count('s:1', lines(100, 5)), 0, 'the next batch is new');
  assert.equal(t.count('s:1', lines(80, 5)), 2, 'partial overlap: the lines that start inside');
  assert.equal(t.count('s:2', lines(0, 5)), 0);
});

test('out-of-order ranges merge; beyond the per-source cap the closest neighbours merge', () => {
  const t = new DuplicateTracker({ maxRangesPerSource: 2 });
  t.add('s', 100, 110);
  t.add('s', 0, 10);
  t.add('s', 20, 30);
  // 3 ranges > 2: [0,10) and [20,30) are closest (gap 10), merged into [0,30).
  assert.equal(t.count('s', [15]), 1);
  assert.equal(t.count('s', [50]), 0);
  assert.equal(t.count('s', [105]), 1);
});

test('at most maxSources sources: the least recently seen is forgotten', () => {
  const t = new DuplicateTracker({ maxSources: 2 });
  t.add('a', 0, 10);
  t.add('b', 0, 10);
  t.add('a', 10, 20);
  t.add('c', 0, 10);
  assert.equal(t.sources, 2);
  assert.equal(t.count('b', [0]), 0, 'b went');
  assert.equal(t.count('a', [0]), 1);
});
