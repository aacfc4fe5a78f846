/**
 * Evaluate one SLO over a report period from its data: the measured value (with the statistic
 * named), met / not met and the margin, the error budget (ratio and natural units), burn rate, the
 * month-by-month table, the budget over time, and the drivers a recommendation is drawn from.
 *
 * Pure: definitions and data in, a result out. Every "no data" is a state (null), never NaN.
 */
import { evaluateBudget, type BudgetInput, type BudgetResult, type Counts } from '../budget/budget.js';
import { calendarWindows, parseWallTime, wallClock, type TimeWindow } from '../budget/time-window.js';
import { THRESHOLD_UNITS, type DeployRow, type ObjectiveSpec, type OutageRow, type TicketRow, type RequestSeries, type SloDefinition, type ThresholdEvent } from '../model.js';
import { compare, thresholdEvents, type ValueEvent } from '../sli/events.js';
import { availability, isClientError } from '../sli/intervals.js';
import { summarize, type StatisticName } from '../sli/stats.js';
import { coveredPart, coveredShare, recordSpan } from './coverage.js';
import { findDrivers, type Driver } from './drivers.js';

/** The report period (half-open) and the zone its months are cut in. */
export interface ReportPeriod {
  readonly from: number;
  readonly to: number;
  readonly label: string;
  readonly timeZone: string;
}

/** What an SLI reads; the evaluator picks what its kind needs. */
export interface SliData {
  readonly deploys?: readonly DeployRow[];
  readonly tickets?: readonly TicketRow[];
  readonly outages?: readonly OutageRow[];
  /** Requests (records) or Prometheus good/bad events per step. */
  readonly requests?: RequestSeries;
  /** Share of the period the source had data for (Prometheus steps with data); absent: from the events. */
  readonly coverage?: number;
  /** What the source said about its data (gaps, missing series), shown with the SLO. */
  readonly sourceNotes?: readonly string[];
  /** Prometheus raw SLI: error ratio per step, `present` marks steps with data. */
  readonly errorRatio?: { readonly startMs: number; readonly stepMs: number; readonly errorRatio: Float64Array; readonly present: Uint8Array };
}

/** One month of the table. */
export interface MonthRow {
  readonly month: string;
  readonly from: number;
  readonly to: number;
  /** The measured value of the month (statistic or ratio), null without data. */
  readonly value: number | null;
  /** Share of good events (or good time) of the month. */
  readonly compliance: number | null;
  readonly met: boolean | null;
  readonly events: number;
  readonly bad: number;
  /** Share of the period's error budget spent this month (consumed / allowed of the period). */
  readonly budgetShare: number | null;
}

/** A budget in the SLI's natural unit (minutes of downtime, tickets, deploys ...). */
export interface NaturalBudget {
  readonly unit: string;
  readonly allowed: number;
  readonly consumed: number;
  readonly remaining: number;
}

