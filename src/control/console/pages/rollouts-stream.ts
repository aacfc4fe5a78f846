/**
 * GET /ui/rollouts/events: the current rollout, live. It sends the panel and the drift table once at
 * open, then again each time the process's watcher (rollouts-watch.ts) sees them change. Each event
 * is `swap` with `{"id","html"}`: HTML rendered and escaped here exactly as the page renders it
 * (for this session: buttons only for admin), which console.js puts in the element of that id.
 */
import type { ConsoleStream, EventSink } from '../page.js';
import { DRIFT_PANEL_ID, ROLLOUT_PANEL_ID } from './rollouts.js';
import { driftTable, rolloutPanel } from './rollouts-view.js';
import { rolloutWatch, type RolloutSnapshot } from './rollouts-watch.js';

/** Send one element's new content. */
export function sendSwap(sink: EventSink, id: string, html: string): boolean {
  return sink.send('swap', JSON.stringify({ id, html }));
}

/** GET /ui/rollouts/events. */
export const rolloutsStream: ConsoleStream = {
  name: '/ui/rollouts/events', path: /^\/ui\/rollouts\/events$/, leader: true,
  async open(ctx, sink) {
    const fleet = ctx.deps.fleet;
    if (!fleet) return void sink.send('end', '');
    const can = ctx.can('admin');
    const push = (s: RolloutSnapshot): void => {
      sendSwap(sink, ROLLOUT_PANEL_ID, rolloutPanel(s.view, can));
      sendSwap(sink, DRIFT_PANEL_ID, driftTable(s.drift));
    };
    const watch = rolloutWatch(fleet.rollouts);
    const stop = watch.subscribe(push);
    try {
      push(watch.current());
      await new Promise<void>((resolve) => {
        if (sink.signal.aborted) return resolve();
        sink.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      stop();
    }
  },
};
