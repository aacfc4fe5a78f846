import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHostReport } from './host-report.js';

const device = {
  mountpoint: '/var/lib/mysql', device: '/dev/sdb1', fstype: 'xfs', role: 'data', read_only: false, size_bytes: 100, used_bytes: 40, avail_bytes: 60,
  use_pct: 40, inodes_total: 10, inodes_used: 1, inode_use_pct: 10, error: null,
};
const report = { v: 1, host: 'db-1', sampled_at: '2026-12-01T07:00:00.000Z', interval_seconds: 60, agent: { version: '0.1.0' }, tags: { env: 'prod' }, system: null, devices: [device] };

test('a valid report passes; what the database could not store is refused with its field path', () => {
  assert.equal(parseHostReport(report).ok, true);
  const cases: [unknown, RegExp][] = [
    [{ ...report, devices: [{ ...device, mountpoint: '/a\u0000b' }] }, /devices\.0\.mountpoint: must not contain NUL/],
    [{ ...report, tags: { env: 'a\u0000' } }, /tags\.env: must not contain NUL/],
    // 400 CJK characters: under 1024 characters but ~1,200 bytes, over what a btree key may hold.
    [{ ...report, devices: [{ ...device, mountpoint: `/${'数'.repeat(400)}` }] }, /devices\.0\.mountpoint: at most 1024 bytes/],
    [JSON.parse(JSON.stringify(report).replace('"env":"prod"', '"__proto__":"x"')), /tags\.__proto__: reserved tag key/],
    [{ ...report, devices: [{ ...device, extra: 1 }] }, /devices\.0/],
    [{ ...report, sampled_at: '2026-12-01T07:00:00Z' }, /sampled_at/],
    // Top processes: names only (a command line can hold a password), at most 10.
    [{ ...report, processes: [{ pid: 1, name: 'mysqld', user: 'mysql', cpu_pct: 1, rss_bytes: 1, command: 'mysqld --password=x' }] }, /processes\.0/],
    [{ ...report, processes: Array.from({ length: 11 }, (_, i) => ({ pid: i + 1, name: 'p', user: 'u', cpu_pct: 0, rss_bytes: 0 })) }, /processes/],
    [{ ...report, processes: [{ pid: 1, name: 'a\u0000', user: 'u', cpu_pct: 0, rss_bytes: 0 }] }, /processes\.0\.name: must not contain NUL/],
  ];
  assert.equal(parseHostReport({ ...report, processes: [{ pid: 1, name: 'mysqld', user: 'mysql', cpu_pct: 250, rss_bytes: 8e9 }] }).ok, true);
  for (const [value, re] of cases) {
    const r = parseHostReport(value);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.problems.join('; '), re);
  }
});
