/**
 * mulberry32: a tiny seeded pseudo-random generator (32-bit state, period 2^32) for reproducible
 * synthetic data and test orders; never for anything secret. Only 32-bit integer arithmetic, so the
 * same seed gives the same sequence on every platform.
 */

/** A step function over a 32-bit state: each call returns a uniform double in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's 32-bit finaliser (fmix32): a cheap, stateless mix with good avalanche, for hashing and seeded draws; never for anything secret. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
