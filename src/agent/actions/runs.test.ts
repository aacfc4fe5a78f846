import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRunStore } from './runs.js';

interface R {
  id: string;
  done: boolean;
}

describe('createRunStore', () => {
  it('makes random UUIDs', () => {
    const s = createRunStore<R>((r) => r.done);
    const a = s.newId();
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a, s.newId());
  });

  it('keeps at most max runs, dropping the oldest finished first and never running ones', () => {
    const s = createRunStore<R>((r) => r.done, 3);
    s.put({ id: 'running', done: false });
    for (let i = 0; i < 5; i++) s.put({ id: `f${i}`, done: true });
    assert.equal(s.size(), 3);
    assert.ok(s.get('running'));
    assert.equal(s.get('f0'), undefined);
    assert.equal(s.get('f2'), undefined);
    assert.ok(s.get('f3'));
    assert.ok(s.get('f4'));
  });

  it('drops the output of the oldest finished runs beyond the byte budget, keeping their metadata', () => {
    interface O {
      id: string;
      done: boolean;
      out: string;
      dropped: boolean;
    }
    const budget = { maxBytes: 10, sizeOf: (r: O) => Buffer.byteLength(r.out), drop: (r: O) => Object.assign(r, { out: '', dropped: true }) };
    const s = createRunStore<O>((r) => r.done, 100, budget);
    const running: O = { id: 'r', done: false, out: 'x'.repeat(50), dropped: false };
    s.put(running);
    assert.equal(s.outputBytes(), 0, 'running runs do not count');
    const mk = (id: string, n: number): O => ({ id, done: true, out: 'é'.repeat(n), dropped: false }); // 2 bytes each
    s.put(mk('a', 2));
    s.put(mk('b', 2));
    assert.equal(s.outputBytes(), 8);
    s.put(mk('c', 2));
    assert.equal(s.get('a')!.dropped, true);
    assert.equal(s.get('a')!.out, '');
    assert.equal(s.get('b')!.dropped, false);
    assert.equal(s.outputBytes(), 8);
    s.put(mk('huge', 20)); // over budget on its own: kept, the others go
    assert.equal(s.get('huge')!.dropped, false);
    assert.equal(s.get('b')!.dropped, true);
    assert.equal(s.get('c')!.dropped, true);
    assert.equal(s.outputBytes(), 40);
    assert.equal(s.size(), 5);
    assert.equal(running.dropped, false);
    running.done = true;
    s.put(running); // finishing counts it, and the huge one (now oldest with output) goes
    assert.equal(s.get('huge')!.dropped, true);
    assert.equal(running.dropped, false);
    assert.equal(s.outputBytes(), 50);
  });

  it('forgets the bytes of evicted runs', () => {
    const s = createRunStore<{ id: string; out: string }>(() => true, 2, { maxBytes: 100, sizeOf: (r) => r.out.length, drop: (r) => void (r.out = '') });
    for (let i = 0; i < 5; i++) s.put({ id: String(i), out: 'x'.repeat(30) });
    assert.equal(s.size(), 2);
    assert.equal(s.outputBytes(), 60);
  });

  it('replaces a run in place', () => {
    const s = createRunStore<R>((r) => r.done, 3);
    s.put({ id: 'a', done: false });
    s.put({ id: 'a', done: true });
    assert.equal(s.size(), 1);
    assert.equal(s.get('a')?.done, true);
  });
});
