/**
 * ParseTally: the account of lines that did not parse (count by reason plus a few samples, bounded), and
 * parseChunk, the loop every ingest path uses to turn a block of text into records and that account.
 */
import type { AccessRecord } from '../record.js';
import type { LineParser, ParseFailure } from './line-parser.js';
import { TextLineParser } from './text-parser.js';

/** Every ParseFailure, in a stable order (metrics and reports list reasons this way). */
export const PARSE_FAILURES: readonly ParseFailure[] = Object.freeze([
  'empty', 'too-long', 'missing-field', 'unterminated-quote', 'bad-time', 'bad-status', 'bad-number', 'bad-json', 'trailing-garbage',
] as const);

/** Bounds on the samples a tally keeps. */
export interface TallyLimits {
  /** Samples kept per reason (the first ones seen); default 5. */
  readonly samplesPerReason?: number;
  /** Characters kept of a sample line (longer ones are cut and end with `...`); default 512. */
  readonly sampleLength?: number;
}

/** The JSON form of a tally (what import prints and the collector exposes). */
export interface TallySummary {
  readonly parsed: number;
  readonly rejected: number;
  /** Rejected lines by reason; only reasons seen. */
  readonly reasons: Partial<Record<ParseFailure, number>>;
  /** The first few rejected lines per reason (cut to the sample length). */
  readonly samples: Partial<Record<ParseFailure, readonly string[]>>;
}

/** Counts parsed and rejected lines; keeps at most samplesPerReason samples of sampleLength per reason. */
export class ParseTally {
  parsed = 0;
  rejected = 0;
  private readonly counts = new Map<ParseFailure, number>();
  private readonly kept = new Map<ParseFailure, string[]>();
  private readonly samplesPerReason: number;
  private readonly sampleLength: number;

  constructor(limits: TallyLimits = {}) {
    this.samplesPerReason = limits.samplesPerReason ?? 5;
    this.sampleLength = limits.sampleLength ?? 512;
  }

  /** Counts one rejected line (`line` becomes a sample while the reason has room). */
  reject(reason: ParseFailure, line: string): void {
    this.rejected++;
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    let samples = this.kept.get(reason);
    if (samples === undefined) this.kept.set(reason, (samples = []));
    if (samples.length < this.samplesPerReason) samples.push(this.cut(line));
  }

  /** Rejected lines with this reason. */
  count(reason: ParseFailure): number {
    return this.counts.get(reason) ?? 0;
  }

  /** The samples kept for this reason (a copy). */
  samples(reason: ParseFailure): string[] {
    return [...(this.kept.get(reason) ?? [])];
  }

  /** Adds another tally's counts and samples (samples stay bounded). */
  merge(other: ParseTally): void {
    this.parsed += other.parsed;
    for (const reason of PARSE_FAILURES) {
      const n = other.count(reason);
      if (n === 0) continue;
      this.rejected += n;
      this.counts.set(reason, this.count(reason) + n);
      let samples = this.kept.get(reason);
      if (samples === undefined) this.kept.set(reason, (samples = []));
      for (const s of other.samples(reason)) if (samples.length < this.samplesPerReason) samples.push(this.cut(s));
    }
  }

  /** A plain, JSON-ready copy. */
  summary(): TallySummary {
    const reasons: Partial<Record<ParseFailure, number>> = {};
    const samples: Partial<Record<ParseFailure, readonly string[]>> = {};
    for (const reason of PARSE_FAILURES) {
      const n = this.count(reason);
      if (n === 0) continue;
      reasons[reason] = n;
      samples[reason] = this.samples(reason);
    }
    return { parsed: this.parsed, rejected: this.rejected, reasons, samples };
  }

  private cut(line: string): string {
    return line.length <= this.sampleLength ? line : `${line.slice(0, this.sampleLength - 3)}...`;
  }
}

/**
 * Parses every line of `text` (LF or CRLF; a last line without LF is a line; a final LF does not start
 * one) with `parser`, appends the records to `out` and counts each line in `tally` (parsed or rejected).
 * Returns `out`. A line that fails never stops the loop.
 */
export function parseChunk(parser: LineParser, text: string, server: string, tally: ParseTally, out: AccessRecord[] = []): AccessRecord[] {
  // Text formats parse in place (no per-line substring); other parsers get each line.
  const ranged = parser instanceof TextLineParser ? parser : undefined;
  ranged?.beginText();
  const n = text.length;
  let start = 0;
  while (start < n) {
    let end = text.indexOf('\n', start);
    const next = end < 0 ? n : end + 1;
    if (end < 0) end = n;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    const r = ranged ? ranged.parseRange(text, start, end, server) : parser.parse(text.substring(start, end), server);
    if (typeof r === 'string') tally.reject(r, text.substring(start, end));
    else {
      out.push(r);
      tally.parsed++;
    }
    start = next;
  }
  return out;
}
