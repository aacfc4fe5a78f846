import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DeviceInfo, HostRoots } from './model.js';
import { escapeLabelValue, formatValue, meminfoMetricName, parseExposition, renderNodeMetrics, type NodeMetricsInput } from './node-metrics.js';
import { readProcStat } from './collectors/proc-stat.js';
import { readDiskstats } from './collectors/diskstats.js';
import { readMeminfo } from './collectors/meminfo.js';
import { readLoadavg } from './collectors/loadavg.js';
import { COLLECTOR_NAMES, metricsCollectors, type CollectorName } from './collectors/registry.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/host-a', import.meta.url));
const GOLDEN = fileURLToPath(new URL('./node-metrics.golden.prom', import.meta.url));
const fixtureRoots: HostRoots = { rootfs: FIXTURE, procfs: `${FIXTURE}/proc`, sysfs: `${FIXTURE}/sys`, udevData: `${FIXTURE}/run/udev/data` };

function device(d: Partial<DeviceInfo> & Pick<DeviceInfo, 'name' | 'device' | 'mountpoint' | 'fstype'>): DeviceInfo {
  return {
    major_minor: '0:0', read_only: false, aliases: [], dm_name: null, lvm: null, role: 'other',
    size_bytes: null, used_bytes: null, free_bytes: null, avail_bytes: null, use_pct: null,
    inodes_total: null, inodes_used: null, inodes_free: null, inode_use_pct: null, error: null, ...d,
  };
}

/** A MySQL host: data LV (with a read-only bind mount), binlog LV, root, and an NFS backup mount whose statfs timed out. */
const DEVICES: DeviceInfo[] = [
  device({
    name: 'dm-0', device: '/dev/mapper/vg_mysql-data', major_minor: '253:0', mountpoint: '/var/lib/mysql', fstype: 'xfs',
    aliases: [{ mountpoint: '/srv/mysql-data', read_only: true }], dm_name: 'vg_mysql-data', lvm: { vg: 'vg_mysql', lv: 'data' }, role: 'data',
    size_bytes: 536870912000, used_bytes: 322122547200, free_bytes: 214748364800, avail_bytes: 214748364800, use_pct: 60,
    inodes_total: 262144000, inodes_used: 1200, inodes_free: 262142800, inode_use_pct: 1,
  }),
  device({
    name: 'dm-1', device: '/dev/mapper/vg_mysql-binlog', major_minor: '253:1', mountpoint: '/var/lib/mysql-binlog', fstype: 'ext4',
    dm_name: 'vg_mysql-binlog', lvm: { vg: 'vg_mysql', lv: 'binlog' }, role: 'binlog',
    size_bytes: 107374182400, used_bytes: 96636764160, free_bytes: 10737418240, avail_bytes: 5368709120, use_pct: 95,
    inodes_total: 6553600, inodes_used: 900, inodes_free: 6552700, inode_use_pct: 1,
  }),
  device({
    name: 'sda1', device: '/dev/sda1', major_minor: '8:1', mountpoint: '/', fstype: 'ext4',
    size_bytes: 52521566208, used_bytes: 10737418240, free_bytes: 41784147968, avail_bytes: 39098843136, use_pct: 22,
    inodes_total: 3276800, inodes_used: 200000, inodes_free: 3076800, inode_use_pct: 7,
  }),
  device({
    name: 'backup:/export', device: 'backup:/export', major_minor: '0:52', mountpoint: '/mnt/backup', fstype: 'nfs4',
    error: { code: 'STATFS_TIMEOUT', message: 'statfs did not answer within 2s' },
  }),
];

/** udev properties as a real LVM + SATA host has them (hand-written so the golden does not follow other fixtures). */
const UDEV = new Map<string, Record<string, string>>([
  ['8:0', { ID_ATA: '1', ID_MODEL: 'Samsung_SSD_860', ID_SERIAL_SHORT: 'S3Z9NB0K', ID_PATH: 'pci-0000:00:17.0-ata-1', ID_WWN: '0x5002538e40a1b2c3', ID_REVISION: 'RVT04B6Q', ID_ATA_WRITE_CACHE: '1', ID_ATA_WRITE_CACHE_ENABLED: '1', ID_ATA_ROTATION_RATE_RPM: '0' }],
  ['253:0', { DM_NAME: 'vg_mysql-data', DM_UUID: 'LVM-abc', DM_VG_NAME: 'vg_mysql', DM_LV_NAME: 'data', ID_FS_TYPE: 'xfs', ID_FS_USAGE: 'filesystem', ID_FS_UUID: '0f6e-11', ID_FS_VERSION: '' }],
  ['253:1', { DM_NAME: 'vg_mysql-binlog', DM_UUID: 'LVM-def', DM_VG_NAME: 'vg_mysql', DM_LV_NAME: 'binlog', ID_FS_TYPE: 'ext4', ID_FS_USAGE: 'filesystem', ID_FS_UUID: '9a1c-22', ID_FS_VERSION: '1.0' }],
]);

