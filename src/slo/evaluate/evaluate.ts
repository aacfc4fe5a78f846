/**
 * Evaluate one SLO over a report period from its data: the measured value (with the statistic
 * named), met / not met and the margin, the error budget (ratio and natural units), burn rate, the
 * month-by-month table, the budget over time, and the drivers a recommendation is drawn from.
 *
 * Pure: definitions and data in, a result out. Every "no data" is a state (null), never NaN.
 */
import { evaluateBudget, type BudgetInput, type BudgetResult, type Counts } from '../budget/budget.js';
import { calendarWindows, parseWallTime, wallClock, type TimeWindow } from '../budget/time-window.js';
import { THRESHOLD_UNITS, type ObjectiveSpec, type OutageRow, type RequestSeries, type SloDefinition, type ThresholdEvent } from '../model.js';
import { compare, thresholdEvents, type ValueEvent } from '../sli/events.js';
import { availability, isClientError } from '../sli/intervals.js';
import { summarize, type StatisticName } from '../sli/stats.js';
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
  readonly deploys?: import('../model.js').Dataset['deploys'];
  readonly tickets?: import('../model.js').Dataset['tickets'];
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
   * mean objective, 'values' (the sum of the values may reach threshold × events).
   */
  readonly budgetBasis: 'events' | 'values';
  /** Remaining share of that budget (1 untouched, < 0 overspent); null without data. */
  readonly budgetLeft: number | null;
  /** Spend rate of that budget over the period: 1 spends it exactly; null without data. */
  readonly burnRate: number | null;
  /** What one event is ("gaps", "tickets", "minutes", "requests"). */
  readonly eventNoun: string;
  readonly natural: NaturalBudget;
  /** Statistic objectives (mean): the sum of values allowed (threshold × n) and spent. */
  readonly valueBudget: NaturalBudget | null;
  /** When the period's budget ran out (cumulative consumed > allowed), null if it did not. */
  readonly exhaustedAt: number | null;
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

/** Budget input for `good(t)`-style counts per slice; slices of `sliceMs` from `from`. */
function slicesFrom(from: number, to: number, sliceMs: number, fill: (s: number, e: number) => Counts | null): Array<Counts | null> {
  const out: Array<Counts | null> = [];
  for (let s = from; s < to; s += sliceMs) out.push(fill(s, Math.min(to, s + sliceMs)));
  return out;
}

function budgetFor(slo: SloDefinition, o: ObjectiveSpec, whole: Counts, slice: ((s: number, e: number) => Counts | null) | null, w: TimeWindow): BudgetResult {
  if (slo.budgeting === 'Occurrences' || slice === null) return evaluateBudget({ method: 'Occurrences', target: o.target, counts: whole });
  const sliceMs = o.timeSliceWindowMs ?? 5 * MIN;
  const slices = slicesFrom(w.start, w.end, sliceMs, slice);
  const input: BudgetInput =
    slo.budgeting === 'Timeslices'
      ? { method: 'Timeslices', target: o.target, sliceTarget: o.timeSliceTarget ?? o.target, sliceMs, slices }
      : { method: 'RatioTimeslices', target: o.target, sliceMs, slices };
  return evaluateBudget(input);
}

/** Counts of good/total over [s, e) from a request series (bucket-aligned). */
function seriesCounts(r: RequestSeries, s: number, e: number, countClientErrors: boolean): Counts {
  const i0 = Math.max(0, Math.floor((s - r.startMs) / r.bucketMs));
  const i1 = Math.min(r.total.length, Math.ceil((e - r.startMs) / r.bucketMs));
  let total = 0;
  let bad = 0;
  for (let i = i0; i < i1; i++) {
    total += r.total[i]!;
    bad += r.serverErrors[i]! + (countClientErrors ? r.clientErrors[i]! : 0);
  }
  return { good: total - bad, total };
}

function rawCounts(r: NonNullable<SliData['errorRatio']>, s: number, e: number): Counts {
  const i0 = Math.max(0, Math.floor((s - r.startMs) / r.stepMs));
  const i1 = Math.min(r.errorRatio.length, Math.ceil((e - r.startMs) / r.stepMs));
  let total = 0;
  let good = 0;
  for (let i = i0; i < i1; i++) {
    if (!r.present[i]) continue;
    total += 1;
    good += 1 - Math.min(1, Math.max(0, r.errorRatio[i]!));
  }
  return { good, total };
}

