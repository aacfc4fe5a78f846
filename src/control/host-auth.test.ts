import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashToken } from '../core/auth.js';
import { isVigiaError } from '../core/errors.js';
import { RateLimiter } from '../core/rate-limit.js';
import { hostAuthenticator } from './api/shared.js';
import { HostAuth } from './host-auth.js';
import type { ControlStore, HostIdentity } from './store/control-store.js';

/** A store of our own interface with one method: counts lookups and can hold them open. */
function lookupStore(tokens: Map<string, HostIdentity>) {
  let calls = 0;
  let gate: Promise<void> = Promise.resolve();
  const store = {
    hostByTokenHash: async (hash: string) => {
      calls++;
      const snapshot = tokens.get(hash);
      await gate;
      return snapshot;
    },
  } as unknown as ControlStore;
  return { store, calls: () => calls, hold: () => { let open!: () => void; gate = new Promise((r) => (open = r)); return open; } };
}

const TOKEN = 'a'.repeat(43);
const HOST = { id: 1, name: 'db-1' };

test('known tokens are cached for the TTL, unknown ones briefly, malformed ones never reach the store', async () => {
  let now = 0;
  const s = lookupStore(new Map([[hashToken(TOKEN), HOST]]));
  const auth = new HostAuth(s.store, { now: () => now, ttlMs: 300_000, negativeTtlMs: 30_000 });
  assert.deepEqual(await auth.authenticate(`Bearer ${TOKEN}`), HOST);
  assert.deepEqual(await auth.authenticate(`bearer ${TOKEN}`), HOST);
  assert.equal(s.calls(), 1);
  now = 299_999;
  await auth.authenticate(`Bearer ${TOKEN}`);
  assert.equal(s.calls(), 1, 'still cached just before the TTL');
  now = 300_001;
  await auth.authenticate(`Bearer ${TOKEN}`);
  assert.equal(s.calls(), 2, 'asked again after it');
  assert.equal(await auth.authenticate(`Bearer ${'b'.repeat(43)}`), undefined);
  assert.equal(await auth.authenticate(`Bearer ${'b'.repeat(43)}`), undefined);
  assert.equal(s.calls(), 3, 'an unknown token is remembered');
  for (const h of [undefined, '', 'Basic abc', 'Bearer short', `Bearer ${'x'.repeat(600)}`]) assert.equal(await auth.authenticate(h), undefined);
  assert.equal(s.calls(), 3, 'malformed headers cost no query');
  assert.deepEqual(auth.cached('Bearer short'), { hit: true, host: undefined });
  assert.deepEqual(auth.cached(`Bearer ${'c'.repeat(43)}`), { hit: false, recentlyKnown: false });
});

test('concurrent lookups share one query; a lookup started before invalidate() is not cached', async () => {
  const tokens = new Map([[hashToken(TOKEN), HOST]]);
  const s = lookupStore(tokens);
  const auth = new HostAuth(s.store);
  const open = s.hold();
  const a = auth.authenticate(`Bearer ${TOKEN}`);
  const b = auth.authenticate(`Bearer ${TOKEN}`);
  // The token is revoked (host removed) while the lookup is in flight.
  tokens.delete(hashToken(TOKEN));
  auth.invalidate();
  open();
  assert.deepEqual(await a, HOST);
  assert.deepEqual(await b, HOST);
  assert.equal(s.calls(), 1);
  assert.equal(await auth.authenticate(`Bearer ${TOKEN}`), undefined, 'the stale answer was not cached: the revoked token fails at once');
  assert.equal(s.calls(), 2);
});

test('hostChanged: the old token of that host stops at once, the new one is known without a query, others stay cached', async () => {
  const other = { id: 2, name: 'db-2' };
  const OTHER = 'o'.repeat(43);
  const NEW = 'n'.repeat(43);
  const tokens = new Map([[hashToken(TOKEN), HOST], [hashToken(OTHER), other]]);
  const s = lookupStore(tokens);
  const auth = new HostAuth(s.store);
  await auth.authenticate(`Bearer ${TOKEN}`);
  await auth.authenticate(`Bearer ${OTHER}`);
  assert.equal(s.calls(), 2);
  tokens.delete(hashToken(TOKEN));
  tokens.set(hashToken(NEW), HOST);
  auth.hostChanged(HOST.id, hashToken(NEW), HOST);
  assert.deepEqual(await auth.authenticate(`Bearer ${NEW}`), HOST);
  assert.deepEqual(await auth.authenticate(`Bearer ${OTHER}`), other);
  assert.equal(s.calls(), 2, 'the new token and the other host cost no query');
  assert.equal(await auth.authenticate(`Bearer ${TOKEN}`), undefined, 'the rotated-out token is refused');
  auth.hostChanged(HOST.id);
  tokens.delete(hashToken(NEW));
  assert.equal(await auth.authenticate(`Bearer ${NEW}`), undefined, 'removed: refused at once');
});

