/** Pure parts of the shipped actions in deploy/agent/actions (the scripts run end to end in action-service and integration tests). */
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../../test/support/tmp.js';
import { frameScroll, loadFortunes, parseFortunes, wrapText, writeAtomic, writeInPlace, writeMotd } from '../../../deploy/agent/actions/motd-fortune/motd-fortune.mjs';

describe('motd-fortune helpers', () => {
  it('parses %-separated fortune files', () => {
    assert.deepEqual(parseFortunes('one\nline\n%\ntwo\n%\n\n%\nthree\n%\n'), ['one\nline', 'two', 'three']);
    assert.deepEqual(parseFortunes(''), []);
  });

  it('loads fortune files, skipping .dat and .u8 indexes', () => {
    const tmp = tempDir();
    try {
      writeFileSync(join(tmp.dir, 'a'), 'alpha\n%\nbeta\n%\n');
      writeFileSync(join(tmp.dir, 'a.dat'), '\0\0binary');
      writeFileSync(join(tmp.dir, 'a.u8'), 'skip\n%\n');
      assert.deepEqual(loadFortunes(tmp.dir), ['alpha', 'beta']);
      assert.deepEqual(loadFortunes(join(tmp.dir, 'none')), []);
    } finally {
      tmp.remove();
    }
  });

  it('wraps at word boundaries, keeps line breaks, expands tabs and drops control characters', () => {
    assert.deepEqual(wrapText('aaa bbb ccc', 7), ['aaa bbb', 'ccc']);
    assert.deepEqual(wrapText('x\n\ny', 10), ['x', '', 'y']);
    assert.deepEqual(wrapText('\tq\x1b[31m', 10), ['    q[31m']);
    assert.deepEqual(wrapText('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
  });

  it('frames text as a parchment scroll', () => {
    assert.equal(
      frameScroll('Hope is not a strategy.', 40),
      [
        ' ____________________________________',
        '/\\                                   \\',
        '\\_|  Hope is not a strategy.         |',
        '  |                                  |',
        '  |   _______________________________|_',
        '   \\_/_________________________________/',
        '',
      ].join('\n'),
    );
  });

  it('replaces a file atomically, leaving no temp files behind', () => {
    const tmp = tempDir();
    try {
      const p = join(tmp.dir, 'motd');
      writeFileSync(p, 'old');
      writeAtomic(p, 'new\n');
      assert.equal(readFileSync(p, 'utf8'), 'new\n');
      assert.deepEqual(readdirSync(tmp.dir), ['motd']);
    } finally {
      tmp.remove();
    }
  });

  it('creates the motd with mode 0644 whatever the umask', () => {
    const tmp = tempDir();
    const old = process.umask(0o077);
    try {
      const p = join(tmp.dir, 'motd');
      assert.equal(writeMotd(p, 'x\n'), 'atomic');
      assert.equal(statSync(p).mode & 0o777, 0o644);
    } finally {
      process.umask(old);
      tmp.remove();
    }
  });

  it('rewrites a file in place keeping its inode and mode, and never creates one that way', () => {
    const tmp = tempDir();
    try {
      const p = join(tmp.dir, 'motd');
      writeFileSync(p, 'a much longer old message of the day\n');
      chmodSync(p, 0o664);
      const ino = statSync(p).ino;
      writeInPlace(p, 'new\n');
      assert.equal(readFileSync(p, 'utf8'), 'new\n');
      assert.equal(statSync(p).ino, ino);
      assert.equal(statSync(p).mode & 0o777, 0o664);
      assert.throws(() => writeInPlace(join(tmp.dir, 'absent'), 'x'), { code: 'ENOENT' });
    } finally {
      tmp.remove();
    }
  });
});
