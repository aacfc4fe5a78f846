/**
 * The one contract every TurnoStore must pass. Each store's test file calls runStoreContract with a
 * factory; durable stores also pass `reopen` so restarts are checked.
 */
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVigiaError } from '../core/errors.js';
import { MAX_TURNO, type TurnoStore } from './store.js';

/** How to get a store under test. */
export interface StoreContractSubject {
  /** A ready store; called once per test. */
  open(): Promise<TurnoStore>;
  /** For durable stores: close `store` and open the same data again. */
  reopen?(store: TurnoStore): Promise<TurnoStore>;
}

const freshId = (tag: string): string => `${tag}-${randomBytes(4).toString('hex')}`;

/** Register the contract tests for `name` (inside the caller's describe/test file). */
export function runStoreContract(name: string, subject: StoreContractSubject): void {
  const withStore = (title: string, fn: (s: TurnoStore) => Promise<TurnoStore | void>): void => {
    test(`${name}: ${title}`, async () => {
      let store = await subject.open();
      try {
        store = (await fn(store)) ?? store;
      } finally {
        await store.close();
      }
    });
  };

  withStore('first call returns 1, then each call adds exactly one', async (s) => {
    const id = freshId('seq');
    assert.equal(await s.current(id), 0);
    for (let i = 1; i <= 5; i++) assert.equal(await s.next(id), i);
    assert.equal(await s.current(id), 5);
  });

  withStore('ids are independent', async (s) => {
    const a = freshId('a');
    const b = freshId('b');
    assert.equal(await s.next(a), 1);
    assert.equal(await s.next(a), 2);
    assert.equal(await s.next(b), 1);
    assert.equal(await s.current(a), 2);
  });

  withStore('concurrent calls on one id get exactly 1..N, each once', async (s) => {
    const id = freshId('conc');
    const n = 500;
    const values = await Promise.all(Array.from({ length: n }, () => s.next(id)));
    assert.deepEqual([...values].sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i + 1));
  });

  withStore('concurrent calls over many ids stay per-id consecutive', async (s) => {
    const ids = Array.from({ length: 20 }, (_, i) => freshId(`many${i}`));
    const calls = ids.flatMap((id) => Array.from({ length: 25 }, () => id));
    const results = await Promise.all(calls.map(async (id) => [id, await s.next(id)] as const));
    for (const id of ids) {
      const got = results.filter(([i]) => i === id).map(([, v]) => v).sort((x, y) => x - y);
      assert.deepEqual(got, Array.from({ length: 25 }, (_, i) => i + 1), id);
    }
  });

  withStore('a call that completed before another started got the smaller number', async (s) => {
    const id = freshId('lin');
    let last = 0;
    for (let i = 0; i < 50; i++) {
      const v = await s.next(id);
      assert.ok(v > last, `${v} after ${last}`);
      last = v;
    }
  });

  withStore('advance raises a counter and never lowers it', async (s) => {
    const id = freshId('adv');
    await s.advance(id, 1000);
    assert.equal(await s.next(id), 1001);
    await s.advance(id, 10);
    assert.equal(await s.next(id), 1002);
  });

  withStore('at MAX_SAFE_INTEGER it answers TURNO_ERR_COUNTER_EXHAUSTED, never an imprecise number', async (s) => {
    const id = freshId('max');
    await s.advance(id, MAX_TURNO - 1);
    assert.equal(await s.next(id), MAX_TURNO);
    for (let i = 0; i < 3; i++) {
      await assert.rejects(s.next(id), (e) => isVigiaError(e, 'TURNO_ERR_COUNTER_EXHAUSTED'));
    }
    assert.ok((await s.current(id)) >= MAX_TURNO);
  });

  withStore('ping resolves on a healthy store', async (s) => {
    await s.ping();
  });

  withStore('close lets pending increments settle', async (s) => {
    const id = freshId('close');
    const pending = Array.from({ length: 50 }, () => s.next(id));
    const closed = s.close();
    const settled = await Promise.allSettled(pending);
    await closed;
    const values = settled.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value);
    assert.equal(new Set(values).size, values.length, 'no duplicates');
    assert.equal(values.length, 50, 'all increments issued before close were answered');
  });

  if (subject.reopen) {
    const reopen = subject.reopen.bind(subject);
    withStore('a restart continues after the last answered number', async (s) => {
      const id = freshId('restart');
      for (let i = 1; i <= 10; i++) assert.equal(await s.next(id), i);
      const again = await reopen(s);
      assert.equal(await again.next(id), 11);
      return again;
    });
  }
}
