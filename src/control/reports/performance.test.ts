import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PerformanceData, Stat3 } from '../store/control-store.js';
import { buildPerformanceReport } from './performance.js';
import { defaultReportPolicy } from './policy.js';
import { parseCsv } from './format.js';
import { renderPerformanceCsv, renderPerformanceFilesystemsCsv, renderPerformanceHtml, renderPerformanceJson, renderPerformanceTable } from './render-performance.js';
import { syntheticPerformanceData } from './synthetic.js';

const NOW = new Date('2026-12-01T07:00:00.000Z');
const policy = defaultReportPolicy();
const s = (avg: number, p95: number, max = p95): Stat3 => ({ avg, p95, max });
const calm = { samples: 1440, cpus: 8, user: s(10, 20), system: s(2, 4), busy: s(12, 24), iowait: s(1, 2), steal: s(0, 0), load1: s(1, 2), memUsedPct: s(50, 60) };
const disk = (host: string, util: number, awaitMs: number) => ({ host, device: 'sda', samples: 1440, readBytesPerS: s(1e6, 2e6), writeBytesPerS: s(1e6, 2e6), readsPerS: s(10, 20), writesPerS: s(10, 20), awaitMs: s(awaitMs / 2, awaitMs), utilPct: s(util / 2, util) });

test('ranking by pressure: table', () => {
  const data: PerformanceData = {
    day: '2026-11-30',
    hosts: [
      { host: 'calm', ...calm },
      { host: 'cpu', ...calm, user: s(60, 80), system: s(10, 15), busy: s(70, 95) }, // busy p95 95 / 85 = 1.12
      { host: 'iowait', ...calm, iowait: s(20, 40) }, // 40 / 20 = 2.0
      { host: 'steal', ...calm, steal: s(4, 8) }, // 0.8, not hot
      { host: 'disk', ...calm },
    ],
    disks: [disk('disk', 99, 10), disk('calm', 10, 1)],
    filesystems: [{ host: 'calm', mountpoint: '/', device: '/dev/sda1', fstype: 'ext4', role: 'other', sizeBytes: 100, maxUsedBytes: 95, maxUsePct: 95, growthBytes: -3 }],
    silentHosts: ['zz-gone', 'aa-gone'],
    hostsWithoutSystem: [],
  };
  const r = buildPerformanceReport(data, { policy, now: NOW });
  const cases: { host: string; rank: number; hot: boolean; figure: string; reason?: RegExp }[] = [
    { host: 'iowait', rank: 0, hot: true, figure: 'iowait', reason: /iowait p95 40\.0% >= 20%/ },
    { host: 'cpu', rank: 1, hot: true, figure: 'cpu_busy', reason: /CPU busy p95 95\.0% >= 85%/ },
    { host: 'disk', rank: 2, hot: true, figure: 'disk_util', reason: /sda %util p95 99\.0% >= 90%/ },
    { host: 'steal', rank: 3, hot: false, figure: 'steal' },
  ];
  for (const c of cases) {
    const i = r.hosts.findIndex((h) => h.host === c.host);
    assert.equal(i, c.rank, c.host);
    assert.equal(r.hosts[i]!.hot, c.hot, c.host);
    assert.equal(r.hosts[i]!.pressureFigure, c.figure, c.host);
    if (c.reason) assert.match(r.hosts[i]!.reasons.join(';'), c.reason);
  }
  assert.equal(r.summary, '[vigia] performance 2026-11-30: 7 hosts, 3 hot, 2 silent');
  assert.deepEqual(r.silentHosts, ['aa-gone', 'zz-gone']);
  assert.deepEqual(r.fleet.above, { cpu_busy: 1, iowait: 1, steal: 0, disk_util: 1, disk_await: 0, filesystem: 1 });
  assert.equal(r.filesystems[0]!.hot, true);
});

