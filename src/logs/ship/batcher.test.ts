import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher } from './batcher.js';

const line = (s: string): Buffer[] => [Buffer.from(`${s}\n`)];

test('a batch is cut at its line, byte and age bounds', () => {
  const b = new Batcher({ maxLines: 3, maxBytes: 1000, maxAgeMs: 500 });
  assert.deepEqual(b.add('f', 0, 2, line('a'), 1, 2, 0), []);
  assert.deepEqual(b.add('f', 2, 4, line('b'), 1, 2, 10), []);
  const [full] = b.add('f', 4, 6, line('c'), 1, 2, 20);
  assert.deepEqual([full!.start, full!.end, full!.lines, Buffer.concat(full!.parts).toString()], [0, 6, 3, 'a\nb\nc\n']);
  const big = new Batcher({ maxLines: 100, maxBytes: 5, maxAgeMs: 500 });
  assert.equal(big.add('f', 0, 6, line('hello'), 1, 6, 0).length, 1);
  b.add('g', 100, 102, line('x'), 1, 2, 1000);
  assert.deepEqual(b.due(1499), []);
  const [old] = b.due(1500);
  assert.deepEqual([old!.fileId, old!.start, old!.end], ['g', 100, 102]);
});

test('sources are batched apart, and a range that does not continue closes the open batch', () => {
  const b = new Batcher({ maxLines: 10, maxBytes: 1000, maxAgeMs: 500 });
  b.add('f', 0, 2, line('a'), 1, 2, 0);
  b.add('g', 0, 2, line('b'), 1, 2, 0);
  const [closed] = b.add('f', 50, 52, line('c'), 1, 2, 0);
  assert.deepEqual([closed!.fileId, closed!.start, closed!.end], ['f', 0, 2]);
  assert.equal(b.lines, 2);
  assert.deepEqual(b.flush().map((x) => [x.fileId, x.start, x.end]).sort(), [['f', 50, 52], ['g', 0, 2]]);
  assert.equal(b.lines, 0);
});