const DURATIONS: Partial<Record<CollectorName, number>> = { cpu: 0.0002, diskstats: 0.00015, filesystem: 2.001, loadavg: 0.00002, meminfo: 0.0001, stat: 0.00008 };

async function fixtureInput(): Promise<NodeMetricsInput> {
  const [stat, diskstats, meminfo, loadavg] = await Promise.all([
    readProcStat(fixtureRoots), readDiskstats(fixtureRoots), readMeminfo(fixtureRoots), readLoadavg(fixtureRoots),
  ]);
  return {
    devices: DEVICES, cpu: stat, stat, diskstats, diskUdev: UDEV, meminfo, loadavg,
    // one scrape line per registry collector with metrics; durations fixed so the golden is stable
    collectors: metricsCollectors(COLLECTOR_NAMES).map((name) => ({ name, success: name !== 'filesystem', durationSeconds: DURATIONS[name] ?? 0 })),
  };
}

test('renderNodeMetrics matches node-metrics.golden.prom byte for byte (UPDATE_GOLDEN=1 rewrites it)', async () => {
  const text = renderNodeMetrics(await fixtureInput());
  // the test edge may read the environment; the code under test does not
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, text);
  assert.equal(text, readFileSync(GOLDEN, 'utf8'));
});

test('the golden rendering is a valid exposition', async () => {
  const { samples, errors } = parseExposition(renderNodeMetrics(await fixtureInput()));
  assert.deepEqual(errors, []);
  assert.ok(samples.length > 100);
});

test('filesystems: one series set per mountpoint and alias, alias keeps its own read-only flag', async () => {
  const { samples } = parseExposition(renderNodeMetrics(await fixtureInput()));
  const ro = samples.filter((s) => s.name === 'node_filesystem_readonly').map((s) => [s.labels.mountpoint, s.value]);
  assert.deepEqual(ro.sort(), [['/', 0], ['/srv/mysql-data', 1], ['/var/lib/mysql', 0], ['/var/lib/mysql-binlog', 0]]);
  const size = samples.filter((s) => s.name === 'node_filesystem_size_bytes' && s.labels.device === '/dev/mapper/vg_mysql-data');
  assert.deepEqual(size.map((s) => s.value), [536870912000, 536870912000]);
});

test('filesystems: a failed statfs gives device_error 1 and no other node_filesystem_* series (like node_exporter)', async () => {
  const { samples } = parseExposition(renderNodeMetrics(await fixtureInput()));
  const backup = samples.filter((s) => s.labels.mountpoint === '/mnt/backup');
  assert.deepEqual(backup, [{ name: 'node_filesystem_device_error', labels: { device: 'backup:/export', fstype: 'nfs4', mountpoint: '/mnt/backup' }, value: 1 }]);
});

test('diskstats: node_exporter 1.5 default exclude drops partitions and loop devices; bytes are sectors*512', async () => {
  const { samples } = parseExposition(renderNodeMetrics(await fixtureInput()));
  const devices = [...new Set(samples.filter((s) => s.name.startsWith('node_disk_')).map((s) => s.labels.device))].sort();
  assert.deepEqual(devices, ['dm-0', 'dm-1', 'nvme0n1', 'sda', 'sdb', 'sr0']);
  const read = samples.find((s) => s.name === 'node_disk_read_bytes_total' && s.labels.device === 'sda');
  assert.equal(read?.value, 163022416 * 512);
  const flush = samples.find((s) => s.name === 'node_disk_flush_requests_time_seconds_total' && s.labels.device === 'sdb');
  assert.equal(flush?.value, 0.012);
});

