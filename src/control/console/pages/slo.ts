/**
 * SLO: the service level review `vigia slo report` builds (run by the control plane over its
 * `--slo-spec` directories: slo-source.ts), as a console page: per objective the target, the measured
 * value, the error budget left, the burn rate over the period and its last 30 days, the months, and
 * the budget and monthly charts (uPlot islands); DORA's four keys; coverage warnings first, since a
 * source that stops early looks like a quiet month. Prints plainly (the form and nav are not printed).
 * Every spec and record value (names, descriptions, notes) is escaped.
 */
import { plural } from '../../../core/plural.js';
import { VigiaError } from '../../../core/errors.js';
import type { SloReportDocument, SloReportEntry } from '../../../core/contracts/slo-report.js';
import { count } from '../../reports/format.js';
import type { ConsolePage } from '../page.js';
import { PERIOD_RE } from '../slo-source.js';
import { chart, e, table } from '../view.js';

function pct(v: number | null, digits = 2): string {
  return v === null ? '–' : `${(v * 100).toFixed(digits)} %`;
}

function num(v: number | null, digits = 2): string {
  return v === null ? '–' : String(Number(v.toFixed(digits)));
}

/** The measured value in the SLO's unit. */
function measured(s: SloReportEntry): string {
  if (s.value === null) return 'no data';
  return s.unit === '%' ? pct(s.value, 3) : `${num(s.value)} ${s.unit}`;
}

function verdict(met: boolean | null): string {
  return met === null ? '<td class="muted">no data</td>' : met ? '<td class="ok">met</td>' : '<td class="crit">NOT MET</td>';
}

function budgetCell(v: number | null): string {
  if (v === null) return '<td class="num muted">–</td>';
  return `<td class="num${v < 0 ? ' crit' : v < 0.25 ? ' warn' : ''}">${e(pct(v, 0))}</td>`;
}

function burnCell(v: number | null): string {
  if (v === null) return '<td class="num muted">–</td>';
  return `<td class="num${v > 1 ? ' crit' : ''}">${e(num(v))}×</td>`;
}

function form(period: string): string {
  return `<form class="search" method="get" action="/ui/slo"><label>Period<input name="period" value="${e(period)}" maxlength="40" size="24" aria-describedby="period-help"></label><button type="submit">Show</button>
<span id="period-help" class="muted">a year (2025), quarter (2025-Q3), month (2025-03), range (2025-01-01..2025-07-01) or the last 365d</span></form>`;
}

function notConfigured(): string {
  return `<div class="notice"><p>No SLO specs are configured on this control plane.</p>
<p>Start it with <code>--slo-spec DIR</code> (repeatable): OpenSLO v1 or Sloth specs and their data sources, as <code>vigia slo report --spec DIR</code> reads them (docs/slo.md); <code>--slo-period</code> picks the period shown first (default the last 365 days). <code>vigia up --demo</code> shows the demo year.</p></div>`;
}

