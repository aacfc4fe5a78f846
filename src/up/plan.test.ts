import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../core/errors.js';
import { parseUpConfig, type UpConfig } from './config.js';
import { backfillDays, coreParts, demoParts, upLayout, DEMO_HISTORY_DAYS } from './plan.js';

const raw = { dataDir: 'data', port: '8080', agentPort: '9110', logsPort: '8470', demo: false, demoHosts: '1000', logLevel: 'info', shutdownTimeoutMs: '20000', startTimeoutMs: '120000' };
const config = (over: Record<string, unknown> = {}): UpConfig => parseUpConfig({ ...raw, ...over });
const layout = upLayout('/srv/v/data');
const flag = (args: readonly string[], name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};

test('the core parts: server, collector, agent in start order, each on loopback with its own port and its store under the data dir', () => {
  const parts = coreParts(config(), layout, 'db-1', { sloSpec: false, logsServer: false });
  assert.deepEqual(parts.map((p) => p.name), ['server', 'logs', 'agent']);
  const [server, logs, agent] = parts.map((p) => p.args);
  assert.deepEqual(server!.slice(0, 1), ['server']);
  assert.equal(flag(server!, '--listen'), '127.0.0.1:8080');
  assert.equal(flag(server!, '--data-dir'), '/srv/v/data/control');
  assert.equal(flag(server!, '--auth-token-file'), '/srv/v/data/up/operator.tokens');
  assert.equal(flag(server!, '--bundle-public-key'), undefined, 'no bundle key without --demo');
  assert.deepEqual(logs!.slice(0, 2), ['logs', 'serve']);
  assert.equal(flag(logs!, '--listen'), '127.0.0.1:8470');
  assert.equal(flag(logs!, '--data-dir'), '/srv/v/data/logs');
  assert.equal(flag(logs!, '--control'), 'http://127.0.0.1:8080');
  assert.equal(flag(agent!, '--listen'), '127.0.0.1:9110');
  assert.equal(flag(agent!, '--report-to'), 'http://127.0.0.1:8080');
  assert.equal(flag(agent!, '--host-name'), 'db-1');
  assert.equal(flag(agent!, '--report-token-file'), '/srv/v/data/agent/host.token');
  for (const f of ['--spool-dir', '--bundle-dir', '--audit-log']) assert.ok(flag(agent!, f)!.startsWith('/srv/v/data/agent/'), f);
  assert.deepEqual(parts.map((p) => p.healthUrl), ['http://127.0.0.1:8080/healthz', 'http://127.0.0.1:8470/healthz', 'http://127.0.0.1:9110/healthz']);
});

test('the agent runs safe: no actions, no MySQL login, no bundle key (every bundle refused)', () => {
  const agent = coreParts(config({ demo: true }), layout, 'h', { sloSpec: true, logsServer: true })[2]!.args;
  assert.ok(agent.includes('--no-actions'));
  assert.ok(agent.includes('--no-mysql-detect'));
  assert.ok(!agent.includes('--bundle-key'));
  assert.ok(!agent.includes('--actions-dir'));
});

test('optional server flags are passed only when this build has them; the SLO spec and bundle key only with --demo', () => {
  const plain = coreParts(config(), layout, 'h', { sloSpec: true, logsServer: true })[0]!.args;
  assert.equal(flag(plain, '--slo-spec'), undefined);
  assert.equal(flag(plain, '--logs-server'), 'http://127.0.0.1:8470');
  assert.equal(flag(plain, '--logs-token-file'), '/srv/v/data/up/operator.token');
  const demo = coreParts(config({ demo: true }), layout, 'h', { sloSpec: true, logsServer: false })[0]!.args;
  assert.equal(flag(demo, '--slo-spec'), '/srv/v/data/demo/slo');
  assert.equal(flag(demo, '--bundle-public-key'), '/srv/v/data/demo/bundle.pub');
  assert.equal(flag(demo, '--logs-server'), undefined);
});

test('demo parts: the simulated fleet with the asked hosts and history, silent hosts from the start; bounded log traffic to the collector', () => {
  const [sim, traffic] = demoParts(config({ demo: true, demoHosts: '50' }), layout, 3);
  assert.deepEqual(sim!.args.slice(0, 1), ['simulate']);
  assert.equal(flag(sim!.args, '--hosts'), '50');
  assert.equal(flag(sim!.args, '--backfill-days'), '3');
  assert.equal(flag(sim!.args, '--dying-window'), '1');
  assert.equal(flag(sim!.args, '--protocol'), 'v2');
  assert.equal(flag(sim!.args, '--ingest-token-file'), '/srv/v/data/demo/ingest.token');
  assert.deepEqual(traffic!.args.slice(0, 2), ['logs', 'simulate']);
  assert.equal(flag(traffic!.args, '--server'), 'http://127.0.0.1:8470');
  assert.equal(flag(traffic!.args, '--token-file'), '/srv/v/data/agent/host.token');
  assert.ok(flag(traffic!.args, '--duration'), 'bounded');
  assert.equal(traffic!.mayEnd, true);
  assert.equal(sim!.mayEnd, undefined);
});

test('history to send: the week the first time, only the gap on a resume, nothing within the hour', () => {
  const now = Date.UTC(2026, 0, 10);
  assert.equal(backfillDays(undefined, now), DEMO_HISTORY_DAYS);
  assert.equal(backfillDays(now + 1000, now), DEMO_HISTORY_DAYS, 'a mark in the future is not trusted');
  assert.equal(backfillDays(now - 30 * 60_000, now), 0);
  assert.equal(backfillDays(now - 2 * 86_400_000, now), 2);
  assert.equal(backfillDays(now - 30 * 86_400_000, now), DEMO_HISTORY_DAYS);
  assert.equal(backfillDays(now - 90 * 60_000, now), 2 / 24);
});

test('config: the same port twice, a bad port or too many demo hosts is VIGIA_ERR_CONFIG naming the flag', () => {
  const names = { port: '--port', agentPort: '--agent-port', logsPort: '--logs-port', demoHosts: '--demo-hosts' };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ agentPort: '8080' }, /--agent-port.*8080 is also --port/],
    [{ port: '70000' }, /--port/],
    [{ logsPort: 'x' }, /--logs-port/],
    [{ demoHosts: '10001' }, /--demo-hosts/],
  ];
  for (const [over, re] of cases) {
    assert.throws(() => parseUpConfig({ ...raw, ...over }, names), (err: unknown) => isVigiaError(err) && err.code === 'VIGIA_ERR_CONFIG' && re.test(err.message), JSON.stringify(over));
  }
  assert.ok(Object.isFrozen(config()));
});
