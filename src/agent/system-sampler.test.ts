import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from '../core/log.js';
import { COLLECTOR_NAMES, COLLECTORS } from './collectors/registry.js';
import { reportableSystem } from '../core/contracts/agent-api.js';
import { SystemSampler, computeSystemAnswer, computeSystemView, isCompleteSystemView, type SystemAnswer, type SystemSnapshot, type SystemView } from './system-sampler.js';
import type { CpuTimes, ProcStat } from './collectors/proc-stat.js';
import type { DiskStat } from './collectors/diskstats.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/host-a', import.meta.url));
const roots = { rootfs: FIXTURE, procfs: `${FIXTURE}/proc`, sysfs: `${FIXTURE}/sys`, udevData: `${FIXTURE}/run/udev/data` };

function cpu(t: Partial<CpuTimes>): CpuTimes {
  return { cpu: '', user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0, ...t };
}
function stat(total: Partial<CpuTimes>, cpus = 2): ProcStat {
  return { total: cpu(total), cpus: Array.from({ length: cpus }, (_, i) => cpu({ cpu: String(i) })), bootTimeSeconds: 1700000000, contextSwitches: 0, forks: 0, procsRunning: 0, procsBlocked: 0 };
}
function disk(device: string, d: Partial<DiskStat>): DiskStat {
  return { major: 8, minor: 0, device, readsCompleted: 0, readsMerged: 0, sectorsRead: 0, readTimeMs: 0, writesCompleted: 0, writesMerged: 0, sectorsWritten: 0, writeTimeMs: 0, ioInProgress: 0, ioTimeMs: 0, weightedIoTimeMs: 0, ...d };
}
const snap = (at: number, s: ProcStat, diskstats: DiskStat[] = []): SystemSnapshot => ({ at, stat: s, diskstats });
const MEM = { MemTotal: 1000, MemAvailable: 250, MemFree: 100, Buffers: 50, Cached: 100, SwapTotal: 400, SwapFree: 300 };
const LOAD = { load1: 1, load5: 2, load15: 3 };
const UP = { uptimeSeconds: 99 };

/** The answer, asserted to have every section (every collector on and answering). */
function complete(a: SystemAnswer): SystemView {
  assert.ok(isCompleteSystemView(a), `sections: ${Object.keys(a).join(', ')}`);
  return a;
}

const cpuCases: { name: string; prev: Partial<CpuTimes>; cur: Partial<CpuTimes>; want: Record<string, number> }[] = [
  {
    name: 'shares of the total delta',
    prev: { user: 10, system: 5, idle: 100 },
    cur: { user: 14, system: 6, idle: 103, iowait: 1, steal: 0.5, nice: 0.5, irq: 0, softirq: 0 },
    want: { user_pct: 40, system_pct: 10, idle_pct: 30, iowait_pct: 10, steal_pct: 5, nice_pct: 5, irq_pct: 0, softirq_pct: 0, cpus: 2 },
  },
  {
    name: 'guest time is inside user and not counted twice',
    prev: {},
    cur: { user: 5, guest: 5, idle: 5 },
    want: { user_pct: 50, system_pct: 0, idle_pct: 50, iowait_pct: 0, steal_pct: 0, nice_pct: 0, irq_pct: 0, softirq_pct: 0, cpus: 2 },
  },
  {
    name: 'no time passed: idle 100, others 0',
    prev: { user: 3 },
    cur: { user: 3 },
    want: { user_pct: 0, system_pct: 0, idle_pct: 100, iowait_pct: 0, steal_pct: 0, nice_pct: 0, irq_pct: 0, softirq_pct: 0, cpus: 2 },
  },
];
for (const c of cpuCases) {
  test(`computeSystemView cpu: ${c.name}`, () => {
    const v = computeSystemView(snap(0, stat(c.prev)), snap(10_000, stat(c.cur)), MEM, LOAD, UP);
    assert.deepEqual(v.cpu, c.want);
  });
}

