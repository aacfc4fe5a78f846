import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SloDefinition } from '../model.js';
import { openSloRuleSlos } from './openslo-rules.js';
import { generateSlothRules } from './sloth-rules.js';

const def = (sli: SloDefinition['sli'], targets: number[]): SloDefinition => ({
  name: 'api-errors', service: 'api', displayName: 'API errors', description: 'five nines-ish', sli, budgeting: 'Occurrences',
  objectives: targets.map((target) => ({ displayName: String(target), target })),
  window: { duration: { count: 30, unit: 'd' }, isRolling: true, timeZone: 'UTC' }, source: 'a.yaml#1', labels: { team: 'core' },
});

test('good/total becomes Sloth\'s raw error ratio, one rule SLO per objective, alerts off', () => {
  const r = openSloRuleSlos(def({ kind: 'prometheus-ratio', goodQuery: 'sum(rate(ok[{{.window}}]))', totalQuery: 'sum(rate(all[{{.window}}]))' }, [0.999, 0.99]));
  assert.ok('slos' in r);
  assert.deepEqual(r.slos.map((s) => [s.id, s.name, s.objective]), [['api-api-errors-0', 'api-errors-0', 99.9], ['api-api-errors-1', 'api-errors-1', 99]]);
  // Sloth's errorRatioRawQueryTpl, byte for byte.
  assert.deepEqual(r.slos[0]!.sli, { kind: 'raw', errorRatioQuery: '\n  1 - (\n    (\n      sum(rate(ok[{{.window}}]))\n    )\n    /\n    (\n      sum(rate(all[{{.window}}]))\n    )\n  )\n' });
  assert.equal(r.slos[0]!.page, null);
  assert.equal(r.slos[0]!.ticket, null);
  assert.deepEqual(r.slos[0]!.labels, { team: 'core' });
  const rules = generateSlothRules(r.slos, { periodMs: 30 * 86_400_000, generatorVersion: 'test', specFormat: 'openslo/v1' });
  assert.deepEqual(rules.groups.map((g) => g.name), ['sloth-slo-sli-recordings-api-api-errors-0', 'sloth-slo-meta-recordings-api-api-errors-0', 'sloth-slo-sli-recordings-api-api-errors-1', 'sloth-slo-meta-recordings-api-api-errors-1']);
  const first = rules.groups[0]!.rules[0]!;
  assert.ok('record' in first && first.record === 'slo:sli_error:ratio_rate5m');
  assert.equal(first.expr, '(\n  1 - (\n    (\n      sum(rate(ok[5m]))\n    )\n    /\n    (\n      sum(rate(all[5m]))\n    )\n  )\n)');
});

test('bad/total is Sloth\'s events SLI; a raw error ratio stays raw; record SLIs have no rules', () => {
  const ev = openSloRuleSlos(def({ kind: 'prometheus-ratio', badQuery: 'b[{{.window}}]', totalQuery: 't[{{.window}}]' }, [0.95]));
  assert.ok('slos' in ev);
  assert.deepEqual(ev.slos[0]!.sli, { kind: 'events', errorQuery: 'b[{{.window}}]', totalQuery: 't[{{.window}}]' });
  const raw = openSloRuleSlos(def({ kind: 'prometheus-raw', errorRatioQuery: 'e[{{.window}}]' }, [0.95]));
  assert.ok('slos' in raw);
  assert.deepEqual(raw.slos[0]!.sli, { kind: 'raw', errorRatioQuery: 'e[{{.window}}]' });
  const rec = openSloRuleSlos(def({ kind: 'availability', countClientErrors: false }, [0.94]));
  assert.deepEqual(rec, { skipped: 'a.yaml#1: SLO api-errors reads availability records, not Prometheus: no rules' });
});
