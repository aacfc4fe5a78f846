/**
 * The shared vocabulary of `vigia slo`: the records a team keeps (deploys, requests or outages,
 * tickets), the data-hygiene findings about them, and the SLO definitions every spec format
 * (OpenSLO v1, Sloth prometheus/v1) is turned into. Spec parsers produce `SloDefinition`s, data
 * sources produce `Dataset`s, the evaluator turns both into results; none of them knows the others.
 *
 * Times are epoch milliseconds (UTC). Strings keep the case they were recorded in, except the
 * normalised fields named so (`status`, `state`), whose raw spellings the hygiene report keeps.
 */
import type { BudgetingMethod } from './budget/budget.js';
import type { WindowDuration } from './budget/time-window.js';
import type { StatisticName } from './sli/stats.js';

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

/** One row of the production deploy pipeline. */
export interface DeployRow {
  readonly id: string;
  readonly team: string;
  readonly area: string;
  readonly feature: string;
  /** Normalised (trimmed, lower case); anything else is a hygiene finding and the row is skipped. */
  readonly status: 'success' | 'failure';
  readonly commitAt: number;
  readonly deployAt: number;
}

/** One outage interval of the service log. */
export interface OutageRow {
  readonly down: number;
  /** null: still down when the log was taken. */
  readonly up: number | null;
  /** Error code as recorded ("503", "TIMEOUT"). */
  readonly code: string;
}

/** One incident ticket. */
export interface TicketRow {
  readonly number: string;
  readonly caller: string;
  readonly category: string;
  readonly subcategory: string;
  readonly symptom: string;
  readonly assignmentGroup: string;
  /** Normalised (trimmed, lower case), e.g. "closed", "resolved", "new", "in progress". */
  readonly state: string;
  readonly openedAt: number;
  /** null while open. */
  readonly closedAt: number | null;
}

/**
 * Requests are never kept row by row (a year is tens of millions of rows): sources fold them into
 * per-minute buckets as they read. Bucket i covers [startMs + i × bucketMs, startMs + (i+1) × bucketMs).
 */
export interface RequestSeries {
  readonly startMs: number;
  readonly bucketMs: number;
  /** Requests per bucket (all statuses). */
  readonly total: Float64Array;
  /** Server errors (5xx) per bucket. */
  readonly serverErrors: Float64Array;
  /** Client errors (4xx) per bucket: good or bad is the SLI's choice (`countClientErrors`). */
  readonly clientErrors: Float64Array;
  /** Bad requests (4xx + 5xx) per status code, per calendar month "YYYY-MM" (UTC): for recommendations. */
  readonly badByCodeMonth: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Rows folded in. */
  readonly rows: number;
}

/** The records of one data source; a table the source does not have is absent. */
export interface Dataset {
  readonly deploys?: readonly DeployRow[];
  readonly outages?: readonly OutageRow[];
  readonly tickets?: readonly TicketRow[];
  readonly requests?: RequestSeries;
  readonly hygiene: readonly HygieneFinding[];
}

/**
 * A data-hygiene finding: reported in the output, never silently fixed. `rows` counts affected rows;
 * `examples` are up to 5 row references ("tickets.csv:17" or "INC0012") so a person can look.
 */
