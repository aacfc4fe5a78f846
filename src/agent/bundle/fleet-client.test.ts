/**
 * The agent's poll loop against a scripted control plane on loopback: a release whose download
 * fails is offered again after the backoff and installed (the ETag is not remembered for an offer
 * that was not settled), while a refused release is not downloaded again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ENVELOPE_FORMAT, generateSigningKeyPair, keyId, MANIFEST_FILE, packArchive, signRelease } from '../../core/contracts/bundle.js';
import { silentLogger } from '../../core/log.js';
import { createFleetClient } from './fleet-client.js';
import { waitFor } from '../../../test/support/wait.js';

const keys = generateSigningKeyPair();
const manifest = { apiVersion: 'vigia/v1', kind: 'CheckBundle', name: 'fleet', checks: [{ name: 'c', command: 'bin/c.sh', interval: '1h' }] };
const archive = packArchive(manifest, [
  { path: MANIFEST_FILE, executable: false, data: Buffer.from(JSON.stringify(manifest)) },
  { path: 'bin/c.sh', executable: true, data: Buffer.from('#!/bin/sh\necho OK\n') },
]);

function signed(release: number, expiresInMs: number) {
  const now = Date.now();
  return signRelease(
    {
      format: ENVELOPE_FORMAT, bundle: 'fleet', release, sha256: archive.sha256, size: archive.bytes.length,
      created_at: new Date(now).toISOString(), expires_at: new Date(now + expiresInMs).toISOString(), key_id: keyId(keys.publicKeyPem),
    },
    keys.privateKeyPem,
  );
}

/** A control plane that offers one release under ETag "r", and fails the first `failDownloads` archive downloads. */
async function fakeControl(offer: ReturnType<typeof signed>, failDownloads: number) {
  const seen = { polls: 0, downloads: 0, statuses: [] as string[] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url?.startsWith('/v1/agent/poll')) {
        seen.polls++;
        if (req.headers['if-none-match'] === '"r"') {
          setTimeout(() => res.writeHead(304).end(), 20);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', etag: '"r"' }).end(JSON.stringify({ desired: { release: 1, signed: offer }, tasks: [] }));
      } else if (req.url === `/v1/agent/bundles/${archive.sha256}`) {
        seen.downloads++;
        if (seen.downloads <= failDownloads) res.writeHead(503).end('busy');
        else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(archive.bytes);
      } else if (req.url === '/v1/agent/bundle-status') {
        seen.statuses.push(JSON.parse(Buffer.concat(chunks).toString('utf8')).status);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function client(url: string) {
  const dir = await mkdtemp(join(tmpdir(), 'vigia-fleet-client-'));
  dirs.push(dir);
  const c = createFleetClient({
    url, token: 't', bundleDir: dir, trustedKeys: [keys.publicKeyPem], hostTags: {}, actions: null, log: silentLogger(),
    pollWaitSeconds: 1, random: () => 0, retryBaseMs: 50,
  });
  await c.start();
  return c;
}

test('a release whose download failed is fetched again after the backoff and installed', async () => {
  const control = await fakeControl(signed(1, 86_400_000), 2);
  const c = await client(control.url);
  try {
    await waitFor('installed', () => c.installed()?.release === 1);
    // The install is reported after it lands: wait for the report, not only the install.
    await waitFor('the install reported', () => control.seen.statuses.length >= 3);
    assert.equal(control.seen.downloads, 3, 'two failed downloads, then the good one');
    assert.deepEqual(control.seen.statuses, ['failed', 'failed', 'installed']);
  } finally {
    await c.stop();
    await control.close();
  }
});

test('a refused release (expired) is reported once and not downloaded again', async () => {
  const control = await fakeControl(signed(1, -1000), 0);
  const c = await client(control.url);
  try {
    await waitFor('refusal reported', () => control.seen.statuses.length >= 1);
    const polls = control.seen.polls;
    await waitFor('more polls', () => control.seen.polls >= polls + 3);
    assert.deepEqual(control.seen.statuses, ['rejected']);
    assert.equal(control.seen.downloads, 0);
    assert.equal(c.installed(), null);
  } finally {
    await c.stop();
    await control.close();
  }
});
