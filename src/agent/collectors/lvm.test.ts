import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { HostRoots } from '../model.js';
import { lvmFromUdev, readDmInfo, resolveLvm, splitDmName } from './lvm.js';
import { parseUdevProperties } from './udev.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/host-a/', import.meta.url));
const roots: HostRoots = {
  rootfs: FIXTURE,
  procfs: path.join(FIXTURE, 'proc'),
  sysfs: path.join(FIXTURE, 'sys'),
  udevData: path.join(FIXTURE, 'run/udev/data'),
};

describe('splitDmName', () => {
  const cases: Array<[string, { vg: string; lv: string } | null]> = [
    ['vg0-data', { vg: 'vg0', lv: 'data' }],
    ['vg--a-lv--b', { vg: 'vg-a', lv: 'lv-b' }],
    ['vg--mysql-binlog', { vg: 'vg-mysql', lv: 'binlog' }],
    ['a---b', { vg: 'a-', lv: 'b' }],
    ['vg0-lv0-real', { vg: 'vg0', lv: 'lv0' }],
    ['vg0-snap-cow', { vg: 'vg0', lv: 'snap' }],
    ['cryptdata', null],
    ['only--escaped', null],
    ['-lv', null],
    ['vg-', null],
  ];
  for (const [name, want] of cases) it(`${name} -> ${JSON.stringify(want)}`, () => assert.deepEqual(splitDmName(name), want));
});

describe('udev properties', () => {
  it('reads E: lines only, values may contain =', () => {
    const p = parseUdevProperties('S:disk/x\nE:DM_VG_NAME=vg-a\nE:DM_LV_NAME=lv=b\nG:systemd\nE:EMPTY=\n');
    assert.deepEqual(lvmFromUdev(p), { vg: 'vg-a', lv: 'lv=b' });
    assert.equal(p.get('EMPTY'), '');
    assert.equal(lvmFromUdev(parseUdevProperties('E:DM_NAME=x\n')), null);
  });
  it('resolveLvm: udev wins, then LVM- uuid with split name, else null', () => {
    const udev = parseUdevProperties('E:DM_VG_NAME=real-vg\nE:DM_LV_NAME=real-lv\n');
    assert.deepEqual(resolveLvm(udev, 'x-y', 'LVM-abc'), { vg: 'real-vg', lv: 'real-lv' });
    assert.deepEqual(resolveLvm(null, 'vg--a-lv--b', 'LVM-abc'), { vg: 'vg-a', lv: 'lv-b' });
    assert.deepEqual(resolveLvm(new Map(), 'vg--a-lv--b', 'LVM-abc'), { vg: 'vg-a', lv: 'lv-b' });
    assert.equal(resolveLvm(null, 'crypt-data', 'CRYPT-LUKS2-abc'), null, 'a dm device that is not LVM');
    assert.equal(resolveLvm(null, 'vg-lv', null), null);
  });
});

describe('readDmInfo against the host-a fixture', () => {
  const cases: Array<[mm: string, kname: string | null, want: Awaited<ReturnType<typeof readDmInfo>>]> = [
    ['253:0', 'dm-0', { dmName: 'vg--mysql-data', dmUuid: 'LVM-Ab3kZQ0000000000000000000000000000000000000000000000000000000001', lvm: { vg: 'vg-mysql', lv: 'data' } }],
    ['253:1', 'dm-1', { dmName: 'vg--mysql-binlog', dmUuid: 'LVM-Ab3kZQ0000000000000000000000000000000000000000000000000000000002', lvm: { vg: 'vg-mysql', lv: 'binlog' } }],
    // 253:2 links to a sysfs path that is absent: found through <sysfs>/block/dm-2/dm instead.
    ['253:2', 'dm-2', { dmName: 'vg0-lv--x', dmUuid: 'LVM-Zz9kZQ0000000000000000000000000000000000000000000000000000000003', lvm: { vg: 'vg0', lv: 'lv-x' } }],
    ['253:3', 'dm-3', { dmName: 'cryptdata', dmUuid: 'CRYPT-LUKS2-0123456789abcdef0123456789abcdef-cryptdata', lvm: null }],
    ['254:1', 'vda1', { dmName: null, dmUuid: null, lvm: null }],
    ['9:9', null, { dmName: null, dmUuid: null, lvm: null }],
  ];
  for (const [mm, kname, want] of cases) it(mm, async () => assert.deepEqual(await readDmInfo(roots, mm, kname), want));
});
