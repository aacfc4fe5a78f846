/**
 * Groups the lines read from each source into batches bounded by lines, bytes and age. A batch holds
 * one source's contiguous byte range, so X-Vigia-Log-Offset names it exactly. Pure (time is a parameter).
 */

/** Lines of one source ready to be compressed and sent: bytes [start, end) of that source. */
export interface PendingBatch {
  readonly fileId: string;
  readonly start: number;
  readonly end: number;
  readonly parts: readonly Buffer[];
  readonly lines: number;
  readonly bytes: number;
}

/** Bounds of a batch: it is cut when any is reached. */
export interface BatchBounds {
  readonly maxLines: number;
  readonly maxBytes: number;
  /** A batch's first line waits at most this long. */
  readonly maxAgeMs: number;
}

interface Open {
  fileId: string;
  start: number;
  end: number;
  parts: Buffer[];
  lines: number;
  bytes: number;
  sinceMs: number;
}

/** Per-source accumulation. add() and due() return the batches that are complete, oldest first. */
export class Batcher {
  private readonly open = new Map<string, Open>();

  constructor(private readonly bounds: BatchBounds) {}

  /**
   * Append lines [start, end) of `fileId` read at `nowMs`. A range that does not continue the open
   * batch of that source (the source started over) first closes it.
   */
  add(fileId: string, start: number, end: number, parts: readonly Buffer[], lines: number, bytes: number, nowMs: number): PendingBatch[] {
    const done: PendingBatch[] = [];
    let b = this.open.get(fileId);
    if (b && b.end !== start) {
      done.push(this.close(b));
      b = undefined;
    }
    if (!b) {
      b = { fileId, start, end: start, parts: [], lines: 0, bytes: 0, sinceMs: nowMs };
      this.open.set(fileId, b);
    }
    b.end = end;
    b.parts.push(...parts);
    b.lines += lines;
    b.bytes += bytes;
    if (b.lines >= this.bounds.maxLines || b.bytes >= this.bounds.maxBytes) done.push(this.close(b));
    return done;
  }

  /** Batches whose first line has waited `maxAgeMs`. */
  due(nowMs: number): PendingBatch[] {
    const done: PendingBatch[] = [];
    for (const b of [...this.open.values()]) if (nowMs - b.sinceMs >= this.bounds.maxAgeMs) done.push(this.close(b));
    return done;
  }

  /** Every open batch (shutdown, end of input). */
  flush(): PendingBatch[] {
    return [...this.open.values()].map((b) => this.close(b));
  }

  /** Lines waiting in open batches. */
  get lines(): number {
    let n = 0;
    for (const b of this.open.values()) n += b.lines;
    return n;
  }

  private close(b: Open): PendingBatch {
    this.open.delete(b.fileId);
    return { fileId: b.fileId, start: b.start, end: b.end, parts: b.parts, lines: b.lines, bytes: b.bytes };
  }
}
