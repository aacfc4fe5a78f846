import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVigiaError } from '../core/errors.js';
import { IngestQueue } from './ingest-queue.js';
import type { ControlStore, IngestItem } from './store/control-store.js';

function item(hostId: number): IngestItem {
  return { hostId, receivedAt: new Date(0), source: 'push', report: { host: `h${hostId}` } as IngestItem['report'] };
}

/** A store of our own interface recording batches; host 13 is data the database refuses (SQLSTATE 22021). */
function recordingStore(fail?: (items: readonly IngestItem[]) => unknown) {
  const batches: number[][] = [];
  const store = {
    ingest: async (items: readonly IngestItem[]) => {
      batches.push(items.map((i) => i.hostId));
      const err = fail?.(items);
      if (err) throw err;
      return items.map(() => 'stored' as const);
    },
  } as unknown as ControlStore;
  return { store, batches };
}

test('reports arriving together are written as one batch; a full queue refuses at once', async () => {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const batches: number[] = [];
  const store = {
    ingest: async (items: readonly IngestItem[]) => {
      batches.push(items.length);
      await gate;
      return items.map(() => 'stored' as const);
    },
  } as unknown as ControlStore;
  const q = new IngestQueue(store, { maxBatch: 10, maxWaitMs: 5, maxQueued: 20, maxInFlight: 1 });
  // 10 fill a batch (written, held open), 20 wait for the next ones, 5 find the queue full.
  const answers = Array.from({ length: 35 }, (_, i) => q.submit(item(i)));
  const refused = await Promise.allSettled(answers.slice(30));
  assert.ok(refused.every((a) => a.status === 'rejected' && isVigiaError(a.reason, 'CONTROL_ERR_OVERLOADED')));
  open();
  assert.deepEqual(await Promise.all(answers.slice(0, 30)), Array(30).fill('stored'));
  assert.deepEqual(batches, [10, 10, 10]);
  const big = new IngestQueue(recordingStore().store, { maxQueuedBytes: 1000, maxWaitMs: 50 });
  const first = big.submit(item(1), 900);
  await assert.rejects(big.submit(item(2), 200), (e) => isVigiaError(e, 'CONTROL_ERR_OVERLOADED'));
  assert.equal(await first, 'stored');
  await big.drained();
});

test('a report the database refuses fails alone: its batch is retried report by report', async () => {
  const dataError = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
  const r = recordingStore((items) => (items.some((i) => i.hostId === 13) ? dataError : undefined));
  const q = new IngestQueue(r.store, { maxWaitMs: 5 });
  const answers = await Promise.allSettled([12, 13, 14].map((h) => q.submit(item(h))));
  assert.deepEqual(answers.map((a) => a.status), ['fulfilled', 'rejected', 'fulfilled']);
  const bad = (answers[1] as PromiseRejectedResult).reason;
  assert.ok(isVigiaError(bad, 'CONTROL_ERR_INVALID_REPORT'), String(bad));
  assert.deepEqual(r.batches, [[12, 13, 14], [12], [13], [14]]);
});

test('a database outage fails the whole batch as unavailable (retryable), nothing is retried here', async () => {
  const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const r = recordingStore(() => down);
  const q = new IngestQueue(r.store, { maxWaitMs: 5 });
  const answers = await Promise.allSettled([1, 2].map((h) => q.submit(item(h))));
  assert.ok(answers.every((a) => a.status === 'rejected' && isVigiaError(a.reason, 'CONTROL_ERR_STORE_UNAVAILABLE')));
  assert.equal(r.batches.length, 1);
});

test('senders that all wait for their answers are not held for maxWaitMs: a quiet queue writes its batch', { timeout: 20_000 }, async () => {
  const { store, batches } = recordingStore();
  // A minute's cap: only the quiet rule can let these through before the test's timeout.
  const q = new IngestQueue(store, { maxBatch: 500, maxWaitMs: 60_000, quietMs: 20 });
  for (let round = 0; round < 3; round++) {
    // 50 senders, each waiting for its answer before sending again (fewer than maxBatch).
    assert.deepEqual(await Promise.all(Array.from({ length: 50 }, (_, i) => q.submit(item(round * 50 + i)))), Array(50).fill('stored'));
  }
  assert.deepEqual(batches.map((b) => b.length), [50, 50, 50], 'each round went as one batch');
});

test('reports that keep arriving within quietMs share one batch, up to maxWaitMs', { timeout: 20_000 }, async () => {
  const { store, batches } = recordingStore();
  const q = new IngestQueue(store, { maxBatch: 500, maxWaitMs: 60_000, quietMs: 500 });
  const answers: Promise<unknown>[] = [];
  for (let i = 0; i < 10; i++) {
    answers.push(q.submit(item(i)));
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(answers);
  assert.deepEqual(batches, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
});
