/**
 * A small seeded pseudo-random source for the `vigia slo demo` generator: mulberry32 (32-bit state,
 * period 2^32, fast, good enough for synthetic data; not for anything secret) plus the few
 * distributions the generator needs. The same seed always yields the same sequence on every
 * platform: only 32-bit integer arithmetic and IEEE doubles, never Math.random or the clock.
 */
import { mulberry32 } from '../../core/random.js';

/** mulberry32 (core/random.ts): each call returns a uniform double in [0, 1). */
export { mulberry32 };

/**
 * Derives an independent 32-bit seed from a seed and a label (FNV-1a over the seed's bytes and the
 * label, then a murmur3 finaliser), so each table gets its own stream and changing one generator leaves the others' output alone.
 */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5;
  const s = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    h ^= (s >>> (8 * i)) & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // murmur3 finaliser: spreads nearby seeds apart
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seeded random source with the distributions the demo generator uses. Not thread-shared state: one per stream. */
export class Random {
  readonly #next: () => number;

  /** `seed` is taken modulo 2^32. */
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** A new independent stream derived from this one's next value and `label`. */
  fork(label: string): Random {
    return new Random(deriveSeed(Math.floor(this.#next() * 4294967296), label));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.#next();
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.#next();
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1));
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.#next() < p;
  }

  /** Normal(mean, sd) by Box-Muller (one value per two uniforms; the second is dropped to keep no state). */
  normal(mean = 0, sd = 1): number {
    const u1 = 1 - this.#next(); // (0, 1]: log is finite
    const u2 = this.#next();
    return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Log-normal: exp(Normal(mu, sigma)); the median is exp(mu), the mean exp(mu + sigma²/2). */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Log-normal given its median rather than mu. */
  lognormalMedian(median: number, sigma: number): number {
    return this.lognormal(Math.log(median), sigma);
  }

  /** Exponential with the given mean (> 0). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.#next());
  }

  /**
   * Poisson(lambda). Knuth's product method, which is exact but needs e^-lambda to stay well above
   * the double range, so large lambdas are drawn as a sum of Poisson(≤ 25) parts (Poisson is additive).
   */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    let total = 0;
    let rest = lambda;
    while (rest > 0) {
      const part = Math.min(rest, 25);
      rest -= part;
      const limit = Math.exp(-part);
      let k = 0;
      let p = this.#next();
      while (p > limit) {
        k++;
        p *= this.#next();
      }
      total += k;
    }
    return total;
  }

  /** Failures before the first success when each try fails with probability p (< 1). */
  geometric(p: number): number {
    if (!(p > 0)) return 0;
    if (p >= 1) throw new RangeError('geometric: p must be < 1');
    return Math.floor(Math.log(1 - this.#next()) / Math.log(p));
  }

  /** One element, uniformly; throws on an empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick: empty list');
    return items[Math.floor(this.#next() * items.length)] as T;
  }

  /** One element with probability proportional to its weight (weights ≥ 0, not all 0). */
  weightedPick<T>(items: readonly T[], weights: readonly number[]): T {
    if (items.length === 0 || items.length !== weights.length) throw new RangeError('weightedPick: items and weights differ');
    let sum = 0;
    for (const w of weights) sum += w;
    if (!(sum > 0)) throw new RangeError('weightedPick: weights sum to 0');
    let r = this.#next() * sum;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return items[i] as T;
    }
    return items[items.length - 1] as T; // rounding left r at ~0
  }

  /** `k` distinct indices of [0, n), in increasing order (partial Fisher-Yates). */
  sampleIndices(n: number, k: number): number[] {
    if (k > n) throw new RangeError('sampleIndices: k > n');
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(this.#next() * (n - i));
      const t = idx[i] as number;
      idx[i] = idx[j] as number;
      idx[j] = t;
    }
    return idx.slice(0, k).sort((a, b) => a - b);
  }
}
