import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VolumeRole } from './model.js';
import { assignRole, assignRoles, isPathPrefix, unmatchedRoleRules } from './roles.js';
import type { MysqlPaths, RoleCandidate, RoleRule } from './roles.js';

describe('isPathPrefix', () => {
  const cases: Array<[string, string, boolean]> = [
    ['/', '/anything', true],
    ['/var/lib/mysql', '/var/lib/mysql', true],
    ['/var/lib/mysql', '/var/lib/mysql/ibdata1', true],
    ['/var/lib/mysql/', '/var/lib/mysql', true],
    ['/var/lib/mysql', '/var/lib/mysql-binlog/x', false],
    ['/srv', '/srvx', false],
  ];
  for (const [p, t, want] of cases) it(`${p} ⊑ ${t} = ${want}`, () => assert.equal(isPathPrefix(p, t), want));
});

const DEVICES: RoleCandidate[] = [
  { device: '/dev/vda1', mountpoints: ['/'] },
  { device: '/dev/mapper/vg0-data', mountpoints: ['/var/lib/mysql', '/srv/backup'] },
  { device: '/dev/mapper/vg0-binlog', mountpoints: ['/var/lib/mysql-binlog'] },
  { device: 'tmpfs', mountpoints: ['/tmp'] },
  { device: '/dev/sdb1', mountpoints: ['/srv'] },
];

describe('assignRoles', () => {
  const cases: Array<{ name: string; rules?: RoleRule[]; mysql: MysqlPaths | null; want: VolumeRole[] }> = [
    { name: 'no MySQL, no rules', mysql: null, want: ['other', 'other', 'other', 'other', 'other'] },
    {
      name: 'detection: longest mountpoint prefix of datadir and binlog',
      mysql: { datadir: '/var/lib/mysql', binlog: '/var/lib/mysql-binlog/mysql-bin' },
      want: ['other', 'data', 'binlog', 'other', 'other'],
    },
    {
      name: 'datadir on the root filesystem',
      mysql: { datadir: '/opt/mysql/data', binlog: '/var/lib/mysql-binlog/mysql-bin' },
      want: ['data', 'other', 'binlog', 'other', 'other'],
    },
    {
      name: 'both on one device: data',
      mysql: { datadir: '/var/lib/mysql/data', binlog: '/var/lib/mysql/binlogs/bin' },
      want: ['other', 'data', 'other', 'other', 'other'],
    },
    {
      name: 'an alias mountpoint counts',
      mysql: { datadir: '/srv/backup/mysql' },
      want: ['other', 'data', 'other', 'other', 'other'],
    },
    {
      name: 'explicit rules override detection; longest rule wins; device path matches',
      rules: [
        { role: 'other', path: '/var/lib/mysql' },
        { role: 'binlog', path: '/' },
        { role: 'data', path: '/dev/mapper/vg0-binlog' },
        { role: 'other', path: '/tmp' },
      ],
      mysql: { datadir: '/var/lib/mysql', binlog: '/var/lib/mysql-binlog/mysql-bin' },
      want: ['binlog', 'other', 'data', 'other', 'binlog'],
    },
    {
      name: 'a rule path is a prefix of mountpoints, not a path on the device',
      rules: [{ role: 'data', path: '/srv/backup/mysql' }],
      mysql: null,
      want: ['other', 'other', 'other', 'other', 'other'],
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(assignRoles(DEVICES, c.rules ?? [], c.mysql), c.want));
});

describe('assignRole (one device)', () => {
  it('without the other devices, the device holding the path gets the role', () => {
    assert.equal(assignRole(['/'], [], { datadir: '/var/lib/mysql' }), 'data');
  });
  it('a longer prefix on another device takes it away', () => {
    assert.equal(assignRole(['/'], [], { datadir: '/var/lib/mysql' }, { others: ['/var/lib/mysql'] }), 'other');
  });
});

describe('unmatchedRoleRules', () => {
  it('a rule whose path is no mountpoint (a directory on another mount) is returned with the mount it is on', () => {
    const rules: RoleRule[] = [
      { role: 'data', path: '/var/lib/mysql' }, // a mountpoint: matches
      { role: 'binlog', path: '/srv/binlog' }, // a directory on /srv
      { role: 'data', path: '/opt/mysql/data' }, // a directory on /
      { role: 'other', path: '/dev/sdb1' }, // a device source: matches
      { role: 'other', path: '/srv' }, // a mountpoint: matches
      { role: 'binlog', path: '/srv/backup/binlog' }, // under an alias of vg0-data: on /srv/backup
    ];
    assert.deepEqual(unmatchedRoleRules(DEVICES, rules), [
      { rule: { role: 'binlog', path: '/srv/binlog' }, mountedOn: '/srv' },
      { rule: { role: 'data', path: '/opt/mysql/data' }, mountedOn: '/' },
      { rule: { role: 'binlog', path: '/srv/backup/binlog' }, mountedOn: '/srv/backup' },
    ]);
  });
  it('a rule above mountpoints matches them all, so it is not reported; no devices: mountedOn is null', () => {
    assert.deepEqual(unmatchedRoleRules(DEVICES, [{ role: 'data', path: '/var' }]), []);
    assert.deepEqual(unmatchedRoleRules([], [{ role: 'data', path: '/var/lib/mysql' }]), [{ rule: { role: 'data', path: '/var/lib/mysql' }, mountedOn: null }]);
  });
});
