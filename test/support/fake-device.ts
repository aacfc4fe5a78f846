/** The agent API's answers (core/contracts/agent-api.ts) for tests of code that consumes them. */
import type { DeviceInfo, SystemView } from '../../src/core/contracts/agent-api.js';

/** A device with the given identity and dummy numbers. */
export function fakeDevice(over: Partial<DeviceInfo> & Pick<DeviceInfo, 'name' | 'device' | 'mountpoint'>): DeviceInfo {
  return {
    major_minor: '0:0', fstype: 'ext4', read_only: false, aliases: [], dm_name: null, lvm: null, role: 'other',
    size_bytes: 100, used_bytes: 10, free_bytes: 90, avail_bytes: 85, use_pct: 11,
    inodes_total: 10, inodes_used: 1, inodes_free: 9, inode_use_pct: 10, error: null,
    ...over,
  };
}

/** A plausible GET /v1/system answer (4 CPUs, one disk); `over` replaces whole top-level fields. */
export function fakeSystemView(over: Partial<SystemView> = {}): SystemView {
  return {
    interval_seconds: 10,
    cpu: { user_pct: 30, system_pct: 10, iowait_pct: 5, steal_pct: 0, idle_pct: 50, nice_pct: 1, irq_pct: 2, softirq_pct: 2, cpus: 4 },
    load: { load1: 1, load5: 2, load15: 3 },
    memory: { total_bytes: 8e9, available_bytes: 2e9, used_bytes: 6e9, used_pct: 75, free_bytes: 1e9, buffers_bytes: 0, cached_bytes: 0 },
    swap: { total_bytes: 0, free_bytes: 0, used_bytes: 0, used_pct: 0 },
    disks: [{ device: 'sda', reads_per_s: 1, writes_per_s: 2, read_bytes_per_s: 3, write_bytes_per_s: 4, await_ms: 5, util_pct: 100.4, in_flight: 0 }],
    uptime_seconds: 1234.5,
    boot_time_seconds: 1,
    ...over,
  };
}
