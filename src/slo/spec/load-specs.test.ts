import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatProblems, loadSpecs } from './load-specs.js';
import type { SloDefinition, SpecProblem } from '../model.js';

const FIX = fileURLToPath(new URL('./fixtures/openslo/', import.meta.url));
const E = (where: string, message: string): SpecProblem => ({ severity: 'error', where, message });

/** Write `files` into a fresh temporary directory, run `fn` on it, remove it. */
async function withDir(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vigia-specs-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), text);
    }
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const YEAR_2025 = { duration: { count: 1, unit: 'Y' }, isRolling: false, timeZone: 'UTC', start: '2025-01-01 00:00:00' } as const;

test('loadSpecs: the platform example maps to the four objectives exactly', async () => {
  const dir = join(FIX, 'platform');
  const set = await loadSpecs([dir], {});
  assert.deepEqual(set.problems, []);
  assert.deepEqual(set.dataSources, [
    {
      kind: 'csv',
      name: 'records',
      files: { deploys: join(dir, 'deploys.csv'), outages: join(dir, 'outages.csv'), tickets: join(dir, 'tickets.csv') },
      columns: { tickets: { assignment_group: 'group' } },
      timeZone: 'UTC',
    },
  ]);
  const file = join(dir, 'platform.yaml');
  const base = { service: 'platform', budgeting: 'Occurrences', window: YEAR_2025, dataSource: 'records', labels: { team: 'platform' } } as const;
  const expected: SloDefinition[] = [
    {
      ...base,
      name: 'deploy-frequency',
      displayName: 'A deploy at least every 3.5 hours',
      description: 'Mean gap between consecutive successful production deploys',
      sli: { kind: 'threshold', event: 'deploy_gap_hours' },
      objectives: [{ displayName: 'gap <= 3.5 h', target: 0.9, op: 'lte', threshold: 3.5, statistic: 'mean' }],
      source: `${file}#2`,
    },
    {
      ...base,
      name: 'failures-per-deploy',
      displayName: 'At most 4.5 failures per deploy',
      description: 'Failed deploys of a feature before each successful deploy of it',
      sli: { kind: 'threshold', event: 'failures_per_deploy' },
      objectives: [{ displayName: 'failures <= 4.5', target: 0.9, op: 'lte', threshold: 4.5, statistic: 'mean' }],
      source: `${file}#3`,
    },
    {
      ...base,
      name: 'availability',
      displayName: 'At least 94 % availability',
      description: 'Time the service was up, from the outage log',
      sli: { kind: 'availability', countClientErrors: false },
      objectives: [{ displayName: 'available >= 94 %', target: 0.94 }],
      source: `${file}#4`,
    },
    {
      ...base,
      name: 'ticket-resolution',
      displayName: 'Errors answered within 1.5 days',
      description: 'Hours from opening to closing each incident ticket',
      sli: { kind: 'threshold', event: 'ticket_resolution_hours' },
      objectives: [{ displayName: 'resolved <= 36 h', target: 0.9, op: 'lte', threshold: 36, statistic: 'mean' }],
      source: `${file}#5`,
    },
  ];
  assert.deepEqual(set.slos, expected);
});

test('loadSpecs: references across files, .yml files, Sloth specs; other files skipped', async () => {
  const dir = join(FIX, 'split');
  const set = await loadSpecs([dir], { VIGIA_PROM_URL: 'http://127.0.0.1:9090' });
  assert.deepEqual(set.problems, []);
  assert.deepEqual(set.dataSources, [
    { kind: 'csv', name: 'records', files: { requests: join(dir, 'data', 'requests.csv') }, columns: {}, timeZone: 'UTC' },
    { kind: 'prometheus', name: 'prom', url: 'http://127.0.0.1:9090', stepMs: 300_000 },
  ]);
  assert.deepEqual(set.slos, [
    {
      name: 'requests-28d',
      service: 'checkout',
      displayName: 'requests-28d',
      description: '',
      sli: { kind: 'requests', countClientErrors: true },
      budgeting: 'Timeslices',
      objectives: [{ displayName: 'requests-28d', target: 0.99, timeSliceTarget: 0.95, timeSliceWindowMs: 300_000 }],
      window: { duration: { count: 28, unit: 'd' }, isRolling: true, timeZone: 'UTC' },
      dataSource: 'records',
      source: `${join(dir, '30-slos.yaml')}#1`,
      labels: {},
    },
    {
      name: 'turno-errors',
      service: 'turno',
      displayName: 'turno-errors',
      description: '',
      sli: {
        kind: 'prometheus-ratio',
        badQuery: 'sum(increase(vigia_turno_requests_total{route="turno",code=~"5.."}[{{.window}}]))',
        totalQuery: 'sum(increase(vigia_turno_requests_total{route="turno"}[{{.window}}]))',
      },
      budgeting: 'Occurrences',
      objectives: [{ displayName: 'turno-errors', target: 0.999 }],
      window: { duration: { count: 30, unit: 'd' }, isRolling: true, timeZone: 'UTC' },
      dataSource: 'prom',
      source: `${join(dir, '30-slos.yaml')}#2`,
      labels: {},
    },
    {
      name: 'requests-availability',
      service: 'myservice',
      displayName: 'requests-availability',
      description: 'Common SLO based on availability for HTTP request responses.',
      sli: {
        kind: 'prometheus-ratio',
        badQuery: 'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))',
        totalQuery: 'sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))',
      },
      budgeting: 'Occurrences',
      objectives: [{ displayName: '99.9 %', target: 0.999 }],
      window: { duration: { count: 30, unit: 'd' }, isRolling: true, timeZone: 'UTC' },
      source: `${join(dir, '40-sloth.yaml')}#1`,
      labels: { owner: 'myteam' },
    },
  ]);
});

