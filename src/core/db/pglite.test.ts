import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isVigiaError } from '../errors.js';
import type { Logger } from '../log.js';
import { tempDir } from '../../../test/support/tmp.js';
import { PGLITE_LOCK_FILE, acquireDirLock, openPglite } from './pglite.js';
import { accessibleToOthers } from '../../../test/support/file-modes.js';

const isRoot = process.getuid?.() === 0;


test('the lock file holds our pid and refuses a second holder', () => {
  const tmp = tempDir();
  try {
    const lock = acquireDirLock(tmp.dir);
    assert.equal(readFileSync(join(tmp.dir, PGLITE_LOCK_FILE), 'utf8').trim(), String(process.pid));
    assert.throws(() => acquireDirLock(tmp.dir), (e) => isVigiaError(e, 'CONTROL_ERR_STORE_LOCKED') && e.message.includes(`held by pid ${process.pid}`) && e.message.includes('--server URL'));
    lock.release();
    assert.equal(existsSync(join(tmp.dir, PGLITE_LOCK_FILE)), false);
    acquireDirLock(tmp.dir).release();
  } finally {
    tmp.remove();
  }
});

test('a lock held by another live process is refused; once it dies the lock is stale and taken over', async () => {
  const tmp = tempDir();
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    writeFileSync(join(tmp.dir, PGLITE_LOCK_FILE), `${child.pid}\n`);
    assert.throws(() => acquireDirLock(tmp.dir), (e) => isVigiaError(e, 'CONTROL_ERR_STORE_LOCKED') && e.message.includes(`pid ${child.pid}`));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const lock = acquireDirLock(tmp.dir);
    assert.equal(readFileSync(join(tmp.dir, PGLITE_LOCK_FILE), 'utf8').trim(), String(process.pid));
    lock.release();
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    tmp.remove();
  }
});

test('release never removes a lock that another process took over', () => {
  const tmp = tempDir();
  try {
    const lock = acquireDirLock(tmp.dir);
    writeFileSync(join(tmp.dir, PGLITE_LOCK_FILE), '1\n');
    lock.release();
    assert.equal(readFileSync(join(tmp.dir, PGLITE_LOCK_FILE), 'utf8').trim(), '1');
  } finally {
    tmp.remove();
  }
});

test('a lock naming our own pid that this process did not take is stale (a restarted container is PID 1 again)', () => {
  const tmp = tempDir();
  try {
    writeFileSync(join(tmp.dir, PGLITE_LOCK_FILE), `${process.pid}\n`);
    const lock = acquireDirLock(tmp.dir);
    assert.equal(readFileSync(join(tmp.dir, PGLITE_LOCK_FILE), 'utf8').trim(), String(process.pid));
    assert.throws(() => acquireDirLock(tmp.dir), (e) => isVigiaError(e, 'CONTROL_ERR_STORE_LOCKED'), 'now we hold it: refused');
    lock.release();
    const again = acquireDirLock(tmp.dir);
    lock.release(); // a second release of the old handle must not remove the new lock
    assert.equal(existsSync(join(tmp.dir, PGLITE_LOCK_FILE)), true);
    again.release();
    assert.equal(existsSync(join(tmp.dir, PGLITE_LOCK_FILE)), false);
  } finally {
    tmp.remove();
  }
});

test('stale takeover race: a lock another process took over after we read the dead pid is never deleted', () => {
  const tmp = tempDir();
  const path = join(tmp.dir, PGLITE_LOCK_FILE);
  const live = process.ppid; // alive, and not us
  try {
    writeFileSync(path, '2147483646\n');
    // Between our read of the dead pid and our takeover, process A removes the stale lock and
    // writes its own: the warn is logged exactly in that gap.
    const log = { warn: () => writeFileSync(path, `${live}\n`), error: () => {} } as unknown as Logger;
    assert.throws(() => acquireDirLock(tmp.dir, log), (e) => isVigiaError(e, 'CONTROL_ERR_STORE_LOCKED') && e.message.includes(`pid ${live}`));
    assert.equal(readFileSync(path, 'utf8').trim(), String(live), "A's fresh lock is intact");
    assert.deepEqual(readdirSync(tmp.dir), [PGLITE_LOCK_FILE], 'nothing left aside');
  } finally {
    tmp.remove();
  }
});

test('the embedded store is private: its directory 0700 and no file in it readable by group or others, whatever PGlite creates', async () => {
  const tmp = tempDir();
  const dir = join(tmp.dir, 'control');
  try {
    const db = await openPglite(dir);
    try {
      await db.exec('CREATE TABLE t (x int); INSERT INTO t SELECT g FROM generate_series(1, 1000) g; CHECKPOINT');
      assert.equal(statSync(dir).mode & 0o7777, 0o700);
      assert.deepEqual(accessibleToOthers(dir), [], 'while open');
    } finally {
      await db.close();
    }
    assert.deepEqual(accessibleToOthers(dir), [], 'after close');
  } finally {
    tmp.remove();
  }
});

test('a store left with loose modes (by an older version) is made private when opened', async () => {
  const tmp = tempDir();
  const dir = join(tmp.dir, 'control');
  try {
    await (await openPglite(dir)).close();
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'PG_VERSION'), 0o666);
    chmodSync(join(dir, 'base'), 0o755);
    const db = await openPglite(dir);
    await db.close();
    assert.deepEqual(accessibleToOthers(dir), []);
  } finally {
    tmp.remove();
  }
});

test('a data directory others can write is refused before anything is opened, naming the flag', async () => {
  const tmp = tempDir();
  try {
    const open = join(tmp.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    await assert.rejects(openPglite(open, { flag: '--data-dir' }), (e) => isVigiaError(e, 'VIGIA_ERR_UNSAFE_PATH') && /^[^\n]*--data-dir .*\/open is group- and world-writable \(mode 0777\)/.test(e.message));
    assert.deepEqual(readdirSync(open), [], 'nothing written into it');
    const group = join(tmp.dir, 'group');
    mkdirSync(group);
    chmodSync(group, 0o770);
    await assert.rejects(openPglite(group, { flag: '--data-dir' }), (e) => isVigiaError(e, 'VIGIA_ERR_UNSAFE_PATH') && /group-writable/.test(e.message));
    // A parent others can write lets them swap the whole directory.
    const parent = join(tmp.dir, 'parent');
    mkdirSync(join(parent, 'data'), { recursive: true });
    chmodSync(parent, 0o777);
    await assert.rejects(openPglite(join(parent, 'data'), { flag: '--data-dir' }), (e) => isVigiaError(e, 'VIGIA_ERR_UNSAFE_PATH') && /directory .*\/parent is group- and world-writable/.test(e.message));
  } finally {
    tmp.remove();
  }
});

test('a data directory owned by another (non-root) user is refused', { skip: !isRoot && 'needs root (chown)' }, async () => {
  const tmp = tempDir();
  try {
    const dir = join(tmp.dir, 'theirs');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    await assert.rejects(openPglite(dir, { flag: '--data-dir' }), (e) => isVigiaError(e, 'VIGIA_ERR_UNSAFE_PATH') && /--data-dir .*\/theirs is owned by uid 65534/.test(e.message));
  } finally {
    tmp.remove();
  }
});
