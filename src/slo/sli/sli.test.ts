/** SLI building blocks; expected values worked out by hand. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availability } from './intervals.js';
import { quantileSorted, summarize } from './stats.js';

const H = 3_600_000;

test('availability: overlaps merged, clipped to the window, 4xx by choice, open outages to the end', () => {
  const window = { start: 0, end: 100 * H };
  const outages = [
    { down: 10 * H, up: 12 * H, code: '503' },
    { down: 11 * H, up: 13 * H, code: '502' }, // overlaps the first: union 10-13 = 3 h
    { down: 13 * H, up: 14 * H, code: '503' }, // touches: merged, 10-14 = 4 h
    { down: -5 * H, up: 1 * H, code: '500' }, // clipped to 0-1 = 1 h
    { down: 50 * H, up: 52 * H, code: '404' }, // client error: 2 h only when counted
    { down: 99 * H, up: null, code: 'TIMEOUT' }, // still open: 1 h to the window's end
    { down: 120 * H, up: 121 * H, code: '503' }, // outside
  ];
  const a = availability(outages, window, { countClientErrors: false });
  assert.equal(a.downtimeMs, 6 * H);
  assert.equal(a.availability, 0.94);
  assert.deepEqual([a.outages, a.records, a.ignoredClientErrors, a.openOutages], [3, 6, 1, 1]);
  assert.equal(a.downtimeByCode.get('503'), 3 * H, '10-12 and 13-14, merged per code');
  const with4xx = availability(outages, window, { countClientErrors: true });
  assert.equal(with4xx.downtimeMs, 8 * H);
  assert.equal(with4xx.availability, 0.92);
  assert.equal(availability([], { start: 5, end: 5 }, { countClientErrors: false }).availability, null, 'empty window: no data');
});

test('summarize: mean, median, p90 by linear interpolation; empty is null', () => {
  const s = summarize([10, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(s.mean, 5.5);
  assert.equal(s.median, 5.5);
  assert.equal(s.p90, 9.1); // position 0.9 × 9 = 8.1: 9 + 0.1 × (10 - 9)
  assert.deepEqual([s.min, s.max, s.count], [1, 10, 10]);
  assert.equal(quantileSorted([4], 0.9), 4);
  const e = summarize([]);
  assert.deepEqual([e.count, e.mean, e.median, e.p90], [0, null, null, null]);
});
