import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CapacityData, CapacityVolumeRow, HostStatusRow } from '../store/control-store.js';
import { buildCapacityReport } from './capacity.js';
import { defaultReportPolicy, parseReportPolicy } from './policy.js';
import { sumsOf } from './regression.js';
import { syntheticCapacityData } from './synthetic.js';
import { renderCapacityTable } from './render-capacity.js';

const NOW = new Date('2026-12-01T07:00:00.000Z');
const WSTART = new Date(NOW.getTime() - 7 * 86_400_000);
const GIB = 1024 ** 3;
const policy = defaultReportPolicy();

function host(name: string, over: Partial<HostStatusRow> = {}): HostStatusRow {
  return { host: name, tags: {}, reportedTags: {}, enrolledAt: new Date('2026-01-01T00:00:00Z'), lastSeen: new Date(NOW.getTime() - 30_000), lastSampledAt: new Date(NOW.getTime() - 30_000), intervalSeconds: 60, source: 'push', lastError: null, lastErrorAt: null, ...over };
}

function vol(hostName: string, over: Partial<CapacityVolumeRow> & { growthPerDay?: number } = {}): CapacityVolumeRow {
  const size = over.sizeBytes ?? 1000 * GIB;
  const usePct = over.usePct === undefined ? 50 : over.usePct;
  const used = usePct === null ? null : (size * usePct) / 100;
  const g = over.growthPerDay ?? 0;
  const windowS = 7 * 86_400;
  const trend = used === null ? null : sumsOf(Array.from({ length: 15 }, (_, k) => [(windowS * k) / 14, used - (g * (windowS - (windowS * k) / 14)) / 86_400] as [number, number]));
  const { growthPerDay: _g, ...rest } = over;
  return { host: hostName, mountpoint: '/var/lib/mysql', device: '/dev/sdb', fstype: 'xfs', role: 'data', readOnly: false, sizeBytes: size, usedBytes: used, availBytes: used === null ? null : size - used, usePct, inodeUsePct: 1, error: null, sampledAt: NOW, trend, windowPeakUsePct: null, daily: [], ...rest };
}

function one(v: CapacityVolumeRow) {
  const data: CapacityData = { now: NOW, windowStart: WSTART, hosts: [host(v.host)], volumes: [v] };
  const r = buildCapacityReport(data, policy, NOW);
  assert.equal(r.rows.length, 1);
  return r.rows[0]!;
}

test('volume status: table', () => {
  const cases: { name: string; v: CapacityVolumeRow; status: string; reason: RegExp }[] = [
    { name: 'healthy', v: vol('a'), status: 'ok', reason: /^$/ },
    { name: 'data at warning', v: vol('a', { usePct: 85 }), status: 'warning', reason: /use 85\.0% >= warning 80%/ },
    { name: 'data at critical', v: vol('a', { usePct: 90 }), status: 'critical', reason: /critical 90%/ },
    { name: 'fills in 5 days', v: vol('a', { usePct: 50, growthPerDay: 100 * GIB }), status: 'critical', reason: /full in 5\.0 d <= critical 7 d/ },
    { name: 'fills in 20 days', v: vol('a', { usePct: 50, growthPerDay: 25 * GIB }), status: 'warning', reason: /full in 20\.0 d <= warning 30 d/ },
    { name: 'shrinking', v: vol('a', { usePct: 50, growthPerDay: -25 * GIB }), status: 'ok', reason: /^$/ },
    { name: 'statfs error', v: vol('a', { usePct: null, error: 'STATFS_TIMEOUT' }), status: 'unknown', reason: /STATFS_TIMEOUT/ },
    { name: 'no figures', v: vol('a', { usePct: null }), status: 'unknown', reason: /no figures/ },
    {
      name: 'binlog judged by window peak, not the current trough',
      v: vol('a', { role: 'binlog', usePct: 30, daily: [{ day: '2026-11-29', maxUsedBytes: 920 * GIB, minUsedBytes: 300 * GIB, maxUsePct: 92 }, { day: '2026-11-30', maxUsedBytes: 920 * GIB, minUsedBytes: 300 * GIB, maxUsePct: 92 }] }),
      status: 'critical',
      reason: /7-day peak use 92\.0% >= critical 90%/,
    },
  ];
  for (const c of cases) {
    const row = one(c.v);
    assert.equal(row.status, c.status, c.name);
    assert.match(row.reason, c.reason, c.name);
  }
});