/** The evaluation of one objective of one SLO. */
export interface SloResult {
  readonly name: string;
  readonly displayName: string;
  readonly service: string;
  readonly description: string;
  readonly source: string;
  readonly sliKind: SloDefinition['sli']['kind'];
  /** What is measured, in words ("availability from outage intervals; 4xx not counted"). */
  readonly sliLabel: string;
  readonly objective: ObjectiveSpec;
  /** The objective in words ("mean ≤ 3.5 h", "≥ 94 %"). */
  readonly objectiveLabel: string;
  /** Threshold SLIs: what a good event is ("≤ 36 h"); null for ratio SLIs. */
  readonly thresholdLabel: string | null;
  readonly state: 'ok' | 'no_data';
  /** The value judged against the objective, in `unit`. */
  readonly value: number | null;
  /** 'ratio' for ratio SLIs, or the statistic of a threshold SLI. */
  readonly statistic: StatisticName | 'ratio';
  /** '%' (value is a ratio 0..1), 'h' or 'failures'. */
  readonly unit: string;
  /** Share of good events / good time (the SLI as a ratio). */
  readonly compliance: number | null;
  readonly met: boolean | null;
  /** How far from the objective, in `unit`; positive = better than required. */
  readonly margin: number | null;
  /** Budget of the per-event (or per-minute) compliance against the target. */
  readonly budget: BudgetResult;
  /**
   * The budget the verdict follows: 'events' (bad events or minutes against the target) or, for a
   * mean objective, 'values' (the sum of the values may reach threshold × events); 'none' for other
   * statistics (p90 ≤ 100 h): the per-event budget is then shown for information only.
   */
  readonly budgetBasis: 'events' | 'values' | 'none';
  /** Remaining share of that budget (1 untouched, < 0 overspent); null without data. */
  readonly budgetLeft: number | null;
  /** Spend rate of that budget over the period: 1 spends it exactly; null without data. */
  readonly burnRate: number | null;
  /** What one event is ("gaps", "tickets", "minutes", "requests"). */
  readonly eventNoun: string;
  readonly natural: NaturalBudget;
  /** Statistic objectives (mean): the sum of values allowed (threshold × n) and spent. */
  readonly valueBudget: NaturalBudget | null;
  /** The day (its start) the period's budget ran out (cumulative spent > allowed); null if it did not. */
  readonly exhaustedAt: number | null;
  /** That day as YYYY-MM-DD in the period's zone. */
  readonly exhaustedOn: string | null;
  /** Burn rate over the last 30 days of the period (null without data). */
  readonly recentBurnRate: number | null;
  readonly events: number;
  readonly coverage: number;
  /** Open tickets / failures after a feature's last success / open outages. */
  readonly pending: number;
  readonly monthly: readonly MonthRow[];
  /** Daily points of the remaining budget ratio (1 untouched, < 0 overspent). */
  readonly budgetOverTime: ReadonlyArray<{ readonly at: number; readonly remainingRatio: number }>;
  readonly drivers: readonly Driver[];
  readonly notes: readonly string[];
  /** What a month without a single event reads as ("no deploys", "no tickets"; "no data" for time-based SLIs). */
  readonly noEventsText: string;
}

const MIN = 60_000;
const DAY = 86_400_000;

/** Natural unit of the per-event budget of a threshold SLI. */
function thresholdNoun(event: ThresholdEvent): string {
  switch (event) {
    case 'deploy_gap_hours':
      return 'gaps';
    case 'failures_per_deploy':
      return 'deploys';
    case 'ticket_resolution_hours':
      return 'tickets';
    case 'lead_time_hours':
      return 'deploys';
  }
}

const OP_TEXT = { lt: '<', lte: '≤', gt: '>', gte: '≥' } as const;
const INVERSE = { lt: 'gte', lte: 'gt', gt: 'lte', gte: 'lt' } as const;

/** "≤ 3.5 h" */
export function thresholdText(o: ObjectiveSpec, unit: string): string {
  return `${OP_TEXT[o.op ?? 'lte']} ${fmtNum(o.threshold ?? 0)}${unit === 'h' ? ' h' : ` ${unit}`}`;
}

const fmtNum = (x: number): string => (Number.isInteger(x) ? String(x) : String(Number(x.toFixed(3))));

/** Months of the period in its zone. */
export function periodMonths(p: ReportPeriod): TimeWindow[] {
  const start = wallClock(p.from, p.timeZone);
  return calendarWindows(p.from, p.to, { count: 1, unit: 'M' }, parseWallTime(`${start.y}-${String(start.mo).padStart(2, '0')}-01`, 'period'), p.timeZone).map((w) => ({
    start: Math.max(w.start, p.from),
    end: Math.min(w.end, p.to),
  }));
}

function monthLabel(at: number, tz: string): string {
  const w = wallClock(at, tz);
  return `${w.y}-${String(w.mo).padStart(2, '0')}`;
}

/** Cumulative counts: good/total over any [s, e) in O(log n) (events sorted by time). */
interface CountIndex {
  counts(s: number, e: number): Counts;
}

/** Days of the period in its zone (DST days are 23 or 25 hours), clipped to the period. */
function periodDays(p: ReportPeriod): TimeWindow[] {
  const start = wallClock(p.from, p.timeZone);
  const origin = parseWallTime(`${start.y}-${String(start.mo).padStart(2, '0')}-${String(start.d).padStart(2, '0')}`, 'period');
  return calendarWindows(p.from, p.to, { count: 1, unit: 'd' }, origin, p.timeZone).map((d) => ({ start: Math.max(d.start, p.from), end: Math.min(d.end, p.to) }));
}