test('loadSpecs: a missing environment variable is an error naming it', async () => {
  const set = await loadSpecs([join(FIX, 'split')], {});
  assert.deepEqual(set.problems, [E(`${join(FIX, 'split', '10-datasources.yaml')}#2: spec.connectionDetails.urlEnv`, 'environment variable VIGIA_PROM_URL is not set')]);
});

test('loadSpecs: YAML errors with file and line, unknown documents, Sloth errors', async () => {
  const dir = join(FIX, 'broken');
  const set = await loadSpecs([dir], {});
  const b = join(dir, 'b-unknown.yaml');
  assert.deepEqual(set.problems, [
    E(`${join(dir, 'a-syntax.yaml')}:6:1`, 'YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'),
    E(`${b}#2`, 'not an SLO spec: expected apiVersion: openslo/v1 (OpenSLO) or version: prometheus/v1 (Sloth)'),
    E(`${b}#3: apiVersion`, '"openslo/v2alpha" kind SLO is not supported; use openslo/v1 (OpenSLO), or what Sloth reads: version: prometheus/v1, sloth.slok.dev/v1 PrometheusServiceLevel, openslo/v1alpha SLO'),
    E(`${b}#4: slos[0].objective`, '100 % leaves no error budget: every error breaks the SLO and no burn-rate alert can be computed; use e.g. 99.99'),
  ]);
  assert.deepEqual(set.slos, []);
});

const DS = `apiVersion: openslo/v1
kind: DataSource
metadata: {name: records}
spec:
  type: CSV
  connectionDetails: {files: {deploys: deploys.csv}}
`;
const SLO = (name: string, extra = ''): string => `apiVersion: openslo/v1
kind: SLO
metadata: {name: ${name}}
spec:
  service: platform
  budgetingMethod: Occurrences
  timeWindow: [{duration: 1M, isRolling: true}]
  indicator:
    metadata: {name: gap}
    spec: {thresholdMetric: {metricSource: {metricSourceRef: records, spec: {event: deploy_gap_hours}}}}
  objectives: [{op: lte, value: 3.5, target: 0.9}]
${extra}`;
const SLOTH = (name: string, sli: string, service = 'svc'): string => `version: prometheus/v1
service: ${service}
slos:
  - name: ${name}
    objective: 99.5
    sli: ${sli}
    alerting: {page_alert: {disable: true}, ticket_alert: {disable: true}}
`;

