/**
 * The ingest queue: reports from many concurrent HTTP requests are written to the store in batches
 * (one transaction of a few multi-row statements per batch), which is what lets one control plane take
 * thousands of reports per second. A request is answered only after its batch committed, so a 200 means
 * the report is durable; a full queue refuses at once (503 + Retry-After) instead of growing without
 * bound, and a failed batch fails every request in it (the agents retry: ingest is idempotent).
 */
import { VigiaError } from '../core/errors.js';
import type { ControlStore, IngestItem, IngestOutcome } from './store/control-store.js';

/** Batching bounds. */
export interface IngestQueueOptions {
  /** Reports per transaction at most (default 500). */
  readonly maxBatch: number;
  /** Wait at most this long for a batch to fill, ms (default 20). */
  readonly maxWaitMs: number;
  /** Reports waiting at most (default 20,000); beyond it submit() throws CONTROL_ERR_OVERLOADED. */
  readonly maxQueued: number;
  /** Batches written at once (default 2: one commits while the next is sent). */
  readonly maxInFlight: number;
}

/** Defaults sized for one control plane in front of PostgreSQL on a small machine. */
export const DEFAULT_INGEST_QUEUE: IngestQueueOptions = Object.freeze({ maxBatch: 500, maxWaitMs: 20, maxQueued: 20_000, maxInFlight: 2 });

/** What the queue tells its observer about each written batch. */
export interface BatchObservation {
  readonly size: number;
  readonly seconds: number;
  readonly outcomes: readonly IngestOutcome[] | null;
  readonly error: unknown;
}

interface Pending {
  readonly item: IngestItem;
  readonly resolve: (o: IngestOutcome) => void;
  readonly reject: (e: unknown) => void;
}

/** Batches reports into the store; see the file comment. */
export class IngestQueue {
  private readonly store: ControlStore;
  private readonly opts: IngestQueueOptions;
  private readonly onBatch: ((b: BatchObservation) => void) | undefined;
  private queue: Pending[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(store: ControlStore, opts: Partial<IngestQueueOptions> = {}, onBatch?: (b: BatchObservation) => void) {
    this.store = store;
    this.opts = { ...DEFAULT_INGEST_QUEUE, ...opts };
    this.onBatch = onBatch;
  }

  /** Reports waiting for a batch (not counting batches being written). */
  get queued(): number {
    return this.queue.length;
  }

  /** Queue one report; resolves with its outcome once its batch committed. */
  submit(item: IngestItem): Promise<IngestOutcome> {
    if (this.queue.length >= this.opts.maxQueued) return Promise.reject(new VigiaError('CONTROL_ERR_OVERLOADED', `${this.queue.length} reports are waiting for the database`));
    return new Promise<IngestOutcome>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or being written (for shutdown). */
  drained(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.inFlight >= this.opts.maxInFlight) return; // a finishing batch calls schedule() again
    if (this.queue.length >= this.opts.maxBatch) {
      this.flush();
      return;
    }
    // The first report of a quiet period waits maxWaitMs for company; a busy queue never waits.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.opts.maxWaitMs);
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && this.inFlight < this.opts.maxInFlight) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.write(batch);
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const t0 = performance.now();
    try {
      const outcomes = await this.store.ingest(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(outcomes[i]!));
      this.onBatch?.({ size: batch.length, seconds: (performance.now() - t0) / 1000, outcomes, error: null });
    } catch (err) {
      const e = err instanceof VigiaError ? err : new VigiaError('CONTROL_ERR_STORE_UNAVAILABLE', undefined, { cause: err });
      for (const p of batch) p.reject(e);
      this.onBatch?.({ size: batch.length, seconds: (performance.now() - t0) / 1000, outcomes: null, error: err });
    } finally {
      this.inFlight--;
      // What queued while this batch was written has waited long enough: write it now.
      if (this.queue.length > 0) this.flush();
      else if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
