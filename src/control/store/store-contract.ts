/**
 * The one contract test suite every `ControlStore` implementation runs (guide habit 9): PGlite in
 * src/control/store/sql-store-pglite.test.ts, real PostgreSQL in
 * test/integration/control-store-postgres.test.ts. It asserts behaviour through the interface only
 * (plus a raw `exec` hook for the schema-version test).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostReport, ReportDevice, ReportSystem } from '../../core/contracts/host-report.js';
import { isVigiaError } from '../../core/errors.js';
import type { CapacityData, ControlStore, IngestItem, RegressionSums } from './control-store.js';
import { VOLUME_TREND_BACKFILL } from './migrations/0004-volume-trend.js';
import { buildCapacityReport } from '../reports/capacity.js';
import { parseReportPolicy } from '../reports/policy.js';

/** What a contract run needs from an implementation: a fresh, migrated, empty store each call. */
export interface OpenedStore {
  readonly store: ControlStore;
  /** Close the store and remove whatever it created. */
  cleanup(): Promise<void>;
  /** Run raw SQL on the store's database (schema-version test, running-table backfill). */
  exec(sql: string): Promise<void>;
  /** A second store on the same database whose capacityData reads device_daily (the query before the running table). */
  dailyReader(): ControlStore;
}

const GiB = 1024 ** 3;
const MIN = 60_000;
const DAY = 86_400_000;

/** A synthetic device for tests. */
export function testDevice(mountpoint: string, usedBytes: number | null, extra: Partial<ReportDevice> = {}): ReportDevice {
  const size = 1000 * GiB;
  return {
    mountpoint, device: `/dev/${mountpoint === '/' ? 'root' : mountpoint.replaceAll('/', '')}`, fstype: 'ext4', role: mountpoint.startsWith('/data') ? 'data' : 'other', read_only: false,
    size_bytes: size, used_bytes: usedBytes, avail_bytes: usedBytes === null ? null : size - usedBytes, use_pct: usedBytes === null ? null : (usedBytes / size) * 100,
    inodes_total: 1_000_000, inodes_used: 1000, inode_use_pct: 0.1, error: usedBytes === null ? 'STATFS_TIMEOUT' : null, ...extra,
  };
}

/** A synthetic system section; `v` sets every CPU share, load1 and mem_used_pct (for aggregate tests). */
export function testSystem(v = 10, disks = ['sda', 'sdb']): ReportSystem {
  return {
    cpu: { user_pct: v, system_pct: v / 2, iowait_pct: v / 4, steal_pct: 0, idle_pct: 100 - v - v / 2 - v / 4, cpus: 4 },
    load1: v / 10, load5: 1, load15: 1, mem_total_bytes: 16 * GiB, mem_used_pct: v, swap_used_pct: 0, uptime_seconds: 1000,
    disks: disks.map((device) => ({ device, reads_per_s: v, writes_per_s: v * 2, read_bytes_per_s: v * 1000, write_bytes_per_s: v * 2000, await_ms: v / 10, util_pct: v })),
  };
}

/** A synthetic report sampled at `atMs`. */
export function testReport(host: string, atMs: number, over: Partial<HostReport> = {}): HostReport {
  return {
    v: 1, host, sampled_at: new Date(atMs).toISOString(), interval_seconds: 60, agent: { version: 'test' }, tags: {}, system: testSystem(),
    devices: [testDevice('/', 10 * GiB), testDevice('/data', 100 * GiB), testDevice('/var/log', 1 * GiB)], ...over,
  };
}

function item(hostId: number, report: HostReport, receivedAt = new Date(Date.parse(report.sampled_at) + 1000)): IngestItem {
  return { hostId, receivedAt, source: 'push', report };
}

/** Least-squares slope of the sums (per x unit). */
export function slopeOf(s: RegressionSums): number {
  return (s.n * s.sxy - s.sx * s.sy) / (s.n * s.sxx - s.sx * s.sx);
}

/** Ingest `batches` batches of `size` synthetic reports (3 devices, 2 disks each) over `size` hosts, one batch at a time; returns reports/s and the median batch time. */
/**
 * Ingest `batches` batches of one report from each of `size` hosts, one batch in flight; reports/s and the
 * median batch. `stepMs` apart (default a minute: the steady state). With a day (86,400,000), every
 * report is its host's first of a new UTC day: each batch also rebuilds every volume's running row
 * (migration 4), the load at 00:00 UTC. `prefix` names the hosts, so one store can be measured twice.
 */
