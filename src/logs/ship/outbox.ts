/**
 * Where batches wait for the collector, shared by `vigia logs ship` and `vigia logs pipe`: a bounded
 * in-memory queue, then the bounded spool directory, then drop with a count. offer() never waits, so a
 * reader (the pipe's stdin above all) is never held up by a slow or absent collector.
 *
 * One loop sends, one batch at a time, the spooled backlog first (oldest first) and then the queue:
 * - acknowledged: settled `acked`;
 * - retry (network error, timeout, 401/403, 408, 429, 5xx): back off (full jitter, Retry-After honoured,
 *   core/backoff.ts) and, while backing off, the queue goes to the spool ("the collector is away") and so
 *   does every new batch;
 * - never acceptable (413, other 4xx): dropped and counted.
 * Every batch ends exactly one way, reported to `onSettled` in the order batches were offered: acked,
 * spooled (its lines are durable on disk; a batch sent from the spool later is not settled again), or
 * dropped. `dropped` (lines) is cumulative and goes with each request as X-Vigia-Log-Dropped.
 */
import { retryDelay } from '../../core/backoff.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { BatchSpool } from './batch-spool.js';
import type { Batch, SendResult } from './send.js';

/** How a batch left the shipper's hands. */
export type Settlement = 'acked' | 'spooled' | 'dropped';

/** A batch as offered, with whatever its producer needs back when it settles (a file and an offset). */
export interface Offered<T> {
  readonly batch: Batch;
  readonly tag: T;
}

/** Options of an Outbox. */
export interface OutboxOptions<T> {
  readonly send: (batch: Batch, dropped: number) => Promise<SendResult>;
  /** null: no spool (what the queue cannot hold is dropped). */
  readonly spool: BatchSpool | null;
  /** Bytes of compressed batches held in memory at most; beyond it the oldest go to the spool (or are dropped). */
  readonly memoryMaxBytes: number;
  /** Lines dropped before this process started (the saved count). */
  readonly initialDropped: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  /** A Retry-After longer than this is cut to it, so a bogus header cannot stop shipping. */
  readonly maxRetryAfterMs: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
  readonly onSettled: (item: Offered<T>, how: Settlement) => void;
}

/** Counters for the stats line, in lines. */
export interface OutboxStats {
  acked: number;
  spooled: number;
  stored: number;
  rejected: number;
  duplicates: number;
  batches: number;
  failures: number;
}

/** The queue -> spool -> drop pipeline with its send loop. start() once, stop() at the end. */
export class Outbox<T> {
  private readonly o: OutboxOptions<T>;
  private readonly queue: Offered<T>[] = [];
  private queueBytes = 0;
  private droppedLines: number;
  private failures = 0;
  private notBefore = 0;
  private stopping = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** Spool writes, in order, one at a time. */
  private spoolChain: Promise<void> = Promise.resolve();
  private spoolPending = 0;
  private sending = false;
  private lastCause = '';
  readonly stats: OutboxStats = { acked: 0, spooled: 0, stored: 0, rejected: 0, duplicates: 0, batches: 0, failures: 0 };

  constructor(opts: OutboxOptions<T>) {
    this.o = opts;
    this.droppedLines = opts.initialDropped;
  }

  /** Lines dropped, cumulative (the saved count plus this run's). */
  get dropped(): number {
    return this.droppedLines;
  }

  /** True while the collector is failing (the next try waits). */
  get backingOff(): boolean {
    return this.failures > 0;
  }

  /** Compressed bytes queued in memory. */
  get memoryBytes(): number {
    return this.queueBytes;
  }

  /** Lines not yet settled anywhere: queued in memory or on their way to the spool. */
  get pendingBatches(): number {
    return this.queue.length + this.spoolPending;
  }

  /** True when nothing waits: queue empty, no spool write pending, spool empty. */
  get idle(): boolean {
    return !this.sending && this.queue.length === 0 && this.spoolPending === 0 && (this.o.spool?.files ?? 0) === 0;
  }

  /** Count lines as dropped (lost before they became a batch: a truncation, a full queue upstream). */
  countDropped(lines: number, why: string): void {
    if (lines <= 0) return;
    this.droppedLines += lines;
    this.o.log.warn({ lines, why, dropped: this.droppedLines }, 'lines dropped');
  }

  /** Take a batch; never waits. While the collector is away it goes to the spool. */
  offer(item: Offered<T>): void {
    if (this.backingOff && this.o.spool) {
      this.toSpool(item);
      return;
    }
    this.queue.push(item);
    this.queueBytes += item.batch.body.length;
    while (this.queueBytes > this.o.memoryMaxBytes && this.queue.length > 1) this.toSpool(this.shift()!);
    this.wake?.();
  }

