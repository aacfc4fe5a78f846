import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOpenSlo, percentToRatio } from './openslo.js';
import type { SpecEnv } from './openslo.js';
import type { SloDefinition, SpecProblem, SpecSet } from '../model.js';

// Documents are built as plain data (what YAML toJS() gives) and patched per case.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

const run = (docs: readonly unknown[], env: SpecEnv = {}): SpecSet =>
  parseOpenSlo(docs.map((doc, i) => ({ source: `t.yaml#${i + 1}`, baseDir: '/specs', doc })), env);

const E = (where: string, message: string): SpecProblem => ({ severity: 'error', where, message });
const W = (where: string, message: string): SpecProblem => ({ severity: 'warning', where, message });

const ALL_FILES = { deploys: 'deploys.csv', outages: 'outages.csv', tickets: 'tickets.csv', requests: 'requests.csv' };
const csv = (name = 'records', connectionDetails: Doc = { files: ALL_FILES }): Doc => ({
  apiVersion: 'openslo/v1',
  kind: 'DataSource',
  metadata: { name },
  spec: { type: 'CSV', connectionDetails },
});
const dataSource = (type: string, connectionDetails: Doc, name = 'db'): Doc => ({ apiVersion: 'openslo/v1', kind: 'DataSource', metadata: { name }, spec: { type, connectionDetails } });
const thresholdSli = (event = 'deploy_gap_hours', ms: Doc = { metricSourceRef: 'records', type: 'CSV' }): Doc => ({ thresholdMetric: { metricSource: { ...ms, spec: { event } } } });
const ratioSli = (sli: string, good: Doc = {}, ms: Doc = { metricSourceRef: 'records' }): Doc => ({
  ratioMetric: { counter: true, good: { metricSource: { ...ms, spec: { sli, ...good } } }, total: { metricSource: { ...ms, spec: { sli } } } },
});
const promQuery = (q: string, ms: Doc = { metricSourceRef: 'prom', type: 'Prometheus' }): Doc => ({ metricSource: { ...ms, spec: { query: q } } });
const BAD_Q = 'sum(increase(http_requests_total{code=~"5.."}[{{.window}}]))';
const TOTAL_Q = 'sum(increase(http_requests_total[{{.window}}]))';

/** A valid threshold SLO (deploy gap <= 3.5 h, 90 % of gaps, 28 days rolling), patched per case. */
const slo = (patch?: (d: Doc) => void, name = 'gap'): Doc => {
  const d: Doc = {
    apiVersion: 'openslo/v1',
    kind: 'SLO',
    metadata: { name },
    spec: {
      service: 'platform',
      budgetingMethod: 'Occurrences',
      timeWindow: [{ duration: '28d', isRolling: true }],
      indicator: { metadata: { name: `${name}-sli` }, spec: thresholdSli() },
      objectives: [{ op: 'lte', value: 3.5, target: 0.9 }],
    },
  };
  patch?.(d);
  return d;
};
const ratioSlo = (patch?: (d: Doc) => void): Doc =>
  slo((d) => {
    d.spec.indicator.spec = ratioSli('requests');
    d.spec.objectives = [{ target: 0.99 }];
    patch?.(d);
  });
const obj0 = 't.yaml#2: spec.objectives[0]';
const tw0 = 't.yaml#2: spec.timeWindow[0]';
const thr = 't.yaml#2: spec.indicator.spec.thresholdMetric.metricSource';
const rat = 't.yaml#2: spec.indicator.spec.ratioMetric';
const calendar = (c: Doc) => (d: Doc) => {
  d.spec.timeWindow = [{ duration: '1M', isRolling: false, calendar: c }];
};

interface Case {
  readonly name: string;
  readonly docs: readonly unknown[];
  readonly env?: SpecEnv;
  readonly problems: readonly SpecProblem[];
  /** SLOs that survive (default 0 when an error is expected, else 1). */
  readonly slos?: number;
}

