import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import type { DeployRow, OutageRow, SloDefinition, TicketRow } from '../model.js';
import { buildReport } from './build-report.js';
import { parseLast, parsePeriod } from './period.js';
import { renderHtml } from './render-html.js';
import { renderJson } from './render-json.js';
import { renderMarkdown, renderText } from './render-text.js';
import { renderReport } from './run-report.js';

const H = 3_600_000;
const T = (iso: string): number => Date.parse(iso);

test('periods: year, quarter, month, range and --last, in a time zone; bad ones are refused with the flag named', () => {
  const y = parsePeriod('2025', 'UTC');
  assert.deepEqual([new Date(y.from).toISOString(), new Date(y.to).toISOString(), y.label], ['2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2025']);
  const q = parsePeriod('2025-q4', 'Europe/Madrid');
  assert.deepEqual([new Date(q.from).toISOString(), new Date(q.to).toISOString(), q.label], ['2025-09-30T22:00:00.000Z', '2025-12-31T23:00:00.000Z', '2025-Q4']);
  const m = parsePeriod('2024-02', 'UTC');
  assert.equal((m.to - m.from) / (24 * H), 29, 'leap February');
  const r = parsePeriod('2025-01-01..2025-07-01', 'UTC');
  assert.equal((r.to - r.from) / (24 * H), 181);
  const l = parseLast('365d', T('2026-01-01T00:00:00Z'), 'UTC');
  assert.equal(new Date(l.from).toISOString(), '2025-01-01T00:00:00.000Z');
  assert.equal(l.label, 'last 365d');
  for (const [bad, flag] of [['2025-13', '--period'], ['last year', '--period'], ['2025-07-01..2025-01-01', '--period'], ['2000-01-01..2025-01-01', '--period']] as const) {
    assert.throws(() => parsePeriod(bad, 'UTC'), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && (e as Error).message.includes(`${flag}: `), bad);
  }
  assert.throws(() => parseLast('1 year', 0, 'UTC'), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /--last/.test((e as Error).message));
});

test('periods outside the accepted days (1970-01-01..2999-12-31) or naming days that do not exist are refused, not shifted', () => {
  // Date.UTC reads years 0-99 as 1900-1999 and rolls 2025-02-30 over to March 2: both once passed silently.
  for (const bad of ['0000', '0099-03', '9999-Q4', '0000-01-01..0001-01-01', '2025-02-30..2025-04-01', '2025-01-01..2025-13-01']) {
    assert.throws(() => parsePeriod(bad, 'UTC'), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /--period: /.test((e as Error).message) && /1970-01-01/.test((e as Error).message), bad);
  }
  assert.equal(new Date(parsePeriod('1970', 'UTC').from).toISOString(), '1970-01-01T00:00:00.000Z');
});

const def = (name: string, sli: SloDefinition['sli'], o: SloDefinition['objectives'][number]): SloDefinition => ({
  name, service: 'platform', displayName: `<${name}>`, description: '', sli, budgeting: 'Occurrences', objectives: [o],
  window: { duration: { count: 1, unit: 'Y' }, isRolling: false, timeZone: 'UTC', start: '2025-01-01 00:00:00' }, source: 'mem', labels: {},
});

function sample() {
  const tickets: TicketRow[] = [];
  for (let i = 0; i < 40; i++) {
    const slow = i % 4 === 0;
    const opened = T('2025-01-03T00:00:00Z') + i * 7 * 24 * H;
    tickets.push({ number: `INC${i}`, caller: 'c', category: slow ? 'Network' : 'Software', subcategory: 'x', symptom: slow ? 'VPN drops' : 'crash', assignmentGroup: slow ? 'Network L2' : 'App L1', state: 'closed', openedAt: opened, closedAt: opened + (slow ? 120 : 12) * H });
  }
  // Two open tickets: the records reach the whole year (coverage is the span the records cover).
  for (const [n, at] of [['INC-first', '2024-12-31T12:00:00Z'], ['INC-last', '2025-12-31T12:00:00Z']] as const) {
    tickets.push({ number: n, caller: 'c', category: 'Software', subcategory: 'x', symptom: 'crash', assignmentGroup: 'App L1', state: 'new', openedAt: T(at), closedAt: null });
  }
  const outages: OutageRow[] = [{ down: T('2025-03-01T00:00:00Z'), up: T('2025-03-01T05:00:00Z'), code: '503' }];
  const deploys: DeployRow[] = [];
  for (let i = 0; i < 100; i++) deploys.push({ id: `d${i}`, team: i % 10 === 0 ? 'payments' : 'search', area: 'core', feature: `f${i % 5}`, status: i % 10 === 0 ? 'failure' : 'success', commitAt: T('2025-02-01T00:00:00Z') + i * 24 * H - 5 * H, deployAt: T('2025-02-01T00:00:00Z') + i * 24 * H });
  const slos = [
    def('resolution', { kind: 'threshold', event: 'ticket_resolution_hours' }, { displayName: 'o', target: 0.9, op: 'lte', threshold: 36, statistic: 'mean' }),
    def('availability', { kind: 'availability', countClientErrors: false }, { displayName: 'o', target: 0.94 }),
  ];
  return buildReport(
    { slos, data: new Map([['records', { tickets, outages, deploys, hygiene: [{ table: 'tickets', kind: 'open_ticket', rows: 2, message: '2 tickets still open', examples: ['tickets.csv:7'] }] }]]), defaultSource: 'records' },
    parsePeriod('2025', 'UTC'),
    T('2026-01-02T00:00:00Z'),
  );
}