function entrySection(s: SloReportEntry, i: number): string {
  const id = `slo-${i}`;
  const facts = [
    ['Objective', s.objectiveLabel], ['Measured', measured(s)], ['What is measured', s.sliLabel],
    ...(s.thresholdLabel ? [['A good event', s.thresholdLabel]] : []),
    ['Error budget', `${num(s.natural.allowed, 1)} ${s.natural.unit} allowed, ${num(s.natural.consumed, 1)} spent, ${num(s.natural.remaining, 1)} left`],
    ['Budget left', pct(s.budgetLeft, 1)], ['Burn rate (period / last 30 days)', `${num(s.burnRate)}× / ${num(s.recentBurnRate)}×`],
    ['Budget exhausted on', s.exhaustedOn ?? 'not exhausted'], ['Events', `${count(s.events)} ${s.eventNoun}`], ['Coverage', pct(s.coverage, 1)],
  ].map(([k, v]) => `<dt>${e(k!)}</dt><dd>${e(v!)}</dd>`).join('');
  const months = s.monthly.map((m) => `<tr><td>${e(m.month)}</td><td class="num">${e(m.value === null ? s.noEventsText : s.unit === '%' ? pct(m.value, 3) : `${num(m.value)} ${s.unit}`)}</td><td class="num">${e(pct(m.compliance))}</td>${verdict(m.met)}<td class="num">${e(count(m.events))}</td><td class="num">${e(count(m.bad))}</td><td class="num">${e(pct(m.budgetShare, 1))}</td></tr>`);
  const budget = s.budgetOverTime.length === 0 ? '' : chart(`${id}-budget`, `Error budget left over the period for ${s.displayName}`, {
    title: 'Error budget left (% of the period\'s budget)', series: [{ label: 'budget left', unit: '%' }],
    x: s.budgetOverTime.map((p) => Math.floor(Date.parse(p.at) / 1000)), y: [s.budgetOverTime.map((p) => p.remainingRatio * 100)],
  });
  const byStat = s.statistic !== 'ratio';
  const monthly = s.monthly.length === 0 ? '' : chart(`${id}-months`, `Monthly ${byStat ? s.statistic : 'compliance'} of ${s.displayName}`, byStat
    ? { title: `Monthly ${s.statistic} against the threshold`, series: [{ label: s.statistic, unit: s.unit }, { label: 'threshold', unit: s.unit, dash: true }], x: s.monthly.map((m) => Math.floor(Date.parse(m.from) / 1000)), y: [s.monthly.map((m) => m.value), s.monthly.map(() => s.objective.threshold)] }
    : { title: 'Monthly compliance against the target', series: [{ label: 'good events', unit: '%' }, { label: 'target', unit: '%', dash: true }], x: s.monthly.map((m) => Math.floor(Date.parse(m.from) / 1000)), y: [s.monthly.map((m) => (m.compliance === null ? null : m.compliance * 100)), s.monthly.map(() => s.objective.target * 100)] });
  const list = (title: string, items: readonly string[]): string => (items.length === 0 ? '' : `<h3>${e(title)}</h3><ul>${items.map((n) => `<li>${e(n)}</li>`).join('')}</ul>`);
  return `<section class="slo" id="${e(id)}"><h2>${e(s.displayName)} <span class="muted">${e(s.service)}</span></h2>
${s.description ? `<p>${e(s.description)}</p>` : ''}<dl class="kv">${facts}</dl>
${budget}${monthly}
${table(`Months of ${s.displayName}`, ['Month', 'Value', 'Good events', 'Verdict', 'Events', 'Bad', 'Budget spent'], months, 'No month in the period.', [1, 2, 4, 5, 6])}
${list('Notes', s.notes)}${list('What to fix', s.recommendations)}</section>`;
}

function dora(r: SloReportDocument): string {
  const d = r.dora;
  if (!d) return '<section><h2>DORA</h2><p class="empty">No deploy records: DORA\'s four keys need a data source with deploys.</p></section>';
  const band = (b: string | null): string => (b === null ? '<td class="muted">–</td>' : `<td>${e(b)}</td>`);
  const rows = [
    `<tr><td>Deployment frequency</td><td class="num">${e(num(d.deploysPerDay))} a day (${e(plural(d.deploys, 'deploy', { shown: count(d.deploys) }))} over ${e(plural(d.spanDays, 'day', { shown: num(d.spanDays, 0) }))})</td>${band(d.deploymentFrequencyBand)}</tr>`,
    `<tr><td>Lead time for changes (median)</td><td class="num">${e(num(d.leadTimeHours.median))} h</td>${band(d.leadTimeBand)}</tr>`,
    `<tr><td>Change failure rate</td><td class="num">${e(pct(d.changeFailureRate, 1))}</td>${band(d.changeFailureRateBand)}</tr>`,
    `<tr><td>Time to restore (median)</td><td class="num">${e(num(d.timeToRestoreHours.median))} h${d.openIncidents > 0 ? ` (${e(count(d.openIncidents))} still open)` : ''}</td>${band(d.timeToRestoreBand)}</tr>`,
  ];
  return `<section><h2>DORA</h2>${table('DORA four keys', ['Key', 'Value', 'Band'], rows, '', [1])}${r.doraRestoreFrom ? `<p class="muted">Time to restore from ${e(r.doraRestoreFrom)}.</p>` : ''}</section>`;
}