const cases: readonly Case[] = [
  // Unknown fields, anywhere.
  { name: 'unknown objective field', docs: [csv(), slo((d) => (d.spec.objectives[0].targt = 0.9))], problems: [E(`${obj0}.targt`, 'unknown field "targt"')] },
  { name: 'unknown metadata field', docs: [csv(), slo((d) => (d.metadata.owner = 'me'))], problems: [E('t.yaml#2: metadata.owner', 'unknown field "owner"')] },
  { name: 'unknown top-level field', docs: [csv(), slo((d) => (d.status = {}))], problems: [E('t.yaml#2: status', 'unknown field "status"')] },
  { name: 'unknown metricSource field', docs: [csv(), slo((d) => (d.spec.indicator.spec.thresholdMetric.metricSource.query = 'x'))], problems: [E(`${thr}.query`, 'unknown field "query"')] },
  { name: 'unknown metricSource.spec field', docs: [csv(), slo((d) => (d.spec.indicator.spec.thresholdMetric.metricSource.spec.team = 'a'))], problems: [E(`${thr}.spec.team`, 'unknown field "team"')] },
  { name: 'unknown calendar field', docs: [csv(), slo(calendar({ startTime: '2025-01-01 00:00:00', timeZone: 'UTC', tz: 'UTC' }))], problems: [E(`${tw0}.calendar.tz`, 'unknown field "tz"')] },
  { name: 'unknown ratioMetric field', docs: [csv(), ratioSlo((d) => (d.spec.indicator.spec.ratioMetric.ratio = 1))], problems: [E(`${rat}.ratio`, 'unknown field "ratio"')] },
  { name: 'unknown connectionDetails field', docs: [csv('records', { files: ALL_FILES, path: '/data' })], problems: [E('t.yaml#1: spec.connectionDetails.path', 'unknown field "path"')] },
  { name: 'unknown CSV table', docs: [csv('records', { files: { incidents: 'i.csv' } })], problems: [E('t.yaml#1: spec.connectionDetails.files.incidents', 'unknown field "incidents"')] },
  { name: 'two unknown fields, both named', docs: [csv(), slo((d) => Object.assign(d.spec, { owner: 'a', tier: 1 }))], problems: [E('t.yaml#2: spec.owner', 'unknown field "owner"'), E('t.yaml#2: spec.tier', 'unknown field "tier"')] },
  { name: 'missing required field', docs: [csv(), slo((d) => delete d.spec.service)], problems: [E('t.yaml#2: spec.service', 'is required')] },
  { name: 'wrong type', docs: [csv(), slo((d) => (d.spec.objectives[0].target = '90%'))], problems: [E(`${obj0}.target`, 'expected number, got string')] },

  // Targets.
  { name: 'target 1 leaves no budget', docs: [csv(), slo((d) => (d.spec.objectives[0].target = 1))], problems: [E(`${obj0}.target`, '1 (100 %) leaves no error budget: every bad event breaks the SLO; use e.g. 0.999')] },
  { name: 'targetPercent 100 leaves no budget', docs: [csv(), slo((d) => (d.spec.objectives[0] = { op: 'lte', value: 3.5, targetPercent: 100 }))], problems: [E(`${obj0}.targetPercent`, '100 % leaves no error budget: every bad event breaks the SLO; use e.g. 99.9')] },
  { name: 'target 0', docs: [csv(), slo((d) => (d.spec.objectives[0].target = 0))], problems: [E(`${obj0}.target`, '0 is not a ratio in (0, 1) such as 0.99')] },
  { name: 'target negative', docs: [csv(), slo((d) => (d.spec.objectives[0].target = -0.5))], problems: [E(`${obj0}.target`, '-0.5 is not a ratio in (0, 1) such as 0.99')] },
  { name: 'target written as a percentage', docs: [csv(), slo((d) => (d.spec.objectives[0].target = 99))], problems: [E(`${obj0}.target`, '99 is not a ratio in (0, 1); did you mean targetPercent: 99?')] },
  { name: 'target over 100', docs: [csv(), slo((d) => (d.spec.objectives[0].target = 150))], problems: [E(`${obj0}.target`, '150 is not a ratio in (0, 1) such as 0.99')] },
  { name: 'targetPercent 0', docs: [csv(), slo((d) => (d.spec.objectives[0] = { op: 'lte', value: 3.5, targetPercent: 0 }))], problems: [E(`${obj0}.targetPercent`, '0 is not a percentage in (0, 100) such as 99')] },
  { name: 'targetPercent written as a ratio', docs: [csv(), slo((d) => (d.spec.objectives[0] = { op: 'lte', value: 3.5, targetPercent: 0.5 }))], problems: [W(`${obj0}.targetPercent`, '0.5 % is very low; targetPercent is a percentage (99), target a ratio (0.99)')], slos: 1 },
  { name: 'target and targetPercent', docs: [csv(), slo((d) => (d.spec.objectives[0].targetPercent = 90))], problems: [E(obj0, 'give target or targetPercent, not both')] },
  { name: 'no target', docs: [csv(), slo((d) => delete d.spec.objectives[0].target)], problems: [E(obj0, 'target or targetPercent is required')] },
  { name: 'no objectives', docs: [csv(), slo((d) => (d.spec.objectives = []))], problems: [E('t.yaml#2: spec.objectives', 'at least one objective is required')] },

  // Budgeting methods and time slices.
  {
    name: 'Timeslices needs timeSliceWindow and timeSliceTarget',
    docs: [csv(), ratioSlo((d) => (d.spec.budgetingMethod = 'Timeslices'))],
    problems: [
      E(`${obj0}.timeSliceWindow`, 'is required with Timeslices budgeting (the length of a slice, e.g. 5m)'),
      E(`${obj0}.timeSliceTarget`, 'is required with Timeslices budgeting (the share of good events that makes a slice good, e.g. 0.95)'),
    ],
  },
  { name: 'RatioTimeslices needs timeSliceWindow', docs: [csv(), ratioSlo((d) => (d.spec.budgetingMethod = 'RatioTimeslices'))], problems: [E(`${obj0}.timeSliceWindow`, 'is required with RatioTimeslices budgeting (the length of a slice, e.g. 5m)')] },
  {
    name: 'RatioTimeslices ignores timeSliceTarget',
    docs: [csv(), ratioSlo((d) => Object.assign(d, { spec: { ...d.spec, budgetingMethod: 'RatioTimeslices', objectives: [{ target: 0.9, timeSliceWindow: '1h', timeSliceTarget: 0.9 }] } }))],
    problems: [W(`${obj0}.timeSliceTarget`, "RatioTimeslices averages the slices' ratios and uses no slice target; ignored")],
    slos: 1,
  },
  { name: 'Occurrences ignores time slices', docs: [csv(), slo((d) => (d.spec.objectives[0].timeSliceWindow = '5m'))], problems: [W(`${obj0}.timeSliceWindow`, 'only Timeslices and RatioTimeslices budgeting use time slices; ignored with Occurrences')], slos: 1 },
  {
    name: 'timeSliceTarget out of range',
    docs: [csv(), ratioSlo((d) => ((d.spec.budgetingMethod = 'Timeslices'), Object.assign(d.spec.objectives[0], { timeSliceWindow: '5m', timeSliceTarget: 0 })))],
    problems: [E(`${obj0}.timeSliceTarget`, '0 is not a ratio in (0, 1]')],
  },
  {
    name: 'timeSliceWindow not a duration',
    docs: [csv(), ratioSlo((d) => ((d.spec.budgetingMethod = 'RatioTimeslices'), (d.spec.objectives[0].timeSliceWindow = 'soon')))],
    problems: [E(`${obj0}.timeSliceWindow`, '"soon" is not a duration such as 1m, 5m or 1h')],
  },
  {
    name: 'timeSliceWindow fractional minutes',
    docs: [csv(), ratioSlo((d) => ((d.spec.budgetingMethod = 'RatioTimeslices'), (d.spec.objectives[0].timeSliceWindow = 2.5)))],
    problems: [E(`${obj0}.timeSliceWindow`, '2.5 is not a positive whole number of minutes')],
  },
  {
    name: 'timeSliceWindow as long as the window',
    docs: [csv(), ratioSlo((d) => ((d.spec.budgetingMethod = 'RatioTimeslices'), (d.spec.timeWindow[0].duration = '1d'), (d.spec.objectives[0].timeSliceWindow = '2d')))],
    problems: [E(`${obj0}.timeSliceWindow`, 'a slice of 2d is not shorter than the 1d window')],
  },
  {
    name: 'a threshold SLI over records cannot be budgeted in time slices',
    docs: [csv(), slo((d) => ((d.spec.budgetingMethod = 'Timeslices'), Object.assign(d.spec.objectives[0], { timeSliceWindow: '5m', timeSliceTarget: 0.9 })))],
    problems: [E('t.yaml#2: spec.budgetingMethod', 'Timeslices needs a ratio SLI over time (requests, availability, Prometheus); a threshold SLI over records is budgeted per event: use Occurrences')],
  },
  { name: 'unknown budgeting method', docs: [csv(), slo((d) => (d.spec.budgetingMethod = 'Events'))], problems: [E('t.yaml#2: spec.budgetingMethod', 'unknown budgeting method "Events"; one of Occurrences, Timeslices, RatioTimeslices')] },

  // Time windows.
  { name: '1m is a minute', docs: [csv(), slo((d) => (d.spec.timeWindow[0].duration = '1m'))], problems: [W(`${tw0}.duration`, '1m is one minute; did you mean 1M (one month)? In OpenSLO durations m is minutes and M is months')], slos: 1 },
  { name: '3m is minutes', docs: [csv(), slo((d) => (d.spec.timeWindow[0].duration = '3m'))], problems: [W(`${tw0}.duration`, '3m is 3 minutes; did you mean 3M (3 months)? In OpenSLO durations m is minutes and M is months')], slos: 1 },
  { name: 'hours under a day', docs: [csv(), slo((d) => (d.spec.timeWindow[0].duration = '12h'))], problems: [W(`${tw0}.duration`, '12h is 12 hours, under a day: SLO windows are days to years (28d, 1M, 1Q, 1Y; m is minutes, M is months)')], slos: 1 },
  { name: '48h is fine', docs: [csv(), slo((d) => (d.spec.timeWindow[0].duration = '48h'))], problems: [], slos: 1 },
  { name: 'bad duration', docs: [csv(), slo((d) => (d.spec.timeWindow[0].duration = '30x'))], problems: [E(`${tw0}.duration`, '"30x" is not a window such as 28d, 4w, 1M, 1Q or 1Y')] },
  { name: 'calendar without startTime', docs: [csv(), slo(calendar({ timeZone: 'UTC' }))], problems: [E(`${tw0}.calendar.startTime`, 'is required for a calendar window (a local time such as 2025-01-01 00:00:00)')] },
  { name: 'calendar without timeZone', docs: [csv(), slo(calendar({ startTime: '2025-01-01 00:00:00' }))], problems: [E(`${tw0}.calendar.timeZone`, 'is required for a calendar window (an IANA name such as UTC or Europe/Madrid)')] },
  { name: 'isRolling false without calendar', docs: [csv(), slo((d) => (d.spec.timeWindow[0].isRolling = false))], problems: [E(`${tw0}.calendar`, 'a calendar window (isRolling: false) needs calendar.startTime and calendar.timeZone')] },
  {
    name: 'rolling window with a calendar',
    docs: [csv(), slo((d) => (d.spec.timeWindow[0].calendar = { startTime: '2025-01-01', timeZone: 'UTC' }))],
    problems: [E(`${tw0}.calendar`, 'a rolling window (isRolling: true) has no calendar')],
  },
  { name: 'unknown time zone', docs: [csv(), slo(calendar({ startTime: '2025-01-01 00:00:00', timeZone: 'Mars/Olympus' }))], problems: [E(`${tw0}.calendar.timeZone`, 'unknown time zone "Mars/Olympus": use an IANA name such as UTC or Europe/Madrid')] },
  {
    name: 'startTime not a local time',
    docs: [csv(), slo(calendar({ startTime: '01/01/2025', timeZone: 'UTC' }))],
    problems: [E(`${tw0}.calendar.startTime`, '"01/01/2025" is not a local time such as 2025-01-01 00:00:00 (no offset: the zone is timeZone)')],
  },
  { name: 'two time windows', docs: [csv(), slo((d) => d.spec.timeWindow.push({ duration: '1Q', isRolling: true }))], problems: [E('t.yaml#2: spec.timeWindow', 'OpenSLO allows exactly one time window; found 2')] },
  { name: 'no time window', docs: [csv(), slo((d) => delete d.spec.timeWindow)], problems: [E('t.yaml#2: spec.timeWindow', 'exactly one time window is required')] },

  // Names and references.
  { name: 'duplicate SLO names', docs: [csv(), slo(), slo()], problems: [E('t.yaml#3: metadata.name', 'SLO "gap" is already defined in t.yaml#2')], slos: 1 },
  { name: 'duplicate DataSource names', docs: [csv(), csv()], problems: [E('t.yaml#2: metadata.name', 'DataSource "records" is already defined in t.yaml#1')] },
  { name: 'no name', docs: [csv(), slo((d) => delete d.metadata.name)], problems: [E('t.yaml#2: metadata.name', 'is required')] },
  {
    name: 'name with spaces',
    docs: [csv(), slo((d) => (d.metadata.name = 'deploy gap'))],
    problems: [E('t.yaml#2: metadata.name', 'must be letters, digits and - . / | \\, starting and ending with a letter or digit (at most 255)')],
  },
  {
    name: 'indicatorRef naming nothing',
    docs: [csv(), slo((d) => ((d.spec.indicatorRef = 'nope'), delete d.spec.indicator))],
    problems: [E('t.yaml#2: spec.indicatorRef', 'no SLI named "nope"; no SLI document is defined')],
  },
  {
    name: 'indicatorRef naming nothing, SLIs listed',
    docs: [csv(), slo((d) => ((d.spec.indicatorRef = 'nope'), delete d.spec.indicator)), { apiVersion: 'openslo/v1', kind: 'SLI', metadata: { name: 'gaps' }, spec: thresholdSli() }],
    problems: [E('t.yaml#2: spec.indicatorRef', 'no SLI named "nope"; the SLIs are gaps')],
  },
  { name: 'indicator and indicatorRef', docs: [csv(), slo((d) => (d.spec.indicatorRef = 'x'))], problems: [E('t.yaml#2: spec', 'give indicator or indicatorRef, not both')] },
  { name: 'no indicator', docs: [csv(), slo((d) => delete d.spec.indicator)], problems: [E('t.yaml#2: spec', 'indicator or indicatorRef is required')] },
  {
    name: 'an SLI with errors is reported once, at the SLI',
    docs: [csv(), slo((d) => ((d.spec.indicatorRef = 'gaps'), delete d.spec.indicator)), { apiVersion: 'openslo/v1', kind: 'SLI', metadata: { name: 'gaps' }, spec: thresholdSli('gaps') }],
    problems: [E('t.yaml#3: spec.thresholdMetric.metricSource.spec.event', 'unknown event "gaps"; the events are deploy_gap_hours, failures_per_deploy, ticket_resolution_hours, lead_time_hours')],
  },
  {
    name: 'metricSourceRef naming nothing',
    docs: [csv(), slo((d) => (d.spec.indicator.spec.thresholdMetric.metricSource.metricSourceRef = 'nope'))],
    problems: [E(`${thr}.metricSourceRef`, 'no DataSource named "nope"; the DataSources are records')],
  },
  {
    name: 'metricSource type not the DataSource type',
    docs: [csv(), slo((d) => (d.spec.indicator.spec.thresholdMetric.metricSource.type = 'Prometheus'))],
    problems: [E(`${thr}.type`, '"Prometheus" does not match DataSource "records", which is of type CSV')],
  },
  { name: 'metricSource type in any case', docs: [csv(), slo((d) => (d.spec.indicator.spec.thresholdMetric.metricSource.type = 'csv'))], problems: [], slos: 1 },
  {
    name: 'unknown metricSource type',
    docs: [csv(), slo((d) => (d.spec.indicator.spec.thresholdMetric.metricSource.type = 'Datadog'))],
    problems: [E(`${thr}.type`, 'unknown metric source type "Datadog"; Vigía reads CSV, PostgreSQL, MySQL, Prometheus')],
  },
  {
    name: 'no DataSource at all',
    docs: [slo((d) => (d.spec.indicator.spec = thresholdSli('deploy_gap_hours', {})))],
    problems: [E('t.yaml#1: spec.indicator.spec.thresholdMetric.metricSource', 'no DataSource is defined: add a document of kind DataSource (type CSV, PostgreSQL, MySQL, Prometheus) and name it in metricSourceRef')],
  },
  {
    name: 'no DataSource, metricSourceRef given',
    docs: [slo()],
    problems: [E('t.yaml#1: spec.indicator.spec.thresholdMetric.metricSource.metricSourceRef', 'no DataSource named "records"; no DataSource is defined')],
  },
  {
    name: 'several DataSources need metricSourceRef',
    docs: [csv(), csv('other'), slo((d) => (d.spec.indicator.spec = thresholdSli('deploy_gap_hours', {})))],
    problems: [E('t.yaml#3: spec.indicator.spec.thresholdMetric.metricSource.metricSourceRef', 'is required when there are several DataSources (records, other)')],
  },

  // Threshold and ratio SLIs.
  {
    name: 'threshold objective without op and value',
    docs: [csv(), slo((d) => (d.spec.objectives[0] = { target: 0.9 }))],
    problems: [E(`${obj0}.op`, 'is required for a threshold SLI (lt, lte, gt, gte)'), E(`${obj0}.value`, 'is required for a threshold SLI (the threshold each value is compared with)')],
  },
  { name: 'unknown op', docs: [csv(), slo((d) => (d.spec.objectives[0].op = 'le'))], problems: [E(`${obj0}.op`, 'unknown operator "le"; one of lt, lte, gt, gte')] },
  { name: 'op and value on a ratio SLI', docs: [csv(), ratioSlo((d) => Object.assign(d.spec.objectives[0], { op: 'gte', value: 1 }))], problems: [W(obj0, 'op and value are only used with a threshold SLI; ignored for this requests SLI')], slos: 1 },
  {
    name: 'unknown threshold event',
    docs: [csv(), slo((d) => (d.spec.indicator.spec = thresholdSli('deploy_gaps')))],
    problems: [E(`${thr}.spec.event`, 'unknown event "deploy_gaps"; the events are deploy_gap_hours, failures_per_deploy, ticket_resolution_hours, lead_time_hours')],
  },
  { name: 'unknown ratio sli', docs: [csv(), ratioSlo((d) => (d.spec.indicator.spec = ratioSli('latency')))], problems: [E(`${rat}.good.metricSource.spec.sli`, 'unknown sli "latency"; the ratio SLIs are requests, availability')] },
  {
    name: 'ratio sli missing',
    docs: [csv(), ratioSlo((d) => delete d.spec.indicator.spec.ratioMetric.good.metricSource.spec.sli)],
    problems: [E(`${rat}.good.metricSource.spec.sli`, 'is required (requests, availability)')],
  },
  {
    name: 'good and total disagree on the sli',
    docs: [csv(), ratioSlo((d) => (d.spec.indicator.spec.ratioMetric.total.metricSource.spec.sli = 'availability'))],
    problems: [E(`${rat}.total.metricSource.spec.sli`, '"availability" differs from the good sli "requests"')],
  },
  {
    name: 'thresholdMetric and ratioMetric',
    docs: [csv(), slo((d) => (d.spec.indicator.spec.ratioMetric = ratioSli('requests').ratioMetric))],
    problems: [E('t.yaml#2: spec.indicator.spec', 'give thresholdMetric or ratioMetric, not both')],
  },
  { name: 'good and bad', docs: [csv(), ratioSlo((d) => (d.spec.indicator.spec.ratioMetric.bad = d.spec.indicator.spec.ratioMetric.good))], problems: [E(rat, 'give good or bad, not both')] },
  { name: 'no total', docs: [csv(), ratioSlo((d) => delete d.spec.indicator.spec.ratioMetric.total)], problems: [E(`${rat}.total`, 'is required with good')] },
  {
    name: 'raw without rawType',
    docs: [csv(), ratioSlo((d) => (d.spec.indicator.spec.ratioMetric = { raw: promQuery('x[{{.window}}]', {}) }))],
    problems: [E(`${rat}.rawType`, 'is required with raw (success: the query is good/total; failure: bad/total)')],
  },
  {
    name: 'raw over CSV',
    docs: [csv(), ratioSlo((d) => (d.spec.indicator.spec.ratioMetric = { rawType: 'failure', raw: promQuery('x[{{.window}}]', {}) }))],
    problems: [E(`${rat}.raw.metricSource`, 'a raw ratio is a Prometheus query; CSV sources give good and total records')],
  },
  {
    name: 'Prometheus query without {{.window}}',
    docs: [ratioSlo((d) => (d.spec.indicator.spec.ratioMetric = { good: promQuery('sum(up)', { type: 'Prometheus' }), total: promQuery(TOTAL_Q, { type: 'Prometheus' }) }))],
    problems: [E('t.yaml#1: spec.indicator.spec.ratioMetric.good.metricSource.spec.query', 'the query must contain {{.window}} (Vigía fills in the step, as Sloth does), e.g. sum(increase(http_requests_total[{{.window}}]))')],
  },
  {
    name: 'threshold over Prometheus',
    docs: [slo((d) => (d.spec.indicator.spec = thresholdSli('deploy_gap_hours', { type: 'Prometheus' })))],
    problems: [E('t.yaml#1: spec.indicator.spec.thresholdMetric.metricSource', 'a threshold SLI reads records (CSV, PostgreSQL or MySQL); Prometheus SLIs are ratioMetric')],
  },
  {
    name: 'CSV without the table the SLI reads',
    docs: [csv('records', { files: { deploys: 'd.csv' } }), slo((d) => (d.spec.indicator.spec = thresholdSli('ticket_resolution_hours')))],
    problems: [E(`${thr}.spec.event`, 'ticket_resolution_hours reads the tickets table, but DataSource "records" has no tickets file')],
  },
  {
    name: 'composite objective',
    docs: [csv(), slo((d) => (d.spec.objectives[0].indicatorRef = 'other'))],
    problems: [E(`${obj0}.indicatorRef`, 'composite SLOs (an indicator per objective) are not supported; give the SLO one indicator')],
  },
  { name: 'compositeWeight ignored', docs: [csv(), slo((d) => (d.spec.objectives[0].compositeWeight = 2))], problems: [W(`${obj0}.compositeWeight`, 'only composite SLOs use compositeWeight; ignored')], slos: 1 },

  // The statistic annotation.
  {
    name: 'unknown statistic',
    docs: [csv(), slo((d) => (d.metadata.annotations = { 'vigia.dev/statistic': 'average' }))],
    problems: [E('t.yaml#2: metadata.annotations["vigia.dev/statistic"]', 'unknown statistic "average"; one of mean, median, p90, p95, p99, min, max')],
  },
  {
    name: 'statistic on a ratio SLI',
    docs: [csv(), ratioSlo((d) => (d.metadata.annotations = { 'vigia.dev/statistic': 'mean' }))],
    problems: [W('t.yaml#2: metadata.annotations["vigia.dev/statistic"]', 'only threshold SLIs are judged by a statistic; ignored for this ratio SLI')],
    slos: 1,
  },

  // DataSources.
  { name: 'unknown DataSource type', docs: [dataSource('Datadog', {})], problems: [E('t.yaml#1: spec.type', 'unknown DataSource type "Datadog"; Vigía reads CSV, PostgreSQL, MySQL, Prometheus')] },
  { name: 'urlEnv not set', docs: [dataSource('PostgreSQL', { urlEnv: 'PG_URL' })], env: { OTHER: 'x' }, problems: [E('t.yaml#1: spec.connectionDetails.urlEnv', 'environment variable PG_URL is not set')] },
  { name: 'urlEnv empty', docs: [dataSource('MySQL', { urlEnv: 'MY_URL' })], env: { MY_URL: '' }, problems: [E('t.yaml#1: spec.connectionDetails.urlEnv', 'environment variable MY_URL is not set')] },
  { name: 'url and urlEnv', docs: [dataSource('PostgreSQL', { url: 'postgres://h/db', urlEnv: 'PG_URL' })], problems: [E('t.yaml#1: spec.connectionDetails', 'give url or urlEnv, not both')] },
  { name: 'no url', docs: [dataSource('Prometheus', {})], problems: [E('t.yaml#1: spec.connectionDetails', 'url or urlEnv is required')] },
  { name: 'PostgreSQL URL scheme', docs: [dataSource('PostgreSQL', { url: 'mysql://u:secret@h/db' })], problems: [E('t.yaml#1: spec.connectionDetails.url', 'must be a postgres:// or postgresql:// URL')] },
  { name: 'MySQL URL scheme from env', docs: [dataSource('MySQL', { urlEnv: 'MY_URL' })], env: { MY_URL: 'postgres://h/db' }, problems: [E('t.yaml#1: spec.connectionDetails.urlEnv', 'must be a mysql:// URL')] },
  { name: 'Prometheus URL scheme', docs: [dataSource('Prometheus', { url: '127.0.0.1:9090' })], problems: [E('t.yaml#1: spec.connectionDetails.url', 'must be a http:// or https:// URL')] },
  { name: 'Prometheus step', docs: [dataSource('Prometheus', { url: 'http://p', step: '5 minutes' })], problems: [E('t.yaml#1: spec.connectionDetails.step', '"5 minutes" is not a duration such as 30s, 1m or 5m')] },
  {
    name: 'unknown column field',
    docs: [csv('records', { files: ALL_FILES, columns: { tickets: { group: 'assignment_group' } } })],
    problems: [E('t.yaml#1: spec.connectionDetails.columns.tickets.group', 'unknown tickets field "group"; the fields are number, caller, category, subcategory, symptom, assignment_group, state, opened_at, closed_at')],
  },
  { name: 'CSV without files', docs: [csv('records', { files: {} })], problems: [E('t.yaml#1: spec.connectionDetails.files', 'at least one file is required (deploys, outages, tickets, requests)')] },
  { name: 'CSV time zone', docs: [csv('records', { files: ALL_FILES, timeZone: 'CEST' })], problems: [E('t.yaml#1: spec.connectionDetails.timeZone', 'unknown time zone "CEST": use an IANA name such as UTC or Europe/Madrid')] },

  // Documents.
  { name: 'not a mapping', docs: ['hello'], problems: [E('t.yaml#1', 'a document must be a mapping with apiVersion, kind, metadata and spec')] },
  { name: 'other apiVersion', docs: [{ ...csv(), apiVersion: 'openslo/v1alpha' }], problems: [E('t.yaml#1: apiVersion', '"openslo/v1alpha" is not supported; use openslo/v1')] },
  { name: 'unknown kind', docs: [{ ...csv(), kind: 'Dashboard' }], problems: [E('t.yaml#1: kind', 'unknown kind "Dashboard"; one of SLO, SLI, DataSource, AlertPolicy, AlertCondition, AlertNotificationTarget, Service')] },
  { name: 'Service documents are accepted', docs: [{ apiVersion: 'openslo/v1', kind: 'Service', metadata: { name: 'platform' }, spec: { description: 'The platform' } }], problems: [] },
  {
    name: 'AlertCondition and AlertNotificationTarget are ignored',
    docs: [
      { apiVersion: 'openslo/v1', kind: 'AlertCondition', metadata: { name: 'burn' }, spec: { severity: 'page', condition: { kind: 'burnrate', threshold: 2, lookbackWindow: '1h', alertAfter: '5m' } } },
      { apiVersion: 'openslo/v1', kind: 'AlertNotificationTarget', metadata: { name: 'OnCallMail' }, spec: { target: 'email' } },
    ],
    problems: [W('t.yaml#1', 'Vigía does not evaluate AlertCondition documents; "burn" is ignored'), W('t.yaml#2', 'Vigía does not evaluate AlertNotificationTarget documents; "OnCallMail" is ignored')],
  },
  {
    name: 'AlertPolicy references',
    docs: [
      { apiVersion: 'openslo/v1', kind: 'AlertPolicy', metadata: { name: 'page' }, spec: { alertWhenBreaching: true, conditions: [{ conditionRef: 'burn' }], notificationTargets: [{ targetRef: 'mail' }] } },
      slo((d) => (d.spec.alertPolicies = [{ alertPolicyRef: 'page' }, { alertPolicyRef: 'ticket' }])),
      csv(),
    ],
    problems: [
      E('t.yaml#1: spec.conditions[0].conditionRef', 'no AlertCondition named "burn"'),
      E('t.yaml#1: spec.notificationTargets[0].targetRef', 'no AlertNotificationTarget named "mail"'),
      E('t.yaml#2: spec.alertPolicies[1].alertPolicyRef', 'no AlertPolicy named "ticket"'),
    ],
  },
  {
    name: 'AlertPolicy with an unknown field',
    docs: [{ apiVersion: 'openslo/v1', kind: 'AlertPolicy', metadata: { name: 'page' }, spec: { conditions: [{ conditionRef: 'burn', severity: 'x' }], alertWhen: true } }],
    problems: [E('t.yaml#1: spec.alertWhen', 'unknown field "alertWhen"')],
  },
];

