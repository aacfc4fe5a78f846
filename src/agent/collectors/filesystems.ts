/**
 * The filesystem/device collector: one DeviceInfo per mounted device, with df's numbers.
 *
 * Mounts come from <procfs>/1/mountinfo (host paths), filtered like node_exporter; bind mounts and
 * other mounts of the same device are listed once with aliases; names come from sysfs, LVM identity
 * from udev/sysfs; statfs runs through a StatfsRunner with a deadline, on <rootfs>/<mountpoint>.
 * A failing or hung mount gives that device an `error` and null numbers, never a failed list.
 *
 * Per call only mountinfo is read (it is how mount changes are noticed) and statfs runs (numbers are
 * never cached). The layout derived from mountinfo (filtering, grouping, roles, each device's sysfs /
 * udev identity) is recomputed only when the mountinfo text or the filter / role inputs change; a
 * device's identity is kept per `major:minor` + source while it stays mounted.
 */
import { close, open, read, readFile, readlink } from 'node:fs';
import path from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import type { DeviceInfo, HostRoots, ItemError, MountAlias } from '../model.js';
import { assignRoles, unmatchedRoleRules, type UnmatchedRoleRule } from '../roles.js';
import type { MysqlPaths, RoleRule } from '../roles.js';
import { isIncluded } from './filesystem-filter.js';
import type { FilesystemFilter } from './filesystem-filter.js';
import { readDmInfo } from './lvm.js';
import type { DmInfo } from './lvm.js';
import { parseMountinfo } from './mountinfo.js';
import type { MountEntry } from './mountinfo.js';
import { StatfsError, StatfsTimeoutError } from './statfs-pool.js';
import type { StatfsOutcome, StatfsRunner, StatfsValues } from './statfs-pool.js';

export type { RoleRule } from '../roles.js';

/** Inputs of one collection. */
export interface CollectDevicesOptions {
  readonly roots: HostRoots;
  readonly filter: FilesystemFilter;
  readonly statfs: StatfsRunner;
  readonly roleRules?: readonly RoleRule[];
  readonly mysqlPaths?: MysqlPaths | null;
  /** Told, each time the mount table is read anew, of the role rules that match no mount (to warn: they do nothing). */
  readonly onUnmatchedRoleRules?: (unmatched: readonly UnmatchedRoleRule[]) => void;
  /** Minimum time between background re-probes of a stale mount (default: the StaleMounts' own). */
  readonly staleRetryMs?: number;
}

/** df's numbers for one filesystem, as in DeviceInfo. */
export interface DfNumbers {
  readonly size_bytes: number;
  readonly used_bytes: number;
  readonly free_bytes: number;
  readonly avail_bytes: number;
  readonly use_pct: number | null;
  readonly inodes_total: number;
  readonly inodes_used: number;
  readonly inodes_free: number;
  readonly inode_use_pct: number | null;
}

/** ceil(100 * num / den) computed exactly, null when den is 0. */
function ceilPct(num: number, den: number): number | null {
  if (den <= 0) return null;
  const a = Math.max(0, Math.trunc(num)) * 100;
  const b = Math.trunc(den);
  // Both exact in a double: % is exact, and (a - r) / b divides an exact multiple. BigInt otherwise.
  if (a <= Number.MAX_SAFE_INTEGER && b <= Number.MAX_SAFE_INTEGER) {
    const r = a % b;
    return (a - r) / b + (r === 0 ? 0 : 1);
  }
  const n = BigInt(Math.max(0, Math.trunc(num))) * 100n;
  const d = BigInt(Math.trunc(den));
  return Number(n / d + (n % d === 0n ? 0n : 1n));
}

/**
 * df's arithmetic (coreutils df.c, and node_exporter's size/free/avail): used = blocks - bfree;
 * Use% = ceil(100 * used / (used + bavail)) on block counts; IUse% = ceil(100 * (files - ffree) / files).
 */
export function dfNumbers(v: StatfsValues): DfNumbers {
  const usedBlocks = Math.max(0, v.blocks - v.bfree);
  const iused = Math.max(0, v.files - v.ffree);
  return {
    size_bytes: v.blocks * v.bsize,
    used_bytes: usedBlocks * v.bsize,
    free_bytes: v.bfree * v.bsize,
    avail_bytes: v.bavail * v.bsize,
    use_pct: ceilPct(usedBlocks, usedBlocks + v.bavail),
    inodes_total: v.files,
    inodes_used: iused,
    inodes_free: v.ffree,
    inode_use_pct: ceilPct(iused, v.files),
  };
}

