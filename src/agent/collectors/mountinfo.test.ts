import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMountinfo, parseMountinfoLine, unescapeMountField } from './mountinfo.js';

describe('parseMountinfoLine', () => {
  const cases: Array<{ name: string; line: string; want: Partial<ReturnType<typeof parseMountinfoLine>> | null }> = [
    {
      name: 'proc(5) example with one optional field',
      line: '36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
      want: { mountId: 36, parentId: 35, majorMinor: '98:0', root: '/mnt1', mountpoint: '/mnt/parent', mountOptions: ['rw', 'noatime'], fstype: 'ext3', source: '/dev/root', superOptions: ['rw', 'errors=continue'] },
    },
    {
      name: 'no optional fields',
      line: '22 27 0:21 / /proc rw,relatime - proc proc rw',
      want: { mountId: 22, mountpoint: '/proc', fstype: 'proc', source: 'proc', mountOptions: ['rw', 'relatime'] },
    },
    {
      name: 'several optional fields',
      line: '40 21 8:1 / /srv rw shared:3 master:2 propagate_from:1 unbindable - xfs /dev/sda1 rw',
      want: { mountpoint: '/srv', fstype: 'xfs', source: '/dev/sda1' },
    },
    {
      name: 'escaped space, tab, newline and backslash',
      line: '41 21 8:2 /a\\040b /mnt/x\\040y\\011z\\012w\\134v ro - ext4 /dev/my\\040disk ro',
      want: { root: '/a b', mountpoint: '/mnt/x y\tz\nw\\v', source: '/dev/my disk', mountOptions: ['ro'] },
    },
    {
      name: 'a source that is a dash-like string is not the separator',
      line: '42 21 0:50 / /data rw - fuse.sshfs user@host:- rw',
      want: { fstype: 'fuse.sshfs', source: 'user@host:-' },
    },
    { name: 'missing separator', line: '22 27 0:21 / /proc rw,relatime proc proc rw', want: null },
    { name: 'too few fields after separator', line: '22 27 0:21 / /proc rw - proc', want: null },
    { name: 'bad major:minor', line: '22 27 021 / /proc rw - proc proc rw', want: null },
    { name: 'non-numeric id', line: 'x 27 0:21 / /proc rw - proc proc rw', want: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = parseMountinfoLine(c.line);
      if (c.want === null) return assert.equal(got, null);
      assert.ok(got);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual((got as unknown as Record<string, unknown>)[k], v, k);
    });
  }
});

describe('parseMountinfo', () => {
  it('keeps order and skips blank and malformed lines', () => {
    const text = [
      '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
      '',
      'garbage',
      '28 27 0:25 / /tmp rw - tmpfs tmpfs rw',
      '',
    ].join('\n');
    assert.deepEqual(parseMountinfo(text).map((e) => e.mountpoint), ['/', '/tmp']);
  });
  it('parses the real /proc/self/mountinfo without dropping lines', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile('/proc/self/mountinfo', 'utf8');
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    assert.equal(parseMountinfo(text).length, lines.length);
  });
});

describe('unescapeMountField', () => {
  it('leaves plain strings and non-octal backslashes alone', () => {
    assert.equal(unescapeMountField('/plain'), '/plain');
    assert.equal(unescapeMountField('a\\x'), 'a\\x');
    assert.equal(unescapeMountField('a\\0401'), 'a 1');
  });
});
