import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeDemo } from '../demo/generate.js';
import { parseLast } from './period.js';
import { makeReport, renderReport } from './run-report.js';

const DAY = 86_400_000;

test('a source whose records stop before the period ends: later months are "no data", coverage < 100 %, a warning in every format, DORA over the covered span', async (t) => {
  // The demo's records cover 2025 (UTC) and end on 2025-12-31; the report is the last 365 days as of 2026-12-07.
  const dir = await mkdtemp(join(tmpdir(), 'vigia-slo-cover-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeDemo(dir);
  const now = Date.parse('2026-12-07T00:00:00Z');
  const r = await makeReport({ specPaths: [dir], period: parseLast('365d', now, 'UTC'), now, env: {} });
  const covered = (Date.parse('2026-01-01T00:00:00Z') - r.period.from) / (r.period.to - r.period.from);
  for (const e of r.entries) {
    assert.ok(e.coverage < 0.1, `${e.name}: coverage ${e.coverage} comes from the span the records cover`);
    assert.ok(Math.abs(e.coverage - covered) < 0.01, `${e.name}: coverage ${e.coverage} ≈ ${covered}`);
    for (const m of e.monthly.filter((x) => x.month.startsWith('2026'))) {
      assert.equal(m.met, null, `${e.name} ${m.month}: no records is no data, never met`);
      assert.equal(m.value, null, `${e.name} ${m.month}`);
    }
  }
  // One warning per source, naming it and the day its records stop.
  assert.equal(r.sourceWarnings.length, 1);
  assert.equal(r.sourceWarnings[0]!.source, 'records');
  assert.equal(r.sourceWarnings[0]!.lastDay, '2025-12-31');
  const text = renderReport(r, 'text');
  const md = renderReport(r, 'markdown');
  const html = renderReport(r, 'html');
  const json = JSON.parse(renderReport(r, 'json')) as { warnings: Array<{ source: string; lastDay: string; message: string }>; dora: { deploysPerDay: number; spanDays: number } };
  for (const [fmt, out] of [['text', text], ['markdown', md], ['html', html]] as const) {
    assert.match(out, /records of data source records stop on 2025-12-31/, fmt);
    assert.ok(!/2026-0\d[^\n]*100\.00 %[^\n]*met/.test(out), `${fmt}: no 2026 month reads 100.00 % met`);
  }
  assert.equal(json.warnings[0]!.source, 'records');
  assert.equal(json.warnings[0]!.lastDay, '2025-12-31');
  assert.match(json.warnings[0]!.message, /stop on 2025-12-31/);
  // The deploy-frequency SLO says no deploys for the months after the records stop.
  const freq = text.split('== ').find((s) => s.includes('(platform / deploy-frequency)'))!;
  assert.match(freq, /2026-03 +no deploys +– +no data/);
  // DORA over the span the deploy records cover (2025-12-07..2025-12-31), not over 365 days.
  const d = r.dora!;
  const spanDays = (Date.parse('2026-01-01T00:00:00Z') - r.period.from) / DAY;
  assert.ok(Math.abs(d.spanDays - spanDays) < 1, `DORA span ${d.spanDays} days`);
  assert.ok(Math.abs(d.deploysPerDay! - d.successfulDeploys / d.spanDays) < 1e-9);
  assert.match(text, /DORA four keys/);
  assert.match(text, /over 2025-12-07 to 2025-12-31/);
});
