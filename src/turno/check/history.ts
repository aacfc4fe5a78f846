/**
 * The pure history verifier behind `vigia turno check`. A history is every request a load client
 * made: which id, when it started and ended (one monotonic clock), and how it ended. The verifier
 * checks the per-id guarantees of turno in O(n log n):
 *
 * - unique: no value handed out twice;
 * - consecutive: every value in (startFrom, max] was seen, except as many as there were requests
 *   whose outcome is unknown (each of those may have consumed one number the client never saw);
 * - linearizable: when request a ended before request b started, a got the smaller value.
 *
 * Only 'ok' records carry values. 'unknown' records (timeouts, resets, 5xx) may have consumed a number;
 * 'rejected' records (4xx) certainly did not, so they explain no gap.
 */

/** How one request ended: 200 with a value; maybe consumed a number; certainly consumed nothing. */
export type Outcome = 'ok' | 'unknown' | 'rejected';

/** One request of a history. Times are milliseconds from one monotonic clock (performance.now()). */
export interface HistoryRecord {
  readonly id: string;
  readonly start: number;
  readonly end: number;
  readonly outcome: Outcome;
  /** The number handed out; present exactly when outcome is 'ok'. */
  readonly value?: number;
  /** For non-ok records: a short reason (`timeout`, `HTTP 503 TURNO_ERR_STORE_UNAVAILABLE`, `ECONNRESET`). Ignored by the verifier. */
  readonly error?: string;
}

/** Options for {@link verifyHistory}. */
export interface VerifyOptions {
  /** Each id's counter value before the run (ids not listed start at 0, i.e. fresh ids). */
  readonly startFrom?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** How many examples each violation list keeps (default 5). */
  readonly maxExamples?: number;
}

/** A value handed out more than once. */
export interface DuplicateExample {
  readonly id: string;
  readonly value: number;
  /** How many ok responses carried it (>= 2). */
  readonly times: number;
}

/** An id with more missing values than unknown-outcome requests could explain. */
export interface GapExample {
  readonly id: string;
  /** Missing values on this id in total. */
  readonly missing: number;
  /** Unknown-outcome requests on this id. */
  readonly unknown: number;
  /** The first few missing values. */
  readonly firstMissing: readonly number[];
}

/** A real-time order violation: `earlier` ended before `later` started, yet got the larger value. */
export interface InversionExample {
  readonly id: string;
  readonly earlier: { readonly value: number; readonly start: number; readonly end: number };
  readonly later: { readonly value: number; readonly start: number; readonly end: number };
}

/** An ok record whose value is not an integer above the id's start value. */
export interface InvalidExample {
  readonly id: string;
  readonly value: number | undefined;
  readonly reason: string;
}

/** A list of problems: how many, and a few examples. */
export interface Findings<T> {
  readonly count: number;
  readonly examples: readonly T[];
}

/** Per-id summary. */
export interface IdSummary {
  readonly id: string;
  readonly ok: number;
  readonly unknown: number;
  readonly rejected: number;
  readonly startFrom: number;
  /** Highest value seen (startFrom when none). */
  readonly max: number;
  /** Values in (startFrom, max] never seen. */
  readonly gaps: number;
  /** max(0, gaps - unknown). */
  readonly unexplainedGaps: number;
}

/** The result of {@link verifyHistory}. `ok` is true when no guarantee was violated. */
export interface Verdict {
  readonly ok: boolean;
  readonly counts: {
    readonly requests: number;
    readonly ok: number;
    readonly unknown: number;
    readonly rejected: number;
    readonly ids: number;
  };
  /** `count` = ok responses beyond the first for each value (3 responses with value 7 count 2). */
  readonly duplicates: Findings<DuplicateExample>;
  /** Missing values over all ids, and the unknown-outcome requests that may explain them. */
  readonly gaps: { readonly count: number; readonly unknown: number };
  /** Sum over ids of max(0, missing - unknown); examples are per id. */
  readonly unexplainedGaps: Findings<GapExample>;
  /**
   * `count` = ok responses that started after some response with a larger value on the same id had
   * ended (each such response is part of at least one inverted pair; counting pairs would be O(n²)).
   */
  readonly inversions: Findings<InversionExample>;
  /** Ok records without an integer value above the id's start (a value of 0, -1, 1.5, or missing). */
  readonly invalid: Findings<InvalidExample>;
  readonly perId: readonly IdSummary[];
}

