/**
 * A Zipf sampler: rank k (0-based) of n is drawn with probability proportional to 1/(k+1)^s. Web traffic
 * over URLs, and requests per client, follow this shape closely (a few pages take most hits, a long tail
 * is visited once), which is what makes the "who visited URL X" question cheap or expensive per URL.
 */

/** A prepared Zipf distribution over ranks 0..n-1. */
export interface Zipf {
  readonly n: number;
  readonly exponent: number;
  /** The rank for a uniform draw `u` in [0, 1) (inverse CDF; binary search, no allocation). */
  rank(u: number): number;
  /** The probability of rank `k` (for tests and docs). */
  probability(k: number): number;
}

/** Build the CDF once (n doubles); throws RangeError for n < 1 or n > 10,000,000 or a negative exponent. */
export function zipf(n: number, exponent: number): Zipf {
  if (!Number.isInteger(n) || n < 1 || n > 10_000_000) throw new RangeError(`zipf: n must be an integer from 1 to 10000000, got ${n}`);
  if (!(exponent >= 0) || !Number.isFinite(exponent)) throw new RangeError(`zipf: exponent must be >= 0, got ${exponent}`);
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += 1 / Math.pow(k + 1, exponent);
    cdf[k] = sum;
  }
  for (let k = 0; k < n; k++) cdf[k] = cdf[k]! / sum;
  cdf[n - 1] = 1;
  return {
    n,
    exponent,
    rank(u: number): number {
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cdf[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    },
    probability(k: number): number {
      return k === 0 ? cdf[0]! : cdf[k]! - cdf[k - 1]!;
    },
  };
}