export async function measureIngest(
  store: ControlStore,
  batches = 20,
  size = 500,
  { stepMs = 60_000, prefix = 'perf' }: { stepMs?: number; prefix?: string } = {},
): Promise<{ perSecond: number; medianBatchMs: number }> {
  const ids: number[] = [];
  for (let i = 0; i < size; i++) ids.push((await store.enrollHost(`${prefix}-${i}`, `${prefix}-token-${i}`)).host.id);
  const t0 = Date.parse('2026-12-01T00:00:00Z');
  const ms: number[] = [];
  const start = performance.now();
  for (let b = 0; b < batches; b++) {
    const items: IngestItem[] = ids.map((id, i) => ({
      hostId: id, receivedAt: new Date(t0 + b * stepMs + 500), source: 'push',
      report: testReport(`${prefix}-${i}`, t0 + b * stepMs, { system: testSystem(10 + (b % 7)), devices: [testDevice('/', 10e9 + b), testDevice('/data', 500e9 + b * 1e6), testDevice('/var/log', 1e9)] }),
    }));
    const s = performance.now();
    const out = await store.ingest(items);
    ms.push(performance.now() - s);
    assert.equal(out.filter((o) => o === 'stored').length, size);
  }
  const total = performance.now() - start;
  ms.sort((a, b) => a - b);
  return { perSecond: (batches * size) / (total / 1000), medianBatchMs: ms[Math.floor(ms.length / 2)]! };
}
const T0 = Date.parse('2026-12-01T00:00:00.000Z');

/**
 * Assert two capacityData answers equal: the same volumes, latest figures and days, and the same sums
 * up to the order of float additions (relative 1e-12); then the same report (statuses, days until full).
 */
export function assertSameCapacity(got: CapacityData, want: CapacityData, now: Date, windowDays: number): void {
  assert.equal(got.windowStart.getTime(), want.windowStart.getTime());
  assert.deepEqual(got.volumes.map((v) => `${v.host} ${v.mountpoint}`), want.volumes.map((v) => `${v.host} ${v.mountpoint}`));
  const near = (a: number, b: number, what: string): void => assert.ok(a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)), `${what}: ${a} vs ${b}`);
  got.volumes.forEach((g, i) => {
    const w = want.volumes[i]!;
    const { trend: gt, ...gRest } = g;
    const { trend: wt, ...wRest } = w;
    assert.deepEqual(gRest, wRest, `${g.host} ${g.mountpoint}`);
    assert.equal(gt === null, wt === null, `${g.host} ${g.mountpoint} trend presence`);
    if (gt && wt) for (const k of ['n', 'sx', 'sy', 'sxx', 'sxy'] as const) near(gt[k], wt[k], `${g.host} ${g.mountpoint} ${k}`);
  });
  const policy = parseReportPolicy({ trendWindowDays: windowDays });
  const a = buildCapacityReport(got, policy, now);
  const b = buildCapacityReport(want, policy, now);
  assert.deepEqual(a.totals, b.totals);
  // Rows equal but for float noise may sort either way (e.g. identical volumes on two hosts): compare by key.
  const byKey = (rows: typeof a.rows) => [...rows].sort((x, y) => (x.host === y.host ? (x.mountpoint < y.mountpoint ? -1 : 1) : x.host < y.host ? -1 : 1));
  const ar = byKey(a.rows);
  const br = byKey(b.rows);
  assert.deepEqual(ar.map((r) => [r.host, r.mountpoint, r.status, r.reason.replace(/[\d.]+ d/g, 'N d')]), br.map((r) => [r.host, r.mountpoint, r.status, r.reason.replace(/[\d.]+ d/g, 'N d')]));
  ar.forEach((r, i) => {
    const o = br[i]!;
    for (const k of ['growthBytesPerDay', 'daysUntilFull'] as const) {
      const x = r[k];
      const y = o[k];
      if (x === null || y === null || !Number.isFinite(x) || !Number.isFinite(y)) assert.equal(x, y, `${r.host} ${r.mountpoint} ${k}`);
      else assert.ok(Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y)), `${r.host} ${r.mountpoint} ${k}: ${x} vs ${y}`);
    }
  });
}

/**
 * A history that exercises every path of the running table: hosts reporting every 20 min over 12 days
 * (batches crossing midnight), a binlog saw-tooth, a spooled batch of old reports (days already
 * held, days older than the held ones, a batch spanning 11 days for one volume), a mount that vanishes
 * and comes back, a host silent for 3 days, one silent for 10, concurrent batches. Returns `now`.
 */
