import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Random, deriveSeed, mulberry32 } from './random.js';

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: readonly number[]) => {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
};
const draw = (n: number, f: () => number) => Array.from({ length: n }, f);

describe('mulberry32', () => {
  it('is a fixed sequence for a seed (pinned, so a change of algorithm is noticed)', () => {
    const r = mulberry32(1);
    assert.deepEqual([r(), r(), r()], [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });
  it('stays in [0, 1) and differs between seeds', () => {
    const a = mulberry32(7);
    const b = mulberry32(8);
    const xs = draw(10_000, a);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.notDeepEqual(draw(5, a), draw(5, b));
    assert.ok(Math.abs(mean(xs) - 0.5) < 0.02);
  });
});

describe('deriveSeed', () => {
  it('is deterministic and separates labels and seeds', () => {
    assert.equal(deriveSeed(1, 'deploys'), deriveSeed(1, 'deploys'));
    const seen = new Set<number>();
    for (let s = 0; s < 500; s++) for (const l of ['deploys', 'outages', 'tickets', 'hygiene', 'a', 'b']) seen.add(deriveSeed(s, l));
    assert.equal(seen.size, 3000);
  });
});

describe('Random', () => {
  it('same seed -> same draws; fork is deterministic too', () => {
    const a = new Random(42);
    const b = new Random(42);
    assert.deepEqual(draw(20, () => a.normal()), draw(20, () => b.normal()));
    assert.deepEqual(draw(5, () => a.fork('x').next()), draw(5, () => b.fork('x').next()));
    assert.notDeepEqual(draw(5, () => new Random(1).next()), draw(5, () => new Random(2).next()));
  });

  const n = 20_000;
  const cases: Array<{ name: string; f: (r: Random) => number; mean: number; variance: number; tol: number }> = [
    { name: 'uniform(2, 6)', f: (r) => r.uniform(2, 6), mean: 4, variance: 16 / 12, tol: 0.05 },
    { name: 'normal(10, 2)', f: (r) => r.normal(10, 2), mean: 10, variance: 4, tol: 0.05 },
    { name: 'lognormal(0, 0.5)', f: (r) => r.lognormal(0, 0.5), mean: Math.exp(0.125), variance: (Math.exp(0.25) - 1) * Math.exp(0.25), tol: 0.06 },
    { name: 'exponential(3)', f: (r) => r.exponential(3), mean: 3, variance: 9, tol: 0.08 },
    { name: 'poisson(4)', f: (r) => r.poisson(4), mean: 4, variance: 4, tol: 0.05 },
    { name: 'poisson(80) (split in parts)', f: (r) => r.poisson(80), mean: 80, variance: 80, tol: 0.06 },
    { name: 'geometric(0.25)', f: (r) => r.geometric(0.25), mean: 0.25 / 0.75, variance: 0.25 / 0.75 ** 2, tol: 0.08 },
    { name: 'int(1, 6)', f: (r) => r.int(1, 6), mean: 3.5, variance: 35 / 12, tol: 0.05 },
  ];
  for (const c of cases) {
    it(`${c.name}: mean and variance within ${c.tol * 100} %`, () => {
      const r = new Random(123);
      const xs = draw(n, () => c.f(r));
      assert.ok(Math.abs(mean(xs) - c.mean) <= c.tol * c.mean, `mean ${mean(xs)} vs ${c.mean}`);
      assert.ok(Math.abs(variance(xs) - c.variance) <= 2 * c.tol * c.variance, `variance ${variance(xs)} vs ${c.variance}`);
    });
  }

  it('lognormalMedian has the given median; int stays in bounds; poisson(0) is 0', () => {
    const r = new Random(5);
    const xs = draw(10_001, () => r.lognormalMedian(6, 1.1)).sort((a, b) => a - b);
    assert.ok(Math.abs((xs[5000] as number) - 6) < 0.4);
    assert.ok(draw(5000, () => r.int(3, 5)).every((x) => x >= 3 && x <= 5 && Number.isInteger(x)));
    assert.equal(r.poisson(0), 0);
    assert.equal(r.geometric(0), 0);
    assert.throws(() => r.geometric(1), RangeError);
  });

  it('pick is uniform, weightedPick follows the weights', () => {
    const r = new Random(9);
    const counts = new Map<string, number>();
    for (let i = 0; i < 30_000; i++) {
      const v = r.weightedPick(['a', 'b', 'c'], [1, 2, 7]);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    assert.ok(Math.abs((counts.get('a') ?? 0) / 30_000 - 0.1) < 0.01);
    assert.ok(Math.abs((counts.get('c') ?? 0) / 30_000 - 0.7) < 0.015);
    assert.equal(r.weightedPick(['x', 'y'], [0, 1]), 'y');
    const picks = draw(9000, () => ['p', 'q', 'r'].indexOf(r.pick(['p', 'q', 'r'])));
    for (const k of [0, 1, 2]) assert.ok(Math.abs(picks.filter((x) => x === k).length / 9000 - 1 / 3) < 0.02);
    assert.throws(() => r.pick([]), RangeError);
    assert.throws(() => r.weightedPick(['a'], [0]), RangeError);
    assert.throws(() => r.weightedPick(['a', 'b'], [1]), RangeError);
  });

  it('sampleIndices: k distinct sorted indices in range', () => {
    const r = new Random(3);
    const s = r.sampleIndices(50, 10);
    assert.equal(new Set(s).size, 10);
    assert.deepEqual(s, [...s].sort((a, b) => a - b));
    assert.ok(s.every((i) => i >= 0 && i < 50));
    assert.deepEqual(r.sampleIndices(4, 4), [0, 1, 2, 3]);
    assert.throws(() => r.sampleIndices(2, 3), RangeError);
  });
});