const diskCases: { name: string; prev: Partial<DiskStat> | null; cur: Partial<DiskStat>; ms: number; want: Record<string, unknown> }[] = [
  {
    name: 'iostat-like rates, await and util',
    prev: { readsCompleted: 100, writesCompleted: 100, sectorsRead: 0, sectorsWritten: 0, readTimeMs: 0, writeTimeMs: 0, ioTimeMs: 0 },
    cur: { readsCompleted: 300, writesCompleted: 500, sectorsRead: 2000, sectorsWritten: 4000, readTimeMs: 400, writeTimeMs: 2600, ioTimeMs: 5000, ioInProgress: 3 },
    ms: 10_000,
    want: { device: 'sda', reads_per_s: 20, writes_per_s: 40, read_bytes_per_s: 102400, write_bytes_per_s: 204800, await_ms: 5, util_pct: 50, in_flight: 3 },
  },
  {
    name: 'no io: await 0; util capped at 100',
    prev: { ioTimeMs: 0 },
    cur: { ioTimeMs: 20_000 },
    ms: 10_000,
    want: { device: 'sda', reads_per_s: 0, writes_per_s: 0, read_bytes_per_s: 0, write_bytes_per_s: 0, await_ms: 0, util_pct: 100, in_flight: 0 },
  },
  {
    name: 'device new since prev: zero rates',
    prev: null,
    cur: { readsCompleted: 1000, ioTimeMs: 1000 },
    ms: 1000,
    want: { device: 'sda', reads_per_s: 0, writes_per_s: 0, read_bytes_per_s: 0, write_bytes_per_s: 0, await_ms: 0, util_pct: 0, in_flight: 0 },
  },
  {
    name: 'counter reset: negative delta counts 0',
    prev: { readsCompleted: 1000, readTimeMs: 500 },
    cur: { readsCompleted: 10, readTimeMs: 5 },
    ms: 1000,
    want: { device: 'sda', reads_per_s: 0, writes_per_s: 0, read_bytes_per_s: 0, write_bytes_per_s: 0, await_ms: 0, util_pct: 0, in_flight: 0 },
  },
];
for (const c of diskCases) {
  test(`computeSystemView disks: ${c.name}`, () => {
    const prev = c.prev ? [disk('sda', c.prev)] : [];
    const v = computeSystemView(snap(0, stat({}), prev), snap(c.ms, stat({}), [disk('sda', c.cur)]), MEM, LOAD, UP);
    assert.deepEqual(v.disks, [c.want]);
  });
}

test('computeSystemView: excluded devices (partitions, loop) are left out; memory, swap, load, uptime', () => {
  const disks = [disk('sda', {}), disk('sda1', {}), disk('loop0', {}), disk('dm-0', {})];
  const v = computeSystemView(snap(0, stat({}), disks), snap(2000, stat({}), disks), MEM, LOAD, UP);
  assert.deepEqual(v.disks.map((d) => d.device), ['sda', 'dm-0']);
  assert.equal(v.interval_seconds, 2);
  assert.deepEqual(v.memory, { total_bytes: 1000, available_bytes: 250, used_bytes: 750, used_pct: 75, free_bytes: 100, buffers_bytes: 50, cached_bytes: 100 });
  assert.deepEqual(v.swap, { total_bytes: 400, free_bytes: 300, used_bytes: 100, used_pct: 25 });
  assert.deepEqual(v.load, LOAD);
  assert.equal(v.uptime_seconds, 99);
  assert.equal(v.boot_time_seconds, 1700000000);
});

test('computeSystemView: no MemAvailable (old kernel) falls back to free+buffers+cached; no swap is 0%', () => {
  const v = computeSystemView(snap(0, stat({})), snap(1000, stat({})), { MemTotal: 1000, MemFree: 100, Buffers: 50, Cached: 100 }, LOAD, UP);
  assert.equal(v.memory.available_bytes, 250);
  assert.deepEqual(v.swap, { total_bytes: 0, free_bytes: 0, used_bytes: 0, used_pct: 0 });
});

test('SystemSampler.view with one snapshot takes a second one >= 250 ms later', async () => {
  const s = new SystemSampler({ roots, intervalMs: 60_000 });
  s.start();
  const t0 = Date.now();
  const v = complete(await s.view());
  s.stop();
  assert.ok(Date.now() - t0 >= 240);
  assert.ok(v.interval_seconds >= 0.24 && v.interval_seconds < 5, String(v.interval_seconds));
  assert.equal(v.cpu.cpus, 2);
  assert.equal(v.cpu.idle_pct, 100); // the fixture does not change
  assert.deepEqual(v.disks.map((d) => d.device), ['sda', 'sdb', 'dm-0', 'dm-1', 'nvme0n1', 'sr0']);
  assert.equal(v.memory.total_bytes, 32780260 * 1024);
  assert.equal(s.latest()?.stat?.bootTimeSeconds, 1764489600);
});

test('SystemSampler uses its clock and the timer keeps sampling', async () => {
  let now = 0;
  const s = new SystemSampler({ roots, intervalMs: 20, clock: () => (now += 1000) });
  s.start();
  await new Promise((r) => setTimeout(r, 120));
  s.stop();
  const v = await s.view();
  assert.equal(v.interval_seconds, 1);
  assert.ok(s.latest()!.at >= 3000);
});

