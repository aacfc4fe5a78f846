import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeviceInfo } from '../../core/contracts/agent-api.js';
import { parseHostReport } from '../../core/contracts/host-report.js';
import { agentReport, createAgentSource } from './agent-source.js';
import { compileRoleRules } from './role-rules.js';
import { toPullTarget } from './targets.js';
import { fakeSystemView } from '../../../test/support/fake-device.js';

const dev = (over: Partial<DeviceInfo>): DeviceInfo => ({
  name: 'dm-0', device: '/dev/mapper/vg-data', major_minor: '253:0', mountpoint: '/var/lib/mysql', fstype: 'xfs', read_only: false,
  aliases: [], dm_name: 'vg-data', lvm: { vg: 'vg', lv: 'data' }, role: 'data',
  size_bytes: 1000, used_bytes: 600, free_bytes: 400, avail_bytes: 350, use_pct: 64, inodes_total: 100, inodes_used: 10, inodes_free: 90, inode_use_pct: 10, error: null,
  ...over,
});
const DEVICES: DeviceInfo[] = [
  dev({}),
  dev({ name: 'sda1', device: '/dev/sda1', mountpoint: '/', fstype: 'ext4', role: 'other', aliases: [{ mountpoint: '/srv/binlog', read_only: false }] }),
  dev({ name: 'sdb1', device: '/dev/sdb1', mountpoint: '/mnt/stale', role: 'other', size_bytes: null, used_bytes: null, avail_bytes: null, use_pct: null, error: { code: 'STATFS_TIMEOUT', message: 'statfs took longer than 1000 ms' } }),
];
const SYSTEM = fakeSystemView();
const base = { host: 'db-00002', tags: { env: 'prod' }, intervalSeconds: 30, sampledAtMs: Date.UTC(2026, 11, 1, 8), roles: null };

test("the agent's answers become a valid report with the agent's own roles", () => {
  const r = agentReport(JSON.parse(JSON.stringify({ devices: DEVICES })), JSON.parse(JSON.stringify(SYSTEM)), base);
  const checked = parseHostReport(r);
  assert.ok(checked.ok, checked.ok ? '' : checked.problems.join('; '));
  assert.deepEqual(r.devices.map((d) => [d.mountpoint, d.role]), [['/var/lib/mysql', 'data'], ['/', 'other'], ['/mnt/stale', 'other']]);
  assert.deepEqual(r.devices[0], { mountpoint: '/var/lib/mysql', device: '/dev/mapper/vg-data', fstype: 'xfs', role: 'data', read_only: false, size_bytes: 1000, used_bytes: 600, avail_bytes: 350, use_pct: 64, inodes_total: 100, inodes_used: 10, inode_use_pct: 10, error: null });
  assert.equal(r.devices[2]!.error, 'STATFS_TIMEOUT: statfs took longer than 1000 ms');
  assert.deepEqual(r.system!.cpu, { user_pct: 30, system_pct: 10, iowait_pct: 5, steal_pct: 0, idle_pct: 50, cpus: 4 });
  assert.equal(r.system!.disks[0]!.util_pct, 100, 'clamped to the contract');
  assert.equal(r.system!.mem_used_pct, 75);
  assert.equal(r.interval_seconds, 30);
});

test('target role rules override the agent, aliases included; a missing system is null', () => {
  const r = agentReport({ devices: DEVICES }, null, { ...base, roles: compileRoleRules() });
  assert.equal(r.system, null);
  assert.deepEqual(r.devices.map((d) => d.role), ['data', 'binlog', 'other']);
});

test("an agent with a collector disabled: no system section without cpu, load, memory, swap or uptime; no disks without diskstats", () => {
  const system = JSON.parse(JSON.stringify(SYSTEM)) as Record<string, unknown>;
  // `--no-collector.meminfo` leaves out memory and swap; `--no-collector.loadavg` load; and so on.
  for (const left of [['memory', 'swap'], ['load'], ['cpu'], ['uptime_seconds', 'boot_time_seconds']]) {
    const answer = Object.fromEntries(Object.entries(system).filter(([k]) => !left.includes(k)));
    const r = agentReport({ devices: DEVICES }, answer, base);
    assert.equal(r.system, null, left.join(','));
    assert.equal(r.devices.length, DEVICES.length, 'the devices are still reported');
    assert.ok(parseHostReport(r).ok);
  }
  const { disks: _, ...noDisks } = system;
  const r = agentReport({ devices: DEVICES }, noDisks, base);
  assert.deepEqual(r.system?.disks, [], '--no-collector.diskstats');
  assert.equal(r.system?.cpu.cpus, 4);
  assert.ok(parseHostReport(r).ok);
});

test('answers without the agent shape are refused, naming the field', () => {
  assert.throws(() => agentReport({ devices: [{ mountpoint: '/' }] }, null, base), /\/v1\/devices: unexpected answer: devices\.0\./);
  assert.throws(() => agentReport({ devices: [] }, { cpu: {} }, base), /\/v1\/system: unexpected answer/);
});

test('the source GETs both endpoints with the bearer token; /v1/system failing keeps the devices', async () => {
  const seen: string[] = [];
  let systemStatus = 200;
  const server = http.createServer((req, res) => {
    seen.push(`${req.url} ${req.headers.authorization}`);
    if (req.url === '/v1/devices') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ devices: DEVICES }));
    if (req.url === '/v1/system') return res.writeHead(systemStatus, { 'content-type': 'application/json' }).end(JSON.stringify(SYSTEM));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const target = toPullTarget({ host: 'db-00002', kind: 'agent', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }, 'read-tok');
    const src = createAgentSource({ target, intervalSeconds: 60 });
    const r = await src.collect(AbortSignal.timeout(5000));
    assert.equal(r.system!.cpu.cpus, 4);
    assert.deepEqual(seen.sort(), ['/v1/devices Bearer read-tok', '/v1/system Bearer read-tok']);
    systemStatus = 500;
    assert.equal((await src.collect(AbortSignal.timeout(5000))).system, null);
    const bad = createAgentSource({ target: toPullTarget({ host: 'x', kind: 'agent', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/nope` }, null), intervalSeconds: 60 });
    await assert.rejects(bad.collect(AbortSignal.timeout(5000)), /answered 404/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
