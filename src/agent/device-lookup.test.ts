import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findDeviceByMountpoint, findDeviceByName } from './device-lookup.js';
import { fakeDevice } from '../../test/support/fake-device.js';

const devices = [
  fakeDevice({ name: 'vda1', device: '/dev/vda1', mountpoint: '/' }),
  fakeDevice({ name: 'dm-0', device: '/dev/mapper/vg0-data', mountpoint: '/var/lib/mysql', dm_name: 'vg0-data', lvm: { vg: 'vg0', lv: 'data' }, role: 'data', aliases: [{ mountpoint: '/srv/mysql', read_only: true }] }),
  fakeDevice({ name: 'dm-1', device: '/dev/mapper/vg0-binlog', mountpoint: '/var/log/mysql', dm_name: 'vg0-binlog', lvm: { vg: 'vg0', lv: 'binlog' }, role: 'binlog' }),
  fakeDevice({ name: 'dm-2', device: '/dev/mapper/vg1-binlog', mountpoint: '/backup', dm_name: 'vg1-binlog', lvm: { vg: 'vg1', lv: 'binlog' } }),
  fakeDevice({ name: 'tmpfs', device: 'tmpfs', mountpoint: '/run', fstype: 'tmpfs' }),
];

test('a device is found by kernel name, source, /dev path, dm name, vg/lv and unique LV name', () => {
  const cases: [string, string | undefined][] = [
    ['vda1', 'vda1'],
    ['/dev/vda1', 'vda1'],
    ['dm-0', 'dm-0'],
    ['/dev/dm-0', 'dm-0'],
    ['/dev/mapper/vg0-data', 'dm-0'],
    ['vg0-data', 'dm-0'],
    ['vg0/data', 'dm-0'],
    ['/dev/vg0/data', 'dm-0'],
    ['data', 'dm-0'],
    ['binlog', undefined], // in vg0 and vg1: ambiguous, so not guessed
    ['vg1/binlog', 'dm-2'],
    ['tmpfs', 'tmpfs'],
    ['vda', undefined],
    ['', undefined],
    ['../../etc/passwd', undefined],
    ['/dev/../dev/vda1', undefined],
    ['x'.repeat(300), undefined],
  ];
  for (const [name, want] of cases) assert.equal(findDeviceByName(devices, name)?.name, want, name);
});

test('a device is found by its mountpoint or a bind-mount alias', () => {
  assert.equal(findDeviceByMountpoint(devices, '/var/lib/mysql')?.name, 'dm-0');
  assert.equal(findDeviceByMountpoint(devices, '/var/lib/mysql/')?.name, 'dm-0');
  assert.equal(findDeviceByMountpoint(devices, '/srv/mysql')?.name, 'dm-0');
  assert.equal(findDeviceByMountpoint(devices, '/')?.name, 'vda1');
  assert.equal(findDeviceByMountpoint(devices, '/var/lib'), undefined, 'a parent directory is not a mountpoint');
  assert.equal(findDeviceByMountpoint(devices, '/var/lib/mysql/../mysql'), undefined);
});
