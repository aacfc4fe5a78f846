/**
 * Server-side downsampling for the console's charts: a series of any length becomes at most
 * `maxPoints` points by keeping, per bucket of consecutive points, the lowest and the highest (in x
 * order), so peaks and dips survive (a volume filling up and being purged still shows both). Pure.
 */

/** A series as uPlot takes it: x values (ascending) and y values of the same length. */
export interface Series {
  readonly x: readonly number[];
  readonly y: readonly (number | null)[];
}

/** At most `maxPoints` (>= 4) points of `s`: first and last kept, min and max of each bucket between. */
export function downsampleMinMax(s: Series, maxPoints: number): { x: number[]; y: (number | null)[] } {
  const n = s.x.length;
  if (n <= maxPoints) return { x: [...s.x], y: [...s.y] };
  if (maxPoints < 4) throw new RangeError('maxPoints must be at least 4');
  const x: number[] = [s.x[0]!];
  const y: (number | null)[] = [s.y[0] ?? null];
  const buckets = Math.floor((maxPoints - 2) / 2);
  const inner = n - 2;
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    let lo = -1;
    let hi = -1;
    for (let i = from; i < to; i++) {
      const v = s.y[i];
      if (v === null || v === undefined) continue;
      if (lo === -1 || v < s.y[lo]!) lo = i;
      if (hi === -1 || v > s.y[hi]!) hi = i;
    }
    if (lo === -1) continue;
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) {
      x.push(s.x[i]!);
      y.push(s.y[i]!);
    }
  }
  x.push(s.x[n - 1]!);
  y.push(s.y[n - 1] ?? null);
  return { x, y };
}
