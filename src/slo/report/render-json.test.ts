import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SLO_REPORT_SCHEMA } from '../../core/contracts/slo-report.js';
import { writeDemo } from '../demo/generate.js';
import { parsePeriod } from './period.js';
import { renderJson } from './render-json.js';
import { makeReport } from './run-report.js';

// The JSON report is a wire contract (core/contracts/slo-report.ts): the web console reads it. Its
// producer must keep giving what the contract's readers check, with data and without.
test('the JSON report of the demo year, and of a period without data, satisfy the contract', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigia-slo-json-'));
  try {
    await writeDemo(dir, { seed: 7 });
    for (const period of ['2025', '2019']) {
      const report = await makeReport({ specPaths: [dir], period: parsePeriod(period, 'UTC'), now: Date.parse('2026-03-01T00:00:00Z'), env: {} });
      const parsed = SLO_REPORT_SCHEMA.safeParse(JSON.parse(renderJson(report)));
      assert.ok(parsed.success, `${period}: ${JSON.stringify(parsed.success ? '' : parsed.error.issues.slice(0, 3))}`);
      assert.equal(parsed.data.slos.length, 4);
      if (period === '2019') assert.ok(parsed.data.slos.every((s) => s.state === 'no_data') && parsed.data.warnings.length > 0, 'no data, and the coverage warnings say why');
      else assert.ok(parsed.data.dora !== null && parsed.data.slos.some((s) => s.budgetOverTime.length > 300));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
