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
  for (const d of r.drivers.slice(0, 3)) {
    const whatIf = d.whatIf === null ? '' : `; ${d.dimension === 'error code' || d.dimension === 'status code' ? 'without it' : 'had it performed like the rest'}, the figure would be ${formatValue(r, d.whatIf)}${d.whatIfMet === null ? '' : d.whatIfMet ? ' (met)' : ' (still not met)'}`;
    if (d.dimension === 'error code') {
      out.push(`Error code ${d.value} caused ${pct(d.badShare, 0)} of the downtime (${num(d.statistic ?? 0, 0)} min in ${d.events} outage record(s))${whatIf}. Start the fixes there.`);
    } else if (d.dimension === 'status code') {
      out.push(`Status ${d.value} makes ${pct(d.badShare, 0)} of the failed requests${whatIf}.`);
    } else {
      const share = d.eventShare === null ? '' : ` (${pct(d.eventShare, 0)} of the ${r.eventNoun})`;
      // "Gaps starting on Fri", "Assignment group "Network L2"".
      const who = d.dimension.startsWith('gaps') ? `${cap(d.dimension)} ${d.value}` : `${cap(d.dimension)} "${d.value}"`;
      const unit = r.unit === '%' ? r : { unit: d.statisticLabel.split(' ').slice(1).join(' ') || r.unit };
      out.push(`${who}${share}: ${pct(d.badShare, 0)} of the ${r.natural.unit}, ${d.statisticLabel.split(' ')[0]} ${formatValue(unit, d.statistic)}${whatIf}.`);
    }
  }
  const worst = [...r.monthly].filter((m) => m.budgetShare !== null && m.budgetShare > 0).sort((a, b) => (b.budgetShare ?? 0) - (a.budgetShare ?? 0));
  if (r.met === false && worst.length >= 2) {
    const top = worst.slice(0, 2);
    const share = top.reduce((a, m) => a + (m.budgetShare ?? 0), 0);
    out.push(`${top.map((m) => m.month).join(' and ')} spent ${pct(share, 0)} of the period's error budget: review what happened then (postmortems, changes, load).`);
  }
  if (r.met === true && r.margin !== null && r.budgetLeft !== null && r.budgetLeft > 0.5 && r.drivers.length === 0) {
    out.push('Met with more than half of the budget left: the objective may be looser than users need; consider tightening it or spending the budget on faster change.');
  }
  if (r.exhaustedAt !== null) out.push(`The error budget ran out on ${new Date(r.exhaustedAt).toISOString().slice(0, 10)}: agree in advance what slows down (feature freeze, reliability work) when it does.`);
  return out;
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