for (const c of cases) {
  test(`openslo: ${c.name}`, () => {
    const set = run(c.docs, c.env);
    assert.deepEqual(set.problems, c.problems);
    const errors = c.problems.some((p) => p.severity === 'error');
    const sloDocs = c.docs.filter((d) => (d as Doc)?.kind === 'SLO').length;
    assert.equal(set.slos.length, c.slos ?? (errors ? 0 : sloDocs));
  });
}

// ---------------------------------------------------------------------------------------------
// Valid specs, mapped exactly
// ---------------------------------------------------------------------------------------------

const only = (set: SpecSet): SloDefinition => {
  assert.deepEqual(set.problems, []);
  assert.equal(set.slos.length, 1);
  return set.slos[0]!;
};

test('openslo: threshold SLI, Occurrences, calendar month in Europe/Madrid, statistic', () => {
  const d = only(
    run([
      csv(),
      slo((d) => {
        d.metadata = { name: 'lead-time', displayName: 'Lead time under a day', labels: { team: 'core', tier: ['gold', 'prod'] }, annotations: { 'vigia.dev/statistic': 'p95', 'other.io/x': 'y' } };
        d.spec.description = 'Commit to production';
        d.spec.indicator.spec = thresholdSli('lead_time_hours');
        d.spec.timeWindow = [{ duration: '1M', calendar: { startTime: '2025-01-01', timeZone: 'Europe/Madrid' } }];
        d.spec.objectives = [{ displayName: 'p95 under a day', op: 'lt', value: 24, targetPercent: 95 }];
      }),
    ]),
  );
  assert.deepEqual(d, {
    name: 'lead-time',
    service: 'platform',
    displayName: 'Lead time under a day',
    description: 'Commit to production',
    sli: { kind: 'threshold', event: 'lead_time_hours' },
    budgeting: 'Occurrences',
    objectives: [{ displayName: 'p95 under a day', target: 0.95, op: 'lt', threshold: 24, statistic: 'p95' }],
    window: { duration: { count: 1, unit: 'M' }, isRolling: false, timeZone: 'Europe/Madrid', start: '2025-01-01 00:00:00' },
    dataSource: 'records',
    source: 't.yaml#2',
    labels: { team: 'core', tier: 'gold,prod' },
  } satisfies SloDefinition);
});

