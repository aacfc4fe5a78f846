/**
 * GET /ui/runs/ID/events?after=N: one run, live. It waits on the run service's result stream (the
 * one `vigia run` follows: an active run's results are in memory and wake waiters, no query), and
 * for each batch appends the new result rows and swaps the progress panel; when the run is over it
 * sends the last of both and `end` (the page stops listening). At most one read a second.
 */
import { isVigiaError, VigiaError } from '../../../core/errors.js';
import type { ConsoleStream } from '../page.js';
import { RUN_PROGRESS_ID, RUN_RESULTS_ID } from './runs.js';
import { sendSwap } from './rollouts-stream.js';
import { resultRows, runProgress } from './runs-view.js';

/** How long one wait for new results lasts before the progress panel is sent anyway. */
export const RESULT_WAIT_MS = 10_000;
/** Least time between two reads (a run driven elsewhere answers without waiting). */
const MIN_GAP_MS = 1000;

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

/** GET /ui/runs/ID/events. */
export const runStream: ConsoleStream = {
  name: '/ui/runs/:id/events', path: /^\/ui\/runs\/([0-9]{1,9})\/events$/, leader: true,
  async open(ctx, sink) {
    const runs = ctx.deps.fleet?.runs;
    if (!runs) throw new VigiaError('VIGIA_ERR_NOT_FOUND');
    const id = Number(ctx.params[0]);
    const a = ctx.query.after;
    let after = typeof a === 'string' && /^[0-9]{1,9}$/.test(a) ? Number(a) : 0;
    try {
      await runs.view(id);
    } catch (err) {
      // No such run: say the stream is over, or EventSource would reconnect for ever.
      if (isVigiaError(err, 'CONTROL_ERR_UNKNOWN_RUN')) return void sink.send('end', '');
      throw err;
    }
    while (!sink.signal.aborted) {
      const began = Date.now();
      const page = await runs.results(id, after, RESULT_WAIT_MS, sink.signal);
      if (sink.signal.aborted) return;
      if (page.results.length > 0) sink.send('append', JSON.stringify({ id: RUN_RESULTS_ID, html: resultRows(page.results) }));
      after = page.next;
      sendSwap(sink, RUN_PROGRESS_ID, runProgress(await runs.view(id)));
      if (page.done) return void sink.send('end', '');
      const gap = MIN_GAP_MS - (Date.now() - began);
      if (gap > 0 && page.results.length === 0) await pause(gap, sink.signal);
    }
  },
};
