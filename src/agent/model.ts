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

// The device types are the agent's GET /v1/devices answer, which the control plane also reads: their one
// definition is the wire contract. Re-exported so the agent's modules keep importing them from here.
export type { DeviceInfo, ItemError, MountAlias, VolumeRole } from '../core/contracts/agent-api.js';
