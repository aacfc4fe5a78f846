/** Request latencies of the simulators, summarised without keeping every sample. */

/** Latency percentiles, milliseconds (from a log histogram: within ~1 %). */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * Log-bucketed latency histogram (ms; buckets 1 % apart from 1 µs, so quantiles within ~1 %): O(1)
 * memory for millions of samples. The simulator's and the simulated poll fleet's.
 */
export class LatencyHistogram {
  private static readonly BASE = 1.01;
  private static readonly MIN_MS = 0.001;
  private readonly buckets = new Map<number, number>();
  count = 0;
  max = 0;

  /** Count one latency (ms). */
  add(ms: number): void {
    const v = Math.max(ms, LatencyHistogram.MIN_MS);
    const b = Math.ceil(Math.log(v / LatencyHistogram.MIN_MS) / Math.log(LatencyHistogram.BASE));
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** Count and quantiles (each at most the maximum seen); zeros when empty. */
  summary(): LatencySummary {
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    const max = Math.round(this.max * 1000) / 1000;
    const at = (q: number): number => {
      if (this.count === 0) return 0;
      const rank = Math.ceil(q * this.count);
      let seen = 0;
      for (const k of keys) {
        seen += this.buckets.get(k)!;
        if (seen >= rank) return Math.min(max, Math.round(LatencyHistogram.MIN_MS * LatencyHistogram.BASE ** k * 1000) / 1000);
      }
      return max;
    };
    return { count: this.count, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max };
  }
}
