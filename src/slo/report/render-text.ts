/**
 * The report as text: a terminal view (aligned columns) and Markdown (GitHub tables). Both come
 * from one list of sections so they always say the same thing. Pure.
 */
import type { DoraBand } from '../dora/dora.js';
import type { SloReport, ReportEntry } from './build-report.js';
import { formatValue } from './recommend.js';
import { dayLabel } from '../evaluate/evaluate.js';
import { plural } from '../../core/plural.js';

type Block = { kind: 'charts'; entry: ReportEntry } | { kind: 'heading'; level: 1 | 2 | 3; text: string } | { kind: 'para'; text: string } | { kind: 'list'; items: string[] } | { kind: 'table'; head: string[]; rows: string[][]; align?: Array<'l' | 'r'> };

const pct = (r: number | null, d = 1): string => (r === null ? '–' : `${(r * 100).toFixed(d)} %`);
const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const num = (x: number | null, d = 2): string => (x === null ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));

/** "met", "NOT MET", "no data". */
export const verdict = (met: boolean | null): string => (met === null ? 'no data' : met ? 'met' : 'NOT MET');

/** Margin with its unit and sign ("+0.21 h", "-1.25 %"). */
export function marginText(e: Pick<ReportEntry, 'unit' | 'margin'>): string {
  if (e.margin === null) return '–';
  const sign = e.margin >= 0 ? '+' : '−';
  const abs = Math.abs(e.margin);
  if (e.unit === '%') return `${sign}${(abs * 100).toFixed(2)} pts`;
  return `${sign}${num(abs)} ${e.unit}`;
}

function measured(e: ReportEntry): string {
  return e.statistic === 'ratio' ? formatValue(e, e.value) : `${e.statistic} ${formatValue(e, e.value)}`;
}

function summaryTable(r: SloReport): Block {
  return {
    kind: 'table',
    head: ['SLO', 'objective', 'measured', 'result', 'margin', 'budget left', 'burn rate'],
    align: ['l', 'l', 'r', 'l', 'r', 'r', 'r'],
    rows: r.entries.map((e) => [`${e.service} / ${e.name}`, e.objectiveLabel, measured(e), verdict(e.met), marginText(e), pct(e.budgetLeft, 0), num(e.burnRate)]),
  };
}

function entryBlocks(e: ReportEntry): Block[] {
  const b: Block[] = [{ kind: 'heading', level: 2, text: `${e.displayName} (${e.service} / ${e.name})` }];
  if (e.description) b.push({ kind: 'para', text: e.description });
  b.push({ kind: 'charts', entry: e });
  const lines = [
    `SLI: ${e.sliLabel}; ${int(e.events)} ${e.unit === '%' && e.sliKind === 'availability' ? 'minutes' : 'events'} measured, coverage ${pct(e.coverage, 0)}; budgeting ${e.budget.unit === 'slices' ? `time slices of ${(e.budget.sliceMs ?? 0) / 60_000} min` : 'occurrences'}`,
    `Measured: ${measured(e)}; objective ${e.objectiveLabel}; ${verdict(e.met)}${e.margin === null ? '' : ` (margin ${marginText(e)})`}`,
  ];
  const ranOut = e.exhaustedOn === null ? '' : `; ran out on ${e.exhaustedOn}`;
  const eventBudget = `allowed ${num(e.natural.allowed, 1)} ${e.natural.unit}, consumed ${num(e.natural.consumed, 1)}, remaining ${num(e.natural.remaining, 1)} (${pct(e.budget.remainingRatio, 0)})`;
  const within = e.thresholdLabel === null ? '' : `Share within the threshold: ${pct(e.compliance)} of ${e.eventNoun} ${e.thresholdLabel} (target ${pct(e.objective.target, 0)}): ${eventBudget}`;
  if (e.budgetBasis === 'values' && e.valueBudget) {
    const v = e.valueBudget;
    lines.push(`Error budget (${e.objectiveLabel}: the ${e.eventNoun}' ${v.unit} may add up to ${num(e.objective.threshold ?? 0)} × ${int(e.events)}): allowed ${num(v.allowed, 0)} ${v.unit}, spent ${num(v.consumed, 0)}, left ${num(v.remaining, 0)} (${pct(e.budgetLeft, 0)}); burn rate ${num(e.burnRate)}, last 30 days ${num(e.recentBurnRate)}${ranOut}`);
    lines.push(within);
  } else if (e.budgetBasis === 'none') {
    lines.push(`No error budget for a ${e.statistic} objective: the verdict is the ${e.statistic} against the threshold. For information: ${within.charAt(0).toLowerCase()}${within.slice(1)}`);
  } else {
    lines.push(`Error budget (target ${pct(e.objective.target, 2)}): ${eventBudget}; burn rate ${num(e.burnRate)}, last 30 days ${num(e.recentBurnRate)}${ranOut}`);
    if (within) lines.push(within.replace(/: allowed .*$/, ''));
  }
  b.push({ kind: 'list', items: lines });
  b.push({
    kind: 'table',
    head: ['month', e.statistic === 'ratio' ? 'value' : e.statistic, ...(e.statistic === 'ratio' ? [] : ['within threshold']), 'result', e.eventNoun, 'bad', 'budget spent'],
    align: ['l', 'r', ...(e.statistic === 'ratio' ? [] : ['r' as const]), 'l', 'r', 'r', 'r'],
    rows: e.monthly.map((m) => [m.month, m.value === null && m.events === 0 ? e.noEventsText : formatValue(e, m.value), ...(e.statistic === 'ratio' ? [] : [pct(m.compliance)]), verdict(m.met), int(m.events), int(m.bad), pct(m.budgetShare, 0)]),
  });
  if (e.recommendations.length > 0) {
    b.push({ kind: 'heading', level: 3, text: 'Recommendations' });
    b.push({ kind: 'list', items: [...e.recommendations] });
  }
  if (e.notes.length > 0) {
    b.push({ kind: 'heading', level: 3, text: 'Notes' });
    b.push({ kind: 'list', items: [...e.notes] });
  }
  return b;
}

