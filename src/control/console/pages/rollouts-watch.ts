/**
 * One watcher of the current rollout per rollout service, shared by every open rollout stream of the
 * process: while anyone listens it reads the service's view and drift once per WATCH_MS (memory only,
 * no query) and hands a snapshot to every listener when it changed. A hundred open consoles cost one
 * read a second, not a hundred, and the database none (the rollout service keeps what it shows in
 * memory; it has no change events for per-host progress, only for state transitions, so it is read).
 */
import type { DriftRow, RolloutView } from '../../rollouts/rollout-service.js';
import type { ConsoleFleet } from '../console-fleet.js';

/** How often the watcher reads the rollout while someone listens. */
export const WATCH_MS = 1000;

/** What a listener gets: the view, the drift rows, and a key that changes when either does. */
export interface RolloutSnapshot {
  readonly view: RolloutView | undefined;
  readonly drift: readonly DriftRow[];
  readonly key: string;
}

/** A listener's handle. */
export interface RolloutWatch {
  /** The latest snapshot (read now if the watcher was idle). */
  current(): RolloutSnapshot;
  /** Call `fn` with each changed snapshot until the returned function is called. */
  subscribe(fn: (s: RolloutSnapshot) => void): () => void;
}

/** Read one snapshot of the service now. */
export function snapshotOf(rollouts: ConsoleFleet['rollouts']): RolloutSnapshot {
  const view = rollouts.view();
  const drift = rollouts.drift();
  // updatedAt moves with every step and settle; the counts with every host that moves.
  return { view, drift, key: JSON.stringify([view ?? null, drift]) };
}

// Keyed by the service object so tests with their own services get their own watcher, and a watcher
// goes away with its service.
const watchers = new WeakMap<object, RolloutWatch>();

/** The process's watcher of `rollouts` (made on first use). */
export function rolloutWatch(rollouts: ConsoleFleet['rollouts'], everyMs = WATCH_MS): RolloutWatch {
  let w = watchers.get(rollouts);
  if (!w) {
    w = createRolloutWatch(rollouts, everyMs);
    watchers.set(rollouts, w);
  }
  return w;
}

/** A watcher (see the file comment); its timer runs only while it has listeners. */
export function createRolloutWatch(rollouts: ConsoleFleet['rollouts'], everyMs: number): RolloutWatch {
  const listeners = new Set<(s: RolloutSnapshot) => void>();
  let last: RolloutSnapshot | undefined;
  let timer: NodeJS.Timeout | undefined;
  const read = (): void => {
    const s = snapshotOf(rollouts);
    if (last && s.key === last.key) return;
    last = s;
    for (const fn of [...listeners]) fn(s);
  };
  return {
    current() {
      if (!timer || !last) last = snapshotOf(rollouts);
      return last;
    },
    subscribe(fn) {
      listeners.add(fn);
      if (!timer) {
        timer = setInterval(read, everyMs);
        timer.unref();
      }
      return () => {
        listeners.delete(fn);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
  };
}
