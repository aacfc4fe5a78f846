/**
 * Rules against Sloth's published behaviour: a golden file written by hand after Sloth's generated
 * examples (events SLI at 99.9 %, raw SLI at 95 %, 30 days), the burn-rate factors Sloth asserts for
 * 30 and 28 days, custom alert windows, the Sloth v0.1-v0.10 alert shape, and tiers that can
 * never fire.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { parseSlothSpec } from '../spec/sloth-spec.js';
import { burnRateFactor, DEFAULT_ALERT_WINDOWS, parseAlertWindows, windowsFor } from './alert-windows.js';
import { rulesYaml } from './rules-yaml.js';
import { generateSlothRules, sliWindows, type AlertingRule } from './sloth-rules.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const D = 86_400_000;
const spec = parseSlothSpec(fixture('turno-slos.sloth.yml'), 'turno-slos.sloth.yml');

/** Collapse whitespace runs: PromQL ignores them, and YAML block styles differ only there. */
const norm = (doc: any): any => ({
  groups: doc.groups.map((g: any) => ({ ...g, rules: g.rules.map((r: any) => ({ ...r, expr: String(r.expr).replace(/\s+/g, ' ').trim() })) })),
});

test('golden: the rules for an events SLI (99.9 %) and a raw SLI (95 %) match Sloth\'s, group by group and rule by rule', () => {
  const out = generateSlothRules(spec.slos, { periodMs: 30 * D, generatorVersion: 'dev' });
  assert.deepEqual(out.warnings, []);
  const got = norm(parseYaml(rulesYaml(out.groups, ['test'])));
  const want = norm(parseYaml(fixture('turno-slos.expected.rules.yml')));
  assert.deepEqual(got.groups.map((g: any) => g.name), want.groups.map((g: any) => g.name));
  for (let i = 0; i < want.groups.length; i++) {
    assert.equal(got.groups[i].rules.length, want.groups[i].rules.length, want.groups[i].name);
    for (let j = 0; j < want.groups[i].rules.length; j++) assert.deepEqual(got.groups[i].rules[j], want.groups[i].rules[j], `${want.groups[i].name} rule ${j}`);
  }
});

test('burn-rate factors: 14.4/6/3/1 for 30 days, 13.44/5.6/2.8/0.933 for 28 days (bit-identical to Sloth\'s)', () => {
  const f = (days: number) => {
    const w = windowsFor(days * D);
    return [w.pageQuick, w.pageSlow, w.ticketQuick, w.ticketSlow].map((x) => burnRateFactor(w.periodMs, x));
  };
  assert.deepEqual(f(30), [14.4, 6, 3, 1]);
  assert.deepEqual(f(28), [13.44, 5.6000000000000005, 2.8000000000000003, 0.9333333333333333]);
  // 28 days: the period series is named 4w, as Prometheus prints 28d, and the factors appear as Go prints them.
  const out = generateSlothRules(spec.slos.slice(0, 1), { periodMs: 28 * D, generatorVersion: 'dev' });
  const sli = out.groups[0]!.rules.map((r) => ('record' in r ? r.record : ''));
  assert.deepEqual(sli, ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '4w'].map((w) => `slo:sli_error:ratio_rate${w}`));
  const alerts = out.groups[2]!.rules as AlertingRule[];
  assert.match(alerts[0]!.expr, /> \(13\.44 \* 0\.0009999999999999432\)\) without \(sloth_window\)[\s\S]*> \(5\.6000000000000005 \* 0\.0009999999999999432\)/);
  assert.match(alerts[1]!.expr, /> \(2\.8000000000000003 \* 0\.0009999999999999432\)[\s\S]*> \(0\.9333333333333333 \* 0\.0009999999999999432\)/);
  const meta = out.groups[1]!.rules;
  assert.equal(meta.find((r) => 'record' in r && r.record === 'slo:time_period:days')!.expr, 'vector(28)');
  assert.throws(() => windowsFor(7 * D), /no alert windows for an SLO period of 7 days \(have: 30d, 28d\)/);
});

