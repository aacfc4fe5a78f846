import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from './atomic-file.js';

test('writeFileAtomic replaces the file whole, with its mode, replacing a link instead of following it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigia-atomic-'));
  try {
    const f = join(dir, 'out.txt');
    await writeFile(f, 'old');
    await writeFileAtomic(f, 'new', 0o600);
    assert.equal(await readFile(f, 'utf8'), 'new');
    assert.equal((await stat(f)).mode & 0o777, 0o600);
    const victim = join(dir, 'victim');
    await writeFile(victim, 'keep');
    const link = join(dir, 'link');
    await symlink(victim, link);
    await writeFileAtomic(link, 'written', 0o644);
    assert.equal(await readFile(victim, 'utf8'), 'keep', 'the link target is untouched');
    assert.equal((await lstat(link)).isSymbolicLink(), false);
    // A failed write leaves no temp file behind (the directory does not exist).
    await assert.rejects(writeFileAtomic(join(dir, 'nope', 'x'), 'y', 0o644));
    assert.deepEqual((await readdir(dir)).sort(), ['link', 'out.txt', 'victim']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
