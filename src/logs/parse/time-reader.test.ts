import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeReader, expandStrftime, scaledDecimal } from './time-reader.js';

const T = Date.UTC(2000, 9, 10, 20, 55, 36);

test('clf: offsets applied, the end bound respected, impossible dates rejected', () => {
  const t = new TimeReader();
  assert.equal(t.clf('x10/Oct/2000:13:55:36 -0700]', 1), 27);
  assert.equal(t.ts, T);
  assert.equal(t.clf('10/Oct/2000:13:55:36 -0700', 0, 25), -1, 'end bound');
  for (const bad of ['10/oct/2000:13:55:36 -0700', '10/Oct/2000:13:55:61 -0700', '10/Oct/2000 13:55:36 -0700', '10/Oct/2000:13:55:36 -2400', '00/Oct/2000:13:55:36 +0000', '31/Apr/2000:13:55:36 +0000', '10/Oct/2000:13:55:36 *0000']) {
    assert.equal(t.clf(bad, 0), -1, bad);
  }
});

test('clf cache: a hit reuses the minute, any change in minute, day, month, year or zone recomputes', () => {
  const t = new TimeReader();
  const at = (s: string): number => (t.clf(s, 0) < 0 ? NaN : t.ts);
  assert.equal(at('10/Oct/2000:13:55:36 -0700'), T);
  assert.equal(at('10/Oct/2000:13:55:59 -0700'), T + 23_000);
  assert.equal(at('10/Nov/2000:13:55:36 -0700'), Date.UTC(2000, 10, 10, 20, 55, 36));
  assert.equal(at('10/Nov/2001:13:55:36 -0700'), Date.UTC(2001, 10, 10, 20, 55, 36));
  assert.equal(at('10/Nov/2001:13:55:36 -0600'), Date.UTC(2001, 10, 10, 19, 55, 36));
  assert.equal(at('11/Nov/2001:13:55:36 -0600'), Date.UTC(2001, 10, 11, 19, 55, 36));
});

test('iso8601: +hh:mm, -hh:mm and Z', () => {
  const t = new TimeReader();
  assert.equal(t.iso('2000-10-10T13:55:36-07:00', 0), 25);
  assert.equal(t.ts, T);
  assert.equal(t.iso('2000-10-10T20:55:36Z', 0), 20);
  assert.equal(t.ts, T);
  assert.equal(t.iso('2000-10-10T20:55:37+00:00', 0), 25);
  assert.equal(t.ts, T + 1000);
  assert.equal(t.iso('2000-13-10T20:55:36Z', 0), -1);
  assert.equal(t.iso('2000-10-10T20:55:36+0000', 0), -1);
});

test('strftime patterns of %{...}t: %e %y %b %z with or without colon; no %z means UTC', () => {
  const t = new TimeReader();
  assert.equal(t.strftime('10/Oct/2000:13:55:36 -0700', 0, expandStrftime('%d/%b/%Y:%T %z')), 26);
  assert.equal(t.ts, T);
  assert.equal(t.strftime(' 5.10.00 20:55', 0, '%e.%m.%y %H:%M'), 14);
  assert.equal(t.ts, Date.UTC(2000, 9, 5, 20, 55));
  assert.equal(t.strftime('2000-10-10 13:55:36-07:00', 0, expandStrftime('%F %T%z')), 25);
  assert.equal(t.ts, T);
  assert.equal(t.strftime('2000-10-10', 0, '%Y-%m-%d', 9), -1, 'end bound');
  assert.equal(t.strftime('2000/10-10', 0, '%Y-%m-%d'), -1);
});

test('epoch numbers and decimals scale exactly', () => {
  const t = new TimeReader();
  assert.equal(t.epoch('971211336.123', 0, 13, 1000), 13);
  assert.equal(t.ts, T + 123);
  assert.equal(scaledDecimal('0.123', 0, 5, 1000), 123);
  assert.equal(scaledDecimal('1500', 0, 4, 0.001), 1.5);
  for (const bad of ['', '.', '1.', '-1', '1e3', '1.2.3', 'abc']) assert.ok(Number.isNaN(scaledDecimal(bad, 0, bad.length, 1)), bad);
});
