/**
 * Duplicate counting for the collector (pure, bounded). Shippers retry a batch whose answer they did not
 * get, so the collector may receive the same lines twice; the protocol (src/logs/wire.ts) stores them
 * again and counts them. A batch names its file (`X-Vigia-Log-Source`) and its byte range in that file
 * (`X-Vigia-Log-Offset`); the tracker remembers, per source, the byte ranges already stored (merged, so
 * a file read in order is one range whatever its length) and counts the lines of a new batch that start
 * inside one.
 *
 * Bounds: `maxSources` sources (least recently seen forgotten first) and `maxRangesPerSource` ranges each
 * (beyond it the two closest neighbours are merged: a gap between them then counts as seen, which can
 * only over-count duplicates of lines that were never sent, i.e. after a shipper skipped bytes). A
 * forgotten source's repeats are not counted: the figure is a lower bound once a collector has seen
 * more than `maxSources` files, and it starts from zero when the collector restarts.
 */

/** Tracker bounds. */
export interface DuplicateTrackerOptions {
  readonly maxSources: number;
  readonly maxRangesPerSource: number;
}

/** Defaults: 200,000 followed files (500 servers × 400 files), 32 ranges each: ~60 MB at worst. */
export const DEFAULT_DUPLICATE_TRACKER: DuplicateTrackerOptions = Object.freeze({ maxSources: 200_000, maxRangesPerSource: 32 });

/** Remembers stored byte ranges per source; see the file comment. */
export class DuplicateTracker {
  private readonly opts: DuplicateTrackerOptions;
  /** source -> sorted, disjoint, non-adjacent [start, end) pairs, flattened. Map order = recency. */
  private readonly ranges = new Map<string, number[]>();

  constructor(opts: Partial<DuplicateTrackerOptions> = {}) {
    this.opts = { ...DEFAULT_DUPLICATE_TRACKER, ...opts };
  }

  /**
   * How many of a batch's lines were stored before: `lineStarts` are the byte offsets of its lines in
   * the file, ascending (the batch's start offset plus the bytes before each line).
   */
  count(source: string, lineStarts: readonly number[]): number {
    const r = this.ranges.get(source);
    if (!r || lineStarts.length === 0) return 0;
    let n = 0;
    let k = 0;
    for (const at of lineStarts) {
      while (k < r.length && r[k + 1]! <= at) k += 2;
      if (k >= r.length) break;
      if (r[k]! <= at) n++;
    }
    return n;
  }

  /** Whether any range of `source` is remembered (callers skip computing line offsets otherwise). */
  knows(source: string): boolean {
    return this.ranges.has(source);
  }

  /** Remember that [start, end) of `source` is stored. */
  add(source: string, start: number, end: number): void {
    if (end <= start) return;
    let r = this.ranges.get(source);
    if (r) this.ranges.delete(source);
    else {
      r = [];
      if (this.ranges.size >= this.opts.maxSources) this.ranges.delete(this.ranges.keys().next().value!);
    }
    this.ranges.set(source, insertRange(r, start, end, this.opts.maxRangesPerSource));
  }

  /** Sources remembered now. */
  get sources(): number {
    return this.ranges.size;
  }
}

/** Insert [start, end) into sorted disjoint pairs, merging overlaps and neighbours; at most `max` pairs. */
function insertRange(r: number[], start: number, end: number, max: number): number[] {
  const out: number[] = [];
  let s = start;
  let e = end;
  let placed = false;
  for (let i = 0; i < r.length; i += 2) {
    const a = r[i]!;
    const b = r[i + 1]!;
    if (b < s) out.push(a, b);
    else if (a > e) {
      if (!placed) out.push(s, e), (placed = true);
      out.push(a, b);
    } else {
      s = Math.min(s, a);
      e = Math.max(e, b);
    }
  }
  if (!placed) out.push(s, e);
  while (out.length > max * 2) {
    // Merge the two neighbours with the smallest gap.
    let best = 1;
    for (let i = 3; i < out.length - 1; i += 2) if (out[i + 1]! - out[i]! < out[best + 1]! - out[best]!) best = i;
    out.splice(best, 2);
  }
  return out;
}
