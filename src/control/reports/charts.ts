/**
 * Small PNG charts for the report email, drawn by a tiny rasteriser into a pngjs buffer. Each chart
 * carries its title, axis labels with units and tick values in a 5x7 pixel font (pixel-font.ts, no
 * font dependency), so a chart forwarded or saved without its email still says what it shows; the
 * exact numbers stay in the HTML caption next to it.
 */
import { PNG } from 'pngjs';
import { drawText, GLYPH_HEIGHT, textWidth } from './pixel-font.js';
import { humanBytes } from './format.js';
import type { CapacityReport, CapacityRow, CapacityStatus } from './capacity.js';
import type { ReportPolicy } from './policy.js';

/** An RGB colour. */
export type Rgb = readonly [number, number, number];

/** Colours shared by charts and HTML so a red bar means the same as a red row. */
export const COLORS = {
  ok: [46, 125, 50],
  warning: [237, 161, 0],
  critical: [198, 40, 40],
  unknown: [120, 120, 120],
  axis: [80, 80, 80],
  grid: [225, 225, 225],
  background: [255, 255, 255],
} as const satisfies Record<string, Rgb>;

/** What a chart text is: the title, an axis label (with its unit) or a tick value. */
export type ChartTextRole = 'title' | 'x-label' | 'y-label' | 'tick';

/** An RGBA canvas with the few primitives the charts need. */
export class Canvas {
  readonly png: PNG;
  constructor(
    readonly width: number,
    readonly height: number,
    bg: Rgb = COLORS.background,
  ) {
    this.png = new PNG({ width, height, colorType: 2, inputColorType: 6, inputHasAlpha: true });
    this.fillRect(0, 0, width, height, bg);
  }

  /** Fill the rectangle [x, x+w) x [y, y+h), clipped to the canvas. */
  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.floor(x));
    const y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.width, Math.floor(x + w));
    const y1 = Math.min(this.height, Math.floor(y + h));
    const d = this.png.data;
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const i = (yy * this.width + xx) * 4;
        d[i] = c[0];
        d[i + 1] = c[1];
        d[i + 2] = c[2];
        d[i + 3] = 255;
      }
    }
  }

  /** Every text drawn, in order (what the image says, for tests and alt text). */
  readonly texts: { readonly role: ChartTextRole; readonly text: string; readonly x: number; readonly y: number }[] = [];

  /** Draw `text` in the pixel font with its top-left at (x, y); `role` records what it is. */
  text(role: ChartTextRole, text: string, x: number, y: number, c: Rgb = COLORS.axis): void {
    this.texts.push({ role, text, x, y });
    drawText(text, x, y, 1, (px, py, w, h) => this.fillRect(px, py, w, h, c));
  }

  /** Encode as PNG (RGB, no alpha: smaller, and some clients draw alpha on black). */
  toBuffer(): Buffer {
    return PNG.sync.write(this.png, { colorType: 2 });
  }
}

/** Bucket counts of volumes by use % in 10 % steps (binlog by its window peak); [0,10) ... [90,100]. */
export function usageHistogram(report: CapacityReport): number[] {
  const buckets = new Array<number>(10).fill(0);
  for (const r of report.rows) {
    const u = r.role === 'binlog' ? r.peakUsePct : r.usePct;
    if (u === null || !Number.isFinite(u)) continue;
    const b = Math.min(9, Math.max(0, Math.floor(u / 10)));
    buckets[b]!++;
  }
  return buckets;
}

/** The volumes growing fastest (positive growth only), fastest first. */
export function topGrowers(report: CapacityReport, n = 10): CapacityRow[] {
  const top: CapacityRow[] = [];
  // One pass keeping the best n: the fleet has 30,000 rows and we need 10.
  for (const r of report.rows) {
    const g = r.growthBytesPerDay;
    if (g === null || !(g > 0)) continue;
    if (top.length < n) top.push(r);
    else if (g > (top[top.length - 1]!.growthBytesPerDay ?? 0)) top[top.length - 1] = r;
    else continue;
    top.sort((a, b) => (b.growthBytesPerDay ?? 0) - (a.growthBytesPerDay ?? 0));
  }
  return top;
}

const W = 480;
const H = 220;
const PAD = 12;
/** Plot area: below the title and y label, above the tick values and x label. */
const TOP = 34;
const BOTTOM = 30;

