import assert from 'node:assert/strict';
import { test } from 'node:test';
import { monotonicClock, systemClock } from './clock.js';

test('systemClock reads epoch milliseconds (Date.now); monotonicClock never goes back', () => {
  const before = Date.now();
  const t = systemClock();
  assert.ok(Number.isInteger(t) && t >= before && t <= Date.now());
  const a = monotonicClock();
  assert.ok(monotonicClock() >= a);
  assert.ok(a < before, 'monotonic readings are not epoch milliseconds: never compare them with systemClock');
});
