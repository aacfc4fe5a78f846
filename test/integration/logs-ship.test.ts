/**
 * `vigia logs ship` as a real process against a stand-in collector (test/support/logs-receiver.ts):
 * rotation both ways, new files, partial and huge lines, restart resume, spool while away, spool full,
 * Retry-After. Every test checks the shipper's promise: each line written arrives, or is counted dropped.
 */
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, readdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startLogsReceiver, type LogsReceiver } from '../support/logs-receiver.js';
import { accessLine, FAST_SHIP_FLAGS, startShip, writeTokenFile } from '../support/logs-ship-process.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'ship-test-token-0123456789';
let receiver: LogsReceiver;
before(async () => {
  receiver = await startLogsReceiver(TOKEN);
});
after(async () => {
  await receiver.close();
});

function lines(tag: string, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += `${accessLine(tag, i)}\n`;
  return s;
}

/** The lines received whose path carries `tag`. */
const got = (tag: string): string[] => receiver.lines().filter((l) => l.includes(`/p/${tag}-`));

function setup(tag: string) {
  const t = tempDir(`ship-${tag}-`);
  const logs = join(t.dir, 'logs');
  const stateDir = join(t.dir, 'state');
  const spoolDir = join(t.dir, 'spool');
  mkdirSync(logs, { recursive: true });
  const args = (extra: string[] = []): string[] => [
    '--glob', join(logs, '*.log'), '--server', receiver.url, '--token-file', writeTokenFile(t.dir, TOKEN), '--host', `web-${tag}`,
    '--state-dir', stateDir, '--spool-dir', spoolDir, '--start-at', 'beginning', ...FAST_SHIP_FLAGS, ...extra,
  ];
  return { ...t, logs, stateDir, spoolDir, args };
}

test('rename rotation, a new file, a partial last line and a huge line: every line once', async () => {
  const s = setup('rot');
  const file = join(s.logs, 'access.log');
  writeFileSync(file, `${lines('rot', 0, 100)}${accessLine('rot', 100).slice(0, 20)}`);
  const ship = await startShip(s.args(['--max-line-bytes', '1024']));
  try {
    await waitFor('the first 100 lines', () => got('rot').length >= 100, 15_000);
    assert.equal(got('rot').length, 100, 'the partial line waits for its LF');
    appendFileSync(file, `${accessLine('rot', 100).slice(20)}\n`);
    appendFileSync(file, `HUGE${'x'.repeat(200_000)}\n${lines('rot', 101, 120)}`);
    // logrotate's default: rename, the web server still writes to the old file until it reopens.
    renameSync(file, join(s.logs, 'access.log.1'));
    appendFileSync(join(s.logs, 'access.log.1'), lines('rot', 120, 150));
    writeFileSync(file, lines('rot', 150, 200));
    writeFileSync(join(s.logs, 'other.log'), lines('rot', 200, 250));
    await waitFor('all 250 lines', () => got('rot').length >= 250, 15_000);
    const all = got('rot');
    assert.equal(new Set(all).size, 250, 'each line once');
    for (let i = 0; i < 250; i++) assert.ok(all.includes(accessLine('rot', i)), `line ${i}`);
    const huge = receiver.lines().filter((l) => l.startsWith('HUGE'));
    assert.deepEqual(huge.map((l) => l.length), [1024], 'the huge line arrives cut to --max-line-bytes');
  } finally {
    await ship.stop();
    s.remove();
  }
});

test('copytruncate: the unread rest is read from the copy, the truncated file starts over as a new source', async () => {
  const s = setup('ct');
  const file = join(s.logs, 'access.log');
  writeFileSync(file, lines('ct', 0, 50));
  const ship = await startShip(s.args(['--poll-interval', '1000']));
  try {
    await waitFor('the first 50 lines', () => got('ct').length >= 50, 15_000);
    const sourcesBefore = new Set(receiver.batches.filter((b) => b.source.startsWith('web-ct:')).map((b) => b.source));
    // Written, copied and truncated between two polls: lines 50..79 are only in the copy.
    appendFileSync(file, lines('ct', 50, 80));
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    appendFileSync(file, lines('ct', 80, 100));
    await waitFor('all 100 lines', () => got('ct').length >= 100, 15_000);
    assert.equal(new Set(got('ct')).size, 100);
    assert.equal(got('ct').length, 100, 'no line twice');
    const sources = new Set(receiver.batches.filter((b) => b.source.startsWith('web-ct:')).map((b) => b.source));
    assert.equal(sources.size, sourcesBefore.size + 1, 'the truncated file is a new source');
    assert.equal(receiver.batches.filter((b) => b.source.startsWith('web-ct:')).reduce((n, b) => n + b.duplicates, 0), 0);
  } finally {
    await ship.stop();
    s.remove();
  }
});

