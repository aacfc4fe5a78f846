/**
 * The answers of a `vigia agent`'s JSON API that another role reads: GET /v1/devices and GET /v1/system.
 * The agent produces them (src/agent/server.ts serialises these types); the control plane's puller
 * (src/control/pull/agent-source.ts) consumes them with the schemas below. The types are the full
 * answers; the schemas check only the fields a host report needs and let the agent add fields, so an
 * older control plane can pull a newer agent. agent-api.test.ts keeps the two in step: whatever the
 * types allow, the schemas accept.
 */
import { z } from 'zod';
import type { SystemFigures } from './fit-report.js';

/** What a volume is for on a MySQL host. */
export type VolumeRole = 'data' | 'binlog' | 'other';

/** A problem with one item (device, collector) reported in place of its values. */
export interface ItemError {
  readonly code: 'STATFS_TIMEOUT' | 'STATFS_FAILED' | 'STALE_SKIPPED';
  readonly message: string;
}

/** One more mountpoint of a device that is already listed (a bind mount). */
export interface MountAlias {
  readonly mountpoint: string;
  readonly read_only: boolean;
}

/** One real mounted filesystem, listed once per device (bind mounts are aliases). */
export interface DeviceInfo {
  /** Kernel name when block-backed (`vda1`, `dm-0`, `loop3`), else the mount source (`tmpfs`). */
  readonly name: string;
  /** The mount source as /proc/1/mountinfo shows it (node_exporter's `device` label), e.g. `/dev/mapper/vg0-data`. */
  readonly device: string;
  /** `major:minor` from mountinfo. */
  readonly major_minor: string;
  readonly mountpoint: string;
  readonly fstype: string;
  readonly read_only: boolean;
  readonly aliases: readonly MountAlias[];
  /** Device-mapper name (`vg0-data`) when the device is dm, else null. */
  readonly dm_name: string | null;
  /** LVM volume group and logical volume when the device is an LVM LV, else null. */
  readonly lvm: { readonly vg: string; readonly lv: string } | null;
  readonly role: VolumeRole;
  /** Bytes; null when statfs failed (see `error`). size = blocks*bsize, free = bfree*bsize, avail = bavail*bsize. */
  readonly size_bytes: number | null;
  readonly used_bytes: number | null;
  readonly free_bytes: number | null;
  readonly avail_bytes: number | null;
  /** df's Use%: ceil(100 * used / (used + avail)); null when unknown or used+avail is 0. */
  readonly use_pct: number | null;
  readonly inodes_total: number | null;
  readonly inodes_used: number | null;
  readonly inodes_free: number | null;
  /** df -i's IUse%: ceil(100 * iused / itotal); null when the filesystem has no inode count. */
  readonly inode_use_pct: number | null;
  readonly error: ItemError | null;
}

/** GET /v1/devices: every real mounted filesystem. */
export interface AgentDevicesAnswer {
  readonly devices: readonly DeviceInfo[];
}

/** Rates of one block device over the interval (iostat -x's r/s, w/s, rkB/s, wkB/s, await, %util). */
export interface DiskView {
  device: string;
  reads_per_s: number;
  writes_per_s: number;
  read_bytes_per_s: number;
  write_bytes_per_s: number;
  /** delta(read+write time ms) / delta(reads+writes); 0 when there was no I/O. */
  await_ms: number;
  /** delta(io_time ms) / interval ms * 100, capped at 100. */
  util_pct: number;
  /** I/Os in flight at the end of the interval. */
  in_flight: number;
}

/** GET /v1/system: the host's state over the last interval ("how busy is this box"). */
export interface SystemView {
  interval_seconds: number;
  /** Shares of all CPUs' time over the interval, percent (sum ~100); `cpus` is the CPU count. */
  cpu: {
    user_pct: number;
    system_pct: number;
    iowait_pct: number;
    steal_pct: number;
    idle_pct: number;
    nice_pct: number;
    irq_pct: number;
    softirq_pct: number;
    cpus: number;
  };
  /** /proc/loadavg's three averages. */
  load: { load1: number; load5: number; load15: number };
  memory: {
    total_bytes: number;
    available_bytes: number;
    /** total - available (what the kernel cannot give back without swapping). */
    used_bytes: number;
    used_pct: number;
    free_bytes: number;
    buffers_bytes: number;
    cached_bytes: number;
  };
  swap: { total_bytes: number; free_bytes: number; used_bytes: number; used_pct: number };
  disks: DiskView[];
  uptime_seconds: number;
  boot_time_seconds: number;
}

const num = z.number();
const nnum = z.number().nullable();

/** The fields of a DeviceInfo a host report uses (extra fields pass unchecked). */
export const agentDeviceSchema = z.object({
  name: z.string(),
  device: z.string(),
  mountpoint: z.string(),
  fstype: z.string(),
  read_only: z.boolean(),
  aliases: z.array(z.object({ mountpoint: z.string(), read_only: z.boolean() })).readonly().default([]),
  role: z.enum(['data', 'binlog', 'other']),
  size_bytes: nnum,
  used_bytes: nnum,
  avail_bytes: nnum,
  use_pct: nnum,
  inodes_total: nnum,
  inodes_used: nnum,
  inode_use_pct: nnum,
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

/** GET /v1/devices as the puller reads it. */
export const agentDevicesSchema = z.object({ devices: z.array(agentDeviceSchema).readonly() });

/**
 * The fields of a SystemView (GET /v1/system) a host report uses (extra fields pass unchecked). Every
 * section is optional: an agent answers only the sections whose collectors are enabled
 * (`--no-collector.meminfo` leaves out `memory` and `swap`, ...); a section that is present must be whole.
 * What a report can be made of is then reportableSystem's rule, the same for the agent and the puller.
 */
export const agentSystemSchema = z.object({
  cpu: z.object({ user_pct: num, system_pct: num, iowait_pct: num, steal_pct: num, idle_pct: num, cpus: num }).optional(),
  load: z.object({ load1: num, load5: num, load15: num }).optional(),
  memory: z.object({ total_bytes: num, used_pct: num }).optional(),
  swap: z.object({ used_pct: num }).optional(),
  disks: z
    .array(z.object({ device: z.string(), reads_per_s: num, writes_per_s: num, read_bytes_per_s: num, write_bytes_per_s: num, await_ms: num, util_pct: num }))
    .optional(),
  uptime_seconds: num.optional(),
});

/** One device as the puller reads it. */
export type AgentDevice = z.infer<typeof agentDeviceSchema>;
/** The system view as the puller reads it. */
export type AgentSystem = z.infer<typeof agentSystemSchema>;

/** A /v1/system answer with any of the sections a host report uses left out (their collectors disabled). */
export type PartialSystemFigures = { readonly [K in keyof SystemFigures]?: SystemFigures[K] | undefined };

/**
 * The figures a host report's `system` section is made of, or null when the answer lacks one the
 * contract requires (cpu, load, memory, swap, uptime: the contract has no partial system section).
 * Without the diskstats collector the report lists no disks. The agent's reporter and the control
 * plane's puller both apply this rule.
 */
export function reportableSystem(a: PartialSystemFigures): SystemFigures | null {
  if (!a.cpu || !a.load || !a.memory || !a.swap || a.uptime_seconds === undefined) return null;
  return { cpu: a.cpu, load: a.load, memory: a.memory, swap: a.swap, uptime_seconds: a.uptime_seconds, disks: a.disks ?? [] };
}