test('loadSpecs: table of directory cases', async (t) => {
  const cases: ReadonlyArray<{ name: string; files: Record<string, string>; paths?: (dir: string) => string[]; problems: (dir: string) => SpecProblem[]; slos: string[] }> = [
    { name: 'a file path, given twice and inside a given directory, is read once', files: { 'a.yaml': `${DS}---\n${SLO('gap')}` }, paths: (d) => [join(d, 'a.yaml'), d, join(d, 'a.yaml')], problems: () => [], slos: ['gap'] },
    { name: 'empty documents are skipped', files: { 'a.yaml': `---\n${DS}---\n---\n${SLO('gap')}---\n` }, problems: () => [], slos: ['gap'] },
    { name: 'subdirectories are not read', files: { 'a.yaml': `${DS}---\n${SLO('gap')}`, 'sub/b.yaml': 'not: [valid' }, problems: () => [], slos: ['gap'] },
    { name: 'a DataSource in another file', files: { 'b-slo.YML': SLO('gap'), 'a-ds.yaml': DS }, problems: () => [], slos: ['gap'] },
    {
      name: 'duplicate OpenSLO names across files',
      files: { 'a.yaml': `${DS}---\n${SLO('gap')}`, 'b.yaml': SLO('gap') },
      problems: (d) => [E(`${join(d, 'b.yaml')}#1: metadata.name`, `SLO "gap" is already defined in ${join(d, 'a.yaml')}#2`)],
      slos: ['gap'],
    },
    {
      name: 'a Sloth SLO with the service and name of an OpenSLO one',
      files: { 'a.yaml': `${DS}---\n${SLO('gap')}`, 'b.yaml': SLOTH('gap', `{raw: {error_ratio_query: 'x[{{.window}}]'}}`, 'platform') },
      problems: (d) => [E(`${join(d, 'b.yaml')}#1`, `SLO "gap" of service "platform" (ID platform-gap) is already defined in ${join(d, 'a.yaml')}#2`)],
      slos: ['gap'],
    },
    {
      // Sloth identifies an SLO by service and name (its ID <service>-<name>): one name under two services is two SLOs.
      name: 'the same SLO name under two services',
      files: { 'a.yaml': `${DS}---\n${SLO('gap')}`, 'b.yaml': `${SLOTH('gap', `{raw: {error_ratio_query: 'x[{{.window}}]'}}`)}---\n${SLOTH('gap', `{raw: {error_ratio_query: 'y[{{.window}}]'}}`, 'other')}---\n` },
      problems: () => [],
      slos: ['gap', 'gap', 'gap'],
    },
    { name: 'an empty directory', files: { 'notes.txt': 'x' }, problems: (d) => [E(d, 'no .yaml or .yml files in this directory')], slos: [] },
    { name: 'a missing path', files: {}, paths: (d) => [join(d, 'nope')], problems: (d) => [E(join(d, 'nope'), 'cannot read: ENOENT')], slos: [] },
    { name: 'a duplicate YAML key', files: { 'a.yaml': `${DS}---\n${SLO('gap')}kind: SLO\n` }, problems: (d) => [E(`${join(d, 'a.yaml')}:19:1`, 'YAML: Map keys must be unique')], slos: [] },
    { name: 'a scalar document', files: { 'a.yaml': 'just text\n' }, problems: (d) => [E(`${join(d, 'a.yaml')}#1`, 'not an SLO spec: expected apiVersion: openslo/v1 (OpenSLO) or version: prometheus/v1 (Sloth)')], slos: [] },
  ];
  for (const c of cases) {
    await t.test(c.name, () =>
      withDir(c.files, async (dir) => {
        const set = await loadSpecs(c.paths ? c.paths(dir) : [dir], {});
        assert.deepEqual(set.problems, c.problems(dir));
        assert.deepEqual(
          set.slos.map((s) => s.name),
          c.slos,
        );
      }),
    );
  }
});

test('loadSpecs: a Sloth raw SLI becomes prometheus-raw', async () => {
  await withDir({ 's.yaml': SLOTH('ratio', `{raw: {error_ratio_query: 'sum(rate(err[{{.window}}])) / sum(rate(all[{{.window}}]))'}}`) }, async (dir) => {
    const set = await loadSpecs([dir], {});
    assert.deepEqual(set.problems, []);
    assert.deepEqual(set.slos, [
      {
        name: 'ratio',
        service: 'svc',
        displayName: 'ratio',
        description: '',
        sli: { kind: 'prometheus-raw', errorRatioQuery: 'sum(rate(err[{{.window}}])) / sum(rate(all[{{.window}}]))' },
        budgeting: 'Occurrences',
        objectives: [{ displayName: '99.5 %', target: 0.995 }],
        window: { duration: { count: 30, unit: 'd' }, isRolling: true, timeZone: 'UTC' },
        source: `${join(dir, 's.yaml')}#1`,
        labels: {},
      },
    ] satisfies SloDefinition[]);
  });
});

test('formatProblems renders one problem per line', () => {
  assert.equal(
    formatProblems([E('slos/a.yaml#2: spec.objectives[0].target', '1 (100 %) leaves no error budget'), { severity: 'warning', where: 'slos/a.yaml#2: spec.timeWindow[0].duration', message: '1m is one minute' }]),
    'error: slos/a.yaml#2: spec.objectives[0].target: 1 (100 %) leaves no error budget\nwarning: slos/a.yaml#2: spec.timeWindow[0].duration: 1m is one minute',
  );
  assert.equal(formatProblems([]), '');
});
