import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeViolations, formatVerdict, verdictPasses, verifyHistory, type HistoryRecord, type VerifyOptions } from './history.js';

const ok = (id: string, start: number, end: number, value: number): HistoryRecord => ({ id, start, end, outcome: 'ok', value });
const unknown = (id: string, start: number, end: number): HistoryRecord => ({ id, start, end, outcome: 'unknown', error: 'timeout' });
const rejected = (id: string, start: number, end: number): HistoryRecord => ({ id, start, end, outcome: 'rejected', error: 'HTTP 409' });

/** Sequential, non-overlapping requests on one id: values 1..n. */
const sequential = (id: string, n: number, t0 = 0): HistoryRecord[] => Array.from({ length: n }, (_, i) => ok(id, t0 + i * 10, t0 + i * 10 + 5, i + 1));

interface Expect {
  pass: boolean;
  requests?: number;
  okCount?: number;
  unknown?: number;
  rejected?: number;
  ids?: number;
  duplicates?: number;
  gaps?: number;
  unexplained?: number;
  inversions?: number;
  invalid?: number;
}

const cases: { name: string; records: HistoryRecord[]; options?: VerifyOptions; expect: Expect }[] = [
  { name: 'empty history', records: [], expect: { pass: true, requests: 0, okCount: 0, ids: 0, duplicates: 0, gaps: 0, inversions: 0 } },
  {
    name: 'clean sequential run',
    records: sequential('a', 5),
    expect: { pass: true, requests: 5, okCount: 5, unknown: 0, rejected: 0, ids: 1, duplicates: 0, gaps: 0, unexplained: 0, inversions: 0 },
  },
  {
    name: 'duplicate value (overlapping, so not also an inversion)',
    records: [ok('a', 0, 5, 1), ok('a', 10, 20, 2), ok('a', 12, 22, 2), ok('a', 30, 35, 3)],
    expect: { pass: false, duplicates: 1, gaps: 0, inversions: 0 },
  },
  {
    name: 'value handed out three times counts two duplicates',
    records: [ok('a', 0, 10, 1), ok('a', 1, 11, 1), ok('a', 2, 12, 1)],
    expect: { pass: false, duplicates: 2 },
  },
  {
    name: 'gap explained by an unknown request',
    records: [ok('a', 0, 5, 1), unknown('a', 10, 5010), ok('a', 5020, 5025, 3)],
    expect: { pass: true, unknown: 1, gaps: 1, unexplained: 0, inversions: 0 },
  },
  {
    name: 'gap not explained',
    records: [ok('a', 0, 5, 1), ok('a', 10, 15, 3), ok('a', 20, 25, 4)],
    expect: { pass: false, gaps: 1, unexplained: 1 },
  },
  {
    name: 'two gaps, one unknown: one unexplained',
    records: [ok('a', 0, 5, 1), unknown('a', 6, 9), ok('a', 10, 15, 3), ok('a', 20, 25, 5)],
    expect: { pass: false, gaps: 2, unexplained: 1 },
  },
  {
    name: 'rejected requests do not explain gaps',
    records: [ok('a', 0, 5, 1), rejected('a', 6, 8), rejected('a', 9, 9.5), ok('a', 10, 15, 3)],
    expect: { pass: false, rejected: 2, gaps: 1, unexplained: 1 },
  },
  {
    name: 'gap at the start (value 1 missing) is a gap',
    records: [ok('a', 0, 5, 2), ok('a', 10, 15, 3)],
    expect: { pass: false, gaps: 1, unexplained: 1 },
  },
  {
    name: 'real-time inversion: a ends before b starts, a got the larger number',
    records: [ok('a', 0, 5, 2), ok('a', 10, 15, 1)],
    expect: { pass: false, gaps: 0, duplicates: 0, inversions: 1 },
  },
  {
    name: 'inversion found far apart in time and value',
    records: [ok('a', 0, 1, 10), ...Array.from({ length: 9 }, (_, i) => ok('a', 100 + i, 101 + i, i + 1))],
    expect: { pass: false, inversions: 9 },
  },
  {
    name: 'overlapping requests with out-of-order values are not inversions',
    // b started before a ended: the server may have served b first.
    records: [ok('a', 0, 10, 2), ok('a', 5, 15, 1), ok('a', 9, 12, 3), ok('a', 11, 20, 4)],
    expect: { pass: true, inversions: 0, gaps: 0, duplicates: 0 },
  },
  {
    name: 'touching intervals (a.end == b.start) are concurrent, not ordered',
    records: [ok('a', 0, 10, 2), ok('a', 10, 20, 1)],
    expect: { pass: true, inversions: 0 },
  },
  {
    name: 'multiple ids are independent (same values on different ids are fine)',
    records: [...sequential('a', 3), ...sequential('b', 3, 1), ok('c', 0, 1, 1), unknown('c', 2, 3), ok('c', 4, 5, 3)],
    expect: { pass: true, ids: 3, okCount: 8, unknown: 1, gaps: 1, unexplained: 0, duplicates: 0, inversions: 0 },
  },
  {
    name: "an unknown on another id does not explain this id's gap",
    records: [ok('a', 0, 1, 1), ok('a', 2, 3, 3), unknown('b', 0, 1)],
    expect: { pass: false, gaps: 1, unexplained: 1 },
  },
  {
    name: 'startFrom: an existing id continues from its old value',
    records: [ok('a', 0, 1, 101), ok('a', 2, 3, 102), ok('b', 0, 1, 1)],
    options: { startFrom: { a: 100 } },
    expect: { pass: true, gaps: 0 },
  },
  {
    name: 'startFrom as a Map, with a gap right after the start',
    records: [ok('a', 0, 1, 102)],
    options: { startFrom: new Map([['a', 100]]) },
    expect: { pass: false, gaps: 1, unexplained: 1 },
  },
  {
    name: 'values at or below the start value are invalid',
    records: [ok('a', 0, 1, 0), ok('a', 2, 3, 1), ok('a', 4, 5, -3), ok('a', 6, 7, 2.5)],
    expect: { pass: false, invalid: 3, okCount: 4, gaps: 0 },
  },
  {
    name: 'trailing unknowns (numbers consumed beyond the max) are no gap',
    records: [ok('a', 0, 1, 1), unknown('a', 2, 3), unknown('a', 4, 5)],
    expect: { pass: true, gaps: 0 },
  },
];

