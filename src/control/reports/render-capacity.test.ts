import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCapacityReport } from './capacity.js';
import { defaultReportPolicy } from './policy.js';
import { CAPACITY_CSV_HEADER, STALE_CSV_HEADER, renderCapacityCsv, renderCapacityHtml, renderCapacityJson, renderCapacityTable, renderStaleCsv } from './render-capacity.js';
import { syntheticCapacityData } from './synthetic.js';
import { count, csvCell, humanBytes, parseCsv } from './format.js';

const NOW = new Date('2026-12-01T07:00:00.000Z');
const policy = defaultReportPolicy();
const report = buildCapacityReport(syntheticCapacityData({ hosts: 500, now: NOW, critical: 5, warning: 10, stale: 2, neverReported: 1 }), policy, NOW);

test('format helpers: table', () => {
  const cases: [string, string][] = [
    [humanBytes(0), '0 B'],
    [humanBytes(1023), '1023 B'],
    [humanBytes(1.2 * 1024 ** 4), '1.2 TiB'],
    [humanBytes(-5 * 1024 ** 3), '-5.0 GiB'],
    [humanBytes(null), '-'],
    [count(10000), '10,000'],
    [csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`],
    [csvCell('+1'), "'+1"],
    [csvCell('-cmd'), "'-cmd"],
    [csvCell('@SUM(A1)'), "'@SUM(A1)"],
    [csvCell(-42), '-42'],
    [csvCell('a,b'), '"a,b"'],
    [csvCell('line\nbreak'), 'line\\x0abreak'],
    [csvCell('\tcmd'), '\\x09cmd'],
    [csvCell('\u202e=1+1'), '\\u202e=1+1'],
    [csvCell('say "\u001b[2J"'), '"say ""\\x1b[2J"""'],
    [csvCell(null), ''],
  ];
  for (const [got, want] of cases) assert.equal(got, want);
});

test('table: summary header, stale first, aligned columns', () => {
  const t = renderCapacityTable(report);
  const lines = t.split('\n');
  assert.equal(lines[0], report.summary);
  assert.ok(t.indexOf('STALE HOSTS') < t.indexOf('VOLUMES'));
  assert.match(t, /never reported/);
  assert.match(t, /clock skew \+400 s/);
  const header = lines.find((l) => l.startsWith('STATUS'))!;
  const firstRow = lines[lines.indexOf(header) + 1]!;
  assert.equal(firstRow.indexOf(report.rows[0]!.host), header.indexOf('HOST'));
  assert.match(t, /TiB/);
});

test('json: stable field names, numbers as numbers, Infinity as full_never', () => {
  const j = JSON.parse(renderCapacityJson(report));
  assert.equal(j.v, 1);
  assert.equal(j.totals.hosts, 500);
  assert.equal(j.rows.length, report.rows.length);
  const r = j.rows[0];
  assert.deepEqual(Object.keys(r), ['host', 'role', 'mountpoint', 'device', 'fstype', 'status', 'reason', 'use_pct', 'peak_use_pct', 'used_bytes', 'avail_bytes', 'size_bytes', 'growth_bytes_per_day', 'days_until_full', 'full_never', 'trend_pending', 'trend_span_seconds', 'trend_samples', 'stale', 'error', 'sampled_at']);
  assert.equal(typeof r.use_pct, 'number');
  const never = j.rows.find((x: { full_never: boolean }) => x.full_never);
  assert.ok(never && never.days_until_full === null);
  assert.equal(j.stale[0].host, report.stale[0]!.host);
});

test('csv: header, one row per volume, quoting survives a round trip', () => {
  const rows = parseCsv(renderCapacityCsv(report));
  assert.deepEqual(rows[0], [...CAPACITY_CSV_HEADER]);
  assert.equal(rows.length - 1, report.rows.length);
  assert.ok(rows.slice(1).every((r) => r.length === CAPACITY_CSV_HEADER.length));
  assert.equal(rows[1]![0], report.rows[0]!.host);
});

test('html: escaped, no scripts, stale before volumes, worst N rows and a pointer to the CSV', () => {
  const evil = { ...report, stale: [{ ...report.stale[0]!, host: '<script>alert(1)</script>', lastError: 'a & b' }] };
  const html = renderCapacityHtml(evil, { maxRows: 7, csvFilename: 'capacity-2026-12-01.csv', charts: [{ cid: 'x@vigia', alt: 'a', caption: 'c<b>', width: 10, height: 10 }] });
  assert.ok(!/<script/i.test(html));
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /a &amp; b/);
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(html.indexOf('id="stale"') < html.indexOf('id="volumes"'));
  assert.equal((html.match(/<tr style="background:/g) ?? []).length, 7);
  assert.match(html, /worst 7 of 15 volumes.*capacity-2026-12-01\.csv.*all 1,497 volumes/);
  assert.match(html, /<img src="cid:x@vigia"/);
  assert.match(html, /c&lt;b&gt;/);
  assert.ok(!/<style|<link|class=/.test(html), 'inline CSS only');
});

test('html and stale CSV: stale list capped in HTML, complete in CSV', () => {
  const many = { ...report, stale: Array.from({ length: 12 }, (_, i) => ({ ...report.stale[0]!, host: `gone-${i}` })) };
  const html = renderCapacityHtml(many, { maxRows: 5, staleCsvFilename: 'stale-hosts-2026-12-01.csv' });
  assert.equal((html.match(/data-stale="1"/g) ?? []).length, 5);
  assert.match(html, /Showing 5 of 12 stale hosts.*stale-hosts-2026-12-01\.csv/);
  const rows = parseCsv(renderStaleCsv(many));
  assert.deepEqual(rows[0], [...STALE_CSV_HEADER]);
  assert.equal(rows.length - 1, 12);
});

test('hosts gone silent: every rendering still shows their critical volumes as critical and stale', () => {
  const data = syntheticCapacityData({ hosts: 40, now: NOW, critical: 2, warning: 1 });
  const later = new Date(NOW.getTime() + 86_400_000);
  const r = buildCapacityReport(data, policy, later);
  const critHosts = [...new Set(r.rows.filter((x) => x.status === 'critical').map((x) => x.host))].sort();
  assert.equal(critHosts.length, 2);
  assert.equal(r.summary, '[vigia] capacity: 2 critical (2 stale), 1 warning (1 stale), 40 stale of 40 hosts');

  const t = renderCapacityTable(r);
  assert.equal(t.split('\n')[0], r.summary);
  for (const h of critHosts) {
    assert.match(t, new RegExp(`^CRITICAL\\*\\s+${h}\\s`, 'm'), 'volume row: critical, starred stale');
    assert.match(t, new RegExp(`^${h}\\s+CRITICAL\\s+silent`, 'm'), 'stale host list: its last status');
  }

  const j = JSON.parse(renderCapacityJson(r));
  assert.deepEqual([j.totals.critical, j.totals.critical_stale, j.totals.warning, j.totals.warning_stale, j.totals.stale], [2, 2, 1, 1, 40]);
  const jCrit = j.rows.filter((x: { status: string }) => x.status === 'critical');
  assert.ok(jCrit.length > 0 && jCrit.every((x: { stale: boolean }) => x.stale === true));
  assert.deepEqual(j.stale.filter((s: { status: string }) => s.status === 'critical').map((s: { host: string }) => s.host).sort(), critHosts);

  const csv = parseCsv(renderCapacityCsv(r));
  const col = (name: string) => CAPACITY_CSV_HEADER.indexOf(name as (typeof CAPACITY_CSV_HEADER)[number]);
  const csvCrit = csv.slice(1).filter((row) => row[col('status')] === 'critical');
  assert.ok(csvCrit.length > 0 && csvCrit.every((row) => row[col('stale')] === 'true'));
  const staleCsv = parseCsv(renderStaleCsv(r));
  assert.deepEqual(staleCsv.slice(1).filter((row) => row[STALE_CSV_HEADER.indexOf('status')] === 'critical').map((row) => row[0]).sort(), critHosts);

  const html = renderCapacityHtml(r);
  assert.ok(html.includes(`<title>${r.summary}</title>`));
  assert.match(html, /<td[^>]*>critical \(stale\)<\/td>/);
  assert.match(html, /Critical and stale \(part of critical\)<\/td><td[^>]*>2<\/td>/);
});

test('table: an empty table says why (hosts waiting for their first report, healthy volumes hidden) and --all shows the healthy ones', () => {
  const enrolled = { enrolledAt: new Date(NOW.getTime() - 60_000), lastSeen: null, lastSampledAt: null, intervalSeconds: null, source: null, tags: {}, reportedTags: {}, lastError: null, lastErrorAt: null };
  const fresh = buildCapacityReport({ now: NOW, windowStart: new Date(NOW.getTime() - 7 * 86_400_000), hosts: ['a', 'b', 'c'].map((host) => ({ host, ...enrolled })), volumes: [] }, policy, NOW);
  assert.match(renderCapacityTable(fresh), /^waiting for the first report from 3 hosts$/m);
  const none = buildCapacityReport({ now: NOW, windowStart: NOW, hosts: [], volumes: [] }, policy, NOW);
  assert.match(renderCapacityTable(none), /no hosts enrolled yet/);
  const healthy = buildCapacityReport(syntheticCapacityData({ hosts: 4, now: NOW }), policy, NOW);
  const okRows = healthy.rows.filter((r) => r.status === 'ok').length;
  assert.ok(okRows > 0);
  const short = renderCapacityTable(healthy);
  assert.match(short, new RegExp(`^${okRows} healthy volumes hidden: --all shows them$`, 'm'));
  assert.doesNotMatch(short, /^OK /m);
  const all = renderCapacityTable(healthy, { includeOk: true });
  assert.equal(all.split('\n').filter((l) => l.startsWith('OK ')).length, okRows);
  assert.doesNotMatch(all, /hidden/);
});
