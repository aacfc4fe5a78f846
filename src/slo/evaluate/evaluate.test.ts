import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeployRow, ObjectiveSpec, RequestSeries, SloDefinition, TicketRow } from '../model.js';
import { evaluateSlo, periodMonths, type ReportPeriod } from './evaluate.js';

const H = 3_600_000;
const MIN = 60_000;
const T = (iso: string): number => Date.parse(iso);
const JAN: ReportPeriod = { from: T('2025-01-01T00:00:00Z'), to: T('2025-02-01T00:00:00Z'), label: '2025-01', timeZone: 'UTC' };
/**
 * Records showing the source reached all of January (an outage log alone cannot: coverage is the
 * span a source's records cover, see coverage.ts). Open tickets: no SLI here reads them.
 */
const openTicket = (n: string, at: number): TicketRow => ({ number: n, caller: 'c', category: 'x', subcategory: 'x', symptom: 'x', assignmentGroup: 'g', state: 'new', openedAt: at, closedAt: null });
const WHOLE_JAN = { tickets: [openTicket('first', T('2024-12-31T00:00:00Z')), openTicket('last', T('2025-02-01T00:00:00Z'))] };
const close = (a: number | null, b: number, what: string): void => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

function slo(sli: SloDefinition['sli'], objective: Partial<ObjectiveSpec> & { target: number }, budgeting: SloDefinition['budgeting'] = 'Occurrences'): SloDefinition {
  return {
    name: 'x', service: 'svc', displayName: 'X', description: '', sli, budgeting,
    objectives: [{ displayName: 'o', ...objective }],
    window: { duration: { count: 1, unit: 'M' }, isRolling: false, timeZone: 'UTC', start: '2025-01-01 00:00:00' },
    source: 'test', labels: {},
  };
}

test('availability: overlaps merged, 4xx ignored, an open outage runs to the end; budget in minutes', () => {
  const outages = [
    { down: T('2025-01-02T00:00:00Z'), up: T('2025-01-02T02:00:00Z'), code: '503' },
    { down: T('2025-01-02T01:00:00Z'), up: T('2025-01-02T03:00:00Z'), code: '503' }, // overlaps: union 3 h
    { down: T('2025-01-10T00:00:00Z'), up: T('2025-01-10T01:00:00Z'), code: '404' }, // not counted
    { down: T('2025-01-31T23:00:00Z'), up: null, code: 'TIMEOUT' }, // open: 60 min to the end of January
  ];
  const [r] = evaluateSlo(slo({ kind: 'availability', countClientErrors: false }, { target: 0.99 }), { outages, ...WHOLE_JAN }, JAN);
  // 31 days = 44,640 min; down 180 + 60 = 240 min.
  close(r!.value, 1 - 240 / 44_640, 'availability');
  assert.equal(r!.met, true);
  close(r!.margin, 1 - 240 / 44_640 - 0.99, 'margin');
  assert.equal(r!.natural.unit, 'minutes of downtime');
  close(r!.natural.allowed, 446.4, 'allowed minutes');
  close(r!.natural.consumed, 240, 'consumed minutes');
  close(r!.natural.remaining, 206.4, 'remaining minutes');
  close(r!.budget.burnRate, 240 / 44_640 / 0.01, 'burn rate');
  assert.equal(r!.pending, 1);
  assert.equal(r!.exhaustedAt, null);
  assert.equal(r!.budgetOverTime.length, 31);
  close(r!.budgetOverTime[1]!.remainingRatio, 1 - 180 / 446.4, 'after Jan 2');
  // Drivers: 503 holds 3 of 4 hours; without it, 60 min down.
  assert.equal(r!.drivers[0]!.value, '503');
  close(r!.drivers[0]!.badShare, 0.75, '503 share');
  close(r!.drivers[0]!.whatIf, 1 - 60 / 44_640, 'what-if without 503');
  assert.ok(r!.notes.some((n) => n.includes('without an "up" time')));
});

test('availability counting 4xx: the 404 hour is downtime too', () => {
  const outages = [{ down: T('2025-01-10T00:00:00Z'), up: T('2025-01-10T01:00:00Z'), code: '404' }];
  const [r] = evaluateSlo(slo({ kind: 'availability', countClientErrors: true }, { target: 0.99 }), { outages }, JAN);
  close(r!.natural.consumed, 60, '404 minutes');
});