/** "2025-11-15" in the period's zone. */
export function dayLabel(at: number, tz: string): string {
  const w = wallClock(at, tz);
  return `${w.y}-${String(w.mo).padStart(2, '0')}-${String(w.d).padStart(2, '0')}`;
}

/**
 * How a budget is spent over time, whatever the budgeting method: `spent(s, e)` is the budget units
 * consumed in [s, e) (bad events, bad minutes, bad slices, summed values), `allowed` the period's.
 */
interface Spend {
  readonly spent: (s: number, e: number) => number;
  readonly allowed: number;
}

/** Daily remaining-budget points and the day the budget ran out (its start; null if it did not). */
function budgetCurve(days: readonly TimeWindow[], spend: Spend): { points: Array<{ at: number; remainingRatio: number }>; exhaustedAt: number | null } {
  const points: Array<{ at: number; remainingRatio: number }> = [];
  let consumed = 0;
  let exhaustedAt: number | null = null;
  for (const d of days) {
    consumed += spend.spent(d.start, d.end);
    if (exhaustedAt === null && consumed > spend.allowed + 1e-9) exhaustedAt = d.start;
    points.push({ at: d.end, remainingRatio: spend.allowed > 0 ? 1 - consumed / spend.allowed : consumed > 0 ? -1 : 1 });
  }
  return { points, exhaustedAt };
}

/** Slices of the period for the time-slice methods, each with its counts (null: no data). */
interface Slices {
  readonly sliceMs: number;
  readonly from: number;
  readonly counts: ReadonlyArray<Counts | null>;
  /** Budget units one slice spends: Timeslices 0/1, RatioTimeslices 1 - ratio. */
  readonly cost: (c: Counts) => number;
}

function makeSlices(slo: SloDefinition, o: ObjectiveSpec, w: TimeWindow, idx: CountIndex): Slices | null {
  if (slo.budgeting === 'Occurrences') return null;
  const sliceMs = o.timeSliceWindowMs ?? 5 * MIN;
  const counts: Array<Counts | null> = [];
  for (let s = w.start; s < w.end; s += sliceMs) {
    const c = idx.counts(s, Math.min(w.end, s + sliceMs));
    counts.push(c.total > 0 ? c : null);
  }
  const sliceTarget = o.timeSliceTarget ?? o.target;
  const cost = slo.budgeting === 'Timeslices' ? (c: Counts): number => (c.good / c.total >= sliceTarget ? 0 : 1) : (c: Counts): number => 1 - c.good / c.total;
  return { sliceMs, from: w.start, counts, cost };
}

function budgetOf(slo: SloDefinition, o: ObjectiveSpec, whole: Counts, slices: Slices | null): BudgetResult {
  if (!slices) return evaluateBudget({ method: 'Occurrences', target: o.target, counts: whole });
  const input: BudgetInput =
    slo.budgeting === 'Timeslices'
      ? { method: 'Timeslices', target: o.target, sliceTarget: o.timeSliceTarget ?? o.target, sliceMs: slices.sliceMs, slices: slices.counts }
      : { method: 'RatioTimeslices', target: o.target, sliceMs: slices.sliceMs, slices: slices.counts };
  return evaluateBudget(input);
}

/** Budget spent in [s, e): bad events (occurrences) or the cost of the slices starting there. */
function spendOf(o: ObjectiveSpec, whole: Counts, idx: CountIndex, slices: Slices | null): Spend {
  if (!slices) return { spent: (s, e) => { const c = idx.counts(s, e); return c.total - c.good; }, allowed: (1 - o.target) * whole.total };
  let withData = 0;
  for (const c of slices.counts) if (c) withData++;
  return {
    spent: (s, e) => {
      let sum = 0;
      const i0 = Math.max(0, Math.ceil((s - slices.from) / slices.sliceMs));
      const i1 = Math.min(slices.counts.length, Math.ceil((e - slices.from) / slices.sliceMs));
      for (let i = i0; i < i1; i++) {
        const c = slices.counts[i];
        if (c) sum += slices.cost(c);
      }
      return sum;
    },
    allowed: (1 - o.target) * withData,
  };
}