/** Chart size in pixels (the email's <img> width and height). */
export const CHART_SIZE = { width: W, height: H } as const;
/** Plot area edges in pixels from the image's left/top and bottom (tests find bars by them). */
export const CHART_PLOT = { left: PAD, right: W - PAD, top: TOP, bottom: H - BOTTOM } as const;

function axes(c: Canvas, title: string, yLabel: string, xLabel: string): void {
  const plotH = H - TOP - BOTTOM;
  for (let k = 1; k <= 4; k++) c.fillRect(PAD, TOP + (plotH * (4 - k)) / 4, W - 2 * PAD, 1, COLORS.grid);
  c.fillRect(PAD, TOP, 1, plotH, COLORS.axis);
  c.fillRect(PAD, H - BOTTOM, W - 2 * PAD, 1, COLORS.axis);
  c.text('title', title, Math.round((W - textWidth(title)) / 2), 4);
  c.text('y-label', yLabel, PAD, TOP - GLYPH_HEIGHT - 4);
  c.text('x-label', xLabel, Math.round((W - textWidth(xLabel)) / 2), H - GLYPH_HEIGHT - 3);
}

function tick(c: Canvas, text: string, centreX: number): void {
  const x = Math.min(W - textWidth(text) - 1, Math.max(0, Math.round(centreX - textWidth(text) / 2)));
  c.text('tick', text, x, H - BOTTOM + 4);
}

/**
 * Histogram PNG of `usageHistogram`: one bar per 10 % bucket, coloured by the data thresholds
 * (a bucket that can hold a value at warning is amber, at critical red). Heights are on a log
 * scale (log(1 + n)) so a dozen critical volumes beside 9,000 healthy ones is a bar, not a
 * pixel; the exact counts go in the caption.
 */
export function renderUsageHistogramPng(buckets: readonly number[], policy: ReportPolicy): Buffer {
  return drawUsageHistogram(buckets, policy).toBuffer();
}

/** The canvas of renderUsageHistogramPng (its `texts` say what the image shows). */
export function drawUsageHistogram(buckets: readonly number[], policy: ReportPolicy): Canvas {
  const c = new Canvas(W, H);
  const top = Math.max(0, ...buckets);
  axes(c, 'Volumes by use %', `Volumes (log scale, max ${top})`, 'Use % (10 % buckets)');
  const max = Math.log1p(Math.max(1, ...buckets));
  const slot = (W - 2 * PAD) / buckets.length;
  const plotH = H - TOP - BOTTOM - 1;
  for (let i = 0; i <= buckets.length; i += 2) tick(c, `${i * 10}`, PAD + i * slot);
  buckets.forEach((n, i) => {
    if (n <= 0) return;
    // A bucket takes the colour of the worst value it can hold: [80,90) is amber with warning 80.
    const upper = (i + 1) * 10;
    const th = policy.thresholds.data;
    const color = upper > th.criticalPct ? COLORS.critical : upper > th.warningPct ? COLORS.warning : COLORS.ok;
    const h = Math.max(2, Math.round((Math.log1p(n) / max) * plotH));
    c.fillRect(PAD + 1 + i * slot + 3, H - BOTTOM - h, slot - 6, h, color);
  });
  return c;
}

/** Horizontal bars of growth per day of `rows` (from `topGrowers`), coloured by each row's status. */
export function renderTopGrowersPng(rows: readonly CapacityRow[]): Buffer {
  return drawTopGrowers(rows).toBuffer();
}

/** The canvas of renderTopGrowersPng (its `texts` say what the image shows). */
export function drawTopGrowers(rows: readonly CapacityRow[]): Canvas {
  const c = new Canvas(W, H);
  axes(c, `Top ${Math.min(10, rows.length)} growers`, 'Volumes, fastest first', 'Growth per day (bytes/day)');
  const max = Math.max(1, ...rows.map((r) => r.growthBytesPerDay ?? 0));
  const slot = (H - TOP - BOTTOM) / 10;
  tick(c, '0', PAD);
  if (rows.length) tick(c, `${humanBytes(max)}/d`, W - PAD);
  rows.slice(0, 10).forEach((r, i) => {
    const w = Math.max(2, Math.round(((r.growthBytesPerDay ?? 0) / max) * (W - 2 * PAD - 2)));
    const color: Rgb = COLORS[r.status satisfies CapacityStatus];
    c.fillRect(PAD + 1, TOP + i * slot + 2, w, slot - 4, color);
  });
  return c;
}
