/**
 * Group commit: items submitted while one commit runs are committed together in the next one. Used
 * by the file store (one write + fdatasync per batch) and the Redis replica store (one WAIT per
 * batch), so durability costs one round per batch instead of one per request.
 */

/** Commits a batch; returns one result per item, an Error instance meaning that item failed. */
export type CommitBatch<T, R> = (items: readonly T[]) => Promise<readonly (R | Error)[]>;

interface Pending<T, R> {
  readonly item: T;
  readonly resolve: (r: R) => void;
  readonly reject: (e: unknown) => void;
}

/** A queue that runs at most one commit at a time and batches everything that waits meanwhile. */
export class GroupCommit<T, R> {
  private queue: Pending<T, R>[] = [];
  private running: Promise<void> | undefined;

  /** `maxBatch` bounds one commit (memory, and latency of the batch's last item). */
  constructor(
    private readonly commit: CommitBatch<T, R>,
    private readonly maxBatch = 4096,
  ) {}

  /** Queue `item`; settles with its result once its batch committed. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.running ??= this.loop();
    });
  }

  /** Resolves when nothing is queued or committing. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Reject everything queued (not the batch in flight) with `err`. */
  failQueued(err: unknown): void {
    const q = this.queue;
    this.queue = [];
    for (const p of q) p.reject(err);
  }

  private async loop(): Promise<void> {
    try {
      // Let the current tick's submissions join the first batch.
      await new Promise<void>((r) => setImmediate(r));
      while (this.queue.length > 0) {
        const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
        this.queue = this.queue.length <= this.maxBatch ? [] : this.queue.slice(this.maxBatch);
        let results: readonly (R | Error)[];
        try {
          results = await this.commit(batch.map((p) => p.item));
        } catch (err) {
          for (const p of batch) p.reject(err);
          continue;
        }
        batch.forEach((p, i) => {
          const r = results[i];
          if (r instanceof Error) p.reject(r);
          else p.resolve(r as R);
        });
      }
    } finally {
      this.running = undefined;
    }
  }
}
