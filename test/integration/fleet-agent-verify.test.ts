/**
 * A real `vigia agent` against a scripted control plane that offers it hostile releases: a tampered
 * archive, a release signed by another key, a downgrade, an expired release. Each is refused and
 * reported with its reason; the host keeps running the last good release (its checks keep reporting)
 * and still installs the next good one.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { ENVELOPE_FORMAT, generateSigningKeyPair, keyId, MANIFEST_FILE, packArchive, signRelease, type SignedRelease } from '../../src/core/contracts/bundle.js';
import type { HostReport } from '../../src/core/contracts/host-report.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { waitFor } from '../support/wait.js';
import { tempDir } from '../support/tmp.js';

const keys = generateSigningKeyPair();
const intruder = generateSigningKeyPair();
const work = tempDir('vigia-verify-');

interface Offer {
  etag: string;
  release: number;
  signed: SignedRelease;
}

let offer: Offer | null = null;
const archives = new Map<string, Buffer>();
const statuses: Array<{ release: number; status: string; error: string | null }> = [];
const reports: HostReport[] = [];
let server: http.Server;
let agent: AgentProcess;

function bundle(marker: string, exit = 0): { bytes: Buffer; sha256: string } {
  const manifest = { apiVersion: 'vigia/v1', kind: 'CheckBundle', name: 'fleet', checks: [{ name: 'marker', command: 'bin/check.sh', interval: '1s' }] };
  return packArchive(manifest, [
    { path: MANIFEST_FILE, executable: false, data: Buffer.from(JSON.stringify(manifest)) },
    { path: 'bin/check.sh', executable: true, data: Buffer.from(`#!/bin/sh\necho "OK - ${marker}"\nexit ${exit}\n`) },
  ]);
}

function sign(release: number, a: { bytes: Buffer; sha256: string }, over: { key?: typeof keys; expiresAt?: Date; sizeDelta?: number } = {}): SignedRelease {
  const k = over.key ?? keys;
  const now = Date.now();
  return signRelease({
    format: ENVELOPE_FORMAT, bundle: 'fleet', release, sha256: a.sha256, size: a.bytes.length + (over.sizeDelta ?? 0),
    created_at: new Date(now - 3_600_000).toISOString(), expires_at: (over.expiresAt ?? new Date(now + 86_400_000)).toISOString(), key_id: keyId(k.publicKeyPem),
  }, k.privateKeyPem);
}

function body(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function installed(): { release: number; sha256: string } {
  return JSON.parse(readFileSync(join(agent.dir, 'bundles', 'state.json'), 'utf8'));
}

async function offerAndWait(o: Offer): Promise<{ release: number; status: string; error: string | null }> {
  const n = statuses.length;
  offer = o;
  await waitFor(`bundle status for ${o.etag}`, () => statuses.length > n, 20_000, 50);
  return statuses[n]!;
}

before(async () => {
  chmodSync(work.dir, 0o755);
  writeFileSync(join(work.dir, 'bundle.pub'), keys.publicKeyPem);
  writeFileSync(join(work.dir, 'host.token'), 'host-token\n', { mode: 0o600 });
  server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.headers.authorization !== 'Bearer host-token') return void res.writeHead(401).end();
    if (url.pathname === '/v1/agent/poll') {
      const current = offer;
      if (current && req.headers['if-none-match'] !== current.etag) {
        res.writeHead(200, { 'content-type': 'application/json', etag: current.etag });
        return void res.end(JSON.stringify({ desired: { release: current.release, signed: current.signed }, tasks: [] }));
      }
      // Hold briefly (a real control plane holds up to the wait), then nothing new.
      setTimeout(() => res.writeHead(304, { etag: current?.etag ?? '"r0"' }).end(), 300);
      return;
    }
    const m = /^\/v1\/agent\/bundles\/([0-9a-f]{64})$/.exec(url.pathname);
    if (m) {
      const a = archives.get(m[1]!);
      return void (a ? res.writeHead(200, { 'content-type': 'application/json' }).end(a) : res.writeHead(404).end());
    }
    if (url.pathname === '/v1/agent/bundle-status') {
      statuses.push(JSON.parse(await body(req)));
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"recorded":true}');
    }
    if (url.pathname === '/v1/reports') {
      reports.push(JSON.parse(await body(req)));
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"outcome":"stored"}');
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  agent = await startAgent(['--no-mysql-detect', '--no-actions', '--report-to', url, '--report-token-file', join(work.dir, 'host.token'), '--host-name', 'verify-1', '--report-interval', '10', '--spool-dir', join(work.dir, 'spool'), '--bundle-key', join(work.dir, 'bundle.pub')]);
});

after(async () => {
  await agent?.stop().catch(() => undefined);
  server?.close();
  work.remove();
});

test('tampered, foreign-signed, downgraded and expired releases are refused; the last good release keeps running', { timeout: 120_000 }, async () => {
  const good = bundle('release-5');
  archives.set(good.sha256, good.bytes);
  const first = await offerAndWait({ etag: '"r5"', release: 5, signed: sign(5, good) });
  assert.deepEqual([first.release, first.status, first.error], [5, 'installed', null]);
  assert.deepEqual(installed(), { ...installed(), release: 5, sha256: good.sha256 });

  const next = bundle('release-6');
  // 1. Tampered: the archive served is not the one signed (one byte changed).
  const tampered = Buffer.from(next.bytes);
  tampered[tampered.length - 5] = tampered[tampered.length - 5]! ^ 1;
  archives.set(next.sha256, tampered);
  const t = await offerAndWait({ etag: '"r6-tampered"', release: 6, signed: sign(6, next) });
  assert.equal(t.status, 'rejected');
  assert.match(t.error ?? '', /hash mismatch/);
  assert.equal(installed().release, 5);

  // 2. Signed by a key the host does not trust.
  archives.set(next.sha256, next.bytes);
  const w = await offerAndWait({ etag: '"r6-intruder"', release: 6, signed: sign(6, next, { key: intruder }) });
  assert.equal(w.status, 'rejected');
  assert.match(w.error ?? '', /key|signature/i);
  assert.equal(installed().release, 5);

  // 3. A downgrade: an older release number, properly signed (a replay of an old release).
  const d = await offerAndWait({ etag: '"r4"', release: 4, signed: sign(4, next) });
  assert.equal(d.status, 'rejected');
  assert.match(d.error ?? '', /downgrade|below|older/i);
  assert.equal(installed().release, 5);

  // 4. Expired (a frozen control plane replaying a release past its validity).
  const e = await offerAndWait({ etag: '"r6-expired"', release: 6, signed: sign(6, next, { expiresAt: new Date(Date.now() - 60_000) }) });
  assert.equal(e.status, 'rejected');
  assert.match(e.error ?? '', /expired/);
  assert.equal(installed().release, 5);

  // Through all of it the checks of release 5 kept running and reporting.
  await waitFor('a report with release 5 checks', () => reports.some((r) => r.checks?.release === 5 && r.checks.results.some((c) => c.output === 'OK - release-5')), 30_000, 100);

  // And the next good release still installs.
  const ok = await offerAndWait({ etag: '"r6"', release: 6, signed: sign(6, next) });
  assert.deepEqual([ok.release, ok.status], [6, 'installed']);
  assert.equal(installed().sha256, next.sha256);
  assert.equal(readFileSync(join(agent.dir, 'bundles', 'current', 'bin', 'check.sh'), 'utf8'), '#!/bin/sh\necho "OK - release-6"\nexit 0\n');
});
