/**
 * Error budgets for the three OpenSLO budgeting methods, pure and exact:
 *
 * - Occurrences: the SLI is good events / all events over the window (numerators and denominators
 *   are summed, never ratios averaged); the budget is (1 - target) × events, in events.
 * - Timeslices: the window is cut into slices; a slice with data is good when its own ratio meets
 *   the slice target; the SLI is good slices / slices with data; the budget is counted in slices
 *   (and so in minutes of "bad time").
 * - RatioTimeslices: the SLI is the mean of the slices' ratios (OpenSLO's definition, where every
 *   slice weighs the same whatever its traffic); the budget is counted in slices.
 *
 * "No data" is a state: an SLI with no event (or no slice with data) has sli, met, burn rate and
 * remaining budget null, never NaN. Coverage says how much of the window had data.
 */

/** OpenSLO budgeting methods. */
export type BudgetingMethod = 'Occurrences' | 'Timeslices' | 'RatioTimeslices';

/** Good and total events of a window or of one slice. */
export interface Counts {
  readonly good: number;
  readonly total: number;
}

/** What the budget is computed from. */
export type BudgetInput =
  | { readonly method: 'Occurrences'; readonly target: number; readonly counts: Counts }
  | {
      readonly method: 'Timeslices';
      readonly target: number;
      /** A slice is good when good/total >= this. */
      readonly sliceTarget: number;
      readonly sliceMs: number;
      /** Every slice of the window in order; null where there was no data. */
      readonly slices: ReadonlyArray<Counts | null>;
    }
  | { readonly method: 'RatioTimeslices'; readonly target: number; readonly sliceMs: number; readonly slices: ReadonlyArray<Counts | null> };

/** An evaluated SLO over one window. */
export interface BudgetResult {
  readonly state: 'ok' | 'no_data';
  /** The achieved ratio (0..1), null without data. */
  readonly sli: number | null;
  readonly target: number;
  /** sli >= target; null without data. */
  readonly met: boolean | null;
  /** sli - target (ratio points); null without data. */
  readonly margin: number | null;
  /** The unit of allowed/consumed/remaining. */
  readonly unit: 'events' | 'slices';
  /** Length of a slice (ms) for slice units: allowed × sliceMs is bad time allowed. */
  readonly sliceMs: number | null;
  /** Error budget of the window, in units: (1 - target) × events or slices with data. */
  readonly allowed: number;
  /** Spent: bad events, bad slices, or summed (1 - ratio) of the slices. */
  readonly consumed: number;
  /** allowed - consumed (negative: overspent). */
  readonly remaining: number;
  /** remaining / allowed: 1 untouched, 0 exhausted, negative overspent; null without data. */
  readonly remainingRatio: number | null;
  /** Error rate over the budget's rate: 1 spends exactly the budget over the window; null without data. */
  readonly burnRate: number | null;
  /** Events counted (Occurrences) or slices with data. */
  readonly observations: number;
  /** Share of the window's slices with data (1 for Occurrences with events, 0 without). */
  readonly coverage: number;
}

function checkTarget(target: number): void {
  if (!(target > 0 && target < 1)) throw new RangeError(`target must be a ratio in (0, 1), got ${target}`);
}

const finish = (base: Omit<BudgetResult, 'remaining' | 'remainingRatio' | 'burnRate' | 'met' | 'margin' | 'state'>): BudgetResult => {
  const noData = base.sli === null;
  const budget = 1 - base.target;
  return {
    ...base,
    state: noData ? 'no_data' : 'ok',
    met: noData ? null : base.sli! >= base.target,
    margin: noData ? null : base.sli! - base.target,
    remaining: base.allowed - base.consumed,
    remainingRatio: noData ? null : base.allowed > 0 ? (base.allowed - base.consumed) / base.allowed : null,
    burnRate: noData ? null : (1 - base.sli!) / budget,
  };
};

/** Evaluate an SLO's budget over one window. */
export function evaluateBudget(input: BudgetInput): BudgetResult {
  checkTarget(input.target);
  const budget = 1 - input.target;
  if (input.method === 'Occurrences') {
    const { good, total } = input.counts;
    if (good < 0 || total < 0 || good > total) throw new RangeError(`counts must satisfy 0 <= good <= total, got ${good}/${total}`);
    return finish({
      sli: total > 0 ? good / total : null, target: input.target, unit: 'events', sliceMs: null,
      allowed: budget * total, consumed: total - good, observations: total, coverage: total > 0 ? 1 : 0,
    });
  }
  const withData = input.slices.filter((s): s is Counts => s !== null && s.total > 0);
  const n = withData.length;
  const coverage = input.slices.length > 0 ? n / input.slices.length : 0;
  if (input.method === 'Timeslices') {
    if (!(input.sliceTarget > 0 && input.sliceTarget <= 1)) throw new RangeError(`sliceTarget must be in (0, 1], got ${input.sliceTarget}`);
    const good = withData.filter((s) => s.good / s.total >= input.sliceTarget).length;
    return finish({
      sli: n > 0 ? good / n : null, target: input.target, unit: 'slices', sliceMs: input.sliceMs,
      allowed: budget * n, consumed: n - good, observations: n, coverage,
    });
  }
  let sum = 0;
  for (const s of withData) sum += s.good / s.total;
  return finish({
    sli: n > 0 ? sum / n : null, target: input.target, unit: 'slices', sliceMs: input.sliceMs,
    allowed: budget * n, consumed: n - sum, observations: n, coverage,
  });
}

/**
 * How long until the budget is exhausted if the recent burn rate goes on: remaining share of the
 * window's budget × window length / burn rate. 0 when already exhausted; null when nothing burns
 * (or without data).
 */
export function timeToExhaustion(remainingRatio: number | null, burnRate: number | null, windowMs: number): number | null {
  if (remainingRatio === null || burnRate === null) return null;
  if (remainingRatio <= 0) return 0;
  if (burnRate <= 0) return null;
  return (remainingRatio * windowMs) / burnRate;
}