test('openslo: requests ratio, Timeslices, rolling 28d, targetPercent 99.9', () => {
  const d = only(
    run([
      csv(),
      slo((d) => {
        d.spec.indicator.spec = ratioSli('requests', { countClientErrors: true }, {});
        d.spec.budgetingMethod = 'Timeslices';
        d.spec.objectives = [{ targetPercent: 99.9, timeSliceTarget: 0.95, timeSliceWindow: '5m' }];
      }),
    ]),
  );
  assert.deepEqual(d, {
    name: 'gap',
    service: 'platform',
    displayName: 'gap',
    description: '',
    sli: { kind: 'requests', countClientErrors: true },
    budgeting: 'Timeslices',
    objectives: [{ displayName: 'gap', target: 0.999, timeSliceTarget: 0.95, timeSliceWindowMs: 300_000 }],
    window: { duration: { count: 28, unit: 'd' }, isRolling: true, timeZone: 'UTC' },
    dataSource: 'records',
    source: 't.yaml#2',
    labels: {},
  } satisfies SloDefinition);
});

test('openslo: availability ratio, RatioTimeslices, slice in minutes, two objectives', () => {
  const d = only(
    run([
      csv(),
      slo((d) => {
        d.metadata.displayName = 'Uptime';
        d.spec.indicator.spec = ratioSli('availability');
        d.spec.budgetingMethod = 'RatioTimeslices';
        d.spec.timeWindow = [{ duration: '1Q', isRolling: false, calendar: { startTime: '2025-01-01 06:30:00', timeZone: 'America/New_York' } }];
        d.spec.objectives = [{ target: 0.99, timeSliceWindow: 60 }, { target: 0.95, timeSliceWindow: '1d' }];
      }),
    ]),
  );
  assert.deepEqual(d.sli, { kind: 'availability', countClientErrors: false });
  assert.equal(d.budgeting, 'RatioTimeslices');
  assert.deepEqual(d.objectives, [
    { displayName: 'Uptime #1', target: 0.99, timeSliceWindowMs: 3_600_000 },
    { displayName: 'Uptime #2', target: 0.95, timeSliceWindowMs: 86_400_000 },
  ]);
  assert.deepEqual(d.window, { duration: { count: 1, unit: 'Q' }, isRolling: false, timeZone: 'America/New_York', start: '2025-01-01 06:30:00' });
});

