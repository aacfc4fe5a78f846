/**
 * The collector's ingest queue: records of many concurrent batches (HTTP and syslog) are written to
 * the store in large inserts (columnar engines want thousands of rows an insert, not one batch's few
 * hundred). `submit` resolves once its records are stored, so a 200 to a shipper means stored; a
 * failed insert fails every submitter in it (shippers retry; repeats are counted as duplicates). A full
 * queue refuses at once with LOGS_ERR_OVERLOADED (503 + Retry-After) instead of growing: memory is
 * bounded by `maxQueuedLines` plus the inserts in flight. `drain` waits until everything queued is
 * stored (graceful shutdown).
 */
import { VigiaError } from '../../core/errors.js';
import type { AccessRecord } from '../record.js';
import type { LogStore } from '../store/log-store.js';

/** Queue bounds. */
export interface LogQueueOptions {
  /** Records per insert at most (default 50,000). */
  readonly maxBatch: number;
  /** A partial batch waits at most this long for more, ms (default 200). */
  readonly maxWaitMs: number;
  /** Records waiting at most (default 500,000: ~250 MB of records at ~500 B each); beyond it submit() refuses. */
  readonly maxQueuedLines: number;
  /** Inserts running at once (default 2: one commits while the next is built). */
  readonly maxInFlight: number;
}

/** Defaults for one collector in front of its store. */
export const DEFAULT_LOG_QUEUE: LogQueueOptions = Object.freeze({ maxBatch: 50_000, maxWaitMs: 200, maxQueuedLines: 500_000, maxInFlight: 2 });

/** What the queue tells its observer about each insert. */
export interface InsertObservation {
  readonly lines: number;
  readonly seconds: number;
  readonly error: unknown;
}

interface Pending {
  readonly records: readonly AccessRecord[];
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** Batches records into the store; see the file comment. */
export class LogQueue {
  private readonly store: LogStore;
  private readonly opts: LogQueueOptions;
  private readonly onInsert: (o: InsertObservation) => void;
  private pending: Pending[] = [];
  private queued = 0;
  private inFlight = 0;
  private inFlightLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];

  constructor(store: LogStore, opts: Partial<LogQueueOptions> = {}, onInsert: (o: InsertObservation) => void = () => {}) {
    this.store = store;
    this.opts = { ...DEFAULT_LOG_QUEUE, ...opts };
    this.onInsert = onInsert;
  }

  /** Records waiting or being inserted now. */
  get depth(): number {
    return this.queued + this.inFlightLines;
  }

  /** Whether `lines` more would be refused now (checked before a body is read, so a refusal costs nothing). */
  full(lines = 1): boolean {
    return this.queued + lines > this.opts.maxQueuedLines;
  }

  /** Queue records; resolves once stored. Throws LOGS_ERR_OVERLOADED at once when the queue is full. */
  submit(records: readonly AccessRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.full(records.length)) throw new VigiaError('LOGS_ERR_OVERLOADED', `${this.queued} lines are waiting for the store`);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      this.queued += records.length;
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or being inserted. */
  drain(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.pump(true);
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.queued >= this.opts.maxBatch) return this.pump(false);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.pump(true);
    }, this.opts.maxWaitMs);
  }

  /** Start inserts while there is room; `partial`: a batch smaller than maxBatch may go. */
  private pump(partial: boolean): void {
    while (this.inFlight < this.opts.maxInFlight && this.pending.length > 0 && (partial || this.queued >= this.opts.maxBatch)) {
      const take: Pending[] = [];
      let n = 0;
      // Whole submissions only: a submitter is answered once, for all its records.
      while (this.pending.length > 0 && (take.length === 0 || n + this.pending[0]!.records.length <= this.opts.maxBatch)) {
        const p = this.pending.shift()!;
        take.push(p);
        n += p.records.length;
      }
      this.queued -= n;
      void this.insert(take, n);
    }
    if (this.pending.length > 0 && !this.timer && this.inFlight < this.opts.maxInFlight) this.schedule();
  }

  private async insert(take: Pending[], n: number): Promise<void> {
    this.inFlight++;
    this.inFlightLines += n;
    const records: AccessRecord[] = take.length === 1 ? (take[0]!.records as AccessRecord[]) : take.flatMap((p) => p.records);
    const t0 = performance.now();
    let error: unknown;
    try {
      await this.store.insert(records);
    } catch (err) {
      error = err;
    }
    this.inFlight--;
    this.inFlightLines -= n;
    this.onInsert({ lines: n, seconds: (performance.now() - t0) / 1000, error });
    for (const p of take) {
      if (error === undefined) p.resolve();
      else p.reject(error);
    }
    // The next batch goes at once while records wait (a busy queue never waits for maxWaitMs).
    if (this.pending.length > 0) this.pump(true);
    if (this.depth === 0) for (const f of this.idle.splice(0)) f();
  }
}
