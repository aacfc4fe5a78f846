/**
 * Recommendations in words, drawn from an SLO result's drivers and monthly table: which group
 * drives the miss, by how much, and what the figure would be without it. Pure.
 */
import type { SloResult } from '../evaluate/evaluate.js';

const pct = (r: number, digits = 1): string => `${(r * 100).toFixed(digits)} %`;
const num = (x: number, digits = 1): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The SLO's value as text in its unit ("93.21 %", "41.2 h", "4.9 failures"). */
export function formatValue(r: Pick<SloResult, 'unit'>, v: number | null): string {
  if (v === null) return 'no data';
  if (r.unit === '%') return pct(v, 2);
  if (r.unit === 'h') return `${num(v)} h`;
  return `${num(v, 2)} ${r.unit}`;
}

/** Recommendations for one result (empty when met with room to spare and nothing stands out). */
export function recommendations(r: SloResult): string[] {
  const out: string[] = [];
  if (r.state === 'no_data') {
    out.push(`No data for "${r.displayName}" in the period: check the data source and its column mapping before judging it.`);
    return out;
  }
  // Drivers matter when the objective was missed or nearly so; for a comfortable pass they are noise.
  const tight = r.met === false || (r.budgetLeft !== null && r.budgetLeft < 0.25) || (r.budgetBasis === 'none' && r.margin !== null && r.margin <= 0);
  if (tight) {
    for (const d of r.drivers.slice(0, 3)) {
      const byCode = d.dimension === 'error code' || d.dimension === 'status code';
      const whatIf = d.whatIf === null ? '' : `; ${byCode ? 'without it' : 'had it performed like the rest'}, the figure would be ${formatValue(r, d.whatIf)}${d.whatIfMet === null ? '' : d.whatIfMet ? ' (met)' : ' (still not met)'}`;
      if (d.dimension === 'error code') {
        out.push(`Error code ${d.value} caused ${pct(d.badShare, 0)} of the downtime (${num(d.statistic ?? 0, 0)} min in ${d.events} outage record(s))${whatIf}. Start the fixes there.`);
      } else if (byCode) {
        out.push(`Status ${d.value} makes ${pct(d.badShare, 0)} of the failed requests${whatIf}.`);
      } else {
        const share = d.eventShare === null ? '' : ` (${pct(d.eventShare, 0)} of the ${r.eventNoun})`;
        // "Gaps starting on Fri", "Assignment group "Network L2"".
        const who = d.dimension.startsWith('gaps') ? `${cap(d.dimension)} ${d.value}` : `${cap(d.dimension)} "${d.value}"`;
        const [stat, ...unitWords] = d.statisticLabel.split(' ');
        out.push(`${who}${share} ${d.dimension.startsWith('gaps') ? 'hold' : 'holds'} ${pct(d.badShare, 0)} of all ${r.natural.unit}, ${stat} ${formatValue({ unit: unitWords.join(' ') }, d.statistic)}${whatIf}.`);
      }
    }
  }
  // Months that spent clearly more than their share (their events' share of the period).
  const totalEvents = r.monthly.reduce((a, m) => a + m.events, 0);
  const heavy = r.monthly
    .filter((m) => m.budgetShare !== null && totalEvents > 0 && m.events > 0 && m.budgetShare > 1.5 * (m.events / totalEvents) * Math.max(1, 1 - (r.budgetLeft ?? 0)))
    .sort((a, b) => (b.budgetShare ?? 0) - (a.budgetShare ?? 0))
    .slice(0, 2);
  if (r.met === false && heavy.length > 0) {
    const share = heavy.reduce((a, m) => a + (m.budgetShare ?? 0), 0);
    out.push(`${heavy.map((m) => m.month).join(' and ')} spent ${pct(share, 0)} of the period's error budget, far more than ${heavy.length > 1 ? 'their' : 'its'} share: review what happened then (postmortems, changes, load).`);
  }
  if (r.met === true && r.budgetBasis !== 'none' && r.budgetLeft !== null && r.budgetLeft > 0.5 && r.coverage >= 0.99) {
    out.push('Met with more than half of the budget left: the objective may be looser than users need; consider tightening it or spending the budget on faster change.');
  }
  if (r.exhaustedOn !== null) out.push(`The error budget ran out on ${r.exhaustedOn}: agree in advance what slows down (feature freeze, reliability work) when it does.`);
  return out;
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
