import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isVigiaError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { runStoreContract } from '../store-contract.js';
import type { TurnoStore } from '../store.js';
import { encodeRecord } from './file-journal.js';
import { currentHolder } from './file-lock.js';
import { FileStore } from './file-store.js';

const log = silentLogger();
const dirs: string[] = [];
const newJournal = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'vigia-file-store-'));
  dirs.push(dir);
  return join(dir, 'turno.journal');
};
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const paths = new WeakMap<TurnoStore, string>();
runStoreContract('file', {
  open: () => {
    const p = newJournal();
    const s = FileStore.open(p, log);
    paths.set(s, p);
    return Promise.resolve(s);
  },
  reopen: async (s) => {
    const p = paths.get(s)!;
    await s.close();
    const again = FileStore.open(p, log);
    paths.set(again, p);
    return again;
  },
});

test('file: a second process (or open) on the same journal is refused while the first holds it', async () => {
  const p = newJournal();
  const a = FileStore.open(p, log);
  assert.throws(() => FileStore.open(p, log), (e) => isVigiaError(e, 'TURNO_ERR_STORE_LOCKED'));
  await a.close();
  const b = FileStore.open(p, log);
  await b.close();
});

test('file: a lock left by a dead process is taken over', async () => {
  const p = newJournal();
  const self = currentHolder();
  writeFileSync(`${p}.lock`, `999999999 123 ${self.pidNs} ${self.bootId}\n`);
  const s = FileStore.open(p, log);
  assert.equal(await s.next('x'), 1);
  await s.close();
  assert.equal(existsSync(`${p}.lock`), false);
});

test('file: every answered number is in the journal before the answer', async () => {
  const p = newJournal();
  const s = FileStore.open(p, log);
  const v = await s.next('durable');
  // Read the file while the store is still open: the record must already be there.
  assert.match(readFileSync(p, 'utf8'), new RegExp(`^durable ${v} `, 'm'));
  await s.close();
});

test('file: a torn tail from a crash is dropped and numbering continues after the last synced record', async () => {
  const p = newJournal();
  writeFileSync(p, encodeRecord('t', 1) + encodeRecord('t', 2) + 't 3 ');
  const s = FileStore.open(p, log);
  assert.equal(await s.next('t'), 3);
  await s.close();
  assert.equal(readFileSync(p, 'utf8'), encodeRecord('t', 1) + encodeRecord('t', 2) + encodeRecord('t', 3));
});

test('file: corruption before valid records refuses to start (could hide a higher number)', () => {
  const p = newJournal();
  writeFileSync(p, encodeRecord('c', 1) + 'c 9 bad\n' + encodeRecord('c', 2));
  assert.throws(() => FileStore.open(p, log), (e) => isVigiaError(e, 'TURNO_ERR_STORE_CORRUPT') && /lines? 2\b/.test(e.message));
  assert.equal(existsSync(`${p}.lock`), false, 'a refused open releases its lock');
});

test('file: compaction rewrites the journal to one record per id and keeps every counter', async () => {
  const p = newJournal();
  const s = FileStore.open(p, log, { compactBytes: 400 });
  for (let round = 0; round < 30; round++) await Promise.all(['a', 'b', 'c'].map((id) => s.next(id)));
  await s.close();
  const lines = readFileSync(p, 'utf8').trim().split('\n');
  assert.ok(lines.length < 90, `journal was compacted (${lines.length} lines)`);
  const again = FileStore.open(p, log);
  for (const id of ['a', 'b', 'c']) assert.equal(await again.next(id), 31);
  await again.close();
});

test('file: invalid ids never reach the journal', async () => {
  const p = newJournal();
  const s = FileStore.open(p, log);
  await assert.rejects(s.next('a b\nx 99 0'), (e) => isVigiaError(e, 'TURNO_ERR_INVALID_ID'));
  await s.close();
  assert.equal(readFileSync(p, 'utf8'), '');
  appendFileSync(p, '');
});

test('file: compaction does not repeat after every batch when the snapshot itself is larger than the threshold', async () => {
  const p = newJournal();
  const s = FileStore.open(p, log, { compactBytes: 200 });
  await Promise.all(Array.from({ length: 50 }, (_, i) => s.next(`id-${i}`))); // snapshot ~750 bytes > 200
  const inodes = new Set<number>();
  for (let i = 0; i < 20; i++) {
    await s.next('hot');
    inodes.add(statSync(p).ino);
  }
  assert.ok(inodes.size <= 2, `journal rewritten ${inodes.size} times in 20 batches`);
  await s.close();
});

test('file: the journal, its lock and a compacted journal are private (0600), a directory it creates 0700', async () => {
  const base = newJournal();
  const p = join(base, '..', 'sub', 'turno.journal');
  const s = FileStore.open(p, log, { compactBytes: 200 });
  const mode = (f: string) => statSync(f).mode & 0o7777;
  try {
    assert.equal(mode(join(p, '..')), 0o700);
    assert.equal(mode(p), 0o600);
    assert.equal(mode(`${p}.lock`), 0o600);
    for (let i = 0; i < 40; i++) await s.next(`id-${i % 4}`);
    assert.equal(mode(p), 0o600, 'after compaction');
  } finally {
    await s.close();
  }
  // A journal left 0644 by an older version is tightened when opened.
  const old = join(base, '..', 'old.journal');
  writeFileSync(old, encodeRecord('a', 3), { mode: 0o644 });
  const again = FileStore.open(old, log);
  try {
    assert.equal(mode(old), 0o600);
    assert.equal(await again.next('a'), 4);
  } finally {
    await again.close();
  }
});