/** Throughput and latency figures that the one-line verdict shows after the checks. */
export interface VerdictStats {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const DEFAULT_EXAMPLES = 5;

interface OkRecord {
  readonly value: number;
  readonly start: number;
  readonly end: number;
}

interface IdBucket {
  readonly ok: OkRecord[];
  unknown: number;
  rejected: number;
}

/** Verify a history (see the module comment for the guarantees). Pure; O(n log n) in the number of records. */
export function verifyHistory(records: readonly HistoryRecord[], options: VerifyOptions = {}): Verdict {
  const maxExamples = options.maxExamples ?? DEFAULT_EXAMPLES;
  const startOf = startLookup(options.startFrom);
  const buckets = new Map<string, IdBucket>();
  let okCount = 0;
  let unknownCount = 0;
  let rejectedCount = 0;
  const invalid = collector<InvalidExample>(maxExamples);

  for (const r of records) {
    let b = buckets.get(r.id);
    if (!b) {
      b = { ok: [], unknown: 0, rejected: 0 };
      buckets.set(r.id, b);
    }
    if (r.outcome === 'unknown') {
      unknownCount++;
      b.unknown++;
    } else if (r.outcome === 'rejected') {
      rejectedCount++;
      b.rejected++;
    } else {
      okCount++;
      const v = r.value;
      const start = startOf(r.id);
      if (v === undefined || !Number.isSafeInteger(v)) invalid.add({ id: r.id, value: v, reason: 'not an integer' });
      else if (v <= start) invalid.add({ id: r.id, value: v, reason: `not above the start value ${start}` });
      else b.ok.push({ value: v, start: r.start, end: r.end });
    }
  }

  const duplicates = collector<DuplicateExample>(maxExamples);
  const unexplained = collector<GapExample>(maxExamples);
  const inversions = collector<InversionExample>(maxExamples);
  const perId: IdSummary[] = [];
  let gapTotal = 0;

  for (const [id, b] of buckets) {
    const startFrom = startOf(id);
    const ok = b.ok.sort((x, y) => x.value - y.value);

    // Duplicates and gaps in one ascending pass over the sorted values.
    let gaps = 0;
    const firstMissing: number[] = [];
    let prev = startFrom;
    for (let i = 0; i < ok.length; ) {
      const v = ok[i]!.value;
      let j = i + 1;
      while (j < ok.length && ok[j]!.value === v) j++;
      if (j - i > 1) {
        duplicates.add({ id, value: v, times: j - i }, j - i - 1);
      }
      const missingHere = v - prev - 1;
      if (missingHere > 0) {
        gaps += missingHere;
        for (let m = prev + 1; m < v && firstMissing.length < maxExamples; m++) firstMissing.push(m);
      }
      prev = v;
      i = j;
    }
    const max = prev;
    gapTotal += gaps;
    const unexplainedHere = Math.max(0, gaps - b.unknown);
    if (unexplainedHere > 0) unexplained.add({ id, missing: gaps, unknown: b.unknown, firstMissing }, unexplainedHere);

    // Inversions: scan from the highest value down, keeping the earliest end among strictly higher
    // values. An op that started after that end saw a larger number complete before it began.
    let minEnd = Infinity;
    let minEndOp: OkRecord | undefined;
    for (let i = ok.length - 1; i >= 0; ) {
      const v = ok[i]!.value;
      let j = i;
      while (j >= 0 && ok[j]!.value === v) j--;
      // Records j+1..i share value v: check them all against higher values before adding them.
      for (let k = i; k > j; k--) {
        const op = ok[k]!;
        if (op.start > minEnd && minEndOp) {
          inversions.add({ id, earlier: { ...minEndOp }, later: { ...op } });
        }
      }
      for (let k = i; k > j; k--) {
        const op = ok[k]!;
        if (op.end < minEnd) {
          minEnd = op.end;
          minEndOp = op;
        }
      }
      i = j;
    }

    perId.push({ id, ok: ok.length, unknown: b.unknown, rejected: b.rejected, startFrom, max, gaps, unexplainedGaps: unexplainedHere });
  }

  const verdict: Verdict = {
    ok: duplicates.count === 0 && unexplained.count === 0 && inversions.count === 0 && invalid.count === 0,
    counts: { requests: records.length, ok: okCount, unknown: unknownCount, rejected: rejectedCount, ids: buckets.size },
    duplicates: duplicates.result(),
    gaps: { count: gapTotal, unknown: unknownCount },
    unexplainedGaps: unexplained.result(),
    inversions: inversions.result(),
    invalid: invalid.result(),
    perId,
  };
  return verdict;
}

/**
 * Whether a run passed: no violation, and some evidence (at least one ok response when any request
 * was made; a run where every request failed proves nothing and must not read as PASS).
 */
export function verdictPasses(verdict: Verdict): boolean {
  return verdict.ok && (verdict.counts.requests === 0 || verdict.counts.ok > 0);
}

/**
 * The one-line verdict (PASS/FAIL as {@link verdictPasses}), e.g.
 * `turno check: PASS requests=20000 ok=19990 unknown=10 rejected=0 ids=10 duplicates=0 gaps=3 (explained by 10 unknown) inversions=0 rps=8123 p50=2.1ms p99=9.8ms`.
 * `invalid=N` appears only when N > 0; the timing fields only when `stats` is given.
 */
export function formatVerdict(verdict: Verdict, stats?: VerdictStats): string {
  const c = verdict.counts;
  const parts = [
    `turno check: ${verdictPasses(verdict) ? 'PASS' : 'FAIL'}`,
    `requests=${c.requests}`,
    `ok=${c.ok}`,
    `unknown=${c.unknown}`,
    `rejected=${c.rejected}`,
    `ids=${c.ids}`,
    `duplicates=${verdict.duplicates.count}`,
  ];
  const g = verdict.gaps.count;
  if (g === 0) parts.push('gaps=0');
  else if (verdict.unexplainedGaps.count === 0) parts.push(`gaps=${g} (explained by ${verdict.gaps.unknown} unknown)`);
  else parts.push(`gaps=${g} (${verdict.unexplainedGaps.count} unexplained)`);
  parts.push(`inversions=${verdict.inversions.count}`);
  if (verdict.invalid.count > 0) parts.push(`invalid=${verdict.invalid.count}`);
  if (stats) parts.push(`rps=${Math.round(stats.rps)}`, `p50=${formatMs(stats.p50Ms)}`, `p99=${formatMs(stats.p99Ms)}`);
  return parts.join(' ');
}

/**
 * Human-readable lines describing each violation's examples (empty when the verdict passed), for
 * stderr after a FAIL line.
 */
export function describeViolations(verdict: Verdict): string[] {
  const lines: string[] = [];
  for (const d of verdict.duplicates.examples) lines.push(`duplicate: id ${d.id} value ${d.value} handed out ${d.times} times`);
  for (const g of verdict.unexplainedGaps.examples) {
    lines.push(`unexplained gap: id ${g.id} is missing ${g.missing} value(s) but had only ${g.unknown} unknown-outcome request(s); first missing: ${g.firstMissing.join(', ')}`);
  }
  for (const i of verdict.inversions.examples) {
    lines.push(
      `inversion: id ${i.id} value ${i.earlier.value} ended at ${i.earlier.end.toFixed(3)} ms, before value ${i.later.value} started at ${i.later.start.toFixed(3)} ms`,
    );
  }
  for (const v of verdict.invalid.examples) lines.push(`invalid value: id ${v.id} value ${String(v.value)}: ${v.reason}`);
  return lines;
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return `${ms < 1 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)}ms`;
}

function startLookup(startFrom: VerifyOptions['startFrom']): (id: string) => number {
  if (!startFrom) return () => 0;
  if (startFrom instanceof Map) return (id) => startFrom.get(id) ?? 0;
  const rec = startFrom as Readonly<Record<string, number>>;
  return (id) => (Object.hasOwn(rec, id) ? (rec[id] ?? 0) : 0);
}

function collector<T>(maxExamples: number): { add(example: T, weight?: number): void; readonly count: number; result(): Findings<T> } {
  const examples: T[] = [];
  let count = 0;
  return {
    add(example, weight = 1) {
      count += weight;
      if (examples.length < maxExamples) examples.push(example);
    },
    get count() {
      return count;
    },
    result: () => ({ count, examples }),
  };
}
