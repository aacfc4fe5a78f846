/**
 * `vigia slo rules` against Sloth's own behaviour: Sloth's integration fixtures (copied from
 * github.com/slok/sloth v0.16.0, test/integration/prometheus/testdata/, Apache-2.0; see
 * fixtures/sloth/README.md) are parsed and generated here, and the result must equal Sloth's expected
 * output rule by rule: a multi-document prometheus/v1 file, the Kubernetes PrometheusServiceLevel
 * form (one and several custom resources), OpenSLO v1alpha, and the 28-day period. Sloth's
 * generate_test.go renders each out-*.yaml.tpl as a Go template with the Sloth version; so does this.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { isVigiaError } from '../../core/errors.js';
import { parseSlothSpec } from '../spec/sloth-spec.js';
import { rulesYaml } from './rules-yaml.js';
import { generateSlothRules } from './sloth-rules.js';

const D = 86_400_000;
const VERSION = 'v0.16.0-vigia-golden';
const fixture = (name: string): string => readFileSync(new URL(`./fixtures/sloth/${name}`, import.meta.url), 'utf8');

/** Render a Sloth out-*.yaml.tpl as its Go test does: `{{ .version }}`, and `{{"..."}}` string escapes. */
const render = (tpl: string): string => tpl.replace(/\{\{ *\.version *\}\}/g, VERSION).replace(/\{\{"((?:[^"\\]|\\.)*)"\}\}/g, (_m, s: string) => s);

/** Collapse whitespace in PromQL (the block styles of the two YAML writers differ only there). */
const norm = (groups: any[]): any[] => groups.map((g: any) => ({ ...g, rules: g.rules.map((r: any) => ({ ...r, expr: String(r.expr).replace(/\s+/g, ' ').trim() })) }));

/** The rule groups of Sloth's expected output: a rule file, or PrometheusRule documents (Kubernetes form). */
function expectedGroups(tplName: string): any[] {
  const docs = parseAllDocuments(render(fixture(tplName))).map((d) => d.toJS() as any).filter((d) => d);
  return docs.flatMap((d) => (d.kind === 'PrometheusRule' ? d.spec.groups : d.groups));
}

function generated(inName: string, periodMs = 30 * D): { groups: any[]; warnings: readonly string[] } {
  const spec = parseSlothSpec(fixture(inName), inName);
  const out = generateSlothRules(spec.slos, { periodMs, generatorVersion: VERSION });
  return { groups: parseYaml(rulesYaml(out.groups, ['test'])).groups, warnings: [...spec.warnings, ...out.warnings] };
}

function assertSameRules(got: any[], want: any[]): void {
  const g = norm(got);
  const w = norm(want);
  assert.deepEqual(g.map((x) => x.name), w.map((x) => x.name));
  for (let i = 0; i < w.length; i++) {
    assert.equal(g[i].rules.length, w[i].rules.length, w[i].name);
    for (let j = 0; j < w[i].rules.length; j++) assert.deepEqual(g[i].rules[j], w[i].rules[j], `${w[i].name} rule ${j}`);
  }
}

test('Sloth golden: a prometheus/v1 file of several documents (in-multifile.yaml) gives Sloth\'s rules', () => {
  const { groups, warnings } = generated('in-multifile.yaml');
  assertSameRules(groups, expectedGroups('out-multifile.yaml.tpl'));
  assert.deepEqual(warnings, []);
});

test('pageAlert / ticketAlert in a prometheus/v1 spec are dropped as Sloth drops them, with a warning', () => {
  // Sloth's own validate fixture spells them the Kubernetes way inside prometheus/v1 (bad-prom-multi-duplicates.yaml#1).
  const first = fixture('bad-prom-multi-duplicates.yaml').split(/^---$/m)[1]!;
  const spec = parseSlothSpec(first, 'p.yaml');
  assert.deepEqual(spec.warnings, [
    'p.yaml: slos[0].alerting.pageAlert: ignored, as Sloth ignores it (prometheus/v1 spells it page_alert; pageAlert is the Kubernetes form\'s spelling)',
    'p.yaml: slos[0].alerting.ticketAlert: ignored, as Sloth ignores it (prometheus/v1 spells it ticket_alert; ticketAlert is the Kubernetes form\'s spelling)',
  ]);
  assert.deepEqual(spec.slos[0]!.page?.labels, { alert01k1: 'alert01v1' });
});

test('Sloth golden: the Kubernetes form, one PrometheusServiceLevel (in-base-k8s.yaml) and several (in-multifile-k8s.yaml)', () => {
  assertSameRules(generated('in-base-k8s.yaml').groups, expectedGroups('out-base-k8s.yaml.tpl'));
  const multi = generated('in-multifile-k8s.yaml');
  assertSameRules(multi.groups, expectedGroups('out-multifile-k8s.yaml.tpl'));
  assert.deepEqual(multi.warnings, []);
});

test('Sloth golden: OpenSLO v1alpha (in-openslo.yaml) as Sloth maps it', () => {
  assertSameRules(generated('in-openslo.yaml').groups, expectedGroups('out-openslo.yaml.tpl'));
});

test('Sloth golden: the 28-day period (out-base-28d.yaml.tpl)', () => {
  assertSameRules(generated('in-base.yaml', 28 * D).groups, expectedGroups('out-base-28d.yaml.tpl'));
});

test('an SLO ID defined twice in one file is refused, as sloth validate refuses it (bad-prom-multi-duplicates.yaml)', () => {
  assert.throws(() => parseSlothSpec(fixture('bad-prom-multi-duplicates.yaml'), 'dup.yaml'), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /dup\.yaml: SLO svc01-slo1 \(service svc01, name slo1\) is defined twice/.test(e.message));
});

test('several documents, a trailing ---, and the same SLO name under two services are one valid file', () => {
  const doc = (service: string) => `version: prometheus/v1\nservice: ${service}\nslos:\n  - name: availability\n    objective: 99.9\n    sli: {raw: {error_ratio_query: 'x[{{.window}}]'}}\n    alerting: {page_alert: {disable: true}, ticket_alert: {disable: true}}\n`;
  const spec = parseSlothSpec(`---\n${doc('api')}---\n${doc('web')}---\n`, 'two.yaml');
  assert.deepEqual(spec.slos.map((s) => s.id), ['api-availability', 'web-availability']);
});

test('errors in the Kubernetes form name its own fields (camelCase, under spec)', () => {
  const k8s = fixture('in-base-k8s.yaml').replace('errorQuery: ', 'errorQuery: "no window" #');
  assert.throws(() => parseSlothSpec(k8s, 'k8s.yaml'), (e: unknown) => isVigiaError(e) && /k8s\.yaml: spec\.slos\[0\]\.sli\.events\.errorQuery: the query must contain \{\{\.window\}\}/.test(e.message));
  const unknown = fixture('in-base-k8s.yaml').replace('spec:\n', 'spec:\n  sevice: x\n');
  assert.throws(() => parseSlothSpec(unknown, 'k8s.yaml'), (e: unknown) => isVigiaError(e) && /k8s\.yaml: spec: unknown field "sevice"/.test(e.message));
});
