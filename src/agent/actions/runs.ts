/**
 * A bounded in-memory store of recent action runs, keyed by random UUID. Two bounds:
 * - a count: when full, the oldest finished run is dropped first; running runs are kept until they
 *   finish (their count is bounded by the actions' concurrency limits);
 * - a byte budget for the output kept by finished runs: beyond it, the output of the oldest finished
 *   runs is dropped (their metadata stays). The run just stored is never dropped, so the budget can be
 *   exceeded by at most one run's output.
 */
import { randomUUID } from 'node:crypto';

/** Default number of runs kept. */
export const DEFAULT_MAX_RUNS = 1000;

/** Default byte budget for the output kept by finished runs (16 MiB). */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** How the store measures and drops a run's output. */
export interface OutputBudget<T> {
  /** Total bytes the finished runs' output may take. */
  readonly maxBytes: number;
  /** Bytes of output `run` keeps now (0 once dropped). */
  sizeOf(run: T): number;
  /** Drop `run`'s output in place, keeping its metadata. */
  drop(run: T): void;
}

/** A bounded map of runs; `T` must say whether a run is finished. */
export interface RunStore<T extends { readonly id: string }> {
  /** A fresh random id (UUID v4). */
  newId(): string;
  /** Insert or replace a run (put it again once it finished), evicting beyond the bounds. */
  put(run: T): void;
  /** The run with `id`, or undefined. */
  get(id: string): T | undefined;
  /** Number of runs kept. */
  size(): number;
  /** Bytes of output kept by finished runs. */
  outputBytes(): number;
}

/** Create a store keeping at most `max` runs (plus any still running) and, with `budget`, at most its bytes of output. */
export function createRunStore<T extends { readonly id: string }>(isFinished: (run: T) => boolean, max = DEFAULT_MAX_RUNS, budget?: OutputBudget<T>): RunStore<T> {
  const runs = new Map<string, T>();
  /** Output bytes counted per finished run. */
  const sizes = new Map<string, number>();
  let total = 0;
  const forget = (id: string): void => {
    total -= sizes.get(id) ?? 0;
    sizes.delete(id);
  };
  const evict = (keep: string): void => {
    if (runs.size > max) {
      for (const [id, run] of runs) {
        if (runs.size <= max) break;
        if (isFinished(run)) {
          runs.delete(id);
          forget(id);
        }
      }
    }
    if (!budget || total <= budget.maxBytes) return;
    for (const [id, n] of sizes) {
      if (total <= budget.maxBytes) break;
      if (id === keep || n === 0) continue;
      budget.drop(runs.get(id)!);
      total -= n;
      sizes.set(id, 0);
    }
  };
  return {
    newId: () => randomUUID(),
    put(run) {
      forget(run.id);
      runs.set(run.id, run);
      if (budget && isFinished(run)) {
        const n = budget.sizeOf(run);
        sizes.set(run.id, n);
        total += n;
      }
      evict(run.id);
    },
    get: (id) => runs.get(id),
    size: () => runs.size,
    outputBytes: () => total,
  };
}
