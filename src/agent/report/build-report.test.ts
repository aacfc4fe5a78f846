import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_REPORT_BYTES, MAX_REPORT_DEVICES, MAX_REPORT_PROCESSES, parseHostReport } from '../../core/contracts/host-report.js';
import { readDiskstats } from '../collectors/diskstats.js';
import { readLoadavg } from '../collectors/loadavg.js';
import { readMeminfo } from '../collectors/meminfo.js';
import { readProcStat } from '../collectors/proc-stat.js';
import { readUptime } from '../collectors/uptime.js';
import type { DeviceInfo } from '../model.js';
import { computeSystemView, type SystemSnapshot, type SystemView } from '../system-sampler.js';
import type { ProcStat } from '../collectors/proc-stat.js';
import type { ProcessSample } from '../collectors/processes.js';
import { buildHostReport, IntervalBaseline, toReportDevice } from './build-report.js';

const identity = { host: 'db-042.example', tags: { dc: 'mad1', tier: 'gold' }, agentVersion: '0.1.0', intervalSeconds: 60 };

function device(over: Partial<DeviceInfo> = {}): DeviceInfo {
  return {
    name: 'dm-0',
    device: '/dev/mapper/vg0-mysql_data',
    major_minor: '253:0',
    mountpoint: '/var/lib/mysql',
    fstype: 'xfs',
    read_only: false,
    aliases: [],
    dm_name: 'vg0-mysql_data',
    lvm: { vg: 'vg0', lv: 'mysql_data' },
    role: 'data',
    size_bytes: 1000,
    used_bytes: 750,
    free_bytes: 250,
    avail_bytes: 250,
    use_pct: 75,
    inodes_total: 100,
    inodes_used: 1,
    inodes_free: 99,
    inode_use_pct: 1,
    error: null,
    ...over,
  };
}

function procStat(user: number, idle: number, cpus = 4): ProcStat {
  const t = (cpu: string) => ({ cpu, user, nice: 0, system: 0, idle, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 });
  return { total: t(''), cpus: Array.from({ length: cpus }, (_, i) => t(String(i))), bootTimeSeconds: 1_700_000_000, contextSwitches: 0, forks: 0, procsRunning: 1, procsBlocked: 0, interrupts: 0 } as unknown as ProcStat;
}

const snap = (at: number, user: number, idle: number): SystemSnapshot => ({ at, stat: procStat(user, idle), diskstats: [] });
const mem = { MemTotal: 8e9, MemAvailable: 6e9, SwapTotal: 0, SwapFree: 0 };
const load = { load1: 0.5, load5: 0.4, load15: 0.3 };
const uptime = { uptimeSeconds: 1000, idleSeconds: 0 } as never;

test('a report maps devices (role, figures, error) and the system view onto the wire contract', () => {
  const view = computeSystemView(snap(0, 0, 0), snap(60_000, 600, 5400), mem, load, uptime);
  const r = buildHostReport({
    identity,
    devices: [device(), device({ name: 'nfs', device: 'srv:/x', mountpoint: '/mnt/x', fstype: 'nfs4', role: 'other', size_bytes: null, used_bytes: null, avail_bytes: null, use_pct: null, inodes_total: null, inodes_used: null, inode_use_pct: null, error: { code: 'STATFS_TIMEOUT', message: 'statfs did not answer within 1000 ms' } })],
    system: view,
    sampledAtMs: Date.UTC(2026, 11, 1, 7, 0, 0, 5),
  });
  const parsed = parseHostReport(JSON.parse(JSON.stringify(r)));
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.equal(r.sampled_at, '2026-12-01T07:00:00.005Z');
  assert.equal(r.host, 'db-042.example');
  assert.deepEqual(r.tags, { dc: 'mad1', tier: 'gold' });
  assert.equal(r.interval_seconds, 60);
  assert.deepEqual(r.devices[0], {
    mountpoint: '/var/lib/mysql', device: '/dev/mapper/vg0-mysql_data', fstype: 'xfs', role: 'data', read_only: false,
    size_bytes: 1000, used_bytes: 750, avail_bytes: 250, use_pct: 75, inodes_total: 100, inodes_used: 1, inode_use_pct: 1, error: null,
  });
  assert.equal(r.devices[1]!.error, 'STATFS_TIMEOUT: statfs did not answer within 1000 ms');
  assert.equal(r.devices[1]!.size_bytes, null);
  assert.equal(r.system!.cpu.user_pct, 10);
  assert.equal(r.system!.cpu.idle_pct, 90);
  assert.equal(r.system!.cpu.cpus, 4);
  assert.equal(r.system!.mem_used_pct, 25);
});