/** Evaluate every objective of an SLO over the period. */
export function evaluateSlo(slo: SloDefinition, data: SliData, period: ReportPeriod): SloResult[] {
  return slo.objectives.map((o) => evaluateObjective(slo, o, data, period));
}

function evaluateObjective(slo: SloDefinition, o: ObjectiveSpec, data: SliData, period: ReportPeriod): SloResult {
  const w: TimeWindow = { start: period.from, end: period.to };
  const months = periodMonths(period);
  const base = {
    name: slo.name, displayName: slo.displayName, service: slo.service, description: slo.description, source: slo.source,
    sliKind: slo.sli.kind, objective: o,
  };
  const sli = slo.sli;
  if (sli.kind === 'threshold') return evaluateThreshold(slo, o, sli.event, data, period, months, base);

  // Ratio SLIs: counts over any sub-window.
  let counts: (s: number, e: number) => Counts;
  let sliLabel: string;
  let unitNoun: string;
  let perUnit = 1;
  const notes: string[] = [];
  let pending = 0;
  let drivers: Driver[] = [];
  if (sli.kind === 'availability') {
    const outages = data.outages ?? [];
    counts = (s, e) => {
      const a = availability(outages, { start: s, end: e }, { countClientErrors: sli.countClientErrors });
      return { good: (a.windowMs - a.downtimeMs) / MIN, total: a.windowMs / MIN };
    };
    const a = availability(outages, w, { countClientErrors: sli.countClientErrors });
    pending = a.openOutages;
    if (a.openOutages > 0) notes.push(`${a.openOutages} outage(s) without an "up" time are counted as down until the end of the period`);
    if (a.ignoredClientErrors > 0) notes.push(`${a.ignoredClientErrors} outage record(s) with a 4xx code are not counted as downtime (4xx ${sli.countClientErrors ? 'counted' : 'not counted'})`);
    sliLabel = `availability (time) from outage intervals, merged and clipped to the period; 4xx ${sli.countClientErrors ? 'counted as down' : 'not counted'}`;
    unitNoun = 'minutes of downtime';
    drivers = availabilityDrivers(outages, w, sli.countClientErrors, o.target);
    if (outages.length === 0) notes.push('no outage records: availability is 100 % only if the log is complete');
  } else if (sli.kind === 'requests' || sli.kind === 'prometheus-ratio') {
    const r = data.requests;
    counts = (s, e) => (r ? seriesCounts(r, s, e, sli.kind === 'requests' ? sli.countClientErrors : false) : { good: 0, total: 0 });
    sliLabel = sli.kind === 'requests' ? `good requests / all requests (5xx bad; 4xx ${sli.countClientErrors ? 'bad' : 'good'})` : 'good events / all events (Prometheus)';
    unitNoun = 'failed requests';
    if (r && sli.kind === 'requests') drivers = requestDrivers(r, o.target, sli.countClientErrors);
  } else {
    const r = data.errorRatio;
    counts = (s, e) => (r ? rawCounts(r, s, e) : { good: 0, total: 0 });
    sliLabel = 'error ratio (Prometheus), each step weighs the same';
    unitNoun = 'minutes at full error';
    perUnit = r ? r.stepMs / MIN : 1;
  }
  const whole = counts(w.start, w.end);
  const budget = budgetFor(slo, o, whole, counts, w);
  const value = budget.sli;
  notes.push(...(data.sourceNotes ?? []));
  const monthly = months.map((m) => {
    const c = counts(m.start, m.end);
    const bad = c.total - c.good;
    const v = c.total > 0 ? c.good / c.total : null;
    return {
      month: monthLabel(m.start, period.timeZone), from: m.start, to: m.end, value: v, compliance: v,
      met: v === null ? null : v >= o.target, events: c.total * perUnit, bad: bad * perUnit,
      budgetShare: budget.allowed > 0 && slo.budgeting === 'Occurrences' ? bad / ((1 - o.target) * whole.total) : null,
    };
  });
  const overTime = budgetCurve(w, (s, e) => counts(s, e), (1 - o.target) * whole.total);
  const recent = counts(Math.max(w.start, w.end - 30 * DAY), w.end);
  return {
    ...base, sliLabel, objectiveLabel: `≥ ${pct(o.target)}`, state: budget.state,
    value, statistic: 'ratio', unit: '%', compliance: value, met: budget.met, margin: budget.margin,
    budget, budgetBasis: 'events', budgetLeft: budget.remainingRatio, burnRate: budget.burnRate,
    eventNoun: sli.kind === 'availability' ? 'minutes' : sli.kind === 'prometheus-raw' ? 'steps' : 'requests',
    natural: { unit: unitNoun, allowed: (1 - o.target) * whole.total * perUnit, consumed: (whole.total - whole.good) * perUnit, remaining: ((1 - o.target) * whole.total - (whole.total - whole.good)) * perUnit },
    valueBudget: null,
    exhaustedAt: overTime.exhaustedAt,
    recentBurnRate: recent.total > 0 ? (1 - recent.good / recent.total) / (1 - o.target) : null,
    events: whole.total * perUnit, coverage: data.coverage ?? budget.coverage, pending, monthly, budgetOverTime: overTime.points, drivers, notes,
  };
}