  /** Start the send loop. */
  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Stop: keep sending until everything is delivered or `deadlineMs` passes, then move what is still
   * queued to the spool (or count it as dropped without one). Resolves when all is settled.
   */
  async stop(deadlineMs: number, abortInFlight: () => void): Promise<void> {
    const until = this.o.clock() + deadlineMs;
    while (!this.idle && this.o.clock() < until && !this.backingOff) await new Promise((r) => setTimeout(r, 20));
    this.stopping = true;
    this.wake?.();
    // A request still in flight is cut; its batch goes to the spool with the rest.
    abortInFlight();
    await this.loop;
    while (this.queue.length > 0) this.toSpool(this.shift()!);
    await this.spoolChain;
  }

  private shift(): Offered<T> | undefined {
    const item = this.queue.shift();
    if (item) this.queueBytes -= item.batch.body.length;
    return item;
  }

  private drop(item: Offered<T>, why: string): void {
    this.droppedLines += item.batch.lines;
    this.o.log.warn({ lines: item.batch.lines, source: item.batch.source, why, dropped: this.droppedLines }, 'batch dropped');
    this.o.onSettled(item, 'dropped');
  }

  /** Queue a spool write (in order); settles the batch spooled, or dropped when there is no spool or it fails. */
  private toSpool(item: Offered<T>): void {
    const spool = this.o.spool;
    if (!spool) {
      this.drop(item, 'queue full and no spool');
      return;
    }
    this.spoolPending++;
    this.spoolChain = this.spoolChain.then(async () => {
      try {
        if (await spool.put(item.batch)) {
          this.stats.spooled += item.batch.lines;
          this.o.onSettled(item, 'spooled');
        } else {
          // Counted by the spool's onDropped; settled here so its offsets move on.
          this.o.onSettled(item, 'dropped');
        }
      } catch (err) {
        this.o.log.error({ err, dir: 'spool' }, 'cannot write to the spool');
        this.drop(item, 'spool write failed');
      } finally {
        this.spoolPending--;
        this.wake?.();
      }
    });
  }

  /** Counted by the spool itself (full or corrupt files): add to the cumulative count. */
  spoolDropped(lines: number): void {
    this.droppedLines += lines;
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const wait = this.notBefore - this.o.clock();
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      const spool = this.o.spool;
      // Spool writes land in order; send from the spool only what is already there.
      const fromSpool = spool && spool.files > 0 ? await spool.oldest() : null;
      // Taken out of the queue while in flight, so an overflowing offer() cannot spool it meanwhile.
      const item = fromSpool ? undefined : this.shift();
      if (!fromSpool && !item) {
        await this.sleep(1000);
        continue;
      }
      const batch = fromSpool ? fromSpool.batch : item!.batch;
      this.sending = true;
      const r = await this.o.send(batch, this.droppedLines).finally(() => (this.sending = false));
      this.stats.batches++;
      if (r.kind === 'ack') {
        if (this.failures > 0) this.o.log.info({ after: this.failures, lastCause: this.lastCause }, 'collector reachable again');
        this.failures = 0;
        this.stats.acked += batch.lines;
        this.stats.stored += r.accepted.stored;
        this.stats.rejected += r.accepted.rejected;
        this.stats.duplicates += r.accepted.duplicates;
        if (fromSpool) await spool!.remove(fromSpool.name);
        else this.o.onSettled(item!, 'acked');
      } else if (r.kind === 'drop') {
        this.o.log.error({ cause: r.cause, lines: batch.lines, source: batch.source }, 'the collector refused a batch for good; dropped');
        if (fromSpool) {
          this.droppedLines += batch.lines;
          await spool!.remove(fromSpool.name);
        } else this.drop(item!, r.cause);
      } else {
        if (fromSpool) spool!.release();
        else if (spool) this.toSpool(item!);
        else {
          this.queue.unshift(item!);
          this.queueBytes += item!.batch.body.length;
        }
        this.failures++;
        this.stats.failures++;
        const retryAfter = r.retryAfterMs === null ? null : Math.min(r.retryAfterMs, this.o.maxRetryAfterMs);
        const delay = retryDelay(this.failures, retryAfter, this.o.random(), this.o.backoffBaseMs, Math.max(this.o.backoffCapMs, retryAfter ?? 0));
        this.notBefore = this.o.clock() + delay;
        // Say it once per outage, and then every 10th try: a long outage must not flood the log.
        if (this.failures === 1 || this.failures % 10 === 0 || r.cause !== this.lastCause) {
          this.o.log.warn({ cause: r.cause, failures: this.failures, retryInMs: Math.round(delay) }, 'collector did not take a batch; spooling and retrying');
        }
        this.lastCause = r.cause;
        // The collector is away: what waits in memory goes to disk.
        if (spool) while (this.queue.length > 0) this.toSpool(this.shift()!);
      }
    }
  }
}
