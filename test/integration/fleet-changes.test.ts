/**
 * Fleet changes end to end with the built binaries: a real `vigia server` and four real agents on
 * loopback. Keys from `vigia bundle keygen`; bundles published with `vigia bundle publish`; the
 * rollout steered and watched with `vigia rollout`; fleet runs with `vigia run`.
 *
 * - a good bundle reaches every host in waves; its checks run (Nagios exit codes) and their results
 *   reach the control plane with the reports;
 * - a bad bundle (its check goes CRITICAL) stops at the canary and is rolled back automatically to
 *   the pre-signed rollback; no host outside the canary ever installs it;
 * - killing the control plane (SIGKILL) mid-rollout and restarting it resumes the rollout without
 *   touching hosts that already moved;
 * - a fleet run stops dispatching once more hosts than --max-errors failed, and says so in its exit code;
 *   every dispatch is in the audit log; a run without --where needs --all; a read token cannot run.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { startControl, vigia, type ControlProcess } from '../support/control-process.js';
import { waitFor } from '../support/wait.js';
import { tempDir } from '../support/tmp.js';

const HOSTS = ['fleet-a', 'fleet-b', 'fleet-c', 'fleet-d'];
const work = tempDir('vigia-fleet-');
const keyPrefix = join(work.dir, 'signing');
let control: ControlProcess;
const agents = new Map<string, AgentProcess>();

function writeBundle(dir: string, opts: { exit: number; marker: string }): string {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'vigia-checks.yaml'), [
    'apiVersion: vigia/v1',
    'kind: CheckBundle',
    'name: fleet',
    'checks:',
    '  - name: probe',
    '    command: bin/check_probe.sh',
    '    args: ["-w", "{warning}", "$(touch /tmp/vigia-must-not-exist)"]',
    '    thresholds: {warning: 80}',
    '    interval: 30s',
    '    timeout: 5s',
    '  - name: db_only',
    '    command: bin/check_probe.sh',
    '    where: {role: db}',
    '    interval: 30s',
    '',
  ].join('\n'));
  const states = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
  writeFileSync(join(dir, 'bin', 'check_probe.sh'), `#!/bin/sh\necho "${states[opts.exit]} - ${opts.marker} args: $*|load=0.5"\nexit ${opts.exit}\n`);
  chmodSync(join(dir, 'bin', 'check_probe.sh'), 0o755);
  return dir;
}

function writeActions(dir: string, exitCode: number): string {
  const action = join(dir, 'probe');
  mkdirSync(action, { recursive: true });
  writeFileSync(join(action, 'probe.sh'), `#!/bin/sh\necho "probe on $(hostname) with $2"\nexit ${exitCode}\n`);
  chmodSync(join(action, 'probe.sh'), 0o755);
  writeFileSync(join(action, 'manifest.json'), JSON.stringify({
    name: 'probe', description: 'test probe', executable: '/bin/sh', argv: ['${actionDir}/probe.sh', '--', '{label}'],
    parameters: { label: { type: 'string', maxLength: 40, pattern: '^[a-z0-9-]+$' } }, required: ['label'],
    timeoutMs: 5000, outputCapBytes: 4096, concurrency: 1, async: false,
  }));
  return dir;
}

function publish(dir: string, extra: string[] = []): ReturnType<typeof vigia> {
  return vigia(['bundle', 'publish', dir, '--key', `${keyPrefix}.key`, '--server', control.url, '--token-file', control.adminTokenFile, '--soak', '0', ...extra]);
}

async function rollout(): Promise<any> {
  return (await control.fetch('/v1/rollouts/current')).body;
}

function installed(host: string): { release: number; sha256: string; installed_at: string } {
  return JSON.parse(readFileSync(join(agents.get(host)!.dir, 'bundles', 'state.json'), 'utf8'));
}

function safeInstalled(host: string): { release: number; installed_at: string } | null {
  try {
    return installed(host);
  } catch {
    return null;
  }
}

before(async () => {
  // Actions and checks run as nobody: they must be able to enter the work dir (mkdtemp makes it 0700).
  chmodSync(work.dir, 0o755);
  const kg = vigia(['bundle', 'keygen', '--out', keyPrefix]);
  assert.equal(kg.status, 0, kg.stderr);
  assert.equal((readFileSync(`${keyPrefix}.key`).length > 0 && (await import('node:fs')).statSync(`${keyPrefix}.key`).mode & 0o777), 0o600);
  control = await startControl({ args: ['--bundle-public-key', `${keyPrefix}.pub`] });
  for (const [i, host] of HOSTS.entries()) {
    const tokenFile = join(work.dir, `${host}.token`);
    const role = i < 3 ? 'db' : 'web';
    const e = vigia(['server', 'enroll', '--host', host, '--tag', `role=${role}`, '--server', control.url, '--token-file', control.adminTokenFile, '--write-token-file', tokenFile]);
    assert.equal(e.status, 0, e.stderr);
    const actions = writeActions(join(work.dir, `actions-${host}`), i === 1 || i === 2 ? 1 : 0);
    agents.set(host, await startAgent([
      '--no-mysql-detect', '--report-to', control.url, '--report-token-file', tokenFile, '--host-name', host, '--tag', `role=${role}`,
      '--report-interval', '10', '--spool-dir', join(work.dir, `spool-${host}`), '--bundle-key', `${keyPrefix}.pub`, '--actions-dir', actions,
    ]));
  }
});

after(async () => {
  for (const a of agents.values()) await a.stop().catch(() => undefined);
  await control?.stop().catch(() => undefined);
  control?.remove();
  work.remove();
});

test('a good bundle reaches every host in waves; checks run without a shell and report Nagios states', { timeout: 120_000 }, async () => {
  const dir = writeBundle(join(work.dir, 'bundle-v1'), { exit: 0, marker: 'v1' });
  const dry = vigia(['bundle', 'publish', dir, '--key', `${keyPrefix}.key`, '--server', control.url, '--token-file', control.adminTokenFile, '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /dry run: would publish bundle fleet release 1/);
  assert.equal((await control.fetch('/v1/rollouts/current')).status, 404, 'a dry run publishes nothing');
  const readOnly = vigia(['bundle', 'publish', dir, '--key', `${keyPrefix}.key`, '--server', control.url, '--token-file', control.readTokenFile]);
  assert.notEqual(readOnly.status, 0);
  assert.match(readOnly.stderr, /403/);

  const p = publish(dir, ['--waves', '25,50,100']);
  assert.equal(p.status, 0, p.stderr);
  const watch = vigia(['rollout', 'status', '--watch', '--interval', '250', '--server', control.url, '--token-file', control.readTokenFile], { timeoutMs: 90_000 });
  assert.equal(watch.status, 0, `${watch.stdout}\n${watch.stderr}`);
  assert.match(watch.stdout, /completed/);
  const r = await rollout();
  assert.equal(r.state, 'completed');
  assert.deepEqual(r.perWave.map((w: any) => w.hosts), [1, 1, 2]);
  for (const h of HOSTS) assert.equal(installed(h).release, 1, h);
  // Check results arrive with the reports: the db_only check runs on the three db hosts only.
  await waitFor('check results of every host', async () => ((await control.fetch('/v1/checks')).body.hosts as any[]).length === 4, 30_000, 250);
  const checks = (await control.fetch('/v1/checks')).body.hosts as any[];
  for (const c of checks) {
    assert.equal(c.failing, 0, JSON.stringify(c));
    const names = c.results.map((x: any) => x.name).sort();
    assert.deepEqual(names, c.host === 'fleet-d' ? ['probe'] : ['db_only', 'probe'], c.host);
    const probe = c.results.find((x: any) => x.name === 'probe');
    assert.equal(probe.state, 'OK');
    // The argument reached the script literally: no shell ran $(...).
    assert.match(probe.output, /^OK - v1 args: -w 80 \$\(touch \/tmp\/vigia-must-not-exist\)\|load=0\.5$/);
  }
  const drift = vigia(['rollout', 'drift', '--server', control.url, '--token-file', control.readTokenFile]);
  assert.equal(drift.status, 0, drift.stderr);
  assert.match(drift.stdout, /no stuck hosts/);
});

test('a bad bundle stops at the canary and is rolled back to the pre-signed release', { timeout: 120_000 }, async () => {
  const before = new Map(HOSTS.map((h) => [h, installed(h)]));
  const dir = writeBundle(join(work.dir, 'bundle-v2'), { exit: 2, marker: 'v2' });
  const p = publish(dir, ['--waves', '25,100', '--auto-rollback', '--soak', '2s']);
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /rollback pre-signed as 3 \(content of 1\)/);
  const everOn2 = new Set<string>();
  await waitFor('rolled back', async () => {
    for (const h of HOSTS) if (safeInstalled(h)?.release === 2) everOn2.add(h);
    return (await rollout()).state === 'rolled_back';
  }, 90_000, 100);
  const r = await rollout();
  assert.match(r.reason, /pre-signed|back on the previous content|rolled/, r.reason);
  assert.equal(everOn2.size <= 1, true, `only the canary may have run release 2: ${[...everOn2]}`);
  const canary = HOSTS.filter((h) => installed(h).release !== before.get(h)!.release);
  assert.equal(canary.length, 1, 'exactly one host (the 25 % canary of 4) moved');
  assert.equal(installed(canary[0]!).release, 3, 'the canary runs the pre-signed rollback');
  assert.equal(installed(canary[0]!).sha256, before.get(canary[0]!)!.sha256, '... which is the content of release 1');
  for (const h of HOSTS.filter((x) => x !== canary[0])) assert.deepEqual(installed(h), before.get(h), `${h} never changed`);
  const audit = vigia(['rollout', 'status', '--server', control.url, '--token-file', control.readTokenFile, '--json']);
  assert.equal(JSON.parse(audit.stdout).state, 'rolled_back');
});

test('killing the control plane mid-rollout and restarting it resumes without re-running finished hosts', { timeout: 150_000 }, async () => {
  const dir = writeBundle(join(work.dir, 'bundle-v4'), { exit: 0, marker: 'v4' });
  // A long soak keeps the rollout in its second wave while we kill the server.
  const p = publish(dir, ['--waves', '25,50,100', '--soak', '8s']);
  assert.equal(p.status, 0, p.stderr);
  await waitFor('second wave reached', async () => (await rollout()).currentWave >= 1, 60_000, 100);
  const moved = HOSTS.filter((h) => installed(h).release === 4);
  assert.ok(moved.length >= 1);
  const stamps = new Map(moved.map((h) => [h, installed(h).installed_at]));
  await control.stop('SIGKILL');
  await sleep(500);
  control = await control.restart();
  const watch = vigia(['rollout', 'status', '--watch', '--interval', '250', '--server', control.url, '--token-file', control.readTokenFile], { timeoutMs: 120_000 });
  assert.equal(watch.status, 0, `${watch.stdout}\n${watch.stderr}`);
  for (const h of HOSTS) assert.equal(installed(h).release, 4, h);
  for (const [h, at] of stamps) assert.equal(installed(h).installed_at, at, `${h} was not installed again after the restart`);
  for (const h of HOSTS) {
    const log = agents.get(h)!.stderr();
    const installs = log.split('\n').filter((l) => l.includes('"release":4') && l.includes('bundle release installed')).length;
    assert.ok(installs <= 1, `${h} installed release 4 ${installs} times`);
  }
});

test('a fleet run stops dispatching once errors exceed --max-errors; dispatches are audited and need the run scope', { timeout: 120_000 }, async () => {
  const noWhere = vigia(['run', 'probe', '--param', 'label=x', '--server', control.url, '--token-file', control.runTokenFile]);
  assert.notEqual(noWhere.status, 0);
  assert.match(noWhere.stderr, /--all/);
  const readOnly = vigia(['run', 'probe', '--all', '--param', 'label=x', '--server', control.url, '--token-file', control.readTokenFile]);
  assert.notEqual(readOnly.status, 0);
  assert.match(readOnly.stderr, /403/);
  const admin = vigia(['run', 'probe', '--all', '--param', 'label=x', '--server', control.url, '--token-file', control.adminTokenFile]);
  assert.match(admin.stderr, /403/, 'admin does not imply run');

  // The server refuses a fleet-wide run without --all too, and a host token is no operator token.
  const raw = await control.fetch('/v1/runs', { method: 'POST', token: control.runToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'probe', params: { label: 'x' } }) });
  assert.equal(raw.status, 400);
  assert.match(raw.body.error.message, /--all/);
  const hostToken = readFileSync(join(work.dir, 'fleet-a.token'), 'utf8').trim();
  for (const path of ['/v1/runs', '/v1/rollouts/current', '/v1/audit']) assert.equal((await control.fetch(path, { token: hostToken })).status, 401, path);
  const asHost = await control.fetch('/v1/runs', { method: 'POST', token: hostToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'probe', all: true }) });
  assert.equal(asHost.status, 401);

  const dry = vigia(['run', 'probe', '--where', 'role=db', '--param', 'label=x', '--dry-run', '--server', control.url, '--token-file', control.runTokenFile]);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /would run on 3 hosts/);

  // fleet-b and fleet-c fail. One at a time in name order, max-errors 0: fleet-a succeeds, fleet-b
  // fails (1 > 0: stop), fleet-c and fleet-d are never dispatched.
  const run = vigia(['run', 'probe', '--all', '--param', 'label=one', '--concurrency', '1', '--max-errors', '0', '--server', control.url, '--token-file', control.runTokenFile]);
  assert.equal(run.status, 2, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /succeeded 1, failed 1, timed out 0, not dispatched 2 of 4 hosts/);
  assert.match(run.stdout, /fleet-b\s+failed\s+1/);
  // All in parallel with max-errors 1 (25 %): both failures land, nothing is left undispatched (the
  // overshoot is bounded by the concurrency), exit 2 because errors (2) exceed 1.
  const wide = vigia(['run', 'probe', '--all', '--param', 'label=two', '--concurrency', '100%', '--max-errors', '25%', '--server', control.url, '--token-file', control.runTokenFile, '--json']);
  assert.equal(wide.status, 2, wide.stderr);
  const lines = wide.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const final = lines.at(-1);
  assert.deepEqual([final.counts.succeeded, final.counts.failed, final.counts.notDispatched], [2, 2, 0]);
  assert.equal(lines.filter((l) => l.host).length, 4, 'one streamed result per host');
  assert.ok(lines.filter((l) => l.host).every((l) => /probe on .* with two/.test(l.output)), 'the parameter reached the action');
  // Selection by tag and a passing run.
  const ok = vigia(['run', 'probe', '--where', 'role=web', '--param', 'label=three', '--server', control.url, '--token-file', control.runTokenFile]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /succeeded 1, failed 0, timed out 0, not dispatched 0 of 1 host\b/);
  // A parameter the action refuses is "rejected" on the host, not run.
  const bad = vigia(['run', 'probe', '--where', 'host=fleet-a', '--param', 'label=BAD;rm', '--server', control.url, '--token-file', control.runTokenFile]);
  assert.equal(bad.status, 2);
  assert.match(bad.stdout, /rejected/);
  // Audit: every dispatch, who, what, targets, parameters and outcome.
  const audit = readAuditLines();
  const starts = audit.filter((l) => l.action === 'run.start');
  assert.ok(starts.length >= 4);
  assert.ok(starts.every((l) => l.actor === 'runner'));
  assert.ok(starts.some((l) => l.detail.params?.label === 'one' && l.detail.targets === 4 && l.detail.concurrency === 1 && l.detail.max_errors === 0));
  assert.ok(audit.some((l) => l.action === 'run.end' && l.detail.state === 'failed' && l.detail.notDispatched === 2));
  assert.ok(audit.some((l) => l.action === 'run.dry_run'));
});

/** The control plane's audit log, read through its store (a second process may read PGlite only when the server is down: ask the API instead). */
function readAuditLines(): Array<{ action: string; actor: string; detail: any }> {
  const res = vigia(['server', 'audit', '--server', control.url, '--token-file', control.readTokenFile, '--json']);
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout);
}
