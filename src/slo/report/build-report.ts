/**
 * The yearly reliability review as data: every SLO of the spec set evaluated over the period,
 * recommendations, DORA's four keys from the same records, and the data-hygiene findings. The
 * renderers (text, Markdown, HTML, JSON) only format this. Pure: data in, report out.
 */
import { doraMetrics, type DoraMetrics } from '../dora/dora.js';
import { evaluateSlo, type ReportPeriod, type SliData, type SloResult } from '../evaluate/evaluate.js';
import type { Dataset, HygieneFinding, SloDefinition, SpecProblem } from '../model.js';
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

/** What the report reads: per data-source name, its data. */
export interface ReportInputs {
  readonly slos: readonly SloDefinition[];
  readonly data: ReadonlyMap<string, SliData & { readonly hygiene?: Dataset['hygiene'] }>;
  /** Data for SLOs without a named data source (the only one). */
  readonly defaultSource?: string;
  readonly specWarnings?: readonly SpecProblem[];
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
      ? outages.filter((o) => inPeriod(o.down)).map((o) => ({ openedAt: o.down, closedAt: o.up }))
      : (tickets ?? []).filter((t) => inPeriod(t.openedAt)).map((t) => ({ openedAt: t.openedAt, closedAt: t.closedAt }));
    doraRestoreFrom = outages ? 'outages' : tickets ? 'tickets' : null;
    dora = doraMetrics(deploys, incidents, period.to - period.from);
  }
  return { title, period, generatedAt: now, entries, dora, doraRestoreFrom, hygiene, specWarnings: inputs.specWarnings ?? [] };
}
