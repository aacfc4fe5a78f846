/**
 * The report as one self-contained HTML page: the same sections as the text report, plus two
 * inline SVG charts per SLO (error budget remaining over the period; monthly compliance against
 * the target). No script, no external asset: it can be mailed or attached to a review. Pure.
 */
import type { SloReport, ReportEntry } from './build-report.js';
import { escapeHtml } from '../../core/html.js';
import { reportBlocks } from './render-text.js';

const W = 640;
const H = 200;
const FONT = 11;
const TITLE_FONT = 13;

/**
 * Width of a label in px, on the generous side (0.62 em a character covers digits, "%" and most
 * letters of system-ui at 11 px): the y-axis margin is sized from it so no label is cut at the edge.
 */
export function labelWidth(text: string, fontSize = FONT): number {
  return Math.ceil([...text].length * 0.62 * fontSize);
}

/**
 * The frame of a chart: a visible title (and <title> for screen readers), the y-axis quantity with
 * its unit above the axis, the x-axis quantity under it; the plot's left margin fits the widest
 * y label. Everything is drawn inside the viewBox.
 */
interface Frame {
  readonly l: number;
  readonly r: number;
  readonly t: number;
  readonly b: number;
}

function frame(yLabels: readonly string[]): Frame {
  return { l: Math.max(44, 8 + Math.max(0, ...yLabels.map((x) => labelWidth(x)))), r: 12, t: 44, b: 40 };
}

function chartSvg(o: { title: string; desc: string; yAxis: string; xAxis: string; f: Frame; body: string }): string {
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(o.title)}">
<title>${escapeHtml(o.title)}</title><desc>${escapeHtml(o.desc)}</desc>
<text class="title" x="4" y="${TITLE_FONT + 2}" font-size="${TITLE_FONT}">${escapeHtml(o.title)}</text>
<text class="axis" x="4" y="${o.f.t - 10}" font-size="${FONT}">${escapeHtml(o.yAxis)}</text>
<text class="axis" x="${((o.f.l + W - o.f.r) / 2).toFixed(1)}" y="${H - 4}" font-size="${FONT}" text-anchor="middle">${escapeHtml(o.xAxis)}</text>
<line x1="${o.f.l}" x2="${o.f.l}" y1="${o.f.t}" y2="${H - o.f.b}" class="axis-line"/>
${o.body}
</svg>`;
}

/** Error budget remaining (ratio) per day: a line, 0 marked, overspend below it in red. */
export function budgetChart(e: ReportEntry): string {
  const pts = e.budgetOverTime;
  if (pts.length === 0) return '';
  const min = Math.min(0, ...pts.map((p) => p.remainingRatio));
  const max = 1;
  const ticks = [1, 0.5, 0, ...(min < -0.25 ? [min] : [])];
  const tickText = (t: number): string => `${(t * 100).toFixed(0)} %`;
  const f = frame(ticks.map(tickText));
  const x = (i: number): number => f.l + ((W - f.l - f.r) * i) / Math.max(1, pts.length - 1);
  const y = (v: number): number => f.t + ((H - f.t - f.b) * (max - v)) / (max - min || 1);
  const path = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(p.remainingRatio).toFixed(1)}`).join('');
  const last = pts[pts.length - 1]!.remainingRatio;
  const body = `${ticks.map((t) => `<line x1="${f.l}" x2="${W - f.r}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="${t === 0 ? 'zero' : 'grid'}"/><text x="${f.l - 4}" y="${(y(t) + 4).toFixed(1)}" font-size="${FONT}" text-anchor="end">${escapeHtml(tickText(t))}</text>`).join('\n')}
