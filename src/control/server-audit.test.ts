/**
 * The control plane's audit trail over real sockets, on the embedded store with the real fleet
 * services: every refused state-changing request of an authenticated caller is an `audit_log` row
 * (and an `"audit":true` log line), enrolment, rotation and removal are rows too, and
 * `Expect: 100-continue` is answered only once authentication, route and scope passed, on every
 * mount (operator, ingest, agent) and on the follower's forwarding path.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { hashToken, newToken, parseTokenEntries } from '../core/auth.js';
import { ENVELOPE_FORMAT, generateSigningKeyPair, keyId, MANIFEST_FILE, packArchive, sha256Hex, signRelease } from '../core/contracts/bundle.js';
import { silentLogger } from '../core/log.js';
import { createAgentChannel } from './agent-channel.js';
import { createBundleService } from './bundles/bundle-service.js';
import { createRunService } from './fleet-runs/run-service.js';
import { HostAuth } from './host-auth.js';
import { createRolloutService } from './rollouts/rollout-service.js';
import { createControlServer, DEFAULT_CONTROL_LIMITS, type ControlServer, type ControlServerDeps } from './server.js';
import { FleetStore } from './store/fleet-store.js';
import type { SqlControlStore } from './store/sql-store.js';
import { freshPgliteStore } from '../../test/support/pglite.js';

const readToken = newToken();
const adminToken = newToken();
const runToken = newToken();
const keys = generateSigningKeyPair();
const otherKeys = generateSigningKeyPair();
const logLines: Record<string, unknown>[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
let store: SqlControlStore;
let fleetStore: FleetStore;
let server: ControlServer;
let base: string;
let port: number;
let baseDeps: ControlServerDeps;
let closeFleet: () => Promise<void> = async () => {};

before(async () => {
  const w = await freshPgliteStore();
  store = w.store;
  fleetStore = new FleetStore(w.handle);
  const channel = createAgentChannel();
  const rollouts = createRolloutService({ store: fleetStore, channel, log: silentLogger() });
  await rollouts.load();
  const bundles = createBundleService({ store: fleetStore, rollouts, trustedKeys: [keys.publicKeyPem], log: silentLogger(), hostsWhere: (where) => store.hostsWhere(where) });
  const runs = createRunService({ store: fleetStore, channel, log: silentLogger() });
  const tokens = parseTokenEntries(`${hashToken(readToken)} name=reader\n${hashToken(adminToken)} scopes=admin name=ops\n${hashToken(runToken)} scopes=run name=runner\n`);
  baseDeps = {
    operatorTokens: tokens,
    hostAuth: new HostAuth(store),
    store,
    ingest: (item) => store.ingest([item]).then((o) => o[0]!),
    capacityReport: async () => ({ contentType: 'application/json', body: '{}' }),
    performanceReport: async () => ({ contentType: 'application/json', body: '{}' }),
    metrics: async () => '',
    limits: { ...DEFAULT_CONTROL_LIMITS, rateLimit: { perSecond: 1000, burst: 1000 } },
    log,
  };
  server = createControlServer({
    ...baseDeps,
    fleet: { channel, rollouts, bundles, runs, audit: (limit) => fleetStore.auditLines(limit), checks: () => fleetStore.latestChecks() },
  });
  const a = await server.listen('127.0.0.1', 0);
  port = a.port;
  base = `http://127.0.0.1:${port}`;
  closeFleet = async () => {
    await runs.close();
    await rollouts.close();
    channel.close();
  };
});

after(async () => {
  await server.close(100);
  await closeFleet();
});

async function call(method: string, path: string, token: string | null, body?: unknown, at = base) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${at}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }).catch((err) => {
    throw new Error(`${method} ${path}: ${String(err.cause ?? err)}`);
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as any) : undefined };
}

/** The audit rows GET /v1/audit answers, oldest first. */
async function auditRows(): Promise<Array<{ actor: string; action: string; detail: Record<string, unknown> }>> {
  const r = await call('GET', '/v1/audit?limit=1000', readToken);
  assert.equal(r.status, 200);
  return (r.json.lines as any[]).reverse();
}

function archive(files: Array<{ path: string; data: string }>): { bytes: Buffer; sha256: string } {
  const manifest = { apiVersion: 'vigia/v1', kind: 'CheckBundle', name: 'fleet', checks: [{ name: 'c', command: 'bin/c.sh' }] };
  return packArchive(manifest, [
    { path: MANIFEST_FILE, executable: false, data: Buffer.from(JSON.stringify(manifest)) },
    { path: 'bin/c.sh', executable: true, data: Buffer.from('#!/bin/sh\necho ok\n') },
    ...files.map((f) => ({ path: f.path, executable: false, data: Buffer.from(f.data) })),
  ]);
}

