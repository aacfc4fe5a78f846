/**
 * The fleet: 8 real `vigia logs ship` processes against a real `vigia logs serve` (embedded store); two
 * shippers SIGKILLed and restarted mid-file, one file rotated by rename, one by copytruncate, and the
 * collector SIGKILLed mid-stream and restarted. At the end every line written is in the store (distinct
 * URLs) unless counted as dropped, and the rows beyond the distinct lines are re-sent duplicates.
 */
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashToken } from '../../src/core/auth.js';
import { openLogStore } from '../../src/logs/store/open-store.js';
import { freePort } from '../support/ports.js';
import { FAST_SHIP_FLAGS, startShip, writeTokenFile } from '../support/logs-ship-process.js';
import { tempDir } from '../support/tmp.js';
import { spawnVigia, type VigiaChild } from '../support/vigia-process.js';

const SHIPPERS = 8;
const LINES = 2000;

function line(n: number, i: number): string {
  const d = new Date();
  const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const ts = `${String(d.getUTCDate()).padStart(2, '0')}/${mon}/${d.getUTCFullYear()}:${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')} +0000`;
  return `10.1.${n}.${i % 250} - - [${ts}] "GET /fleet/${n}/${i} HTTP/1.1" 200 512 "-" "fleet/1.0"\n`;
}

test('8 shippers, kills, both rotations and a collector restart: stored + dropped = written', { timeout: 120_000 }, async () => {
  const t = tempDir('fleet-');
  const token = 'fleet-shipper-token-0123456789';
  writeFileSync(join(t.dir, 'shippers'), `${hashToken(token)} name=fleet\n`, { mode: 0o600 });
  const port = await freePort();
  const dataDir = join(t.dir, 'data');
  const serveArgs = ['logs', 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--shipper-tokens', join(t.dir, 'shippers'), '--retention-days', '3650'];
  const serve = (): Promise<VigiaChild> => spawnVigia('vigia logs serve', serveArgs, { ready: (c) => c.stderr().includes('log collector listening'), timeoutMs: 30_000 });
  let collector = await serve();
  const ships: VigiaChild[] = [];
  const args = (n: number): string[] => [
    '--glob', join(t.dir, `w${n}`, '*.log'), '--server', `http://127.0.0.1:${port}`, '--token-file', writeTokenFile(join(t.dir, `w${n}`), token), '--host', `web-${n}`,
    '--state-dir', join(t.dir, `w${n}`, 'state'), '--spool-dir', join(t.dir, `w${n}`, 'spool'), '--start-at', 'beginning', ...FAST_SHIP_FLAGS,
  ];
  try {
    for (let n = 0; n < SHIPPERS; n++) {
      mkdirSync(join(t.dir, `w${n}`));
      writeFileSync(join(t.dir, `w${n}`, 'access.log'), '');
      ships.push(await startShip(args(n)));
    }
    for (let step = 0; step < 10; step++) {
      for (let n = 0; n < SHIPPERS; n++) {
        const file = join(t.dir, `w${n}`, 'access.log');
        let s = '';
        for (let i = (step * LINES) / 10; i < ((step + 1) * LINES) / 10; i++) s += line(n, i);
        appendFileSync(file, s);
        if (step === 4 && n === 2) renameSync(file, `${file}.1`);
        if (step === 6 && n === 3) {
          copyFileSync(file, `${file}.1`);
          truncateSync(file, 0);
        }
      }
      if (step === 3) for (const n of [0, 1]) await ships[n]!.stop('SIGKILL');
      if (step === 5) for (const n of [0, 1]) ships[n] = await startShip(args(n));
      if (step === 5) await collector.stop('SIGKILL');
      if (step === 7) collector = await serve();
      await new Promise((r) => setTimeout(r, 300));
    }
    // Everything settles: stop the shippers (they send or spool what they read), then the collector.
    await new Promise((r) => setTimeout(r, 5000));
    for (const s of ships) await s.stop('SIGTERM');
    await collector.stop('SIGTERM');
    const store = await openLogStore({ dataDir });
    try {
      const top = await store.top({ by: 'urls', limit: 100_000, from: 0, to: Date.now() + 86_400_000 });
      const distinct = top.rows.filter((r) => r.key.startsWith('/fleet/')).length;
      const rows = (await store.stats()).lines;
      const dropped = ships.reduce((n, s) => n + (Number(/"dropped":(\d+)/.exec(s.stderr().split('\n').filter((l) => l.includes('"msg":"stats"')).at(-1) ?? '')?.[1] ?? 0)), 0);
      assert.equal(distinct + dropped, SHIPPERS * LINES, `distinct ${distinct} + dropped ${dropped}`);
      assert.ok(rows >= distinct, 'rows beyond the distinct lines are duplicates');
    } finally {
      await store.close();
    }
  } finally {
    for (const s of ships) await s.stop('SIGKILL');
    await collector.stop('SIGKILL');
    t.remove();
  }
});
