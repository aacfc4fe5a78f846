import assert from 'node:assert/strict';
import { test } from 'node:test';
import { minuteSeries, parseLogsView, parseUtcMinute } from './logs-view.js';

const NOW = Date.parse('2026-12-01T07:00:30Z');
const H = 3_600_000;

test('ranges: presets end at the next minute, custom from/to in UTC, anything else falls back with a note', () => {
  const end = Date.parse('2026-12-01T07:01:00Z');
  const cases: Array<[Record<string, string>, number, number, string, number]> = [
    [{}, end - 24 * H, end, '24h', 0],
    [{ range: '1h' }, end - H, end, '1h', 0],
    [{ range: '30d' }, end - 720 * H, end, '30d', 0],
    [{ range: 'custom', from: '2026-11-30T00:00', to: '2026-11-30T12:00' }, Date.parse('2026-11-30T00:00Z'), Date.parse('2026-11-30T12:00Z'), 'custom', 0],
    [{ from: '2026-11-30T00:00', to: '2026-11-30T12:00' }, Date.parse('2026-11-30T00:00Z'), Date.parse('2026-11-30T12:00Z'), 'custom', 0],
    [{ range: 'custom', from: '2026-02-30T00:00' }, end - 24 * H, end, '24h', 1],
    [{ range: 'custom', from: '2026-10-01T00:00', to: '2026-11-30T00:00' }, end - 24 * H, end, '24h', 1],
    [{ range: 'custom', from: '2026-11-30T12:00', to: '2026-11-30T00:00' }, end - 24 * H, end, '24h', 1],
    [{ range: '1y' }, end - 24 * H, end, '24h', 1],
  ];
  for (const [q, from, to, range, notes] of cases) {
    const v = parseLogsView(q, NOW);
    assert.deepEqual([v.from, v.to, v.range, v.notes.length], [from, to, range, notes], JSON.stringify(q));
  }
});

test('the who box takes a path, a pasted link (host and query dropped) or nothing', () => {
  assert.deepEqual(parseLogsView({ url: '/a/b', prefix: '1' }, NOW).url, '/a/b');
  assert.equal(parseLogsView({ url: '/a/b', prefix: '1' }, NOW).prefix, true);
  assert.equal(parseLogsView({ url: 'https://shop.example/cart?id=3' }, NOW).url, '/cart');
  assert.equal(parseLogsView({ url: 'https://shop.example' }, NOW).url, '/');
  assert.equal(parseLogsView({ url: '  ' }, NOW).url, null);
  const long = parseLogsView({ url: `/${'x'.repeat(9000)}` }, NOW);
  assert.equal(long.url, null);
  assert.equal(long.notes.length, 1);
  assert.equal(parseUtcMinute('2026-12-01T07:30'), Date.parse('2026-12-01T07:30Z'));
  assert.equal(parseUtcMinute('2026-12-01 07:30'), undefined);
});

test('the per-minute series fills empty minutes with zeros and keeps peaks when downsampled', () => {
  const from = Date.parse('2026-12-01T00:00Z');
  const s = minuteSeries({ step_seconds: 60, points: [{ t: '2026-12-01T00:01:00.000Z', hits: 5 }, { t: '2026-12-01T00:03:00.000Z', hits: 2 }] }, from, from + 5 * 60_000);
  assert.deepEqual(s.x, [0, 1, 2, 3, 4].map((i) => from / 1000 + i * 60));
  assert.deepEqual(s.y, [0, 5, 0, 2, 0]);
  const day = minuteSeries({ step_seconds: 60, points: [{ t: '2026-12-01T13:37:00.000Z', hits: 900 }] }, from, from + 86_400_000, 100);
  assert.ok(day.x.length <= 100);
  assert.ok(day.y.includes(900), 'the peak survives downsampling');
  assert.deepEqual(minuteSeries({ step_seconds: 60, points: [{ t: '2026-11-30T23:59:00.000Z', hits: 1 }] }, from, from + 120_000).y, [0, 0], 'points outside the range are left out');
});
