/**
 * `vigia slo rules` output against Prometheus itself: promtool accepts the rules, and promtool's
 * rule unit tests show the burn-rate alerts fire on a burning SLO (page and ticket, with the labels
 * and annotations an on-call sees) and stay quiet on a healthy one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { requireBinary } from '../support/binaries.js';
import { tempDir } from '../support/tmp.js';
import { VIGIA_BIN } from '../support/vigia-process.js';

const SPEC = new URL('../../src/slo/alerts/fixtures/turno-slos.sloth.yml', import.meta.url).pathname;
const tmp = tempDir('vigia-slo-rules-');
after(() => tmp.remove());

const vigia = (args: string[]) => spawnSync(process.execPath, [VIGIA_BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
const promtool = (...args: string[]) => {
  const r = spawnSync(requireBinary('promtool'), args, { encoding: 'utf8', timeout: 60_000, cwd: tmp.dir });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

const F1 = { owner: 'sre', sloth_id: 'turno-requests-availability', sloth_service: 'turno', sloth_slo: 'requests-availability' };

test('vigia slo rules writes rules promtool accepts (30d and 28d)', () => {
  for (const period of ['30d', '28d']) {
    const out = join(tmp.dir, `rules-${period}.yml`);
    const r = vigia(['slo', 'rules', '--spec', SPEC, '--period', period, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /33 rules in 6 groups for 2 SLOs/);
    const check = promtool('check', 'rules', out);
    assert.equal(check.status, 0, check.out);
    assert.match(check.out, /SUCCESS: 33 rules found/);
  }
});

test('promtool test rules: the page and ticket alerts fire on a 10 % error rate; nothing fires on a healthy service', () => {
  const rules = join(tmp.dir, 'rules-30d.yml');
  const annotations = (sev: string) => ({
    runbook: 'https://example.org/runbooks/turno',
    summary: 'turno requests-availability SLO error budget burn rate is over expected.',
    title: `(${sev}) turno requests-availability SLO error budget burn rate is too fast.`,
  });
  const tests = {
    rule_files: [rules],
    evaluation_interval: '1m',
    tests: [
      {
        // 10 % of requests fail for 2 h: 100 × the budget rate of a 99.9 % SLO.
        interval: '1m',
        input_series: [
          { series: 'vigia_turno_requests_total{route="turno",code="200"}', values: '0+900x120' },
          { series: 'vigia_turno_requests_total{route="turno",code="500"}', values: '0+100x120' },
          // Every answer within 25 ms.
          { series: 'vigia_turno_request_duration_seconds_bucket{route="turno",le="0.025"}', values: '0+1000x120' },
          { series: 'vigia_turno_request_duration_seconds_count{route="turno"}', values: '0+1000x120' },
        ],
        alert_rule_test: [
          {
            eval_time: '65m',
            alertname: 'TurnoAvailability',
            exp_alerts: [
              { exp_labels: { ...F1, severity: 'critical', sloth_severity: 'page', team: 'sre' }, exp_annotations: annotations('page') },
              { exp_labels: { ...F1, severity: 'warning', sloth_severity: 'ticket', team: 'sre' }, exp_annotations: annotations('ticket') },
            ],
          },
          { eval_time: '65m', alertname: 'TurnoLatency', exp_alerts: [] },
        ],
        promql_expr_test: [
          // promtool compares floats exactly: round() to the precision that matters (it drops the name).
          // The burn rate keeps the 5m window label of its numerator, as Sloth's rule does.
          { expr: 'round(slo:sli_error:ratio_rate5m{sloth_slo="requests-availability"}, 0.0001)', eval_time: '65m', exp_samples: [{ labels: `{owner="sre",sloth_id="turno-requests-availability",sloth_service="turno",sloth_slo="requests-availability",sloth_window="5m"}`, value: 0.1 }] },
          { expr: 'round(slo:current_burn_rate:ratio{sloth_slo="requests-availability"}, 0.01)', eval_time: '65m', exp_samples: [{ labels: `{owner="sre",sloth_id="turno-requests-availability",sloth_service="turno",sloth_slo="requests-availability",sloth_window="5m"}`, value: 100 }] },
        ],
      },
      {
        // 0.01 % errors (a tenth of the budget rate) and 1 % of answers over 25 ms (a fifth of 5 %): no alert.
        interval: '1m',
        input_series: [
          { series: 'vigia_turno_requests_total{route="turno",code="200"}', values: '0+9999x300' },
          { series: 'vigia_turno_requests_total{route="turno",code="500"}', values: '0+1x300' },
          { series: 'vigia_turno_request_duration_seconds_bucket{route="turno",le="0.025"}', values: '0+9900x300' },
          { series: 'vigia_turno_request_duration_seconds_count{route="turno"}', values: '0+10000x300' },
        ],
        alert_rule_test: [
          { eval_time: '4h', alertname: 'TurnoAvailability', exp_alerts: [] },
          { eval_time: '4h', alertname: 'TurnoLatency', exp_alerts: [] },
        ],
      },
      {
        // Half the answers take over 25 ms (50 % errors against a 95 % SLO): the ticket fires, no page exists.
        interval: '1m',
        input_series: [
          { series: 'vigia_turno_requests_total{route="turno",code="200"}', values: '0+1000x300' },
          { series: 'vigia_turno_requests_total{route="turno",code="500"}', values: '0x300' },
          { series: 'vigia_turno_request_duration_seconds_bucket{route="turno",le="0.025"}', values: '0+500x300' },
          { series: 'vigia_turno_request_duration_seconds_count{route="turno"}', values: '0+1000x300' },
        ],
        alert_rule_test: [
          {
            eval_time: '3h',
            alertname: 'TurnoLatency',
            exp_alerts: [
              {
                exp_labels: { component: 'http', owner: 'sre', sloth_id: 'turno-latency', sloth_service: 'turno', sloth_slo: 'latency', severity: 'warning', sloth_severity: 'ticket' },
                exp_annotations: {
                  summary: 'turno latency SLO error budget burn rate is over expected.',
                  title: '(ticket) turno latency SLO error budget burn rate is too fast.',
                },
              },
            ],
          },
        ],
      },
    ],
  };
  const file = join(tmp.dir, 'slo.test.yml');
  writeFileSync(file, JSON.stringify(tests, null, 2));
  const r = promtool('test', 'rules', file);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS/);

  // The test can fail: expecting the page alert on the healthy service is caught.
  const wrong = structuredClone(tests);
  wrong.tests[1]!.alert_rule_test[0] = tests.tests[0]!.alert_rule_test[0]! as any;
  writeFileSync(file, JSON.stringify(wrong, null, 2));
  const bad = promtool('test', 'rules', file);
  assert.notEqual(bad.status, 0, bad.out);
});

test('vigia slo rules takes OpenSLO SLOs over Prometheus (mapped as Sloth maps OpenSLO); promtool accepts them and their error ratio is right', () => {
  const spec = join(tmp.dir, 'openslo.yaml');
  writeFileSync(spec, [
    'apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: prom}\nspec: {type: Prometheus, connectionDetails: {url: "http://127.0.0.1:9090"}}',
    'apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: turno-good}\nspec:\n  service: turno\n  budgetingMethod: Occurrences\n  timeWindow: [{duration: 30d, isRolling: true}]\n'
      + '  indicator:\n    metadata: {name: good-turno}\n    spec:\n      ratioMetric:\n        counter: true\n'
      + '        good: {metricSource: {metricSourceRef: prom, type: Prometheus, spec: {query: \'sum(rate(vigia_turno_requests_total{route="turno",code!~"5.."}[{{.window}}]))\'}}}\n'
      + '        total: {metricSource: {metricSourceRef: prom, type: Prometheus, spec: {query: \'sum(rate(vigia_turno_requests_total{route="turno"}[{{.window}}]))\'}}}\n'
      + '  objectives: [{displayName: good answers, target: 0.999}]',
  ].join('\n---\n'));
  const out = join(tmp.dir, 'openslo-rules.yml');
  const r = vigia(['slo', 'rules', '--spec', spec, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /recording rules only; page and ticket alerts are off, as Sloth does for OpenSLO/);
  assert.match(r.stderr, /15 rules in 2 groups for 1 SLO\b/);
  const check = promtool('check', 'rules', out);
  assert.equal(check.status, 0, check.out);
  const file = join(tmp.dir, 'openslo.test.yml');
  writeFileSync(file, JSON.stringify({
    rule_files: [out],
    evaluation_interval: '1m',
    tests: [{
      interval: '1m',
      input_series: [
        { series: 'vigia_turno_requests_total{route="turno",code="200"}', values: '0+900x120' },
        { series: 'vigia_turno_requests_total{route="turno",code="503"}', values: '0+100x120' },
      ],
      promql_expr_test: [{
        expr: 'round(slo:sli_error:ratio_rate5m{sloth_id="turno-turno-good-0"}, 0.0001)', eval_time: '65m',
        exp_samples: [{ labels: '{sloth_id="turno-turno-good-0",sloth_service="turno",sloth_slo="turno-good-0",sloth_window="5m"}', value: 0.1 }],
      }, {
        expr: 'sloth_slo_info{sloth_id="turno-turno-good-0"}', eval_time: '1m',
        exp_samples: [{ labels: 'sloth_slo_info{sloth_id="turno-turno-good-0",sloth_mode="cli-gen-prom",sloth_objective="99.9",sloth_service="turno",sloth_slo="turno-good-0",sloth_spec="openslo/v1",sloth_version="vigia"}', value: 1 }],
      }],
    }],
  }));
  const t = promtool('test', 'rules', file);
  assert.equal(t.status, 0, t.out);
});

test('vigia slo rules refuses a bad spec with the field named, and nothing is written', () => {
  const spec = join(tmp.dir, 'bad.yml');
  writeFileSync(spec, 'version: prometheus/v1\nservice: svc\nslos:\n  - name: avail\n    objective: 100\n    sli: {raw: {error_ratio_query: "rate(e[{{.window}}])"}}\n    alerting: {name: A}\n');
  const out = join(tmp.dir, 'never.yml');
  const r = vigia(['slo', 'rules', '--spec', spec, '--out', out]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /slos\[0\]\.objective: 100 % leaves no error budget/);
  assert.equal(spawnSync('test', ['-e', out]).status, 1, 'no output file');
  writeFileSync(spec, 'version: prometheus/v1\nservice: svc\nslos:\n  - name: avail\n    objective: 99\n    sloo: 1\n    sli: {raw: {error_ratio_query: "rate(e[{{.window}}])"}}\n');
  const unknown = vigia(['slo', 'rules', '--spec', spec]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /slos\[0\]: unknown field "sloo"/);
});
