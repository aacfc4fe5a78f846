/**
 * The simulator's books: every generated line ends in exactly one of acknowledged (the collector answered
 * 200 for its batch), dropped (given up after retries, refused, or over the backlog bound) or unsent (still
 * queued when the run stopped), so `generated = acknowledged + dropped + unsent` always holds and the
 * summary can be compared with the collector's own counts. Pure state, no I/O.
 */
import type { LinesAccepted } from '../wire.js';
import type { LineKind } from './traffic-model.js';

/** The JSON summary `vigia logs simulate` prints. */
export interface SimulationSummary {
  readonly nodes: number;
  readonly seconds: number;
  /** Acknowledged lines per second of the run. */
  readonly lines_per_second: number;
  readonly lines: {
    readonly generated: number;
    /** Generated lines the collector should reject (the `bad` kind of the traffic model). */
    readonly generated_bad: number;
    readonly acknowledged: number;
    readonly dropped: number;
    readonly unsent: number;
    /** The collector's own counts from its answers (LinesAccepted), summed. */
    readonly stored: number;
    readonly rejected: number;
    readonly duplicates: number;
  };
  readonly batches: {
    readonly sent: number;
    readonly acknowledged: number;
    readonly retried: number;
    /** Failed tries by HTTP status or transport error code (`ECONNREFUSED`, `timeout`...). */
    readonly errors: Readonly<Record<string, number>>;
  };
  /** Latency of acknowledged requests, ms, over the last 50,000 to 100,000 of them. */
  readonly latency_ms: { readonly p50: number; readonly p99: number };
  /** Bytes on the wire (compressed) and before compression. */
  readonly bytes: { readonly wire: number; readonly raw: number };
  /** Why the run stopped: `duration`, `lines`, `signal`, or `refused` (401/403: no point in going on). */
  readonly stopped: string;
}

const LATENCY_KEEP = 100_000;

/** The mutable tally one run keeps. */
export class SimTally {
  generated = 0;
  generatedBad = 0;
  acknowledged = 0;
  dropped = 0;
  stored = 0;
  rejected = 0;
  duplicates = 0;
  batchesSent = 0;
  batchesAcknowledged = 0;
  retried = 0;
  wireBytes = 0;
  rawBytes = 0;
  readonly errors: Record<string, number> = {};
  private readonly latencies: number[] = [];

  /** A line was generated. */
  line(kind: LineKind): void {
    this.generated++;
    if (kind === 'bad') this.generatedBad++;
  }

  /** A try of a batch of `lines` lines went out with `wire` bytes (`raw` before compression). */
  sent(wire: number, raw: number): void {
    this.batchesSent++;
    this.wireBytes += wire;
    this.rawBytes += raw;
  }

  /** The collector answered 200 for a batch of `lines` lines after `ms`. */
  accepted(lines: number, answer: LinesAccepted, ms: number): void {
    this.batchesAcknowledged++;
    this.acknowledged += lines;
    this.stored += answer.stored;
    this.rejected += answer.rejected;
    this.duplicates += answer.duplicates;
    if (this.latencies.length >= LATENCY_KEEP) this.latencies.splice(0, LATENCY_KEEP / 2);
    this.latencies.push(ms);
  }

  /** A try failed with `why` (status or error code); `retry` tells whether it will be tried again. */
  failed(why: string, retry: boolean): void {
    this.errors[why] = (this.errors[why] ?? 0) + 1;
    if (retry) this.retried++;
  }

  /** `lines` lines were given up. */
  drop(lines: number): void {
    this.dropped += lines;
  }

  /** The summary after `seconds`, with `unsent` lines still queued. */
  summary(nodes: number, seconds: number, unsent: number, stopped: string): SimulationSummary {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const pct = (p: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
    const round = (x: number): number => (Number.isFinite(x) ? Math.round(x * 10) / 10 : -1);
    return {
      nodes,
      seconds: round(seconds),
      lines_per_second: seconds > 0 ? Math.round(this.acknowledged / seconds) : 0,
      lines: {
        generated: this.generated,
        generated_bad: this.generatedBad,
        acknowledged: this.acknowledged,
        dropped: this.dropped,
        unsent,
        stored: this.stored,
        rejected: this.rejected,
        duplicates: this.duplicates,
      },
      batches: { sent: this.batchesSent, acknowledged: this.batchesAcknowledged, retried: this.retried, errors: { ...this.errors } },
      latency_ms: { p50: round(pct(0.5)), p99: round(pct(0.99)) },
      bytes: { wire: this.wireBytes, raw: this.rawBytes },
      stopped,
    };
  }
}
