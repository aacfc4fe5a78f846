/**
 * Cutting bytes read from a log into whole lines (pure): only whole lines are shipped, a partial last line
 * waits for its LF, and a line longer than the cap is shipped cut to the cap (its rest skipped up to the
 * next LF) so one runaway line can neither stall a file nor grow a batch without bound.
 */

const LF = 0x0a;
const LF_BUFFER = Buffer.from('\n');

/** What cutLines took from a buffer. */
export interface LineCut {
  /** Bytes of the buffer consumed: the caller's next read starts this far in. */
  readonly consumed: number;
  /** The lines to ship, LF-terminated, as slices of the buffer (no copy) plus, for a capped line, its cut. */
  readonly parts: readonly Buffer[];
  /** Lines in `parts`. */
  readonly lines: number;
  /** Bytes in `parts`. */
  readonly bytes: number;
  /** Lines of `parts` cut to the cap. */
  readonly capped: number;
  /** True when the buffer ended inside a capped line's rest: the next buffer is skipped up to its first LF. */
  readonly skipping: boolean;
}

/**
 * Cut `buf` (bytes read from a log at some position) into whole lines. `skipping`: the previous cut ended
 * inside a capped line. A trailing partial line shorter than `maxLineBytes` is not consumed; one of at
 * least `maxLineBytes` is shipped cut (so callers must read more than `maxLineBytes` at a time for a
 * long partial line to be seen whole). At `eof` (a file that will not grow: a .gz, stdin closed) the
 * trailing partial line is shipped too, with an LF added.
 */
export function cutLines(buf: Buffer, skipping: boolean, maxLineBytes: number, eof = false): LineCut {
  let i = 0;
  if (skipping) {
    const nl = buf.indexOf(LF);
    if (nl < 0) return { consumed: buf.length, parts: [], lines: 0, bytes: 0, capped: 0, skipping: true };
    i = nl + 1;
  }
  const parts: Buffer[] = [];
  let lines = 0;
  let bytes = 0;
  let capped = 0;
  // Start of the run of short lines not yet pushed as one slice.
  let runStart = i;
  for (;;) {
    const nl = buf.indexOf(LF, i);
    if (nl < 0) break;
    if (nl - i > maxLineBytes) {
      if (i > runStart) parts.push(buf.subarray(runStart, i));
      parts.push(buf.subarray(i, i + maxLineBytes), LF_BUFFER);
      capped++;
      runStart = nl + 1;
    }
    lines++;
    i = nl + 1;
  }
  if (i > runStart) parts.push(buf.subarray(runStart, i));
  let consumed = i;
  let nowSkipping = false;
  const tail = buf.length - i;
  if (tail > 0 && (tail >= maxLineBytes || eof)) {
    parts.push(buf.subarray(i, i + Math.min(tail, maxLineBytes)), LF_BUFFER);
    lines++;
    if (tail > maxLineBytes) capped++;
    consumed = buf.length;
    // Its rest (up to the LF still to come) belongs to the line just shipped; at eof nothing follows.
    nowSkipping = !eof;
  }
  for (const p of parts) bytes += p.length;
  return { consumed, parts, lines, bytes, capped, skipping: nowSkipping };
}
