import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DISKSTATS_DEVICE_EXCLUDE, parseDiskstats, readDiskUdevProperties, readDiskstats } from './diskstats.js';
import { parseUdevProperties } from './udev.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/host-a', import.meta.url));
const roots = { rootfs: FIXTURE, procfs: `${FIXTURE}/proc`, sysfs: `${FIXTURE}/sys`, udevData: `${FIXTURE}/run/udev/data` };

const BASE = '   8       0 sda 1 2 3 4 5 6 7 8 9 10 11';
const cases: { name: string; text: string; want: Record<string, unknown>[] }[] = [
  {
    name: '14 columns (kernel < 4.18): no discard or flush fields',
    text: `${BASE}\n`,
    want: [{ major: 8, minor: 0, device: 'sda', readsCompleted: 1, readsMerged: 2, sectorsRead: 3, readTimeMs: 4, writesCompleted: 5, writesMerged: 6, sectorsWritten: 7, writeTimeMs: 8, ioInProgress: 9, ioTimeMs: 10, weightedIoTimeMs: 11 }],
  },
  {
    name: '18 columns (4.18+): discard fields',
    text: `${BASE} 12 13 14 15\n`,
    want: [{ major: 8, minor: 0, device: 'sda', readsCompleted: 1, readsMerged: 2, sectorsRead: 3, readTimeMs: 4, writesCompleted: 5, writesMerged: 6, sectorsWritten: 7, writeTimeMs: 8, ioInProgress: 9, ioTimeMs: 10, weightedIoTimeMs: 11, discardsCompleted: 12, discardsMerged: 13, sectorsDiscarded: 14, discardTimeMs: 15 }],
  },
  {
    name: '20 columns (5.5+): flush fields',
    text: `${BASE} 12 13 14 15 16 17\n`,
    want: [{ major: 8, minor: 0, device: 'sda', readsCompleted: 1, readsMerged: 2, sectorsRead: 3, readTimeMs: 4, writesCompleted: 5, writesMerged: 6, sectorsWritten: 7, writeTimeMs: 8, ioInProgress: 9, ioTimeMs: 10, weightedIoTimeMs: 11, discardsCompleted: 12, discardsMerged: 13, sectorsDiscarded: 14, discardTimeMs: 15, flushRequests: 16, flushTimeMs: 17 }],
  },
  { name: 'short and blank lines are skipped', text: '\n 8 0 sda 1 2 3\n', want: [] },
];
for (const c of cases) test(`parseDiskstats: ${c.name}`, () => assert.deepEqual(parseDiskstats(c.text), c.want));

test('DEFAULT_DISKSTATS_DEVICE_EXCLUDE matches node_exporter 1.5 (partitions, loop, ram, fd out; disks, dm, md, zram in)', () => {
  const excluded = ['sda1', 'vdb2', 'xvda1', 'hda3', 'nvme0n1p1', 'loop0', 'ram12', 'fd0'];
  const kept = ['sda', 'vda', 'xvdb', 'nvme0n1', 'dm-0', 'md0', 'zram0', 'sr0', 'mmcblk0'];
  for (const d of excluded) assert.ok(DEFAULT_DISKSTATS_DEVICE_EXCLUDE.test(d), `${d} excluded`);
  for (const d of kept) assert.ok(!DEFAULT_DISKSTATS_DEVICE_EXCLUDE.test(d), `${d} kept`);
});

test('parseUdevProperties keeps E: lines only, values may contain =', () => {
  assert.deepEqual(Object.fromEntries(parseUdevProperties('S:disk/by-id/x\nE:DM_NAME=vg0-data\nE:ID_FS_UUID=a=b\nG:systemd\n')), { DM_NAME: 'vg0-data', ID_FS_UUID: 'a=b' });
});

test('readDiskUdevProperties keys by major:minor and skips devices without a file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigia-udev-'));
  try {
    await writeFile(join(dir, 'b253:0'), 'E:DM_NAME=vg0-data\n');
    const got = await readDiskUdevProperties({ ...roots, udevData: dir }, [{ major: 253, minor: 0 }, { major: 8, minor: 0 }]);
    assert.deepEqual([...got], [['253:0', { DM_NAME: 'vg0-data' }]]);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('readDiskstats reads the fixture host', async () => {
  const d = await readDiskstats(roots);
  assert.deepEqual(d.map((x) => x.device), ['loop0', 'sda', 'sda1', 'sdb', 'dm-0', 'dm-1', 'nvme0n1', 'nvme0n1p1', 'sr0']);
  assert.equal(d[3]!.flushTimeMs, 12);
});
