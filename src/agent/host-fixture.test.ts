/**
 * The whole collection pipeline against the fixture host tree test/fixtures/host-a: mountinfo, sysfs,
 * udev, /proc/{stat,diskstats,meminfo,loadavg} and statfs answers from statfs.json, through
 * collectDevices and the agent's /metrics scrape over every registry collector (scrapeNodeMetrics),
 * compared byte for byte with two goldens:
 * devices.golden.json (the /v1/devices answer) and metrics.golden.prom (the node_* exposition).
 * UPDATE_GOLDEN=1 rewrites both. Collector durations are 0 so the output does not depend on timing.
 *
 * statfs.json maps host mountpoints to statfs values; an entry `{"error": "EACCES"}` rejects with that
 * StatfsError, and a mountpoint missing from the file rejects with ENOENT (as statfs on a vanished path).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DeviceInfo, HostRoots } from './model.js';
import { parseExposition } from './node-metrics.js';
import { scrapeNodeMetrics } from './run.js';
import { COLLECTOR_NAMES } from './collectors/registry.js';
import { DEFAULT_FILESYSTEM_FILTER } from './collectors/filesystem-filter.js';
import { collectDevices, type RoleRule } from './collectors/filesystems.js';
import { StatfsError, type StatfsRunner, type StatfsValues } from './collectors/statfs-pool.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/host-a', import.meta.url));
const DEVICES_GOLDEN = path.join(FIXTURE, 'devices.golden.json');
const METRICS_GOLDEN = path.join(FIXTURE, 'metrics.golden.prom');
const roots: HostRoots = {
  rootfs: FIXTURE,
  procfs: path.join(FIXTURE, 'proc'),
  sysfs: path.join(FIXTURE, 'sys'),
  udevData: path.join(FIXTURE, 'run/udev/data'),
};

/** A data rule by mountpoint prefix and a binlog rule by device path: both kinds of RoleRule. */
const ROLE_RULES: readonly RoleRule[] = [
  { role: 'data', path: '/var/lib/mysql' },
  { role: 'binlog', path: '/dev/mapper/vg--mysql-binlog' },
];

type StatfsEntry = StatfsValues | { readonly error: string };

/** A StatfsRunner answering from statfs.json; `calls` records the host paths asked for. */
function fixtureStatfs(): StatfsRunner & { calls: string[] } {
  const table = JSON.parse(readFileSync(path.join(FIXTURE, 'statfs.json'), 'utf8')) as Record<string, StatfsEntry>;
  const calls: string[] = [];
  return {
    calls,
    statfs: async (target: string): Promise<StatfsValues> => {
      // collectDevices asks for <rootfs>/<mountpoint>; the table is keyed by host mountpoint
      const rel = path.relative(FIXTURE, target);
      assert.ok(!rel.startsWith('..') && !path.isAbsolute(rel), `statfs outside the fixture rootfs: ${target}`);
      const host = `/${rel}`;
      calls.push(host);
      const entry = table[host];
      if (entry === undefined) throw new StatfsError('ENOENT', `statfs ${target}: no such file or directory`);
      if ('error' in entry) throw new StatfsError(entry.error, `statfs ${target}: ${entry.error}`);
      return entry;
    },
    close: async () => undefined,
  };
}

async function collect(): Promise<{ devices: DeviceInfo[]; metrics: string; statfsCalls: string[] }> {
  const statfs = fixtureStatfs();
  const devices = await collectDevices({ roots, filter: DEFAULT_FILESYSTEM_FILTER, statfs, roleRules: ROLE_RULES });
  // run.ts's /metrics path over every collector of the registry; durations pinned to 0 so the golden is stable
  const metrics = await scrapeNodeMetrics(COLLECTOR_NAMES, { roots, devices: async () => devices }, { now: () => 0 });
  return { devices, metrics, statfsCalls: statfs.calls.sort() };
}

