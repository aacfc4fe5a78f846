/**
 * `vigia slo report` end to end (the I/O edge): load the specs, read each data source the SLOs use
 * (CSV files, PostgreSQL/MySQL tables, Prometheus range queries) over the period, build the report
 * and render it. Progress goes to `onProgress`; spec errors stop before any data is read.
 */
import { VigiaError } from '../../core/errors.js';
import { sanitiseJson, sanitiseLines } from '../../core/sanitise.js';
import type { ReportPeriod } from '../evaluate/evaluate.js';
import type { DataSourceSpec, SloDefinition, SpecSet } from '../model.js';
import { readCsvDataset } from '../sources/csv-source.js';
import { readPrometheusSeries } from '../sources/prometheus-source.js';
import { readSqlDataset } from '../sources/sql-source.js';
import { formatProblems, loadSpecs } from '../spec/load-specs.js';
import { buildReport, type SloReport, type SourceData } from './build-report.js';
import { renderHtml } from './render-html.js';
import { renderJson } from './render-json.js';
import { renderMarkdown, renderText } from './render-text.js';

/** How far before the period the records are read (see readData). */
const LOOKBACK_MS = 35 * 86_400_000;

/** Output formats. */
export type ReportFormat = 'text' | 'markdown' | 'html' | 'json';

/**
 * Render a report in a format. Record fields (ticket groups, symptoms, hygiene examples) come from
 * data sources that anyone filing a ticket or writing a log line fills in, so the output goes
 * through core/sanitise: no raw control or format character (ESC, BEL, U+202E) reaches a terminal
 * or a browser; JSON keeps the exact values as JSON escapes.
 */
export function renderReport(r: SloReport, format: ReportFormat): string {
  switch (format) {
    case 'text':
      return sanitiseLines(renderText(r));
    case 'markdown':
      return sanitiseLines(renderMarkdown(r));
    case 'html':
      return sanitiseLines(renderHtml(r));
    case 'json':
      return sanitiseJson(renderJson(r));
  }
}

/** Load and check specs: errors throw (all of them in one message), warnings are returned. */
export async function loadCheckedSpecs(paths: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<SpecSet> {
  const set = await loadSpecs([...paths], env);
  const errors = set.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new VigiaError('VIGIA_ERR_CONFIG', `the SLO specs have ${errors.length} error(s):\n${formatProblems(errors)}`);
  if (set.slos.length === 0) throw new VigiaError('VIGIA_ERR_CONFIG', `no SLO found in ${paths.join(', ')}`);
  return set;
}

/** Which data source an SLO reads. */
function sourceOf(slo: SloDefinition, sources: readonly DataSourceSpec[]): DataSourceSpec | undefined {
  if (slo.dataSource !== undefined) return sources.find((s) => s.name === slo.dataSource);
  return sources.length === 1 ? sources[0] : undefined;
}

/** Read every source the SLOs use over the period. */
export async function readData(set: SpecSet, period: ReportPeriod, onProgress: (msg: string) => void): Promise<Map<string, SourceData>> {
  const out = new Map<string, SourceData>();
  // Read records a little before the period: the gap from the last deploy before it, and a feature's
  // failures before its first success in it, belong to events inside the period. Events are judged by
  // their own moment, so nothing before the period is counted in it. Prometheus (time series, no
  // events across the edge) is read over the period itself.
  const window = { from: period.from - LOOKBACK_MS, to: period.to };
  for (const slo of set.slos) {
    const src = sourceOf(slo, set.dataSources);
    if (!src) throw new VigiaError('VIGIA_ERR_CONFIG', `${slo.source}: SLO ${slo.name} names no data source${slo.dataSource ? ` (${slo.dataSource} is not defined)` : ''}`);
    if (src.kind === 'prometheus') {
      if (slo.sli.kind !== 'prometheus-ratio' && slo.sli.kind !== 'prometheus-raw') throw new VigiaError('VIGIA_ERR_CONFIG', `${slo.source}: SLO ${slo.name} reads Prometheus source ${src.name} but its SLI is ${slo.sli.kind}`);
      onProgress(`querying Prometheus ${src.name} for ${slo.name}`);
      const got = await readPrometheusSeries(src, slo.sli, { from: period.from, to: period.to });
      // Each Prometheus SLO has its own series: keyed by SLO, not by source.
      const notes = { coverage: got.coverage, sourceNotes: got.warnings };
      out.set(`${src.name}\u0000${slo.name}`, 'series' in got ? { requests: got.series, ...notes } : { errorRatio: got.errorRatio, ...notes });
      continue;
    }
    if (out.has(src.name)) continue;
    onProgress(`reading ${src.kind} source ${src.name}`);
    const ds = src.kind === 'csv' ? await readCsvDataset(src, window, { onProgress }) : await readSqlDataset(src, window, { onProgress });
    out.set(src.name, { deploys: ds.deploys, tickets: ds.tickets, outages: ds.outages, requests: ds.requests, hygiene: ds.hygiene });
  }
  return out;
}

/** Load, read, build. */
export async function makeReport(opts: {
  specPaths: readonly string[];
  period: ReportPeriod;
  now: number;
  env: Readonly<Record<string, string | undefined>>;
  title?: string;
  onProgress?: (msg: string) => void;
}): Promise<SloReport> {
  const progress = opts.onProgress ?? (() => {});
  // Time that has not happened yet is not "up": a period reaching past now ends now.
  if (opts.period.from >= opts.now) throw new VigiaError('VIGIA_ERR_CONFIG', `the period ${opts.period.label} has not started yet`);
  const period = opts.period.to > opts.now ? { ...opts.period, to: opts.now, label: `${opts.period.label} (to date)` } : opts.period;
  const set = await loadCheckedSpecs(opts.specPaths, opts.env);
  const data = await readData(set, period, progress);
  // Prometheus SLOs read their own series: give each a private source name.
  const slos = set.slos.map((s) => {
    const src = sourceOf(s, set.dataSources);
    return src?.kind === 'prometheus' ? { ...s, dataSource: `${src.name}\u0000${s.name}` } : { ...s, dataSource: src?.name };
  });
  progress(`evaluating ${slos.length} SLO(s) over ${period.label}`);
  return buildReport({ slos, data, specWarnings: set.problems.filter((p) => p.severity === 'warning') }, period, opts.now, opts.title);
}