/** The compliance of a sub-window in the budgeting method's terms (good share, good slices, mean ratio). */
function complianceOf(idx: CountIndex, slices: Slices | null, s: number, e: number): { value: number | null; observations: number } {
  if (!slices) {
    const c = idx.counts(s, e);
    return { value: c.total > 0 ? c.good / c.total : null, observations: c.total };
  }
  let n = 0;
  let cost = 0;
  const i0 = Math.max(0, Math.ceil((s - slices.from) / slices.sliceMs));
  const i1 = Math.min(slices.counts.length, Math.ceil((e - slices.from) / slices.sliceMs));
  for (let i = i0; i < i1; i++) {
    const c = slices.counts[i];
    if (!c) continue;
    n++;
    cost += slices.cost(c);
  }
  return { value: n > 0 ? 1 - cost / n : null, observations: n };
}

/** Counts of good/total over [s, e) from a request series (bucket-aligned), via prefix sums. */
function seriesIndex(r: RequestSeries, countClientErrors: boolean): CountIndex {
  const n = r.total.length;
  const total = new Float64Array(n + 1);
  const bad = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    total[i + 1] = total[i]! + r.total[i]!;
    bad[i + 1] = bad[i]! + r.serverErrors[i]! + (countClientErrors ? r.clientErrors[i]! : 0);
  }
  return {
    counts(s, e) {
      const i0 = Math.min(n, Math.max(0, Math.ceil((s - r.startMs) / r.bucketMs)));
      const i1 = Math.min(n, Math.max(i0, Math.ceil((e - r.startMs) / r.bucketMs)));
      const t = total[i1]! - total[i0]!;
      return { good: t - (bad[i1]! - bad[i0]!), total: t };
    },
  };
}

/** Prometheus raw SLI: each step with data is one observation, good = 1 - error ratio. */
function rawIndex(r: NonNullable<SliData['errorRatio']>): CountIndex {
  const n = r.errorRatio.length;
  const total = new Float64Array(n + 1);
  const good = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const has = r.present[i] ? 1 : 0;
    total[i + 1] = total[i]! + has;
    good[i + 1] = good[i]! + (has ? 1 - Math.min(1, Math.max(0, r.errorRatio[i]!)) : 0);
  }
  return {
    counts(s, e) {
      const i0 = Math.min(n, Math.max(0, Math.ceil((s - r.startMs) / r.stepMs)));
      const i1 = Math.min(n, Math.max(i0, Math.ceil((e - r.startMs) / r.stepMs)));
      return { good: good[i1]! - good[i0]!, total: total[i1]! - total[i0]! };
    },
  };
}

/** Uptime/total minutes over [s, e) from merged outage spans (already clipped to the period). */
function downtimeIndex(merged: ReadonlyArray<readonly [number, number]>, covered: TimeWindow | null): CountIndex {
  const starts = merged.map((m) => m[0]);
  return {
    counts(s, e) {
      if (!covered) return { good: 0, total: 0 };
      const a = Math.max(s, covered.start);
      const b = Math.min(e, covered.end);
      if (b <= a) return { good: 0, total: 0 };
      let down = 0;
      // First span that may end after a: spans are disjoint and sorted.
      let i = Math.max(0, upperBound(starts, a) - 1);
      for (; i < merged.length && merged[i]![0] < b; i++) down += Math.max(0, Math.min(b, merged[i]![1]) - Math.max(a, merged[i]![0]));
      return { good: (b - a - down) / MIN, total: (b - a) / MIN };
    },
  };
}

/** Index of the first element > x in ascending `xs`. */
function upperBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element >= x in ascending `xs`. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Evaluate every objective of an SLO over the period. */
export function evaluateSlo(slo: SloDefinition, data: SliData, period: ReportPeriod): SloResult[] {
  return slo.objectives.map((o) => evaluateObjective(slo, o, data, period));
}

