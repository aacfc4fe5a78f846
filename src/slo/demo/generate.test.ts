import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_DEMO_SEED, DEMO_SLO_NAMES, TICKET_COLUMNS, demoSpecYaml, generateDemo, toCsv, writeDemo } from './generate.js';
import type { DemoSloName } from './generate.js';

// Everything below is measured with deliberately plain code, independent of the report.

const HOUR = 3_600_000;
const t = (s: string) => Date.parse(s);
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const key = (r: readonly string[]) => r.join('\u0001');

/** Data rows without exact repeats (the report counts a duplicate once). */
function dedupe(rows: readonly string[][]): string[][] {
  const seen = new Set<string>();
  return rows.filter((r) => (seen.has(key(r)) ? false : (seen.add(key(r)), true)));
}
function countRepeats(rows: readonly string[][]): number {
  const seen = new Set<string>();
  let n = 0;
  for (const r of rows) if (seen.has(key(r))) n++;
  else seen.add(key(r));
  return n;
}
function unionMs(spans: Array<[number, number]>): number {
  spans.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let s = -Infinity;
  let e = -Infinity;
  for (const [a, b] of spans) {
    if (a > e) {
      if (e > s) total += e - s;
      s = a;
      e = b;
    } else e = Math.max(e, b);
  }
  return e > s ? total + e - s : total;
}
/** Minimal RFC 4180 reader for the round trip. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  return rows;
}

interface Measured {
  gapMeanHours: number;
  failuresPerDeployMean: number;
  availability: number;
  resolutionMeanHours: number;
}

function measure(data: ReturnType<typeof generateDemo>): Measured & { detail: ReturnType<typeof details> } {
  const deploys = dedupe(data.deploys.slice(1)).sort((a, b) => t(a[6] as string) - t(b[6] as string));
  const succ = deploys.filter((r) => r[4]?.toLowerCase() === 'success').map((r) => t(r[6] as string));
  const gaps = succ.slice(1).map((x, i) => (x - (succ[i] as number)) / HOUR);
  const pending = new Map<string, number>();
  const fpd: number[] = [];
  for (const r of deploys) {
    const k = `${r[1]}/${r[2]}/${r[3]}`;
    if (r[4]?.toLowerCase() === 'failure') pending.set(k, (pending.get(k) ?? 0) + 1);
    else {
      fpd.push(pending.get(k) ?? 0);
      pending.set(k, 0);
    }
  }
  const year = Date.UTC(data.facts.year + 1, 0, 1) - Date.UTC(data.facts.year, 0, 1);
  const serverSide = data.outages.slice(1).filter((r) => !/^4\d\d$/.test(r[2] as string));
  const down = unionMs(serverSide.map((r) => [t(r[0] as string), t(r[1] as string)]));
  const tickets = data.tickets.slice(1).filter((r) => r.length === TICKET_COLUMNS.length);
  const closed = dedupe(tickets).filter((r) => r[8] !== '');
  const res = closed.map((r) => (t(r[8] as string) - t(r[7] as string)) / HOUR);
  return {
    gapMeanHours: mean(gaps),
    failuresPerDeployMean: mean(fpd),
    availability: 1 - down / year,
    resolutionMeanHours: mean(res),
    detail: details(deploys, data.outages.slice(1), closed, res, fpd),
  };
}

function details(deploys: string[][], outages: string[][], closed: string[][], res: number[], fpd: number[]) {
  const failShare = new Map<string, [number, number]>();
  for (const r of deploys) {
    const c = failShare.get(r[1] as string) ?? [0, 0];
    c[1]++;
    if (r[4]?.toLowerCase() === 'failure') c[0]++;
    failShare.set(r[1] as string, c);
  }
  const codes = new Set(outages.map((r) => r[2] as string));
  const downByCode = new Map([...codes].map((c) => [c, unionMs(outages.filter((r) => r[2] === c).map((r) => [t(r[0] as string), t(r[1] as string)]))]));
  const downByMonth = new Array<number>(12).fill(0);
  for (const r of outages) {
    if (/^4/.test(r[2] as string)) continue;
    const month = new Date(t(r[0] as string)).getUTCMonth();
    downByMonth[month] = (downByMonth[month] as number) + t(r[1] as string) - t(r[0] as string);
  }
  const resWhere = (col: number, value: string) => [mean(res.filter((_, i) => closed[i]?.[col] === value)), mean(res.filter((_, i) => closed[i]?.[col] !== value))] as const;
  return { failShare: new Map([...failShare].map(([k, [f, n]]) => [k, f / n])), downByCode, downByMonth, resWhere, maxFpd: Math.max(...fpd) };
}

const demo = generateDemo();
const m = measure(demo);

describe('generateDemo: determinism and size', () => {
  it('same seed -> identical rows; another seed -> different rows; the default seed is the documented one', () => {
    const again = generateDemo({ seed: DEFAULT_DEMO_SEED, year: 2025 });
    assert.deepEqual(again, demo);
    assert.equal(toCsv(again.deploys), toCsv(demo.deploys));
    const other = generateDemo({ seed: 7 });
    assert.notEqual(toCsv(other.deploys), toCsv(demo.deploys));
    assert.notEqual(toCsv(other.outages), toCsv(demo.outages));
    assert.notEqual(toCsv(other.tickets), toCsv(demo.tickets));
  });

  it('is fast (well under a second)', () => {
    const t0 = performance.now();
    generateDemo({ seed: 99 });
    assert.ok(performance.now() - t0 < 1000);
  });

  it('row counts are in the documented ranges and match facts.rows', () => {
    const n = { deploys: demo.deploys.length - 1, outages: demo.outages.length - 1, tickets: demo.tickets.length - 1 };
    assert.deepEqual(demo.facts.rows, n);
    assert.ok(n.deploys >= 2000 && n.deploys <= 3500, `deploys ${n.deploys}`);
    assert.ok(n.outages >= 150 && n.outages <= 400, `outages ${n.outages}`);
    assert.ok(n.tickets >= 3000 && n.tickets <= 6000, `tickets ${n.tickets}`);
  });

  it('headers use the default column names', () => {
    assert.deepEqual(demo.deploys[0], ['id', 'team', 'area', 'feature', 'status', 'commit_at', 'deploy_at']);
    assert.deepEqual(demo.outages[0], ['down', 'up', 'code']);
    assert.deepEqual(demo.tickets[0], ['number', 'caller', 'category', 'subcategory', 'symptom', 'assignment_group', 'state', 'opened_at', 'closed_at']);
  });

  it('every timestamp is inside the year; commits precede deploys by hours to days', () => {
    const [start, end] = [t(demo.facts.windowStart), t(demo.facts.windowEnd)];
    assert.equal(demo.facts.windowStart, '2025-01-01T00:00:00Z');
    const inYear = (s: string) => s === '' || (t(s) >= start && t(s) < end);
    assert.ok(demo.deploys.slice(1).every((r) => inYear(r[5] as string) && inYear(r[6] as string)));
    assert.ok(demo.outages.slice(1).every((r) => inYear(r[0] as string) && inYear(r[1] as string) && t(r[0] as string) < t(r[1] as string)));
    assert.ok(demo.tickets.slice(1).every((r) => inYear(r[r.length - 2] as string) && inYear(r[r.length - 1] as string)));
    const leads = demo.deploys.slice(1).map((r) => (t(r[6] as string) - t(r[5] as string)) / HOUR).sort((a, b) => a - b);
    assert.ok(leads.every((h) => h >= 0));
    const median = leads[Math.floor(leads.length / 2)] as number;
    assert.ok(median > 2 && median < 24, `median lead ${median} h`);
    assert.ok(leads.filter((h) => h > 48).length > 50, 'some lead times of days');
  });

  it('another year works (leap year 2024)', () => {
    const d = generateDemo({ year: 2024 });
    assert.equal(d.facts.windowEnd, '2025-01-01T00:00:00Z');
    assert.ok(d.deploys.slice(1).every((r) => (r[6] as string).startsWith('2024-')));
    assert.throws(() => generateDemo({ year: 1.5 }), RangeError);
  });
});

describe('generateDemo: the four objectives with the default seed', () => {
  const met: Record<DemoSloName, boolean> = {
    'deploy-frequency': m.gapMeanHours <= 3.5,
    'failures-per-deploy': m.failuresPerDeployMean <= 4.5,
    availability: m.availability >= 0.94,
    'ticket-resolution': m.resolutionMeanHours <= 36,
  };

  it('deploy gaps: mean above 3.5 h (missed by a visible margin)', () => {
    assert.ok(m.gapMeanHours > 3.8 && m.gapMeanHours < 5, `gap mean ${m.gapMeanHours}`);
  });
  it('failures per deploy: mean well under 4.5 (met)', () => {
    assert.ok(m.failuresPerDeployMean > 0.1 && m.failuresPerDeployMean < 1, `${m.failuresPerDeployMean}`);
  });
  it('availability: below 94 % by one to three points (missed)', () => {
    assert.ok(m.availability > 0.91 && m.availability < 0.935, `${m.availability}`);
  });
  it('ticket resolution: mean under 36 h (met)', () => {
    assert.ok(m.resolutionMeanHours > 24 && m.resolutionMeanHours < 35, `${m.resolutionMeanHours}`);
  });
  it('facts.expected states exactly which are met and missed', () => {
    assert.deepEqual([...demo.facts.expected.met].sort(), DEMO_SLO_NAMES.filter((n) => met[n]).sort());
    assert.deepEqual([...demo.facts.expected.missed].sort(), DEMO_SLO_NAMES.filter((n) => !met[n]).sort());
    assert.equal(demo.facts.expected.met.length, 2);
  });
});

describe('generateDemo: causes a report can find', () => {
  const d = m.detail;
  it('the failing team has by far the highest failure share', () => {
    const team = demo.facts.deploys.failingTeam;
    assert.equal(team, 'payments');
    const share = d.failShare.get(team) as number;
    for (const [other, s] of d.failShare) if (other !== team) assert.ok(share > s + 0.1, `${team} ${share} vs ${other} ${s}`);
  });
  it('the streaky area has the longest failure streaks', () => {
    const rows = dedupe(demo.deploys.slice(1));
    const streaks = new Map<string, number>();
    const cur = new Map<string, number>();
    for (const r of rows) {
      const k = `${r[1]}/${r[2]}/${r[3]}`;
      const n = r[4]?.toLowerCase() === 'failure' ? (cur.get(k) ?? 0) + 1 : 0;
      cur.set(k, n);
      const area = `${r[1]}/${r[2]}`;
      streaks.set(area, Math.max(streaks.get(area) ?? 0, n));
    }
    const streaky = `${demo.facts.deploys.streakyTeam}/${demo.facts.deploys.streakyArea}`;
    const best = streaks.get(streaky) as number;
    assert.ok(best >= 6);
    for (const [area, s] of streaks) if (area !== streaky) assert.ok(best > s, `${streaky} ${best} vs ${area} ${s}`);
  });
  it('deploys happen in working hours on weekdays; the gaps that start on Friday are the longest', () => {
    const succ = dedupe(demo.deploys.slice(1))
      .filter((r) => r[4]?.toLowerCase() === 'success')
      .map((r) => t(r[6] as string));
    const wd = succ.map((x) => new Date(x).getUTCDay());
    assert.ok(wd.filter((w) => w === 0 || w === 6).length / succ.length < 0.05);
    assert.ok(succ.filter((x) => new Date(x).getUTCHours() >= 8 && new Date(x).getUTCHours() < 19).length / succ.length > 0.8);
    const gapsBy = (pred: (w: number) => boolean) => mean(succ.slice(1).flatMap((x, i) => (pred(wd[i] as number) ? [(x - (succ[i] as number)) / HOUR] : [])));
    assert.ok(gapsBy((w) => w === 5) > 2 * gapsBy((w) => w >= 1 && w <= 4));
  });
  it('503 has the most downtime; the bad months have the most downtime', () => {
    assert.equal(demo.facts.outages.dominantCode, '503');
    const top = [...d.downByCode].sort((a, b) => b[1] - a[1]);
    assert.equal(top[0]?.[0], '503');
    assert.ok((top[0]?.[1] as number) > 3 * (top[1]?.[1] as number));
    assert.deepEqual(demo.facts.outages.badMonths, ['2025-03', '2025-11']);
    const ranked = d.downByMonth.map((h, i) => [i, h] as const).sort((a, b) => b[1] - a[1]);
    assert.deepEqual(ranked.slice(0, 2).map(([i]) => i).sort((a, b) => a - b), [2, 10]);
    assert.deepEqual(new Set(demo.outages.slice(1).map((r) => r[2])), new Set(['500', '502', '503', '504', '404', '429', 'TIMEOUT']));
  });
  it('the slow category, subcategory, symptom and group resolve much slower than the rest', () => {
    const f = demo.facts.tickets;
    assert.deepEqual(f, { slowCategory: 'Network', slowSubcategory: 'VPN', slowSymptom: 'VPN drops', slowGroup: 'Network L2' });
    for (const [col, value] of [[2, f.slowCategory], [3, f.slowSubcategory], [4, f.slowSymptom], [5, f.slowGroup]] as const) {
      const [slow, rest] = d.resWhere(col, value);
      assert.ok(slow > 2.5 * rest, `${value}: ${slow} vs ${rest}`);
    }
  });
});

describe('generateDemo: hygiene problems, each in its stated number', () => {
  const h = demo.facts.hygiene;
  it('open tickets at year end', () => {
    const open = demo.tickets.slice(1).filter((r) => r[r.length - 1] === '');
    assert.equal(open.length, h.openTickets);
    assert.ok(h.openTickets > 0 && h.openTickets <= 40, `${h.openTickets}`);
    assert.ok(open.every((r) => r[6] === 'In Progress' || r[6] === 'New'));
  });
  it('exact duplicate rows', () => {
    assert.equal(countRepeats(demo.deploys.slice(1)), h.duplicateDeployRows);
    assert.equal(countRepeats(demo.tickets.slice(1)), h.duplicateTicketRows);
    assert.equal(countRepeats(demo.outages.slice(1)), 0);
    assert.ok(h.duplicateDeployRows > 0 && h.duplicateTicketRows > 0);
  });
  it('overlapping outages (second monitor)', () => {
    const spans = demo.outages.slice(1).map((r) => [t(r[0] as string), t(r[1] as string)] as const);
    let maxUp = -Infinity;
    let overlaps = 0;
    for (const [down, up] of spans) {
      if (down < maxUp) overlaps++;
      maxUp = Math.max(maxUp, up);
    }
    assert.equal(overlaps, h.overlappingOutages);
    assert.ok(overlaps > 0);
  });
  it('mixed-case statuses and states', () => {
    const deploys = demo.deploys.slice(1).map((r) => r[4] as string);
    assert.equal(deploys.filter((s) => s !== s.toLowerCase()).length, h.mixedCaseDeployStatus);
    assert.ok(deploys.includes('success') && deploys.some((s) => s === 'Success' || s === 'SUCCESS'));
    const states = demo.tickets.slice(1).filter((r) => r.length === TICKET_COLUMNS.length).map((r) => r[6] as string);
    assert.equal(states.filter((s) => !['Closed', 'Resolved', 'In Progress', 'New'].includes(s)).length, h.mixedCaseTicketState);
    assert.ok(states.every((s) => ['closed', 'resolved', 'in progress', 'new'].includes(s.toLowerCase())));
    assert.ok(h.mixedCaseDeployStatus > 0 && h.mixedCaseTicketState > 0);
  });
  it('one ticket row with a missing field', () => {
    const short = demo.tickets.filter((r) => r.length !== TICKET_COLUMNS.length);
    assert.equal(short.length, h.columnCountMismatch);
    assert.equal(short[0]?.[0], h.columnCountMismatchTicket);
    assert.equal(short[0]?.length, TICKET_COLUMNS.length - 1);
    assert.ok(demo.deploys.every((r) => r.length === 7) && demo.outages.every((r) => r.length === 3));
  });
});

describe('toCsv and demoSpecYaml', () => {
  it('RFC 4180: quotes fields with comma, quote or newline; LF; round-trips', () => {
    assert.equal(toCsv([['a', 'b,c', 'say "hi"', 'x\ny', '']]), 'a,"b,c","say ""hi""","x\ny",\n');
    const csv = toCsv(demo.tickets);
    assert.ok(!csv.includes('\r'));
    assert.ok(csv.includes('"Teams, Outlook out of sync"') && csv.includes('"Report ""Sales Q"" empty"'));
    assert.deepEqual(parseCsv(csv), demo.tickets);
    assert.deepEqual(parseCsv(toCsv(demo.deploys)), demo.deploys);
  });

  it('the spec: the records CSV DataSource and the four SLOs as the conventions say', () => {
    const docs = parseAllDocuments(demoSpecYaml()).map((d) => d.toJS());
    assert.equal(docs.length, 5);
    const [ds, ...slos] = docs;
    assert.deepEqual(ds, {
      apiVersion: 'openslo/v1',
      kind: 'DataSource',
      metadata: { name: 'records' },
      spec: { type: 'CSV', connectionDetails: { files: { deploys: 'deploys.csv', outages: 'outages.csv', tickets: 'tickets.csv' }, timeZone: 'UTC' } },
    });
    assert.deepEqual(slos.map((s) => s.metadata.name), [...DEMO_SLO_NAMES]);
    for (const s of slos) {
      assert.equal(s.kind, 'SLO');
      assert.equal(s.spec.budgetingMethod, 'Occurrences');
      assert.deepEqual(s.spec.timeWindow, [{ duration: '1Y', isRolling: false, calendar: { startTime: '2025-01-01 00:00:00', timeZone: 'UTC' } }]);
    }
    const threshold = (i: number) => [slos[i].spec.indicator.spec.thresholdMetric.metricSource, slos[i].spec.objectives[0], slos[i].metadata.annotations['vigia.dev/statistic']];
    assert.deepEqual(threshold(0), [{ metricSourceRef: 'records', type: 'CSV', spec: { event: 'deploy_gap_hours' } }, { displayName: 'gap <= 3.5 h', op: 'lte', value: 3.5, target: 0.9 }, 'mean']);
    assert.deepEqual(threshold(1)[0].spec, { event: 'failures_per_deploy' });
    assert.deepEqual([threshold(1)[1].op, threshold(1)[1].value, threshold(1)[1].target, threshold(1)[2]], ['lte', 4.5, 0.9, 'mean']);
    assert.deepEqual(threshold(3)[0].spec, { event: 'ticket_resolution_hours' });
    assert.deepEqual([threshold(3)[1].op, threshold(3)[1].value, threshold(3)[1].target, threshold(3)[2]], ['lte', 36, 0.9, 'mean']);
    const ratio = slos[2].spec.indicator.spec.ratioMetric;
    assert.deepEqual(ratio.good.metricSource, { metricSourceRef: 'records', type: 'CSV', spec: { sli: 'availability', countClientErrors: false } });
    assert.deepEqual(ratio.total.metricSource.spec, { sli: 'availability' });
    assert.equal(slos[2].spec.objectives[0].target, 0.94);
  });
});

describe('writeDemo', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const tmp = async () => {
    const d = await mkdtemp(join(tmpdir(), 'vigia-demo-'));
    dirs.push(d);
    return d;
  };

  it('writes the four files (no temp files left), byte-identical for the same seed, different for another', async () => {
    const [a, b, c] = [await tmp(), await tmp(), await tmp()];
    const pa = await writeDemo(join(a, 'nested'), {});
    const pb = await writeDemo(b, { seed: DEFAULT_DEMO_SEED });
    const pc = await writeDemo(c, { seed: 1 });
    assert.deepEqual((await readdir(pa.dir)).sort(), ['deploys.csv', 'outages.csv', 'slos.yaml', 'tickets.csv']);
    for (const f of ['deploys', 'outages', 'tickets', 'spec'] as const) {
      const [x, y, z] = await Promise.all([readFile(pa[f]), readFile(pb[f]), readFile(pc[f])]);
      assert.ok(x.equals(y), `${f} differs for the same seed`);
      assert.ok(!x.equals(z), `${f} identical for another seed`);
    }
    assert.equal(await readFile(pa.tickets, 'utf8'), toCsv(demo.tickets));
    assert.equal(await readFile(pa.spec, 'utf8'), demoSpecYaml());
  });
});
