import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../../core/errors.js';
import { OPEN_END_MS, parseDuration, parseInstant, resolveRange } from './time-range.js';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);

test('parseDuration: s m h d w, positive, at most ten years', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration('24h'), 86_400_000);
  assert.equal(parseDuration('7d'), 7 * 86_400_000);
  assert.equal(parseDuration('2w'), 14 * 86_400_000);
  for (const bad of ['', '0h', '24', 'h', '1y', '-1h', '1.5h', '99999w']) assert.equal(parseDuration(bad), undefined, bad);
});

test('parseInstant: dates are UTC midnight, date-times take their offset, impossible days are refused', () => {
  assert.deepEqual(parseInstant('2026-12-07'), { ms: Date.UTC(2026, 11, 7), dateOnly: true });
  assert.deepEqual(parseInstant('2026-12-07T10:00'), { ms: Date.UTC(2026, 11, 7, 10), dateOnly: false });
  assert.deepEqual(parseInstant('2026-12-07T10:00:05Z'), { ms: Date.UTC(2026, 11, 7, 10, 0, 5), dateOnly: false });
  assert.deepEqual(parseInstant('2026-12-07T10:00:05.250+01:00'), { ms: Date.UTC(2026, 11, 7, 9, 0, 5, 250), dateOnly: false });
  assert.deepEqual(parseInstant('2026-12-07 10:00:05-0530'), { ms: Date.UTC(2026, 11, 7, 15, 30, 5), dateOnly: false });
  for (const bad of ['2026-02-30', '2026-13-01', '2026-12-07T24:00', '07/12/2026', 'yesterday', '1969-12-31', '2026-12-07T10:00+25:00']) {
    assert.equal(parseInstant(bad), undefined, bad);
  }
});

test('resolveRange: default last 24h to an open end; all; --from/--to; a date-only --to includes its day', () => {
  assert.deepEqual({ ...resolveRange({}, NOW) }, { from: NOW - 86_400_000, to: OPEN_END_MS, describe: 'in the last 24h' });
  assert.equal(resolveRange({ since: 'all' }, NOW).from, 0);
  assert.equal(resolveRange({ since: '15m' }, NOW).from, NOW - 900_000);
  const r = resolveRange({ from: '2026-12-01', to: '2026-12-07' }, NOW);
  assert.equal(r.from, Date.UTC(2026, 11, 1));
  assert.equal(r.to, Date.UTC(2026, 11, 8));
  assert.equal(resolveRange({ to: '2026-12-07T06:00:00Z', since: '7d' }, NOW).to, Date.UTC(2026, 11, 7, 6));
});

test('resolveRange: bad or contradictory flags are VIGIA_ERR_CONFIG naming the flag', () => {
  const cases: Array<[Parameters<typeof resolveRange>[0], RegExp]> = [
    [{ since: '1y' }, /--since/],
    [{ since: '24h', from: '2026-12-01' }, /--since and --from/],
    [{ from: 'monday' }, /--from/],
    [{ to: 'soon' }, /--to/],
    [{ from: '2026-12-07', to: '2026-12-01' }, /--to: .* is not after/],
  ];
  for (const [flags, re] of cases) {
    assert.throws(() => resolveRange(flags, NOW), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && re.test(e.message), JSON.stringify(flags));
  }
});