test('binlog growth comes from daily peaks, not the saw-tooth', () => {
  const daily = [24, 25, 26, 27, 28, 29, 30].map((d, i) => ({ day: `2026-11-${d}`, maxUsedBytes: (500 + 10 * i) * GIB, minUsedBytes: 100 * GIB, maxUsePct: (500 + 10 * i) / 10 }));
  const row = one(vol('a', { role: 'binlog', usePct: 20, daily, trend: sumsOf(Array.from({ length: 15 }, (_, k) => [k * 43_200, (k % 2 ? 900 : 100) * GIB] as [number, number])) }));
  assert.ok(row.growthBytesPerDay !== null && Math.abs(row.growthBytesPerDay - 10 * GIB) < 1);
  // peak 560 GiB on 11-30, +10 GiB/day from 'now' (peak clamped up to the last full day's): about 44 days.
  assert.ok(row.daysUntilFull !== null && row.daysUntilFull > 40 && row.daysUntilFull < 45, String(row.daysUntilFull));
  assert.equal(row.status, 'ok');
});

test('stale: after N intervals, never reported listed last, clock skew shown', () => {
  const data: CapacityData = {
    now: NOW,
    windowStart: WSTART,
    hosts: [
      host('fresh'),
      host('edge', { lastSeen: new Date(NOW.getTime() - 180_000) }),
      host('silent', { lastSeen: new Date(NOW.getTime() - 181_000), lastSampledAt: new Date(NOW.getTime() - 181_000 + 300_000), lastError: 'clock skew 300 s' }),
      host('older', { lastSeen: new Date(NOW.getTime() - 86_400_000) }),
      host('new', { lastSeen: null, lastSampledAt: null, intervalSeconds: null, source: null }),
    ],
    volumes: [vol('fresh'), vol('silent', { usePct: 95 })],
  };
  const r = buildCapacityReport(data, policy, NOW);
  assert.deepEqual(r.stale.map((s) => s.host), ['older', 'silent', 'new']);
  assert.equal(r.stale[1]!.clockSkewSeconds, 300);
  assert.equal(r.stale[1]!.lastError, 'clock skew 300 s');
  assert.equal(r.stale[2]!.neverReported, true);
  assert.deepEqual(
    { hosts: r.totals.hosts, critical: r.totals.critical, criticalStale: r.totals.criticalStale, unknown: r.totals.unknown, ok: r.totals.ok, stale: r.totals.stale, never: r.totals.neverReported },
    { hosts: 5, critical: 1, criticalStale: 1, unknown: 1, ok: 3, stale: 3, never: 1 },
    'silent (95 %) is still critical, and stale; new (never reported) is unknown and stale',
  );
  assert.deepEqual(r.stale.map((s) => s.status), ['ok', 'critical', 'unknown']);
  assert.equal(r.rows.find((x) => x.host === 'silent')!.stale, true);
  const strict = parseReportPolicy({ staleAfterIntervals: 1 });
  assert.equal(buildCapacityReport(data, strict, NOW).totals.stale, 4);
});

test('rows sorted worst first; summary has thousands separators', () => {
  const data = syntheticCapacityData({ hosts: 1200, now: NOW, critical: 12, warning: 40, stale: 3, neverReported: 1 });
  const r = buildCapacityReport(data, policy, NOW);
  assert.equal(r.summary, '[vigia] capacity: 12 critical, 40 warning, 4 stale of 1,200 hosts');
  const order = { critical: 0, warning: 1, unknown: 2, ok: 3 };
  for (let i = 1; i < r.rows.length; i++) {
    const a = r.rows[i - 1]!;
    const b = r.rows[i]!;
    assert.ok(order[a.status] <= order[b.status]);
    if (a.status === b.status) assert.ok((a.daysUntilFull ?? Infinity) <= (b.daysUntilFull ?? Infinity));
  }
  assert.equal(r.totals.critical + r.totals.warning + r.totals.unknown + r.totals.ok, r.totals.hosts);
  assert.equal(r.rows.length, (1200 - 1) * 3);
});

