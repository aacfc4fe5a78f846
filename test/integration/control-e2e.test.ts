/**
 * The control plane end to end, with the built binaries: enrol a host with the CLI, run a real agent
 * reporting to a real `vigia server`, take the server down long enough for the agent to spool
 * several reports, bring it back, and check every report arrived exactly once; then the reports
 * through the CLI, and the CLI's errors.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openControlStore } from '../../src/control/store/sql-store.js';
import { startAgent } from '../support/agent-process.js';
import { startControl, vigia } from '../support/control-process.js';
import { waitFor } from '../support/wait.js';
import { tempDir } from '../support/tmp.js';
import { accessibleToOthers } from '../support/file-modes.js';

const INTERVAL = 10;


function spoolFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
}

async function agentCounter(agent: Awaited<ReturnType<typeof startAgent>>, outcome: string): Promise<number> {
  const m = await agent.fetch('/metrics');
  const line = String(m.text)
    .split('\n')
    .find((l) => l.startsWith(`vigia_agent_reports_total{outcome="${outcome}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('an agent spools through a control-plane outage and every report arrives exactly once', { timeout: 240_000 }, async () => {
  let control = await startControl();
  const work = tempDir('vigia-e2e-');
  const spool = join(work.dir, 'spool');
  const hostToken = join(work.dir, 'host.token');
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  try {
    const enrolled = vigia(['server', 'enroll', '--host', 'e2e-db-1', '--tag', 'dc=test', '--server', control.url, '--token-file', control.adminTokenFile, '--write-token-file', hostToken]);
    assert.equal(enrolled.status, 0, enrolled.stderr);
    assert.match(enrolled.stderr, /enrolled e2e-db-1/);

    agent = await startAgent(['--no-mysql-detect', '--report-to', control.url, '--report-token-file', hostToken, '--host-name', 'e2e-db-1', '--report-interval', String(INTERVAL), '--spool-dir', spool]);
    const seen = async () => ((await control.fetch('/v1/hosts')).body.hosts as any[]).find((h) => h.host === 'e2e-db-1')?.lastSeen;
    await waitFor('first report', seen, 3 * INTERVAL * 1000, 200);

    // Outage: long enough for at least two reports to be spooled.
    await control.stop();
    await waitFor('two spooled reports', () => spoolFiles(spool).length >= 2, 4 * INTERVAL * 1000, 250);
    control = await control.restart();
    await waitFor('spool drained', () => spoolFiles(spool).length === 0, 6 * INTERVAL * 1000, 250);
    // Let one more live report through, then stop the agent between reports.
    await sleep(1000);
    const delivered = await agentCounter(agent, 'delivered');
    const dropped = await agentCounter(agent, 'dropped');
    assert.equal(dropped, 0, 'nothing dropped');
    assert.ok(delivered >= 3, `delivered ${delivered}`);
    await agent.stop();
    agent = undefined;
    await control.stop();

    const store = await openControlStore({ dataDir: control.dataDir });
    try {
      const today = new Date().toISOString().slice(0, 10);
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      let stored = 0;
      for (const day of [yesterday, today]) stored += (await store.performanceData(day)).hosts.find((h) => h.host === 'e2e-db-1')?.samples ?? 0;
      assert.equal(stored, delivered, 'every delivered report is stored exactly once (spooled ones included)');
      const cap = await store.capacityData(new Date(), 7);
      assert.ok(cap.volumes.some((v) => v.host === 'e2e-db-1'), 'the host has latest volumes');
      const host = (await store.hostStatuses()).find((h) => h.host === 'e2e-db-1')!;
      assert.equal(host.tags.dc, 'test');
    } finally {
      await store.close();
    }
  } finally {
    await agent?.stop();
    await control.stop();
    control.remove();
    work.remove();
  }
});

test('vigia report reads a running server; CLI errors are clear', { timeout: 180_000 }, async () => {
  const control = await startControl();
  try {
    const enroll = await control.fetch('/v1/hosts/enroll', { token: control.adminToken, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ host: 'cli-db-1' }) });
    assert.equal(enroll.status, 200);
    const now = new Date();
    now.setUTCMilliseconds(0);
    const report = {
      v: 1, host: 'cli-db-1', sampled_at: new Date(now.getTime() - 1000).toISOString(), interval_seconds: 60, agent: { version: 't' }, tags: {}, system: null,
      devices: [{ mountpoint: '/var/lib/mysql', device: '/dev/sdb1', fstype: 'xfs', role: 'data', read_only: false, size_bytes: 1000e9, used_bytes: 950e9, avail_bytes: 50e9, use_pct: 95, inodes_total: 10, inodes_used: 1, inode_use_pct: 10, error: null }],
    };
    const posted = await control.fetch('/v1/reports', { token: enroll.body.token, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report) });
    assert.equal(posted.status, 200, posted.text);
    // Issue 13, finding 1: after enrolment and a report, nothing of the store is open to other users.
    assert.equal(statSync(control.dataDir).mode & 0o7777, 0o700);
    assert.deepEqual(accessibleToOthers(control.dataDir), [], 'while the server runs');

    const csv = vigia(['report', 'capacity', '--server', control.url, '--token-file', control.readTokenFile, '--format', 'csv']);
    assert.equal(csv.status, 0, csv.stderr);
    const row = csv.stdout.split('\n').find((l) => l.startsWith('cli-db-1,'));
    assert.ok(row, csv.stdout.slice(0, 500));
    assert.match(row, /critical/);
    const table = vigia(['report', 'capacity', '--server', control.url, '--token-file', control.readTokenFile]);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /1 critical/);
    const hosts = vigia(['server', 'hosts', '--json', '--server', control.url, '--token-file', control.readTokenFile]);
    assert.equal(JSON.parse(hosts.stdout).hosts[0].host, 'cli-db-1');

    const locked = vigia(['server', 'hosts', '--data-dir', control.dataDir]);
    assert.equal(locked.status, 2);
    assert.match(locked.stderr, /CONTROL_ERR_STORE_LOCKED/);
    const badDay = vigia(['report', 'performance', '--day', '2026-02-30', '--server', control.url, '--token-file', control.readTokenFile]);
    assert.equal(badDay.status, 2);
    assert.match(badDay.stderr, /CONTROL_ERR_INVALID_DAY/);
    const noAdmin = vigia(['server', 'enroll', '--host', 'x-1', '--server', control.url, '--token-file', control.readTokenFile]);
    assert.notEqual(noAdmin.status, 0);
    assert.match(noAdmin.stderr, /^vigia: VIGIA_ERR_FORBIDDEN: .*\[POST \/v1\/hosts\/enroll answered 403\]$/m);
    const badFlag = vigia(['server', '--retention-days', '1', '--data-dir', join(control.dir, 'other')]);
    assert.equal(badFlag.status, 2);
    assert.match(badFlag.stderr, /^vigia: VIGIA_ERR_CONFIG: invalid configuration: --retention-days: must be at least 2, got "1"$/m);
    await control.stop();
    assert.deepEqual(accessibleToOthers(control.dataDir), [], 'after the server stopped');
  } finally {
    await control.stop();
    control.remove();
  }
});

test('vigia server refuses a --data-dir other users can write, in one line naming the flag', async () => {
  const work = tempDir('vigia-e2e-');
  try {
    const open = join(work.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r = vigia(['server', '--data-dir', open, '--listen', '127.0.0.1:0']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^vigia: VIGIA_ERR_UNSAFE_PATH: .*: --data-dir .*\/open: directory .*\/open is group- and world-writable \(mode 0777\)$/m);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('vigia:')).length, 1, 'one line');
    assert.deepEqual(readdirSync(open), [], 'nothing written into it');
  } finally {
    work.remove();
  }
});
