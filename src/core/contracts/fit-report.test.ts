import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitText, reportDevice } from './fit-report.js';
import { reportDeviceSchema } from './host-report.js';

test('fitText cuts on a character boundary to the byte budget and drops NUL', () => {
  assert.equal(fitText('/var/lib/mysql', 1024), '/var/lib/mysql');
  assert.equal(fitText('/a\u0000b', 10), '/ab');
  const cut = fitText(`/${'数'.repeat(500)}`, 1024);
  assert.ok(Buffer.byteLength(cut) <= 1024 && Buffer.byteLength(cut) > 1020);
  assert.ok(!cut.includes('\ufffd'), 'no half characters');
});

test('reportDevice fits anything a filesystem can name into what the contract (and the database) accepts', () => {
  const d = reportDevice({
    name: 'sdb1', device: '', mountpoint: `/${'数'.repeat(500)}`, fstype: 'fuse weird', role: 'data', read_only: false,
    size_bytes: Number.NaN, used_bytes: -1, avail_bytes: 5.4, use_pct: 100.4, inodes_total: null, inodes_used: null, inode_use_pct: null,
    error: { code: 'STATFS_FAILED', message: `x\u0000${'y'.repeat(2000)}` },
  }, 'binlog');
  assert.equal(reportDeviceSchema.safeParse(d).success, true, JSON.stringify(reportDeviceSchema.safeParse(d).error?.issues));
  assert.deepEqual([d.device, d.fstype, d.role, d.size_bytes, d.used_bytes, d.avail_bytes, d.use_pct], ['sdb1', 'fuse_weird', 'binlog', null, null, 5, 100]);
  assert.equal(d.error!.length, 512);
});
