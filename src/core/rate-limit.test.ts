import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRateLimit, RateLimiter } from './rate-limit.js';

test('a client gets its burst, then one request per 1/rate seconds; clients are independent', () => {
  let now = 0;
  const rl = new RateLimiter({ perSecond: 2, burst: 3 }, () => now);
  assert.deepEqual([1, 2, 3].map(() => rl.take('a').allowed), [true, true, true]);
  const refused = rl.take('a');
  assert.equal(refused.allowed, false);
  assert.equal(refused.allowed === false && refused.retryAfterSeconds, 1);
  assert.equal(rl.take('b').allowed, true, 'another client has its own bucket');
  now += 499;
  assert.equal(rl.take('a').allowed, false, 'not yet refilled');
  now += 2;
  assert.equal(rl.take('a').allowed, true, 'one token after 0.5 s at 2/s');
  now += 60_000;
  assert.deepEqual([1, 2, 3, 4].map(() => rl.take('a').allowed), [true, true, true, false], 'refill stops at burst');
});

test('the bucket table is bounded: the least recently used client is forgotten', () => {
  const rl = new RateLimiter({ perSecond: 1, burst: 1, maxClients: 3 }, () => 0);
  for (const c of ['a', 'b', 'c']) rl.take(c);
  rl.take('a'); // a is now most recent; b is the oldest
  rl.take('d');
  assert.equal(rl.size, 3);
  assert.equal(rl.take('b').allowed, true, 'b was forgotten, so it starts with a full bucket');
  assert.equal(rl.take('a').allowed, false, 'a was kept and is still empty');
});

test('parseRateLimit', () => {
  assert.deepEqual(parseRateLimit('20'), { perSecond: 20, burst: 40 });
  assert.deepEqual(parseRateLimit('5/7'), { perSecond: 5, burst: 7 });
  assert.deepEqual(parseRateLimit('0.5'), { perSecond: 0.5, burst: 1 });
  for (const bad of ['', '0', '-1', 'x', '5/0', '5/', '1e3']) assert.equal(parseRateLimit(bad), undefined, bad);
});