function report(r: SloReportDocument): string {
  const warnings = [...r.warnings.map((w) => w.message), ...r.specWarnings.map((w) => `${w.where}: ${w.message}`)];
  const warn = warnings.length === 0 ? '' : `<section class="warnings" aria-label="Coverage warnings"><h2>Coverage warnings</h2><ul>${warnings.map((w) => `<li class="warn">${e(w)}</li>`).join('')}</ul></section>`;
  const rows = r.slos.map((s, i) => `<tr><td><a href="#slo-${i}">${e(s.displayName)}</a></td><td>${e(s.service)}</td><td>${e(s.objectiveLabel)}</td><td class="num">${e(measured(s))}</td>${verdict(s.met)}${budgetCell(s.budgetLeft)}${burnCell(s.burnRate)}${burnCell(s.recentBurnRate)}<td class="num">${e(pct(s.coverage, 0))}</td></tr>`);
  const notMet = r.slos.filter((s) => s.met === false).length;
  const summary = `<p>${e(r.period.label)} (${e(r.period.from.slice(0, 10))} to ${e(r.period.to.slice(0, 10))}, ${e(r.period.timeZone)}): ${e(count(r.slos.length))} objective${r.slos.length === 1 ? '' : 's'}, <strong>${e(count(notMet))} not met</strong>. Built ${e(r.generatedAt.slice(0, 16).replace('T', ' '))} UTC.</p>`;
  const hygiene = r.hygiene.length === 0 ? '' : `<section><h2>Data hygiene</h2>${table('Data hygiene findings', ['Table', 'Finding', 'Rows', 'Examples'], r.hygiene.map((h) => `<tr><td>${e(h.table)}</td><td>${e(h.message)}</td><td class="num">${e(count(h.rows))}</td><td>${e(h.examples.join(', '))}</td></tr>`), '', [2])}</section>`;
  return `${summary}${warn}<section><h2>Objectives</h2>${table('Objectives', ['SLO', 'Service', 'Objective', 'Measured', 'Verdict', 'Budget left', 'Burn', 'Burn, last 30 d', 'Coverage'], rows, 'The specs define no objective.', [3, 5, 6, 7, 8])}</section>
${r.slos.map(entrySection).join('\n')}
${dora(r)}${hygiene}`;
}

/** GET /ui/slo?period=. */
export const sloPage: ConsolePage = {
  name: '/ui/slo', path: /^\/ui\/slo$/, nav: 'slo',
  async render({ deps, query }) {
    if (!deps.slo) return { title: 'SLO', body: notConfigured() };
    const asked = typeof query.period === 'string' && query.period.trim() !== '' ? query.period.trim() : deps.slo.defaultPeriod;
    if (!PERIOD_RE.test(asked)) {
      return { title: 'SLO', status: 400, body: `${form(asked)}<p class="error" role="alert">"${e(asked.slice(0, 40))}" is not a period: use a year (2025), quarter (2025-Q3), month (2025-03), range (2025-01-01..2025-07-01) or a duration (365d).</p>` };
    }
    try {
      const r = await deps.slo.report(asked);
      return { title: r.title, body: `${form(asked)}${report(r)}` };
    } catch (err) {
      const msg = err instanceof VigiaError ? `${err.code}: ${err.message}` : 'the SLO report could not be built (an unexpected error; see the control plane\'s log)';
      return { title: 'SLO', body: `${form(asked)}<p class="error" role="alert">${e(msg)}</p>` };
    }
  },
};
