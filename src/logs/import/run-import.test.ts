import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isVigiaError } from '../../core/errors.js';
import { compileLogFormat } from '../parse/compile.js';
import { truncateIp } from '../privacy.js';
import { openLogStore } from '../store/open-store.js';
import { importSummary } from './import-report.js';
import { runImport } from './run-import.js';

const dir = mkdtempSync(join(tmpdir(), 'vigia-run-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ALL = { from: 0, to: 8.64e15 };

const line = (i: number): string => `198.51.100.${i % 250} - - [07/Dec/2026:10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} +0000] "GET /p/${i % 10} HTTP/1.1" 200 ${i} "-" "ua"`;
function file(name: string, n: number, opts: { bad?: number; gzip?: boolean } = {}): string {
  const lines = Array.from({ length: n }, (_, i) => line(i));
  for (let b = 0; b < (opts.bad ?? 0); b++) lines.splice(b * 7, 0, `garbage ${b}`);
  const text = `${lines.join('\n')}\n`;
  writeFileSync(join(dir, name), opts.gzip ? gzipSync(text) : text);
  return join(dir, name);
}

test('every line read is stored or counted by reason; batches are bounded; the client transform applies', async () => {
  const store = await openLogStore({ dataDir: join(dir, 'store-a') });
  try {
    const sizes: number[] = [];
    const r = await runImport({
      files: [file('a.log', 2500, { bad: 3 }), file('b.log', 1000, { gzip: true })],
      parser: compileLogFormat('combined'),
      server: 'web-1',
      batchSize: 1000,
      client: (ip) => truncateIp(ip),
      insert: async (records) => {
        sizes.push(records.length);
        await store.insert(records);
      },
    });
    assert.equal(r.stopped, null);
    assert.equal(r.progress.lines, 3503);
    assert.equal(r.progress.stored, 3500);
    assert.equal(r.progress.rejected, 3);
    assert.deepEqual(r.tally.reasons, { 'missing-field': 3 });
    assert.ok(sizes.every((s) => s <= 1000 + 2000), `batches stay near --batch (blocks of lines are added whole): ${sizes.join(',')}`);
    assert.equal((await store.stats()).lines, 3500);
    const ips = await store.top({ by: 'ips', ...ALL, limit: 10 });
    assert.deepEqual(ips.rows, [{ key: '198.51.100.0', hits: 3500 }]);
    const hosts = await store.top({ by: 'hosts', ...ALL, limit: 10 });
    assert.deepEqual(hosts.rows, [{ key: 'web-1', hits: 3500 }]);
    assert.match(importSummary(r.progress, r.tally, r.stopped), /^imported 2 files in [\d.]+ s: read 3,503 lines .*stored 3,500, rejected 3\n  rejected missing-field: 3, e\.g\. "garbage 0", "garbage 1"\n$/);
  } finally {
    await store.close();
  }
});

test('a stop signal ends the import after the batch being stored, and the result says how far it got', async () => {
  const store = await openLogStore({ dataDir: join(dir, 'store-b') });
  try {
    const controller = new AbortController();
    let calls = 0;
    const r = await runImport({
      files: [file('big.log', 20_000), file('never.log', 10)],
      parser: compileLogFormat('combined'),
      server: 'web-1',
      batchSize: 2000,
      signal: controller.signal,
      insert: async (records) => {
        await store.insert(records);
        if (++calls === 2) controller.abort();
      },
    });
    assert.ok(r.stopped, 'stopped');
    assert.ok(r.progress.lines < 20_000, `${r.progress.lines} lines read before stopping`);
    assert.equal(r.progress.stored + r.progress.rejected, r.progress.lines, 'every line read is stored or counted');
    assert.equal((await store.stats()).lines, r.progress.stored);
    assert.equal(r.stopped.fileLine, r.progress.lines);
    assert.equal(r.progress.fileIndex, 0);
    assert.match(importSummary(r.progress, r.tally, r.stopped), /stopped by Ctrl-C .*\n  .*big\.log was read up to line [\d,]+ \(byte [\d,]+ of [\d,]+\); 1 more file not read\./);
  } finally {
    await store.close();
  }
});

test('a failing insert fails the import (never an unhandled rejection), and a missing file stops it before anything is stored', async () => {
  let inserted = 0;
  await assert.rejects(
    runImport({ files: [file('c.log', 5000)], parser: compileLogFormat('combined'), server: 'w', batchSize: 1000, insert: async (r) => {
      if (inserted > 0) throw new Error('disk full');
      inserted += r.length;
    } }),
    /disk full/,
  );
  let called = false;
  await assert.rejects(
    runImport({ files: [file('d.log', 10), join(dir, 'missing.log')], parser: compileLogFormat('combined'), server: 'w', insert: async () => void (called = true) }),
    (e: unknown) => isVigiaError(e, 'LOGS_ERR_READ_FAILED') && /missing\.log: cannot open \(ENOENT\); nothing was imported/.test(e.message),
  );
  assert.equal(called, false);
});
