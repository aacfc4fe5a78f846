/**
 * The yearly reliability review as data: every SLO of the spec set evaluated over the period,
 * recommendations, DORA's four keys from the same records, and the data-hygiene findings. The
 * renderers (text, Markdown, HTML, JSON) only format this. Pure: data in, report out.
 */
import { doraMetrics, type DoraMetrics } from '../dora/dora.js';
import { evaluateSlo, type ReportPeriod, type SliData, type SloResult } from '../evaluate/evaluate.js';
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
  /** Where DORA's time to restore came from. */
  readonly doraRestoreFrom: 'outages' | 'tickets' | null;
  readonly hygiene: readonly HygieneFinding[];
  readonly specWarnings: readonly SpecProblem[];
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
  if (withDeploys) {
    const inPeriod = (t: number): boolean => t >= period.from && t < period.to;
    const deploys = withDeploys.deploys!.filter((d) => inPeriod(d.deployAt)).map((d) => ({ id: d.id, team: d.team, status: d.status, commitAt: d.commitAt, deployAt: d.deployAt }));
    const outages = [...inputs.data.values()].find((d) => d.outages && d.outages.length > 0)?.outages;
    const tickets = [...inputs.data.values()].find((d) => d.tickets && d.tickets.length > 0)?.tickets;
    const incidents = outages
      ? restoreIncidents(outages.filter((o) => inPeriod(o.down)))
      : (tickets ?? []).filter((t) => inPeriod(t.openedAt)).map((t) => ({ openedAt: t.openedAt, closedAt: t.closedAt }));
    doraRestoreFrom = outages ? 'outages' : tickets ? 'tickets' : null;
    dora = doraMetrics(deploys, incidents, period.to - period.from);
  }
  return { title, period, generatedAt: now, entries, dora, doraRestoreFrom, hygiene, specWarnings: inputs.specWarnings ?? [] };
}