function evaluateObjective(slo: SloDefinition, o: ObjectiveSpec, data: SliData, period: ReportPeriod): SloResult {
  const w: TimeWindow = { start: period.from, end: period.to };
  const months = periodMonths(period);
  const days = periodDays(period);
  const base = {
    name: slo.name, displayName: slo.displayName, service: slo.service, description: slo.description, source: slo.source,
    sliKind: slo.sli.kind, objective: o,
  };
  const sli = slo.sli;
  if (sli.kind === 'threshold') return evaluateThreshold(slo, o, sli.event, data, period, months, days, base);

  let idx: CountIndex;
  let sliLabel: string;
  let unitNoun: string;
  let eventNoun: string;
  let perUnit = 1;
  const notes: string[] = [];
  let pending = 0;
  let drivers: Driver[] = [];
  let coverage: number | undefined = data.coverage;
  if (sli.kind === 'availability') {
    const outages = data.outages;
    const a = availability(outages ?? [], w, { countClientErrors: sli.countClientErrors });
    // Coverage: a record log says nothing about time it does not reach. Only the part of the period
    // between the source's first and last record (any table: deploys and tickets show the export
    // went on) is measured; the rest is no data, never "up".
    const covered = outages && outages.length > 0 ? coveredPart(w, recordSpan(data)) : null;
    idx = downtimeIndex(a.merged, covered);
    coverage = covered ? (covered.end - covered.start) / (w.end - w.start) : 0;
    pending = a.openOutages;
    if (!outages) notes.push('no outage log in the data source: no data');
    else if (!covered) notes.push('no outage record in or around the period: no data (a log with no outage at all cannot tell "always up" from "not logged")');
    else if (covered.start > w.start || covered.end < w.end) notes.push(spanNote(covered, w, period.timeZone));
    if (a.openOutages > 0) notes.push(`${a.openOutages} outage(s) without an "up" time are counted as down until the end of the period`);
    if (a.ignoredClientErrors > 0) notes.push(`${a.ignoredClientErrors} outage record(s) with a 4xx code are not counted as downtime (4xx ${sli.countClientErrors ? 'counted' : 'not counted'})`);
    sliLabel = `availability (time) from outage intervals, merged and clipped to the period; 4xx ${sli.countClientErrors ? 'counted as down' : 'not counted'}`;
    unitNoun = 'minutes of downtime';
    eventNoun = 'minutes';
    if (covered) drivers = availabilityDrivers(outages ?? [], w, sli.countClientErrors, o.target);
  } else if (sli.kind === 'requests' || sli.kind === 'prometheus-ratio') {
    const r = data.requests;
    idx = r ? seriesIndex(r, sli.kind === 'requests' ? sli.countClientErrors : false) : { counts: () => ({ good: 0, total: 0 }) };
    sliLabel = sli.kind === 'requests' ? `good requests / all requests (5xx bad; 4xx ${sli.countClientErrors ? 'bad' : 'good'})` : 'good events / all events (Prometheus)';
    unitNoun = 'failed requests';
    eventNoun = 'requests';
    if (r && sli.kind === 'requests') drivers = requestDrivers(r, o.target, sli.countClientErrors);
    if (r && data.coverage === undefined) {
      const covered = coveredPart(w, recordSpan(data));
      coverage = coveredShare(w, covered);
      if (covered && (covered.start > w.start || covered.end < w.end)) notes.push(spanNote(covered, w, period.timeZone));
    }
  } else {
    const r = data.errorRatio;
    idx = r ? rawIndex(r) : { counts: () => ({ good: 0, total: 0 }) };
    sliLabel = 'error ratio (Prometheus), each step weighs the same';
    unitNoun = 'minutes at full error';
    eventNoun = 'steps';
    perUnit = r ? r.stepMs / MIN : 1;
  }
  const whole = idx.counts(w.start, w.end);
  const slices = makeSlices(slo, o, w, idx);
  const budget = budgetOf(slo, o, whole, slices);
  const spend = spendOf(o, whole, idx, slices);
  notes.push(...(data.sourceNotes ?? []));
  const monthly: MonthRow[] = months.map((m) => {
    const c = idx.counts(m.start, m.end);
    const v = complianceOf(idx, slices, m.start, m.end).value;
    return {
      month: monthLabel(m.start, period.timeZone), from: m.start, to: m.end, value: v, compliance: v,
      met: v === null ? null : v >= o.target, events: c.total * perUnit, bad: (c.total - c.good) * perUnit,
      budgetShare: spend.allowed > 0 ? spend.spent(m.start, m.end) / spend.allowed : null,
    };
  });
  const overTime = budgetCurve(days, spend);
  const recentFrom = Math.max(w.start, w.end - 30 * DAY);
  const recent = complianceOf(idx, slices, recentFrom, w.end).value;
  // Natural units: events or minutes for occurrences; minutes of bad slices for the slice methods.
  const sliceMin = slices ? slices.sliceMs / MIN : 0;
  const natural: NaturalBudget = slices
    ? { unit: slo.budgeting === 'Timeslices' ? `minutes in bad ${sliceMin}-minute slices` : `slice-minutes lost (${sliceMin}-minute slices)`, allowed: budget.allowed * sliceMin, consumed: budget.consumed * sliceMin, remaining: budget.remaining * sliceMin }
    : { unit: unitNoun, allowed: (1 - o.target) * whole.total * perUnit, consumed: (whole.total - whole.good) * perUnit, remaining: ((1 - o.target) * whole.total - (whole.total - whole.good)) * perUnit };
  const noData = budget.state === 'no_data' || coverage === 0;
  return {
    ...base, sliLabel, thresholdLabel: null, objectiveLabel: `≥ ${pct(o.target)}${slices ? ` of ${sliceMin}-minute slices${slo.budgeting === 'Timeslices' ? ` (a slice is good at ≥ ${pct(o.timeSliceTarget ?? o.target)})` : ' (mean slice ratio)'}` : ''}`,
    state: noData ? 'no_data' : 'ok',
    value: noData ? null : budget.sli, statistic: 'ratio', unit: '%', compliance: noData ? null : budget.sli, met: noData ? null : budget.met, margin: noData ? null : budget.margin,
    budget, budgetBasis: 'events', budgetLeft: noData ? null : budget.remainingRatio, burnRate: noData ? null : budget.burnRate,
    eventNoun, natural, valueBudget: null,
    exhaustedAt: noData ? null : overTime.exhaustedAt, exhaustedOn: noData || overTime.exhaustedAt === null ? null : dayLabel(overTime.exhaustedAt, period.timeZone),
    recentBurnRate: recent === null ? null : (1 - recent) / (1 - o.target),
    events: whole.total * perUnit, coverage: coverage ?? budget.coverage, pending, monthly, budgetOverTime: noData ? [] : overTime.points, drivers, notes, noEventsText: 'no data',
  };
}