test('a restart resumes from the saved offsets; after SIGKILL re-sent lines are counted as duplicates', async () => {
  const s = setup('rs');
  const file = join(s.logs, 'access.log');
  writeFileSync(file, lines('rs', 0, 100));
  let ship = await startShip(s.args());
  await waitFor('100 lines', () => got('rs').length >= 100, 15_000);
  assert.equal(await ship.stop('SIGTERM'), 0);
  appendFileSync(file, lines('rs', 100, 200));
  ship = await startShip(s.args());
  try {
    await waitFor('200 lines', () => got('rs').length >= 200, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(got('rs').length, 200, 'a clean restart sends nothing twice');
    appendFileSync(file, lines('rs', 200, 300));
    await waitFor('300 lines', () => got('rs').length >= 300, 15_000);
    await ship.stop('SIGKILL');
    appendFileSync(file, lines('rs', 300, 400));
    ship = await startShip(s.args());
    await waitFor('400 distinct lines', () => new Set(got('rs')).size >= 400, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    const batches = receiver.batches.filter((b) => b.source.startsWith('web-rs:'));
    const dups = batches.reduce((n, b) => n + b.duplicates, 0);
    assert.equal(got('rs').length, 400 + dups, 'every extra copy is counted as a duplicate by its offsets');
  } finally {
    await ship.stop();
    s.remove();
  }
});

test('the collector away: batches spool, then drain in order when it is back', async () => {
  const s = setup('sp');
  const file = join(s.logs, 'access.log');
  writeFileSync(file, lines('sp', 0, 10));
  const ship = await startShip(s.args());
  try {
    await waitFor('10 lines', () => got('sp').length >= 10, 15_000);
    await receiver.goAway();
    for (let k = 1; k < 10; k++) {
      appendFileSync(file, lines('sp', k * 100, k * 100 + 100));
      await new Promise((r) => setTimeout(r, 120));
    }
    await waitFor('batches in the spool', () => readdirSync(s.spoolDir).filter((n) => n.endsWith('.batch')).length >= 3, 15_000);
    await receiver.comeBack();
    await waitFor('910 lines', () => got('sp').length >= 910, 30_000);
    assert.equal(new Set(got('sp')).size, 910);
    await waitFor('an empty spool', () => readdirSync(s.spoolDir).filter((n) => n.endsWith('.batch')).length === 0, 10_000);
  } finally {
    if (!receiver.url) await receiver.comeBack();
    await ship.stop();
    s.remove();
  }
});

test('a full spool drops its oldest batches and the count reaches the collector', async () => {
  const s = setup('full');
  const file = join(s.logs, 'access.log');
  await receiver.goAway();
  const ship = await startShip(s.args(['--spool-max-bytes', String(1024 * 1024), '--batch-lines', '2000']));
  try {
    // Lines that do not compress (random hex), so that 1 MiB of spool fills.
    const written = 40_000;
    let text = '';
    for (let i = 0; i < written; i++) text += `${accessLine('full', i)} ${Math.random().toString(16).slice(2)}${Math.random().toString(16).slice(2)}${Math.random().toString(16).slice(2)}\n`;
    writeFileSync(file, text);
    await waitFor('the spool to fill and drop', () => /"msg":"spool full/.test(ship.stderr()), 30_000);
    await receiver.comeBack();
    await waitFor('the spool drained', () => readdirSync(s.spoolDir).filter((n) => n.endsWith('.batch')).length === 0 && got('full').length > 0, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    const dropped = Math.max(...receiver.batches.filter((b) => b.source.startsWith('web-full:')).map((b) => b.dropped));
    assert.ok(dropped > 0, 'some lines were dropped');
    assert.equal(new Set(got('full')).size + dropped, written, 'stored + dropped = written');
  } finally {
    await ship.stop();
    s.remove();
  }
});

test('429/503 with Retry-After: the next try waits at least that long', async () => {
  const s = setup('ra');
  const file = join(s.logs, 'access.log');
  receiver.mode = { kind: 'status', status: 503, retryAfter: '2' };
  const refusedBefore = receiver.refused.length;
  writeFileSync(file, lines('ra', 0, 20));
  const ship = await startShip(s.args());
  try {
    await waitFor('a refusal', () => receiver.refused.length > refusedBefore, 15_000);
    const firstRefusal = receiver.refused[refusedBefore]!;
    receiver.mode = { kind: 'ok' };
    await waitFor('20 lines', () => got('ra').length >= 20, 15_000);
    const firstOk = Math.min(...receiver.batches.filter((b) => b.source.startsWith('web-ra:')).map((b) => b.at));
    assert.equal(receiver.refused.length, refusedBefore + 1, 'no request before the Retry-After');
    assert.ok(firstOk - firstRefusal >= 2000, `retried after ${firstOk - firstRefusal} ms; Retry-After said 2 s`);
  } finally {
    receiver.mode = { kind: 'ok' };
    await ship.stop();
    s.remove();
  }
});