test('policy: bad fields are named', () => {
  const cases: { input: unknown; msg: RegExp }[] = [
    { input: { thresholds: { data: { warningPct: 95, criticalPct: 90 } } }, msg: /reports\.thresholds\.data: warningPct must be below criticalPct/ },
    { input: { thresholds: { binlog: { criticalPct: 120 } } }, msg: /reports\.thresholds\.binlog\.criticalPct/ },
    { input: { recipients: ['ops@example.com', 'not-an-email'] }, msg: /reports\.recipients\.1: not a valid email address/ },
    { input: { staleAfterIntervals: 0 }, msg: /reports\.staleAfterIntervals/ },
    { input: { daysUntilFull: { warningDays: 5, criticalDays: 7 } }, msg: /reports\.daysUntilFull: criticalDays must be below warningDays/ },
    { input: { tresholds: {} }, msg: /Unrecognized key.*tresholds/ },
  ];
  for (const c of cases) assert.throws(() => parseReportPolicy(c.input), (e: Error & { code?: string }) => e.code === 'VIGIA_ERR_CONFIG' && c.msg.test(e.message), String(c.msg));
  const p = defaultReportPolicy();
  assert.deepEqual([p.thresholds.data.warningPct, p.thresholds.data.criticalPct, p.staleAfterIntervals, p.trendWindowDays, p.subjectPrefix], [80, 90, 3, 7, '[vigia]']);
  assert.ok(Object.isFrozen(p.thresholds));
});

test('a host that never reported is stale only after staleAfterIntervals default intervals since enrolment', () => {
  const enrolledAgo = (ms: number) => host('x', { enrolledAt: new Date(NOW.getTime() - ms), lastSeen: null, lastSampledAt: null, intervalSeconds: null, source: null });
  const cases: { name: string; agoMs: number; stale: boolean }[] = [
    { name: 'just enrolled', agoMs: 1000, stale: false },
    { name: 'at the limit (3 x 60 s)', agoMs: 180_000, stale: false },
    { name: 'past the limit', agoMs: 181_000, stale: true },
  ];
  for (const c of cases) {
    const r = buildCapacityReport({ now: NOW, windowStart: WSTART, hosts: [enrolledAgo(c.agoMs)], volumes: [] }, policy, NOW);
    assert.equal(r.stale.length, c.stale ? 1 : 0, c.name);
    assert.equal(r.totals.stale, c.stale ? 1 : 0, c.name);
    assert.equal(r.totals.neverReported, c.stale ? 1 : 0, c.name);
    assert.equal(r.totals.unknown, 1, `${c.name}: no figures yet`);
    assert.equal(r.totals.critical + r.totals.warning + r.totals.unknown + r.totals.ok, r.totals.hosts, c.name);
  }
});

test('hosts gone silent keep their last status: critical and warning stay counted, marked stale', () => {
  const data = syntheticCapacityData({ hosts: 454, now: NOW, critical: 3, warning: 5 });
  const fresh = buildCapacityReport(data, policy, NOW);
  assert.equal(fresh.summary, '[vigia] capacity: 3 critical, 5 warning, 0 stale of 454 hosts');
  // A day later nobody has reported since: every host is stale, and the 3 critical ones must not vanish.
  const later = new Date(NOW.getTime() + 86_400_000);
  const r = buildCapacityReport(data, policy, later);
  assert.equal(r.summary, '[vigia] capacity: 3 critical (3 stale), 5 warning (5 stale), 454 stale of 454 hosts');
  assert.deepEqual(
    { critical: r.totals.critical, criticalStale: r.totals.criticalStale, warning: r.totals.warning, warningStale: r.totals.warningStale, ok: r.totals.ok, stale: r.totals.stale },
    { critical: 3, criticalStale: 3, warning: 5, warningStale: 5, ok: 446, stale: 454 },
  );
  const critical = r.rows.filter((x) => x.status === 'critical');
  assert.equal(new Set(critical.map((x) => x.host)).size, 3);
  assert.ok(critical.every((x) => x.stale));
  assert.equal(r.stale.filter((s) => s.status === 'critical').length, 3);
});