const pct = (r: number): string => `${Number((r * 100).toFixed(3))} %`;

/** Why the coverage is under 100 %: the days the records reach, inside the period. */
function spanNote(covered: TimeWindow, w: TimeWindow, tz: string): string {
  const share = Math.round((100 * (covered.end - covered.start)) / (w.end - w.start));
  return `measured over ${dayLabel(covered.start, tz)} to ${dayLabel(covered.end - 1, tz)} only (${share} % of the period): the data source has no record outside it, so that time is no data`;
}

function statisticOf(values: readonly number[], stat: StatisticName): number | null {
  return summarize(values)[stat];
}

/** Sorted events with prefix sums: counts and value sums over any [s, e) in O(log n). */
function eventIndex(events: readonly ValueEvent[], isGood: (e: ValueEvent) => boolean): CountIndex & { sum(s: number, e: number): number; range(s: number, e: number): readonly ValueEvent[] } {
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const at = sorted.map((e) => e.at);
  const good = new Float64Array(sorted.length + 1);
  const sum = new Float64Array(sorted.length + 1);
  sorted.forEach((e, i) => {
    good[i + 1] = good[i]! + (isGood(e) ? 1 : 0);
    sum[i + 1] = sum[i]! + e.value;
  });
  const span = (s: number, e: number): [number, number] => [lowerBound(at, s), lowerBound(at, e)];
  return {
    counts(s, e) {
      const [i, j] = span(s, e);
      return { good: good[j]! - good[i]!, total: j - i };
    },
    sum(s, e) {
      const [i, j] = span(s, e);
      return sum[j]! - sum[i]!;
    },
    range(s, e) {
      const [i, j] = span(s, e);
      return sorted.slice(i, j);
    },
  };
}

