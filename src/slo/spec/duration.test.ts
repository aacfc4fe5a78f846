import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

test('parseDuration / formatDuration: table', () => {
  const cases: Array<[string, number, string]> = [
    ['5m', 300_000, '5m'],
    ['1h30m', 5_400_000, '1h30m'],
    ['90m', 5_400_000, '1h30m'],
    ['1d', 86_400_000, '1d'],
    ['28d', 28 * 86_400_000, '4w'],
    ['4w', 28 * 86_400_000, '4w'],
    ['30d', 30 * 86_400_000, '30d'],
    ['90d', 90 * 86_400_000, '90d'],
    ['1y', 365 * 86_400_000, '1y'],
    ['36h', 36 * 3_600_000, '1d12h'],
    ['1500ms', 1500, '1s500ms'],
  ];
  for (const [text, ms, printed] of cases) {
    assert.equal(parseDuration(text), ms, text);
    assert.equal(formatDuration(ms), printed, text);
  }
});

test('parseDuration refuses junk, naming the field', () => {
  for (const bad of ['', '5', 'm', '1.5h', '5M', '-1h', '0s', '1h 30m', '30d1w']) {
    assert.throws(() => parseDuration(bad, 'spec.slos[0].timeWindow'), (e: Error & { code?: string }) => e.code === 'VIGIA_ERR_CONFIG' && /spec\.slos\[0\]\.timeWindow/.test(e.message), bad);
  }
});
