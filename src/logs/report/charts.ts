/**
 * Inline SVG charts of the access-log report: vertical bars with a title (visible and as <title>), both
 * axes named with their unit, y ticks, and a tooltip per bar. No script, no style attribute (a strict
 * Content-Security-Policy allows presentation attributes only), every label escaped (core/html). Pure.
 */
import { escapeHtml } from '../../core/html.js';

const W = 720;
const H = 240;
const FONT = 11;
const TITLE_FONT = 13;

/** One bar: its x label, value, tooltip, and an optional class (`c2`..`c5` colour status classes). */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly tip: string;
  readonly cls?: string;
}

/** A round axis top at or above `max` (1, 2, 2.5, 5 times a power of ten), so ticks read well. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/** A count for an axis: 1200 -> `1.2k`, 3400000 -> `3.4M`. */
export function shortCount(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n * 100) / 100);
}

/**
 * A bar chart. `every` labels one x tick in that many (24 hours fit; 60 status codes would not). An empty
 * series draws the frame and says "no data" in it, so the chart is never silently blank.
 */
export function barChart(o: { title: string; desc: string; yAxis: string; xAxis: string; bars: readonly Bar[]; every?: number }): string {
  const max = niceMax(Math.max(0, ...o.bars.map((b) => b.value)));
  const ticks = [0, max / 2, max];
  const l = Math.max(44, 10 + Math.max(...ticks.map((t) => shortCount(t).length)) * 7);
  const r = 12;
  const t = 44;
  const b = 44;
  const plotW = W - l - r;
  const plotH = H - t - b;
  const y = (v: number): number => t + plotH * (1 - v / max);
  const slot = plotW / Math.max(1, o.bars.length);
  const barW = Math.max(1, slot * 0.78);
  const every = Math.max(1, o.every ?? 1);
  const parts: string[] = [];
  for (const tick of ticks) {
    parts.push(`<line x1="${l}" x2="${W - r}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" class="grid"/><text x="${l - 4}" y="${(y(tick) + 4).toFixed(1)}" font-size="${FONT}" text-anchor="end">${escapeHtml(shortCount(tick))}</text>`);
  }
  o.bars.forEach((bar, i) => {
    const x = l + slot * i + (slot - barW) / 2;
    const top = y(bar.value);
    parts.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${barW.toFixed(1)}" height="${(t + plotH - top).toFixed(1)}" class="bar${bar.cls ? ` ${escapeHtml(bar.cls)}` : ''}"><title>${escapeHtml(bar.tip)}</title></rect>`);
    if (i % every === 0) parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${H - b + 14}" font-size="${FONT}" text-anchor="middle">${escapeHtml(bar.label)}</text>`);
  });
  if (o.bars.length === 0 || o.bars.every((x) => x.value === 0)) parts.push(`<text x="${(l + plotW / 2).toFixed(1)}" y="${(t + plotH / 2).toFixed(1)}" font-size="${TITLE_FONT}" text-anchor="middle" class="muted">no data in this range</text>`);
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(o.title)}">
<title>${escapeHtml(o.title)}</title><desc>${escapeHtml(o.desc)}</desc>
<text class="title" x="4" y="${TITLE_FONT + 2}" font-size="${TITLE_FONT}">${escapeHtml(o.title)}</text>
<text class="axis" x="4" y="${t - 10}" font-size="${FONT}">${escapeHtml(o.yAxis)}</text>
<text class="axis" x="${(l + plotW / 2).toFixed(1)}" y="${H - 4}" font-size="${FONT}" text-anchor="middle">${escapeHtml(o.xAxis)}</text>
<line x1="${l}" x2="${l}" y1="${t}" y2="${t + plotH}" class="axis-line"/><line x1="${l}" x2="${W - r}" y1="${t + plotH}" y2="${t + plotH}" class="axis-line"/>
${parts.join('\n')}
</svg>`;
}

/** A small horizontal bar for a table row (share of the largest value), drawn with attributes only. */
export function inlineBar(value: number, max: number, width = 120): string {
  const w = max > 0 ? Math.max(value > 0 ? 1 : 0, Math.round((value / max) * width)) : 0;
  return `<svg class="hbar" width="${width}" height="10" viewBox="0 0 ${width} 10" aria-hidden="true"><rect width="${w}" height="10"/></svg>`;
}