function evaluateThreshold(
  slo: SloDefinition, o: ObjectiveSpec, event: ThresholdEvent, data: SliData, period: ReportPeriod, months: TimeWindow[], days: TimeWindow[],
  base: Pick<SloResult, 'name' | 'displayName' | 'service' | 'description' | 'source' | 'sliKind' | 'objective'>,
): SloResult {
  const unit = THRESHOLD_UNITS[event];
  const op = o.op ?? 'lte';
  const threshold = o.threshold ?? 0;
  const set = thresholdEvents(event, data);
  const inWindow = set.events.filter((e) => e.at >= period.from && e.at < period.to);
  const isGood = (e: ValueEvent): boolean => compare(e.value, op, threshold);
  const idx = eventIndex(inWindow, isGood);
  const w: TimeWindow = { start: period.from, end: period.to };
  const whole = idx.counts(w.start, w.end);
  const notes: string[] = [];
  const covered = coveredPart(w, recordSpan(data));
  if (covered && (covered.start > w.start || covered.end < w.end)) notes.push(spanNote(covered, w, period.timeZone));
  // Time slices mean nothing for per-event values (a ticket is not a slice of time): per event.
  if (slo.budgeting !== 'Occurrences') notes.push(`${slo.budgeting} applies to ratio SLIs; this threshold SLI is budgeted per event`);
  const budget = budgetOf({ ...slo, budgeting: 'Occurrences' }, o, whole, null);
  const values = inWindow.map((e) => e.value);
  const stat = o.statistic;
  const statValue = stat ? statisticOf(values, stat) : null;
  const met = stat ? (statValue === null ? null : compare(statValue, op, threshold)) : budget.met;
  const sign = op === 'lt' || op === 'lte' ? 1 : -1;
  const margin = stat ? (statValue === null ? null : sign * (threshold - statValue)) : budget.margin;
  const noun = thresholdNoun(event);
  if (set.duplicates > 0) notes.push(`${set.duplicates} duplicated row(s) counted once`);
  if (event === 'ticket_resolution_hours' && set.pending > 0) notes.push(`${set.pending} ticket(s) still open: not resolved, so not measured (they would only raise the figure)`);
  if (event === 'failures_per_deploy' && set.pending > 0) notes.push(`${set.pending} failed deploy(s) after their feature's last success: not yet counted against a deploy`);
  // Which budget the verdict follows: the share of good events (no statistic), the sum of the values
  // (a mean kept under a threshold: n × threshold may be spent), or none (other statistics: the
  // per-event budget is shown for information only).
  const basis: SloResult['budgetBasis'] = !stat ? 'events' : stat === 'mean' && (op === 'lt' || op === 'lte') && threshold > 0 ? 'values' : 'none';
  let valueBudget: NaturalBudget | null = null;
  let spend: Spend = { spent: (s, e) => { const c = idx.counts(s, e); return c.total - c.good; }, allowed: (1 - o.target) * whole.total };
  let budgetLeft = budget.remainingRatio;
  let burnRate = budget.burnRate;
  const recentFrom = Math.max(w.start, w.end - 30 * DAY);
  const recent = idx.counts(recentFrom, w.end);
  let recentBurnRate = recent.total > 0 ? (1 - recent.good / recent.total) / (1 - o.target) : null;
  if (basis === 'values') {
    const spent = idx.sum(w.start, w.end);
    valueBudget = { unit: unit === 'h' ? 'hours' : unit, allowed: threshold * values.length, consumed: spent, remaining: threshold * values.length - spent };
    spend = { spent: (s, e) => idx.sum(s, e), allowed: valueBudget.allowed };
    budgetLeft = valueBudget.allowed > 0 ? valueBudget.remaining / valueBudget.allowed : null;
    burnRate = valueBudget.allowed > 0 ? valueBudget.consumed / valueBudget.allowed : null;
    const rn = recent.total;
    recentBurnRate = rn > 0 ? idx.sum(recentFrom, w.end) / (threshold * rn) : null;
    if (event === 'deploy_gap_hours' && values.length > 0) {
      const needed = Math.ceil(spent / threshold);
      const n = (x: number): string => x.toLocaleString('en-US');
      notes.push(`a mean gap ${OP_TEXT[op]} ${fmtNum(threshold)} h over these ${n(Math.round(spent))} h needs ${n(needed + 1)} successful deploys; there were ${n(values.length + 1)}${needed > values.length ? ` (${n(needed - values.length)} short)` : ''}`);
    }
  } else if (basis === 'none') {
    budgetLeft = null;
    burnRate = null;
    recentBurnRate = null;
  }
  const monthly: MonthRow[] = months.map((m) => {
    const evs = idx.range(m.start, m.end);
    const c = idx.counts(m.start, m.end);
    const v = stat ? statisticOf(evs.map((e) => e.value), stat) : c.total > 0 ? c.good / c.total : null;
    return {
      month: monthLabel(m.start, period.timeZone), from: m.start, to: m.end, value: v,
      compliance: c.total > 0 ? c.good / c.total : null,
      met: v === null ? null : stat ? compare(v, op, threshold) : v >= o.target,
      events: c.total, bad: c.total - c.good,
      budgetShare: basis !== 'none' && spend.allowed > 0 ? spend.spent(m.start, m.end) / spend.allowed : null,
    };
  });
  const overTime = basis === 'none' ? { points: [], exhaustedAt: null } : budgetCurve(days, spend);
  const objectiveLabel = stat ? `${stat} ${thresholdText(o, unit)}` : `${pct(o.target)} of ${noun} ${thresholdText(o, unit)}`;
  const label: Record<ThresholdEvent, string> = {
    deploy_gap_hours: 'hours between consecutive successful deploys',
    failures_per_deploy: "failed deploys of a feature before each of its successful deploys",
    ticket_resolution_hours: 'hours from a ticket opened to closed',
    lead_time_hours: 'hours from commit to successful deploy',
  };
  return {
    ...base, sliLabel: label[event], objectiveLabel, thresholdLabel: thresholdText(o, unit), state: inWindow.length === 0 ? 'no_data' : 'ok',
    value: stat ? statValue : budget.sli, statistic: stat ?? 'ratio', unit: stat ? unit : '%',
    compliance: budget.sli, met, margin, budget, budgetBasis: basis, budgetLeft, burnRate, eventNoun: noun,
    natural: {
      unit: `${noun} ${thresholdText({ ...o, op: INVERSE[op] }, unit)}`,
      allowed: (1 - o.target) * whole.total, consumed: whole.total - whole.good, remaining: (1 - o.target) * whole.total - (whole.total - whole.good),
    },
    valueBudget, exhaustedAt: overTime.exhaustedAt, exhaustedOn: overTime.exhaustedAt === null ? null : dayLabel(overTime.exhaustedAt, period.timeZone), recentBurnRate,
    events: inWindow.length, coverage: data.coverage ?? coveredShare(w, covered), pending: set.pending, monthly, budgetOverTime: overTime.points, noEventsText: event === 'ticket_resolution_hours' ? 'no tickets' : 'no deploys',
    drivers: findDrivers(inWindow, { op, threshold, statistic: stat ?? null, unit, target: o.target }), notes,
  };
}