test('the report: one entry per objective, verdicts, recommendations from the data, DORA, hygiene', () => {
  const r = sample();
  assert.equal(r.entries.length, 2);
  const [res, avail] = r.entries;
  // Mean resolution: 10 of 40 tickets at 120 h, 30 at 12 h -> 39 h > 36 h.
  assert.equal(res!.value, 39);
  assert.equal(res!.met, false);
  assert.ok(res!.recommendations.some((t) => t.includes('"Network L2"') && t.includes('12.0 h') && t.includes('(met)')), res!.recommendations.join('\n'));
  assert.equal(avail!.met, true);
  // Met with 98 % of the budget left: no hunting for causes, a hint that the objective may be loose.
  assert.deepEqual(avail!.recommendations, ['Met with more than half of the budget left: the objective may be looser than users need; consider tightening it or spending the budget on faster change.']);
  assert.equal(avail!.drivers[0]?.value, '503', 'the drivers are still in the data (JSON)');
  assert.equal(r.dora?.deploys, 100);
  assert.equal(r.dora?.failedDeploys, 10);
  assert.equal(r.doraRestoreFrom, 'outages');
  assert.equal(r.dora?.timeToRestoreHours.median, 5);
  assert.equal(r.hygiene.length, 1);
});

test('text, Markdown, HTML and JSON say the same thing', () => {
  const r = sample();
  const text = renderText(r);
  assert.match(text, /2 objective\(s\): 1 met, 1 not met\./);
  assert.match(text, /platform \/ resolution\s+mean ≤ 36 h\s+mean 39\.0 h\s+NOT MET\s+−3\.00 h/);
  assert.match(text, /== DORA four keys/);
  assert.match(text, /open ticket\s+2\s+2 tickets still open\s+tickets\.csv:7/);
  const md = renderMarkdown(r);
  assert.match(md, /^# Service level review: 2025 /m);
  assert.match(md, /\| SLO \| objective \| measured \| result \| margin \| budget left \| burn rate \|/);
  assert.match(md, /\| 2025-03 \| 99\.33 % \|/, 'March of the availability table: 5 h down of 744 h');
  const html = renderHtml(r);
  assert.equal(html.match(/<svg /g)?.length, 4, 'two charts per SLO');
  assert.ok(html.includes('&lt;resolution&gt;') && !html.includes('<resolution>'), 'names are escaped');
  assert.match(html, /<td class="bad">NOT MET<\/td>/);
  const json = JSON.parse(renderJson(r));
  assert.equal(json.schema, 'vigia.slo.report/v1');
  assert.equal(json.slos.length, 2);
  assert.equal(json.slos[0].value, 39);
  assert.equal(json.period.from, '2025-01-01T00:00:00.000Z');
  assert.ok(!renderJson(r).includes('NaN'));
});

test('record fields (ticket groups, hygiene examples) reach no rendering with a raw control or bidi character', () => {
  const evil = 'Net\u001b]8;;http://evil\u0007work\u202e L2';
  const base = sample();
  const r = buildReport(
    {
      slos: [def('resolution', { kind: 'threshold', event: 'ticket_resolution_hours' }, { displayName: 'o', target: 0.9, op: 'lte', threshold: 36, statistic: 'mean' })],
      data: new Map([['records', {
        tickets: Array.from({ length: 40 }, (_, i) => ({ number: `INC${i}`, caller: 'c', category: 'Network', subcategory: 'x', symptom: evil, assignmentGroup: i % 4 === 0 ? evil : 'App L1', state: 'closed', openedAt: T('2025-01-03T00:00:00Z') + i * 7 * 24 * H, closedAt: T('2025-01-03T00:00:00Z') + i * 7 * 24 * H + (i % 4 === 0 ? 120 : 12) * H })),
        outages: [],
        deploys: [],
        hygiene: [{ table: 'tickets', kind: 'open_ticket', rows: 1, message: `open: ${evil}`, examples: [`tickets.csv:7 ${evil}`] }],
      }]]),
      defaultSource: 'records',
    },
    base.period,
    T('2026-01-02T00:00:00Z'),
  );
  assert.ok(r.entries[0]!.recommendations.some((t) => t.includes('\u202e')), 'the report itself carries the record text');
  for (const format of ['text', 'markdown', 'html', 'json'] as const) {
    const out = renderReport(r, format);
    const m = /[\p{Cc}\p{Cf}\u2028\u2029]/u.exec(out.replace(/\n/g, ''));
    assert.equal(m, null, `${format} holds a raw U+${m?.[0].codePointAt(0)?.toString(16)}`);
    assert.ok(out.includes('\\u202e'), `${format} shows it escaped`);
  }
  assert.equal(JSON.parse(renderReport(r, 'json')).slos[0].recommendations.some((t: string) => t.includes(evil)), true, 'JSON keeps the value');
});