export interface HygieneFinding {
  readonly table: 'deploys' | 'outages' | 'tickets' | 'requests';
  readonly kind:
    | 'column_count_mismatch' // a CSV row with more or fewer fields than the header (skipped)
    | 'missing_column' // a mapped column absent from the header / table (the table is unusable)
    | 'unparsable_value' // a timestamp or number that does not parse (row skipped)
    | 'duplicate_row' // the same key seen again (counted once)
    | 'mixed_case_value' // the same value spelled in several cases ("Closed", "closed")
    | 'unknown_value' // a status/state outside the known set (row skipped or reported)
    | 'open_ticket' // a ticket still open at the end of the data (counted as open, not resolved)
    | 'open_outage' // an outage without an "up" time (counted to the window's end)
    | 'overlapping_outages' // intervals that overlap (merged: the union is counted)
    | 'negative_duration' // closed before opened, up before down, deploy before commit (row skipped)
    | 'out_of_window'; // rows outside the report window (ignored)
  readonly rows: number;
  readonly message: string;
  readonly examples: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// SLO definitions
// ---------------------------------------------------------------------------------------------

/** How a spec says where its data lives. */
export type DataSourceSpec =
  | { readonly kind: 'csv'; readonly name: string; readonly files: Readonly<Partial<Record<TableName, string>>>; readonly columns: ColumnMaps; readonly timeZone?: string }
  | { readonly kind: 'postgres' | 'mysql'; readonly name: string; readonly url: string; readonly tables: Readonly<Partial<Record<TableName, string>>>; readonly columns: ColumnMaps }
  | { readonly kind: 'prometheus'; readonly name: string; readonly url: string; readonly stepMs?: number };

export type TableName = 'deploys' | 'outages' | 'tickets' | 'requests';

/**
 * Column name in the source for each field, per table; a field left out uses its own name
 * (snake_case: commit_at, deploy_at, assignment_group, opened_at, closed_at ...). Requests need
 * `time` and `status` (HTTP status code).
 */
export type ColumnMaps = Readonly<Partial<Record<TableName, Readonly<Record<string, string>>>>>;

/** What an SLI measures. */
export type SliSpec =
  /** Good/total events from the request log: good = not 5xx (and not 4xx unless `countClientErrors` is false). */
  | { readonly kind: 'requests'; readonly countClientErrors: boolean }
  /** Time-based availability from outage intervals. */
  | { readonly kind: 'availability'; readonly countClientErrors: boolean }
  /** A value per event, compared with the objective's threshold. */
  | { readonly kind: 'threshold'; readonly event: ThresholdEvent }
  /** Prometheus queries (live services): good/total or bad/total event rates. */
  | { readonly kind: 'prometheus-ratio'; readonly goodQuery?: string; readonly badQuery?: string; readonly totalQuery: string }
  /** Prometheus query returning an error ratio directly (Sloth's raw SLI). */
  | { readonly kind: 'prometheus-raw'; readonly errorRatioQuery: string };

/**
 * Per-event values a threshold SLI can use:
 * - deploy_gap_hours: hours between consecutive successful deploys (one event per gap);
 * - failures_per_deploy: failed deploys of a feature (team/area/feature) before each successful deploy of it;
 * - ticket_resolution_hours: opened -> closed of each closed ticket;
 * - lead_time_hours: commit -> deploy of each successful deploy.
 */
export type ThresholdEvent = 'deploy_gap_hours' | 'failures_per_deploy' | 'ticket_resolution_hours' | 'lead_time_hours';

/** The natural unit of a threshold event's value. */
export const THRESHOLD_UNITS: Readonly<Record<ThresholdEvent, string>> = Object.freeze({
  deploy_gap_hours: 'h',
  failures_per_deploy: 'failures',
  ticket_resolution_hours: 'h',
  lead_time_hours: 'h',
});

/** The SLO's window. Calendar windows start at `start` (wall time in `timeZone`). */
export interface WindowSpec {
  readonly duration: WindowDuration;
  readonly isRolling: boolean;
  readonly timeZone: string;
  /** Calendar windows: "YYYY-MM-DD HH:MM:SS" in `timeZone`; rolling: absent. */
  readonly start?: string;
}

/** One objective of an SLO. */
export interface ObjectiveSpec {
  readonly displayName: string;
  /** Share of good events/slices required, 0 < target < 1. */
  readonly target: number;
  /** Threshold SLIs: an event is good when `value op threshold`. */
  readonly op?: 'lt' | 'lte' | 'gt' | 'gte';
  readonly threshold?: number;
  /**
   * Threshold SLIs may also be judged by a statistic of the values ("mean gap ≤ 3.5 h"): then met
   * means `statistic(values) op threshold`, and the budget still counts events over the threshold.
   */
  readonly statistic?: StatisticName;
  /** Timeslices / RatioTimeslices. */
  readonly timeSliceTarget?: number;
  readonly timeSliceWindowMs?: number;
}

/** An SLO in Vigía's terms, whatever the spec format. */
export interface SloDefinition {
  readonly name: string;
  readonly service: string;
  readonly displayName: string;
  readonly description: string;
  readonly sli: SliSpec;
  readonly budgeting: BudgetingMethod;
  readonly objectives: readonly ObjectiveSpec[];
  readonly window: WindowSpec;
  /** Name of the DataSource it reads (OpenSLO `metricSourceRef`); absent: the only one given. */
  readonly dataSource?: string;
  /** Where it came from ("slos/availability.yaml#2") for messages. */
  readonly source: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A problem in a spec: errors stop the command, warnings are printed and the work goes on. */
export interface SpecProblem {
  readonly severity: 'error' | 'warning';
  /** "file.yaml#2: spec.objectives[0].target" */
  readonly where: string;
  readonly message: string;
}

/** What a spec directory holds after parsing. */
export interface SpecSet {
  readonly slos: readonly SloDefinition[];
  readonly dataSources: readonly DataSourceSpec[];
  readonly problems: readonly SpecProblem[];
}
