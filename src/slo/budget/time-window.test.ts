import assert from 'node:assert/strict';
import { test } from 'node:test';
import { calendarWindow, calendarWindows, parseWallTime, parseWindowDuration, rollingWindow, zonedInstant } from './time-window.js';

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const at = (s: string): number => Date.parse(s);
const win = (w: { start: number; end: number }): [string, string] => [iso(w.start), iso(w.end)];

test('calendar windows: table (expected instants worked out by hand from the zones\' rules)', () => {
  const cases: Array<{ name: string; at: string; dur: string; origin: string; tz: string; want: [string, string] }> = [
    { name: 'year 2025, UTC', at: '2025-07-01T00:00:00Z', dur: '1Y', origin: '2025-01-01', tz: 'UTC', want: ['2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z'] },
    { name: 'March in Madrid: CET start, CEST end (31 d - 1 h)', at: '2025-03-30T12:00:00Z', dur: '1M', origin: '2025-01-01', tz: 'Europe/Madrid', want: ['2025-02-28T23:00:00Z', '2025-03-31T22:00:00Z'] },
    { name: 'first instant of a window belongs to it', at: '2025-02-28T23:00:00Z', dur: '1M', origin: '2025-01-01', tz: 'Europe/Madrid', want: ['2025-02-28T23:00:00Z', '2025-03-31T22:00:00Z'] },
    { name: 'last ms of February (Madrid) is in February', at: '2025-02-28T22:59:59.999Z', dur: '1M', origin: '2025-01-01', tz: 'Europe/Madrid', want: ['2025-01-31T23:00:00Z', '2025-02-28T23:00:00Z'] },
    { name: 'spring-forward day in Madrid is 23 h', at: '2025-03-30T10:00:00Z', dur: '1d', origin: '2025-01-01', tz: 'Europe/Madrid', want: ['2025-03-29T23:00:00Z', '2025-03-30T22:00:00Z'] },
    { name: 'fall-back day in Madrid is 25 h', at: '2025-10-26T10:00:00Z', dur: '1d', origin: '2025-01-01', tz: 'Europe/Madrid', want: ['2025-10-25T22:00:00Z', '2025-10-26T23:00:00Z'] },
    { name: 'weeks aligned on a Monday', at: '2025-01-15T10:00:00Z', dur: '1w', origin: '2025-01-06', tz: 'UTC', want: ['2025-01-13T00:00:00Z', '2025-01-20T00:00:00Z'] },
    { name: 'OpenSLO example: 1M from 2020-01-01 12:00 New York, across the November DST change', at: '2024-11-03T20:00:00Z', dur: '1M', origin: '2020-01-01 12:00:00', tz: 'America/New_York', want: ['2024-11-01T16:00:00Z', '2024-12-01T17:00:00Z'] },
    { name: 'quarter Q3 2025, Tokyo (UTC+9, no DST)', at: '2025-08-15T00:00:00Z', dur: '1Q', origin: '2025-01-01', tz: 'Asia/Tokyo', want: ['2025-06-30T15:00:00Z', '2025-09-30T15:00:00Z'] },
    { name: 'window before the origin', at: '2019-12-31T23:00:00Z', dur: '1M', origin: '2020-01-01', tz: 'UTC', want: ['2019-12-01T00:00:00Z', '2020-01-01T00:00:00Z'] },
    { name: 'leap day year: February 2024 has 29 days', at: '2024-02-29T12:00:00Z', dur: '1M', origin: '2024-01-01', tz: 'UTC', want: ['2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z'] },
  ];
  for (const c of cases) {
    const w = calendarWindow(at(c.at), parseWindowDuration(c.dur, 'window'), parseWallTime(c.origin, 'startTime'), c.tz);
    assert.deepEqual(win(w), c.want, c.name);
  }
});

test('calendarWindows: the 12 months of 2025 in Madrid tile the year exactly', () => {
  const year = calendarWindow(at('2025-06-01T00:00:00Z'), parseWindowDuration('1Y', 'w'), parseWallTime('2025-01-01', 's'), 'Europe/Madrid');
  const months = calendarWindows(year.start, year.end, parseWindowDuration('1M', 'w'), parseWallTime('2025-01-01', 's'), 'Europe/Madrid');
  assert.equal(months.length, 12);
  assert.equal(months[0]!.start, year.start);
  assert.equal(months[11]!.end, year.end);
  for (let i = 1; i < 12; i++) assert.equal(months[i]!.start, months[i - 1]!.end);
  // Madrid 2025: 365 days, one 23 h and one 25 h day: exactly 365 × 24 h.
  assert.equal(year.end - year.start, 365 * 86_400_000);
});

test('zonedInstant: skipped and repeated wall times', () => {
  // 02:30 does not exist on 2025-03-30 in Madrid (02:00 -> 03:00): the instant after the jump.
  assert.equal(iso(zonedInstant(2025, 3, 30, 2, 30, 0, 'Europe/Madrid')), '2025-03-30T01:30:00Z');
  // 02:30 happens twice on 2025-10-26: the first occurrence (still CEST).
  assert.equal(iso(zonedInstant(2025, 10, 26, 2, 30, 0, 'Europe/Madrid')), '2025-10-26T00:30:00Z');
});

test('rolling windows end at the moment asked', () => {
  const t = at('2025-03-31T10:00:00Z');
  assert.deepEqual(win(rollingWindow(t, parseWindowDuration('28d', 'w'))), ['2025-03-03T10:00:00Z', '2025-03-31T10:00:00Z']);
  assert.deepEqual(win(rollingWindow(t, parseWindowDuration('1h', 'w'))), ['2025-03-31T09:00:00Z', '2025-03-31T10:00:00Z']);
  // One month before March 31 is February 28 (clamped), not March 3.
  assert.deepEqual(win(rollingWindow(t, parseWindowDuration('1M', 'w'))), ['2025-02-28T10:00:00Z', '2025-03-31T10:00:00Z']);
  assert.deepEqual(win(rollingWindow(at('2024-02-29T00:00:00Z'), parseWindowDuration('1Y', 'w'))), ['2023-02-28T00:00:00Z', '2024-02-29T00:00:00Z']);
});

test('bad windows, wall times and zones are refused with the field named', () => {
  for (const bad of ['0d', '1.5M', '30D', 'month', '']) assert.throws(() => parseWindowDuration(bad, 'slo.timeWindow[0].duration'), /slo\.timeWindow\[0\]\.duration/);
  for (const bad of ['2025-13-01', '2025/01/01', '2025-01-01 25:00:00']) assert.throws(() => parseWallTime(bad, 'calendar.startTime'), /calendar\.startTime/);
  assert.throws(() => calendarWindow(0, { count: 1, unit: 'M' }, parseWallTime('2025-01-01', 's'), 'Mars/Olympus'), /unknown time zone/);
});
