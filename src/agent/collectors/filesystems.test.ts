import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { DeviceInfo, HostRoots } from '../model.js';
import { DEFAULT_FILESYSTEM_FILTER } from './filesystem-filter.js';
import { StaleMounts, collectDevices, createDeviceCollector, dfNumbers, groupMounts } from './filesystems.js';
import type { DfNumbers } from './filesystems.js';
import { parseMountinfo } from './mountinfo.js';
import { StatfsError, StatfsTimeoutError } from './statfs-pool.js';
import type { StatfsOutcome, StatfsRunner, StatfsValues } from './statfs-pool.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/host-a/', import.meta.url));
const HOSTROOT = '/hostroot';
const roots: HostRoots = {
  rootfs: HOSTROOT,
  procfs: path.join(FIXTURE, 'proc'),
  sysfs: path.join(FIXTURE, 'sys'),
  udevData: path.join(FIXTURE, 'run/udev/data'),
};

const v = (bsize: number, blocks: number, bfree: number, bavail: number, files: number, ffree: number): StatfsValues => ({ bsize, blocks, bfree, bavail, files, ffree });

describe('dfNumbers (df -B1 / df -i arithmetic)', () => {
  const cases: Array<[name: string, StatfsValues, Partial<DfNumbers>]> = [
    // ext4 with 5% reserved: used 1000 of 10000 blocks, avail excludes the reserve.
    ['reserved blocks', v(4096, 10000, 9000, 8500, 640, 629), { size_bytes: 40960000, used_bytes: 4096000, free_bytes: 36864000, avail_bytes: 34816000, use_pct: 11, inodes_used: 11, inode_use_pct: 2 }],
    ['exact percent is not rounded up', v(1024, 200, 100, 100, 100, 50), { use_pct: 50, inode_use_pct: 50 }],
    ['any remainder rounds up', v(1024, 300, 200, 200, 3, 2), { use_pct: 34, inode_use_pct: 34 }],
    ['tiny use rounds up to 1', v(4096, 1_000_000, 999_999, 999_999, 1_000_000, 999_999), { use_pct: 1, inode_use_pct: 1 }],
    ['empty filesystem', v(4096, 100, 100, 90, 10, 10), { used_bytes: 0, use_pct: 0, inodes_used: 0, inode_use_pct: 0 }],
    ['full for users but not for root', v(4096, 100, 5, 0, 10, 0), { use_pct: 100, avail_bytes: 0, inode_use_pct: 100 }],
    ['no blocks (procfs-like): Use% unknown', v(4096, 0, 0, 0, 0, 0), { size_bytes: 0, use_pct: null, inode_use_pct: null }],
    ['no inode count (btrfs, vfat)', v(4096, 100, 50, 50, 0, 0), { use_pct: 50, inodes_total: 0, inode_use_pct: null }],
    // 16 EiB-scale block counts: the percent is still exact (BigInt), 1 block of 2^52 used -> 1%.
    ['huge counts', v(4096, 2 ** 52, 2 ** 52 - 1, 2 ** 52 - 1, 2 ** 40, 2 ** 40 - 1), { use_pct: 1, inode_use_pct: 1 }],
    ['99.99% is 100', v(1, 10000, 1, 1, 10000, 1), { use_pct: 100, inode_use_pct: 100 }],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      const got = dfNumbers(input);
      for (const [k, val] of Object.entries(want)) assert.equal(got[k as keyof DfNumbers], val, k);
      assert.equal(got.size_bytes, input.blocks * input.bsize);
      assert.equal(got.inodes_free, input.ffree);
    });
  }
});

