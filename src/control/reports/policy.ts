/**
 * Report policy: thresholds, staleness, trend window, recipients. Parsed once at start with a zod
 * schema so a typo in a threshold fails the server start with the field path, not a wrong email at 07:00.
 */
import { z } from 'zod';
import { VigiaError } from '../../core/errors.js';
import { deepFreeze } from '../../core/config.js';

const pct = z.number().finite().min(0).max(100);

/** Use % thresholds; critical must be above warning or nothing would ever be merely "warning". */
const thresholdPair = (warningPct: number, criticalPct: number) =>
  z
    .object({ warningPct: pct.default(warningPct), criticalPct: pct.default(criticalPct) })
    .strict()
    .default({})
    .refine((t) => t.warningPct < t.criticalPct, { message: 'warningPct must be below criticalPct' });

/**
 * Binlog volumes are saw-toothed (PURGE BINARY LOGS drops them every few hours), so the current use %
 * and a regression over every sample say little: the thresholds apply to the highest use % of the
 * trend window and growth is fitted through the daily peaks.
 */
const binlogPolicy = z
  .object({
    warningPct: pct.default(80),
    criticalPct: pct.default(90),
    basis: z.literal('window-peak').default('window-peak'),
  })
  .strict()
  .default({})
  .refine((t) => t.warningPct < t.criticalPct, { message: 'warningPct must be below criticalPct' });

/** Daily-summary thresholds of the performance report (percent of time / of device capacity). */
const performancePolicy = z
  .object({
    cpuBusyPct: pct.default(85),
    iowaitPct: pct.default(20),
    stealPct: pct.default(10),
    diskUtilPct: pct.default(90),
    awaitMs: z.number().finite().positive().default(50),
    filesystemUsePct: pct.default(90),
  })
  .strict()
  .default({});

/** The zod schema of the report policy (every field has a default; unknown keys are errors). */
export const reportPolicySchema = z
  .object({
    thresholds: z
      .object({
        data: thresholdPair(80, 90),
        other: thresholdPair(80, 90),
        binlog: binlogPolicy,
      })
      .strict()
      .default({}),
    daysUntilFull: z
      .object({
        warningDays: z.number().finite().positive().default(30),
        criticalDays: z.number().finite().positive().default(7),
        /**
         * Least data a days-until-full is computed from: below it the volume's trend is "pending" and it
         * is judged on its use % only. A line fitted through minutes of samples projects noise (a
         * fresh install once read "full in 0.7 d" on 119 hosts); a day covers the daily cycle.
         */
        minSpanHours: z.number().finite().positive().max(24 * 90).default(24),
        minSamples: z.number().int().min(2).max(1_000_000).default(12),
      })
      .strict()
      .default({})
      .refine((d) => d.criticalDays < d.warningDays, { message: 'criticalDays must be below warningDays' }),
    /** A host is stale after this many of its own announced intervals without a report. */
    staleAfterIntervals: z.number().int().min(1).max(1000).default(3),
    /** Interval assumed for a host that reported but announced none (older producers). */
    defaultIntervalSeconds: z.number().int().min(1).max(86_400).default(60),
    trendWindowDays: z.number().int().min(1).max(90).default(7),
    recipients: z.array(z.string().email('not a valid email address')).default([]),
    from: z.string().email('not a valid email address').optional(),
    subjectPrefix: z.string().max(64).default('[vigia]'),
    /** Rows the HTML email shows; the CSV attachment always has every row. */
    htmlMaxRows: z.number().int().min(1).max(5000).default(200),
    performance: performancePolicy,
  })
  .strict();

/** A validated, frozen report policy. */
export type ReportPolicy = Readonly<z.output<typeof reportPolicySchema>>;

/** Raw policy input as written in a config file. */
export type ReportPolicyInput = z.input<typeof reportPolicySchema>;

/**
 * Validate raw policy input; throws VIGIA_ERR_CONFIG naming every bad field as `<prefix>.<path>`.
 * Returns a frozen policy with defaults filled in.
 */
export function parseReportPolicy(raw: unknown, prefix = 'reports'): ReportPolicy {
  const r = reportPolicySchema.safeParse(raw ?? {});
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${[prefix, ...i.path].join('.')}: ${i.message}`);
    throw new VigiaError('VIGIA_ERR_CONFIG', problems.join('; '));
  }
  return deepFreeze(r.data);
}

/** The policy with every default (tests, `vigia server` without a reports section). */
export function defaultReportPolicy(): ReportPolicy {
  return parseReportPolicy({});
}
