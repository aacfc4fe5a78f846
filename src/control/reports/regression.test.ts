import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daysUntilFull, fitLine, sumsOf, timeUntilFull } from './regression.js';

const line = (slope: number, intercept: number, xs: number[]) => sumsOf(xs.map((x) => [x, intercept + slope * x] as const));
const DAY = 86_400;

test('fitLine: table', () => {
  const cases: { name: string; sums: Parameters<typeof fitLine>[0]; want: { slope: number; intercept: number } | null }[] = [
    { name: 'null sums', sums: null, want: null },
    { name: 'no points', sums: sumsOf([]), want: null },
    { name: 'one point', sums: sumsOf([[5, 10]]), want: null },
    { name: 'all x equal (zero variance)', sums: sumsOf([[5, 10], [5, 20], [5, 30]]), want: null },
    { name: 'non-finite sums', sums: { n: 3, sx: NaN, sy: 1, sxx: 1, sxy: 1 }, want: null },
    { name: 'exact line', sums: line(2, 7, [0, 1, 2, 3]), want: { slope: 2, intercept: 7 } },
    { name: 'falling line', sums: line(-3, 100, [0, 10, 20]), want: { slope: -3, intercept: 100 } },
    { name: 'flat line', sums: line(0, 42, [0, 1, 2]), want: { slope: 0, intercept: 42 } },
    // A week of minute samples of a 10 TB volume growing 1 GB/day: sums near 1e25, slope must survive.
    {
      name: 'large sums, small growth',
      sums: line(1e9 / DAY, 1e13, Array.from({ length: 10_080 }, (_, i) => i * 60)),
      want: { slope: 1e9 / DAY, intercept: 1e13 },
    },
  ];
  for (const c of cases) {
    const got = fitLine(c.sums);
    if (c.want === null) {
      assert.equal(got, null, c.name);
    } else {
      assert.ok(got, c.name);
      assert.ok(Math.abs(got.slope - c.want.slope) <= 1e-6 * Math.max(1, Math.abs(c.want.slope)), `${c.name}: slope ${got.slope}`);
      assert.ok(Math.abs(got.intercept - c.want.intercept) <= 1e-6 * Math.max(1, Math.abs(c.want.intercept)), `${c.name}: intercept ${got.intercept}`);
    }
  }
});

test('fitLine: constant y with huge values is flat, not noise', () => {
  const got = fitLine(line(0, 9.99e14, Array.from({ length: 10_080 }, (_, i) => i * 60)));
  assert.ok(got);
  assert.equal(got.slope, 0);
});

test('timeUntilFull / daysUntilFull: table', () => {
  const growing = line(100, 0, [0, 10, 20]); // 100 B/s from 0
  const cases: { name: string; got: number | null; want: number | null }[] = [
    { name: 'no fit', got: timeUntilFull(null, 1000, 0), want: null },
    { name: 'no size', got: timeUntilFull(fitLine(growing), null, 0), want: null },
    { name: 'zero size', got: timeUntilFull(fitLine(growing), 0, 0), want: null },
    { name: 'growing', got: timeUntilFull(fitLine(growing), 10_000, 20), want: 80 },
    { name: 'already past size', got: timeUntilFull(fitLine(growing), 1_000, 20), want: 0 },
    { name: 'flat', got: timeUntilFull(fitLine(line(0, 5, [0, 1])), 1000, 1), want: Infinity },
    { name: 'shrinking', got: timeUntilFull(fitLine(line(-1, 500, [0, 1])), 1000, 1), want: Infinity },
    { name: 'days: 1 GB/day, 10 GB left', got: daysUntilFull(line(1e9 / DAY, 0, [0, DAY]), 11e9, DAY), want: 10 },
    { name: 'days: one sample', got: daysUntilFull(sumsOf([[0, 1]]), 10, 0), want: null },
  ];
  for (const c of cases) {
    if (c.want === null || c.want === Infinity || c.want === 0) assert.equal(c.got, c.want, c.name);
    else {
      assert.ok(c.got !== null);
      assert.ok(Math.abs(c.got - c.want) < 1e-6, `${c.name}: ${c.got}`);
    }
  }
});