const pct = (r: number): string => `${Number((r * 100).toFixed(3))} %`;

/** Daily remaining-budget points and the moment the budget ran out. */
function budgetCurve(w: TimeWindow, counts: (s: number, e: number) => Counts, allowed: number): { points: Array<{ at: number; remainingRatio: number }>; exhaustedAt: number | null } {
  const points: Array<{ at: number; remainingRatio: number }> = [];
  let consumed = 0;
  let exhaustedAt: number | null = null;
  for (let s = w.start; s < w.end; s += DAY) {
    const e = Math.min(w.end, s + DAY);
    const c = counts(s, e);
    consumed += c.total - c.good;
    if (exhaustedAt === null && consumed > allowed + 1e-9) exhaustedAt = e;
    points.push({ at: e, remainingRatio: allowed > 0 ? 1 - consumed / allowed : consumed > 0 ? -1 : 1 });
  }
  return { points, exhaustedAt };
}

function statisticOf(values: readonly number[], stat: StatisticName): number | null {
  return summarize(values)[stat];
}

function evaluateThreshold(
  slo: SloDefinition, o: ObjectiveSpec, event: ThresholdEvent, data: SliData, period: ReportPeriod, months: TimeWindow[],
  base: Pick<SloResult, 'name' | 'displayName' | 'service' | 'description' | 'source' | 'sliKind' | 'objective'>,
): SloResult {
  const unit = THRESHOLD_UNITS[event];
  const op = o.op ?? 'lte';
  const threshold = o.threshold ?? 0;
  const set = thresholdEvents(event, data);
  const inWindow = set.events.filter((e) => e.at >= period.from && e.at < period.to);
  const isGood = (e: ValueEvent): boolean => compare(e.value, op, threshold);
  const counts = (s: number, e: number): Counts => {
    let total = 0;
    let good = 0;
    for (const ev of inWindow) {
      if (ev.at < s || ev.at >= e) continue;
      total++;
      if (isGood(ev)) good++;
    }
    return { good, total };
  };
  const w: TimeWindow = { start: period.from, end: period.to };
  const whole = counts(w.start, w.end);
  const budget = budgetFor(slo, o, whole, slo.budgeting === 'Occurrences' ? null : counts, w);
  const values = inWindow.map((e) => e.value);
  const stat = o.statistic;
  const statValue = stat ? statisticOf(values, stat) : null;
  const met = stat ? (statValue === null ? null : compare(statValue, op, threshold)) : budget.met;
  const sign = op === 'lt' || op === 'lte' ? 1 : -1;
  const margin = stat ? (statValue === null ? null : sign * (threshold - statValue)) : budget.margin;
  const noun = thresholdNoun(event);
  let monthly: MonthRow[] = months.map((m) => {
    const evs = inWindow.filter((e) => e.at >= m.start && e.at < m.end);
    const good = evs.filter(isGood).length;
    const v = stat ? statisticOf(evs.map((e) => e.value), stat) : evs.length > 0 ? good / evs.length : null;
    return {
      month: monthLabel(m.start, period.timeZone), from: m.start, to: m.end, value: v,
      compliance: evs.length > 0 ? good / evs.length : null,
      met: v === null ? null : stat ? compare(v, op, threshold) : v >= o.target,
      events: evs.length, bad: evs.length - good,
      budgetShare: whole.total > 0 ? (evs.length - good) / ((1 - o.target) * whole.total) : null,
    };
  });
  const notes: string[] = [];
  if (set.duplicates > 0) notes.push(`${set.duplicates} duplicated row(s) counted once`);
  if (event === 'ticket_resolution_hours' && set.pending > 0) notes.push(`${set.pending} ticket(s) still open: not resolved, so not measured (they would only raise the figure)`);
  if (event === 'failures_per_deploy' && set.pending > 0) notes.push(`${set.pending} failed deploy(s) after their feature's last success: not yet counted against a deploy`);
  // A mean objective has a natural budget in the values themselves: n × threshold may be spent.
  let valueBudget: NaturalBudget | null = null;
  if (stat === 'mean' && (op === 'lt' || op === 'lte')) {
    const spent = values.reduce((a, b) => a + b, 0);
    valueBudget = { unit: unit === 'h' ? 'hours' : unit, allowed: threshold * values.length, consumed: spent, remaining: threshold * values.length - spent };
    if (event === 'deploy_gap_hours' && values.length > 0) {
      const needed = Math.ceil(spent / threshold);
      const n = (x: number): string => x.toLocaleString('en-US');
      notes.push(`a mean gap ${OP_TEXT[op]} ${fmtNum(threshold)} h over these ${n(Math.round(spent))} h needs ${n(needed + 1)} successful deploys; there were ${n(values.length + 1)}${needed > values.length ? ` (${n(needed - values.length)} short)` : ''}`);
    }
  }
  const recentFrom = Math.max(w.start, w.end - 30 * DAY);
  let overTime = budgetCurve(w, counts, (1 - o.target) * whole.total);
  const recent = counts(recentFrom, w.end);
  let recentBurnRate = recent.total > 0 ? (1 - recent.good / recent.total) / (1 - o.target) : null;
  let budgetLeft = budget.remainingRatio;
  let burnRate = budget.burnRate;
  if (valueBudget && valueBudget.allowed > 0) {
    // The verdict follows the mean, so the budget that matters is the sum of the values.
    budgetLeft = valueBudget.remaining / valueBudget.allowed;
    burnRate = valueBudget.consumed / valueBudget.allowed;
    overTime = budgetCurve(w, (s, e) => {
      let sum = 0;
      for (const ev of inWindow) if (ev.at >= s && ev.at < e) sum += ev.value;
      return { good: 0, total: sum };
    }, valueBudget.allowed);
    const recentValues = inWindow.filter((e) => e.at >= recentFrom).map((e) => e.value);
    recentBurnRate = recentValues.length > 0 ? recentValues.reduce((a, b) => a + b, 0) / (threshold * recentValues.length) : null;
    const allowed = valueBudget.allowed;
    monthly = monthly.map((m) => {
      let sum = 0;
      for (const ev of inWindow) if (ev.at >= m.from && ev.at < m.to) sum += ev.value;
      return { ...m, budgetShare: sum / allowed };
    });
  } else if (valueBudget) {
    budgetLeft = null;
    burnRate = null;
  }
  const objectiveLabel = stat ? `${stat} ${thresholdText(o, unit)}` : `${pct(o.target)} of ${noun} ${thresholdText(o, unit)}`;
  const label: Record<ThresholdEvent, string> = {
    deploy_gap_hours: 'hours between consecutive successful deploys',
    failures_per_deploy: "failed deploys of a feature before each of its successful deploys",
    ticket_resolution_hours: 'hours from a ticket opened to closed',
    lead_time_hours: 'hours from commit to successful deploy',
  };
  return {
    ...base, sliLabel: label[event], objectiveLabel, state: inWindow.length === 0 ? 'no_data' : 'ok',
    value: stat ? statValue : budget.sli, statistic: stat ?? 'ratio', unit: stat ? unit : '%',
    compliance: budget.sli, met, margin, budget, budgetBasis: valueBudget ? 'values' : 'events', budgetLeft, burnRate, eventNoun: noun,
    natural: {
      unit: `${noun} ${thresholdText({ ...o, op: INVERSE[op] }, unit).replace(/^[^ ]+/, OP_TEXT[INVERSE[op]])}`,
      allowed: (1 - o.target) * whole.total, consumed: whole.total - whole.good, remaining: (1 - o.target) * whole.total - (whole.total - whole.good),
    },
    valueBudget, exhaustedAt: overTime.exhaustedAt, recentBurnRate,
    events: inWindow.length, coverage: budget.coverage, pending: set.pending, monthly, budgetOverTime: overTime.points,
    drivers: findDrivers(inWindow, { op, threshold, statistic: stat ?? null, unit }), notes,
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
