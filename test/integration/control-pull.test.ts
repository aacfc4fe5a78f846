/**
 * The control plane's pull sources against the real things: Debian's node_exporter scraping this
 * machine, and the built `vigia agent` (npm run build first). Each must give a report the wire
 * contract accepts, carrying this machine's real filesystems and CPU.
 */
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { cpus } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { parseHostReport, type HostReport } from '../../src/core/contracts/host-report.js';
import { createAgentSource } from '../../src/control/pull/agent-source.js';
import { createNodeExporterSource } from '../../src/control/pull/node-exporter-source.js';
import { createPullLoop } from '../../src/control/pull/pull-loop.js';
import { toPullTarget } from '../../src/control/pull/targets.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { startNodeExporter, type NodeExporter } from '../support/node-exporter.js';

const valid = (r: HostReport): HostReport => {
  const c = parseHostReport(JSON.parse(JSON.stringify(r)));
  assert.ok(c.ok, c.ok ? '' : c.problems.join('; '));
  return c.report;
};

describe('pull from a real node_exporter', () => {
  let ne: NodeExporter;
  before(async () => {
    ne = await startNodeExporter({ collectors: ['filesystem', 'cpu', 'diskstats', 'meminfo', 'loadavg', 'stat', 'time'] });
  });
  after(async () => ne?.stop());

  test('two scrapes give a valid report with this machine\'s filesystems, CPU and memory', async () => {
    const target = toPullTarget({ host: 'this-host', kind: 'node_exporter', url: ne.url, tags: { env: 'test' } }, null);
    const src = createNodeExporterSource({ target, intervalSeconds: 60 });
    const first = valid(await src.collect(AbortSignal.timeout(10_000)));
    assert.equal(first.system, null, 'no rates from one scrape');
    // Keep a CPU busy for a moment so the second scrape sees user time.
    const until = Date.now() + 1200;
    while (Date.now() < until) Math.sqrt(Math.random());
    const r = valid(await src.collect(AbortSignal.timeout(10_000)));
    assert.match(r.agent.version, /^node_exporter/);
    assert.deepEqual(r.tags, { env: 'test' });

    const root = r.devices.find((d) => d.mountpoint === '/');
    assert.ok(root, `/ among ${r.devices.map((d) => d.mountpoint).join(', ')}`);
    const st = statfsSync('/');
    assert.equal(root.size_bytes, st.blocks * st.bsize);
    // Free space moves while the machine runs: compare within 1 GiB.
    assert.ok(Math.abs(root.avail_bytes! - st.bavail * st.bsize) < 1024 ** 3);
    assert.equal(root.inodes_total, st.files);
    assert.ok(r.devices.every((d) => !/^\/(proc|sys|dev)($|\/)/.test(d.mountpoint)), 'default excludes applied');
    assert.ok(r.devices.every((d) => !['proc', 'sysfs', 'cgroup2', 'devpts'].includes(d.fstype)));

    const s = r.system!;
    assert.ok(s, 'second scrape has CPU rates');
    assert.equal(s.cpu.cpus, cpus().length);
    const sum = s.cpu.user_pct + s.cpu.system_pct + s.cpu.iowait_pct + s.cpu.steal_pct + s.cpu.idle_pct;
    assert.ok(sum > 90 && sum <= 100.5, `cpu shares sum to ${sum}`);
    assert.ok(s.cpu.user_pct > 0, 'the busy loop shows as user time');
    assert.ok(s.mem_total_bytes > 0 && s.mem_used_pct > 0);
    assert.ok(s.uptime_seconds > 0);
    assert.ok(s.disks.every((d) => !/^(loop|ram)\d+$/.test(d.device)));
  });

  test('the pull loop hands on reports from a real node_exporter (first gap gives CPU at once)', async () => {
    const target = toPullTarget({ host: 'this-host', kind: 'node_exporter', url: ne.url }, null);
    const got: HostReport[] = [];
    const loop = createPullLoop({ targets: [target], intervalSeconds: 60, timeoutMs: 10_000, firstGapMs: 500, onReport: (_, r) => void got.push(r), onError: (h, e) => assert.fail(`${h}: ${e.message}`) });
    await loop.pullOnce();
    await loop.stop();
    assert.equal(got.length, 1);
    assert.ok(got[0]!.system && got[0]!.system.cpu.cpus >= 1);
  });
});

describe('pull from a real vigia agent', () => {
  let agent: AgentProcess;
  before(async () => {
    agent = await startAgent(['--no-actions', '--no-mysql-detect', '--sample-interval', '1000']);
  });
  after(async () => agent?.stop());

  test("a valid report whose devices match the agent's /v1/devices", async () => {
    await new Promise((r) => setTimeout(r, 1200)); // the sampler's first window
    const target = toPullTarget({ host: 'agent-host', kind: 'agent', url: agent.url }, agent.readToken);
    const src = createAgentSource({ target, intervalSeconds: 30 });
    const r = valid(await src.collect(AbortSignal.timeout(20_000)));
    const { status, body } = await agent.fetch('/v1/devices');
    assert.equal(status, 200);
    const devices = (body as { devices: { mountpoint: string; device: string; fstype: string; role: string; size_bytes: number | null }[] }).devices;
    assert.deepEqual(
      r.devices.map((d) => [d.mountpoint, d.device, d.fstype, d.role, d.size_bytes]),
      devices.map((d) => [d.mountpoint, d.device, d.fstype, d.role, d.size_bytes]),
    );
    assert.ok(r.system, 'system from /v1/system');
    assert.equal(r.system.cpu.cpus, cpus().length);
    assert.equal(r.interval_seconds, 30);
  });

  test('a wrong token is an error the loop reports, not a report', async () => {
    const target = toPullTarget({ host: 'agent-host', kind: 'agent', url: agent.url }, 'not-the-token');
    const errors: string[] = [];
    const loop = createPullLoop({ targets: [target], intervalSeconds: 60, onReport: () => assert.fail('no report expected'), onError: (_, e) => void errors.push(e.message) });
    await loop.pullOnce();
    await loop.stop();
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /answered 401/);
  });
});
