import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import {
  DEFAULT_FILESYSTEM_FILTER,
  isIncluded,
  parseFilesystemFilter,
} from './filesystem-filter.js';

describe('DEFAULT_FILESYSTEM_FILTER', () => {
  const cases: Array<[mountpoint: string, fstype: string, included: boolean]> = [
    ['/', 'ext4', true],
    ['/var/lib/mysql', 'xfs', true],
    ['/tmp', 'tmpfs', true],
    ['/home', 'btrfs', true],
    ['/dev', 'devtmpfs', false],
    ['/dev/shm', 'tmpfs', false],
    ['/devices', 'ext4', true],
    ['/proc', 'proc', false],
    ['/run', 'tmpfs', true],
    ['/run/user/1000', 'tmpfs', true],
    ['/run/credentials', 'tmpfs', true],
    ['/run/credentials/systemd-journald.service', 'ramfs', false],
    ['/runner', 'ext4', true],
    ['/sys/fs/cgroup', 'tmpfs', false],
    ['/mnt', 'ext4', true],
    ['/mnt/backup', 'ext4', true],
    ['/mnt/disks/ephemeral0', 'xfs', true],
    ['/media/usb', 'vfat', true],
    ['/var/lib/docker', 'ext4', true],
    ['/var/lib/docker/overlay2/x/merged', 'overlay', false],
    ['/var/lib/containers/storage/overlay', 'xfs', false],
    ['/srv', 'overlay', false],
    ['/srv', 'squashfs', false],
    ['/srv', 'cgroup', false],
    ['/srv', 'cgroup2', false],
    ['/srv', 'cgroup3', true],
    ['/srv', 'fuse.bindfs', true],
    ['/srv', 'nfs4', true],
    ['/srv', 'autofs', false],
  ];
  for (const [mp, fs, want] of cases) {
    it(`${mp} (${fs}) -> ${want ? 'included' : 'excluded'}`, () => assert.equal(isIncluded(DEFAULT_FILESYSTEM_FILTER, mp, fs), want));
  }
});

describe('parseFilesystemFilter', () => {
  it('takes the defaults when nothing is given', () => {
    const f = parseFilesystemFilter({});
    assert.equal(f.mountPointsExclude.source, DEFAULT_FILESYSTEM_FILTER.mountPointsExclude.source);
    assert.equal(f.fsTypesExclude.source, DEFAULT_FILESYSTEM_FILTER.fsTypesExclude.source);
    assert.equal(f.mountPointsInclude, undefined);
  });
  it('an empty exclude excludes nothing', () => {
    const f = parseFilesystemFilter({ mountPointsExclude: '', fsTypesExclude: '' });
    assert.equal(isIncluded(f, '/proc', 'proc'), true);
  });
  it('include patterns must match too', () => {
    const f = parseFilesystemFilter({ mountPointsInclude: '^/srv/', fsTypesInclude: '^(ext4|xfs)$' });
    assert.equal(isIncluded(f, '/srv/a', 'ext4'), true);
    assert.equal(isIncluded(f, '/srv/a', 'tmpfs'), false);
    assert.equal(isIncluded(f, '/var', 'ext4'), false);
    assert.equal(isIncluded(parseFilesystemFilter({ mountPointsInclude: '^/' }), '/proc/x', 'ext4'), false, 'excludes still apply');
  });
  for (const key of ['mountPointsExclude', 'fsTypesExclude', 'mountPointsInclude', 'fsTypesInclude'] as const) {
    it(`a bad ${key} regex is VIGIA_ERR_CONFIG naming the flag`, () => {
      const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      assert.throws(
        () => parseFilesystemFilter({ [key]: '(' }),
        (err: unknown) => isVigiaError(err, 'VIGIA_ERR_CONFIG') && err.message.includes(flag),
      );
    });
  }
});
