/**
 * The ingest queue: reports from many concurrent HTTP requests are written to the store in batches
 * (one transaction of a few multi-row statements per batch), which is what lets one control plane take
 * thousands of reports per second. A request is answered only after its batch committed, so a 200 means
 * the report is durable; a full queue refuses at once (503 + Retry-After) instead of growing without
 * bound, and a failed batch fails every request in it (the agents retry: ingest is idempotent).
 */
import { sqlState } from '../core/db/database.js';
import { VigiaError } from '../core/errors.js';
import type { ControlStore, IngestItem, IngestOutcome } from './store/control-store.js';
import { plural } from '../core/plural.js';

/** Batching bounds. */
export interface IngestQueueOptions {
  /** Reports per transaction at most (default 500). */
  readonly maxBatch: number;
  /**
   * Wait at most this long for a batch to fill, ms (default 1000), while reports keep arriving (see
   * quietMs). At the nominal ~170 reports/s of 10,000 hosts a batch then holds dozens of reports instead
   * of ~8 with the former fixed 50 ms wait, and per-batch costs stop dominating: control-plane CPU at
   * nominal went from 14.2 % (50 ms) to 9.3 % of one core in `npm run bench:control`
   * (docs/control-plane.md). A busy queue (maxBatch waiting) never waits.
   */
  readonly maxWaitMs: number;
  /**
   * A batch goes as soon as no report arrived for this long, ms (default 25): when every sender is
   * waiting for its answer (a few hundred connections, fewer than maxBatch), nothing more comes, and a
   * batch that waited out maxWaitMs would cap throughput at one batch per maxWaitMs.
   */
  readonly quietMs: number;
  /** Reports waiting at most (default 20,000); beyond it submit() throws CONTROL_ERR_OVERLOADED. */
  readonly maxQueued: number;
  /** Batches written at once (default 2: one commits while the next is sent). */
  readonly maxInFlight: number;
  /** Body bytes waiting at most (default 256 MiB); beyond it submit() throws CONTROL_ERR_OVERLOADED. */
  readonly maxQueuedBytes: number;
}

/** Defaults sized for one control plane in front of PostgreSQL on a small machine. */
export const DEFAULT_INGEST_QUEUE: IngestQueueOptions = Object.freeze({ maxBatch: 500, maxWaitMs: 1000, quietMs: 25, maxQueued: 20_000, maxInFlight: 2, maxQueuedBytes: 256 * 1024 * 1024 });

/** What the queue tells its observer about each written batch. */
export interface BatchObservation {
  readonly size: number;
  readonly seconds: number;
  readonly outcomes: readonly IngestOutcome[] | null;
  readonly error: unknown;
}

interface Pending {
  readonly item: IngestItem;
  readonly bytes: number;
  readonly resolve: (o: IngestOutcome) => void;
  readonly reject: (e: unknown) => void;
}

/** Batches reports into the store; see the file comment. */
export class IngestQueue {
  private readonly store: ControlStore;
  private readonly opts: IngestQueueOptions;
  private readonly onBatch: ((b: BatchObservation) => void) | undefined;
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  /** performance.now() of the first report waiting for the timer, and of the last one that arrived. */
  private firstAt = 0;
  private lastAt = 0;
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

  /** Queue one report (`bytes`: its size on the wire); resolves with its outcome once its batch committed. */
  submit(item: IngestItem, bytes = 0): Promise<IngestOutcome> {
    if (this.queue.length >= this.opts.maxQueued || this.queuedBytes + bytes > this.opts.maxQueuedBytes) {
      return Promise.reject(new VigiaError('CONTROL_ERR_OVERLOADED', `${plural(this.queue.length, 'report')} waiting for the database`));
    }
    return new Promise<IngestOutcome>((resolve, reject) => {
      this.queue.push({ item, bytes, resolve, reject });
      this.queuedBytes += bytes;
      this.lastAt = performance.now();
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or being written (for shutdown). */
  drained(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    // Shutting down: what waits for company goes now.
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.flush();
    }
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async writeOne(p: Pending): Promise<void> {
    try {
      p.resolve((await this.store.ingest([p.item]))[0]!);
    } catch (err) {
      p.reject(asIngestError(err));
    }
  }

  private schedule(): void {
    if (this.inFlight >= this.opts.maxInFlight) return; // a finishing batch calls schedule() again
    if (this.queue.length >= this.opts.maxBatch) {
      this.flush();
      return;
    }
    // The first report of a quiet period waits for company: until none came for quietMs, or maxWaitMs
    // in all. One timer, re-armed for what is left, rather than one per report.
    if (this.timer) return;
    this.firstAt = performance.now();
    this.timer = setTimeout(this.onTimer, Math.min(this.opts.quietMs, this.opts.maxWaitMs));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    const now = performance.now();
    const quietLeft = this.opts.quietMs - (now - this.lastAt);
    const capLeft = this.opts.maxWaitMs - (now - this.firstAt);
    if (quietLeft <= 0 || capLeft <= 0) return this.flush();
    this.timer = setTimeout(this.onTimer, Math.min(quietLeft, capLeft));
  };

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && this.inFlight < this.opts.maxInFlight) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      for (const p of batch) this.queuedBytes -= p.bytes;
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
      this.onBatch?.({ size: batch.length, seconds: (performance.now() - t0) / 1000, outcomes: null, error: err });
      if (batch.length > 1 && isDataError(err)) {
        // One report the database cannot take must not fail its neighbours (nor, retried by its
        // agent, every batch it lands in): write the batch report by report, refuse only the bad one.
        for (const p of batch) await this.writeOne(p);
      } else {
        for (const p of batch) p.reject(asIngestError(err));
      }
    } finally {
      this.inFlight--;
      // What queued while this batch was written has waited long enough: write it now.
      if (this.queue.length > 0) this.flush();
      else if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}

/** SQLSTATE classes that blame the data (22 data exception, 23 constraint, 54 program limit), not the database. */
function isDataError(err: unknown): boolean {
  const state = sqlState(err) ?? sqlState((err as { cause?: unknown } | null)?.cause);
  return state !== undefined && /^(22|23|54)/.test(state);
}

function asIngestError(err: unknown): VigiaError {
  if (err instanceof VigiaError) return err;
  if (isDataError(err)) return new VigiaError('CONTROL_ERR_INVALID_REPORT', `the database refused a value: ${String((err as Error).message ?? '').split('\n')[0]!.slice(0, 200)}`);
  return new VigiaError('CONTROL_ERR_STORE_UNAVAILABLE', undefined, { cause: err });
}
