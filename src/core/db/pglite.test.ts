import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isVigiaError } from '../errors.js';
import type { Logger } from '../log.js';
import { tempDir } from '../../../test/support/tmp.js';
import { PGLITE_LOCK_FILE, acquireDirLock } from './pglite.js';

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
