/**
 * The SLO report as JSON (`vigia slo report --format json`, schema `vigia.slo.report/v1`): the wire
 * contract between the SLO role, which produces it (src/slo/report/render-json.ts builds a value of
 * this type), and its readers, the control plane's web console first (src/control/console/slo-source.ts
 * runs the report and checks its output with SLO_REPORT_SCHEMA). Times are ISO strings, every figure as
 * measured (no rounding), "no data" is null. The schema lists the fields readers use; the producer may
 * add fields (zod strips unknown keys on parse), never remove or retype these.
 */
import { z } from 'zod';

/** The schema id of version 1. */
export const SLO_REPORT_SCHEMA_ID = 'vigia.slo.report/v1';

const num = z.number();
const numOrNull = z.number().nullable();
const iso = z.string().max(40);
const text = z.string().max(20_000);
const summary = z.object({ count: num, mean: numOrNull, median: numOrNull, p90: numOrNull, p95: numOrNull, p99: numOrNull, min: numOrNull, max: numOrNull });
const band = z.enum(['elite', 'high', 'medium', 'low']).nullable();
const naturalBudget = z.object({ unit: text, allowed: num, consumed: num, remaining: num });

/** One evaluated objective of one SLO. */
const sloEntry = z.object({
  name: text,
  displayName: text,
  service: text,
  description: text,
  /** Where the spec came from (file#document). */
  source: text,
  sliKind: text,
  sliLabel: text,
  objective: z.object({ displayName: text, target: num, op: z.enum(['lt', 'lte', 'gt', 'gte']).nullable(), threshold: numOrNull, statistic: text.nullable(), timeSliceTarget: numOrNull, timeSliceWindowMs: numOrNull }),
  objectiveLabel: text,
  thresholdLabel: text.nullable(),
  state: z.enum(['ok', 'no_data']),
  value: numOrNull,
  statistic: text,
  /** '%' (value is a ratio 0..1), 'h' or 'failures'. */
  unit: text,
  compliance: numOrNull,
  met: z.boolean().nullable(),
  margin: numOrNull,
  budgetBasis: z.enum(['events', 'values', 'none']),
  /** Remaining share of the budget the verdict follows (1 untouched, < 0 overspent). */
  budgetLeft: numOrNull,
  burnRate: numOrNull,
  recentBurnRate: numOrNull,
  eventNoun: text,
  natural: naturalBudget,
  valueBudget: naturalBudget.nullable(),
  exhaustedAt: iso.nullable(),
  exhaustedOn: text.nullable(),
  events: num,
  /** Share of the period with data (0..1). */
  coverage: num,
  pending: num,
  monthly: z.array(z.object({ month: text, from: iso, to: iso, value: numOrNull, compliance: numOrNull, met: z.boolean().nullable(), events: num, bad: num, budgetShare: numOrNull })).max(200),
  /** Daily points of the remaining budget ratio. */
  budgetOverTime: z.array(z.object({ at: iso, remainingRatio: num })).max(5 * 366 + 10),
  notes: z.array(text).max(1000),
  recommendations: z.array(text).max(1000),
  noEventsText: text,
});

/** The report, version 1. */
export const SLO_REPORT_SCHEMA = z.object({
  schema: z.literal(SLO_REPORT_SCHEMA_ID),
  title: text,
  period: z.object({ label: text, from: iso, to: iso, timeZone: text }),
  generatedAt: iso,
  slos: z.array(sloEntry).max(10_000),
  /** Data sources whose records miss part of the period (coverage warnings). */
  warnings: z.array(z.object({ source: text, kind: z.enum(['stops_early', 'starts_late', 'no_records']), firstDay: text.nullable(), lastDay: text.nullable(), message: text })).max(10_000),
  dora: z.object({
    deploys: num, successfulDeploys: num, failedDeploys: num, deploysPerDay: numOrNull, spanDays: num,
    deploymentFrequencyBand: band, leadTimeHours: summary, leadTimeBand: band, changeFailureRate: numOrNull, changeFailureRateBand: band,
    timeToRestoreHours: summary, timeToRestoreBand: band, openIncidents: num, duplicateDeployRows: num,
  }).nullable(),
  doraRestoreFrom: z.enum(['outages', 'tickets']).nullable(),
  doraSpan: z.object({ from: iso, to: iso }).nullable(),
  hygiene: z.array(z.object({ table: text, kind: text, rows: num, message: text, examples: z.array(text).max(100) })).max(10_000),
  specWarnings: z.array(z.object({ severity: z.enum(['error', 'warning']), where: text, message: text })).max(10_000),
});

/** The report as a reader gets it (after SLO_REPORT_SCHEMA.parse). */
export type SloReportDocument = z.output<typeof SLO_REPORT_SCHEMA>;
/** One SLO objective of the report. */
export type SloReportEntry = SloReportDocument['slos'][number];