const BAND: Record<DoraBand, string> = { elite: 'elite', high: 'high', medium: 'medium', low: 'low' };

function doraBlocks(r: SloReport): Block[] {
  const d = r.dora;
  if (!d) return [];
  const band = (x: DoraBand | null): string => (x === null ? '–' : BAND[x]);
  const span = r.doraSpan;
  // Nothing measured reads as such: never a rate or a median over nothing.
  const noDeploys = d.deploys === 0 ? (span ? 'no deploys' : 'no data') : null;
  const restore = d.timeToRestoreHours.median === null ? (r.doraRestoreFrom === null ? 'no data' : 'no restored incident') : `median ${num(d.timeToRestoreHours.median, 1)} h (p90 ${num(d.timeToRestoreHours.p90, 1)} h)`;
  return [
    { kind: 'heading', level: 2, text: 'DORA four keys' },
    {
      kind: 'para',
      text: span
        ? `Over ${dayLabel(span.from, r.period.timeZone)} to ${dayLabel(span.to - 1, r.period.timeZone)} (${plural(d.spanDays, 'day', { shown: num(d.spanDays, 1) })}), the days the deploy records cover${span.to - span.from < r.period.to - r.period.from - 86_400_000 ? `, not the whole period` : ''}.`
        : 'The deploy records cover no day of the period: no data.',
    },
    {
      kind: 'table',
      head: ['key', 'value', 'band (2023 report)'],
      align: ['l', 'r', 'l'],
      rows: [
        ['deployment frequency', noDeploys ?? (d.successfulDeploys === 0 ? 'no successful deploys' : `${num(d.deploysPerDay)} successful deploys/day (${int(d.successfulDeploys)})`), band(d.deploymentFrequencyBand)],
        ['lead time for changes', d.leadTimeHours.median === null ? noDeploys ?? 'no successful deploys' : `median ${num(d.leadTimeHours.median, 1)} h (p90 ${num(d.leadTimeHours.p90, 1)} h)`, band(d.leadTimeBand)],
        ['change failure rate', noDeploys ?? `${pct(d.changeFailureRate)} (${int(d.failedDeploys)} of ${int(d.deploys)} deploys)`, band(d.changeFailureRateBand)],
        [`time to restore (${r.doraRestoreFrom ?? 'no data'})`, restore, band(d.timeToRestoreBand)],
      ],
    },
    ...(d.openIncidents > 0 || d.duplicateDeployRows > 0
      ? [{ kind: 'list' as const, items: [d.openIncidents > 0 ? `${d.openIncidents} incident(s) still open: not in the time to restore` : '', d.duplicateDeployRows > 0 ? `${d.duplicateDeployRows} duplicated deploy row(s) counted once` : ''].filter(Boolean) }]
      : []),
  ];
}