for (const c of cases) {
  test(`verifyHistory: ${c.name}`, () => {
    const v = verifyHistory(c.records, c.options);
    const e = c.expect;
    assert.equal(v.ok, e.pass, `pass (${formatVerdict(v)})`);
    if (e.requests !== undefined) assert.equal(v.counts.requests, e.requests, 'requests');
    if (e.okCount !== undefined) assert.equal(v.counts.ok, e.okCount, 'ok count');
    if (e.unknown !== undefined) assert.equal(v.counts.unknown, e.unknown, 'unknown');
    if (e.rejected !== undefined) assert.equal(v.counts.rejected, e.rejected, 'rejected');
    if (e.ids !== undefined) assert.equal(v.counts.ids, e.ids, 'ids');
    if (e.duplicates !== undefined) assert.equal(v.duplicates.count, e.duplicates, 'duplicates');
    if (e.gaps !== undefined) assert.equal(v.gaps.count, e.gaps, 'gaps');
    if (e.unexplained !== undefined) assert.equal(v.unexplainedGaps.count, e.unexplained, 'unexplained gaps');
    if (e.inversions !== undefined) assert.equal(v.inversions.count, e.inversions, 'inversions');
    if (e.invalid !== undefined) assert.equal(v.invalid.count, e.invalid, 'invalid');
    // Every counted violation has at least one example, and describeViolations is empty on PASS.
    for (const f of [v.duplicates, v.unexplainedGaps, v.inversions, v.invalid]) assert.equal(f.count > 0, f.examples.length > 0);
    assert.equal(describeViolations(v).length === 0, v.ok);
  });
}

