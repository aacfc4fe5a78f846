import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHistogram } from './latency.js';
import { backoffDelay, MAX_BACKOFF_MS, moveRunning, newCounters, pollAnswerStep, slotDelay, type PollAnswerStep } from './poll-agents-state.js';

const half = (): number => 0.5;

test('pollAnswerStep: table', () => {
  const base = { held: true, elapsedMs: 55_020, waitSeconds: 55, jitterMs: 1000, failures: 2, random: half };
  const cases: [string, Parameters<typeof pollAnswerStep>[0], PollAnswerStep][] = [
    ['200 ends a failure streak, next poll at once', { ...base, status: 200 }, { outcome: { kind: '200' }, failures: 0, delayMs: 0 }],
    ['held 304 past its wait: the overshoot is the hold cost', { ...base, status: 304 }, { outcome: { kind: '304', overshootMs: 20 }, failures: 0, delayMs: 500 }],
    ['held 304 a little early counts as on time', { ...base, status: 304, elapsedMs: 54_500 }, { outcome: { kind: '304', overshootMs: 0 }, failures: 0, delayMs: 500 }],
    ['held 304 well before the wait: woken, nothing new', { ...base, status: 304, elapsedMs: 3000 }, { outcome: { kind: 'early304' }, failures: 0, delayMs: 500 }],
    ['short-poll 304: no hold to measure', { ...base, status: 304, held: false, elapsedMs: 3 }, { outcome: { kind: '304', overshootMs: undefined }, failures: 0, delayMs: 500 }],
    ['429 with Retry-After waits for it', { ...base, status: 429, retryAfter: '7' }, { outcome: { kind: 'error', key: '429' }, failures: 3, delayMs: 7000 }],
    ['503 without Retry-After backs off', { ...base, status: 503 }, { outcome: { kind: 'error', key: '503' }, failures: 3, delayMs: 2000 }],
    ['a junk Retry-After backs off', { ...base, status: 503, retryAfter: 'soon' }, { outcome: { kind: 'error', key: '503' }, failures: 3, delayMs: 2000 }],
    ['no answer', { ...base, status: undefined, error: 'network' }, { outcome: { kind: 'error', key: 'network' }, failures: 3, delayMs: 2000 }],
    ['an unreadable 200', { ...base, status: undefined, error: 'bad_answer', failures: 0 }, { outcome: { kind: 'error', key: 'bad_answer' }, failures: 1, delayMs: 500 }],
  ];
  for (const [name, input, want] of cases) assert.deepEqual(pollAnswerStep(input), want, name);
});

test('backoffDelay doubles up to its cap', () => {
  const one = (): number => 1;
  assert.deepEqual([1, 2, 3, 6, 7, 20].map((f) => backoffDelay(f, one)), [1000, 2000, 4000, 30_000, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
  assert.equal(backoffDelay(3, () => 0), 0, 'full jitter');
});

test('slotDelay: interval mode waits for the host slot, otherwise the delay stands', () => {
  const cases: [string, number, Parameters<typeof slotDelay>[1], number][] = [
    ['no interval', 123, { t0: 0, offsetMs: 0, k: 1, intervalMs: 0, now: 0 }, 123],
    ['answered early: wait for slot 2', 0, { t0: 1000, offsetMs: 250, k: 2, intervalMs: 10_000, now: 1300 }, 19_950],
    ['late: no wait', 0, { t0: 0, offsetMs: 0, k: 1, intervalMs: 10_000, now: 12_000 }, 0],
    ['a longer backoff wins', 30_000, { t0: 0, offsetMs: 0, k: 1, intervalMs: 10_000, now: 0 }, 30_000],
  ];
  for (const [name, delay, a, want] of cases) assert.equal(slotDelay(delay, a), want, name);
});

test('moveRunning: a host leaves its release for the new one', () => {
  const start = new Map<number, number>();
  const a = moveRunning(start, 0, 1);
  const b = moveRunning(moveRunning(a, 0, 1), 1, 2);
  assert.deepEqual(Object.fromEntries(b), { 1: 1, 2: 1 });
  assert.equal(start.size, 0, 'the counts given are not changed');
});

test('newCounters and LatencyHistogram', () => {
  const c = newCounters();
  assert.deepEqual(c, { polls: 0, status200: 0, status304: 0, early304: 0, errors: {}, downloads: 0, downloadBytes: 0, installed: 0, refused: 0, reports: 0, tasksAnswered: 0 });
  assert.notEqual(newCounters().errors, c.errors);
  const h = new LatencyHistogram();
  assert.deepEqual(h.summary(), { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
  for (let i = 1; i <= 100; i++) h.add(i);
  const s = h.summary();
  assert.equal(s.count, 100);
  assert.equal(s.max, 100);
  assert.ok(Math.abs(s.p50 - 50) <= 0.5 && Math.abs(s.p90 - 90) <= 0.9, JSON.stringify(s));
  assert.ok(s.p999 <= s.max);
});
