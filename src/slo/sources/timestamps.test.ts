import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTimestampParser, parseTimestamp } from './timestamps.js';

// Expected epochs computed by hand: 2025-03-01T00:00:00Z = 1740787200 s
// (20148 days × 86400; 20148 = days from 1970-01-01 to 2025-03-01).
const MAR1 = 1_740_787_200_000;
const H = 3_600_000;
const M = 60_000;

describe('parseTimestamp (UTC)', () => {
  const cases: Array<[string, number | null]> = [
    ['2025-03-01T00:00:00Z', MAR1],
    ['2025-03-01T12:00:00Z', MAR1 + 12 * H],
    ['2025-03-01 12:00:00', MAR1 + 12 * H],
    ['2025-03-01t12:00:00z', MAR1 + 12 * H],
    ['  2025-03-01 12:34:56  ', MAR1 + 12 * H + 34 * M + 56_000],
    ['2025-03-01T12:34', MAR1 + 12 * H + 34 * M],
    ['2025-03-01T12:34Z', MAR1 + 12 * H + 34 * M],
    ['2025-03-01T12:00:00.5Z', MAR1 + 12 * H + 500],
    ['2025-03-01T12:00:00.123456Z', MAR1 + 12 * H + 123],
    ['2025-03-01T12:00:00,25', MAR1 + 12 * H + 250],
    ['2025-03-01T12:00:00+02:00', MAR1 + 10 * H],
    ['2025-03-01T12:00:00+0200', MAR1 + 10 * H],
    ['2025-03-01T12:00:00+02', MAR1 + 10 * H],
    ['2025-03-01T12:00:00-05:30', MAR1 + 17 * H + 30 * M],
    ['2025-03-01 12:00:00+00', MAR1 + 12 * H],
    ['2025-03-01', MAR1],
    ['1740787200', MAR1],
    ['1740787200.25', MAR1 + 250],
    ['0', 0],
    ['2024-02-29T00:00:00Z', MAR1 - 366 * 86_400_000],
    // rejected
    ['', null],
    ['   ', null],
    ['2025-02-29T00:00:00Z', null],
    ['2025-13-01T00:00:00Z', null],
    ['2025-03-01T24:00:00Z', null],
    ['2025-03-01T12:60:00Z', null],
    ['2025-03-01T12:00:60Z', null],
    ['2025-03-01T12:00:00.Z', null],
    ['2025-03-01T12:00:00+25:00', null],
    ['2025-03-01T12:00:00 UTC', null],
    ['2025-03-01X12:00:00', null],
    ['2025/03/01 12:00:00', null],
    ['2025-3-1 12:00', null],
    ['yesterday', null],
    ['1740787200123', null], // milliseconds, not seconds: reported, not guessed
    ['12abc', null],
    ['1.', null],
    ['２０２５-03-01T00:00:00Z', null], // full-width digits
  ];
  for (const [text, want] of cases) {
    it(JSON.stringify(text), () => assert.equal(parseTimestamp(text), want));
  }
});

describe('parseTimestamp with a time zone for naive times', () => {
  const cases: Array<[string, string, number | null]> = [
    // Madrid is UTC+1 in winter, UTC+2 after the last Sunday of March (2025-03-30 01:00Z).
    ['2025-03-01 12:00:00', 'Europe/Madrid', MAR1 + 11 * H],
    ['2025-03-01', 'Europe/Madrid', MAR1 - 1 * H],
    ['2025-07-01 12:00:00', 'Europe/Madrid', Date.UTC(2025, 6, 1, 10)],
    // An explicit offset wins over the zone.
    ['2025-03-01T12:00:00Z', 'Europe/Madrid', MAR1 + 12 * H],
    ['2025-03-01T12:00:00+03:00', 'America/New_York', MAR1 + 9 * H],
    ['2025-03-01 12:00:00', 'America/New_York', MAR1 + 17 * H],
    // Epoch seconds are absolute.
    ['1740787200', 'America/New_York', MAR1],
  ];
  for (const [text, tz, want] of cases) {
    it(`${text} in ${tz}`, () => assert.equal(parseTimestamp(text, tz), want));
  }

  it('rejects an unknown zone', () => assert.throws(() => createTimestampParser('Mars/Olympus'), /time zone/));
});

describe('minute cache', () => {
  it('gives the same answers in and out of order, across zones of the cache', () => {
    const p = createTimestampParser('Europe/Madrid');
    const texts = ['2025-03-01 12:00:01', '2025-03-01 12:00:59', '2025-03-01T12:00:30Z', '2025-03-01 12:01:00', '2025-03-01 12:00:02+01:00', '2025-03-01 12:00:03'];
    const want = [MAR1 + 11 * H + 1000, MAR1 + 11 * H + 59_000, MAR1 + 12 * H + 30_000, MAR1 + 11 * H + M, MAR1 + 11 * H + 2000, MAR1 + 11 * H + 3000];
    assert.deepEqual(texts.map((t) => p.parse(t)), want);
  });

  it('does not reuse the cache for a different separator-insensitive prefix', () => {
    const p = createTimestampParser();
    assert.equal(p.parse('2025-03-01T12:00:00Z'), MAR1 + 12 * H);
    assert.equal(p.parse('2025-03-01 12:00:00Z'), MAR1 + 12 * H);
    assert.equal(p.parse('2025-03-01X12:00:00Z'), null);
    assert.equal(p.parse('2025-03-02T12:00:00Z'), MAR1 + 36 * H);
  });

  it('parses a byte range inside a larger buffer', () => {
    const p = createTimestampParser();
    const b = Buffer.from('x,2025-03-01T00:01:00Z,503');
    assert.equal(p.parseBytes(b, 2, 22), MAR1 + M);
    assert.equal(p.parseBytes(b, 23, 26), 503_000);
    assert.equal(p.parseBytes(b, 0, 1), null);
  });
});
