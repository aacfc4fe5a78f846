/** DeviceInfo values for tests of code that consumes the device list. */
import type { DeviceInfo } from '../../src/agent/model.js';

/** A device with the given identity and dummy numbers. */
export function fakeDevice(over: Partial<DeviceInfo> & Pick<DeviceInfo, 'name' | 'device' | 'mountpoint'>): DeviceInfo {
  return {
    major_minor: '0:0', fstype: 'ext4', read_only: false, aliases: [], dm_name: null, lvm: null, role: 'other',
    size_bytes: 100, used_bytes: 10, free_bytes: 90, avail_bytes: 85, use_pct: 11,
    inodes_total: 10, inodes_used: 1, inodes_free: 9, inode_use_pct: 10, error: null,
    ...over,
  };
}
