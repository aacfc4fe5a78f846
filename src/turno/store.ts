/**
 * The turno store contract. Every store (memory, file, redis, redis with replicas, redis shards,
 * redis cluster) implements it and runs the shared contract suite in store-contract.ts.
 */

/** The largest value a counter may reach: past it a JS number is no longer exact. */
export const MAX_TURNO = Number.MAX_SAFE_INTEGER;

/** A per-id counter store. */
export interface TurnoStore {
  /** Short store kind for metrics and logs: memory, file, redis, redis-shards, redis-cluster. */
  readonly kind: string;
  /** Human description without secrets (passwords are redacted). */
  readonly description: string;
  /**
   * Atomically add one to the counter of `id` and return the new value (1 for a new id).
   * Resolves only once the value is as durable as the store promises (fsync, replica WAIT).
   * Throws TURNO_ERR_COUNTER_EXHAUSTED (nothing changed) when the counter is already MAX_TURNO;
   * TURNO_ERR_STORE_UNAVAILABLE / TURNO_ERR_REPLICATION_TIMEOUT when no number can be promised:
   * the increment may or may not have happened (a gap, never a duplicate).
   */
  next(id: string): Promise<number>;
  /** The current value of `id` (0 if never incremented), without changing it. */
  current(id: string): Promise<number>;
  /**
   * Raise the counter of `id` to at least `value` (never lowers it, so it cannot cause a duplicate).
   * Used to migrate from another numbering system and by the contract tests to reach MAX_TURNO.
   */
  advance(id: string, value: number): Promise<void>;
  /** Resolves when the store can serve; rejects with TURNO_ERR_STORE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  /** Flush and release everything; pending next() calls settle first. */
  close(): Promise<void>;
}
