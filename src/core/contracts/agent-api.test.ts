import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { z } from 'zod';
import { fakeDevice, fakeSystemView } from '../../../test/support/fake-device.js';
import { agentDevicesSchema, agentSystemSchema, reportableSystem, type AgentDevicesAnswer, type SystemView } from './agent-api.js';

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
  const { cpu, ...rest } = system;
  const { idle_pct: _, ...cpuWithoutIdle } = cpu;
  const r = agentSystemSchema.safeParse({ ...rest, cpu: cpuWithoutIdle });
  assert.equal(r.success, false, 'a section that is present must be whole');
  assert.deepEqual(r.error?.issues.map((i) => i.path.join('.')), ['cpu.idle_pct']);
});

test('a section left out (its collector disabled on the agent) passes the schema; reportableSystem decides what a report can use', () => {
  assert.ok(reportableSystem(system));
  for (const key of ['cpu', 'load', 'memory', 'swap', 'uptime_seconds'] as const) {
    const { [key]: _, ...without } = system;
    const parsed = agentSystemSchema.safeParse(without);
    assert.ok(parsed.success, key);
    assert.equal(reportableSystem(parsed.data), null, `without ${key} there is no system section`);
  }
  const { disks: _, ...noDisks } = system;
  const parsed = agentSystemSchema.parse(noDisks);
  assert.deepEqual(reportableSystem(parsed)?.disks, [], 'without diskstats: no disks');
  assert.equal(reportableSystem(parsed)?.uptime_seconds, system.uptime_seconds);
});
