import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseHostReport } from '../../core/contracts/host-report.js';
import { parsePromText } from '../../core/prom-text.js';
import { compileRoleRules } from './role-rules.js';
import { createNodeExporterSource, nodeExporterReport, type PromScrape } from './node-exporter-source.js';
import { toPullTarget } from './targets.js';

const TEMPLATE = readFileSync(new URL('./node-exporter.fixture.prom', import.meta.url), 'utf8');
type Vars = Record<string, number>;
const FIRST: Vars = { idle0: 1000, iowait0: 10, system0: 50, user0: 100, idle1: 1100, user1: 60, reads: 1000, writes: 2000, readBytes: 1e6, writeBytes: 2e6, readTime: 1, writeTime: 2, ioTime: 3 };
// 10 s later: cpu0 +2 idle +1 iowait +2 system +5 user, cpu1 +8 idle +2 user (20 CPU-seconds in all).
const SECOND: Vars = { ...FIRST, idle0: 1002, iowait0: 11, system0: 52, user0: 105, idle1: 1108, user1: 62, reads: 1100, writes: 2300, readBytes: 1.5e6, writeBytes: 4e6, readTime: 1.2, writeTime: 2.6, ioTime: 4 };
const render = (v: Vars): string => TEMPLATE.replace(/\$\{(\w+)\}/g, (_, k: string) => String(v[k]));
const scrape = (v: Vars, atMs: number): PromScrape => {
  const r = parsePromText(render(v));
  assert.deepEqual(r.errors, []);
  return { atMs, samples: r.samples };
};
const T0 = Date.UTC(2026, 11, 1, 7);
const opts = { host: 'db-00001', tags: { env: 'prod' }, intervalSeconds: 60, roles: compileRoleRules() };

test('first scrape: devices only, system null; the report validates', () => {
  const r = nodeExporterReport(scrape(FIRST, T0), null, opts);
  assert.ok(parseHostReport(r).ok);
  assert.equal(r.system, null);
  assert.equal(r.agent.version, 'node_exporter/1.5.0');
  assert.equal(r.sampled_at, '2026-12-01T07:00:00.000Z');
  assert.deepEqual(r.tags, { env: 'prod' });
});

test('filesystems: node_exporter default excludes, bind mounts once, roles, df figures, failed statfs', () => {
  const r = nodeExporterReport(scrape(FIRST, T0), null, opts);
  assert.deepEqual(r.devices.map((d) => d.mountpoint), ['/', '/mnt/nfs', '/run', '/var/lib/mysql', '/var/lib/mysql-binlog']);
  const by = new Map(r.devices.map((d) => [d.mountpoint, d]));
  assert.deepEqual(by.get('/'), {
    mountpoint: '/', device: '/dev/sda1', fstype: 'ext4', role: 'other', read_only: false,
    size_bytes: 2e10, used_bytes: 1.4e10, avail_bytes: 5e9, use_pct: Math.ceil((100 * 1.4e10) / 1.9e10),
    inodes_total: 1e6, inodes_used: 250000, inode_use_pct: 25, error: null,
  });
  // /srv/bind is a bind mount of the data volume: listed once, under the mountpoint a role rule names.
  assert.equal(r.devices.filter((d) => d.device === '/dev/mapper/vg-data').length, 1);
  assert.equal(by.get('/var/lib/mysql')!.role, 'data');
  assert.equal(by.get('/var/lib/mysql')!.read_only, false);
  assert.equal(by.get('/var/lib/mysql-binlog')!.role, 'binlog');
  assert.equal(by.get('/var/lib/mysql-binlog')!.read_only, true);
  assert.equal(by.get('/run')!.inode_use_pct, null, 'no inode count on this tmpfs');
  const nfs = by.get('/mnt/nfs')!;
  assert.equal(nfs.size_bytes, null);
  assert.match(nfs.error!, /^STATFS_FAILED/);
});

test('second scrape: CPU shares, disk rates and memory from counter deltas', () => {
  const r = nodeExporterReport(scrape(SECOND, T0 + 10_000), scrape(FIRST, T0), opts);
  assert.ok(parseHostReport(r).ok);
  const s = r.system!;
  assert.deepEqual(s.cpu, { user_pct: 35, system_pct: 10, iowait_pct: 5, steal_pct: 0, idle_pct: 50, cpus: 2 });
  assert.deepEqual([s.load1, s.load5, s.load15], [1.5, 1.25, 1]);
  assert.equal(s.mem_total_bytes, 1.6e10);
  assert.equal(s.mem_used_pct, 75);
  assert.equal(s.swap_used_pct, 25);
  assert.equal(s.uptime_seconds, 100_000);
  assert.deepEqual(s.disks, [{ device: 'sda', reads_per_s: 10, writes_per_s: 30, read_bytes_per_s: 50_000, write_bytes_per_s: 200_000, await_ms: 2, util_pct: 10 }]);
});

test('counter resets count as zero; a scrape without cpu metrics gives system null', () => {
  const reset = nodeExporterReport(scrape(FIRST, T0 + 10_000), scrape(SECOND, T0), opts);
  assert.equal(reset.system!.cpu.idle_pct, 100);
  assert.equal(reset.system!.disks[0]!.reads_per_s, 0);
  const noCpu = (v: Vars, at: number): PromScrape => ({ atMs: at, samples: scrape(v, at).samples.filter((x) => x.name !== 'node_cpu_seconds_total') });
  assert.equal(nodeExporterReport(noCpu(SECOND, T0 + 10_000), noCpu(FIRST, T0), opts).system, null);
});

test('the source scrapes over HTTP with the token and keeps the previous scrape per target', async () => {
  let n = 0;
  const auth: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    auth.push(req.headers.authorization);
    res.writeHead(req.url === '/metrics' ? 200 : 404, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(render(n++ === 0 ? FIRST : SECOND));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    let now = T0;
    const target = toPullTarget({ host: 'db-00001', kind: 'node_exporter', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }, 'tok');
    const src = createNodeExporterSource({ target, intervalSeconds: 60, now: () => now });
    const a = await src.collect(AbortSignal.timeout(5000));
    assert.equal(a.system, null);
    now += 10_000;
    const b = await src.collect(AbortSignal.timeout(5000));
    assert.equal(b.system!.cpu.user_pct, 35);
    assert.deepEqual(auth, ['Bearer tok', 'Bearer tok']);
    // firstGapMs: a fresh source takes two scrapes on its first collect.
    n = 0;
    const twice = createNodeExporterSource({ target, intervalSeconds: 60, firstGapMs: 50, now: () => (now += 10_000) });
    assert.equal((await twice.collect(AbortSignal.timeout(5000))).system!.cpu.user_pct, 35);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