describe('groupMounts', () => {
  const mi = (lines: string[]) => parseMountinfo(lines.join('\n'));
  const cases: Array<{ name: string; lines: string[]; want: Array<[primary: string, aliases: string[]]> }> = [
    {
      name: 'a bind of a subtree is an alias of the root mount',
      lines: ['1 0 8:1 / / rw - ext4 /dev/sda1 rw', '2 1 8:2 /sub /b rw - ext4 /dev/sda2 rw', '3 1 8:2 / /data rw - ext4 /dev/sda2 rw'],
      want: [['/', []], ['/data', ['/b']]],
    },
    {
      name: 'several root mounts: shortest mountpoint, then first',
      lines: ['2 1 8:2 / /srv/longer rw - ext4 /dev/sda2 rw', '3 1 8:2 / /srv/x rw - ext4 /dev/sda2 rw', '4 1 8:2 / /srv/y rw - ext4 /dev/sda2 rw'],
      want: [['/srv/x', ['/srv/longer', '/srv/y']]],
    },
    {
      name: 'no root "/" mount: the first',
      lines: ['2 1 0:44 /a /m1 rw - btrfs /dev/sdc rw', '3 1 0:44 /b /m rw - btrfs /dev/sdc rw'],
      want: [['/m1', ['/m']]],
    },
    {
      name: 'a mount hidden under a later one at the same mountpoint is dropped',
      lines: ['2 1 7:3 / /srv/old rw - ext4 /dev/loop3 rw', '3 2 7:4 / /srv/old rw - ext4 /dev/loop4 rw'],
      want: [['/srv/old', []]],
    },
    {
      name: 'tmpfs mounts are distinct devices',
      lines: ['2 1 0:40 / /tmp rw - tmpfs tmpfs rw', '3 1 0:41 / /var/tmp rw - tmpfs tmpfs rw'],
      want: [['/tmp', []], ['/var/tmp', []]],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = groupMounts(mi(c.lines)).map((g) => [g.primary.mountpoint, g.aliases.map((a) => a.mountpoint)]);
      assert.deepEqual(got, c.want);
    });
  }
  it('the hidden mount case keeps the later device', () => {
    const [g] = groupMounts(mi(['2 1 7:3 / /srv/old rw - ext4 /dev/loop3 rw', '3 2 7:4 / /srv/old rw - ext4 /dev/loop4 rw']));
    assert.equal(g?.primary.source, '/dev/loop4');
  });
});

/** A StatfsRunner answering from a table keyed by path; functions let a test throw or hang. */
function fakeStatfs(table: Record<string, StatfsValues | (() => Promise<StatfsValues>)>): StatfsRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async statfs(p: string) {
      calls.push(p);
      const e = table[p];
      if (e === undefined) throw new StatfsError('ENOENT', `ENOENT: no such file or directory, statfs '${p}'`);
      return typeof e === 'function' ? e() : e;
    },
    async close() {},
  };
}

const VALUES = v(4096, 1000, 400, 350, 100, 60);
const ALL_OK = {
  '/hostroot': VALUES,
  '/hostroot/run': VALUES,
  '/hostroot/var/lib/mysql': v(4096, 2000, 1000, 1000, 200, 100),
  '/hostroot/var/lib/mysql-binlog': VALUES,
  '/hostroot/srv/my data': VALUES,
  '/hostroot/tmp': VALUES,
  '/hostroot/srv/old': VALUES,
  '/hostroot/data/nfs': VALUES,
  '/hostroot/srv/crypt': VALUES,
};

