/**
 * `vigia up --demo` (the built binary, a small fleet: --demo-hosts 50): every piece of the demo is
 * there through the real APIs: the simulated fleet enrolled (tagged simulated=true) with history, the
 * polling agents with a rollout running over them and a fleet run, the SLO demo year on disk, log
 * lines in the collector; SIGINT stops every part (the load generators included) and exits 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { isAlive, processesMentioning } from '../support/procs.js';
import { tempDir } from '../support/tmp.js';
import { linkOf, startUp } from '../support/up-process.js';
import { waitFor } from '../support/wait.js';

const HOSTS = 50;

test('vigia up --demo: simulated fleet with history, a rollout running, a fleet run, SLO data, log lines; SIGINT stops everything', { timeout: 240_000 }, async () => {
  const box = tempDir('vigia-up-demo-');
  const [port, agentPort, logsPort] = [await freePort(), await freePort(), await freePort()];
  const up = startUp(box.dir, ['--demo', '--demo-hosts', String(HOSTS), '--port', String(port), '--agent-port', String(agentPort), '--logs-port', String(logsPort)]);
  const { child, exited } = up;
  const data = join(box.dir, 'data');
  try {
    await linkOf(up);
    const token = readFileSync(join(data, 'up/operator.token'), 'utf8').trim();
    const get = async (base: number, path: string): Promise<any> => {
      const res = await fetch(`http://127.0.0.1:${base}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };

    // The simulated fleet: HOSTS report hosts + the polling agents, all tagged simulated=true, reporting.
    const hosts = await waitFor('the simulated fleet reporting', async () => {
      const list = (await get(port, '/v1/hosts')).hosts as Array<{ host: string; tags: Record<string, string>; lastSeen: string | null }>;
      const sim = list.filter((h) => h.tags.simulated === 'true' && h.host.startsWith('sim-') && !h.host.startsWith('sim-agent-'));
      return sim.length === HOSTS && sim.filter((h) => h.lastSeen !== null).length >= HOSTS * 0.9 ? list : undefined;
    }, 120_000, 1000);
    const agents = hosts.filter((h: { host: string; tags: Record<string, string> }) => h.tags.demo === 'agents');
    assert.ok(agents.length > 0 && agents.every((h: { tags: Record<string, string> }) => h.tags.simulated === 'true'), 'polling agents are simulated hosts too');
    // History: the capacity report's growth figures need days of reports, which the backfill sent.
    const capacity = await waitFor('a week of history in the capacity report', async () => {
      const r = await get(port, '/v1/reports/capacity?format=json');
      const text = JSON.stringify(r);
      return /sim-0/.test(text) ? r : undefined;
    }, 120_000, 2000);
    assert.ok(capacity);

    const rollout = await waitFor('a rollout', async () => get(port, '/v1/rollouts/current'), 60_000, 1000);
    assert.ok(['running', 'completed'].includes(rollout.state), rollout.state);
    assert.deepEqual(rollout.selector, { demo: 'agents' });
    const runs = await waitFor('a fleet run', async () => ((await get(port, '/v1/runs')).runs as unknown[]).length > 0 ? (await get(port, '/v1/runs')).runs : undefined, 60_000, 1000);
    assert.equal(runs[0].action, 'purge-binlogs');

    assert.ok(existsSync(join(data, 'demo/slo/slos.yaml')), 'the SLO demo year is written');
    const stats = await waitFor('log lines in the collector', async () => {
      const s = await get(logsPort, '/v1/logs/stats');
      return s.lines > 0 ? s : undefined;
    }, 60_000, 1000);
    assert.ok(stats.lines > 0);

    const parts = processesMentioning(data, child.pid);
    assert.equal(parts.length, 5, 'server, logs, agent, simulate, log-traffic');
    child.kill('SIGINT');
    assert.equal(await exited, 0, up.err());
    for (const pid of parts) assert.ok(!isAlive(pid), `part ${pid} gone`);
    assert.match(up.err(), /log-traffic stopped\n.*simulate stopped\n.*agent stopped\n.*logs stopped\n.*server stopped\n/s);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const pid of processesMentioning(box.dir)) process.kill(pid, 'SIGKILL');
    box.remove();
  }
});