test('openslo: Prometheus bad/total ratio over a DataSource whose URL comes from env', () => {
  const set = run(
    [
      dataSource('Prometheus', { urlEnv: 'PROM_URL', step: '1m' }, 'prom'),
      slo((d) => {
        d.spec.service = 'turno';
        d.spec.indicator.spec = { ratioMetric: { counter: true, bad: promQuery(BAD_Q), total: promQuery(TOTAL_Q) } };
        d.spec.objectives = [{ target: 0.995 }];
      }),
    ],
    { PROM_URL: 'http://127.0.0.1:9090' },
  );
  assert.deepEqual(set.problems, []);
  assert.deepEqual(set.dataSources, [{ kind: 'prometheus', name: 'prom', url: 'http://127.0.0.1:9090', stepMs: 60_000 }]);
  assert.deepEqual(set.slos[0]!.sli, { kind: 'prometheus-ratio', badQuery: BAD_Q, totalQuery: TOTAL_Q });
  assert.equal(set.slos[0]!.dataSource, 'prom');
});

test('openslo: Prometheus good/total without a DataSource has no dataSource', () => {
  const d = only(
    run([
      slo((d) => {
        d.spec.indicator.spec = { ratioMetric: { counter: true, good: promQuery('sum(increase(ok[{{.window}}]))', { type: 'prometheus' }), total: promQuery(TOTAL_Q, { type: 'Prometheus' }) } };
        d.spec.objectives = [{ target: 0.99 }];
      }),
    ]),
  );
  assert.deepEqual(d.sli, { kind: 'prometheus-ratio', goodQuery: 'sum(increase(ok[{{.window}}]))', totalQuery: TOTAL_Q });
  assert.equal('dataSource' in d, false);
});