const ticket = (n: number, group: string, hours: number | null, opened = T('2025-01-05T00:00:00Z')): TicketRow => ({
  number: `INC${n}`, caller: 'c', category: group === 'net' ? 'Network' : 'Software', subcategory: 's', symptom: 'y', assignmentGroup: group,
  state: hours === null ? 'new' : 'closed', openedAt: opened, closedAt: hours === null ? null : opened + hours * H,
});

test('ticket resolution judged by its mean: not met, margin in hours, value budget, open tickets counted apart', () => {
  const tickets = [ticket(1, 'app', 10), ticket(2, 'app', 20), ticket(3, 'net', 90), ticket(4, 'app', null), ticket(1, 'app', 10)];
  const def = slo({ kind: 'threshold', event: 'ticket_resolution_hours' }, { target: 0.9, op: 'lte', threshold: 36, statistic: 'mean' });
  const [r] = evaluateSlo(def, { tickets }, JAN);
  assert.equal(r!.statistic, 'mean');
  assert.equal(r!.unit, 'h');
  close(r!.value, 40, 'mean of 10, 20, 90');
  assert.equal(r!.met, false);
  close(r!.margin, -4, 'margin');
  assert.equal(r!.objectiveLabel, 'mean ≤ 36 h');
  close(r!.compliance, 2 / 3, 'share within 36 h');
  close(r!.natural.allowed, 0.3, 'tickets over 36 h allowed');
  assert.equal(r!.natural.consumed, 1);
  assert.equal(r!.natural.unit, 'tickets > 36 h');
  assert.deepEqual(r!.valueBudget, { unit: 'hours', allowed: 108, consumed: 120, remaining: -12 });
  // The verdict follows the mean, so the headline budget is the hours: 120 spent of 108.
  assert.equal(r!.budgetBasis, 'values');
  close(r!.budgetLeft, -12 / 108, 'budget left');
  close(r!.burnRate, 120 / 108, 'burn rate');
  assert.equal(r!.eventNoun, 'tickets');
  close(r!.monthly[0]!.budgetShare, 120 / 108, 'January spent it all');
  assert.equal(r!.pending, 1);
  assert.equal(r!.events, 3);
  assert.ok(r!.notes.some((n) => n.includes('1 duplicated row')));
  assert.ok(r!.notes.some((n) => n.includes('1 ticket(s) still open')));
});

test('drivers name the group holding the bad events, with the figure had it performed like the rest', () => {
  const tickets: TicketRow[] = [];
  for (let i = 0; i < 20; i++) tickets.push(ticket(i, 'app', 10 + (i % 5)));
  for (let i = 20; i < 26; i++) tickets.push(ticket(i, 'net', 100));
  tickets.push(ticket(99, 'app', 50));
  const def = slo({ kind: 'threshold', event: 'ticket_resolution_hours' }, { target: 0.9, op: 'lte', threshold: 36, statistic: 'mean' });
  const [r] = evaluateSlo(def, { tickets }, JAN);
  const d = r!.drivers.find((x) => x.dimension === 'assignment group');
  assert.ok(d, JSON.stringify(r!.drivers));
  assert.equal(d.value, 'net');
  assert.equal(d.events, 6);
  close(d.badShare, 6 / 7, 'net holds 6 of the 7 tickets over 36 h');
  close(d.statistic, 100, 'net mean');
  // The rest: twenty of 10..14 (mean 12) and one of 50 -> (240 + 50) / 21.
  close(d.whatIf, 290 / 21, 'mean without net');
  assert.equal(d.whatIfMet, true);
  // The category says the same thing (Network = net): both are listed, the app group is not.
  assert.ok(!r!.drivers.some((x) => x.value === 'app'));
});

const deploy = (id: string, feature: string, status: 'success' | 'failure', at: number): DeployRow => ({
  id, team: feature === 'b' ? 'payments' : 'search', area: 'core', feature, status, commitAt: at - 2 * H, deployAt: at,
});

