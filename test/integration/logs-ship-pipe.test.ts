/**
 * `vigia logs pipe` never blocks its writer (Apache): with the collector hanging, stdin is still read
 * as fast as it is written; lines go to memory, the spool, then are dropped with a count; at EOF it
 * exits within its flush deadline and its last stats line accounts for every line.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startLogsReceiver } from '../support/logs-receiver.js';
import { accessLine, lastStats, startPipe, writeTokenFile } from '../support/logs-ship-process.js';
import { tempDir } from '../support/tmp.js';

const TOKEN = 'pipe-test-token-0123456789';

test('the writer keeps writing while the collector hangs; every line is spooled or counted as dropped', async () => {
  const receiver = await startLogsReceiver(TOKEN);
  const t = tempDir('pipe-');
  try {
    receiver.mode = { kind: 'hang' };
    const spoolDir = join(t.dir, 'spool');
    mkdirSync(spoolDir);
    const pipe = startPipe([
      '--server', receiver.url, '--token-file', writeTokenFile(t.dir, TOKEN), '--host', 'web-pipe', '--spool-dir', spoolDir,
      '--spool-max-bytes', String(1024 * 1024), '--queue-max-bytes', String(64 * 1024), '--batch-lines', '2000', '--batch-age', '100',
      '--request-timeout', '600000', '--flush-timeout', '500', '--stats-interval', '0',
    ]);
    // 300k lines (~30 MB) through a 64 KiB pipe buffer: if the pipe stopped reading, write() would block
    // and this loop would never finish (the test's own timeout fails it).
    const written = 300_000;
    const stdin = pipe.child.stdin!;
    for (let i = 0; i < written; i += 1000) {
      let chunk = '';
      for (let j = i; j < i + 1000; j++) chunk += `${accessLine('pipe', j)} ${j.toString(36)}${Math.random().toString(36).slice(2)}\n`;
      if (!stdin.write(chunk)) await new Promise((r) => stdin.once('drain', r));
    }
    stdin.end();
    assert.equal(await pipe.exited, 0, pipe.stderr());
    const stats = lastStats(pipe.stderr());
    assert.ok(stats, pipe.stderr());
    assert.equal(stats.read, written);
    assert.equal(stats.acked, 0, 'the collector took nothing');
    assert.ok(stats.dropped > 0, 'the spool bound was reached');
    assert.equal(stats.spooled + stats.dropped - droppedFromSpool(pipe.stderr()), written, 'every line spooled or dropped');
    assert.ok(readdirSync(spoolDir).some((n) => n.endsWith('.batch')), 'what the spool holds stays for the next pipe');
  } finally {
    await receiver.close();
    t.remove();
  }
});

/** Lines dropped out of the spool after being spooled (counted in both `spooled` and `dropped`). */
function droppedFromSpool(stderr: string): number {
  return stderr
    .split('\n')
    .filter((l) => l.includes('"msg":"spool full: dropped the oldest batches"'))
    .reduce((n, l) => n + (JSON.parse(l) as { lines: number }).lines, 0);
}
