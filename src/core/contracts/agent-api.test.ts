import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { z } from 'zod';
import { fakeDevice, fakeSystemView } from '../../../test/support/fake-device.js';
import { agentDevicesSchema, agentSystemSchema, type AgentDevicesAnswer, type SystemView } from './agent-api.js';

// Compile-time half of the contract: every answer the producer's types allow is an input the consumer's
// schemas are typed to take (a field renamed or retyped on one side fails the type-check).
const devicesFit = (a: AgentDevicesAnswer): z.input<typeof agentDevicesSchema> => a;
const systemFit = (v: SystemView): z.input<typeof agentSystemSchema> => v;

const device = fakeDevice({
  name: 'dm-0', device: '/dev/mapper/vg-data', mountpoint: '/var/lib/mysql', aliases: [{ mountpoint: '/srv/data', read_only: true }],
  size_bytes: null, used_bytes: null, free_bytes: null, avail_bytes: null, use_pct: null, error: { code: 'STATFS_TIMEOUT', message: 'statfs took longer than 1000 ms' },
});
const system = fakeSystemView();

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