test('openslo: raw ratios: failure is the error ratio, success is turned into one', () => {
  const raw = (rawType: string): Doc =>
    slo((d) => {
      d.spec.indicator.spec = { ratioMetric: { rawType, raw: promQuery('avg_over_time(ratio[{{.window}}])', { type: 'Prometheus' }) } };
      d.spec.objectives = [{ target: 0.99 }];
    }, rawType);
  const set = run([raw('failure'), raw('success')]);
  assert.deepEqual(set.problems, []);
  assert.deepEqual(
    set.slos.map((s) => s.sli),
    [
      { kind: 'prometheus-raw', errorRatioQuery: 'avg_over_time(ratio[{{.window}}])' },
      { kind: 'prometheus-raw', errorRatioQuery: '1 - (avg_over_time(ratio[{{.window}}]))' },
    ],
  );
});

test('openslo: indicatorRef to an SLI document defined later; metricSourceRef omitted with one DataSource', () => {
  const set = run([
    slo((d) => {
      delete d.spec.indicator;
      d.spec.indicatorRef = 'tickets';
      d.spec.objectives = [{ op: 'lte', value: 36, target: 0.9 }];
    }),
    { apiVersion: 'openslo/v1', kind: 'SLI', metadata: { name: 'tickets' }, spec: thresholdSli('ticket_resolution_hours', {}) },
    csv('exports'),
  ]);
  assert.deepEqual(set.problems, []);
  assert.deepEqual(set.slos[0]!.sli, { kind: 'threshold', event: 'ticket_resolution_hours' });
  assert.equal(set.slos[0]!.dataSource, 'exports');
  assert.equal(set.slos[0]!.source, 't.yaml#1');
});