/** Compares `actual` with the golden file byte for byte; UPDATE_GOLDEN=1 (read at the test edge) rewrites it. */
function assertGolden(file: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  assert.equal(actual, readFileSync(file, 'utf8'), `${path.basename(file)} (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}

test('host-a: /v1/devices matches devices.golden.json byte for byte', async () => {
  const { devices } = await collect();
  assertGolden(DEVICES_GOLDEN, `${JSON.stringify({ devices }, null, 2)}\n`);
});

test('host-a: the node_* exposition matches metrics.golden.prom byte for byte and is valid', async () => {
  const { metrics } = await collect();
  assert.deepEqual(parseExposition(metrics).errors, []);
  assertGolden(METRICS_GOLDEN, metrics);
});

// The goldens are reviewed by eye; these pin the properties a regeneration must not lose.

test('host-a: statfs is asked once per device (not per bind mount), on host paths under rootfs', async () => {
  const { statfsCalls } = await collect();
  assert.deepEqual(statfsCalls, ['/', '/data/nfs', '/run', '/srv/crypt', '/srv/my data', '/srv/old', '/tmp', '/var/lib/mysql', '/var/lib/mysql-binlog']);
});

test('host-a: bind mount is one device with an alias, LVM names from udev and from the dm-name fallback, roles from rules', async () => {
  const { devices } = await collect();
  const by = (mp: string): DeviceInfo => {
    const d = devices.find((x) => x.mountpoint === mp);
    assert.ok(d, `no device with mountpoint ${mp}: ${devices.map((x) => x.mountpoint).join(', ')}`);
    return d;
  };
  const data = by('/var/lib/mysql');
  assert.deepEqual(data.aliases, [{ mountpoint: '/srv/backup', read_only: true }]);
  assert.equal(devices.filter((d) => d.major_minor === '253:0').length, 1);
  assert.deepEqual([data.name, data.dm_name, data.lvm, data.role], ['dm-0', 'vg--mysql-data', { vg: 'vg-mysql', lv: 'data' }, 'data']);
  // udev has DM_NAME but no DM_VG_NAME/DM_LV_NAME for 253:1: split from the dm name (LVM uuid)
  assert.deepEqual([by('/var/lib/mysql-binlog').lvm, by('/var/lib/mysql-binlog').role], [{ vg: 'vg-mysql', lv: 'binlog' }, 'binlog']);
  // no udev file at all for 253:2: dm name from sysfs
  assert.deepEqual(by('/srv/my data').lvm, { vg: 'vg0', lv: 'lv-x' });
  // dm-crypt is device-mapper but not LVM
  assert.deepEqual([by('/srv/crypt').dm_name, by('/srv/crypt').lvm], ['cryptdata', null]);
});

test('host-a: failed statfs gives the device an error and null numbers; metrics carry device_error only', async () => {
  const { devices, metrics } = await collect();
  const nfs = devices.find((d) => d.mountpoint === '/data/nfs')!;
  assert.deepEqual([nfs.error, nfs.size_bytes], [{ code: 'STATFS_FAILED', message: 'statfs /data/nfs failed: EACCES' }, null]);
  const crypt = devices.find((d) => d.mountpoint === '/srv/crypt')!;
  assert.deepEqual([crypt.error?.code, crypt.error?.message, crypt.use_pct], ['STATFS_FAILED', 'statfs /srv/crypt failed: ENOENT', null]);
  const samples = parseExposition(metrics).samples.filter((s) => s.labels.mountpoint === '/data/nfs' || s.labels.mountpoint === '/srv/crypt');
  assert.deepEqual(samples.map((s) => `${s.name} ${s.labels.mountpoint} ${s.value}`).sort(), [
    'node_filesystem_device_error /data/nfs 1',
    'node_filesystem_device_error /srv/crypt 1',
  ]);
});

test('host-a: metrics have one series per mountpoint, the bind mount included with its own read-only flag', async () => {
  const { metrics } = await collect();
  const ro = parseExposition(metrics).samples.filter((s) => s.name === 'node_filesystem_readonly').map((s) => `${s.labels.device} ${s.labels.mountpoint} ${s.value}`);
  assert.deepEqual(ro.sort(), [
    '/dev/loop4 /srv/old 0',
    '/dev/mapper/vg--mysql-binlog /var/lib/mysql-binlog 0',
    '/dev/mapper/vg--mysql-data /srv/backup 1',
    '/dev/mapper/vg--mysql-data /var/lib/mysql 0',
    '/dev/mapper/vg0-lv--x /srv/my data 0',
    '/dev/vda1 / 0',
    'tmpfs /run 0',
    'tmpfs /tmp 0',
  ]);
});
