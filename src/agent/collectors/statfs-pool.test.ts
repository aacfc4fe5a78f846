import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { StatfsError, StatfsTimeoutError, createStatfsPool } from './statfs-pool.js';
import type { StatfsOutcome, StatfsPool, StatfsValues } from './statfs-pool.js';
import { STATFS_WORKER_SOURCE } from './statfs-worker.js';
import { waitFor } from '../../../test/support/wait.js';

/**
 * The production worker source with one test-only hook in front: a path `/__hang__/<ms>` sleeps that
 * long in the worker thread (Atomics.wait blocks the thread like a syscall would), then answers for "/".
 */
const HANGING_WORKER_SOURCE = `
const fs_ = require('node:fs');
const realStatfsSync = fs_.statfsSync;
fs_.statfsSync = (p, o) => {
  const m = /^\\/__hang__\\/(\\d+)$/.exec(p);
  if (m) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(m[1])); return realStatfsSync('/', o); }
  return realStatfsSync(p, o);
};
${STATFS_WORKER_SOURCE}`;

const pools: StatfsPool[] = [];
function pool(opts: Parameters<typeof createStatfsPool>[0]): StatfsPool {
  const p = createStatfsPool({ workerSource: HANGING_WORKER_SOURCE, ...opts });
  pools.push(p);
  return p;
}
after(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
describe('createStatfsPool', () => {
  it('answers a real statfs like fs.statfsSync, starting workers lazily', async () => {
    const p = createStatfsPool({ timeoutMs: 5000 });
    pools.push(p);
    assert.equal(p.stats().workers, 0, 'nothing started before the first call');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigia-statfs-'));
    try {
      for (const target of ['/', dir, '/proc']) {
        const got = await p.statfs(target);
        const want = statfsSync(target);
        assert.equal(got.bsize, want.bsize, target);
        assert.equal(got.blocks, want.blocks, target);
        assert.equal(got.files, want.files, target);
        for (const k of ['bsize', 'blocks', 'bfree', 'bavail', 'files', 'ffree'] as const) assert.equal(typeof got[k], 'number');
      }
      assert.equal(p.stats().workers, 1);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('the production worker source is the one used by default (no test hook in it)', () => {
    assert.ok(!STATFS_WORKER_SOURCE.includes('__hang__'));
    assert.match(STATFS_WORKER_SOURCE, /statfsSync/);
  });

  it('reports a failing statfs as StatfsError with the errno code', async () => {
    const p = pool({ timeoutMs: 5000 });
    const err = await p.statfs('/no/such/path/vigia').catch((e: unknown) => e);
    assert.ok(err instanceof StatfsError);
    assert.equal(err.code, 'ENOENT');
  });

  it('runs calls concurrently across workers', async () => {
    const p = pool({ timeoutMs: 5000, workers: 3 });
    // Observed, not timed: all three calls are on a worker at the same moment.
    const calls = Promise.all([p.statfs('/__hang__/1000'), p.statfs('/__hang__/1000'), p.statfs('/__hang__/1000')]);
    await waitFor('p.stats().busy === 3', () => p.stats().busy === 3, 3000);
    assert.equal(p.stats().queued, 0);
    await calls;
    assert.equal(p.stats().workers, 3);
  });

  it('times out on a hung call, abandons the worker, and settles `late` when it comes back', async () => {
    const p = pool({ timeoutMs: 200, workers: 1 });
    const t0 = Date.now();
    const err = await p.statfs('/__hang__/3000').catch((e: unknown) => e);
    const took = Date.now() - t0;
    assert.ok(err instanceof StatfsTimeoutError, String(err));
    assert.ok(took >= 190 && took < 2500, `deadline honoured: ${took} ms (the hang lasts 3000)`);
    assert.ok(err.late, 'a late answer is promised');
    assert.deepEqual(p.stats(), { workers: 0, busy: 0, queued: 0, abandoned: 1 });

    // A replacement worker serves new calls while the old one is stuck.
    const ok = await p.statfs('/');
    assert.ok(ok.blocks > 0);
    assert.equal(p.stats().abandoned, 1);

    const late = await err.late;
    assert.ok(late.blocks > 0);
    await waitFor('p.stats().abandoned === 0', () => p.stats().abandoned === 0, 2000);
  });

  it('a call queued behind a stuck worker times out without reaching a worker', async () => {
    const p = pool({ timeoutMs: 200, workers: 1 });
    const [a, b] = await Promise.allSettled([p.statfs('/__hang__/800'), p.statfs('/')]);
    assert.equal(a.status, 'rejected');
    assert.equal(b.status, 'rejected');
    const eb = (b as PromiseRejectedResult).reason as StatfsTimeoutError;
    assert.ok(eb instanceof StatfsTimeoutError);
    // Normally rejected without ever reaching a worker; if the clock ticked between the two calls it
    // may have been handed to the replacement worker, which is still within the contract.
    if (eb.late === undefined) assert.match(eb.message, /did not start/);
    else await eb.late;
    await waitFor('p.stats().abandoned <= 1', () => p.stats().abandoned <= 1, 2000);
  });

  it('replaces stuck workers: after two hangs a healthy path is answered by a fresh thread', async () => {
    // A deadline a fresh thread meets even on a loaded machine (a worker that has not started its
    // path by the deadline is not stuck, so it is not abandoned), and hangs that outlast both.
    const p = pool({ timeoutMs: 1000, workers: 1 });
    const e1 = await p.statfs('/__hang__/5000').catch((e: unknown) => e);
    const e2 = await p.statfs('/__hang__/5000').catch((e: unknown) => e);
    assert.ok(e1 instanceof StatfsTimeoutError && e2 instanceof StatfsTimeoutError);
    assert.deepEqual(p.stats(), { workers: 0, busy: 0, queued: 0, abandoned: 2 });
    assert.ok((await p.statfs('/')).blocks > 0, 'a healthy mount is not held hostage by hung ones');
    assert.equal(p.stats().workers, 1, 'one replacement thread');
    await Promise.all([(e1 as StatfsTimeoutError).late, (e2 as StatfsTimeoutError).late]);
    await waitFor('p.stats().abandoned === 0', () => p.stats().abandoned === 0, 5000);
  });

  it('keeps the event loop and libuv pool free while workers are stuck', async () => {
    // More stuck statfs calls than libuv has threads: if statfs used the libuv pool, readFile would wait.
    const n = Math.max(4, Number(process.env['UV_THREADPOOL_SIZE'] ?? 4)) + 1;
    const p = pool({ timeoutMs: 8000, workers: n });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigia-statfs-'));
    try {
      await writeFile(path.join(dir, 'f'), 'hello');
      // Stuck for 4 s: a readFile that needed the libuv pool would wait that long.
      const stuck = Array.from({ length: n }, () => p.statfs('/__hang__/4000'));
      await waitFor('p.stats().busy === n', () => p.stats().busy === n, 3000);
      const t0 = Date.now();
      assert.equal(await readFile(path.join(dir, 'f'), 'utf8'), 'hello');
      const readMs = Date.now() - t0;
      assert.ok(readMs < 1500, `readFile took ${readMs} ms while statfs was stuck`);
      const t1 = Date.now();
      await sleep(20);
      const lag = Date.now() - t1 - 20;
      assert.ok(lag < 1000, `event loop lag ${lag} ms`);
      assert.equal(p.stats().busy, n, 'the statfs calls were still stuck during the checks');
      await Promise.all(stuck);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('terminates idle workers after idleMs', async () => {
    const p = pool({ timeoutMs: 2000, idleMs: 100 });
    await p.statfs('/');
    assert.equal(p.stats().workers, 1);
    await waitFor('p.stats().workers === 0', () => p.stats().workers === 0, 2000);
    assert.ok((await p.statfs('/')).blocks > 0, 'starts a new one on demand');
  });

  it('statfs() rejects with the same StatfsError text as fs.statfsSync throws', async () => {
    const p = pool({ timeoutMs: 5000 });
    const err = await p.statfs('/no/such/path/vigia').catch((e: unknown) => e);
    let want = '';
    try {
      statfsSync('/no/such/path/vigia');
    } catch (e) {
      want = (e as Error).message;
    }
    assert.equal((err as Error).message, want);
  });
});

const okValues = (o: StatfsOutcome | undefined): StatfsValues => {
  assert.ok(o?.ok, `expected values, got ${o && !o.ok ? String(o.error) : 'nothing'}`);
  return o.values;
};
const errorOf = (o: StatfsOutcome | undefined): Error => {
  assert.ok(o && !o.ok, 'expected an error');
  return o.error;
};

describe('createStatfsPool: statfsMany (batches)', () => {
  it('answers each path in order, like statfsSync, errors in place', async () => {
    const p = pool({ timeoutMs: 5000, workers: 1 });
    const targets = ['/', '/no/such/path/vigia', '/proc', '/'];
    const got = await p.statfsMany(targets);
    assert.equal(got.length, 4);
    for (const i of [0, 2, 3]) assert.equal(okValues(got[i]).blocks, statfsSync(targets[i] as string).blocks, targets[i]);
    const e = errorOf(got[1]);
    assert.ok(e instanceof StatfsError);
    assert.equal(e.code, 'ENOENT');
    assert.deepEqual(await p.statfsMany([]), []);
    assert.deepEqual(p.stats(), { workers: 1, busy: 0, queued: 0, abandoned: 0 });
  });

  it('a hang in the middle of a batch: paths before it answered, it times out with `late`, paths after it go to another worker', async () => {
    const p = pool({ timeoutMs: 200, workers: 1 });
    const t0 = Date.now();
    const got = await p.statfsMany(['/', '/no/such/path/vigia', '/__hang__/3000', '/proc', '/']);
    const took = Date.now() - t0;
    assert.ok(took >= 190 && took < 2500, `answered after ${took} ms (the hang lasts 3000)`);
    assert.ok(okValues(got[0]).blocks > 0);
    // Read from the shared buffer while the worker was stuck: the errno is turned into node's text.
    const enoent = errorOf(got[1]);
    assert.ok(enoent instanceof StatfsError && enoent.code === 'ENOENT', String(enoent));
    assert.equal(enoent.message, "ENOENT: no such file or directory, statfs '/no/such/path/vigia'");
    const hung = errorOf(got[2]);
    assert.ok(hung instanceof StatfsTimeoutError && hung.late, String(hung));
    assert.match(hung.message, /timed out after 200 ms/);
    assert.equal(okValues(got[3]).blocks, statfsSync('/proc').blocks, 're-dispatched to a replacement worker');
    assert.ok(okValues(got[4]).blocks > 0);
    assert.deepEqual(p.stats(), { workers: 1, busy: 0, queued: 0, abandoned: 1 });
    assert.ok((await hung.late).blocks > 0, 'the stuck path answers late');
    await waitFor('p.stats().abandoned === 0', () => p.stats().abandoned === 0, 5000);
  });

  it('two hangs in one batch: each costs one worker, every other path is still answered', async () => {
    const p = pool({ timeoutMs: 600, workers: 1 });
    const got = await p.statfsMany(['/', '/__hang__/3000', '/proc', '/__hang__/3000', '/']);
    assert.deepEqual(got.map((o) => (o.ok ? 'ok' : o.error.name)), ['ok', 'StatfsTimeoutError', 'ok', 'StatfsTimeoutError', 'ok']);
    assert.equal(p.stats().abandoned, 2);
    await Promise.all([got[1], got[3]].map((o) => (errorOf(o) as StatfsTimeoutError).late));
    await waitFor('p.stats().abandoned === 0', () => p.stats().abandoned === 0, 5000);
  });

  it('a batch path gets its deadline from its own start, not from the batch', async () => {
    // Each path takes 60 % of the deadline: the batch as a whole takes 180 %.
    const p = pool({ timeoutMs: 1000, workers: 1 });
    const t0 = Date.now();
    const got = await p.statfsMany(['/__hang__/600', '/__hang__/600', '/__hang__/600']);
    assert.ok(Date.now() - t0 >= 1790, 'ran one after the other in one worker');
    for (const o of got) assert.ok(okValues(o).blocks > 0);
    assert.equal(p.stats().abandoned, 0);
  });

  it('several hung paths never starve the healthy ones: every stuck worker is replaced', async () => {
    const p = pool({ timeoutMs: 300, workers: 1 });
    // Hangs long enough to still be stuck after five deadlines and five thread starts on a loaded machine.
    const got = await p.statfsMany(['/__hang__/4000', '/__hang__/4000', '/__hang__/4000', '/__hang__/4000', '/__hang__/4000', '/', '/proc']);
    assert.deepEqual(got.map((o) => (o.ok ? 'ok' : o.error.name)), ['StatfsTimeoutError', 'StatfsTimeoutError', 'StatfsTimeoutError', 'StatfsTimeoutError', 'StatfsTimeoutError', 'ok', 'ok']);
    for (const o of got.slice(0, 5)) assert.ok((errorOf(o) as StatfsTimeoutError).late, 'each hang keeps its late answer (its one probe)');
    assert.equal(p.stats().abandoned, 5);
    assert.ok(okValues((await p.statfsMany(['/']))[0]).blocks > 0, 'a later call is still served');
    await Promise.all(got.slice(0, 5).map((o) => (errorOf(o) as StatfsTimeoutError).late));
    await waitFor('p.stats().abandoned === 0', () => p.stats().abandoned === 0, 5000);
  });

  it('splits a long batch over the workers', async () => {
    const p = pool({ timeoutMs: 2000, workers: 2, minBatchPerWorker: 2 });
    // Observed, not timed: both workers are busy with parts of the one batch.
    const batch = p.statfsMany(Array.from({ length: 6 }, () => '/__hang__/300'));
    await waitFor('p.stats().busy === 2', () => p.stats().busy === 2, 3000);
    const got = await batch;
    assert.equal(got.filter((o) => o.ok).length, 6);
    assert.equal(p.stats().workers, 2);
    // A short batch stays on one worker (one message, one wake-up).
    const q = pool({ timeoutMs: 2000, workers: 2 });
    await q.statfsMany(['/', '/proc', '/']);
    assert.equal(q.stats().workers, 1);
  });

  it('calls and batches share the workers; a call queued behind a busy pool still meets its deadline', async () => {
    const p = pool({ timeoutMs: 3000, workers: 1 });
    const batch = p.statfsMany(['/__hang__/100', '/__hang__/100']);
    const single = await p.statfs('/');
    assert.ok(single.blocks > 0);
    assert.ok((await batch).every((o) => o.ok));
  });

  it('close() answers a batch in flight and later batches with ECLOSED', async () => {
    const p = pool({ timeoutMs: 5000, workers: 1 });
    const inFlight = p.statfsMany(['/__hang__/300', '/']);
    await sleep(20);
    await p.close();
    for (const o of await inFlight) assert.equal((errorOf(o) as StatfsError).code, 'ECLOSED');
    for (const o of await p.statfsMany(['/'])) assert.equal((errorOf(o) as StatfsError).code, 'ECLOSED');
  });
});

describe('createStatfsPool: close', () => {
  it('close() rejects calls in flight and later calls, and stops the workers', async () => {
    const p = pool({ timeoutMs: 5000, workers: 2 });
    await p.statfs('/');
    const inFlight = p.statfs('/__hang__/300');
    await p.close();
    await assert.rejects(inFlight, (e: unknown) => e instanceof StatfsError && e.code === 'ECLOSED');
    await assert.rejects(p.statfs('/'), (e: unknown) => e instanceof StatfsError && e.code === 'ECLOSED');
    assert.deepEqual(p.stats(), { workers: 0, busy: 0, queued: 0, abandoned: 0 });
  });
});