function hygieneBlocks(r: SloReport): Block[] {
  const b: Block[] = [{ kind: 'heading', level: 2, text: 'Data hygiene' }];
  if (r.hygiene.length === 0 && r.specWarnings.length === 0) {
    b.push({ kind: 'para', text: 'No problem found in the records.' });
    return b;
  }
  if (r.hygiene.length > 0) {
    b.push({
      kind: 'table',
      head: ['table', 'finding', 'rows', 'detail', 'examples'],
      align: ['l', 'l', 'r', 'l', 'l'],
      rows: r.hygiene.map((h) => [h.table, h.kind.replace(/_/g, ' '), int(h.rows), h.message, h.examples.slice(0, 3).join(', ')]),
    });
  }
  if (r.specWarnings.length > 0) b.push({ kind: 'list', items: r.specWarnings.map((w) => `spec ${w.severity}: ${w.where}: ${w.message}`) });
  return b;
}

/** The report as blocks, in order. */
function blocks(r: SloReport): Block[] {
  const met = r.entries.filter((e) => e.met === true).length;
  const missed = r.entries.filter((e) => e.met === false).length;
  const noData = r.entries.length - met - missed;
  return [
    { kind: 'heading', level: 1, text: `${r.title}: ${r.period.label} (${dayLabel(r.period.from, r.period.timeZone)} to ${dayLabel(r.period.to, r.period.timeZone)}, ${r.period.timeZone})` },
    { kind: 'para', text: `${r.entries.length} objective(s): ${met} met, ${missed} not met${noData > 0 ? `, ${noData} without data` : ''}.` },
    ...(r.sourceWarnings.length > 0 ? [{ kind: 'heading' as const, level: 2 as const, text: 'Warnings' }, { kind: 'list' as const, items: r.sourceWarnings.map((w) => `Warning: ${w.message}`) }] : []),
    summaryTable(r),
    ...r.entries.flatMap(entryBlocks),
    ...doraBlocks(r),
    ...hygieneBlocks(r),
  ];
}

function pad(s: string, w: number, align: 'l' | 'r'): string {
  const len = [...s].length;
  return align === 'r' ? ' '.repeat(Math.max(0, w - len)) + s : s + ' '.repeat(Math.max(0, w - len));
}

/** Terminal text. */
export function renderText(r: SloReport): string {
  const out: string[] = [];
  for (const b of blocks(r)) {
    if (b.kind === 'charts') continue;
    if (b.kind === 'heading') {
      out.push('');
      out.push(b.level === 1 ? b.text.toUpperCase() : b.level === 2 ? `== ${b.text}` : `-- ${b.text}`);
    } else if (b.kind === 'para') out.push(b.text);
    else if (b.kind === 'list') for (const i of b.items) out.push(`  - ${i}`);
    else {
      const widths = b.head.map((h, i) => Math.max([...h].length, ...b.rows.map((row) => [...(row[i] ?? '')].length)));
      const align = b.align ?? b.head.map(() => 'l' as const);
      out.push(('  ' + b.head.map((h, i) => pad(h, widths[i]!, align[i]!)).join('  ')).trimEnd());
      out.push('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
      for (const row of b.rows) out.push(('  ' + row.map((c, i) => pad(c, widths[i]!, align[i]!)).join('  ')).trimEnd());
    }
  }
  return out.join('\n').trimStart() + '\n';
}

const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown (GitHub-flavoured tables). */
export function renderMarkdown(r: SloReport): string {
  const out: string[] = [];
  for (const b of blocks(r)) {
    if (b.kind === 'charts') continue;
    if (b.kind === 'heading') out.push(`${'#'.repeat(b.level)} ${b.text}`, '');
    else if (b.kind === 'para') out.push(b.text, '');
    else if (b.kind === 'list') out.push(...b.items.map((i) => `- ${i}`), '');
    else {
      const align = b.align ?? b.head.map(() => 'l' as const);
      out.push(`| ${b.head.map(mdCell).join(' | ')} |`, `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`);
      for (const row of b.rows) out.push(`| ${row.map(mdCell).join(' | ')} |`);
      out.push('');
    }
  }
  return out.join('\n');
}

/** Exposed for the HTML renderer: the same sections. */
export { blocks as reportBlocks };
export type { Block as ReportBlock };