test('custom alert windows (Sloth AlertWindows): 7 days, factors and SLI windows follow them', () => {
  const w = parseAlertWindows(
    `apiVersion: sloth.slok.dev/v1
kind: AlertWindows
spec:
  sloPeriod: 7d
  page:
    quick: {errorBudgetPercent: 8, shortWindow: 5m, longWindow: 1h}
    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h}
  ticket:
    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 1d}
    slow: {errorBudgetPercent: 42, shortWindow: 6h, longWindow: 3d}
`,
    '7d.yaml',
  );
  // Sloth's own test values for this file.
  assert.deepEqual([w.pageQuick, w.pageSlow, w.ticketQuick, w.ticketSlow].map((x) => burnRateFactor(w.periodMs, x)), [13.44, 3.5, 1.4000000000000001, 0.98]);
  assert.deepEqual(sliWindows(w).map((ms) => ms / 60_000), [5, 30, 60, 120, 360, 1440, 4320, 10080]);
  const out = generateSlothRules(spec.slos.slice(0, 1), { periodMs: 7 * D, windows: [w], generatorVersion: 'dev' });
  assert.equal(out.groups[0]!.rules.at(-1)!.expr.includes('[1w]'), true, 'a 7-day period prints as 1w');
  // The catalog replaces the defaults, as Sloth's --slo-period-windows-path does.
  assert.throws(() => generateSlothRules(spec.slos, { periodMs: 30 * D, windows: [w], generatorVersion: 'dev' }), /have: 7d/);
  assert.throws(() => parseAlertWindows('apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec: {sloPeriod: 7d}\n', 'bad.yaml'), /bad\.yaml: spec\.page/);
  assert.equal(DEFAULT_ALERT_WINDOWS.length, 2);
});

test('alert style "ignoring" is the Sloth v0.1.0-v0.10.0 shape (internal/prometheus/alert_rules.go at v0.10.0)', () => {
  const out = generateSlothRules(spec.slos.slice(0, 1), { periodMs: 30 * D, generatorVersion: 'dev', alertStyle: 'ignoring' });
  const page = (out.groups[2]!.rules[0] as AlertingRule).expr;
  const F = '{sloth_id="turno-requests-availability", sloth_service="turno", sloth_slo="requests-availability"}';
  assert.equal(
    page,
    `(\n    (slo:sli_error:ratio_rate5m${F} > (14.4 * 0.0009999999999999432))\n    and ignoring (sloth_window)\n    (slo:sli_error:ratio_rate1h${F} > (14.4 * 0.0009999999999999432))\n)\nor ignoring (sloth_window)\n(\n    (slo:sli_error:ratio_rate30m${F} > (6 * 0.0009999999999999432))\n    and ignoring (sloth_window)\n    (slo:sli_error:ratio_rate6h${F} > (6 * 0.0009999999999999432))\n)\n`,
  );
});

test('alert tiers that can never fire: factor × budget >= 1 is refused (both tiers) or warned (one)', () => {
  const at = (objective: number, page = true) =>
    parseSlothSpec(
      `version: prometheus/v1
service: svc
slos:
  - name: avail
    objective: ${objective}
    sli: {raw: {error_ratio_query: "rate(e[{{.window}}])"}}
    alerting: {name: A, page_alert: {disable: ${!page}}}
`,
      'x.yml',
    ).slos;
  // 90 %: budget 0.1; page quick 14.4 × 0.1 = 1.44 (never), page slow 6 × 0.1 = 0.6: a warning.
  const w90 = generateSlothRules(at(90), { periodMs: 30 * D, generatorVersion: 'dev' });
  assert.equal(w90.warnings.length, 1);
  assert.match(w90.warnings[0]!, /page quick \(5m\/1h\) fires above 14\.4 × 0\.1 = 144\.0 % errors, which cannot happen/);
  // 80 %: page slow 6 × 0.2 = 1.2 too: the page alert can never fire: refused.
  assert.throws(() => generateSlothRules(at(80), { periodMs: 30 * D, generatorVersion: 'dev' }), /the page alert can never fire at objective 80 %/);
  // ... unless it is disabled; the ticket tiers (3 × 0.2, 1 × 0.2) can fire.
  const ok = generateSlothRules(at(80, false), { periodMs: 30 * D, generatorVersion: 'dev' });
  assert.deepEqual(ok.warnings, []);
  assert.deepEqual((ok.groups[2]!.rules as AlertingRule[]).map((r) => r.labels.sloth_severity), ['ticket']);
});