describe('collectDevices on the host-a fixture', () => {
  it('lists each device once with names, dm/LVM identity, aliases, roles and numbers', async () => {
    const statfs = fakeStatfs(ALL_OK);
    const devices = await collectDevices({
      roots,
      filter: DEFAULT_FILESYSTEM_FILTER,
      statfs,
      mysqlPaths: { datadir: '/var/lib/mysql', binlog: '/var/lib/mysql-binlog/mysql-bin' },
    });
    const brief = devices.map((d) => ({ name: d.name, device: d.device, mp: d.mountpoint, fs: d.fstype, dm: d.dm_name, lvm: d.lvm, role: d.role, ro: d.read_only, aliases: d.aliases }));
    assert.deepEqual(brief, [
      { name: 'vda1', device: '/dev/vda1', mp: '/', fs: 'ext4', dm: null, lvm: null, role: 'other', ro: false, aliases: [] },
      // Upstream node_exporter's default excludes only /run/credentials/... under /run.
      { name: 'tmpfs', device: 'tmpfs', mp: '/run', fs: 'tmpfs', dm: null, lvm: null, role: 'other', ro: false, aliases: [] },
      { name: 'dm-0', device: '/dev/mapper/vg--mysql-data', mp: '/var/lib/mysql', fs: 'xfs', dm: 'vg--mysql-data', lvm: { vg: 'vg-mysql', lv: 'data' }, role: 'data', ro: false, aliases: [{ mountpoint: '/srv/backup', read_only: true }] },
      { name: 'dm-1', device: '/dev/mapper/vg--mysql-binlog', mp: '/var/lib/mysql-binlog', fs: 'ext4', dm: 'vg--mysql-binlog', lvm: { vg: 'vg-mysql', lv: 'binlog' }, role: 'binlog', ro: false, aliases: [] },
      { name: 'dm-2', device: '/dev/mapper/vg0-lv--x', mp: '/srv/my data', fs: 'ext4', dm: 'vg0-lv--x', lvm: { vg: 'vg0', lv: 'lv-x' }, role: 'other', ro: false, aliases: [] },
      { name: 'tmpfs', device: 'tmpfs', mp: '/tmp', fs: 'tmpfs', dm: null, lvm: null, role: 'other', ro: false, aliases: [] },
      { name: 'loop4', device: '/dev/loop4', mp: '/srv/old', fs: 'ext4', dm: null, lvm: null, role: 'other', ro: false, aliases: [] },
      { name: 'nas:/export', device: 'nas:/export', mp: '/data/nfs', fs: 'nfs4', dm: null, lvm: null, role: 'other', ro: false, aliases: [] },
      { name: 'dm-3', device: '/dev/mapper/cryptdata', mp: '/srv/crypt', fs: 'ext4', dm: 'cryptdata', lvm: null, role: 'other', ro: false, aliases: [] },
    ]);
    const mysql = devices.find((d) => d.mountpoint === '/var/lib/mysql') as DeviceInfo;
    assert.equal(mysql.major_minor, '253:0');
    assert.deepEqual(
      [mysql.size_bytes, mysql.used_bytes, mysql.free_bytes, mysql.avail_bytes, mysql.use_pct, mysql.inodes_total, mysql.inodes_used, mysql.inodes_free, mysql.inode_use_pct, mysql.error],
      [8192000, 4096000, 4096000, 4096000, 50, 200, 100, 100, 50, null],
    );
    assert.deepEqual(statfs.calls.sort(), Object.keys(ALL_OK).sort(), 'statfs once per device, under rootfs, never on aliases');
  });

  it('falls back to <procfs>/self/mountinfo', async () => {
    const devices = await collectDevices({ roots: { ...roots, procfs: '/proc' }, filter: DEFAULT_FILESYSTEM_FILTER, statfs: fakeStatfs({}) });
    assert.ok(devices.length > 0);
    const none = await collectDevices({ roots: { ...roots, procfs: path.join(FIXTURE, 'sys') }, filter: DEFAULT_FILESYSTEM_FILTER, statfs: fakeStatfs({}) }).catch((e: unknown) => e);
    assert.ok(none instanceof Error, 'no mountinfo at all is an error for the whole collector');
  });

  it('isolates per-device statfs errors and keeps host paths out of messages', async () => {
    const statfs = fakeStatfs({
      ...ALL_OK,
      '/hostroot/var/lib/mysql': () => Promise.reject(new StatfsError('EACCES', "EACCES: permission denied, statfs '/hostroot/var/lib/mysql'")),
      '/hostroot/data/nfs': () => Promise.reject(new StatfsTimeoutError('statfs timed out after 50 ms')),
      '/hostroot/tmp': () => Promise.reject(new Error('boom')),
    });
    const devices = await collectDevices({ roots, filter: DEFAULT_FILESYSTEM_FILTER, statfs });
    const byMp = new Map(devices.map((d) => [d.mountpoint, d]));
    assert.equal(devices.length, 9);
    assert.equal(byMp.get('/var/lib/mysql')?.error?.code, 'STATFS_FAILED');
    assert.match(byMp.get('/var/lib/mysql')?.error?.message ?? '', /EACCES/);
    assert.equal(byMp.get('/data/nfs')?.error?.code, 'STATFS_TIMEOUT');
    assert.equal(byMp.get('/tmp')?.error?.code, 'STATFS_FAILED');
    for (const d of devices) {
      if (d.error) {
        assert.ok(!d.error.message.includes(HOSTROOT), `no rootfs path in: ${d.error.message}`);
        assert.deepEqual([d.size_bytes, d.used_bytes, d.avail_bytes, d.use_pct, d.inodes_total, d.inode_use_pct], [null, null, null, null, null, null]);
        assert.equal(d.lvm === null || d.name.startsWith('dm-'), true, 'identity is still reported');
      } else {
        assert.equal(d.size_bytes, 4096000);
      }
    }
    assert.equal(byMp.get('/var/lib/mysql')?.lvm?.vg, 'vg-mysql');
    assert.equal(byMp.get('/')?.error, null);
  });

  it('mountPointsInclude narrows the list; filtering happens per mount, before dedup', async () => {
    const devices = await collectDevices({
      roots,
      filter: { ...DEFAULT_FILESYSTEM_FILTER, mountPointsInclude: /^\/srv\// },
      statfs: fakeStatfs(ALL_OK),
    });
    assert.deepEqual(devices.map((d) => d.mountpoint), ['/srv/backup', '/srv/my data', '/srv/old', '/srv/crypt']);
    assert.deepEqual([devices[0]?.name, devices[0]?.read_only, devices[0]?.error?.code], ['dm-0', true, 'STATFS_FAILED']);
  });
});

describe('StaleMounts with collectDevices', () => {
  it('times out once, skips while the stuck call is pending, recovers when it answers', async () => {
    let release!: (v: StatfsValues) => void;
    const late = new Promise<StatfsValues>((r) => { release = r; });
    let nfsCalls = 0;
    const statfs = fakeStatfs({
      ...ALL_OK,
      '/hostroot/data/nfs': () => {
        nfsCalls++;
        return Promise.reject(new StatfsTimeoutError('statfs timed out after 50 ms', late));
      },
    });
    let now = 0;
    const stale = new StaleMounts({ retryMs: 1000, now: () => now });
    const opts = { roots, filter: DEFAULT_FILESYSTEM_FILTER, statfs };
    const nfs = async () => (await collectDevices(opts, stale)).find((d) => d.mountpoint === '/data/nfs');

    assert.equal((await nfs())?.error?.code, 'STATFS_TIMEOUT');
    assert.deepEqual(stale.list(), ['/data/nfs']);
    assert.equal(stale.probing('/data/nfs'), true, 'the stuck call is the probe');
    now += 5000;
    assert.equal((await nfs())?.error?.code, 'STALE_SKIPPED');
    assert.equal(nfsCalls, 1, 'no new statfs while the stuck one is pending, even after retryMs');

    release(VALUES);
    await late;
    await new Promise((r) => setImmediate(r));
    assert.equal(stale.has('/data/nfs'), false);
    statfsTable(statfs, '/hostroot/data/nfs', VALUES);
    const back = await nfs();
    assert.equal(back?.error, null);
    assert.equal(back?.size_bytes, 4096000);
  });

  it('a probe that fails again is retried at most once per retryMs, one at a time', async () => {
    const answers: Array<(v: StatfsValues) => void> = [];
    let calls = 0;
    let mode: 'timeout' | 'hang' | 'ok' = 'timeout';
    const statfs: StatfsRunner = {
      async statfs(p) {
        if (p !== '/hostroot/data/nfs') return VALUES;
        calls++;
        if (mode === 'ok') return VALUES;
        // A call that hung past its deadline and then failed again (its late answer is another timeout).
        if (mode === 'timeout') throw new StatfsTimeoutError('timed out', Promise.reject(new StatfsTimeoutError('still hung')));
        return new Promise<StatfsValues>((r) => answers.push(r));
      },
      async close() {},
    };
    let now = 0;
    const stale = new StaleMounts({ retryMs: 1000, now: () => now });
    const opts = { roots, filter: { ...DEFAULT_FILESYSTEM_FILTER, mountPointsInclude: /^\/data\/nfs$/ }, statfs };
    const code = async () => (await collectDevices(opts, stale))[0]?.error?.code;

    assert.equal(await code(), 'STATFS_TIMEOUT');
    assert.equal(stale.probing('/data/nfs'), false);
    assert.equal(await code(), 'STALE_SKIPPED');
    assert.equal(calls, 1, 'too early for a re-probe');
    now += 1000;
    await code();
    assert.equal(calls, 2, 're-probe after retryMs');
    await new Promise((r) => setImmediate(r));
    assert.equal(stale.has('/data/nfs'), true, 're-probe timed out: still stale');
    now += 1000;
    mode = 'hang';
    assert.equal(await code(), 'STALE_SKIPPED');
    now += 5000;
    assert.equal(await code(), 'STALE_SKIPPED');
    assert.equal(calls, 3, 'one probe in flight at most');
    answers[0]?.(VALUES);
    await new Promise((r) => setImmediate(r));
    assert.equal(stale.has('/data/nfs'), false);
    mode = 'ok';
    assert.equal(await code(), undefined);
    assert.equal(calls, 4);
  });

  it('a timeout without a late answer (the call never got a worker) is reported but does not mark the mount stale', async () => {
    let calls = 0;
    const statfs: StatfsRunner = {
      async statfs(p) {
        if (p !== '/hostroot/data/nfs') return VALUES;
        calls++;
        if (calls === 1) throw new StatfsTimeoutError('did not start within 50 ms');
        return VALUES;
      },
      async close() {},
    };
    const stale = new StaleMounts({ retryMs: 1_000_000 });
    const opts = { roots, filter: { ...DEFAULT_FILESYSTEM_FILTER, mountPointsInclude: /^\/data\/nfs$/ }, statfs };
    assert.equal((await collectDevices(opts, stale))[0]?.error?.code, 'STATFS_TIMEOUT');
    assert.equal(stale.has('/data/nfs'), false, 'nothing says this mount hangs');
    assert.equal((await collectDevices(opts, stale))[0]?.error, null, 'the next collection asks again at once');
    assert.equal(calls, 2);
  });

  it('staleRetryMs in the options overrides the StaleMounts default', async () => {
    let calls = 0;
    const statfs: StatfsRunner = {
      async statfs() {
        calls++;
        throw new StatfsTimeoutError('t', Promise.reject(new StatfsTimeoutError('still hung')));
      },
      async close() {},
    };
    let now = 0;
    const stale = new StaleMounts({ retryMs: 1_000_000, now: () => now });
    const opts = { roots, filter: { ...DEFAULT_FILESYSTEM_FILTER, mountPointsInclude: /^\/tmp$/ }, statfs, staleRetryMs: 10 };
    await collectDevices(opts, stale);
    now += 10;
    await collectDevices(opts, stale);
    assert.equal(calls, 2);
  });
});

function statfsTable(runner: StatfsRunner, p: string, val: StatfsValues): void {
  const orig = runner.statfs.bind(runner);
  runner.statfs = (q: string) => (q === p ? Promise.resolve(val) : orig(q));
}

describe('createDeviceCollector: what is cached and what is not', () => {
  /** A writable copy of the host-a fixture (symlinks kept relative). */
  async function fixtureCopy(): Promise<{ roots: HostRoots; dir: string; mountinfo: string; udev253: string }> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigia-fs-cache-'));
    await cp(FIXTURE, dir, { recursive: true, verbatimSymlinks: true });
    const r: HostRoots = { rootfs: HOSTROOT, procfs: path.join(dir, 'proc'), sysfs: path.join(dir, 'sys'), udevData: path.join(dir, 'run/udev/data') };
    return { roots: r, dir, mountinfo: path.join(dir, 'proc/1/mountinfo'), udev253: path.join(dir, 'run/udev/data/b253:0') };
  }
  const filter = { ...DEFAULT_FILESYSTEM_FILTER, mountPointsInclude: /^\/(var|srv|tmp)\// };

  it('numbers are fresh on every call; identities are re-read only for devices new to mountinfo', async () => {
    const fx = await fixtureCopy();
    try {
      const table: Record<string, StatfsValues> = { ...ALL_OK };
      const statfs = fakeStatfs(table);
      const c = createDeviceCollector();
      const opts = { roots: fx.roots, filter, statfs };
      const mysql = async () => (await c.collect(opts)).find((d) => d.mountpoint === '/var/lib/mysql');
      assert.deepEqual((await mysql())?.lvm, { vg: 'vg-mysql', lv: 'data' });
      assert.equal((await mysql())?.use_pct, 50);

      // Numbers: never cached.
      table['/hostroot/var/lib/mysql'] = v(4096, 2000, 500, 500, 200, 100);
      assert.equal((await mysql())?.use_pct, 75);
      const calls = statfs.calls.length;
      await c.collect(opts);
      assert.ok(statfs.calls.length > calls, 'statfs runs on every call');

      // Identity: udev changed under an unchanged mountinfo is not re-read...
      await writeFile(fx.udev253, (await readFile(fx.udev253, 'utf8')).replace('DM_VG_NAME=vg-mysql', 'DM_VG_NAME=renamed'));
      assert.equal((await mysql())?.lvm?.vg, 'vg-mysql');
      // ...nor when another mount appears (the device's own identity is kept)...
      const text = await readFile(fx.mountinfo, 'utf8');
      await writeFile(fx.mountinfo, `${text}\n50 21 0:70 / /srv/new rw - tmpfs scratch rw\n`);
      const withNew = await c.collect(opts);
      assert.ok(withNew.some((d) => d.mountpoint === '/srv/new' && d.name === 'scratch'), 'a new mount is noticed at once');
      assert.equal(withNew.find((d) => d.mountpoint === '/var/lib/mysql')?.lvm?.vg, 'vg-mysql');
      // ...but a device that went away and came back is read again.
      await writeFile(fx.mountinfo, text.split('\n').filter((l) => !l.includes(' 253:0 ')).join('\n'));
      assert.equal(await mysql(), undefined);
      await writeFile(fx.mountinfo, text);
      assert.equal((await mysql())?.lvm?.vg, 'renamed');
      c.close();
      assert.equal((await mysql())?.lvm?.vg, 'renamed', 'usable again after close()');
      c.close();
    } finally {
      await rm(fx.dir, { recursive: true, force: true });
    }
  });

  it('roles follow the MySQL paths and rules given per call; the filter is compared by value', async () => {
    const c = createDeviceCollector();
    const base = { roots, statfs: fakeStatfs(ALL_OK) };
    const roleOf = async (o: Partial<Parameters<typeof collectDevices>[0]>, mp: string) =>
      (await c.collect({ ...base, filter: { ...DEFAULT_FILESYSTEM_FILTER }, ...o })).find((d) => d.mountpoint === mp)?.role;
    assert.equal(await roleOf({}, '/var/lib/mysql'), 'other');
    assert.equal(await roleOf({ mysqlPaths: { datadir: '/var/lib/mysql' } }, '/var/lib/mysql'), 'data');
    assert.equal(await roleOf({ mysqlPaths: { datadir: '/srv/my data/db' } }, '/var/lib/mysql'), 'other');
    assert.equal(await roleOf({ mysqlPaths: { datadir: '/srv/my data/db' } }, '/srv/my data'), 'data');
    assert.equal(await roleOf({ roleRules: [{ role: 'binlog', path: '/srv/crypt' }] }, '/srv/crypt'), 'binlog');
    assert.equal(await roleOf({ roleRules: [] }, '/srv/crypt'), 'other');
    const only = await c.collect({ ...base, filter: { ...DEFAULT_FILESYSTEM_FILTER, mountPointsInclude: /^\/tmp$/ } });
    assert.deepEqual(only.map((d) => d.mountpoint), ['/tmp'], 'a different filter is a different layout');
  });

  it('answers are independent objects; the shared parts are frozen', async () => {
    const c = createDeviceCollector();
    const opts = { roots, filter: DEFAULT_FILESYSTEM_FILTER, statfs: fakeStatfs(ALL_OK) };
    const [a, b] = [await c.collect(opts), await c.collect(opts)];
    assert.notEqual(a[1], b[1]);
    assert.deepEqual(a, b);
    assert.ok(Object.isFrozen(a[1]?.aliases) && Object.isFrozen(a[1]?.lvm));
  });

  it('uses statfsMany when the runner has it: one batch per call, stale mounts left out of it', async () => {
    const batches: string[][] = [];
    let late!: (v: StatfsValues) => void;
    const statfs: StatfsRunner = {
      async statfs() {
        throw new Error('statfs() must not be used for a collection');
      },
      async statfsMany(paths) {
        batches.push([...paths]);
        return paths.map((p): StatfsOutcome => {
          if (p === '/hostroot/data/nfs') return { ok: false, error: new StatfsTimeoutError('statfs timed out after 50 ms', new Promise<StatfsValues>((r) => { late = r; })) };
          if (p === '/hostroot/tmp') return { ok: false, error: new StatfsError('EACCES', 'EACCES: permission denied') };
          return { ok: true, values: ALL_OK[p as keyof typeof ALL_OK] };
        });
      },
      async close() {},
    };
    const stale = new StaleMounts({ retryMs: 1000, now: () => 0 });
    const c = createDeviceCollector();
    const opts = { roots, filter: DEFAULT_FILESYSTEM_FILTER, statfs };
    const first = new Map((await c.collect(opts, stale)).map((d) => [d.mountpoint, d]));
    assert.equal(batches.length, 1);
    assert.deepEqual(batches[0]?.slice().sort(), Object.keys(ALL_OK).sort());
    assert.equal(first.get('/data/nfs')?.error?.code, 'STATFS_TIMEOUT');
    assert.equal(first.get('/tmp')?.error?.code, 'STATFS_FAILED');
    assert.match(first.get('/tmp')?.error?.message ?? '', /EACCES/);
    assert.equal(first.get('/')?.size_bytes, 4096000);
    assert.ok(stale.has('/data/nfs') && stale.probing('/data/nfs'));

    const second = new Map((await c.collect(opts, stale)).map((d) => [d.mountpoint, d]));
    assert.equal(second.get('/data/nfs')?.error?.code, 'STALE_SKIPPED');
    assert.ok(!batches[1]?.includes('/hostroot/data/nfs'), 'a stale mount is not in the batch');
    late(VALUES);
    await new Promise((r) => setImmediate(r));
    assert.equal(stale.has('/data/nfs'), false);
  });
});

describe('StaleMounts.retainOnly', () => {
  it('forgets mounts that are gone, keeps the others', () => {
    const stale = new StaleMounts();
    stale.markStale('/a');
    stale.markStale('/b');
    stale.retainOnly(new Set(['/b', '/c']));
    assert.deepEqual(stale.list(), ['/b']);
  });
});