test('fleet figures: avg and p95 (linear interpolation, as percentile_cont) of host averages', () => {
  const hosts = Array.from({ length: 100 }, (_, i) => ({ host: `h${i}`, ...calm, iowait: s(i + 1, i + 1) }));
  const r = buildPerformanceReport({ day: '2026-11-30', hosts, disks: [], filesystems: [], silentHosts: [], hostsWithoutSystem: [] }, { policy, now: NOW });
  assert.equal(r.fleet.iowait.avg, 50.5);
  assert.ok(Math.abs(r.fleet.iowait.p95 - 95.05) < 1e-9, String(r.fleet.iowait.p95));
  assert.equal(r.fleet.hosts, 100);
});

test('renderers: silent first, every host in the CSV, html escaped and capped', () => {
  const data = syntheticPerformanceData({ hosts: 1000, day: '2026-11-30', hot: 12, silent: 3 });
  const r = buildPerformanceReport(data, { policy, now: NOW });
  assert.equal(r.summary, '[vigia] performance 2026-11-30: 1,000 hosts, 12 hot, 3 silent');
  const t = renderPerformanceTable(r, { limit: 5 });
  assert.ok(t.indexOf('SILENT HOSTS') < t.indexOf('HOSTS BY PRESSURE'));
  const csv = parseCsv(renderPerformanceCsv(r));
  assert.equal(csv.length - 1, 1000);
  assert.equal(csv[1]![1], 'silent');
  assert.equal(parseCsv(renderPerformanceFilesystemsCsv(r)).length - 1, data.filesystems.length);
  const html = renderPerformanceHtml(r, { maxRows: 20, csvFilename: 'performance-2026-11-30.csv' });
  assert.ok(html.indexOf('Silent hosts') < html.indexOf('Hosts by pressure'));
  assert.match(html, /all 997 hosts/);
  assert.ok(!/<script/i.test(html));
  const j = JSON.parse(renderPerformanceJson(r));
  assert.equal(j.v, 1);
  assert.equal(j.hosts.length, 997);
});

test('CPU busy is the store\'s p95 of user + system, not the sum of the two p95s', () => {
  // user p95 50 + system p95 45 = 95 would be "hot"; the real busy p95 (they peak at different times) is 60.
  const data: PerformanceData = { day: '2026-11-30', hosts: [{ host: 'h', ...calm, user: s(30, 50), system: s(10, 45), busy: s(40, 60, 70) }], disks: [], filesystems: [], silentHosts: [], hostsWithoutSystem: [] };
  const h = buildPerformanceReport(data, { policy, now: NOW }).hosts[0]!;
  assert.equal(h.busyP95, 60);
  assert.equal(h.busyAvg, 40);
  assert.notEqual(h.busyP95, 50 + 45, 'not the sum of the two p95s');
  assert.equal(h.hot, false);
});

test('hosts without system figures are counted, listed and rendered as "no CPU data"', () => {
  const data: PerformanceData = { day: '2026-11-30', hosts: [{ host: 'calm', ...calm }], disks: [], filesystems: [], silentHosts: ['gone'], hostsWithoutSystem: ['nx-b', 'nx-a'] };
  const r = buildPerformanceReport(data, { policy, now: NOW });
  assert.deepEqual({ hosts: r.fleet.hosts, reporting: r.fleet.reporting, withoutSystem: r.fleet.withoutSystem, silent: r.fleet.silent }, { hosts: 4, reporting: 3, withoutSystem: 2, silent: 1 });
  assert.deepEqual(r.hostsWithoutSystem, ['nx-a', 'nx-b']);
  assert.equal(r.summary, '[vigia] performance 2026-11-30: 4 hosts, 0 hot, 1 silent, 2 without CPU data');
  assert.match(renderPerformanceTable(r), /NO CPU DATA \(2, reported without system figures\): nx-a, nx-b/);
  const csv = parseCsv(renderPerformanceCsv(r));
  assert.deepEqual(csv.slice(1).map((row) => [row[0], row[1]]), [['gone', 'silent'], ['nx-a', 'no_cpu_data'], ['nx-b', 'no_cpu_data'], ['calm', 'ok']]);
  assert.match(renderPerformanceHtml(r), /Hosts without CPU data \(2\)/);
  assert.deepEqual(JSON.parse(renderPerformanceJson(r)).hostsWithoutSystem, ['nx-a', 'nx-b']);
});
