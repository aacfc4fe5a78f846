/**
 * The report as one self-contained HTML page: the same sections as the text report, plus two
 * inline SVG charts per SLO (error budget remaining over the period; monthly compliance against
 * the target). No script, no external asset: it can be mailed or attached to a review. Pure.
 */
import type { SloReport, ReportEntry } from './build-report.js';
import { escapeHtml } from '../../core/html.js';
import { reportBlocks } from './render-text.js';

const W = 640;
const H = 180;
const PAD = { l: 44, r: 10, t: 14, b: 26 };

/** Error budget remaining (ratio) per day: a line, 0 marked, overspend below it in red. */
export function budgetChart(e: ReportEntry): string {
  const pts = e.budgetOverTime;
  if (pts.length === 0) return '';
  const min = Math.min(0, ...pts.map((p) => p.remainingRatio));
  const max = 1;
  const x = (i: number): number => PAD.l + ((W - PAD.l - PAD.r) * i) / Math.max(1, pts.length - 1);
  const y = (v: number): number => PAD.t + ((H - PAD.t - PAD.b) * (max - v)) / (max - min || 1);
  const path = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(p.remainingRatio).toFixed(1)}`).join('');
  const ticks = [1, 0.5, 0, ...(min < -0.25 ? [min] : [])];
  const last = pts[pts.length - 1]!.remainingRatio;
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="error budget remaining over the period">
<title>Error budget remaining: ${(last * 100).toFixed(0)} % at the end</title>
${ticks.map((t) => `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="${t === 0 ? 'zero' : 'grid'}"/><text x="${PAD.l - 4}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${(t * 100).toFixed(0)}%</text>`).join('\n')}
<path d="${path}" class="${last < 0 ? 'line bad' : 'line'}"/>
<text x="${PAD.l}" y="${H - 6}">${escapeHtml(e.monthly[0]?.month ?? '')}</text><text x="${W - PAD.r}" y="${H - 6}" text-anchor="end">${escapeHtml(e.monthly[e.monthly.length - 1]?.month ?? '')}</text>
</svg>`;
}

/**
 * Monthly bars against the objective: compliance against the target for ratio objectives, the
 * month's statistic against the threshold for statistic objectives. A bar is red when its month
 * missed (the same verdict as the table).
 */
export function monthlyChart(e: ReportEntry): string {
  const months = e.monthly;
  if (months.length === 0) return '';
  const byStat = e.statistic !== 'ratio';
  const vals = months.map((m) => (byStat ? m.value : m.compliance));
  const present = vals.filter((v): v is number => v !== null);
  const line = byStat ? (e.objective.threshold ?? 0) : e.objective.target;
  const hi = byStat ? Math.max(line, ...present) * 1.1 || 1 : 1;
  const lo = byStat ? 0 : Math.max(0, Math.min(line, ...present) - 0.02);
  const y = (v: number): number => PAD.t + ((H - PAD.t - PAD.b) * (hi - v)) / (hi - lo || 1);
  const bw = (W - PAD.l - PAD.r) / months.length;
  const fmt = (v: number): string => (byStat ? `${Number(v.toFixed(2))}${e.unit === 'h' ? ' h' : ` ${e.unit}`}` : `${(v * 100).toFixed(2)} %`);
  const bars = months
    .map((m, i) => {
      const v = vals[i];
      if (v === null || v === undefined) return '';
      const top = Math.min(y(v), H - PAD.b);
      const cls = m.met === false ? 'bar bad' : 'bar';
      return `<rect x="${(PAD.l + i * bw + 2).toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(0, bw - 4).toFixed(1)}" height="${Math.max(0, H - PAD.b - top).toFixed(1)}" class="${cls}"><title>${escapeHtml(m.month)}: ${escapeHtml(fmt(v))}</title></rect><text x="${(PAD.l + i * bw + bw / 2).toFixed(1)}" y="${H - 8}" text-anchor="middle">${escapeHtml(m.month.slice(5))}</text>`;
    })
    .join('\n');
  const ty = y(line);
  const what = byStat ? `monthly ${e.statistic} against the threshold` : 'monthly compliance against the target';
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${what}">
<title>${escapeHtml(what[0]!.toUpperCase() + what.slice(1))}: ${escapeHtml(fmt(line))}</title>
<text x="${PAD.l - 4}" y="${(y(hi) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(fmt(hi))}</text><text x="${PAD.l - 4}" y="${(H - PAD.b).toFixed(1)}" text-anchor="end">${escapeHtml(fmt(lo))}</text>
${bars}
<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" class="target"/><text x="${W - PAD.r}" y="${(ty - 3).toFixed(1)}" text-anchor="end">${byStat ? 'threshold' : 'target'} ${escapeHtml(fmt(line))}</text>
</svg>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}td.r,th.r{text-align:right}
td.bad{color:#b00020;font-weight:600}td.ok{color:#1b7f3b}.charts{display:flex;flex-wrap:wrap;gap:8px}
.chart text{font-size:11px;fill:#555}.grid{stroke:#eee}.zero{stroke:#999}.line{fill:none;stroke:#1f6feb;stroke-width:2}.line.bad{stroke:#b00020}
.bar{fill:#7fb3f5}.bar.bad{fill:#e57373}.target{stroke:#b00020;stroke-dasharray:4 3}h2{margin-top:2em;border-top:1px solid #ccc;padding-top:.6em}`;

/** The HTML page. */
export function renderHtml(r: SloReport): string {
  const body: string[] = [];
  for (const b of reportBlocks(r)) {
    if (b.kind === 'heading') body.push(`<h${b.level}>${escapeHtml(b.text)}</h${b.level}>`);
    else if (b.kind === 'para') body.push(`<p>${escapeHtml(b.text)}</p>`);
    else if (b.kind === 'list') body.push(`<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`);
    else if (b.kind === 'charts') body.push(`<div class="charts">${budgetChart(b.entry)}${monthlyChart(b.entry)}</div>`);
    else {
      const align = b.align ?? [];
      const cell = (c: string, i: number): string => {
        const cls = [align[i] === 'r' ? 'r' : '', c === 'NOT MET' ? 'bad' : c === 'met' ? 'ok' : ''].filter(Boolean).join(' ');
        return `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(c)}</td>`;
      };
      body.push(`<table><thead><tr>${b.head.map((h, i) => `<th${align[i] === 'r' ? ' class="r"' : ''}>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${b.rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('')}</tbody></table>`);
    }
  }
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}: ${escapeHtml(r.period.label)}</title><style>${STYLE}</style></head>\n<body>\n${body.join('\n')}\n<p><small>Generated by vigia slo report on ${escapeHtml(new Date(r.generatedAt).toISOString())}.</small></p>\n</body></html>\n`;
}
