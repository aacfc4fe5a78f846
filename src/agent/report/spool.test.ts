import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostReport } from '../../core/contracts/host-report.js';
import { openSpool } from './spool.js';
import { captureLogger } from '../../../test/support/log.js';

/** A valid report sampled at `ms`. */
function report(ms: number, host = 'db-1'): HostReport {
  return { v: 1, host, sampled_at: new Date(ms).toISOString(), interval_seconds: 60, agent: { version: '0.1.0' }, tags: {}, system: null, devices: [] };
}

const body = (ms: number): Buffer => Buffer.from(JSON.stringify(report(ms)));
const T0 = Date.UTC(2026, 11, 1, 7, 0, 0);

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'vigia-spool-'));
}

test('reports are written atomically as 0600 files in a 0700 directory and come back oldest first', async () => {
  const root = await tempDir();
  const dir = join(root, 'spool');
  try {
    const { log } = captureLogger();
    const spool = await openSpool({ dir, log });
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    await spool.put(body(T0 + 2000), T0 + 2000);
    await spool.put(body(T0 + 1000), T0 + 1000); // clock stepped back: still after the first in order
    await spool.put(body(T0 + 3000), T0 + 3000);
    assert.equal(spool.files, 3);
    assert.equal(spool.bytes, 3 * 4096, 'counted in 4 KiB blocks, as the disk holds them');
    const names = await readdir(dir);
    assert.equal(names.filter((n) => n.endsWith('.tmp')).length, 0);
    for (const n of names) assert.equal((await stat(join(dir, n))).mode & 0o777, 0o600);
    const got: string[] = [];
    for (let r = await spool.oldest(); r; r = await spool.oldest()) {
      got.push((JSON.parse(r.body.toString()) as HostReport).sampled_at);
      await spool.remove(r.name);
    }
    assert.deepEqual(got, [T0 + 2000, T0 + 1000, T0 + 3000].map((ms) => new Date(ms).toISOString()), 'the order they were spooled in');
    assert.equal(spool.files, 0);
    assert.equal(spool.bytes, 0);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('when full the oldest reports are dropped, counted and logged', async () => {
  const dir = await tempDir();
  try {
    const { log, lines } = captureLogger();
    const dropped: number[] = [];
    const byFiles = await openSpool({ dir, log, maxFiles: 3, onDropped: (n) => dropped.push(n) });
    for (let i = 0; i < 5; i++) await byFiles.put(body(T0 + i * 1000), T0 + i * 1000);
    assert.equal(byFiles.files, 3);
    assert.deepEqual(dropped, [1, 1]);
    const first = await byFiles.oldest();
    assert.equal((JSON.parse(first!.body.toString()) as HostReport).sampled_at, new Date(T0 + 2000).toISOString(), 'the two oldest went');
    assert.ok(lines.some((l) => l.level === 40 && /spool full/.test(l.msg) && l.dropped === 1));

    // by bytes: room for two reports
    const size = 4096;
    const dir2 = join(dir, 'b');
    const byBytes = await openSpool({ dir: dir2, log, maxBytes: size * 2 + 1 });
    for (let i = 0; i < 4; i++) await byBytes.put(body(T0 + i * 1000), T0 + i * 1000);
    assert.equal(byBytes.files, 2);
    assert.ok(byBytes.bytes <= size * 2 + 1);

    // a restart with a smaller bound trims what the previous run left, oldest first, in one go
    const dropped2: number[] = [];
    const reopened = await openSpool({ dir, log, maxFiles: 1, onDropped: (n) => dropped2.push(n) });
    assert.equal(reopened.files, 1);
    assert.deepEqual(dropped2, [2]);
    assert.equal((JSON.parse((await reopened.oldest())!.body.toString()) as HostReport).sampled_at, new Date(T0 + 4000).toISOString());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a restart picks up what the previous run left; corrupt files and half-written tmp files are removed, not fatal', async () => {
  const dir = await tempDir();
  try {
    const { log, lines } = captureLogger();
    const first = await openSpool({ dir, log });
    await first.put(body(T0), T0);
    await first.put(body(T0 + 1000), T0 + 1000);
    await writeFile(join(dir, 'r-000000000000001-000000.json'), '{"v":1,"host":'); // torn (written by hand, not by us)
    await writeFile(join(dir, 'r-000000000000002-000000.json'), '{"v":1}'); // JSON but no report
    await writeFile(join(dir, 'r-999999999999999-000000.json.tmp'), 'half');
    await writeFile(join(dir, 'README'), 'not ours');
    const dropped: string[] = [];
    const second = await openSpool({ dir, log, onDropped: (_n, why) => dropped.push(why) });
    assert.equal(second.files, 4);
    assert.ok(!(await readdir(dir)).some((n) => n.endsWith('.tmp')), 'leftover tmp file deleted');
    const got: string[] = [];
    for (let r = await second.oldest(); r; r = await second.oldest()) {
      got.push((JSON.parse(r.body.toString()) as HostReport).sampled_at);
      await second.remove(r.name);
    }
    assert.deepEqual(got, [new Date(T0).toISOString(), new Date(T0 + 1000).toISOString()]);
    assert.deepEqual(dropped, ['corrupt', 'corrupt']);
    assert.equal(lines.filter((l) => l.level === 50 && /corrupt report in the spool/.test(l.msg)).length, 2);
    assert.deepEqual(await readdir(dir), ['README'], 'foreign files are left alone');
    // a new report after the restart sorts after everything the previous run wrote
    const name = await second.put(body(T0 - 5000), T0 - 5000);
    assert.ok(name! > 'r-000000000000002-000000.json');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('oldestBatch: the oldest reports up to a count and a byte bound (at least one), skipping corrupt files', async () => {
  const dir = await tempDir();
  try {
    const { log } = captureLogger();
    const dropped: string[] = [];
    const spool = await openSpool({ dir, log, onDropped: (_n, why) => dropped.push(why) });
    for (let i = 0; i < 5; i++) await spool.put(body(T0 + i * 1000), T0 + i * 1000);
    // the second oldest turns corrupt on disk: deleted on the way, the batch takes the next one
    await writeFile(join(dir, spool.list()[1]!.name), '{"v":1,"host":');
    const at = (b: { body: Buffer }[]): string[] => b.map((r) => (JSON.parse(r.body.toString()) as HostReport).sampled_at);
    const three = await spool.oldestBatch(3, 1 << 20);
    assert.deepEqual(at(three), [0, 2000, 3000].map((d) => new Date(T0 + d).toISOString()));
    assert.deepEqual(dropped, ['corrupt']);
    assert.equal(spool.files, 4);
    const one = body(T0).length;
    assert.equal((await spool.oldestBatch(100, one * 2)).length, 2, 'byte bound');
    assert.equal((await spool.oldestBatch(100, 1)).length, 1, 'always at least one');
    assert.equal((await spool.oldestBatch(100, 1 << 20)).length, 4);
    for (const r of await spool.oldestBatch(100, 1 << 20)) await spool.remove(r.name);
    assert.deepEqual(await spool.oldestBatch(100, 1 << 20), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
