import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../../core/errors.js';
import type { FleetRunRow, RunHostRow, RunHostState, TargetHost } from '../store/fleet-store.js';
import {
  CANCELLED_RESULT, countsOfRows, finalRunState, hostUpdate, planLimits, RESULT_PAGE, resultLine, resultsOfRows, resumePlan, runIdOfTask, runView,
  selectTargets, taskFor, timedOutResult, type RunRequest,
} from './run-state.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(T0 + ms);

const RUN: FleetRunRow = {
  id: 12, action: 'probe', params: { label: 'x' }, selector: { role: 'db' }, concurrency: 2, maxErrors: 1, rampUp: false, timeoutMs: 30_000,
  state: 'running', targets: 3, createdBy: 'ops', createdAt: at(0), finishedAt: null,
};

function row(hostId: number, state: RunHostState, over: Partial<RunHostRow> = {}): RunHostRow {
  return { hostId, host: `h${hostId}`, seq: hostId, state, startedAt: null, finishedAt: null, exitCode: null, durationMs: null, output: '', ...over };
}

const HOSTS: TargetHost[] = [
  { id: 1, name: 'db-1', tags: { role: 'db' }, reportedTags: {}, lastSeen: null },
  { id: 2, name: 'db-2', tags: { role: 'db' }, reportedTags: {}, lastSeen: null },
  { id: 3, name: 'web-1', tags: { role: 'web' }, reportedTags: {}, lastSeen: null },
];
const req = (over: Partial<RunRequest> = {}): RunRequest => ({ where: {}, all: false, concurrency: '10', max_errors: '0', ...over });

test('selectTargets: table', () => {
  const cases: [string, RunRequest, string[] | string][] = [
    ['a tag', req({ where: { role: 'db' } }), ['db-1', 'db-2']],
    ['--all', req({ all: true }), ['db-1', 'db-2', 'web-1']],
    ['nothing said', req(), 'VIGIA_ERR_BAD_REQUEST'],
    ['no match', req({ where: { role: 'cache' } }), 'CONTROL_ERR_NO_TARGETS'],
  ];
  for (const [name, r, want] of cases) {
    if (typeof want === 'string') assert.throws(() => selectTargets(HOSTS, r), (e: unknown) => isVigiaError(e, want as never), name);
    else assert.deepEqual(selectTargets(HOSTS, r).map((h) => h.name), want, name);
  }
});

test('planLimits: limits resolved against the targets; the stored selector', () => {
  const cases: [string, RunRequest, number, { concurrency: number; maxErrors: number; selector: Record<string, unknown> }][] = [
    ['counts', req({ where: { role: 'db' }, concurrency: '5', max_errors: '2' }), 50, { concurrency: 5, maxErrors: 2, selector: { role: 'db' } }],
    ['percentages', req({ all: true, concurrency: '10%', max_errors: '10%' }), 50, { concurrency: 5, maxErrors: 5, selector: { all: true } }],
    ['a tiny percentage still runs one host at a time', req({ all: true, concurrency: '1%', max_errors: '1%' }), 10, { concurrency: 1, maxErrors: 0, selector: { all: true } }],
    ['--all with where stores where', req({ all: true, where: { role: 'db' } }), 2, { concurrency: 10, maxErrors: 0, selector: { role: 'db' } }],
  ];
  for (const [name, r, n, want] of cases) assert.deepEqual(planLimits(r, n), want, name);
});

test('taskFor and runIdOfTask', () => {
  const t = taskFor(RUN, 7);
  assert.deepEqual(t, { id: '12-7', run_id: 12, action: 'probe', params: { label: 'x' }, timeout_ms: 30_000 });
  assert.notEqual(t.params, RUN.params, 'the task carries its own copy of the params');
  assert.equal(runIdOfTask(t.id), 12);
  assert.ok(Number.isNaN(runIdOfTask('nope')));
});

