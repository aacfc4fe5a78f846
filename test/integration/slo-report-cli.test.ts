/**
 * `vigia slo demo | report | check` as a user runs them (the built binary): the demo year gives the
 * four objectives with two met and two missed, recommendations that name the causes the generator
 * planted, every planted hygiene problem reported, DORA's four keys, and the same report in every
 * format; bad specs and periods are refused with the field named and nothing written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../support/tmp.js';
import { VIGIA_BIN } from '../support/vigia-process.js';

const tmp = tempDir('vigia-slo-cli-');
after(() => tmp.remove());
const vigia = (args: string[]) => spawnSync(process.execPath, [VIGIA_BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

interface JsonSlo {
  name: string;
  met: boolean | null;
  value: number | null;
  statistic: string;
  recommendations: string[];
  monthly: unknown[];
  drivers: Array<{ dimension: string; value: string }>;
}

test('vigia slo demo: four objectives over a seeded year, two met and two missed, with the causes named', () => {
  const r = vigia(['slo', 'demo', '--format', 'json', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { slos: JsonSlo[]; dora: Record<string, unknown>; hygiene: Array<{ table: string; kind: string; rows: number }>; period: { from: string; to: string } };
  assert.deepEqual(report.period, { label: '2025', from: '2025-01-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z', timeZone: 'UTC' } as never);
  const by = new Map(report.slos.map((s) => [s.name, s]));
  assert.deepEqual([...by.keys()].sort(), ['availability', 'deploy-frequency', 'failures-per-deploy', 'ticket-resolution']);
  assert.deepEqual(report.slos.filter((s) => s.met === true).map((s) => s.name).sort(), ['failures-per-deploy', 'ticket-resolution']);
  assert.deepEqual(report.slos.filter((s) => s.met === false).map((s) => s.name).sort(), ['availability', 'deploy-frequency']);
  assert.equal(by.get('deploy-frequency')!.statistic, 'mean');
  assert.ok(by.get('deploy-frequency')!.value! > 3.5);
  assert.ok(by.get('availability')!.value! < 0.94);
  for (const s of report.slos) assert.equal(s.monthly.length, 12, s.name);
  // The planted causes: 503 dominates downtime; Network L2 resolves slowly; search/indexing fails in streaks.
  assert.ok(by.get('availability')!.recommendations.some((t) => t.startsWith('Error code 503 caused')), by.get('availability')!.recommendations.join('\n'));
  assert.ok(by.get('availability')!.recommendations.some((t) => t.includes('2025-03 and 2025-11')));
  assert.ok(by.get('ticket-resolution')!.recommendations.some((t) => t.includes('"Network L2"')));
  // Met with most of its budget left: the streaky area is in the drivers (JSON), not pushed as advice.
  assert.ok(by.get('failures-per-deploy')!.drivers.some((d) => d.dimension === 'area' && d.value === 'indexing'));
  assert.ok(!by.get('failures-per-deploy')!.recommendations.some((t) => t.includes('"indexing"')));
  // Every planted hygiene problem is reported, none silently fixed.
  const kinds = new Set(report.hygiene.map((h) => `${h.table}:${h.kind}`));
  for (const k of ['deploys:duplicate_row', 'deploys:mixed_case_value', 'tickets:duplicate_row', 'tickets:mixed_case_value', 'tickets:open_ticket', 'tickets:column_count_mismatch', 'outages:overlapping_outages']) {
    assert.ok(kinds.has(k), `${k} in ${[...kinds].join(', ')}`);
  }
  for (const key of ['deploysPerDay', 'leadTimeHours', 'changeFailureRate', 'timeToRestoreHours']) assert.ok(key in report.dora, key);
});

test('the demo is reproducible; report, check and every format work on the files it keeps', () => {
  const a = join(tmp.dir, 'a');
  const b = join(tmp.dir, 'b');
  assert.equal(vigia(['slo', 'demo', '--dir', a, '--quiet', '--out', join(tmp.dir, 'a.txt')]).status, 0);
  assert.equal(vigia(['slo', 'demo', '--dir', b, '--quiet', '--out', join(tmp.dir, 'b.txt')]).status, 0);
  for (const f of ['deploys.csv', 'outages.csv', 'tickets.csv', 'slos.yaml']) assert.equal(readFileSync(join(a, f), 'utf8'), readFileSync(join(b, f), 'utf8'), f);
  const other = join(tmp.dir, 'other');
  assert.equal(vigia(['slo', 'demo', '--dir', other, '--seed', '7', '--quiet', '--out', join(tmp.dir, 'o.txt')]).status, 0);
  assert.notEqual(readFileSync(join(other, 'tickets.csv'), 'utf8'), readFileSync(join(a, 'tickets.csv'), 'utf8'));

  const check = vigia(['slo', 'check', '--spec', a]);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /^4 SLO\(s\), 1 data source\(s\): ok/);

  const text = vigia(['slo', 'report', '--spec', a, '--period', '2025', '--quiet']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /4 objective\(s\): 2 met, 2 not met\./);
  assert.equal(text.stdout, readFileSync(join(tmp.dir, 'a.txt'), 'utf8').replace('DEMO PLATFORM: SERVICE LEVEL REVIEW', 'SERVICE LEVEL REVIEW'));
  const md = vigia(['slo', 'report', '--spec', join(a, 'slos.yaml'), '--period', '2025', '--format', 'markdown', '--quiet']);
  assert.match(md.stdout, /^\| platform \/ availability \| ≥ 94 % \| 92\.\d\d % \| NOT MET \|/m);
  const html = join(tmp.dir, 'r.html');
  const h = vigia(['slo', 'report', '--spec', a, '--period', '2025', '--format', 'html', '--out', html]);
  assert.equal(h.status, 0, h.stderr);
  assert.match(h.stderr, /wrote .*r\.html/);
  assert.equal(readFileSync(html, 'utf8').match(/<svg /g)?.length, 8);
  // A quarter: three months, values of that quarter only.
  const q = JSON.parse(vigia(['slo', 'report', '--spec', a, '--period', '2025-Q1', '--format', 'json', '--quiet']).stdout) as { slos: JsonSlo[] };
  assert.ok(q.slos.every((s) => s.monthly.length === 3));
  // A month alone counts what the year counts for that month: the gap from January's last deploy
  // ends in February, so a February report reads a little of January.
  const year = JSON.parse(vigia(['slo', 'report', '--spec', a, '--period', '2025', '--format', 'json', '--quiet']).stdout) as { slos: Array<{ name: string; events: number; monthly: Array<{ month: string; events: number }> }> };
  const feb = JSON.parse(vigia(['slo', 'report', '--spec', a, '--period', '2025-02', '--format', 'json', '--quiet']).stdout) as { slos: Array<{ name: string; events: number }> };
  for (const name of ['deploy-frequency', 'failures-per-deploy']) {
    const y = year.slos.find((s) => s.name === name)!.monthly.find((m) => m.month === '2025-02')!;
    assert.equal(feb.slos.find((s) => s.name === name)!.events, y.events, name);
  }
});

test('bad specs and periods are refused with the field named; warnings do not stop the work', () => {
  const dir = join(tmp.dir, 'bad');
  assert.equal(vigia(['slo', 'demo', '--dir', dir, '--quiet', '--out', join(tmp.dir, 'x.txt')]).status, 0);
  const spec = join(dir, 'slos.yaml');
  const good = readFileSync(spec, 'utf8');
  writeFileSync(spec, good.replace('target: 0.94', 'target: 1').replace(/(kind: SLO\nmetadata:\n)/, '$1  sloo: 1\n'));
  const out = join(tmp.dir, 'never.txt');
  const r = vigia(['slo', 'report', '--spec', dir, '--period', '2025', '--out', out]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /leaves no error budget/);
  assert.match(r.stderr, /unknown field "sloo"/);
  assert.equal(existsSync(out), false, 'nothing written');
  writeFileSync(spec, good.replace(/duration: 1Y/g, 'duration: 1m'));
  const warn = vigia(['slo', 'check', '--spec', dir]);
  assert.equal(warn.status, 0, warn.stderr);
  assert.match(warn.stderr, /1m is one minute; did you mean 1M \(one month\)\?/);
  const period = vigia(['slo', 'report', '--spec', dir, '--period', '2025-13']);
  assert.equal(period.status, 2);
  assert.match(period.stderr, /--period: "2025-13" is not a year/);
  const neither = vigia(['slo', 'report', '--spec', dir]);
  assert.equal(neither.status, 2);
  assert.match(neither.stderr, /give --period .* or --last/);
});
