import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { buildCapacityReport } from './capacity.js';
import { COLORS, renderTopGrowersPng, renderUsageHistogramPng, topGrowers, usageHistogram } from './charts.js';
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
  assert.deepEqual(pixel(png, x, png.height - 14), [...COLORS.critical]);
  const x8 = Math.floor(12 + (png.width - 24) * 0.85);
  assert.deepEqual(pixel(png, x8, png.height - 14), [...COLORS.warning]);
  assert.deepEqual(pixel(PNG.sync.read(renderTopGrowersPng([])), 100, 100), [...COLORS.background]);
});