test('SystemSampler on the real /proc gives sane numbers', async () => {
  const s = new SystemSampler({ roots: { rootfs: '/', procfs: '/proc', sysfs: '/sys', udevData: '/run/udev/data' } });
  const v = complete(await s.view());
  const sum = v.cpu.user_pct + v.cpu.system_pct + v.cpu.idle_pct + v.cpu.iowait_pct + v.cpu.steal_pct + v.cpu.nice_pct + v.cpu.irq_pct + v.cpu.softirq_pct;
  assert.ok(Math.abs(sum - 100) < 0.5 || sum === 100, `cpu shares sum to ${sum}`);
  assert.ok(v.memory.total_bytes > 0 && v.memory.used_pct >= 0 && v.memory.used_pct <= 100);
  assert.ok(v.disks.every((d) => d.util_pct >= 0 && d.util_pct <= 100));
});

test('SystemSampler: concurrent first views share one warm-up and get a real interval', async () => {
  const sampler = new SystemSampler({ roots: { rootfs: '/', procfs: '/proc', sysfs: '/sys', udevData: '/run/udev/data' }, firstGapMs: 300 });
  const views = await Promise.all([sampler.view(), sampler.view(), sampler.view()]);
  for (const v of views) assert.ok(v.interval_seconds >= 0.25, `interval ${v.interval_seconds}`);
});

// --- collectors (collectors/registry.ts): each /v1/system section comes from one collector -----------------

const FULL = computeSystemAnswer(snap(0, stat({}), [disk('sda', {})]), snap(1000, stat({ user: 1 }), [disk('sda', {})]), { meminfo: MEM, loadavg: LOAD, uptime: UP });
for (const c of COLLECTORS.filter((x) => x.contributes.system.length > 0)) {
  test(`computeSystemAnswer without the ${c.name} collector leaves out ${c.contributes.system.join(', ')} and nothing else`, () => {
    const a = computeSystemAnswer(snap(0, stat({}), [disk('sda', {})]), snap(1000, stat({ user: 1 }), [disk('sda', {})]), { meminfo: MEM, loadavg: LOAD, uptime: UP }, COLLECTOR_NAMES.filter((n) => n !== c.name));
    assert.deepEqual(Object.keys(a).sort(), Object.keys(FULL).filter((k) => !c.contributes.system.includes(k)).sort());
    assert.equal(isCompleteSystemView(a), false);
  });
}

test('computeSystemAnswer with every collector is the complete view, in the documented key order', () => {
  assert.ok(isCompleteSystemView(FULL));
  assert.deepEqual(Object.keys(FULL), ['interval_seconds', 'cpu', 'load', 'memory', 'swap', 'disks', 'uptime_seconds', 'boot_time_seconds']);
});

test('reportableSystem: the report needs cpu, load, memory, swap and uptime; without diskstats it lists no disks', () => {
  assert.deepEqual(reportableSystem(FULL)?.disks.map((d) => d.device), ['sda']);
  const { disks: _d, boot_time_seconds: _b, ...noDisks } = FULL;
  assert.deepEqual(reportableSystem(noDisks)?.disks, []);
  for (const key of ['cpu', 'load', 'memory', 'swap', 'uptime_seconds'] as const) {
    const { [key]: _gone, ...rest } = FULL;
    assert.equal(reportableSystem(rest), null, key);
  }
});

test('SystemSampler: a disabled collector is not read and its section is absent', async () => {
  const s = new SystemSampler({ roots, collectors: COLLECTOR_NAMES.filter((n) => n !== 'diskstats' && n !== 'meminfo') });
  const v = await s.view();
  assert.equal(v.disks, undefined);
  assert.equal(v.memory, undefined);
  assert.equal(v.swap, undefined);
  assert.equal(v.cpu?.cpus, 2);
  assert.equal(s.latest()?.diskstats, undefined, 'diskstats never read');
});

test('SystemSampler: a failing collector is logged by name and its section left out; the others still answer', async () => {
  const procfs = mkdtempSync(join(tmpdir(), 'vigia-sampler-'));
  try {
    for (const f of ['stat', 'diskstats', 'loadavg', 'uptime']) copyFileSync(join(roots.procfs, f), join(procfs, f));
    const lines: { collector?: string; msg?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (t: string) => void lines.push(JSON.parse(t) as { collector?: string; msg?: string }) }) as unknown as Logger;
    const v = await new SystemSampler({ roots: { ...roots, procfs }, log }).view();
    assert.equal(v.memory, undefined);
    assert.equal(v.swap, undefined);
    assert.equal(v.cpu?.cpus, 2);
    assert.deepEqual(v.load, { load1: 2.31, load5: 1.87, load15: 1.52 });
    assert.deepEqual(lines.map((l) => l.collector), ['meminfo']);
    assert.match(lines[0]!.msg!, /^collector meminfo failed: ENOENT/);
  } finally {
    rmSync(procfs, { recursive: true, force: true });
  }
});
