/**
 * Real filesystems on loop devices for accuracy tests: a sparse image file in a temp dir, mkfs, a
 * loop device attached with `losetup --find --show`, then `mount`. Needs root (the test machine is).
 *
 * Every resource is released by `cleanup()` (idempotent), by `cleanupAllLoopFs()` and, as a last
 * resort, on process exit; a failed mkfs/attach/mount releases what it already took before it throws,
 * so no loop device or mount outlives the test.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

/** Filesystem types the helper can create. */
export type LoopFsType = 'ext4' | 'xfs';

/** Options of `createLoopFs`. */
export interface LoopFsOptions {
  readonly fstype: LoopFsType;
  /** Image size; xfs needs at least 300 MiB (xfsprogs >= 5.19 refuses smaller), rounded up to 320. */
  readonly sizeMiB: number;
  /** Where to mount; default `<tempdir>/mnt`. Created when missing. */
  readonly mountpoint?: string;
}

/** A mounted loop filesystem. */
export interface LoopFs {
  readonly fstype: LoopFsType;
  /** The image file (sparse until written). */
  readonly image: string;
  /** `/dev/loopN`, as mountinfo shows the mount source. */
  readonly device: string;
  /** Kernel name, `loopN`. */
  readonly name: string;
  readonly mountpoint: string;
  /**
   * Write a file of `bytes` bytes (non-zero data, 1 MiB chunks) under the mountpoint, fsync it and
   * sync the filesystem, so statfs shows the blocks as used. Returns the file's path.
   */
  fill(bytes: number, name?: string): string;
  /** Create `count` empty files (uses inodes); fsyncs the filesystem. */
  touchFiles(count: number, prefix?: string): void;
  /** Bind-mount the mountpoint at `target` (created when missing); `readOnly` remounts the bind ro. */
  bindMount(target: string, options?: { readOnly?: boolean }): string;
  /** Unmount binds and the filesystem, detach the loop device, remove the image; never throws. */
  cleanup(): void;
}

const live = new Set<LoopFs>();
let exitHookInstalled = false;

function run(cmd: string, args: readonly string[], what: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new Error(`${what}: ${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what}: ${cmd} ${args.join(' ')} exited with ${r.status}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Run and ignore failure (cleanup paths). */
function tryRun(cmd: string, args: readonly string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0;
}

function isMounted(path: string): boolean {
  return spawnSync('mountpoint', ['-q', path]).status === 0;
}

/** Unmount `path`: a plain umount first, then lazy (-l) when something still holds it. */
function unmount(path: string): void {
  if (!isMounted(path)) return;
  if (!tryRun('umount', [path])) tryRun('umount', ['-l', path]);
}

/** Create, format, attach and mount a loop filesystem. */
export function createLoopFs(options: LoopFsOptions): LoopFs {
  const sizeMiB = options.fstype === 'xfs' ? Math.max(320, options.sizeMiB) : Math.max(8, options.sizeMiB);
  const tmp = tempDir(`vigia-loopfs-${options.fstype}-`);
  const image = join(tmp.dir, `${options.fstype}.img`);
  const mountpoint = options.mountpoint ?? join(tmp.dir, 'mnt');
  const binds: string[] = [];
  let device = '';
  let mounted = false;
  let cleaned = false;

  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    live.delete(fs);
    for (const b of binds.reverse()) unmount(b);
    if (mounted) unmount(mountpoint);
    // A lazily unmounted fs still holds the device: `losetup -d` then sets autoclear instead.
    if (device) tryRun('losetup', ['-d', device]);
    rmSync(tmp.dir, { recursive: true, force: true });
  };

  const fs: LoopFs = {
    fstype: options.fstype,
    image,
    get device() {
      return device;
    },
    get name() {
      return device.replace(/^\/dev\//, '');
    },
    mountpoint,
    fill(bytes, name = `fill-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.bin`) {
      const path = join(mountpoint, name);
      const chunk = Buffer.alloc(1 << 20, 0xa5);
      const fd = openSync(path, 'w');
      try {
        let left = Math.max(0, Math.floor(bytes));
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          writeSync(fd, chunk, 0, n);
          left -= n;
        }
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      run('sync', ['-f', mountpoint], 'sync');
      return path;
    },
    touchFiles(count, prefix = 'inode') {
      const dir = join(mountpoint, `${prefix}-${Date.now()}`);
      mkdirSync(dir);
      for (let i = 0; i < count; i++) closeSync(openSync(join(dir, String(i)), 'w'));
      run('sync', ['-f', mountpoint], 'sync');
    },
    bindMount(target, opts = {}) {
      mkdirSync(target, { recursive: true });
      run('mount', ['--bind', mountpoint, target], 'bind mount');
      binds.push(target);
      if (opts.readOnly) run('mount', ['-o', 'remount,bind,ro', target], 'read-only bind remount');
      return target;
    },
    cleanup,
  };

  live.add(fs);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', cleanupAllLoopFs);
  }
  try {
    run('truncate', ['-s', `${sizeMiB}M`, image], 'sparse image');
    if (options.fstype === 'ext4') run('mkfs.ext4', ['-q', '-F', image], 'mkfs.ext4');
    else run('mkfs.xfs', ['-q', '-f', image], 'mkfs.xfs');
    device = run('losetup', ['--find', '--show', image], 'losetup').trim();
    if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup printed "${device}", expected /dev/loopN`);
    mkdirSync(mountpoint, { recursive: true });
    run('mount', ['-t', options.fstype, device, mountpoint], 'mount');
    mounted = true;
    const source = run('findmnt', ['-no', 'SOURCE', '--mountpoint', mountpoint], 'findmnt').trim();
    if (source !== device) throw new Error(`findmnt shows ${source} on ${mountpoint}, expected ${device}`);
  } catch (err) {
    cleanup();
    throw err;
  }
  return fs;
}

/** Clean up every loop filesystem this process created and has not cleaned up yet (sync; exit-safe). */
export function cleanupAllLoopFs(): void {
  for (const fs of [...live]) fs.cleanup();
}

/** What `df -B1 --output=source,size,used,avail,pcent,itotal,iused,ipcent,target` prints for one mount. */
export interface DfRow {
  readonly source: string;
  readonly size: number;
  readonly used: number;
  readonly avail: number;
  /** Use% as a number; null for df's `-`. */
  readonly pcent: number | null;
  readonly itotal: number;
  readonly iused: number;
  readonly ipcent: number | null;
  readonly target: string;
}

/** Run df (coreutils) on `paths` and parse its rows, in order. */
export function df(paths: readonly string[]): DfRow[] {
  const out = run('df', ['-B1', '--output=source,size,used,avail,pcent,itotal,iused,ipcent,target', ...paths], 'df');
  const pct = (s: string): number | null => (s === '-' ? null : Number(s.replace('%', '')));
  return out
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const f = line.trim().split(/\s+/);
      // target is the last field and may hold spaces: everything after the 8th field
      const [source, size, used, avail, pcent, itotal, iused, ipcent, ...target] = f;
      return {
        source: source!,
        size: Number(size),
        used: Number(used),
        avail: Number(avail),
        pcent: pct(pcent!),
        itotal: Number(itotal),
        iused: Number(iused),
        ipcent: pct(ipcent!),
        target: target.join(' '),
      };
    });
}
