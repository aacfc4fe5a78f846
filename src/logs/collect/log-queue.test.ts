import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import type { AccessRecord } from '../record.js';
import { accessRecord } from '../store/log-store.contract.js';
import type { LogStore } from '../store/log-store.js';
import { LogQueue } from './log-queue.js';

/** The smallest LogStore: keeps inserts; `gate` holds each insert until released; `fail` refuses them. */
function memoryStore(opts: { gate?: () => Promise<void>; fail?: boolean } = {}) {
  const inserts: number[] = [];
  const store = {
    engine: 'memory',
    insert: async (records: readonly AccessRecord[]) => {
      await opts.gate?.();
      if (opts.fail) throw new Error('disk full');
      inserts.push(records.length);
    },
  } as unknown as LogStore;
  return { store, inserts };
}

const recs = (n: number): AccessRecord[] => Array.from({ length: n }, (_, i) => accessRecord({ url: `/${i}` }));

test('submissions are stored together in inserts of at most maxBatch; each resolves once stored', async () => {
  const m = memoryStore();
  const q = new LogQueue(m.store, { maxBatch: 10, maxWaitMs: 5 });
  await Promise.all([q.submit(recs(4)), q.submit(recs(4)), q.submit(recs(4))]);
  assert.deepEqual(m.inserts.reduce((a, b) => a + b, 0), 12);
  assert.ok(m.inserts.every((n) => n <= 10), String(m.inserts));
  assert.equal(q.depth, 0);
});

test('a full queue refuses at once (LOGS_ERR_OVERLOADED); drain waits for everything queued; a failed insert fails its submitters', async () => {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const m = memoryStore({ gate: () => opened });
  const q = new LogQueue(m.store, { maxBatch: 5, maxWaitMs: 5, maxQueuedLines: 10, maxInFlight: 1 });
  const first = q.submit(recs(5));
  const second = q.submit(recs(10));
  assert.equal(q.full(1), true);
  assert.throws(() => q.submit(recs(1)), (e) => isVigiaError(e, 'LOGS_ERR_OVERLOADED'));
  const drained = q.drain();
  open();
  await Promise.all([first, second, drained]);
  assert.equal(q.depth, 0);
  assert.deepEqual(m.inserts, [5, 10]);
  const failing = new LogQueue(memoryStore({ fail: true }).store, { maxWaitMs: 1 });
  await assert.rejects(failing.submit(recs(2)), /disk full/);
});