export async function ingestMixedHistory(store: ControlStore): Promise<Date> {
  const ids: number[] = [];
  for (let i = 0; i < 6; i++) ids.push((await store.enrollHost(`mix-${i}`, `mix-t-${i}`, undefined, new Date(T0 - 20 * DAY))).host.id);
  const start = T0 - 12 * DAY + 7 * MIN;
  const end = T0 + 9 * 3600_000;
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const reportAt = (i: number, t: number): HostReport => {
    const k = (t - start) / DAY;
    const devices = [
      testDevice('/', 10 * GiB + Math.round(k * 1e7)),
      testDevice('/data', Math.round(100 * GiB + k * (i + 1) * 5 * GiB + rnd() * GiB)),
      testDevice('/binlog', Math.round(50 * GiB + ((t / 3600_000) % 6) * 50 * GiB), { role: 'binlog' }),
    ];
    // mix-2's /var/tmp vanishes for days 4-6, then comes back.
    if (i === 2 && (k < 4 || k > 6)) devices.push(testDevice('/var/tmp', Math.round(GiB + k * 1e8)));
    return testReport(`mix-${i}`, t, { system: null, devices });
  };
  const live = (i: number, t: number): boolean => !(i === 3 && t > end - 3 * DAY) && !(i === 4 && t > end - 10 * DAY) && !(i === 5 && (t - start) % (2 * 3600_000) < 20 * MIN);
  // Host 5 skips every 6th slot in time; those reports arrive at the end, spooled.
  const spooled: IngestItem[] = [];
  const batches: IngestItem[][] = [];
  let batch: IngestItem[] = [];
  for (let t = start; t <= end; t += 20 * MIN) {
    for (let i = 0; i < ids.length; i++) {
      if (i === 5 && !live(i, t)) spooled.push(item(ids[i]!, reportAt(i, t), new Date(end)));
      else if (live(i, t)) batch.push(item(ids[i]!, reportAt(i, t)));
    }
    if (batch.length >= 40) {
      batches.push(batch);
      batch = [];
    }
  }
  batches.push(batch);
  for (let b = 0; b < batches.length; b += 3) await Promise.all(batches.slice(b, b + 3).map((x) => store.ingest(x)));
  await store.ingest(spooled.filter((_, j) => j % 10 === 0));
  const rest = spooled.filter((_, j) => j % 10 !== 0);
  for (let i = 0; i < rest.length; i += 25) await store.ingest(rest.slice(i, i + 25));
  return new Date(end + 30 * MIN);
}


