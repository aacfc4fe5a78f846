/**
 * `vigia logs serve` as a real process: SIGTERM stops accepting, submits the syslog lines it gathered,
 * drains the ingest queue into the store and exits 0; nothing acknowledged or received is lost. Also the
 * CLI's configuration errors (one catalogued line, exit 2).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { hashToken, newToken } from '../../src/core/auth.js';
import { openLogStore } from '../../src/logs/store/open-store.js';
import { freePort } from '../support/ports.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const tmp = tempDir('vigia-logs-shutdown-');
after(() => tmp.remove());

const line = (i: number): string => `198.51.100.${i % 250} - - [07/Dec/2026:03:04:05 +0000] "GET /drain/${i} HTTP/1.1" 200 1 "-" "-"`;

test('SIGTERM: gathered syslog lines and queued batches reach the store before the process exits 0', async () => {
  const token = newToken();
  writeFileSync(join(tmp.dir, 'shippers'), `${hashToken(token)} name=web-0042\n`, { mode: 0o600 });
  const [port, udp] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'logs', 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', join(tmp.dir, 'logs'), '--shipper-tokens', join(tmp.dir, 'shippers'), '--syslog-udp', `127.0.0.1:${udp}`, '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    await waitFor('collector listening', () => stderr.includes('log collector listening'), 60_000, 100);
    const body = Array.from({ length: 500 }, (_, i) => `${line(i)}\n`).join('');
    const r = await fetch(`http://127.0.0.1:${port}/v1/logs/lines`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain', 'x-vigia-log-format': 'combined', 'x-vigia-log-source': 'ship:1:2', 'x-vigia-log-lines': '500' },
      body,
    });
    assert.deepEqual(await r.json(), { stored: 500, rejected: 0, duplicates: 0 });
    const sock = createSocket('udp4');
    for (let i = 500; i < 520; i++) await new Promise<void>((res) => sock.send(`<190>Dec  7 03:04:05 web-sys nginx: ${line(i)}`, udp, '127.0.0.1', () => res()));
    sock.close();
    // At once: the syslog lines are still gathered (they wait up to 250 ms for company).
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  assert.match(stderr, /ingest queue drained into the store/);
  const store = await openLogStore({ dataDir: join(tmp.dir, 'logs') });
  try {
    const stats = await store.stats();
    assert.equal(stats.lines, 520, 'every acknowledged batch line and every syslog line received');
  } finally {
    await store.close();
  }
});

test('configuration errors are one catalogued line and exit 2', () => {
  for (const [args, pattern] of [
    [['--data-dir', tmp.dir], /--control: give --control URL .* or --shipper-tokens FILE/],
    [['--shipper-tokens', 'x', '--ip-privacy', 'hash'], /--ip-hash-key-file: --ip-privacy hash needs/],
    [['--shipper-tokens', 'x', '--syslog-udp', 'nowhere'], /--syslog-udp: "nowhere" is not host:port/],
    [['--shipper-tokens', 'x', '--retention-days', '0'], /--retention-days: must be at least 1/],
  ] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'logs', 'serve', ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