/** A volume at `usePct` whose samples, every `stepS` seconds up to NOW, grow by `growthPerDay`. */
function sampled(name: string, usePct: number, growthPerDay: number, count: number, stepS: number): CapacityVolumeRow {
  const size = 1000 * GIB;
  const used = (size * usePct) / 100;
  const lastX = (NOW.getTime() - WSTART.getTime()) / 1000;
  const points = Array.from({ length: count }, (_, k) => {
    const x = lastX - (count - 1 - k) * stepS;
    return [x, used - (growthPerDay * (lastX - x)) / 86_400] as [number, number];
  });
  return { ...vol(name, { usePct }), trend: sumsOf(points) };
}

test('days until full needs a day of samples: two minutes at a 0.7-day growth rate is "trend pending", judged on use % only', () => {
  // 2 minutes of samples every 10 s, growing 700 GiB/day on a 1000 GiB volume at 50 %: the fit says full in 0.7 d.
  const fresh = one(sampled('fresh', 50, 700 * GIB, 13, 10));
  assert.equal(fresh.status, 'ok', 'a fresh volume at 50 % is not critical by a date it does not have');
  assert.equal(fresh.daysUntilFull, null);
  assert.equal(fresh.growthBytesPerDay, null);
  assert.ok(fresh.trendPending, 'trend pending');
  assert.equal(fresh.trendPending.samples, 13);
  assert.equal(fresh.trendPending.spanSeconds, 120);
  assert.equal(fresh.trendPending.needSpanSeconds, 24 * 3600);
  assert.doesNotMatch(fresh.reason, /full in/);
  const table = renderCapacityTable(buildCapacityReport({ now: NOW, windowStart: WSTART, hosts: [host('fresh')], volumes: [sampled('fresh', 50, 700 * GIB, 13, 10)] }, policy, NOW), { includeOk: true });
  assert.match(table, /trend pending \(2 min of 24 h, 13 of 12 samples\)/);
  // Pending is judged on use % alone: a fresh volume at 95 % is still critical, by its use.
  const full = one(sampled('full', 95, 700 * GIB, 13, 10));
  assert.equal(full.status, 'critical');
  assert.match(full.reason, /use 95\.0% >= critical 90%/);
  // Three days of hourly samples at the same rate: a date, and critical by it.
  const known = one(sampled('known', 50, 700 * GIB, 73, 3600));
  assert.equal(known.trendPending, null);
  assert.equal(known.status, 'critical');
  assert.match(known.reason, /full in 0\.7 d <= critical 7 d/);
  // The minimum is policy: 1 hour and 10 samples make the two-minute volume still pending, an hour of them not.
  const hourly = parseReportPolicy({ daysUntilFull: { minSpanHours: 1, minSamples: 10 } });
  const data = (v: CapacityVolumeRow): CapacityData => ({ now: NOW, windowStart: WSTART, hosts: [host(v.host)], volumes: [v] });
  assert.ok(buildCapacityReport(data(sampled('a', 50, 700 * GIB, 13, 10)), hourly, NOW).rows[0]!.trendPending);
  assert.equal(buildCapacityReport(data(sampled('a', 50, 700 * GIB, 61, 60)), hourly, NOW).rows[0]!.trendPending, null);
  assert.throws(() => parseReportPolicy({ daysUntilFull: { minSamples: 1 } }), /reports\.daysUntilFull\.minSamples/);
});
