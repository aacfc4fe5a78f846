/**
 * Prometheus recording and alerting rules for SLOs, semantically identical to what Sloth generates
 * for the same spec and period (same groups, record and alert names, PromQL, labels, annotations,
 * burn-rate factors printed the way Go prints them):
 *
 * - `sloth-slo-sli-recordings-<id>`: the error ratio over every alert window (sorted, de-duplicated),
 *   then over the SLO period, computed from the shortest window's series (Sloth's "optimized" rule);
 * - `sloth-slo-meta-recordings-<id>`: objective, error budget, period, current and period burn rate,
 *   remaining budget, and `sloth_slo_info`;
 * - `sloth-slo-alerts-<id>`: the page (quick + slow) and ticket (quick + slow) multi-window
 *   multi-burn-rate alerts.
 *
 * On top of Sloth, tiers that can never fire are found: a tier fires when the error ratio exceeds
 * factor × error budget, so when that product is ≥ 1 (an error ratio above 100 %) it never can.
 * An alert whose two tiers are both dead is refused; one dead tier is a warning.
 */
import { VigiaError } from '../../core/errors.js';
import type { RuleSlo } from '../spec/sloth-spec.js';
import { formatDuration } from '../spec/duration.js';
import { burnRateFactor, windowsFor, type AlertWindow, type PeriodWindows } from './alert-windows.js';
import { goF, goG } from './go-format.js';

/** A recording rule. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** An alerting rule. */
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** A rule group. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: ReadonlyArray<RecordingRule | AlertingRule>;
}

/**
 * Alert expression shape: `max-without` as Sloth writes it since v0.11.0 (`max(... > x) without
 * (sloth_window)` joined by and/or; commit d6cc239 "Ignore sloth_window in prometheus alerts", still
 * so in v0.16.0's alert_rules_v1 plugin), `ignoring` as Sloth v0.1.0-v0.10.0 did (`and ignoring
 * (sloth_window)`, internal/prometheus/alert_rules.go at those tags). Both select the same series.
 */
export type AlertExprStyle = 'max-without' | 'ignoring';

/** Options. */
export interface RulesOptions {
  readonly periodMs: number;
  readonly windows?: readonly PeriodWindows[];
  /** Added to every recording rule, over the spec's labels (Sloth's --extra-labels). */
  readonly extraLabels?: Readonly<Record<string, string>>;
  readonly alertStyle?: AlertExprStyle;
  /** `sloth_version` of sloth_slo_info. */
  readonly generatorVersion: string;
  /** `sloth_spec` of sloth_slo_info: the input format. */
  readonly specFormat?: string;
  /** `sloth_mode` of sloth_slo_info. */
  readonly mode?: string;
}

/** Rules of one or more SLOs, with warnings. */
export interface GeneratedRules {
  readonly groups: readonly RuleGroup[];
  readonly warnings: readonly string[];
}

/** Name of the error-ratio series over a window. */
export const sliErrorRecord = (windowMs: number): string => `slo:sli_error:ratio_rate${formatDuration(windowMs)}`;

/** Fill `{{.window}}` (any spacing) in a query. */
export function renderWindow(query: string, windowMs: number): string {
  return query.replace(/\{\{ *\.window *\}\}/g, formatDuration(windowMs));
}

function sliExpr(slo: RuleSlo, windowMs: number): string {
  if (slo.sli.kind === 'events') return `(${renderWindow(slo.sli.errorQuery, windowMs)})\n/\n(${renderWindow(slo.sli.totalQuery, windowMs)})\n`;
  return `(${renderWindow(slo.sli.errorRatioQuery, windowMs)})`;
}

/** `{sloth_id="…", sloth_service="…", sloth_slo="…"}` (keys sorted, as Prometheus prints a label set). */
function idFilter(slo: RuleSlo): string {
  return `{sloth_id=${JSON.stringify(slo.id)}, sloth_service=${JSON.stringify(slo.service)}, sloth_slo=${JSON.stringify(slo.name)}}`;
}

/** The SLI windows: the alert windows de-duplicated and sorted, then the period. */
export function sliWindows(w: PeriodWindows): number[] {
  const all = new Set<number>();
  for (const a of [w.pageQuick, w.pageSlow, w.ticketQuick, w.ticketSlow]) {
    all.add(a.shortMs);
    all.add(a.longMs);
  }
  return [...[...all].sort((a, b) => a - b), w.periodMs];
}

function burnExpr(metric: string, filter: string): string {
  return `${metric}${filter}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${filter}\n`;
}

function alertExpr(style: AlertExprStyle, filter: string, quick: AlertWindow, slow: AlertWindow, qf: number, sf: number, eb: string): string {
  const cond = (w: number, f: number): string => `${sliErrorRecord(w)}${filter} > (${goG(f)} * ${eb})`;
  if (style === 'max-without') {
    const m = (w: number, f: number): string => `max(${cond(w, f)}) without (sloth_window)`;
    return `(\n    ${m(quick.shortMs, qf)}\n    and\n    ${m(quick.longMs, qf)}\n)\nor\n(\n    ${m(slow.shortMs, sf)}\n    and\n    ${m(slow.longMs, sf)}\n)\n`;
  }
  const p = (w: number, f: number): string => `(${cond(w, f)})`;
  return `(\n    ${p(quick.shortMs, qf)}\n    and ignoring (sloth_window)\n    ${p(quick.longMs, qf)}\n)\nor ignoring (sloth_window)\n(\n    ${p(slow.shortMs, sf)}\n    and ignoring (sloth_window)\n    ${p(slow.longMs, sf)}\n)\n`;
}