/** Register the contract suite for one implementation. */
export function runStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`ControlStore contract: ${name}`, () => {
    const withStore = (title: string, fn: (o: OpenedStore) => Promise<void>): void => {
      test(title, async () => {
        const o = await open();
        try {
          await fn(o);
        } finally {
          await o.cleanup();
        }
      });
    };

    withStore('enrol, rotate, look up, remove', async ({ store }) => {
      const a = await store.enrollHost('db-1', 'hash-a', { env: 'prod' });
      assert.equal(a.created, true);
      const b = await store.enrollHost('db-1', 'hash-b');
      assert.equal(b.created, false);
      assert.equal(b.host.id, a.host.id);
      assert.equal(await store.hostByTokenHash('hash-a'), undefined);
      assert.deepEqual(await store.hostByTokenHash('hash-b'), { id: a.host.id, name: 'db-1' });
      assert.deepEqual(await store.hostByName('db-1'), { id: a.host.id, name: 'db-1' });
      const st = await store.hostStatuses();
      assert.equal(st.length, 1);
      assert.deepEqual(st[0]!.tags, { env: 'prod' }, 'rotation without tags keeps them');
      assert.equal(st[0]!.lastSeen, null);
      await store.ingest([item(a.host.id, testReport('db-1', T0))]);
      assert.equal(await store.removeHost('db-1'), true);
      assert.equal(await store.removeHost('db-1'), false);
      assert.equal(await store.hostByName('db-1'), undefined);
      const again = await store.enrollHost('db-1', 'hash-c');
      assert.equal(again.created, true);
      const perf = await store.performanceData('2026-12-01');
      assert.equal(perf.hosts.length, 0, 'history of the removed host is gone');
      assert.equal((await store.capacityData(new Date(T0 + MIN), 7)).volumes.length, 0);
    });

    withStore('a stored report fills latest, history and freshness; a replay changes nothing', async ({ store }) => {
      const { host } = await store.enrollHost('web-1', 'h1', { env: 'prod', team: 'a' });
      const r = testReport('web-1', T0 + 10 * MIN, { tags: { team: 'b', rack: '7' }, interval_seconds: 30 });
      const recv = new Date(T0 + 10 * MIN + 2500);
      assert.deepEqual(await store.ingest([{ hostId: host.id, receivedAt: recv, source: 'pull-agent', report: r }]), ['stored']);
      const st = (await store.hostStatuses())[0]!;
      assert.equal(st.lastSeen?.getTime(), recv.getTime(), 'last_seen is the receive time');
      assert.equal(st.lastSampledAt?.toISOString(), r.sampled_at);
      assert.equal(st.intervalSeconds, 30);
      assert.equal(st.source, 'pull-agent');
      assert.deepEqual(st.tags, { env: 'prod', team: 'a' }, 'tags are the operator\'s only');
      assert.deepEqual(st.reportedTags, { team: 'b', rack: '7' }, 'the report\'s tags are shown apart');
      const now = new Date(T0 + DAY / 2);
      const cap1 = await store.capacityData(now, 7);
      const perf1 = await store.performanceData('2026-12-01');
      assert.equal(cap1.volumes.length, 3);
      assert.equal(perf1.hosts[0]!.samples, 1);
      assert.equal(perf1.disks.length, 2);

      const out = await store.ingest([{ hostId: host.id, receivedAt: new Date(recv.getTime() + 5000), source: 'push', report: r }]);
      assert.deepEqual(out, ['duplicate']);
      assert.deepEqual((await store.capacityData(now, 7)).volumes, cap1.volumes, 'latest and sums unchanged');
      assert.deepEqual(await store.performanceData('2026-12-01'), perf1, 'history unchanged');
      const st2 = (await store.hostStatuses())[0]!;
      assert.equal(st2.source, 'pull-agent', 'a replay does not change the source');
      assert.equal(st2.lastSampledAt?.toISOString(), r.sampled_at);
    });

    withStore('a report never changes the operator\'s tags: a host reporting role=web stays role=mysql, its own tags kept apart', async ({ store }) => {
      // Security: the host writes its report, so a tag it reports must not override the one the
      // operator enrolled it with (that would let a host opt out of, or into, a fleet run).
      const { host } = await store.enrollHost('db-1', 'h1', { role: 'mysql' });
      await store.ingest([item(host.id, testReport('db-1', T0, { tags: { role: 'web', rack: '7' } }))]);
      const st = (await store.hostStatuses())[0]!;
      assert.deepEqual(st.tags, { role: 'mysql' });
      assert.deepEqual(st.reportedTags, { role: 'web', rack: '7' });
      // Re-enrolment with tags replaces the operator's tags and leaves the reported ones alone.
      await store.enrollHost('db-1', 'h2', { role: 'pg' });
      const st2 = (await store.hostStatuses())[0]!;
      assert.deepEqual([st2.tags, st2.reportedTags], [{ role: 'pg' }, { role: 'web', rack: '7' }]);
      const cap = await store.capacityData(new Date(T0 + MIN), 7);
      assert.deepEqual(cap.hosts.map((h) => [h.host, h.tags, h.reportedTags]), [['db-1', { role: 'pg' }, { role: 'web', rack: '7' }]]);
    });

    withStore('several reports of a host in one batch, in-batch replays, unknown hosts', async ({ store }) => {
      const { host } = await store.enrollHost('h', 't');
      const reps = [3, 1, 2, 3].map((m) => testReport('h', T0 + m * MIN, { devices: [testDevice('/data', m * GiB, { role: 'binlog' })] }));
      const out = await store.ingest([...reps.map((r) => item(host.id, r)), item(99_999, testReport('ghost', T0))]);
      assert.deepEqual(out, ['stored', 'stored', 'stored', 'duplicate', 'duplicate']);
      const cap = await store.capacityData(new Date(T0 + 10 * MIN), 1);
      const v = cap.volumes[0]!;
      assert.equal(v.usedBytes, 3 * GiB, 'latest is the newest of the batch');
      assert.equal(v.trend?.n, 3);
      assert.deepEqual(v.daily, [{ day: '2026-12-01', maxUsedBytes: 3 * GiB, minUsedBytes: 1 * GiB, maxUsePct: (3 * GiB) / (1000 * GiB) * 100 }]);
      assert.equal(v.windowPeakUsePct, (3 * GiB) / (1000 * GiB) * 100);
      const perf = await store.performanceData('2026-12-01');
      assert.equal(perf.filesystems[0]!.growthBytes, 2 * GiB, 'growth = last - first by sample time');
      assert.equal((await store.hostStatuses())[0]!.lastSampledAt?.getTime(), T0 + 3 * MIN);
    });

    withStore('an old (spooled) report fills history but never moves latest back', async ({ store }) => {
      const { host } = await store.enrollHost('h', 't');
      await store.ingest([item(host.id, testReport('h', T0 + 60 * MIN, { tags: { v: 'new' }, devices: [testDevice('/data', 50 * GiB, { role: 'binlog' })] }))]);
      const out = await store.ingest([item(host.id, testReport('h', T0 + 30 * MIN, { tags: { v: 'old' }, devices: [testDevice('/data', 40 * GiB, { role: 'binlog' }), testDevice('/old', 1)] }), new Date(T0 + 61 * MIN))]);
      assert.deepEqual(out, ['stored']);
      const cap = await store.capacityData(new Date(T0 + 2 * 60 * MIN), 7);
      assert.deepEqual(cap.volumes.map((v) => [v.mountpoint, v.usedBytes]), [['/data', 50 * GiB]]);
      assert.equal(cap.volumes[0]!.trend?.n, 2, 'history has both');
      assert.equal(cap.volumes[0]!.daily[0]!.minUsedBytes, 40 * GiB);
      const st = (await store.hostStatuses())[0]!;
      assert.equal(st.lastSampledAt?.getTime(), T0 + 60 * MIN);
      assert.deepEqual(st.reportedTags, { v: 'new' });
      assert.equal(st.lastSeen?.getTime(), T0 + 61 * MIN);
      assert.equal((await store.performanceData('2026-12-01')).hosts[0]!.samples, 2);
    });

    withStore('a device missing from the newest report leaves latest', async ({ store }) => {
      const { host } = await store.enrollHost('h', 't');
      await store.ingest([item(host.id, testReport('h', T0))]);
      await store.ingest([item(host.id, testReport('h', T0 + MIN, { devices: [testDevice('/', 10 * GiB), testDevice('/data2', 5 * GiB)] }))]);
      const cap = await store.capacityData(new Date(T0 + 2 * MIN), 7);
      assert.deepEqual(cap.volumes.map((v) => v.mountpoint), ['/', '/data2']);
      assert.deepEqual(cap.volumes.map((v) => v.daily), [[], []], 'daily extremes are for binlog volumes only');
    });

    withStore('last_seen is the latest receive time and never moves back', async ({ store }) => {
      const { host } = await store.enrollHost('h', 't');
      await store.ingest([item(host.id, testReport('h', T0), new Date(T0 + 10 * MIN))]);
      await store.ingest([item(host.id, testReport('h', T0 + MIN), new Date(T0 + 5 * MIN))]);
      const st = (await store.hostStatuses())[0]!;
      assert.equal(st.lastSeen?.getTime(), T0 + 10 * MIN);
      assert.equal(st.lastSampledAt?.getTime(), T0 + MIN);
    });

    withStore('a report older than the retention is expired: only last_seen moves', async ({ store }) => {
      const { host } = await store.enrollHost('h', 't');
      const recv = new Date(T0 + 100 * DAY);
      const out = await store.ingest([item(host.id, testReport('h', T0), recv), item(host.id, testReport('h', recv.getTime() - MIN), recv)]);
      assert.deepEqual(out, ['expired', 'stored']);
      const st = (await store.hostStatuses())[0]!;
      assert.equal(st.lastSeen?.getTime(), recv.getTime());
      assert.equal((await store.performanceData('2026-12-01')).hosts.length, 0);
      assert.ok(!(await store.listPartitions()).includes('system_samples_p20261201'), 'no partition created for it');
    });

    withStore('recordHostError shows beside the host', async ({ store }) => {
      const { host } = await store.enrollHost('h', 't');
      await store.recordHostError(host.id, new Date(T0), 'clock skew 3600 s');
      const st = (await store.hostStatuses())[0]!;
      assert.equal(st.lastError, 'clock skew 3600 s');
      assert.equal(st.lastErrorAt?.getTime(), T0);
    });

    withStore('partition maintenance creates days ahead and drops whole old days only', async ({ store }) => {
      const { host } = await store.enrollHost('h', 't');
      const now = T0 + 20 * DAY + 3600_000; // 2026-12-21 01:00
      for (const d of [0, 10, 19, 20]) await store.ingest([item(host.id, testReport('h', T0 + d * DAY + 3600_000), new Date(now))]);
      const m = await store.maintainPartitions(new Date(now), 5);
      assert.deepEqual([...m.dropped].sort(), ['device_daily_p20261201', 'device_daily_p20261211', 'disk_samples_p20261201', 'disk_samples_p20261211', 'system_samples_p20261201', 'system_samples_p20261211']);
      assert.deepEqual([...m.created].sort(), ['device_daily_p20261222', 'device_daily_p20261223', 'disk_samples_p20261222', 'disk_samples_p20261223', 'system_samples_p20261222', 'system_samples_p20261223']);
      const parts = await store.listPartitions();
      assert.deepEqual(parts, ['system_samples_p20261220', 'disk_samples_p20261220', 'device_daily_p20261220', ...['21', '22', '23'].flatMap((d) => ['system', 'disk'].map((t) => `${t}_samples_p202612${d}`).concat(`device_daily_p202612${d}`))]);
      assert.equal((await store.performanceData('2026-12-01')).hosts.length, 0);
      assert.equal((await store.performanceData('2026-12-20')).hosts[0]?.samples, 1);
      assert.equal((await store.performanceData('2026-12-21')).hosts[0]?.samples, 1);
      const again = await store.maintainPartitions(new Date(now), 5);
      assert.deepEqual(again, { created: [], dropped: [] }, 'idempotent');
      // Ingest into a day whose partition was dropped by maintenance still works once it is in the window.
      assert.deepEqual(await store.ingest([item(host.id, testReport('h', T0 + 18 * DAY), new Date(now))]), ['stored']);
    });

    withStore('regression sums give the exact slope of a linear series across days', async ({ store }) => {
      const { host } = await store.enrollHost('h', 't');
      const start = T0 - 6 * DAY + 7 * MIN; // crosses 7 UTC days, not aligned to midnight
      const items: IngestItem[] = [];
      for (let t = start; t <= T0 + 12 * 3600_000; t += 10 * MIN) {
        const used = 200 * GiB + Math.round(((t - start) / DAY) * GiB);
        items.push(item(host.id, testReport('h', t, { system: null, devices: [testDevice('/data', used, { role: 'binlog' })] })));
      }
      for (let i = 0; i < items.length; i += 300) await store.ingest(items.slice(i, i + 300));
      const now = new Date(T0 + 12 * 3600_000 + MIN);
      const cap = await store.capacityData(now, 7);
      const v = cap.volumes[0]!;
      assert.equal(v.trend?.n, items.length);
      const slopePerDay = slopeOf(v.trend!) * 86_400;
      assert.ok(Math.abs(slopePerDay - GiB) / GiB < 1e-6, `slope ${slopePerDay} vs ${GiB}`);
      // Intercept at x = 0 (windowStart): the series' value there.
      const s = v.trend!;
      const b = (s.sy - slopeOf(s) * s.sx) / s.n;
      const expected = 200 * GiB + ((cap.windowStart.getTime() - start) / DAY) * GiB;
      assert.ok(Math.abs(b - expected) < 4096, `intercept ${b} vs ${expected}`);
      assert.equal(v.daily.length, 7);
      assert.equal(v.daily[0]!.day, '2026-11-25');
      // A 2-day window only sums the days it overlaps.
      const short = (await store.capacityData(now, 2)).volumes[0]!;
      assert.equal(short.daily.length, 3);
      assert.ok(Math.abs(slopeOf(short.trend!) * 86_400 - GiB) / GiB < 1e-6);
    });

    withStore('performance aggregates: avg, p95, max, disks, filesystems, silent hosts', async ({ store }) => {
      // Enrolled the day before: the wall clock must not decide which hosts count as silent.
      const { host } = await store.enrollHost('busy', 't1', undefined, new Date(T0 - DAY));
      await store.enrollHost('quiet', 't2', undefined, new Date(T0 - DAY));
      await store.enrollHost('later', 't3', undefined, new Date(T0 + DAY + MIN));
      const items: IngestItem[] = [];
      for (let v = 1; v <= 100; v++) items.push(item(host.id, testReport('busy', T0 + (101 - v) * 10 * MIN, { system: testSystem(v, ['sda']), devices: [testDevice('/data', v * GiB)] })));
      await store.ingest(items);
      const p = await store.performanceData('2026-12-01');
      assert.deepEqual(p.silentHosts, ['quiet'], 'a host enrolled after the day is not silent that day');
      assert.deepEqual((await store.performanceData('2026-12-02')).silentHosts, ['busy', 'later', 'quiet']);
      const h = p.hosts[0]!;
      assert.equal(h.host, 'busy');
      assert.equal(h.samples, 100);
      assert.equal(h.cpus, 4);
      const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
      close(h.user.avg, 50.5);
      close(h.user.p95, 95.05);
      close(h.user.max, 100);
      close(h.system.p95, 95.05 / 2);
      close(h.load1.max, 10);
      close(h.memUsedPct.avg, 50.5);
      const d = p.disks[0]!;
      assert.equal(d.device, 'sda');
      assert.equal(d.samples, 100);
      close(d.utilPct.p95, 95.05);
      close(d.writeBytesPerS.max, 200_000);
      const fs = p.filesystems[0]!;
      assert.equal(fs.mountpoint, '/data');
      assert.equal(fs.maxUsedBytes, 100 * GiB);
      assert.equal(fs.growthBytes, -99 * GiB, 'samples go down over the day: the first (v=100) to the last (v=1)');
      await assert.rejects(store.performanceData('2026-13-01'), (e) => isVigiaError(e, 'CONTROL_ERR_INVALID_DAY'));
      // A real day the database cannot take (year 0) or whose next day has five digits: refused before any SQL.
      for (const day of ['0000-01-01', '9999-12-31']) await assert.rejects(store.performanceData(day), (e) => isVigiaError(e, 'CONTROL_ERR_INVALID_DAY'), day);
      const empty = await store.performanceData('2026-11-01');
      assert.deepEqual(empty.hosts, []);
    });

    withStore('hosts whose reports have no system figures stay visible and are not silent; busy is the p95 of user + system', async ({ store }) => {
      const before = new Date(T0 - DAY);
      const cpu = (await store.enrollHost('cpu', 't1', undefined, before)).host;
      const nocpu = (await store.enrollHost('nocpu', 't2', undefined, before)).host;
      await store.enrollHost('quiet', 't3', undefined, before);
      const items: IngestItem[] = [];
      for (let v = 1; v <= 100; v++) {
        // user and system move against each other: their sum is always 50, the sum of their p95s ~95.
        const sys = testSystem(10, ['sda']);
        items.push(item(cpu.id, testReport('cpu', T0 + v * MIN, { system: { ...sys, cpu: { ...sys.cpu, user_pct: v / 2, system_pct: 50 - v / 2, idle_pct: 50 - sys.cpu.iowait_pct } } })));
        items.push(item(nocpu.id, testReport('nocpu', T0 + v * MIN, { system: null })));
      }
      await store.ingest(items);
      const p = await store.performanceData('2026-12-01');
      assert.deepEqual(p.hosts.map((h) => h.host), ['cpu']);
      assert.deepEqual(p.hostsWithoutSystem, ['nocpu']);
      assert.deepEqual(p.silentHosts, ['quiet']);
      assert.equal(p.hosts.length + p.hostsWithoutSystem.length + p.silentHosts.length, 3, 'every enrolled host is counted once');
      const b = p.hosts[0]!.busy;
      const close = (a: number, e: number): void => assert.ok(Math.abs(a - e) < 1e-9, `${a} vs ${e}`);
      close(b.avg, 50);
      close(b.p95, 50);
      close(b.max, 50);
      assert.ok(p.hosts[0]!.user.p95 + p.hosts[0]!.system.p95 > 90, 'the sum of p95s would have overstated it');
    });

    withStore('the trend window starts at 00:00Z of its first day: every point has x >= 0', async ({ store }) => {
      const { host } = await store.enrollHost('h', 't');
      const now = new Date(T0 + 12 * 3600_000); // 2026-12-01 12:00
      const early = T0 - 7 * DAY + 3600_000; // 2026-11-24 01:00: before now - 7 d, same UTC day as it
      await store.ingest([item(host.id, testReport('h', early, { devices: [testDevice('/data', 10 * GiB)] }))]);
      const cap = await store.capacityData(now, 7);
      assert.equal(cap.windowStart.toISOString(), '2026-11-24T00:00:00.000Z');
      const t = cap.volumes[0]!.trend!;
      assert.equal(t.n, 1);
      assert.equal(t.sx, (early - cap.windowStart.getTime()) / 1000);
      assert.ok(t.sx >= 0);
    });

    // The keys (host_id, mountpoint[, day]) are btree entries, at most 2704 bytes: what bounds a
    // mountpoint is its UTF-8 size. 1024 chars of CJK are ~3 KB and fail the batch with 54000, so the
    // wire limit must count bytes (1024 bytes here), not chars.
    withStore('mountpoints and devices at the wire limit (1024 UTF-8 bytes) are stored', async ({ store }) => {
      const { host } = await store.enrollHost('h', 't');
      const ascii = '/' + 'm'.repeat(1023);
      // Pseudo-random BMP letters (3 UTF-8 bytes each, barely compressible): 341 of them + '/' = 1024 bytes.
      let seed = 1;
      const wide = '/' + Array.from({ length: 341 }, () => String.fromCharCode(0x4e00 + ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 20000))).join('');
      const out = await store.ingest([
        item(host.id, testReport('h', T0, { devices: [testDevice(ascii, GiB, { device: 'd'.repeat(1024) })] })),
        item(host.id, testReport('h', T0 + MIN, { devices: [testDevice(ascii, GiB), testDevice(wide, GiB, { device: wide })] })),
      ]);
      assert.deepEqual(out, ['stored', 'stored']);
      const cap = await store.capacityData(new Date(T0 + 2 * MIN), 7);
      assert.deepEqual(cap.volumes.map((v) => Buffer.byteLength(v.mountpoint)).sort(), [1024, 1024]);
    });

    withStore('concurrent batches with shared hosts and shared reports', async ({ store }) => {
      const ids: number[] = [];
      for (let i = 0; i < 20; i++) ids.push((await store.enrollHost(`c-${i}`, `t-${i}`)).host.id);
      const shared = testReport('c-0', T0 + 1000 * MIN);
      const batches = [0, 1, 2, 3, 4, 5].map((k) => [
        ...ids.map((id, i) => item(id, testReport(`c-${i}`, T0 + k * MIN, { devices: [testDevice('/data', (k + 1) * GiB)] }))).reverse(),
        item(ids[0]!, shared),
      ]);
      const outs = await Promise.all(batches.map((b) => store.ingest(b)));
      const storedShared = outs.filter((o) => o[o.length - 1] === 'stored').length;
      assert.equal(storedShared, 1, 'the shared report is stored exactly once');
      for (const o of outs) assert.deepEqual(o.slice(0, -1), new Array(20).fill('stored'));
      const p = await store.performanceData('2026-12-01');
      assert.equal(p.hosts.length, 20);
      assert.deepEqual(p.hosts.map((h) => h.samples).sort((a, b) => a - b), [...new Array(19).fill(6), 7]);
      const cap = await store.capacityData(new Date(T0 + DAY / 2), 7);
      for (const v of cap.volumes.filter((x) => x.mountpoint === '/data')) assert.equal(v.usedBytes, v.host === 'c-0' ? 100 * GiB : 6 * GiB, v.host);
      assert.equal(cap.volumes.length, 19 + 3, 'c-0 has the shared report\'s three volumes');
    });

    withStore('the running table answers capacity exactly as the daily rows do', async ({ store, dailyReader }) => {
      const now = await ingestMixedHistory(store);
      const daily = dailyReader();
      for (const w of [1, 2, 7]) {
        const want = await daily.capacityData(now, w);
        assert.ok(want.volumes.some((v) => v.daily.length > 0 && v.trend !== null));
        assertSameCapacity(await store.capacityData(now, w), want, now, w);
        // a report made later, once some hosts are silent for longer, too
        const later = new Date(now.getTime() + 2 * DAY);
        assertSameCapacity(await store.capacityData(later, w), await daily.capacityData(later, w), later, w);
      }
      // A window longer than the running table holds reads the daily rows: same answer by construction.
      assertSameCapacity(await store.capacityData(now, 10), await daily.capacityData(now, 10), now, 10);
    });

    withStore('the running table: maintenance drops rows no window reads; the migration backfill rebuilds it', async ({ store, exec, dailyReader }) => {
      const now = await ingestMixedHistory(store);
      const daily = dailyReader();
      await store.maintainPartitions(now, 90);
      assertSameCapacity(await store.capacityData(now, 7), await daily.capacityData(now, 7), now, 7);
      // The 7-day window is read from the running table: emptied, the answer changes ...
      await exec('DELETE FROM volume_trend');
      assert.notDeepEqual(JSON.stringify(await store.capacityData(now, 7)), JSON.stringify(await daily.capacityData(now, 7)), 'the capacity report reads volume_trend');
      // ... and the migration's backfill rebuilds it.
      await exec(VOLUME_TREND_BACKFILL);
      assertSameCapacity(await store.capacityData(now, 7), await daily.capacityData(now, 7), now, 7);
      const { host } = await store.enrollHost('mix-0', 'mix-t-0b');
      await store.ingest([item(host.id, testReport('mix-0', now.getTime(), { system: null, devices: [testDevice('/data', 900 * GiB)] }))]);
      assertSameCapacity(await store.capacityData(now, 7), await daily.capacityData(now, 7), now, 7);
      assert.equal(await store.removeHost('mix-0'), true);
      assertSameCapacity(await store.capacityData(now, 7), await daily.capacityData(now, 7), now, 7);
    });

    withStore('capacity rows keep free text with tabs, newlines and separators intact', async ({ store }) => {
      const { host } = await store.enrollHost('h', 't');
      const odd = '/mnt/a\tb;c,d\ne';
      await store.ingest([item(host.id, testReport('h', T0, { devices: [testDevice(odd, 5 * GiB, { device: 'dev\t1,2;3', fstype: 'x\ty', role: 'binlog' }), testDevice('/err', null)] }))]);
      const cap = await store.capacityData(new Date(T0 + MIN), 7);
      const v = cap.volumes.find((x) => x.mountpoint === odd)!;
      assert.deepEqual([v.device, v.fstype, v.role, v.usedBytes, v.trend?.n, v.daily.length], ['dev\t1,2;3', 'x\ty', 'binlog', 5 * GiB, 1, 1]);
      const e = cap.volumes.find((x) => x.mountpoint === '/err')!;
      assert.deepEqual([e.usedBytes, e.usePct, e.error, e.trend, e.windowPeakUsePct], [null, null, 'STATFS_TIMEOUT', null, null]);
    });

    withStore('a database migrated by a newer build is refused', async ({ store, exec }) => {
      await store.migrate(); // idempotent
      await exec(`INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')`);
      await assert.rejects(store.migrate(), (e) => isVigiaError(e, 'CONTROL_ERR_SCHEMA_TOO_NEW') && /999/.test(e.message));
    });
  });
}
