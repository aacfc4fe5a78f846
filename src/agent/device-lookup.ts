/**
 * Finding one device in the enumerated list. A name from a request is only ever compared with the
 * names of listed devices, never joined into a path or opened, so `../../etc/passwd` is just a name
 * that matches nothing.
 */
import type { DeviceInfo } from './model.js';

/**
 * The device `name` addresses: its kernel name (`vda1`, `dm-0`), its mount source (`/dev/vda1`,
 * `/dev/mapper/vg0-data`), `/dev/<kernel name>`, its device-mapper name (`vg0-data`), its LV name
 * (`data`) or `vg/lv`. Exact kernel names and sources win over LV names; undefined when nothing
 * matches or an LV name is ambiguous across volume groups.
 */
export function findDeviceByName(devices: readonly DeviceInfo[], name: string): DeviceInfo | undefined {
  if (name.length === 0 || name.length > 255) return undefined;
  const exact = devices.find((d) => d.name === name || d.device === name || `/dev/${d.name}` === name);
  if (exact) return exact;
  const dm = devices.find((d) => d.dm_name !== null && (d.dm_name === name || `/dev/mapper/${d.dm_name}` === name));
  if (dm) return dm;
  const byVgLv = devices.find((d) => d.lvm !== null && (`${d.lvm.vg}/${d.lvm.lv}` === name || `/dev/${d.lvm.vg}/${d.lvm.lv}` === name));
  if (byVgLv) return byVgLv;
  const byLv = devices.filter((d) => d.lvm !== null && d.lvm.lv === name);
  return byLv.length === 1 ? byLv[0] : undefined;
}

/** The device mounted at `mountpoint` (its main mountpoint or a bind-mount alias); a trailing slash is ignored. */
export function findDeviceByMountpoint(devices: readonly DeviceInfo[], mountpoint: string): DeviceInfo | undefined {
  const mp = mountpoint.length > 1 ? mountpoint.replace(/\/+$/, '') : mountpoint;
  return devices.find((d) => d.mountpoint === mp || d.aliases.some((a) => a.mountpoint === mp));
}