function signed(a: { bytes: Buffer; sha256: string }, key = keys) {
  const now = new Date();
  return signRelease(
    { format: ENVELOPE_FORMAT, bundle: 'fleet', release: 1, sha256: a.sha256, size: a.bytes.length, created_at: now.toISOString(), expires_at: new Date(now.getTime() + 86_400_000).toISOString(), key_id: keyId(key.publicKeyPem) },
    key.privateKeyPem,
  );
}

test('publishes and run starts refused with a valid admin/run token are audit rows and audit log lines: who, route, path without query, status, code', async () => {
  const good = archive([]);
  // A release signed by a key the control plane does not trust.
  const badSignature = await call('POST', '/v1/bundles', adminToken, { release: signed(good, otherKeys), archive: good.bytes.toString('base64') });
  assert.equal(badSignature.json.error.code, 'BUNDLE_ERR_SIGNATURE', JSON.stringify(badSignature.json));
  // The archive changed after signing.
  const tampered = await call('POST', '/v1/bundles', adminToken, { release: signed(good), archive: Buffer.concat([good.bytes, Buffer.from(' ')]).toString('base64') });
  assert.equal(tampered.json.error.code, 'BUNDLE_ERR_INVALID', JSON.stringify(tampered.json));
  // A `../` path inside the archive (packArchive itself refuses to build one, so it is written by hand).
  const doc = JSON.parse(good.bytes.toString('utf8'));
  doc.files.push({ path: '../escape', executable: false, sha256: 'b'.repeat(64), data: '' });
  const evilBytes = Buffer.from(JSON.stringify(doc));
  const traversal = await call('POST', '/v1/bundles', adminToken, { release: signed({ bytes: evilBytes, sha256: sha256Hex(evilBytes) }), archive: evilBytes.toString('base64') });
  assert.equal(traversal.json.error.code, 'BUNDLE_ERR_INVALID', JSON.stringify(traversal.json));
  // A run start the run service refuses (no selector and no --all).
  const run = await call('POST', '/v1/runs', runToken, { action: 'purge-binlogs' });
  assert.ok(run.status >= 400 && run.status < 500, String(run.status));
  // A query string (which could hold a secret) is never recorded.
  const query = await call('POST', '/v1/runs?token=s3cr3t', runToken, { action: 'purge-binlogs', all: true });
  assert.equal(query.status, 400);

  const rows = (await auditRows()).filter((r) => r.action === 'request.rejected');
  assert.deepEqual(
    rows.map((r) => [r.actor, r.detail.method, r.detail.route, r.detail.path, r.detail.status, r.detail.code]),
    [
      ['ops', 'POST', '/v1/bundles', '/v1/bundles', badSignature.status, 'BUNDLE_ERR_SIGNATURE'],
      ['ops', 'POST', '/v1/bundles', '/v1/bundles', tampered.status, 'BUNDLE_ERR_INVALID'],
      ['ops', 'POST', '/v1/bundles', '/v1/bundles', traversal.status, 'BUNDLE_ERR_INVALID'],
      ['runner', 'POST', '/v1/runs', '/v1/runs', run.status, run.json.error.code],
      ['runner', 'POST', '/v1/runs', '/v1/runs', 400, 'VIGIA_ERR_BAD_REQUEST'],
    ],
  );
  const lines = logLines.filter((l) => l.audit === true && l.msg === 'request rejected');
  assert.deepEqual(lines.map((l) => [l.client, l.path, l.status, l.code]), rows.map((r) => [r.actor, r.detail.path, r.detail.status, r.detail.code]));
  assert.ok(!JSON.stringify([rows, lines]).includes('s3cr3t'), 'no query string in the audit');
});

