import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import { ShipperTokenCache } from './shipper-auth.js';

const GOOD = 'a'.repeat(43);
const BAD = 'b'.repeat(43);

/** A control plane's answers, counted; `gate` holds every answer until released. */
function control(gate?: Promise<void>) {
  const asked: string[] = [];
  const lookup = async (token: string): Promise<string | undefined> => {
    asked.push(token);
    await gate;
    return token === GOOD ? 'web-0001' : undefined;
  };
  return { asked, lookup };
}

test('known tokens are cached for ttlMs, unknown ones for negativeTtlMs, then asked again', async () => {
  let now = 0;
  const c = control();
  const cache = new ShipperTokenCache(c.lookup, { ttlMs: 300_000, negativeTtlMs: 30_000, now: () => now });
  assert.equal(await cache.host(GOOD), 'web-0001');
  assert.equal(await cache.host(GOOD), 'web-0001');
  assert.equal(await cache.host(BAD), undefined);
  assert.equal(await cache.host(BAD), undefined);
  assert.deepEqual(c.asked, [GOOD, BAD]);
  now = 31_000;
  await cache.host(GOOD);
  await cache.host(BAD);
  assert.deepEqual(c.asked, [GOOD, BAD, BAD], 'the unknown one expired first');
  now = 301_000;
  await cache.host(GOOD);
  assert.equal(c.asked.length, 4);
});

test('concurrent checks of one token share one request; at most maxLookups run at once', async () => {
  let release!: () => void;
  const c = control(new Promise<void>((r) => (release = r)));
  const cache = new ShipperTokenCache(c.lookup, { maxLookups: 2 });
  const same = [cache.host(GOOD), cache.host(GOOD), cache.host(BAD)];
  await assert.rejects(cache.host('d'.repeat(43)), (e) => isVigiaError(e, 'LOGS_ERR_CONTROL_UNAVAILABLE'));
  release();
  assert.deepEqual(await Promise.all(same), ['web-0001', 'web-0001', undefined]);
  assert.deepEqual(c.asked, [GOOD, BAD]);
});

test('bounded: at most maxEntries known tokens (oldest forgotten first)', async () => {
  const c = control();
  const cache = new ShipperTokenCache(async (t) => (c.asked.push(t), t.slice(0, 4)), { maxEntries: 2 });
  for (const t of ['1111'.repeat(5), '2222'.repeat(5), '3333'.repeat(5)]) await cache.host(t);
  assert.equal(cache.cached('1111'.repeat(5)), undefined);
  assert.equal(cache.cached('3333'.repeat(5)), '3333');
});