test('host names resolve through the same cache: known and unknown names are remembered, enrolment and removal drop them', async () => {
  let now = 0;
  let calls = 0;
  const byName = new Map<string, HostIdentity>([['db-1', HOST]]);
  const store = { hostByName: async (name: string) => (calls++, byName.get(name)) } as unknown as ControlStore;
  const auth = new HostAuth(store, { now: () => now, ttlMs: 300_000, negativeTtlMs: 30_000 });
  assert.deepEqual(await auth.byName('db-1'), HOST);
  assert.deepEqual(await auth.byName('db-1'), HOST);
  assert.equal(await auth.byName('db-2'), undefined);
  assert.equal(await auth.byName('db-2'), undefined);
  assert.equal(calls, 2, 'one query per name');
  const db2 = { id: 2, name: 'db-2' };
  byName.set('db-2', db2);
  auth.hostChanged(db2.id, hashToken('x'.repeat(43)), db2);
  assert.deepEqual(await auth.byName('db-2'), db2, 'an enrolment forgets that the name was unknown');
  byName.delete('db-1');
  auth.hostChanged(HOST.id);
  assert.equal(await auth.byName('db-1'), undefined, 'a removal forgets the name at once');
  now = 29_999;
  const before = calls;
  await auth.byName('db-1');
  assert.equal(calls, before, 'still remembered as unknown');
  now = 30_001;
  await auth.byName('db-1');
  assert.equal(calls, before + 1);
});

test('a miss tells a re-validation (the token was valid here, its entry expired) from a token never seen; a token found invalid stops being "recently known"', async () => {
  let now = 0;
  const tokens = new Map([[hashToken(TOKEN), HOST]]);
  const s = lookupStore(tokens);
  const auth = new HostAuth(s.store, { now: () => now, ttlMs: 1000, negativeTtlMs: 100 });
  assert.deepEqual(auth.cached(`Bearer ${TOKEN}`), { hit: false, recentlyKnown: false });
  await auth.authenticate(`Bearer ${TOKEN}`);
  now = 1001;
  assert.deepEqual(auth.cached(`Bearer ${TOKEN}`), { hit: false, recentlyKnown: true });
  // Rotated on another replica: the re-validation fails, and from then on it is an unknown token.
  tokens.clear();
  assert.equal(await auth.authenticate(`Bearer ${TOKEN}`), undefined);
  now = 1200;
  assert.deepEqual(auth.cached(`Bearer ${TOKEN}`), { hit: false, recentlyKnown: false });
});

test('lookups of never-seen tokens in flight are bounded (503 OVERLOADED beyond); re-validations and shared lookups are not counted', async () => {
  let now = 0;
  const s = lookupStore(new Map([[hashToken(TOKEN), HOST]]));
  const auth = new HostAuth(s.store, { now: () => now, ttlMs: 1000, maxUnknownLookups: 2 });
  await auth.authenticate(`Bearer ${TOKEN}`);
  now = 2000;
  const open = s.hold();
  const guesses = [auth.authenticate(`Bearer ${'g'.repeat(43)}`), auth.authenticate(`Bearer ${'h'.repeat(43)}`), auth.authenticate(`Bearer ${'g'.repeat(43)}`)];
  await assert.rejects(auth.authenticate(`Bearer ${'i'.repeat(43)}`), (e) => isVigiaError(e, 'CONTROL_ERR_OVERLOADED'));
  const revalidation = auth.authenticate(`Bearer ${TOKEN}`);
  open();
  assert.deepEqual(await Promise.all(guesses), [undefined, undefined, undefined]);
  assert.deepEqual(await revalidation, HOST);
  assert.equal(await auth.authenticate(`Bearer ${'i'.repeat(43)}`), undefined, 'a slot is free again once they finished');
});

test('hostAuthenticator: guesses are charged to the client address; a host re-validating its expired entry is not, even from that address', async () => {
  let now = 0;
  const auth = new HostAuth(lookupStore(new Map([[hashToken(TOKEN), HOST]])).store, { now: () => now, ttlMs: 1000, negativeTtlMs: 100 });
  const unknownTokenLimiter = new RateLimiter({ perSecond: 0.001, burst: 3 }, () => 0);
  const authenticate = hostAuthenticator(auth, { limiter: new RateLimiter({ perSecond: 1, burst: 1 }), hostLimiter: new RateLimiter({ perSecond: 100, burst: 100 }), unknownTokenLimiter });
  const call = async (token: string, address: string) => {
    const res = { setHeader: () => undefined };
    try {
      return (await authenticate({ headers: { authorization: `Bearer ${token}` } } as never, res as never, address))?.name ?? 401;
    } catch (e) {
      return isVigiaError(e, 'VIGIA_ERR_RATE_LIMITED') ? 429 : e;
    }
  };
  assert.equal(await call(TOKEN, '10.0.0.1'), 'db-1', 'first sight: charged once');
  now = 5000;
  const results = [];
  for (let i = 0; i < 4; i++) results.push(await call(`${'j'.repeat(40)}${i}${i}${i}`, '10.0.0.1'));
  assert.deepEqual(results, [401, 401, 429, 429], 'the address spent its budget on guesses');
  assert.equal(await call(TOKEN, '10.0.0.1'), 'db-1', 'the host re-validates from the same address');
  assert.equal(await call(`${'k'.repeat(43)}`, '10.0.0.2'), 401, 'another address has its own budget');
});
