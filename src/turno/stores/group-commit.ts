/**
 * Group commit: requests that arrive while earlier batches are being committed are committed together
 * in the next batch. Used by the file store (one write + fdatasync per batch) and the Redis stores
 * (one INCRBY per id + optional WAIT per batch), so durability and round trips cost once per batch
 * instead of once per request.
 *
 * Batches start in submission order, and the synchronous part of `commit` (up to its first await)
 * runs in that order too, so a store can write in order there. Up to `maxInFlight` batches may be
 * committing at once; they may finish in any order.
 */

/** Commits a batch; returns one result per item, an Error instance meaning that item failed. */
export type CommitBatch<T, R> = (items: readonly T[]) => Promise<readonly (R | Error)[]>;

interface Pending<T, R> {
  readonly item: T;
  readonly resolve: (r: R) => void;
  readonly reject: (e: unknown) => void;
}

/** Options of a GroupCommit. */
export interface GroupCommitOptions {
  /** Batches committing at the same time (default 1: strict group commit). */
  readonly maxInFlight?: number;
  /** Items in one batch at most (bounds memory and the latency of a batch's last item). */
  readonly maxBatch?: number;
  /** Items waiting at most; callers check `full` before doing work they cannot undo. */
  readonly maxQueue?: number;
}

/** Default bound on waiting items: past it a store answers 503 before consuming a number. */
export const DEFAULT_MAX_QUEUE = 50_000;

/** A queue that batches submissions and commits at most `maxInFlight` batches at a time. */
export class GroupCommit<T, R> {
  private queue: Pending<T, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  private readonly maxQueue: number;

  constructor(
    private readonly commit: CommitBatch<T, R>,
    options: GroupCommitOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 1;
    this.maxBatch = options.maxBatch ?? 4096;
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
  }

  /** True when `maxQueue` items are waiting: the caller should refuse new work (503). */
  get full(): boolean {
    return this.queue.length >= this.maxQueue;
  }

  /** Batches committing right now. */
  get committing(): number {
    return this.inFlight;
  }

  /** Queue `item`; settles with its result once its batch committed. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or committing. */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Reject everything queued (not the batches in flight) with `err`. */
  failQueued(err: unknown): void {
    const q = this.queue;
    this.queue = [];
    for (const p of q) p.reject(err);
    this.notifyIdle();
  }

  /** Start a batch on the next turn of the event loop, so this turn's submissions join it. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startBatch();
    });
  }

  private startBatch(): void {
    if (this.queue.length === 0 || this.inFlight >= this.maxInFlight) return this.notifyIdle();
    const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
    this.queue = this.queue.length <= this.maxBatch ? [] : this.queue.slice(this.maxBatch);
    this.inFlight++;
    let committed: Promise<readonly (R | Error)[]>;
    try {
      committed = this.commit(batch.map((p) => p.item));
    } catch (err) {
      committed = Promise.reject(err);
    }
    committed.then(
      (results) => {
        for (let i = 0; i < batch.length; i++) {
          const r = results[i];
          if (r instanceof Error) batch[i]!.reject(r);
          else batch[i]!.resolve(r as R);
        }
        this.finished();
      },
      (err: unknown) => {
        for (const p of batch) p.reject(err);
        this.finished();
      },
    );
    if (this.queue.length > 0) this.schedule();
  }

  private finished(): void {
    this.inFlight--;
    // Whatever gathered meanwhile is a batch already: start it now.
    if (this.queue.length > 0) this.startBatch();
    else this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.inFlight !== 0 || this.queue.length !== 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
