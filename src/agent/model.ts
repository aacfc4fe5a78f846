/**
 * The agent's data model: what collectors produce and what the HTTP API answers. Field names are the
 * JSON field names (snake_case on the wire, as in node_exporter and df's vocabulary).
 */

/** Where the host's filesystems live. In a container: rootfs /host, procfs /host/proc, sysfs /host/sys. */
export interface HostRoots {
  /** Prefix for host paths such as mountpoints (statfs) and /etc/passwd. */
  readonly rootfs: string;
  /** The host's procfs (mountinfo is read from <procfs>/1/mountinfo, like node_exporter). */
  readonly procfs: string;
  /** The host's sysfs (/sys/dev/block, /sys/block/<dm>/dm). */
  readonly sysfs: string;
  /** udev's database (b<major>:<minor> files carrying DM_VG_NAME / DM_LV_NAME). */
  readonly udevData: string;
}

/** The roots of a normal, uncontained agent. */
export const DEFAULT_ROOTS: HostRoots = Object.freeze({ rootfs: '/', procfs: '/proc', sysfs: '/sys', udevData: '/run/udev/data' });

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
