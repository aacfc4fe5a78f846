import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { buildCapacityReport } from './capacity.js';
import { CHART_PLOT, COLORS, drawTopGrowers, drawUsageHistogram, renderTopGrowersPng, renderUsageHistogramPng, topGrowers, usageHistogram } from './charts.js';
import { defaultReportPolicy } from './policy.js';
import { syntheticCapacityData } from './synthetic.js';

const NOW = new Date('2026-12-01T07:00:00.000Z');
const policy = defaultReportPolicy();
const report = buildCapacityReport(syntheticCapacityData({ hosts: 10_000, now: NOW, critical: 12, warning: 40, stale: 3 }), policy, NOW);

function pixel(png: PNG, x: number, y: number): [number, number, number] {
  const i = (y * png.width + x) * 4;
  return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
}

test('usageHistogram counts every volume with figures in 10 % buckets', () => {
  const b = usageHistogram(report);
  assert.equal(b.length, 10);
  assert.equal(b.reduce((a, n) => a + n, 0), report.rows.filter((r) => r.usePct !== null).length);
  assert.equal(b[9], 12);
});

test('topGrowers: the 10 fastest, fastest first', () => {
  const top = topGrowers(report, 10);
  assert.equal(top.length, 10);
  const all = report.rows.map((r) => r.growthBytesPerDay ?? 0).sort((a, b) => b - a);
  assert.deepEqual(top.map((r) => r.growthBytesPerDay), all.slice(0, 10));
});

test('PNGs decode, are small, and colour the critical bucket red', () => {
  const hist = renderUsageHistogramPng(usageHistogram(report), policy);
  const grow = renderTopGrowersPng(topGrowers(report));
  for (const buf of [hist, grow]) {
    assert.ok(buf.length < 30 * 1024, `${buf.length} bytes`);
    assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  }
  const png = PNG.sync.read(hist);
  // Bottom of the last bucket's bar (90-100 %).
  const x = Math.floor(12 + (png.width - 24) * 0.95);
  assert.deepEqual(pixel(png, x, CHART_PLOT.bottom - 2), [...COLORS.critical]);
  const x8 = Math.floor(12 + (png.width - 24) * 0.85);
  assert.deepEqual(pixel(png, x8, CHART_PLOT.bottom - 2), [...COLORS.warning]);
  assert.deepEqual(pixel(PNG.sync.read(renderTopGrowersPng([])), 100, 100), [...COLORS.background]);
});

test('charts carry a title, axis labels with units and tick values, drawn into the image', () => {
  const hist = drawUsageHistogram(usageHistogram(report), policy);
  const grow = drawTopGrowers(topGrowers(report));
  const said = (c: typeof hist, role: string) => c.texts.filter((t) => t.role === role).map((t) => t.text);
  assert.deepEqual(said(hist, 'title'), ['Volumes by use %']);
  assert.match(said(hist, 'x-label')[0]!, /^Use % \(10 % buckets\)$/);
  assert.match(said(hist, 'y-label')[0]!, /^Volumes \(log scale, max \d+\)$/);
  assert.deepEqual(said(hist, 'tick'), ['0', '20', '40', '60', '80', '100']);
  assert.deepEqual(said(grow, 'title'), ['Top 10 growers']);
  assert.match(said(grow, 'x-label')[0]!, /bytes\/day/);
  assert.equal(said(grow, 'y-label').length, 1);
  assert.match(said(grow, 'tick').at(-1)!, /iB\/d$/);
  // Every text lies inside the image and off the plot area, and the title's pixels are really drawn.
  for (const c of [hist, grow]) {
    for (const t of c.texts) assert.ok(t.x >= 0 && t.y >= 0 && t.x < c.width && t.y < c.height, t.text);
  }
  for (const buf of [renderUsageHistogramPng(usageHistogram(report), policy), renderTopGrowersPng(topGrowers(report))]) {
    const png = PNG.sync.read(buf);
    let inked = 0;
    for (let y = 0; y < 12; y++) for (let x = 0; x < png.width; x++) if (pixel(png, x, y).join() !== COLORS.background.join()) inked++;
    assert.ok(inked > 50, `title pixels: ${inked}`);
  }
});