<path d="${path}" class="${last < 0 ? 'line bad' : 'line'}"/>
<text x="${f.l}" y="${H - f.b + 14}" font-size="${FONT}">${escapeHtml(e.monthly[0]?.month ?? '')}</text><text x="${W - f.r}" y="${H - f.b + 14}" font-size="${FONT}" text-anchor="end">${escapeHtml(e.monthly[e.monthly.length - 1]?.month ?? '')}</text>`;
  return chartSvg({
    title: `Error budget remaining over the period (${(last * 100).toFixed(0)} % at the end)`,
    desc: `${e.displayName}: share of the period's error budget left at the end of each day; below 0 % the budget is overspent.`,
    yAxis: 'budget left (% of the period\'s budget)', xAxis: 'day', f, body,
  });
}

/**
 * Monthly bars against the objective: compliance against the target for ratio objectives, the
 * month's statistic against the threshold for statistic objectives. A bar is red when its month
 * missed (the same verdict as the table); a month without data has no bar and says so.
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
  const unit = byStat ? e.unit : '%';
  const fmt = (v: number): string => (byStat ? `${Number(v.toFixed(2))} ${unit}` : `${(v * 100).toFixed(2)} %`);
  const f = frame([fmt(hi), fmt(lo)]);
  const y = (v: number): number => f.t + ((H - f.t - f.b) * (hi - v)) / (hi - lo || 1);
  const bw = (W - f.l - f.r) / months.length;
  const bars = months
    .map((m, i) => {
      const v = vals[i];
      const label = `<text x="${(f.l + i * bw + bw / 2).toFixed(1)}" y="${H - f.b + 14}" font-size="${FONT}" text-anchor="middle">${escapeHtml(m.month.slice(5))}</text>`;
      if (v === null || v === undefined) return `<text x="${(f.l + i * bw + bw / 2).toFixed(1)}" y="${(H - f.b - 4).toFixed(1)}" font-size="${FONT - 2}" text-anchor="middle" class="nodata"><title>${escapeHtml(m.month)}: no data</title>–</text>${label}`;
      const top = Math.min(y(v), H - f.b);
      const cls = m.met === false ? 'bar bad' : 'bar';
      return `<rect x="${(f.l + i * bw + 2).toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(0, bw - 4).toFixed(1)}" height="${Math.max(0, H - f.b - top).toFixed(1)}" class="${cls}"><title>${escapeHtml(m.month)}: ${escapeHtml(fmt(v))}</title></rect>${label}`;
    })
    .join('\n');
  const ty = y(line);
  const what = byStat ? `Monthly ${e.statistic} against the threshold` : 'Monthly compliance against the target';
  const targetText = `${byStat ? 'threshold' : 'target'} ${fmt(line)}`;
  const body = `<text x="${f.l - 4}" y="${(y(hi) + 4).toFixed(1)}" font-size="${FONT}" text-anchor="end">${escapeHtml(fmt(hi))}</text><text x="${f.l - 4}" y="${(H - f.b).toFixed(1)}" font-size="${FONT}" text-anchor="end">${escapeHtml(fmt(lo))}</text>
${bars}
<line x1="${f.l}" x2="${W - f.r}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" class="target"/><text x="${W - f.r}" y="${Math.max(f.t + FONT, ty - 3).toFixed(1)}" font-size="${FONT}" text-anchor="end">${escapeHtml(targetText)}</text>`;
  return chartSvg({
    title: `${what} (${targetText})`,
    desc: `${e.displayName}: ${byStat ? `the ${e.statistic} of each month's ${e.eventNoun}` : 'the share of good events of each month'}; red bars missed, a dash marks a month without data.`,
    yAxis: byStat ? `${e.statistic} (${unit === 'h' ? 'hours' : unit})` : 'good events (%)',
    xAxis: 'month', f, body,
  });
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}td.r,th.r{text-align:right}
td.bad{color:#b00020;font-weight:600}td.ok{color:#1b7f3b}.charts{display:flex;flex-wrap:wrap;gap:8px}
.chart text{fill:#555}.chart text.title{fill:#222;font-weight:600}.axis-line{stroke:#999}.grid{stroke:#eee}.zero{stroke:#999}.line{fill:none;stroke:#1f6feb;stroke-width:2}.line.bad{stroke:#b00020}
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