test('refusals before a route is matched, and scope refusals, are audited for authenticated callers; unauthenticated ones and reads are not rows', async () => {
  const before = (await auditRows()).length;
  assert.equal((await call('POST', '/v1/bundles', readToken, {})).status, 403);
  assert.equal((await call('POST', '/v1/nope', adminToken, {})).status, 404);
  assert.equal((await call('DELETE', '/v1/drift', adminToken)).status, 405);
  assert.equal((await call('POST', '/v1/bundles', 'not-a-token', {})).status, 401);
  assert.equal((await call('GET', '/v1/runs/999999', readToken)).status, 404);
  const rows = (await auditRows()).slice(before);
  assert.deepEqual(rows.map((r) => [r.actor, r.detail.method, r.detail.path, r.detail.status]), [
    ['reader', 'POST', '/v1/bundles', 403],
    ['ops', 'POST', '/v1/nope', 404],
    ['ops', 'DELETE', '/v1/drift', 405],
  ]);
});

test('enrolment, rotation and removal are audit rows (GET /v1/audit) with the operator token name, never the token', async () => {
  const first = await call('POST', '/v1/hosts/enroll', adminToken, { host: 'audit-h1', tags: { role: 'mysql' } });
  assert.equal(first.status, 200);
  assert.equal((await call('POST', '/v1/hosts/enroll', adminToken, { hosts: [{ host: 'audit-h1' }, { host: 'audit-h2' }] })).status, 200);
  assert.equal((await call('DELETE', '/v1/hosts/audit-h2', adminToken)).status, 200);
  const rows = (await auditRows()).filter((r) => r.action.startsWith('host.'));
  assert.deepEqual(rows.map((r) => [r.actor, r.action, r.detail.host]), [
    ['ops', 'host.enroll', 'audit-h1'],
    ['ops', 'host.rotate', 'audit-h1'],
    ['ops', 'host.enroll', 'audit-h2'],
    ['ops', 'host.remove', 'audit-h2'],
  ]);
  assert.deepEqual(rows[0]!.detail.tags, { role: 'mysql' });
  assert.ok(!JSON.stringify(rows).includes(first.json.token), 'the token is not in the audit');
});

/** Send headers with `Expect: 100-continue` on a raw socket and return what the server says first. */
function expectContinue(at: number, method: string, path: string, token: string | null): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(at, '127.0.0.1');
    let got = '';
    sock.on('data', (d) => {
      got += d.toString();
      if (/\r\n\r\n/.test(got)) sock.destroy();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => resolve(got));
    sock.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}Content-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`);
  });
}

test('Expect: 100-continue is answered only after authentication, route and scope, on every mount and on the follower forwarding path', async () => {
  const hostToken = (await call('POST', '/v1/hosts/enroll', adminToken, { host: 'continue-h' })).json.token as string;
  for (const path of ['/v1/hosts/enroll', '/v1/bundles', '/v1/reports', '/v2/reports', '/v1/agent/bundle-status']) {
    for (const token of [null, 'not-a-token', `${adminToken}x`]) {
      assert.match(await expectContinue(port, 'POST', path, token), /^HTTP\/1\.1 401 /, `${path} ${token ? 'bad token' : 'no token'}: 401 without "100 Continue"`);
    }
  }
  assert.match(await expectContinue(port, 'POST', '/v1/bundles', readToken), /^HTTP\/1\.1 403 /, 'wrong scope');
  assert.match(await expectContinue(port, 'POST', '/v1/reports', readToken), /^HTTP\/1\.1 401 /, 'an operator token on a host route');
  assert.match(await expectContinue(port, 'POST', '/v1/hosts/enroll', adminToken), /^HTTP\/1\.1 100 Continue/);
  assert.match(await expectContinue(port, 'POST', '/v1/reports', hostToken), /^HTTP\/1\.1 100 Continue/);

  // A follower (forwardToLeader): the same, before anything is forwarded.
  let forwarded = 0;
  const follower = createControlServer({
    ...baseDeps,
    forwardToLeader: async (_req: IncomingMessage, res: ServerResponse) => {
      forwarded++;
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end('{}');
    },
  });
  const f = await follower.listen('127.0.0.1', 0);
  try {
    for (const token of [null, 'not-a-token']) {
      assert.match(await expectContinue(f.port, 'POST', '/v1/bundles', token), /^HTTP\/1\.1 401 /);
      assert.match(await expectContinue(f.port, 'POST', '/v1/agent/bundle-status', token), /^HTTP\/1\.1 401 /);
    }
    assert.match(await expectContinue(f.port, 'POST', '/v1/runs', adminToken), /^HTTP\/1\.1 403 /);
    assert.equal(forwarded, 0, 'nothing refused was forwarded');
    assert.match(await expectContinue(f.port, 'POST', '/v1/runs', runToken), /^HTTP\/1\.1 100 Continue/);
  } finally {
    await follower.close(100);
  }
});