/** Generate the rule groups for SLOs (in order); throws VIGIA_ERR_CONFIG on an alert that can never fire. */
export function generateSlothRules(slos: readonly RuleSlo[], opts: RulesOptions): GeneratedRules {
  const windows = windowsFor(opts.periodMs, opts.windows);
  const style = opts.alertStyle ?? 'max-without';
  const groups: RuleGroup[] = [];
  const warnings: string[] = [];
  const period = formatDuration(windows.periodMs);
  for (const slo of slos) {
    const ids = { sloth_id: slo.id, sloth_service: slo.service, sloth_slo: slo.name };
    const labels = { ...slo.labels, ...opts.extraLabels };
    const filter = idFilter(slo);
    const sliLabels = (w: number): Record<string, string> => ({ ...ids, sloth_window: formatDuration(w), ...labels });
    const wins = sliWindows(windows);
    const shortest = windows.pageQuick.shortMs;
    if (shortest === windows.periodMs) throw new VigiaError('VIGIA_ERR_CONFIG', `${slo.id}: the page quick short window equals the SLO period`);
    const sli: RecordingRule[] = wins.slice(0, -1).map((w) => ({ record: sliErrorRecord(w), expr: sliExpr(slo, w), labels: sliLabels(w) }));
    const src = `${sliErrorRecord(shortest)}${filter}[${period}]`;
    sli.push({ record: sliErrorRecord(windows.periodMs), expr: `sum_over_time(${src})\n/ ignoring (sloth_window)\ncount_over_time(${src})\n`, labels: sliLabels(windows.periodMs) });
    groups.push({ name: `sloth-slo-sli-recordings-${slo.id}`, rules: sli });

    const metaLabels = { ...ids, ...labels };
    const ratio = slo.objective / 100;
    groups.push({
      name: `sloth-slo-meta-recordings-${slo.id}`,
      rules: [
        { record: 'slo:objective:ratio', expr: `vector(${goG(ratio)})`, labels: metaLabels },
        { record: 'slo:error_budget:ratio', expr: `vector(1-${goG(ratio)})`, labels: metaLabels },
        { record: 'slo:time_period:days', expr: `vector(${goG(windows.periodMs / 3_600_000 / 24)})`, labels: metaLabels },
        { record: 'slo:current_burn_rate:ratio', expr: burnExpr(sliErrorRecord(shortest), filter), labels: metaLabels },
        { record: 'slo:period_burn_rate:ratio', expr: burnExpr(sliErrorRecord(windows.periodMs), filter), labels: metaLabels },
        { record: 'slo:period_error_budget_remaining:ratio', expr: `1 - slo:period_burn_rate:ratio${filter}`, labels: metaLabels },
        {
          record: 'sloth_slo_info', expr: 'vector(1)',
          labels: { ...metaLabels, sloth_version: opts.generatorVersion, sloth_mode: slo.mode ?? opts.mode ?? 'cli-gen-prom', sloth_spec: slo.specFormat ?? opts.specFormat ?? 'prometheus/v1', sloth_objective: goF(slo.objective) },
        },
      ],
    });

    const budget = (100 - slo.objective) / 100;
    const eb = goG(budget);
    const alerts: AlertingRule[] = [];
    const tiers = [
      { severity: 'page', meta: slo.page, quick: windows.pageQuick, slow: windows.pageSlow },
      { severity: 'ticket', meta: slo.ticket, quick: windows.ticketQuick, slow: windows.ticketSlow },
    ] as const;
    for (const t of tiers) {
      if (!t.meta) continue;
      const qf = burnRateFactor(windows.periodMs, t.quick);
      const sf = burnRateFactor(windows.periodMs, t.slow);
      const dead = [
        { name: 'quick', f: qf, w: t.quick },
        { name: 'slow', f: sf, w: t.slow },
      ].filter((x) => x.f * budget >= 1);
      const explain = (x: { name: string; f: number; w: AlertWindow }): string =>
        `${t.severity} ${x.name} (${formatDuration(x.w.shortMs)}/${formatDuration(x.w.longMs)}) fires above ${goG(x.f)} × ${eb} = ${(x.f * budget * 100).toFixed(1)} % errors, which cannot happen`;
      if (dead.length === 2) {
        throw new VigiaError('VIGIA_ERR_CONFIG', `${slo.id}: the ${t.severity} alert can never fire at objective ${goF(slo.objective)} %: ${dead.map(explain).join('; ')}. Disable ${t.severity}_alert, raise the objective, or use alert windows with a smaller budget share`);
      }
      if (dead.length === 1) warnings.push(`${slo.id}: ${explain(dead[0]!)}; only the other tier of the ${t.severity} alert can fire`);
      alerts.push({
        alert: slo.alertName!,
        expr: alertExpr(style, filter, t.quick, t.slow, qf, sf, eb),
        labels: { sloth_severity: t.severity, ...t.meta.labels },
        annotations: {
          title: `(${t.severity}) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.`,
          summary: '{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.',
          ...t.meta.annotations,
        },
      });
    }
    if (alerts.length > 0) groups.push({ name: `sloth-slo-alerts-${slo.id}`, rules: alerts });
  }
  return { groups, warnings };
}