const NULL_NUMBERS = {
  size_bytes: null,
  used_bytes: null,
  free_bytes: null,
  avail_bytes: null,
  use_pct: null,
  inodes_total: null,
  inodes_used: null,
  inodes_free: null,
  inode_use_pct: null,
} as const;

/** A device's mounts after dedup: the primary plus its aliases, in mountinfo order. */
export interface DeviceMounts {
  readonly primary: MountEntry;
  readonly aliases: readonly MountEntry[];
}

/**
 * Pure: drops mounts hidden under a later mount at the same mountpoint, then groups by majorMinor.
 * Primary: among mounts with root "/", the shortest mountpoint (first on ties); if none has root "/",
 * the first. Groups are ordered by their primary's position in mountinfo.
 */
export function groupMounts(entries: readonly MountEntry[]): DeviceMounts[] {
  const lastAt = new Map<string, number>();
  entries.forEach((e, i) => lastAt.set(e.mountpoint, i));
  const visible = entries.filter((e, i) => lastAt.get(e.mountpoint) === i);
  const byDev = new Map<string, MountEntry[]>();
  for (const e of visible) {
    const list = byDev.get(e.majorMinor);
    if (list) list.push(e);
    else byDev.set(e.majorMinor, [e]);
  }
  const groups: DeviceMounts[] = [];
  for (const list of byDev.values()) {
    let primary: MountEntry | undefined;
    for (const e of list) {
      if (e.root !== '/') continue;
      if (!primary || e.mountpoint.length < primary.mountpoint.length) primary = e;
    }
    const p = primary ?? (list[0] as MountEntry);
    groups.push({ primary: p, aliases: list.filter((e) => e !== p) });
  }
  const order = new Map(visible.map((e, i) => [e, i] as const));
  return groups.sort((a, b) => (order.get(a.primary) ?? 0) - (order.get(b.primary) ?? 0));
}

interface StaleEntry {
  /** The probe in flight (the stuck call itself, or a re-probe), or null. */
  probe: Promise<unknown> | null;
  lastProbeAt: number;
}

/**
 * Remembers mounts whose statfs timed out. They are skipped (STALE_SKIPPED) until a background probe
 * answers; at most one probe is in flight per mount. The call that timed out is the first probe (its
 * abandoned worker is still waiting in the kernel); when a probe times out without such a late answer,
 * a new one starts no sooner than retryMs later. Keys are host mountpoints.
 */
export class StaleMounts {
  readonly #retryMs: number;
  readonly #now: Clock;
  readonly #entries = new Map<string, StaleEntry>();

  constructor(opts: { retryMs?: number; now?: Clock } = {}) {
    this.#retryMs = opts.retryMs ?? 30_000;
    this.#now = opts.now ?? systemClock;
  }

  /** True while the mount is considered hung. */
  has(mountpoint: string): boolean {
    return this.#entries.has(mountpoint);
  }