test('deploy gaps and failures per deploy from one pipeline table', () => {
  const t0 = T('2025-01-06T09:00:00Z');
  const deploys = [
    deploy('1', 'a', 'failure', t0 - H),
    deploy('2', 'a', 'failure', t0 - 0.5 * H),
    deploy('3', 'a', 'success', t0),
    deploy('4', 'a', 'failure', t0 + H),
    deploy('5', 'a', 'success', t0 + 2 * H),
    deploy('6', 'b', 'success', t0 + 6 * H),
    deploy('7', 'b', 'failure', t0 + 7 * H), // after b's last success: pending
    deploy('5', 'a', 'success', t0 + 2 * H), // duplicate row
  ];
  const gaps = evaluateSlo(slo({ kind: 'threshold', event: 'deploy_gap_hours' }, { target: 0.5, op: 'lte', threshold: 3.5, statistic: 'mean' }), { deploys }, JAN)[0]!;
  // Successful deploys at t0, t0+2h, t0+6h: gaps 2 and 4 h.
  close(gaps.value, 3, 'mean gap');
  assert.equal(gaps.met, true);
  close(gaps.margin, 0.5, 'margin');
  close(gaps.compliance, 0.5, 'one of two gaps within 3.5 h');
  const fails = evaluateSlo(slo({ kind: 'threshold', event: 'failures_per_deploy' }, { target: 0.9, op: 'lte', threshold: 1, statistic: 'mean' }), { deploys }, JAN)[0]!;
  // a: 2 failures before deploy 3, 1 before deploy 5; b: 0 before deploy 6.
  close(fails.value, 1, 'mean failures per deploy');
  assert.equal(fails.met, true);
  assert.equal(fails.events, 3);
  assert.equal(fails.pending, 1);
  assert.equal(fails.unit, 'failures');
  // Without a statistic, the objective is the share of good events against the target.
  const share = evaluateSlo(slo({ kind: 'threshold', event: 'failures_per_deploy' }, { target: 0.9, op: 'lte', threshold: 1 }), { deploys }, JAN)[0]!;
  assert.equal(share.statistic, 'ratio');
  close(share.value, 2 / 3, 'share of deploys after at most one failure');
  assert.equal(share.met, false);
  assert.equal(share.objectiveLabel, '90 % of deploys ≤ 1 failures');
});

test('no data is a state: null value, verdict and margin, never NaN', () => {
  for (const sli of [{ kind: 'threshold', event: 'ticket_resolution_hours' }, { kind: 'requests', countClientErrors: false }] as const) {
    const [r] = evaluateSlo(slo(sli, { target: 0.9, op: 'lte', threshold: 36, statistic: sli.kind === 'threshold' ? 'mean' : undefined }), {}, JAN);
    assert.equal(r!.state, 'no_data', sli.kind);
    assert.equal(r!.value, null);
    assert.equal(r!.met, null);
    assert.equal(r!.margin, null);
    assert.ok(!JSON.stringify(r).includes('NaN'));
    assert.ok(r!.monthly.every((m) => m.value === null && m.met === null));
  }
});

function series(startMs: number, minutes: number, fill: (i: number) => [number, number, number]): RequestSeries {
  const total = new Float64Array(minutes);
  const serverErrors = new Float64Array(minutes);
  const clientErrors = new Float64Array(minutes);
  for (let i = 0; i < minutes; i++) [total[i], serverErrors[i], clientErrors[i]] = fill(i);
  return { startMs, bucketMs: MIN, total, serverErrors, clientErrors, badByCodeMonth: new Map([['2025-01', new Map([['503', 10], ['404', 50]])]]), rows: 0 };
}

test('requests: numerators and denominators summed (never averaged ratios); timeslices count bad minutes', () => {
  // Minute 0: 1,000 requests, 10 5xx; minute 1: 10 requests, 5 5xx (50 %); others: 100 requests, none bad; 4xx everywhere.
  const r = series(JAN.from, 44_640, (i) => (i === 0 ? [1000, 10, 5] : i === 1 ? [10, 5, 5] : [100, 0, 1]));
  const total = 1000 + 10 + 100 * 44_638;
  const occ = evaluateSlo(slo({ kind: 'requests', countClientErrors: false }, { target: 0.999 }), { requests: r }, JAN)[0]!;
  close(occ.value, 1 - 15 / total, 'summed ratio');
  close(occ.natural.consumed, 15, 'failed requests');
  const with4xx = evaluateSlo(slo({ kind: 'requests', countClientErrors: true }, { target: 0.999 }), { requests: r }, JAN)[0]!;
  close(with4xx.natural.consumed, 15 + 10 + 44_638, '4xx counted');
  // Timeslices of 1 min, slice good at >= 99 %: minutes 0 (99.0 %) good, 1 (50 %) bad -> 1 bad slice of 44,640.
  const ts = evaluateSlo(slo({ kind: 'requests', countClientErrors: false }, { target: 0.999, timeSliceTarget: 0.99, timeSliceWindowMs: MIN }, 'Timeslices'), { requests: r }, JAN)[0]!;
  close(ts.value, 1 - 1 / 44_640, 'good slices');
  assert.equal(ts.budget.unit, 'slices');
  // Drivers: only 5xx when 4xx do not count.
  assert.deepEqual(occ.drivers.map((d) => d.value), ['503']);
});

