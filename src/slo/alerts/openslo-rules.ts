/**
 * OpenSLO SLOs over Prometheus as Sloth's rule model, the way Sloth maps OpenSLO (its
 * `internal/openslo` loader): one rule SLO per objective, id `<service>-<name>-<index>`, name
 * `<name>-<index>`, objective = target × 100, good/total turned into a raw error ratio
 * `1 - ((good) / (total))` with Sloth's exact layout, page and ticket alerts disabled (OpenSLO
 * carries no Sloth alerting metadata). A bad/total SLI, which Sloth's loader does not take, maps to
 * Sloth's own events SLI (bad = error query); a raw error ratio stays raw. Pure.
 */
import type { SloDefinition } from '../model.js';
import type { RuleSlo } from '../spec/sloth-spec.js';

/** Sloth's raw error ratio from good and total queries (errorRatioRawQueryTpl). */
export const goodTotalErrorRatio = (good: string, total: string): string => `\n  1 - (\n    (\n      ${good}\n    )\n    /\n    (\n      ${total}\n    )\n  )\n`;

/** Rule SLOs of an OpenSLO SLO, or a reason it has none (its SLI is not Prometheus). */
export function openSloRuleSlos(def: SloDefinition): { slos: RuleSlo[] } | { skipped: string } {
  const sli = def.sli;
  if (sli.kind !== 'prometheus-ratio' && sli.kind !== 'prometheus-raw') return { skipped: `${def.source}: SLO ${def.name} reads ${sli.kind} records, not Prometheus: no rules` };
  const ruleSli: RuleSlo['sli'] =
    sli.kind === 'prometheus-raw'
      ? { kind: 'raw', errorRatioQuery: sli.errorRatioQuery }
      : sli.badQuery !== undefined
        ? { kind: 'events', errorQuery: sli.badQuery, totalQuery: sli.totalQuery }
        : { kind: 'raw', errorRatioQuery: goodTotalErrorRatio(sli.goodQuery ?? '', sli.totalQuery) };
  return {
    slos: def.objectives.map((o, i) => ({
      id: `${def.service}-${def.name}-${i}`,
      name: `${def.name}-${i}`,
      service: def.service,
      ...(def.description ? { description: def.description } : {}),
      objective: o.target * 100,
      labels: def.labels,
      sli: ruleSli,
      alertName: null,
      page: null,
      ticket: null,
    })),
  };
}