test('values the contract would reject are clamped, not sent to be refused', () => {
  const d = toReportDevice(device({ fstype: 'fuse weird', use_pct: 100.4, size_bytes: Number.NaN, error: { code: 'STATFS_FAILED', message: 'x'.repeat(2000) } }));
  assert.equal(d.fstype, 'fuse_weird');
  assert.equal(d.use_pct, 100);
  assert.equal(d.size_bytes, null);
  assert.equal(d.error!.length, 512);
  const view = computeSystemView(snap(0, 0, 0), snap(10_000, 10, 90), mem, load, uptime) as SystemView;
  const bad: SystemView = { ...view, cpu: { ...view.cpu, user_pct: 100.01, cpus: 0 }, load: { load1: Number.NaN, load5: 1, load15: 1 } };
  const many = Array.from({ length: MAX_REPORT_DEVICES + 10 }, (_, i) => device({ mountpoint: `/m/${i}`, role: i === MAX_REPORT_DEVICES + 5 ? 'binlog' : 'other' }));
  const r = buildHostReport({ identity, devices: many, system: bad, sampledAtMs: 0 });
  assert.ok(parseHostReport(r).ok);
  assert.equal(r.devices.length, MAX_REPORT_DEVICES);
  assert.equal(r.devices[0]!.role, 'binlog', 'data and binlog volumes are kept first when cutting');
  assert.equal(r.system!.cpu.cpus, 1);
  assert.equal(r.system!.load1, 0);
});

test('the report CPU covers the whole report interval, not the sampler window', () => {
  const base = new IntervalBaseline();
  const atReport1 = snap(0, 0, 0);
  const samplerAt50s = snap(50_000, 5000, 0); // busy for 50 s ...
  const atReport2 = snap(60_000, 5000, 1000); // ... then idle for the sampler's last 10 s
  assert.equal(base.next(atReport1), null, 'first report: no baseline yet');
  const prev = base.next(atReport2);
  assert.equal(prev, atReport1);
  assert.equal(computeSystemView(prev!, atReport2, mem, load, uptime).cpu.user_pct, 83.33);
  assert.equal(computeSystemView(samplerAt50s, atReport2, mem, load, uptime).cpu.user_pct, 0, 'what the 10 s window would have said');
  const back = new IntervalBaseline();
  back.next(snap(100, 0, 0));
  assert.equal(back.next(snap(50, 1, 1)), null, 'a clock step backwards restarts the baseline');
});

test('the fixture host (devices golden + its /proc) makes a report the contract accepts, well under the size limit', async () => {
  const fixture = fileURLToPath(new URL('../../../test/fixtures/host-a', import.meta.url));
  const roots = { rootfs: fixture, procfs: join(fixture, 'proc'), sysfs: join(fixture, 'sys'), udevData: join(fixture, 'run/udev/data') };
  const { devices } = JSON.parse(readFileSync(join(fixture, 'devices.golden.json'), 'utf8')) as { devices: DeviceInfo[] };
  const [stat, diskstats, meminfo, loadavg, up] = await Promise.all([readProcStat(roots), readDiskstats(roots), readMeminfo(roots), readLoadavg(roots), readUptime(roots)]);
  const before: SystemSnapshot = { at: 0, stat: { ...stat, total: { ...stat.total, user: 0, system: 0, idle: 0, iowait: 0 } }, diskstats: [] };
  const view = computeSystemView(before, { at: 60_000, stat, diskstats }, meminfo, loadavg, up);
  const r = buildHostReport({ identity, devices, system: view, sampledAtMs: Date.UTC(2026, 11, 1) });
  const parsed = parseHostReport(JSON.parse(JSON.stringify(r)));
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.equal(r.devices.length, devices.length);
  assert.deepEqual(r.devices.map((d) => d.role).filter((x) => x !== 'other').sort(), ['binlog', 'data']);
  assert.ok(r.system!.disks.length > 0);
  assert.ok(JSON.stringify(r).length < MAX_REPORT_BYTES / 10);
});

test('top processes: at most MAX_REPORT_PROCESSES, names only, cut and clamped so the contract accepts them', () => {
  const sample = (i: number, over: Partial<ProcessSample> = {}): ProcessSample => ({
    pid: i + 1, user: 'mysql', command: 'mysqld --password=secret', comm: 'mysqld', cpu_pct: 50, rss_bytes: 1e9, read_bytes_per_s: null, write_bytes_per_s: null, state: 'S', threads: 30, ...over,
  });
  const many = [sample(0, { comm: `a\u0000${'x'.repeat(100)}`, cpu_pct: Number.NaN, rss_bytes: -1 }), ...Array.from({ length: 14 }, (_, i) => sample(i + 1))];
  const r = buildHostReport({ identity, devices: [], system: null, sampledAtMs: 0, processes: many });
  assert.ok(parseHostReport(r).ok, JSON.stringify(parseHostReport(r)));
  assert.equal(r.processes!.length, MAX_REPORT_PROCESSES);
  assert.deepEqual(r.processes![0], { pid: 1, name: `a${'x'.repeat(63)}`, user: 'mysql', cpu_pct: 0, rss_bytes: 0 });
  assert.ok(!JSON.stringify(r).includes('secret'), 'no command line on the wire');
  assert.equal(buildHostReport({ identity, devices: [], system: null, sampledAtMs: 0 }).processes, undefined, 'none asked, none sent');
});