test('months of a period in its time zone; the monthly table adds up to the period', () => {
  const p: ReportPeriod = { from: T('2024-12-31T23:00:00Z'), to: T('2025-03-31T22:00:00Z'), label: 'Q1', timeZone: 'Europe/Madrid' };
  const months = periodMonths(p);
  assert.deepEqual(months.map((m) => [new Date(m.start).toISOString(), new Date(m.end).toISOString()]), [
    ['2024-12-31T23:00:00.000Z', '2025-01-31T23:00:00.000Z'],
    ['2025-01-31T23:00:00.000Z', '2025-02-28T23:00:00.000Z'],
    ['2025-02-28T23:00:00.000Z', '2025-03-31T22:00:00.000Z'],
  ]);
  const outages = [{ down: T('2025-02-01T00:00:00Z'), up: T('2025-02-01T01:00:00Z'), code: '503' }];
  const [r] = evaluateSlo(slo({ kind: 'availability', countClientErrors: false }, { target: 0.99 }), { outages }, p);
  assert.deepEqual(r!.monthly.map((m) => m.month), ['2025-01', '2025-02', '2025-03']);
  assert.deepEqual(r!.monthly.map((m) => m.bad), [0, 60, 0]);
  close(r!.monthly.reduce((a, m) => a + m.events, 0), r!.events, 'months add up');
});

test('objectives judged by p90 or with op gte have no budget that contradicts the verdict; lt reads right', () => {
  const tickets: TicketRow[] = [];
  for (let i = 0; i < 10; i++) tickets.push(ticket(i, i < 8 ? 'app' : 'net', (i + 1) * 10)); // 10, 20, ..., 100 h
  const p90 = evaluateSlo(slo({ kind: 'threshold', event: 'ticket_resolution_hours' }, { target: 0.95, op: 'lte', threshold: 100, statistic: 'p90' }), { tickets }, JAN)[0]!;
  close(p90.value, 91, 'p90 of 10..100 (linear interpolation)');
  assert.equal(p90.met, true);
  close(p90.margin, 9, 'margin');
  assert.equal(p90.budgetBasis, 'none');
  assert.equal(p90.budgetLeft, null);
  assert.equal(p90.burnRate, null);
  assert.equal(p90.exhaustedOn, null);
  assert.deepEqual(p90.budgetOverTime, []);
  assert.ok(p90.monthly.every((m) => m.budgetShare === null));
  // Without a statistic: the share of good events against the target, and the what-if judged against it too.
  const share = evaluateSlo(slo({ kind: 'threshold', event: 'ticket_resolution_hours' }, { target: 0.9, op: 'lt', threshold: 36 }), { tickets }, JAN)[0]!;
  close(share.value, 0.3, 'three of ten under 36 h');
  assert.equal(share.natural.unit, 'tickets ≥ 36 h');
  assert.equal(share.thresholdLabel, '< 36 h');
  // The what-if of a share objective is judged against the target: half of the rest over 36 h is not "met".
  const mixed: TicketRow[] = [];
  for (let i = 0; i < 20; i++) mixed.push(ticket(i, 'app', i % 2 === 0 ? 10 : 50));
  for (let i = 20; i < 30; i++) mixed.push(ticket(i, 'net', 50));
  const m = evaluateSlo(slo({ kind: 'threshold', event: 'ticket_resolution_hours' }, { target: 0.9, op: 'lt', threshold: 36 }), { tickets: mixed }, JAN)[0]!;
  const net = m.drivers.find((d) => d.dimension === 'assignment group');
  assert.equal(net?.value, 'net');
  close(net!.whatIf, 0.5, 'the app tickets alone: half within 36 h');
  assert.equal(net!.whatIfMet, false);
});