test('stat: node_intr_total is the counter node_exporter\'s stat collector emits, from the intr line', async () => {
  const text = renderNodeMetrics(await fixtureInput());
  assert.match(text, /^# HELP node_intr_total Total number of interrupts serviced\.\n# TYPE node_intr_total counter\nnode_intr_total 391562340\n/m);
  const { interrupts: _, ...withoutIntr } = await readProcStat(fixtureRoots);
  assert.doesNotMatch(renderNodeMetrics({ devices: [], collectors: [], stat: withoutIntr }), /node_intr_total/, 'a hand-built ProcStat without interrupts renders no series');
});

test('diskstats: old kernels (14 columns) emit no discard/flush series', () => {
  const text = renderNodeMetrics({
    devices: [], collectors: [],
    diskstats: [{ major: 8, minor: 0, device: 'sda', readsCompleted: 1, readsMerged: 0, sectorsRead: 0, readTimeMs: 0, writesCompleted: 0, writesMerged: 0, sectorsWritten: 0, writeTimeMs: 0, ioInProgress: 0, ioTimeMs: 0, weightedIoTimeMs: 0 }],
  });
  assert.doesNotMatch(text, /discard|flush/);
  assert.match(text, /^node_disk_reads_completed_total\{device="sda"\} 1$/m);
});

for (const [value, want] of [
  ['plain', 'plain'],
  ['a"b', 'a\\"b'],
  ['c:\\dir', 'c:\\\\dir'],
  ['two\nlines', 'two\\nlines'],
  ['\\"\n', '\\\\\\"\\n'],
] as const) {
  test(`escapeLabelValue(${JSON.stringify(value)})`, () => assert.equal(escapeLabelValue(value), want));
}

test('odd mountpoints are escaped and parse back to the same value', () => {
  const weird = '/mnt/we"ird\\dir\nx';
  const text = renderNodeMetrics({ devices: [device({ name: 'tmpfs', device: 'tmpfs', mountpoint: weird, fstype: 'tmpfs', size_bytes: 1, free_bytes: 1, avail_bytes: 1, inodes_total: 1, inodes_free: 1 })], collectors: [] });
  const { samples, errors } = parseExposition(text);
  assert.deepEqual(errors, []);
  assert.ok(samples.every((s) => s.labels.mountpoint === weird));
});

for (const [key, want] of [
  ['MemTotal', 'node_memory_MemTotal_bytes'],
  ['Active(anon)', 'node_memory_Active_anon_bytes'],
  ['HugePages_Total', 'node_memory_HugePages_Total'],
  ['Hugepagesize', 'node_memory_Hugepagesize_bytes'],
] as const) {
  test(`meminfoMetricName(${key})`, () => assert.equal(meminfoMetricName(key), want));
}

for (const [v, want] of [[1, '1'], [0.012, '0.012'], [1.5e21, '1.5e+21'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf']] as const) {
  test(`formatValue(${v})`, () => assert.equal(formatValue(v), want));
}

const lintCases: { name: string; text: string; error: RegExp | null }[] = [
  { name: 'valid', text: '# HELP a_total x\n# TYPE a_total counter\na_total{l="v"} 1\na_total{l="w"} 2\n', error: null },
  { name: 'sample before TYPE', text: 'a 1\n# HELP a x\n# TYPE a gauge\n', error: /without HELP and TYPE/ },
  { name: 'two TYPEs', text: '# HELP a x\n# TYPE a gauge\n# TYPE a gauge\na 1\n', error: /second TYPE/ },
  { name: 'duplicate series', text: '# HELP a x\n# TYPE a gauge\na{x="1",y="2"} 1\na{y="2",x="1"} 2\n', error: /duplicate series/ },
  { name: 'family split', text: '# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na{l="2"} 1\n', error: /appears twice/ },
  { name: 'bad value', text: '# HELP a x\n# TYPE a gauge\na one\n', error: /unparsable/ },
  { name: 'bad label quoting', text: '# HELP a x\n# TYPE a gauge\na{l="x} 1\n', error: /unparsable/ },
  {
    name: 'histogram: _bucket/_sum/_count belong to the family',
    text: '# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n# HELP g x\n# TYPE g gauge\ng 1\n',
    error: null,
  },
  { name: 'summary: quantiles, _sum and _count', text: '# HELP s x\n# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 3\ns_count 2\n', error: null },
  { name: 'histogram split by another family', text: '# HELP h x\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\n# HELP g x\n# TYPE g gauge\ng 1\nh_count 2\n', error: /family h appears twice/ },
  { name: '_bucket of a gauge is its own (untyped) family', text: '# HELP g x\n# TYPE g gauge\ng_bucket 1\n', error: /without HELP and TYPE/ },
  { name: 'no final newline', text: '# HELP a x\n# TYPE a gauge\na 1', error: /newline/ },
];
for (const c of lintCases) {
  test(`parseExposition checker: ${c.name}`, () => {
    const { errors } = parseExposition(c.text);
    if (c.error === null) assert.deepEqual(errors, []);
    else assert.match(errors.join('\n'), c.error);
  });
}
