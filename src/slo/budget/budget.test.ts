/** Budget math: expected values worked out by hand in each row's comment. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateBudget, timeToExhaustion, type BudgetInput, type BudgetResult } from './budget.js';

const close = (a: number | null, b: number | null, what: string): void => {
  if (a === null || b === null) return assert.equal(a, b, what);
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);
};

const MIN = 60_000;

test('evaluateBudget: table', () => {
  const rows: Array<{ name: string; input: BudgetInput; want: Partial<Record<keyof BudgetResult, unknown>> }> = [
    {
      // 10 bad of 10,000 at 99.9 %: exactly the budget (10 events), burn rate 1.
      name: 'occurrences, budget exactly spent',
      input: { method: 'Occurrences', target: 0.999, counts: { good: 9990, total: 10_000 } },
      want: { state: 'ok', sli: 0.999, met: true, margin: 0, allowed: 10, consumed: 10, remaining: 0, remainingRatio: 0, burnRate: 1, observations: 10_000, coverage: 1 },
    },
    {
      // 4 bad of 10,000 at 99.9 %: allowed 10, 6 left (60 %), burn rate 0.0004/0.001 = 0.4.
      name: 'occurrences, budget partly spent',
      input: { method: 'Occurrences', target: 0.999, counts: { good: 9996, total: 10_000 } },
      want: { sli: 0.9996, met: true, margin: 0.0006, allowed: 10, consumed: 4, remaining: 6, remainingRatio: 0.6, burnRate: 0.4 },
    },
    {
      // Sum, never average: day 1 has 1 bad of 10 (90 %), day 2 none of 990 (100 %). The mean of the
      // ratios would say 95 %; the events say 999 of 1,000 = 99.9 %.
      name: 'occurrences sums numerators and denominators',
      input: { method: 'Occurrences', target: 0.94, counts: { good: 9 + 990, total: 10 + 990 } },
      want: { sli: 0.999, met: true, consumed: 1, allowed: 60 },
    },
    {
      // 94 % target, 5,000 good of 6,000 (83.3 %): allowed 360, spent 1,000, overspent 640 (-177.8 %), burn 2.78.
      name: 'occurrences, overspent',
      input: { method: 'Occurrences', target: 0.94, counts: { good: 5000, total: 6000 } },
      want: { met: false, allowed: 360, consumed: 1000, remaining: -640, remainingRatio: -640 / 360, burnRate: (1000 / 6000) / 0.06 },
    },
    {
      name: 'occurrences without events: no data, not NaN',
      input: { method: 'Occurrences', target: 0.99, counts: { good: 0, total: 0 } },
      want: { state: 'no_data', sli: null, met: null, margin: null, allowed: 0, consumed: 0, remaining: 0, remainingRatio: null, burnRate: null, coverage: 0 },
    },
    {
      // 10 one-minute slices, one without data; slice target 95 %: 0.9 fails, 0.96 passes: 8 good of 9.
      // Target 90 %: allowed 0.9 slices, spent 1: overspent by 0.1 slice (6 s), remaining ratio -1/9.
      name: 'timeslices',
      input: {
        method: 'Timeslices', target: 0.9, sliceTarget: 0.95, sliceMs: MIN,
        slices: [{ good: 10, total: 10 }, { good: 5, total: 5 }, { good: 90, total: 100 }, { good: 1, total: 1 }, { good: 2, total: 2 }, { good: 3, total: 3 }, { good: 4, total: 4 }, { good: 6, total: 6 }, { good: 96, total: 100 }, null],
      },
      want: { sli: 8 / 9, met: false, margin: 8 / 9 - 0.9, unit: 'slices', sliceMs: MIN, allowed: 0.9, consumed: 1, remaining: -0.1, remainingRatio: -0.1 / 0.9, observations: 9, coverage: 0.9 },
    },
    {
      // Mean of the slice ratios: (0.9 + 1 + 0.5) / 3 = 0.8 at target 0.9: burn 0.2/0.1 = 2; allowed 0.3 slices, spent 0.1 + 0 + 0.5 = 0.6.
      name: 'ratio timeslices',
      input: { method: 'RatioTimeslices', target: 0.9, sliceMs: MIN, slices: [{ good: 90, total: 100 }, { good: 1, total: 1 }, { good: 50, total: 100 }, null] },
      want: { sli: 0.8, met: false, burnRate: 2, allowed: 0.3, consumed: 0.6, remaining: -0.3, remainingRatio: -1, observations: 3, coverage: 0.75 },
    },
    {
      name: 'slices without data anywhere: no data',
      input: { method: 'RatioTimeslices', target: 0.9, sliceMs: MIN, slices: [null, { good: 0, total: 0 }] },
      want: { state: 'no_data', sli: null, met: null, burnRate: null, remainingRatio: null, observations: 0, coverage: 0 },
    },
    {
      name: 'an empty window: no data',
      input: { method: 'Timeslices', target: 0.9, sliceTarget: 0.9, sliceMs: MIN, slices: [] },
      want: { state: 'no_data', sli: null, coverage: 0 },
    },
  ];
  for (const r of rows) {
    const got = evaluateBudget(r.input);
    for (const [k, v] of Object.entries(r.want)) {
      const g = got[k as keyof BudgetResult];
      if (typeof v === 'number' || (v === null && (typeof g === 'number' || g === null))) close(g as number | null, v as number | null, `${r.name}: ${k}`);
      else assert.deepEqual(g, v, `${r.name}: ${k}`);
      if (typeof g === 'number') assert.ok(Number.isFinite(g), `${r.name}: ${k} is finite`);
    }
  }
});

test('evaluateBudget refuses impossible input', () => {
  assert.throws(() => evaluateBudget({ method: 'Occurrences', target: 1, counts: { good: 1, total: 1 } }), /target/);
  assert.throws(() => evaluateBudget({ method: 'Occurrences', target: 0.9, counts: { good: 2, total: 1 } }), /good <= total/);
  assert.throws(() => evaluateBudget({ method: 'Timeslices', target: 0.9, sliceTarget: 0, sliceMs: MIN, slices: [] }), /sliceTarget/);
});

test('timeToExhaustion: remaining share × window / burn rate', () => {
  const day = 86_400_000;
  // Half the 30-day budget left, burning at 2×: 0.5 × 30 d / 2 = 7.5 days.
  assert.equal(timeToExhaustion(0.5, 2, 30 * day), 7.5 * day);
  assert.equal(timeToExhaustion(-0.1, 2, 30 * day), 0, 'already exhausted');
  assert.equal(timeToExhaustion(0.5, 0, 30 * day), null, 'nothing burns');
  assert.equal(timeToExhaustion(null, 1, 30 * day), null, 'no data');
});