test('openslo: DataSources of every type', () => {
  const set = run(
    [
      csv('files', { files: { deploys: 'data/deploys.csv', tickets: '/abs/tickets.csv' }, columns: { tickets: { assignment_group: 'group' } }, timeZone: 'Europe/Madrid' }),
      dataSource('postgresql', { url: 'postgres://vigia@127.0.0.1:5432/sre', tables: { deploys: 'prod_deploys' } }, 'pg'),
      dataSource('MYSQL', { urlEnv: 'MY_URL', columns: { deploys: { deploy_at: 'deployed' } } }, 'my'),
      dataSource('Prometheus', { url: 'https://prom.example:9090' }, 'prom'),
      csv('plain', { files: { outages: 'o.csv' } }),
    ],
    { MY_URL: 'mysql://root@127.0.0.1/sre' },
  );
  assert.deepEqual(set.problems, []);
  assert.deepEqual(set.dataSources, [
    { kind: 'csv', name: 'files', files: { deploys: '/specs/data/deploys.csv', tickets: '/abs/tickets.csv' }, columns: { tickets: { assignment_group: 'group' } }, timeZone: 'Europe/Madrid' },
    { kind: 'postgres', name: 'pg', url: 'postgres://vigia@127.0.0.1:5432/sre', tables: { deploys: 'prod_deploys' }, columns: {} },
    { kind: 'mysql', name: 'my', url: 'mysql://root@127.0.0.1/sre', tables: {}, columns: { deploys: { deploy_at: 'deployed' } } },
    { kind: 'prometheus', name: 'prom', url: 'https://prom.example:9090' },
    { kind: 'csv', name: 'plain', files: { outages: '/specs/o.csv' }, columns: {}, timeZone: 'UTC' },
  ]);
});

