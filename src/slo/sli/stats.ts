/**
 * Summary statistics of a sample, named so a report can say which one it shows: mean, median,
 * p90 (and any quantile). Quantiles use linear interpolation between closest ranks (NumPy's default,
 * R type 7). An empty sample has no statistic: null, never NaN.
 */

/** A statistic a report can name. */
export type StatisticName = 'mean' | 'median' | 'p90' | 'p95' | 'p99' | 'min' | 'max';

/** All statistics of a sample (values need not be sorted). */
export interface Summary {
  readonly count: number;
  readonly mean: number | null;
  readonly median: number | null;
  readonly p90: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

/** Quantile q in [0, 1] of ascending-sorted values (linear interpolation); null when empty. */
export function quantileSorted(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Summarize a sample. */
export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  let sum = 0;
  for (const v of s) sum += v;
  return {
    count: s.length,
    mean: s.length > 0 ? sum / s.length : null,
    median: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    p95: quantileSorted(s, 0.95),
    p99: quantileSorted(s, 0.99),
    min: s.length > 0 ? s[0]! : null,
    max: s.length > 0 ? s[s.length - 1]! : null,
  };
}
