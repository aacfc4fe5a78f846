import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeDemo } from '../demo/generate.js';
import { parseLast, parsePeriod } from './period.js';
import { renderHtml } from './render-html.js';
import { makeReport } from './run-report.js';

/** Attributes of an SVG start tag. */
function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z-]+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

/** Decoded text content, without nested <title> tooltips. */
const content = (inner: string): string => inner.replace(/<title>.*?<\/title>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/&#39;|&apos;/g, "'").replace(/&quot;/g, '"');

/**
 * Every chart: a <title>, a visible title, the y axis named with its unit, and every label inside
 * the viewBox. A label's width is taken as 0.62 em a character (system-ui digits are ~0.55 em):
 * an estimate on the generous side, so a label that passes here is not cut in a browser.
 */
function checkCharts(html: string, what: string): number {
  const svgs = [...html.matchAll(/<svg\b([^>]*)>([\s\S]*?)<\/svg>/g)];
  assert.ok(svgs.length > 0, what);
  for (const [, head, body] of svgs) {
    const [x0, y0, w, h] = attrs(head!).viewBox!.split(' ').map(Number) as [number, number, number, number];
    const title = /^\s*<title>([^<]+)<\/title>/.exec(body!);
    assert.ok(title && title[1]!.trim().length > 0, `${what}: the chart has a <title>`);
    assert.match(body!, /<text class="title"[^>]*>[^<]+<\/text>/, `${what}: a visible title`);
    assert.match(body!, /<text class="axis"[^>]*>[^<]*\((%|hours|failures)[^<]*\)<\/text>/, `${what}: the y axis is named with its unit`);
    for (const m of body!.matchAll(/<text\b([^>]*)>([\s\S]*?)<\/text>/g)) {
      const a = attrs(m[1]!);
      const text = content(m[2]!);
      const size = Number(a['font-size'] ?? 11);
      const width = [...text].length * 0.62 * size;
      const x = Number(a.x);
      const y = Number(a.y);
      const left = a['text-anchor'] === 'end' ? x - width : a['text-anchor'] === 'middle' ? x - width / 2 : x;
      const label = `${what}: "${text}" at x=${x} y=${y}`;
      assert.ok(left >= x0 && left + width <= x0 + w, `${label}: inside the viewBox horizontally (${left.toFixed(1)}..${(left + width).toFixed(1)} of ${w})`);
      assert.ok(y - size >= y0 && y <= y0 + h, `${label}: inside the viewBox vertically`);
    }
  }
  return svgs.length;
}

test('SLO HTML charts: titled, axes named with units, no label outside the viewBox (demo year and a period with overspent budgets)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigia-slo-html-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeDemo(dir);
  const now = Date.parse('2026-12-07T00:00:00Z');
  for (const period of [parsePeriod('2025', 'UTC'), parseLast('365d', now, 'UTC')]) {
    const r = await makeReport({ specPaths: [dir], period, now, env: {} });
    assert.ok(checkCharts(renderHtml(r), period.label) >= 8);
  }
});