  /** Mountpoints currently skipped. */
  list(): string[] {
    return [...this.#entries.keys()];
  }

  /**
   * Forget mounts that are no longer mounted, so the table cannot grow with churning mountpoints and a
   * new filesystem mounted where a hung one was unmounted is asked afresh.
   */
  retainOnly(mountpoints: ReadonlySet<string>): void {
    for (const mp of this.#entries.keys()) if (!mountpoints.has(mp)) this.#entries.delete(mp);
  }

  /** Whether a probe is in flight for the mount. */
  probing(mountpoint: string): boolean {
    return this.#entries.get(mountpoint)?.probe != null;
  }

  /** Records a timeout; `late` is the stuck call's eventual answer when there is one. */
  markStale(mountpoint: string, late?: Promise<unknown>): void {
    const entry = this.#entries.get(mountpoint) ?? { probe: null, lastProbeAt: this.#now() };
    this.#entries.set(mountpoint, entry);
    if (late && entry.probe === null) this.#watch(mountpoint, entry, late);
  }

  /** Called when a stale mount is skipped: starts a probe if none is in flight and retryMs has passed. */
  maybeReprobe(mountpoint: string, probe: () => Promise<unknown>, retryMs = this.#retryMs): void {
    const entry = this.#entries.get(mountpoint);
    if (!entry || entry.probe !== null || this.#now() - entry.lastProbeAt < retryMs) return;
    entry.lastProbeAt = this.#now();
    let p: Promise<unknown>;
    try {
      p = probe();
    } catch (err) {
      p = Promise.reject(err);
    }
    this.#watch(mountpoint, entry, p);
  }

  #watch(mountpoint: string, entry: StaleEntry, p: Promise<unknown>): void {
    const tracked = p.then(
      () => this.#recovered(mountpoint, entry),
      (err: unknown) => {
        if (err instanceof StatfsTimeoutError) {
          if (this.#entries.get(mountpoint) !== entry) return;
          entry.probe = null;
          entry.lastProbeAt = this.#now();
          if (err.late) this.#watch(mountpoint, entry, err.late);
          return;
        }
        // Any answer, even an error, means the mount no longer hangs: the next collection reports it.
        this.#recovered(mountpoint, entry);
      },
    );
    entry.probe = tracked;
  }

  #recovered(mountpoint: string, entry: StaleEntry): void {
    if (this.#entries.get(mountpoint) === entry) this.#entries.delete(mountpoint);
  }
}

/** readFile without fs/promises' FileHandle machinery (measurably cheaper per call). */
function readText(file: string): Promise<string> {
  return new Promise((resolve, reject) => readFile(file, 'utf8', (err, text) => (err ? reject(err) : resolve(text))));
}

/** The kernel name (`sda1`, `dm-0`) of a block device, null when it is none (tmpfs, nfs). */
function kernelName(sysfs: string, majorMinor: string): Promise<string | null> {
  return new Promise((resolve) => readlink(path.join(sysfs, 'dev', 'block', majorMinor), (err, link) => resolve(err ? null : path.basename(link))));
}

/**
 * Reads a whole file from an open descriptor at offset 0. procfs regenerates mountinfo on each read
 * from 0, so one descriptor kept open sees every mount change, and a read costs no open/fstat/close.
 */
function readAllAt(fd: number, buf: Buffer): Promise<{ text: string; buf: Buffer }> {
  return new Promise((resolve, reject) => {
    let off = 0;
    const step = (): void => {
      if (off === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, off);
        buf = bigger;
      }
      read(fd, buf, off, buf.length - off, off, (err, n) => {
        if (err) reject(err);
        else if (n === 0) resolve({ text: buf.toString('utf8', 0, off), buf });
        else {
          off += n;
          step();
        }
      });
    };
    step();
  });
}

function openRead(file: string): Promise<number> {
  return new Promise((resolve, reject) => open(file, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
}

/**
 * Mountinfo of pid 1, or of self (a container without the host's pid namespace) when pid 1's cannot
 * be read. Keeps the descriptor that worked (so after a fallback it stays on self); one that fails
 * is closed, and the next read opens again.
 */
class MountinfoReader {
  #fd: number | null = null;
  #buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  /** The read in progress: concurrent callers share it (they also share the buffer and the fd). */
  #inFlight: Promise<string> | null = null;
  #closeWhenDone = false;
  readonly #procfs: string;

  constructor(procfs: string) {
    this.#procfs = procfs;
  }

  read(): Promise<string> {
    this.#inFlight ??= this.#read().finally(() => {
      this.#inFlight = null;
      if (this.#closeWhenDone) this.close();
    });
    return this.#inFlight;
  }

  async #readFd(): Promise<string> {
    try {
      const r = await readAllAt(this.#fd as number, this.#buf);
      this.#buf = r.buf;
      return r.text;
    } catch (err) {
      this.#closeNow();
      throw err;
    }
  }

  async #read(): Promise<string> {
    if (this.#fd !== null) {
      try {
        return await this.#readFd();
      } catch {
        // fall through: open again
      }
    }
    try {
      this.#fd = await openRead(path.join(this.#procfs, '1', 'mountinfo'));
      return await this.#readFd();
    } catch {
      this.#fd = await openRead(path.join(this.#procfs, 'self', 'mountinfo'));
      return await this.#readFd();
    }
  }

  #closeNow(): void {
    if (this.#fd !== null) close(this.#fd, () => undefined);
    this.#fd = null;
  }

  /** Closes the descriptor, after the read in progress if there is one (its number must not be reused under it). */
  close(): void {
    if (this.#inFlight) {
      this.#closeWhenDone = true;
      return;
    }
    this.#closeWhenDone = false;
    this.#closeNow();
  }
}

/** Reads mountinfo of pid 1, falling back to self (a container without the host's pid namespace). */
export async function readMountinfo(procfs: string): Promise<MountEntry[]> {
  try {
    return parseMountinfo(await readText(path.join(procfs, '1', 'mountinfo')));
  } catch {
    return parseMountinfo(await readText(path.join(procfs, 'self', 'mountinfo')));
  }
}

/** A device's identity from sysfs and udev: what does not change while it stays mounted. */
interface Identity {
  readonly kname: string | null;
  readonly dm: DmInfo | null;
}

async function readIdentity(roots: HostRoots, majorMinor: string): Promise<Identity> {
  const kname = await kernelName(roots.sysfs, majorMinor);
  return { kname, dm: kname === null ? null : await readDmInfo(roots, majorMinor, kname) };
}

/** Everything about a device except its numbers, computed once per layout. */
type DeviceBase = Pick<DeviceInfo, 'name' | 'device' | 'major_minor' | 'mountpoint' | 'fstype' | 'read_only' | 'aliases' | 'dm_name' | 'lvm' | 'role'>;

/** One device of the layout: its fixed part, and where statfs looks. */
interface LayoutDevice {
  readonly base: DeviceBase;
  /** <rootfs>/<mountpoint>, without a trailing slash. */
  readonly target: string;
}

/** The inputs a layout depends on; compared by value, so callers may rebuild them per call. */
interface LayoutKey {
  readonly text: string;
  readonly roots: HostRoots;
  readonly filter: FilesystemFilter;
  readonly rules: readonly RoleRule[];
  readonly mysql: MysqlPaths | null | undefined;
}

const sameRe = (a: RegExp | undefined, b: RegExp | undefined): boolean => a === b || (a !== undefined && b !== undefined && a.source === b.source && a.flags === b.flags);
const sameRoots = (a: HostRoots, b: HostRoots): boolean => a === b || (a.rootfs === b.rootfs && a.procfs === b.procfs && a.sysfs === b.sysfs && a.udevData === b.udevData);

function sameInputs(k: LayoutKey, roots: HostRoots, filter: FilesystemFilter, rules: readonly RoleRule[], mysql: MysqlPaths | null | undefined): boolean {
  if (!sameRoots(k.roots, roots)) return false;
  if (k.filter !== filter) {
    const f = k.filter;
    if (!sameRe(f.mountPointsExclude, filter.mountPointsExclude) || !sameRe(f.fsTypesExclude, filter.fsTypesExclude) || !sameRe(f.mountPointsInclude, filter.mountPointsInclude) || !sameRe(f.fsTypesInclude, filter.fsTypesInclude)) return false;
  }
  if (k.rules !== rules) {
    if (k.rules.length !== rules.length) return false;
    for (let i = 0; i < rules.length; i++) if (k.rules[i]?.role !== rules[i]?.role || k.rules[i]?.path !== rules[i]?.path) return false;
  }
  return (k.mysql ?? null) === (mysql ?? null) || (k.mysql?.datadir === mysql?.datadir && k.mysql?.binlog === mysql?.binlog);
}

function statfsTarget(rootfs: string, mountpoint: string): string {
  const joined = path.join(rootfs, mountpoint);
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}

function mountError(mountpoint: string, err: unknown, stale: StaleMounts | undefined): ItemError {
  if (err instanceof StatfsTimeoutError) {
    // Only a call that was running when its deadline passed says the mount hangs (its `late` answer is
    // the re-probe); one that never got a worker in time says nothing about the mount: not marked.
    if (err.late) stale?.markStale(mountpoint, err.late);
    return { code: 'STATFS_TIMEOUT', message: `statfs ${mountpoint}: ${err.message}` };
  }
  const code = err instanceof StatfsError ? err.code : ((err as { code?: unknown } | null)?.code ?? 'unknown error');
  return { code: 'STATFS_FAILED', message: `statfs ${mountpoint} failed: ${String(code)}` };
}

async function settle(runner: StatfsRunner, p: string): Promise<StatfsOutcome> {
  try {
    return { ok: true, values: await runner.statfs(p) };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

/** Collects devices, keeping the mount layout and device identities between calls (see the module comment). */
export interface DeviceCollector {
  /** Same contract as collectDevices. */
  collect(opts: CollectDevicesOptions, stale?: StaleMounts): Promise<DeviceInfo[]>;
  /** Closes the mountinfo descriptor it keeps open; a later collect opens it again. */
  close(): void;
}

/** A collector with its own caches; keep one per agent and call `collect` per request. */
export function createDeviceCollector(): DeviceCollector {
  let key: LayoutKey | null = null;
  let layout: Promise<readonly LayoutDevice[]> = Promise.resolve([]);
  /** Identities of the devices of the current layout, by `major:minor` and source. */
  let identities = new Map<string, Promise<Identity>>();
  let reader: MountinfoReader | null = null;

  const build = async (text: string, opts: CollectDevicesOptions): Promise<readonly LayoutDevice[]> => {
    const { roots, filter } = opts;
    const entries = parseMountinfo(text).filter((e) => isIncluded(filter, e.mountpoint, e.fstype));
    const groups = groupMounts(entries);
    const candidates = groups.map((g) => ({ device: g.primary.source, mountpoints: [g.primary.mountpoint, ...g.aliases.map((a) => a.mountpoint)] }));
    const roles = assignRoles(candidates, opts.roleRules ?? [], opts.mysqlPaths);
    const unmatched = unmatchedRoleRules(candidates, opts.roleRules ?? []);
    if (unmatched.length > 0) opts.onUnmatchedRoleRules?.(unmatched);
    const next = new Map<string, Promise<Identity>>();
    for (const g of groups) {
      const id = `${g.primary.majorMinor} ${g.primary.source}`;
      if (!next.has(id)) next.set(id, identities.get(id) ?? readIdentity(roots, g.primary.majorMinor));
    }
    identities = next;
    const ids = await Promise.all(groups.map((g) => next.get(`${g.primary.majorMinor} ${g.primary.source}`) as Promise<Identity>));
    return groups.map((g, i): LayoutDevice => {
      const p = g.primary;
      const { kname, dm } = ids[i] as Identity;
      const lvm = dm?.lvm ? Object.freeze({ vg: dm.lvm.vg, lv: dm.lvm.lv }) : null;
      return {
        target: statfsTarget(roots.rootfs, p.mountpoint),
        base: Object.freeze({
          name: kname ?? p.source,
          device: p.source,
          major_minor: p.majorMinor,
          mountpoint: p.mountpoint,
          fstype: p.fstype,
          read_only: p.mountOptions.includes('ro'),
          aliases: Object.freeze(g.aliases.map((a): MountAlias => Object.freeze({ mountpoint: a.mountpoint, read_only: a.mountOptions.includes('ro') }))),
          dm_name: dm?.dmName ?? null,
          lvm,
          role: roles[i] ?? 'other',
        }),
      };
    });
  };

  return {
    async collect(opts: CollectDevicesOptions, stale?: StaleMounts): Promise<DeviceInfo[]> {
      const { roots, filter, statfs } = opts;
      const rules = opts.roleRules ?? [];
      if (key !== null && !sameRoots(key.roots, roots)) {
        identities = new Map();
        reader?.close();
        reader = null;
      }
      reader ??= new MountinfoReader(roots.procfs);
      const text = await reader.read();
      const changed = key === null || key.text !== text || !sameInputs(key, roots, filter, rules, opts.mysqlPaths);
      if (changed) {
        key = { text, roots, filter, rules, mysql: opts.mysqlPaths };
        layout = build(text, opts);
      }
      const devices = await layout;
      if (changed && stale) stale.retainOnly(new Set(devices.map((d) => d.base.mountpoint)));

      const out = new Array<DeviceInfo>(devices.length);
      const paths: string[] = [];
      const at: number[] = [];
      for (let i = 0; i < devices.length; i++) {
        const d = devices[i] as LayoutDevice;
        const mp = d.base.mountpoint;
        if (stale?.has(mp)) {
          stale.maybeReprobe(mp, () => statfs.statfs(d.target), opts.staleRetryMs);
          out[i] = { ...d.base, ...NULL_NUMBERS, error: { code: 'STALE_SKIPPED', message: `statfs ${mp} skipped: it timed out before and has not answered since` } };
        } else {
          paths.push(d.target);
          at.push(i);
        }
      }
      const outcomes = statfs.statfsMany ? await statfs.statfsMany(paths) : await Promise.all(paths.map((p) => settle(statfs, p)));
      for (let k = 0; k < at.length; k++) {
        const i = at[k] as number;
        const d = devices[i] as LayoutDevice;
        const o = outcomes[k] as StatfsOutcome;
        out[i] = o.ok ? { ...d.base, ...dfNumbers(o.values), error: null } : { ...d.base, ...NULL_NUMBERS, error: mountError(d.base.mountpoint, o.error, stale) };
      }
      return out;
    },
    close(): void {
      reader?.close();
      reader = null;
    },
  };
}

/** collectDevices' collectors, one per roots object, so that callers passing the same roots share caches. */
const collectors = new WeakMap<HostRoots, DeviceCollector>();

/**
 * Lists the host's devices. Throws only when mountinfo cannot be read; per-device problems are
 * reported in each device's `error`. `stale`, kept across calls, skips mounts that hung before.
 * Caches (layout, identities) live in a collector kept per `opts.roots` object: pass the same roots
 * object each time to benefit, or hold a createDeviceCollector() yourself.
 */
export function collectDevices(opts: CollectDevicesOptions, stale?: StaleMounts): Promise<DeviceInfo[]> {
  let c = collectors.get(opts.roots);
  if (!c) {
    c = createDeviceCollector();
    collectors.set(opts.roots, c);
  }
  return c.collect(opts, stale);
}
