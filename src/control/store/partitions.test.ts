import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addDays, createPartitionSql, daysBetween, isDay, isExpiredDay, parsePartitionName, partitionName, upcomingDays, utcDay } from './partitions.js';

test('utcDay maps instants to their UTC day', () => {
  const cases: Array<[string, string]> = [
    ['2026-12-01T00:00:00.000Z', '2026-12-01'],
    ['2026-12-01T23:59:59.999Z', '2026-12-01'],
    ['2026-12-02T00:00:00.000Z', '2026-12-02'],
    ['2024-02-29T12:00:00.000Z', '2024-02-29'],
    ['1969-12-31T23:00:00.000Z', '1969-12-31'],
  ];
  for (const [iso, day] of cases) assert.equal(utcDay(Date.parse(iso)), day, iso);
});

test('isDay accepts only real YYYY-MM-DD days', () => {
  const cases: Array<[string, boolean]> = [['2026-12-01', true], ['2024-02-29', true], ['2026-02-29', false], ['2026-13-01', false], ['2026-1-01', false], ['x', false], ['2026-12-01T00', false]];
  for (const [d, ok] of cases) assert.equal(isDay(d), ok, d);
});

test('addDays and daysBetween cross months and years', () => {
  assert.equal(addDays('2026-12-31', 1), '2027-01-01');
  assert.equal(addDays('2026-03-01', -1), '2026-02-28');
  assert.deepEqual(daysBetween('2026-12-30', '2027-01-02'), ['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
  assert.deepEqual(daysBetween('2026-12-02', '2026-12-01'), []);
});

test('partition names round-trip', () => {
  assert.equal(partitionName('system_samples', '2026-12-01'), 'system_samples_p20261201');
  assert.deepEqual(parsePartitionName('device_daily_p20261201'), { table: 'device_daily', day: '2026-12-01' });
  assert.equal(parsePartitionName('hosts_p20261201'), undefined);
  assert.equal(parsePartitionName('system_samples_p20261341'), undefined);
  assert.equal(parsePartitionName('system_samples'), undefined);
  assert.throws(() => partitionName('disk_samples', '2026-02-30'));
});

test('createPartitionSql bounds one UTC day', () => {
  assert.equal(
    createPartitionSql('system_samples', '2026-12-31'),
    "CREATE TABLE IF NOT EXISTS system_samples_p20261231 PARTITION OF system_samples FOR VALUES FROM ('2026-12-31 00:00:00+00') TO ('2027-01-01 00:00:00+00')",
  );
  assert.equal(createPartitionSql('device_daily', '2026-12-01'), "CREATE TABLE IF NOT EXISTS device_daily_p20261201 PARTITION OF device_daily FOR VALUES FROM ('2026-12-01') TO ('2026-12-02') WITH (fillfactor = 70)");
});

test('isExpiredDay keeps a day straddling the cutoff', () => {
  const now = Date.parse('2026-12-10T06:00:00.000Z');
  const cases: Array<[string, number, boolean]> = [
    ['2026-12-10', 0, false],
    ['2026-12-09', 0, true], // with retention 0 a finished day is gone
    ['2026-12-03', 7, false], // ends 12-04 00:00, cutoff 12-03 06:00
    ['2026-12-02', 7, true], // ends 12-03 00:00 <= cutoff 12-03 06:00
    ['2026-09-01', 90, true],
    ['2026-09-11', 90, false],
  ];
  for (const [d, r, exp] of cases) assert.equal(isExpiredDay(d, now, r), exp, `${d} r=${r}`);
});

test('upcomingDays is today and the next two', () => {
  assert.deepEqual(upcomingDays(Date.parse('2026-12-31T23:59:00Z')), ['2026-12-31', '2027-01-01', '2027-01-02']);
});