test('the exhaustion day is the day the spend passed the budget, in the period\'s zone', () => {
  // 99 % of January: 446.4 min allowed. 300 min down on Jan 10 (UTC), 200 on Jan 20 from 23:30 UTC.
  const outages = [
    { down: T('2025-01-10T00:00:00Z'), up: T('2025-01-10T05:00:00Z'), code: '503' },
    { down: T('2025-01-20T23:30:00Z'), up: T('2025-01-21T02:50:00Z'), code: '503' },
  ];
  const utc = evaluateSlo(slo({ kind: 'availability', countClientErrors: false }, { target: 0.99 }), { outages, ...WHOLE_JAN }, JAN)[0]!;
  // By the end of Jan 20 (UTC): 300 + 30 = 330 < 446.4; Jan 21 adds 170 -> 500: ran out on Jan 21.
  assert.equal(utc.exhaustedOn, '2025-01-21');
  assert.equal(new Date(utc.exhaustedAt!).toISOString(), '2025-01-21T00:00:00.000Z');
  // In Madrid (UTC+1) the 23:30 UTC start is already Jan 21 local: 300 + 200 by the end of Jan 21 local.
  const madrid: ReportPeriod = { from: T('2024-12-31T23:00:00Z'), to: T('2025-01-31T23:00:00Z'), label: '2025-01', timeZone: 'Europe/Madrid' };
  const m = evaluateSlo(slo({ kind: 'availability', countClientErrors: false }, { target: 0.99 }), { outages, ...WHOLE_JAN }, madrid)[0]!;
  assert.equal(m.exhaustedOn, '2025-01-21');
  assert.equal(new Date(m.exhaustedAt!).toISOString(), '2025-01-20T23:00:00.000Z');
  assert.equal(m.budgetOverTime.length, 31);
});

test('availability with no outage log, or a log that ends before the period, is no data, not 100 %', () => {
  const def = slo({ kind: 'availability', countClientErrors: false }, { target: 0.99 });
  const none = evaluateSlo(def, {}, JAN)[0]!;
  assert.equal(none.state, 'no_data');
  assert.equal(none.value, null);
  const old = evaluateSlo(def, { outages: [{ down: T('2024-03-01T00:00:00Z'), up: T('2024-03-01T01:00:00Z'), code: '503' }] }, JAN)[0]!;
  assert.equal(old.state, 'no_data');
  assert.equal(old.met, null);
  assert.equal(old.coverage, 0);
  assert.ok(old.notes.some((n) => n.includes('no outage record in or around the period')));
});

test('time slices: budget, natural units, months and the curve all count slices', () => {
  // 1-hour slices of January (744); a slice is bad below 99 % up. Outages: 30 min on Jan 2 (one bad
  // slice), 3 h on Jan 5 (three bad slices).
  const outages = [
    { down: T('2025-01-02T10:00:00Z'), up: T('2025-01-02T10:30:00Z'), code: '503' },
    { down: T('2025-01-05T00:00:00Z'), up: T('2025-01-05T03:00:00Z'), code: '503' },
  ];
  const def = slo({ kind: 'availability', countClientErrors: false }, { target: 0.99, timeSliceTarget: 0.99, timeSliceWindowMs: H }, 'Timeslices');
  const r = evaluateSlo(def, { outages, ...WHOLE_JAN }, JAN)[0]!;
  close(r.value, 1 - 4 / 744, 'good slices');
  assert.equal(r.budget.unit, 'slices');
  close(r.natural.allowed, 0.01 * 744 * 60, 'minutes of bad slices allowed');
  close(r.natural.consumed, 4 * 60, 'four bad hours');
  close(r.budgetLeft, 1 - 4 / 7.44, 'left');
  close(r.monthly[0]!.value, 1 - 4 / 744, 'the month in slices');
  close(r.monthly[0]!.budgetShare, 4 / 7.44, 'month share in slices');
  close(r.budgetOverTime.at(-1)!.remainingRatio, 1 - 4 / 7.44, 'the curve ends where the budget does');
  assert.match(r.objectiveLabel, /of 60-minute slices \(a slice is good at ≥ 99 %\)/);
});
