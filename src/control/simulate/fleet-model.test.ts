import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostReport } from '../../core/contracts/host-report.js';
import { createFleetModel, SIMULATED_TAG } from './fleet-model.js';

const ANCHOR = Date.UTC(2026, 11, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const vol = (r: ReturnType<ReturnType<typeof createFleetModel>['reportAt']>, role: string) => r.devices.find((d) => d.role === role)!;

test('names are sim-00001.. and widen past 99999 hosts', () => {
  const m = createFleetModel({ hosts: 3, seed: 1 });
  assert.deepEqual([0, 1, 2].map((i) => m.hostName(i)), ['sim-00001', 'sim-00002', 'sim-00003']);
  assert.equal(createFleetModel({ hosts: 123_456, seed: 1 }).hostName(0), 'sim-000001');
  assert.throws(() => m.reportAt(3, ANCHOR), RangeError);
  assert.throws(() => createFleetModel({ hosts: 0, seed: 1 }), RangeError);
});

test('reports are a pure function of seed, host and time', () => {
  const a = createFleetModel({ hosts: 50, seed: 7, anchorMs: ANCHOR });
  const b = createFleetModel({ hosts: 50, seed: 7, anchorMs: ANCHOR });
  const c = createFleetModel({ hosts: 50, seed: 8, anchorMs: ANCHOR });
  const t = ANCHOR + 5 * HOUR + 1234;
  // Ask b in another order first: no hidden state may leak between calls.
  b.reportAt(49, t - DAY);
  b.reportAt(3, t + DAY);
  for (const i of [0, 3, 17, 49]) assert.deepEqual(a.reportAt(i, t), b.reportAt(i, t));
  assert.notDeepEqual(a.reportAt(3, t).system, c.reportAt(3, t).system);
  assert.equal(a.reportAt(3, t).sampled_at, new Date(t).toISOString());
});

test('every report validates against the wire contract, over a week and 200 hosts', () => {
  const m = createFleetModel({ hosts: 200, seed: 42, anchorMs: ANCHOR, dyingFraction: 0.05 });
  for (let i = 0; i < 200; i++) {
    for (const t of [ANCHOR - 7 * DAY, ANCHOR - 13 * HOUR + 777, ANCHOR, ANCHOR + 3 * DAY + 5 * HOUR, ANCHOR + 90 * DAY]) {
      const r = parseHostReport(JSON.parse(JSON.stringify(m.reportAt(i, t, 30))));
      assert.ok(r.ok, `host ${i} at ${t}: ${r.ok ? '' : r.problems.join('; ')}`);
    }
  }
});

test('data volumes grow roughly linearly at a per-host rate; some hosts are near full', () => {
  const m = createFleetModel({ hosts: 500, seed: 3, anchorMs: ANCHOR });
  let nearFull = 0;
  const rates: number[] = [];
  for (let i = 0; i < 500; i++) {
    const p = m.profile(i);
    const d0 = vol(m.reportAt(i, ANCHOR), 'data');
    const d10 = vol(m.reportAt(i, ANCHOR + 10 * DAY), 'data');
    const grown = (d10.used_bytes! - d0.used_bytes!) / 10;
    const headroom = 0.995 * p.dataSizeBytes - d0.used_bytes!;
    // Within noise (±0.3 % of size per sample), unless the disk filled up in between.
    if (p.dataGrowthBytesPerDay * 10 < headroom - 0.01 * p.dataSizeBytes) {
      assert.ok(Math.abs(grown - p.dataGrowthBytesPerDay) <= (0.006 * p.dataSizeBytes) / 10 + 1, `host ${i}: grew ${grown}/day, model ${p.dataGrowthBytesPerDay}`);
    }
    assert.ok(d10.used_bytes! <= p.dataSizeBytes);
    if (d0.use_pct! >= 90) nearFull++;
    rates.push(p.dataGrowthBytesPerDay);
  }
  assert.ok(nearFull >= 3 && nearFull <= 40, `near-full hosts: ${nearFull}`);
  assert.ok(Math.min(...rates) < 0.05 * 1024 ** 3, 'some hosts barely grow');
  assert.ok(Math.max(...rates) > 2 * 1024 ** 3, 'some hosts grow by GiBs a day');
});

test('binlog volumes are a daily saw-tooth: grow through the day, drop at the purge hour', () => {
  const m = createFleetModel({ hosts: 20, seed: 5, anchorMs: ANCHOR });
  for (let i = 0; i < 20; i++) {
    const p = m.profile(i);
    const purge = ANCHOR + DAY + p.binlogPurgeHour * HOUR;
    const before = vol(m.reportAt(i, purge - 60_000), 'binlog').used_bytes!;
    const after = vol(m.reportAt(i, purge + 60_000), 'binlog').used_bytes!;
    const later = vol(m.reportAt(i, purge + 12 * HOUR), 'binlog').used_bytes!;
    assert.ok(after < before * 0.6, `host ${i}: purge drops usage (${before} -> ${after})`);
    assert.ok(later > after, `host ${i}: grows after the purge`);
    // Same phase of the next day: same usage (a periodic saw-tooth, not a ramp).
    assert.equal(vol(m.reportAt(i, purge + 12 * HOUR + DAY), 'binlog').used_bytes, later);
  }
});

test('CPU follows a daily cycle; high-iowait hosts exist and wait on disks', () => {
  const m = createFleetModel({ hosts: 400, seed: 11, anchorMs: ANCHOR });
  let highIo = 0;
  let cycled = 0;
  for (let i = 0; i < 400; i++) {
    const p = m.profile(i);
    const busyAt = (h: number) => {
      const c = m.reportAt(i, ANCHOR + h * HOUR).system!.cpu;
      return c.user_pct + c.system_pct;
    };
    const hours = Array.from({ length: 24 }, (_, h) => busyAt(h));
    if (Math.max(...hours) - Math.min(...hours) > 3) cycled++;
    const s = m.reportAt(i, ANCHOR + 6 * HOUR).system!;
    const sum = s.cpu.user_pct + s.cpu.system_pct + s.cpu.iowait_pct + s.cpu.steal_pct + s.cpu.idle_pct;
    assert.ok(Math.abs(sum - 100) < 0.05, `cpu shares sum to ${sum}`);
    if (p.highIowait) {
      highIo++;
      assert.ok(s.cpu.iowait_pct >= 3 && s.disks.every((d) => d.await_ms >= 20), `host ${i} high iowait`);
    } else assert.ok(s.cpu.iowait_pct <= 5);
    assert.deepEqual(s.disks.map((d) => d.device), ['sda', 'sdb']);
  }
  assert.ok(highIo >= 2 && highIo <= 30, `high-iowait hosts: ${highIo}`);
  assert.ok(cycled > 300, `hosts with a daily cycle: ${cycled}`);
});

test('dying hosts stop at a fixed moment inside the window; the others never do', () => {
  const m = createFleetModel({ hosts: 1000, seed: 9, anchorMs: ANCHOR, dyingFraction: 0.01, dyingWindowMs: 120_000 });
  const dying = Array.from({ length: 1000 }, (_, i) => m.profile(i)).filter((p) => p.diesAtMs !== null);
  assert.ok(dying.length >= 3 && dying.length <= 25, `dying: ${dying.length}`);
  for (const p of dying) {
    assert.ok(p.diesAtMs! > ANCHOR + 11_000 && p.diesAtMs! < ANCHOR + 109_000);
    assert.equal(m.isAlive(p.index, ANCHOR - DAY), true, 'alive in backfilled history');
    assert.equal(m.isAlive(p.index, p.diesAtMs! - 1), true);
    assert.equal(m.isAlive(p.index, p.diesAtMs!), false);
  }
  const none = createFleetModel({ hosts: 1000, seed: 9, dyingFraction: 0 });
  assert.ok(Array.from({ length: 1000 }, (_, i) => none.isAlive(i, Date.UTC(2030, 0, 1))).every(Boolean));
});

test('every simulated host carries the operator tag simulated=true (so the simulated fleet can be selected and removed)', () => {
  const m = createFleetModel({ hosts: 50, seed: 7 });
  for (let i = 0; i < 50; i++) assert.equal(m.profile(i).tags[SIMULATED_TAG.key], SIMULATED_TAG.value);
});
