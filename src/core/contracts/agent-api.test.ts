import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { z } from 'zod';
import { agentDevicesSchema, agentSystemSchema, type AgentDevicesAnswer, type DeviceInfo, type SystemView } from './agent-api.js';

// Compile-time half of the contract: every answer the producer's types allow is an input the consumer's
// schemas are typed to take (a field renamed or retyped on one side fails the type-check).
const devicesFit = (a: AgentDevicesAnswer): z.input<typeof agentDevicesSchema> => a;
const systemFit = (v: SystemView): z.input<typeof agentSystemSchema> => v;

const device: DeviceInfo = {
  name: 'dm-0', device: '/dev/mapper/vg-data', major_minor: '253:0', mountpoint: '/var/lib/mysql', fstype: 'xfs', read_only: false,
  aliases: [{ mountpoint: '/srv/data', read_only: true }], dm_name: 'vg-data', lvm: { vg: 'vg', lv: 'data' }, role: 'data',
  size_bytes: null, used_bytes: null, free_bytes: null, avail_bytes: null, use_pct: null, inodes_total: null, inodes_used: null, inodes_free: null,
  inode_use_pct: null, error: { code: 'STATFS_TIMEOUT', message: 'statfs took longer than 1000 ms' },
};
const system: SystemView = {
  interval_seconds: 10,
  cpu: { user_pct: 30, system_pct: 10, iowait_pct: 5, steal_pct: 0, idle_pct: 50, nice_pct: 1, irq_pct: 2, softirq_pct: 2, cpus: 4 },
  load: { load1: 1, load5: 2, load15: 3 },
  memory: { total_bytes: 8e9, available_bytes: 2e9, used_bytes: 6e9, used_pct: 75, free_bytes: 1e9, buffers_bytes: 0, cached_bytes: 0 },
  swap: { total_bytes: 0, free_bytes: 0, used_bytes: 0, used_pct: 0 },
  disks: [{ device: 'sda', reads_per_s: 1, writes_per_s: 2, read_bytes_per_s: 3, write_bytes_per_s: 4, await_ms: 5, util_pct: 100, in_flight: 0 }],
  uptime_seconds: 1234.5,
  boot_time_seconds: 1,
};

test("the agent's answers, as JSON, pass the puller's schemas (extra fields allowed, missing ones named)", () => {
  const devices = agentDevicesSchema.safeParse(JSON.parse(JSON.stringify(devicesFit({ devices: [device] }))));
  assert.ok(devices.success, devices.success ? '' : devices.error.message);
  assert.deepEqual(devices.data.devices[0]!.aliases, device.aliases);
  assert.ok(agentSystemSchema.safeParse(JSON.parse(JSON.stringify(systemFit(system)))).success);
  assert.ok(agentSystemSchema.safeParse({ ...system, newer_field: { x: 1 } }).success, 'a newer agent may add fields');
  const { uptime_seconds: _, ...noUptime } = system;
  const r = agentSystemSchema.safeParse(noUptime);
  assert.equal(r.success, false);
  assert.deepEqual(r.error?.issues.map((i) => i.path.join('.')), ['uptime_seconds']);
});
