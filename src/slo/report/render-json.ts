/**
 * The report as JSON for other tools: times as ISO strings, every number as measured (no
 * rounding), "no data" as null. Stable field names (optional objective fields are null, never
 * missing): they are an interface.
 */
import type { SloReport } from './build-report.js';

/** JSON text of the report (schema version 1). */
export function renderJson(r: SloReport): string {
  const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
  return `${JSON.stringify(
    {
      schema: 'vigia.slo.report/v1',
      title: r.title,
      period: { label: r.period.label, from: iso(r.period.from), to: iso(r.period.to), timeZone: r.period.timeZone },
      generatedAt: iso(r.generatedAt),
      slos: r.entries.map((e) => ({
        ...e,
        objective: {
          displayName: e.objective.displayName, target: e.objective.target, op: e.objective.op ?? null, threshold: e.objective.threshold ?? null,
          statistic: e.objective.statistic ?? null, timeSliceTarget: e.objective.timeSliceTarget ?? null, timeSliceWindowMs: e.objective.timeSliceWindowMs ?? null,
        },
        exhaustedAt: iso(e.exhaustedAt),
        monthly: e.monthly.map((m) => ({ ...m, from: iso(m.from), to: iso(m.to) })),
        budgetOverTime: e.budgetOverTime.map((p) => ({ at: iso(p.at), remainingRatio: p.remainingRatio })),
      })),
      warnings: r.sourceWarnings,
      dora: r.dora,
      doraRestoreFrom: r.doraRestoreFrom,
      doraSpan: r.doraSpan && { from: iso(r.doraSpan.from), to: iso(r.doraSpan.to) },
      hygiene: r.hygiene,
      specWarnings: r.specWarnings,
    },
    null,
    2,
  )}\n`;
}
