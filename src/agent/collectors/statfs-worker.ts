/**
 * The code each statfs worker thread runs. It is plain CommonJS JavaScript started with
 * `new Worker(source, { eval: true })`, so it needs no loader (tsx) and no separate build output.
 * statfsSync blocks this thread only: a hung mount (NFS, stopped FUSE daemon) can never occupy
 * libuv's shared thread pool, which the rest of the agent needs for file and DNS work.
 *
 * Protocol (one message each way per batch, see statfs-pool.ts): in `{ id, paths, buf }` where `buf`
 * is a SharedArrayBuffer laid out as
 *   Int32[0]            state: 2*i = i paths done, idle; 2*i+1 = running path i; -1 = cancelled
 *   Float64 at byte 8   Date.now() when the path being run was started
 *   Float64 at byte 16  8 cells per path: status (0 not done, 1 ok, 2 error), bsize, blocks, bfree,
 *                       bavail, files, ffree, errno (negative, when status is 2)
 * Results are written before the state moves past their path, so the main thread can read every
 * finished path at any moment, also while this thread hangs in a later one. The state moves by
 * compare-and-exchange: once the main thread has cancelled (-1) the batch, no further path is started.
 * Out, when the batch ends or was cancelled: `{ id, n, errors }` with n = paths finished and
 * errors = { [index]: { code, message } } for each failed path (the exact exception text).
 */

/** Cells per path in the shared result buffer. */
export const STATFS_CELLS = 8;
/** Byte offset of the first path's result cells. */
export const STATFS_RESULTS_OFFSET = 16;

/** Source of the statfs worker (CommonJS, for `eval: true`). */
export const STATFS_WORKER_SOURCE = `'use strict';
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', (m) => {
  const paths = m.paths;
  const state = new Int32Array(m.buf, 0, 1);
  const startedAt = new Float64Array(m.buf, 8, 1);
  const r = new Float64Array(m.buf, ${STATFS_RESULTS_OFFSET}, paths.length * ${STATFS_CELLS});
  const errors = {};
  let n = 0;
  for (let i = 0; i < paths.length; i++) {
    startedAt[0] = Date.now();
    if (Atomics.compareExchange(state, 0, 2 * i, 2 * i + 1) !== 2 * i) break;
    const o = i * ${STATFS_CELLS};
    try {
      const s = fs.statfsSync(paths[i]);
      r[o + 1] = s.bsize; r[o + 2] = s.blocks; r[o + 3] = s.bfree; r[o + 4] = s.bavail; r[o + 5] = s.files; r[o + 6] = s.ffree;
      r[o] = 1;
    } catch (e) {
      r[o + 7] = e && typeof e.errno === 'number' ? e.errno : 0;
      r[o] = 2;
      errors[i] = { code: (e && e.code) || 'EIO', message: String((e && e.message) || e) };
    }
    n = i + 1;
    if (Atomics.compareExchange(state, 0, 2 * i + 1, 2 * i + 2) !== 2 * i + 1) break;
  }
  parentPort.postMessage({ id: m.id, n, errors });
});
`;
