import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, parseRetryAfter, retryDelay } from './backoff.js';

test('Retry-After parsing, full-jitter backoff, and Retry-After with jitter on top', () => {
  const now = Date.UTC(2026, 11, 1);
  assert.equal(parseRetryAfter('7', now), 7000);
  assert.equal(parseRetryAfter(new Date(now + 30_000).toUTCString(), now), 30_000);
  assert.equal(parseRetryAfter(new Date(now - 30_000).toUTCString(), now), 0);
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter(undefined, now), null);
  assert.equal(backoffDelay(1, 1000, 300_000, 0.999), 999);
  assert.equal(backoffDelay(4, 1000, 300_000, 0.5), 4000);
  assert.equal(backoffDelay(40, 1000, 300_000, 1), 300_000, 'capped');
  assert.equal(backoffDelay(3, 1000, 300_000, 0), 0, 'full jitter goes down to zero');
  assert.equal(retryDelay(1, 2000, 0, 100, 30_000), 2000, 'at least Retry-After');
  assert.equal(retryDelay(1, 2000, 0.5, 100, 30_000), 2500, 'plus up to half of it');
  assert.equal(retryDelay(1, 60_000, 0.5, 100, 30_000), 30_000, 'capped');
  assert.equal(retryDelay(3, null, 0.5, 100, 30_000), 200, 'no Retry-After: the backoff');
});
