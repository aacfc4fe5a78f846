/**
 * The yearly reliability review as data: every SLO of the spec set evaluated over the period,
 * recommendations, DORA's four keys from the same records, and the data-hygiene findings. The
 * renderers (text, Markdown, HTML, JSON) only format this. Pure: data in, report out.
 */
import { doraMetrics, type DoraMetrics } from '../dora/dora.js';
import { coveredPart, recordSpan, spanEndsBefore } from '../evaluate/coverage.js';
import { dayLabel, evaluateSlo, type ReportPeriod, type SliData, type SloResult } from '../evaluate/evaluate.js';
import type { HygieneFinding, OutageRow, SloDefinition, SpecProblem } from '../model.js';
import { isClientError } from '../sli/intervals.js';
import { recommendations } from './recommend.js';

/** One evaluated objective with its recommendations. */
export type ReportEntry = SloResult & { readonly recommendations: readonly string[] };

/** The whole report. */
export interface SloReport {
  readonly title: string;
  readonly period: ReportPeriod;
  readonly generatedAt: number;
  readonly entries: readonly ReportEntry[];
  readonly dora: DoraMetrics | null;
  /** The part of the period DORA's figures are taken over (the deploy source's records); null: none. */
  readonly doraSpan: { readonly from: number; readonly to: number } | null;
  /** Data sources whose records do not cover the whole period (a truncated export looks like a quiet month). */
  readonly sourceWarnings: readonly SourceWarning[];
  /** Where DORA's time to restore came from. */
  readonly doraRestoreFrom: 'outages' | 'tickets' | null;
  readonly hygiene: readonly HygieneFinding[];
  readonly specWarnings: readonly SpecProblem[];
}

/** A data source whose records stop before the period ends, start after it starts, or are missing. */
export interface SourceWarning {
  readonly source: string;
  readonly kind: 'stops_early' | 'starts_late' | 'no_records';
  /** Day (period's zone) of the first / last record; null without records. */
  readonly firstDay: string | null;
  readonly lastDay: string | null;
  readonly message: string;
}

const DAY = 86_400_000;

/**
 * Warnings for sources whose records miss part of the period. A day of slack at each end: an
 * export taken this morning ends yesterday evening. Prometheus sources report their own gaps.
 */
export function sourceWarnings(data: ReadonlyMap<string, SourceData>, period: ReportPeriod): SourceWarning[] {
  const out: SourceWarning[] = [];
  for (const [name, d] of data) {
    if (d.coverage !== undefined) continue;
    const span = recordSpan(d);
    const covered = coveredPart({ start: period.from, end: period.to }, span);
    const tz = period.timeZone;
    const firstDay = span ? dayLabel(span.start, tz) : null;
    const lastDay = span && Number.isFinite(span.end) ? dayLabel(span.end, tz) : null;
    if (!covered) {
      out.push({ source: name, kind: 'no_records', firstDay, lastDay, message: `data source ${name} has no record in the period${lastDay ? ` (its records stop on ${lastDay})` : ''}: every figure from it is no data` });
      continue;
    }
    if (spanEndsBefore(span, period.to - DAY)) {
      const days = Math.floor((period.to - span!.end) / DAY);
      out.push({ source: name, kind: 'stops_early', firstDay, lastDay, message: `the records of data source ${name} stop on ${lastDay}, ${days} day(s) before the period ends: the time after it is no data (not met, not up), and coverage and DORA figures count only the days the records cover` });
    }
    if (span!.start > period.from + DAY) {
      out.push({ source: name, kind: 'starts_late', firstDay, lastDay, message: `the records of data source ${name} start on ${firstDay}, after the period starts: the time before it is no data` });
    }
  }
  return out;
}

/** One data source's data as the report reads it: what the SLIs need, and what was found wrong in it. */
export type SourceData = SliData & { readonly hygiene?: readonly HygieneFinding[] };

/** What the report reads: per data-source name, its data. */
export interface ReportInputs {
  readonly slos: readonly SloDefinition[];
  readonly data: ReadonlyMap<string, SourceData>;
  /** Data for SLOs without a named data source (the only one). */
  readonly defaultSource?: string;
  readonly specWarnings?: readonly SpecProblem[];
}

/**
 * Outages as DORA incidents: client errors (4xx) left out, and overlapping records (two monitors
 * logging one outage) merged, so one outage is restored once. An open record keeps its incident open.
 */
export function restoreIncidents(outages: readonly OutageRow[]): Array<{ openedAt: number; closedAt: number | null }> {
  const spans = outages.filter((o) => !isClientError(o.code)).map((o) => ({ s: o.down, e: o.up ?? Infinity })).sort((a, b) => a.s - b.s);
  const out: Array<{ openedAt: number; closedAt: number | null }> = [];
  let cur: { s: number; e: number } | null = null;
  for (const x of spans) {
    if (cur && x.s <= cur.e) cur.e = Math.max(cur.e, x.e);
    else {
      if (cur) out.push({ openedAt: cur.s, closedAt: cur.e === Infinity ? null : cur.e });
      cur = { ...x };
    }
  }
  if (cur) out.push({ openedAt: cur.s, closedAt: cur.e === Infinity ? null : cur.e });
  return out;
}

/** Build the report. */
export function buildReport(inputs: ReportInputs, period: ReportPeriod, now: number, title = 'Service level review'): SloReport {
  const entries: ReportEntry[] = [];
  for (const slo of inputs.slos) {
    const data = inputs.data.get(slo.dataSource ?? inputs.defaultSource ?? '') ?? {};
    for (const r of evaluateSlo(slo, data, period)) entries.push({ ...r, recommendations: recommendations(r) });
  }
  const hygiene: HygieneFinding[] = [];
  for (const d of inputs.data.values()) hygiene.push(...(d.hygiene ?? []));
  const withDeploys = [...inputs.data.values()].find((d) => d.deploys && d.deploys.length > 0);
  let dora: DoraMetrics | null = null;
  let doraRestoreFrom: SloReport['doraRestoreFrom'] = null;
  let doraSpan: SloReport['doraSpan'] = null;
  if (withDeploys) {
    const inPeriod = (t: number): boolean => t >= period.from && t < period.to;
    const deploys = withDeploys.deploys!.filter((d) => inPeriod(d.deployAt)).map((d) => ({ id: d.id, team: d.team, status: d.status, commitAt: d.commitAt, deployAt: d.deployAt }));
    const outages = [...inputs.data.values()].find((d) => d.outages && d.outages.length > 0)?.outages;
    const tickets = [...inputs.data.values()].find((d) => d.tickets && d.tickets.length > 0)?.tickets;
    const incidents = outages
      ? restoreIncidents(outages.filter((o) => inPeriod(o.down)))
      : (tickets ?? []).filter((t) => inPeriod(t.openedAt)).map((t) => ({ openedAt: t.openedAt, closedAt: t.closedAt }));
    doraRestoreFrom = outages ? 'outages' : tickets ? 'tickets' : null;
    // Per-day figures over the days the deploy source's records cover, not over months it never reached.
    const covered = coveredPart({ start: period.from, end: period.to }, recordSpan(withDeploys));
    doraSpan = covered ? { from: covered.start, to: covered.end } : null;
    dora = doraMetrics(deploys, incidents, covered ? covered.end - covered.start : 0);
  }
  return {
    title, period, generatedAt: now, entries, dora, doraRestoreFrom, doraSpan, sourceWarnings: sourceWarnings(inputs.data, period), hygiene, specWarnings: inputs.specWarnings ?? [],
  };
}
