import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../../core/errors.js';
import { batchValues } from './redis-store.js';

test('an INCRBY reply serves the n values ending at it, in order', () => {
  assert.deepEqual(batchValues(5, 1, 'a'), [5]);
  assert.deepEqual(batchValues(10, 3, 'a'), [8, 9, 10]);
  assert.deepEqual(batchValues(Number.MAX_SAFE_INTEGER, 2, 'a'), [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER]);
});

test('past MAX_SAFE_INTEGER the whole batch is refused (a rounded reply could repeat a value)', () => {
  // 2^53 + 1 parses to 2^53: trusting it would hand out MAX_SAFE_INTEGER - 1 a second time.
  for (const v of batchValues(9007199254740993, 3, 'a')) assert.ok(isVigiaError(v, 'TURNO_ERR_COUNTER_EXHAUSTED'));
});

test('nonsense replies are internal errors', () => {
  for (const reply of ['x', 2, -1, 1.5]) {
    for (const v of batchValues(reply, 3, 'a')) assert.ok(isVigiaError(v, 'VIGIA_ERR_INTERNAL'), String(reply));
  }
});
