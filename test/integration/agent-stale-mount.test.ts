/**
 * A REAL hung mount: a FUSE bindfs whose daemon is SIGSTOPped makes statfs(2) block in the kernel.
 * The filesystem collector must still answer within its deadline (STATFS_TIMEOUT for that mount,
 * numbers for the others), then skip it (STALE_SKIPPED) without spending more threads, keep libuv's
 * pool free, and recover after SIGCONT. Also checks the numbers against df for a loop-mounted ext4.
 * Needs root, /dev/fuse, bindfs (Debian package `bindfs`), e2fsprogs, coreutils' df.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, statfs as libuvStatfs, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFilesystemFilter } from '../../src/agent/collectors/filesystem-filter.js';
import { StaleMounts, collectDevices } from '../../src/agent/collectors/filesystems.js';
import { createStatfsPool } from '../../src/agent/collectors/statfs-pool.js';
import type { StatfsPool } from '../../src/agent/collectors/statfs-pool.js';
import type { DeviceInfo, HostRoots } from '../../src/agent/model.js';
import { requireBinary } from '../support/binaries.js';
import { waitFor } from '../support/wait.js';

// A missing bindfs is an install step (scripts/setup.sh), so it fails here rather than skipping; only a
// machine that cannot mount FUSE at all (not root, no /dev/fuse) skips.
const BINDFS = requireBinary('bindfs');
const canMountFuse = existsSync('/dev/fuse') && process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mounted = (mp: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === mp);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });

describe('agent: a hung FUSE mount', { skip: !canMountFuse && 'needs root and /dev/fuse' }, () => {
  // Long enough that a loaded CI machine answers the healthy mounts well within it, short enough to wait for.
  const TIMEOUT_MS = 1500;
  let base = '';
  let mntHung = '';
  let mntOk = '';
  let mntExt4 = '';
  let daemons: ChildProcess[] = [];
  let hung: ChildProcess | undefined;
  let roots: HostRoots;
  let pool: StatfsPool;
  const stale = new StaleMounts({ retryMs: 150 });
  const pools: StatfsPool[] = [];

  const startBindfs = async (src: string, mnt: string): Promise<ChildProcess> => {
    await mkdir(src, { recursive: true });
    await mkdir(mnt, { recursive: true });
    const child = spawn(BINDFS, ['-f', src, mnt], { stdio: 'ignore' });
    daemons.push(child);
    await waitFor(`bindfs on ${mnt}`, () => mounted(mnt), 10_000);
    return child;
  };

  before(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'vigia-stale-'));
    mntHung = path.join(base, 'hung');
    mntOk = path.join(base, 'ok');
    mntExt4 = path.join(base, 'ext4');
    hung = await startBindfs(path.join(base, 'src-hung'), mntHung);
    await startBindfs(path.join(base, 'src-ok'), mntOk);
    await writeFile(path.join(base, 'src-ok', 'f'), 'x'.repeat(10_000));
    const img = path.join(base, 'ext4.img');
    sh('truncate', ['-s', '64M', img]);
    sh('mkfs.ext4', ['-q', '-F', img]);
    await mkdir(mntExt4);
    sh('mount', ['-o', 'loop', img, mntExt4]);
    await writeFile(path.join(mntExt4, 'data'), Buffer.alloc(3 * 1024 * 1024 + 17, 1));
    for (let i = 0; i < 50; i++) await writeFile(path.join(mntExt4, `f${i}`), 'y');
    sh('sync', []);

    // Mountinfo of pid 1, like production, when pid 1 shares our mount namespace; else ours.
    let procfs = '/proc';
    if (!readFileSync('/proc/1/mountinfo', 'utf8').includes(mntHung)) {
      procfs = path.join(base, 'proc');
      await mkdir(procfs);
      await symlink(`/proc/${process.pid}`, path.join(procfs, '1'));
    }
    roots = { rootfs: '/', procfs, sysfs: '/sys', udevData: '/run/udev/data' };
    pool = createStatfsPool({ timeoutMs: TIMEOUT_MS, workers: 2 });
    pools.push(pool);
  });

  after(async () => {
    // Whatever happened: wake the daemon (stuck threads return), unmount, clean up. Bounded.
    try { if (hung?.pid) process.kill(hung.pid, 'SIGCONT'); } catch { /* gone */ }
    await sleep(100);
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
    for (const mp of [mntHung, mntOk]) {
      if (!mp || !mounted(mp)) continue;
      try { sh('fusermount', ['-u', mp]); } catch { try { sh('umount', ['-l', mp]); } catch { /* reported below */ } }
    }
    if (mntExt4 && mounted(mntExt4)) { try { sh('umount', [mntExt4]); } catch { sh('umount', ['-l', mntExt4]); } }
    for (const d of daemons) if (d.exitCode === null) d.kill('SIGTERM');
    daemons = [];
    if (base) await rm(base, { recursive: true, force: true });
    for (const mp of [mntHung, mntOk, mntExt4]) assert.equal(mp !== '' && mounted(mp), false, `${mp} left mounted`);
  });

  const collect = async (): Promise<{ ms: number; byMp: Map<string, DeviceInfo> }> => {
    const filter = parseFilesystemFilter({ mountPointsInclude: `^${escapeRe(base)}/` });
    const t0 = Date.now();
    const devices = await collectDevices({ roots, filter, statfs: pool, staleRetryMs: 150 }, stale);
    return { ms: Date.now() - t0, byMp: new Map(devices.map((d) => [d.mountpoint, d])) };
  };

  it('lists the three test mounts with numbers while all is well', async () => {
    const { byMp } = await collect();
    assert.deepEqual([...byMp.keys()].sort(), [mntExt4, mntHung, mntOk].sort());
    for (const d of byMp.values()) {
      assert.equal(d.error, null, d.mountpoint);
      assert.ok((d.size_bytes ?? 0) > 0, d.mountpoint);
    }
    const ext4 = byMp.get(mntExt4) as DeviceInfo;
    assert.match(ext4.name, /^loop\d+$/);
    assert.equal(ext4.fstype, 'ext4');
  });

  it('matches df -B1 and df\'s inode columns exactly on the quiet loop ext4', async () => {
    const { byMp } = await collect();
    // Only the private ext4 is compared exactly: the FUSE mounts mirror the busy root filesystem.
    for (const mp of [mntExt4]) {
      const d = byMp.get(mp) as DeviceInfo;
      const [, line] = sh('df', ['-B1', '--output=source,size,used,avail,pcent,target', mp]).trim().split('\n');
      const [source, size, used, avail, pcent] = (line ?? '').trim().split(/\s+/);
      assert.deepEqual(
        [d.device, d.size_bytes, d.used_bytes, d.avail_bytes, d.use_pct],
        [source, Number(size), Number(used), Number(avail), Number(pcent?.replace('%', ''))],
        `df -B1 ${mp}`,
      );
      const [, iline] = sh('df', ['--output=itotal,iused,iavail,ipcent', mp]).trim().split('\n');
      const [itotal, iused, iavail, ipcent] = (iline ?? '').trim().split(/\s+/);
      assert.deepEqual(
        [d.inodes_total, d.inodes_used, d.inodes_free, d.inode_use_pct],
        [Number(itotal), Number(iused), Number(iavail), ipcent === '-' ? null : Number(ipcent?.replace('%', ''))],
        `df --output=itotal,iused,iavail,ipcent ${mp}`,
      );
    }
    const ext4 = byMp.get(mntExt4) as DeviceInfo;
    assert.ok((ext4.use_pct ?? 0) > 0 && (ext4.inodes_used ?? 0) > 50, 'the ext4 numbers are not trivially zero');
  });

  it('answers within the deadline with STATFS_TIMEOUT once the daemon is stopped', async () => {
    process.kill(hung?.pid as number, 'SIGSTOP');
    // Prove it really hangs: a plain statfs on it (libuv) does not answer in 300 ms.
    const probe = Promise.race([libuvStatfs(mntHung).then(() => 'answered'), sleep(300).then(() => 'hung')]);
    assert.equal(await probe, 'hung');

    const { ms, byMp } = await collect();
    assert.ok(ms < TIMEOUT_MS + 1500, `collect took ${ms} ms`);
    const d = byMp.get(mntHung) as DeviceInfo;
    assert.equal(d.error?.code, 'STATFS_TIMEOUT');
    assert.equal(d.size_bytes, null);
    assert.ok(d.error.message.includes(mntHung));
    for (const mp of [mntOk, mntExt4]) {
      assert.equal(byMp.get(mp)?.error, null, mp);
      assert.ok((byMp.get(mp)?.size_bytes ?? 0) > 0, mp);
    }
    assert.equal(pool.stats().abandoned, 1);
  });

  it('then skips it (STALE_SKIPPED) quickly, without spending more threads on re-probes', async () => {
    for (let i = 0; i < 3; i++) {
      const { ms, byMp } = await collect();
      // Well under the 1.5 s deadline: the stale mount is not probed (nor waited for) again.
      assert.ok(ms < TIMEOUT_MS / 2, `skipping collect took ${ms} ms`);
      assert.equal(byMp.get(mntHung)?.error?.code, 'STALE_SKIPPED');
      assert.equal(byMp.get(mntOk)?.error, null);
      assert.equal(byMp.get(mntExt4)?.error, null);
      await sleep(200); // > staleRetryMs
    }
    assert.equal(pool.stats().abandoned, 1, 'the stuck call is the one probe');
    assert.ok(stale.has(mntHung));
  });

  it('keeps the event loop and libuv pool free while more workers than libuv threads are stuck', async () => {
    const n = Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
    // One path per worker, so n + 1 workers start at once; a deadline long enough for worker threads
    // to boot on a loaded machine (a worker that has not started its path is not stuck, and a
    // short deadline turned this test into a measure of thread start-up time).
    const wide = createStatfsPool({ timeoutMs: 3000, workers: n + 1, minBatchPerWorker: 1 });
    pools.push(wide);
    const calls = Array.from({ length: n + 1 }, () => wide.statfs(mntHung).catch((e: unknown) => e));
    await waitFor('every worker to take a call', () => wide.stats().busy === n + 1, 5000);
    await sleep(500);
    const t0 = Date.now();
    // Raced against a timer so that a blocked libuv pool fails the test instead of hanging it.
    const read = await Promise.race([readFile(path.join(base, 'src-ok', 'f'), 'utf8'), sleep(1000).then(() => 'blocked')]);
    assert.equal(read, 'x'.repeat(10_000), 'readFile completed while the statfs calls were stuck');
    // A blocked libuv pool would never answer (the mount is hung): under the race's second is enough.
    assert.ok(Date.now() - t0 < 1000, `readFile took ${Date.now() - t0} ms`);
    const errs = await Promise.all(calls);
    assert.ok(errs.every((e) => e instanceof Error && e.name === 'StatfsTimeoutError'));
    assert.equal(wide.stats().abandoned, n + 1);
  });

  it('a process with a statfs thread stuck on the mount does not exit, not even with process.exit(); SIGKILL ends it', async () => {
    // The evidence for statfs-pool.ts's caveat and agent/run.ts's exitProcess: Node joins every worker
    // thread on exit, and this one is in the kernel until the daemon wakes.
    const poolUrl = new URL('../../src/agent/collectors/statfs-pool.ts', import.meta.url).href;
    const script = `import { createStatfsPool } from ${JSON.stringify(poolUrl)};
const pool = createStatfsPool({ timeoutMs: 300, workers: 1 });
await pool.statfs(${JSON.stringify(mntHung)}).catch((e) => process.stdout.write(e.name + ' abandoned=' + pool.stats().abandoned + '\\n'));
process.exit(0);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => void (out += c.toString('utf8')));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    await waitFor('the child to abandon its stuck statfs and call process.exit', () => out.includes('abandoned=1'), 20_000);
    assert.match(out, /^StatfsTimeoutError abandoned=1$/m);
    // A lower bound, not a threshold: a process.exit() that completed would end the child within it.
    assert.equal(await Promise.race([exited, sleep(2000).then(() => 'still running')]), 'still running');
    child.kill('SIGKILL');
    assert.equal(await Promise.race([exited, sleep(5000).then(() => 'not killed')]), 'SIGKILL');
  });

  it('recovers after SIGCONT', async () => {
    process.kill(hung?.pid as number, 'SIGCONT');
    await waitFor('the stuck statfs to answer', () => !stale.has(mntHung), 5000);
    await waitFor('the abandoned worker to be released', () => pool.stats().abandoned === 0, 5000);
    const { byMp } = await collect();
    const d = byMp.get(mntHung) as DeviceInfo;
    assert.equal(d.error, null);
    assert.ok((d.size_bytes ?? 0) > 0);
  });
});