test('hostUpdate and resultLine: table', () => {
  const cases: [string, ReturnType<typeof hostUpdate>, Partial<ReturnType<typeof hostUpdate>>][] = [
    ['in flight: no end yet', hostUpdate(1, 'in_flight', at(0), T0 + 500), { finishedAt: null, durationMs: null, exitCode: null, output: '' }],
    ['succeeded with the agent duration', hostUpdate(1, 'succeeded', at(0), T0 + 500, { status: 'succeeded', exit_code: 0, duration_ms: 42, output: 'ok' }), { finishedAt: at(500), durationMs: 42, exitCode: 0, output: 'ok' }],
    ['no duration from the agent: measured', hostUpdate(1, 'not_dispatched', at(100), T0 + 600), { finishedAt: at(600), durationMs: 500 }],
    ['never started: no duration', hostUpdate(1, 'not_dispatched', null, T0 + 600), { durationMs: null }],
    ['timed out', hostUpdate(1, 'timed_out', at(0), T0 + 30_000, timedOutResult(30_000)), { durationMs: 30_000, output: 'no result within 30 s' }],
    ['cancelled', hostUpdate(1, 'rejected', at(0), T0 + 1, CANCELLED_RESULT), { durationMs: 0, output: 'cancelled before the host picked it up' }],
  ];
  for (const [name, u, want] of cases) for (const [k, v] of Object.entries(want)) assert.deepEqual(u[k as keyof typeof u], v, `${name}: ${k}`);
  const u = hostUpdate(3, 'failed', at(0), T0 + 9, { status: 'failed', exit_code: 2, duration_ms: 9, output: 'boom' });
  assert.deepEqual(resultLine(4, 'db-3', u), { seq: 4, host: 'db-3', state: 'failed', exit_code: 2, duration_ms: 9, output: 'boom' });
});

test('finalRunState', () => {
  assert.deepEqual((['running', 'stopping', 'succeeded', 'failed', 'cancelled'] as const).map(finalRunState), ['failed', 'failed', 'succeeded', 'failed', 'cancelled']);
});

test('resumePlan: in-flight hosts are interrupted and never run again; pending ones wait', () => {
  const rows = [row(1, 'succeeded'), row(2, 'failed'), row(3, 'in_flight', { startedAt: at(5) }), row(4, 'interrupted'), row(5, 'pending'), row(6, 'rejected')];
  const plan = resumePlan(rows, T0 + 1000);
  assert.deepEqual(Object.fromEntries(plan.done), { 1: 'succeeded', 2: 'failed', 3: 'timed_out', 4: 'timed_out', 6: 'rejected' });
  assert.equal(plan.interrupted, 2);
  assert.deepEqual(plan.updates, [{ hostId: 3, state: 'interrupted', startedAt: at(5), finishedAt: at(1000), exitCode: null, durationMs: null, output: 'the control plane restarted while this host was running the action; it was not run again' }]);
});

test('countsOfRows: every state lands in one tally', () => {
  const states: RunHostState[] = ['pending', 'in_flight', 'succeeded', 'succeeded', 'failed', 'timed_out', 'interrupted', 'rejected', 'not_dispatched'];
  assert.deepEqual(countsOfRows(states.map((s, i) => row(i, s)), 3), {
    targets: 9, pending: 1, inFlight: 1, succeeded: 2, failed: 1, timedOut: 2, rejected: 1, notDispatched: 1, errors: 4, maxErrors: 3,
  });
});

test('resultsOfRows: finished hosts in finishing order, paged; done once all read and the run ended', () => {
  const rows = [row(1, 'succeeded', { finishedAt: at(30), seq: 1 }), row(2, 'pending'), row(3, 'failed', { finishedAt: at(10), seq: 3 }), row(4, 'rejected', { finishedAt: at(30), seq: 0 })];
  const r = resultsOfRows(RUN, rows, 0);
  assert.deepEqual(r.results.map((l) => [l.seq, l.host]), [[1, 'h3'], [2, 'h4'], [3, 'h1']]);
  assert.equal(r.next, 3);
  assert.equal(r.done, false, 'the run is still running');
  assert.equal(resultsOfRows({ ...RUN, state: 'failed' }, rows, 1).done, true);
  const many = Array.from({ length: RESULT_PAGE + 5 }, (_, i) => row(i, 'succeeded', { finishedAt: at(i) }));
  const first = resultsOfRows({ ...RUN, state: 'succeeded' }, many, 0);
  assert.deepEqual([first.results.length, first.next, first.done], [RESULT_PAGE, RESULT_PAGE, false]);
  const second = resultsOfRows({ ...RUN, state: 'succeeded' }, many, first.next);
  assert.deepEqual([second.results.length, second.next, second.done], [5, RESULT_PAGE + 5, true]);
});

test('runView', () => {
  const c = countsOfRows([row(1, 'succeeded')], 1);
  assert.deepEqual(runView({ ...RUN, finishedAt: at(60_000) }, c), {
    id: 12, action: 'probe', params: { label: 'x' }, selector: { role: 'db' }, state: 'running', concurrency: 2, max_errors: 1, counts: c,
    created_by: 'ops', created_at: '2026-01-01T00:00:00.000Z', finished_at: '2026-01-01T00:01:00.000Z',
  });
});