test('verifyHistory: examples name the offending records', () => {
  const v = verifyHistory([ok('q', 0, 5, 2), ok('q', 10, 15, 1), ok('q', 20, 25, 2), ok('q', 30, 31, 5)]);
  assert.deepEqual(v.duplicates.examples, [{ id: 'q', value: 2, times: 2 }]);
  assert.deepEqual(v.unexplainedGaps.examples, [{ id: 'q', missing: 2, unknown: 0, firstMissing: [3, 4] }]);
  assert.equal(v.inversions.count, 1);
  assert.deepEqual(v.inversions.examples[0], { id: 'q', earlier: { value: 2, start: 0, end: 5 }, later: { value: 1, start: 10, end: 15 } });
  const q = v.perId.find((p) => p.id === 'q');
  assert.deepEqual(q, { id: 'q', ok: 4, unknown: 0, rejected: 0, startFrom: 0, max: 5, gaps: 2, unexplainedGaps: 2 });
});

test('verifyHistory: examples are capped, counts are not', () => {
  const records = Array.from({ length: 50 }, (_, i) => ok(`id-${i}`, 0, 1, 2)); // every id misses 1
  const v = verifyHistory(records, { maxExamples: 3 });
  assert.equal(v.unexplainedGaps.count, 50);
  assert.equal(v.unexplainedGaps.examples.length, 3);
});

test('formatVerdict: pass, explained gaps, fail, stats', () => {
  const pass = verifyHistory([ok('a', 0, 1, 1), unknown('a', 2, 3), ok('a', 4, 5, 3)]);
  assert.equal(
    formatVerdict(pass, { rps: 8123.4, p50Ms: 2.14, p99Ms: 9.83 }),
    'turno check: PASS requests=3 ok=2 unknown=1 rejected=0 ids=1 duplicates=0 gaps=1 (explained by 1 unknown) inversions=0 rps=8123 p50=2.1ms p99=9.8ms',
  );
  const fail = verifyHistory([ok('a', 0, 1, 3), ok('a', 2, 3, 1)]);
  assert.equal(formatVerdict(fail), 'turno check: FAIL requests=2 ok=2 unknown=0 rejected=0 ids=1 duplicates=0 gaps=1 (1 unexplained) inversions=1');
  const nothingOk = verifyHistory([unknown('a', 0, 1), rejected('a', 2, 3)]);
  assert.equal(nothingOk.ok, true, 'no violation...');
  assert.equal(verdictPasses(nothingOk), false, '...but no evidence either');
  assert.match(formatVerdict(nothingOk), /^turno check: FAIL /);
  assert.equal(formatVerdict(verifyHistory([])), 'turno check: PASS requests=0 ok=0 unknown=0 rejected=0 ids=0 duplicates=0 gaps=0 inversions=0');
});

test('verifyHistory: 200k records (shuffled, concurrent-looking) verify correctly', () => {
  const ids = 10;
  const n = 200_000;
  // A correct concurrent history: value i is issued at time i, each request spans [i - jitter, i + jitter'].
  const records: HistoryRecord[] = [];
  const next = new Array<number>(ids).fill(0);
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let t = 0; t < n; t++) {
    const k = t % ids;
    const id = `perf-${k}`;
    if (t % 1000 === 7) {
      next[k]!++; // consumed, outcome unknown
      records.push(unknown(id, t - 3, t + 5000));
      continue;
    }
    const value = ++next[k]!;
    records.push(ok(id, t - rand() * 20, t + rand() * 20, value));
  }
  // Shuffle so the verifier cannot rely on input order.
  for (let i = records.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [records[i], records[j]] = [records[j]!, records[i]!];
  }
  const v = verifyHistory(records);
  assert.equal(v.ok, true, formatVerdict(v));
  assert.equal(v.counts.requests, n);
  assert.equal(v.counts.unknown, 200);
  assert.equal(v.gaps.count, 200);
  assert.equal(v.inversions.count, 0);

  // Break it: one record's value replaced by a far later one -> a duplicate, a gap, and an inversion.
  const idx = records.findIndex((r) => r.outcome === 'ok' && r.id === 'perf-3' && r.value === 10);
  records[idx] = ok('perf-3', -100, -90, 20);
  const broken = verifyHistory(records);
  assert.equal(broken.ok, false);
  assert.equal(broken.duplicates.count, 1);
  assert.equal(broken.unexplainedGaps.count, 1);
  assert.ok(broken.inversions.count >= 1);
});