/** Drivers of downtime: error codes and months, with what-if availability without each code. */
function availabilityDrivers(outages: readonly OutageRow[], w: TimeWindow, countClientErrors: boolean, target: number): Driver[] {
  const all = availability(outages, w, { countClientErrors });
  if (all.downtimeMs === 0) return [];
  const out: Driver[] = [];
  const codes = [...all.downtimeByCode.entries()].sort((a, b) => b[1] - a[1]);
  for (const [code, ms] of codes.slice(0, 5)) {
    if (!countClientErrors && isClientError(code)) continue;
    const without = availability(outages.filter((x) => x.code !== code), w, { countClientErrors });
    const records = outages.filter((x) => x.code === code && x.down < w.end && (x.up ?? w.end) > w.start).length;
    out.push({
      dimension: 'error code', value: code, events: records, eventShare: null, badShare: ms / all.downtimeMs,
      statistic: ms / MIN, statisticLabel: 'minutes down', whatIf: without.availability, whatIfMet: without.availability === null ? null : without.availability >= target,
    });
  }
  return out;
}

/** Drivers of failed requests: status codes over the period. */
function requestDrivers(r: RequestSeries, target: number, countClientErrors: boolean): Driver[] {
  const byCode = new Map<string, number>();
  for (const m of r.badByCodeMonth.values()) {
    for (const [code, n] of m) if (countClientErrors || !isClientError(code)) byCode.set(code, (byCode.get(code) ?? 0) + n);
  }
  let bad = 0;
  for (const n of byCode.values()) bad += n;
  let total = 0;
  for (const t of r.total) total += t;
  if (bad === 0 || total === 0) return [];
  return [...byCode.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([code, n]) => ({
      dimension: 'status code', value: code, events: n, eventShare: n / total, badShare: n / bad, statistic: n, statisticLabel: 'requests',
      whatIf: 1 - (bad - n) / total, whatIfMet: 1 - (bad - n) / total >= target,
    }));
}