test('openslo: a full alerting setup validates with only the not-evaluated warnings', () => {
  const set = run([
    csv(),
    slo((d) => (d.spec.alertPolicies = [{ alertPolicyRef: 'page' }, { kind: 'AlertPolicy', metadata: { name: 'inline' }, spec: { conditions: [{ kind: 'AlertCondition', metadata: { name: 'fast' }, spec: { severity: 'page' } }] } }])),
    { apiVersion: 'openslo/v1', kind: 'AlertPolicy', metadata: { name: 'page' }, spec: { alertWhenBreaching: true, alertWhenResolved: false, alertWhenNoData: true, conditions: [{ conditionRef: 'burn' }], notificationTargets: [{ targetRef: 'mail' }] } },
    { apiVersion: 'openslo/v1', kind: 'AlertCondition', metadata: { name: 'burn' }, spec: { severity: 'page' } },
    { apiVersion: 'openslo/v1', kind: 'AlertNotificationTarget', metadata: { name: 'mail' }, spec: { target: 'email' } },
  ]);
  assert.deepEqual(set.problems, [
    W('t.yaml#4', 'Vigía does not evaluate AlertCondition documents; "burn" is ignored'),
    W('t.yaml#5', 'Vigía does not evaluate AlertNotificationTarget documents; "mail" is ignored'),
  ]);
  assert.equal(set.slos.length, 1);
});

test('percentToRatio has no binary noise', () => {
  assert.equal(percentToRatio(99.9), 0.999);
  assert.equal(percentToRatio(94), 0.94);
  assert.equal(percentToRatio(99.99), 0.9999);
});
