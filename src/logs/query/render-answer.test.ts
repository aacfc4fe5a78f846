import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv } from '../../core/csv.js';
import type { StatusMix, WhoResult } from '../store/log-store.js';
import { renderSeries, renderTop, renderVisits, renderWho, tableTime } from './render-answer.js';
import { cut, renderTable } from './text-table.js';

const mix = (o: Partial<StatusMix>): StatusMix => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, other: 0, ...o });
const WHO: WhoResult = {
  url: '/download/report.pdf',
  clients: [
    { ip: '2001:db8::7', hits: 12, first_seen: '2026-12-07T03:04:05.000Z', last_seen: '2026-12-07T10:00:00.500Z', status: mix({ '2xx': 10, '4xx': 2 }) },
    { ip: '203.0.113.9', hits: 1, first_seen: '2026-12-07T04:00:00.000Z', last_seen: '2026-12-07T04:00:00.000Z', status: mix({ '5xx': 1 }) },
  ],
};
const ctx = { describe: 'in the last 24h', limit: 100 };

test('json is exactly the store answer', () => {
  assert.deepEqual(JSON.parse(renderWho(WHO, 'json', { ...ctx, prefix: false })), WHO);
  const top = { by: 'urls' as const, rows: [{ key: '/', hits: 3 }] };
  assert.deepEqual(JSON.parse(renderTop(top, 'json', ctx)), top);
});

test('who as a table: aligned columns, UTC times without the T, a total line', () => {
  const text = renderWho(WHO, 'table', { ...ctx, prefix: false });
  const lines = text.split('\n');
  assert.match(lines[0]!, /^CLIENT\s+HITS\s+FIRST SEEN \(UTC\)\s+LAST SEEN \(UTC\)\s+2XX\s+3XX\s+4XX\s+5XX\s+OTHER$/);
  assert.match(lines[1]!, /^2001:db8::7\s+12\s+2026-12-07 03:04:05\s+2026-12-07 10:00:00\s+10\s+0\s+2\s+0\s+0$/);
  // HITS is right-aligned: both rows end the column at the same place.
  assert.equal(lines[1]!.indexOf('12') + 2, lines[2]!.indexOf(' 1 ') + 2);
  assert.match(text, /2 clients visited \/download\/report\.pdf in the last 24h \(13 hits shown\)/);
  assert.doesNotMatch(text, /--limit/);
  assert.match(renderWho(WHO, 'table', { ...ctx, limit: 2, prefix: true }), /URLs under \/download\/report\.pdf[\s\S]*--limit 2 cut the list/);
  assert.equal(renderWho({ url: '/x', clients: [] }, 'table', { ...ctx, prefix: false }), 'no client visited /x in the last 24h\n');
});

test('csv: every field, formula guard on logged values, control characters visible', () => {
  const rows = parseCsv(renderWho(WHO, 'csv', { ...ctx, prefix: false }));
  assert.deepEqual(rows[0], ['ip', 'hits', 'first_seen', 'last_seen', '1xx', '2xx', '3xx', '4xx', '5xx', 'other']);
  assert.deepEqual(rows[1], ['2001:db8::7', '12', '2026-12-07T03:04:05.000Z', '2026-12-07T10:00:00.500Z', '0', '10', '0', '2', '0', '0']);
  const hostile = renderTop({ by: 'agents', rows: [{ key: '=cmd|" /C calc"!A0', hits: 2 }, { key: ' @SUM(1)', hits: 1 }, { key: 'x\u001b]8;;http://evil\u0007y', hits: 1 }] }, 'csv', ctx);
  const cells = parseCsv(hostile).slice(1).map((r) => r[0]);
  assert.deepEqual(cells, [`'=cmd|" /C calc"!A0`, "' @SUM(1)", 'x\\x1b]8;;http://evil\\x07y']);
});

test('hostile URLs and agents cannot drive the terminal or break the table; long ones are cut with …', () => {
  const agent = `Mozilla\u001b[2J\u202e${'A'.repeat(300)}`;
  const text = renderTop({ by: 'agents', rows: [{ key: agent, hits: 5 }, { key: 'curl/8\r\nfake row', hits: 1 }] }, 'table', ctx);
  assert.doesNotMatch(text, /[\u001b\u202e\r]/);
  assert.match(text, /Mozilla\\x1b\[2J\\u202eA+… +5\n/);
  assert.equal(text.split('\n').length, 4, text);
  assert.ok(text.split('\n').every((l) => [...l].length <= 100 + 2 + 4), 'cut to the column width');
  const json = renderVisits({ ip: '1.2.3.4', urls: [{ url: '/a\u009b31m', hits: 1, first_seen: 'x', last_seen: 'x', status: mix({}) }] }, 'json', ctx);
  assert.doesNotMatch(json, /\u009b/);
  assert.equal(JSON.parse(json).urls[0].url, '/a\u009b31m');
});

test('series: one row a minute with a bar, empty said in words; csv and json as answered', () => {
  const s = { step_seconds: 60 as const, points: [{ t: '2026-12-07T10:00:00.000Z', hits: 4 }, { t: '2026-12-07T10:03:00.000Z', hits: 2 }] };
  const text = renderSeries(s, 'table', ctx);
  assert.match(text, /2026-12-07 10:00\s+4\s+#{40}\n/);
  assert.match(text, /2026-12-07 10:03\s+2\s+#{20}\n/);
  assert.match(text, /6 hits in 2 minutes with hits in the last 24h/);
  assert.deepEqual(parseCsv(renderSeries(s, 'csv', ctx)), [['t', 'hits'], ['2026-12-07T10:00:00.000Z', '4'], ['2026-12-07T10:03:00.000Z', '2']]);
  assert.equal(renderSeries({ step_seconds: 60, points: [] }, 'table', ctx), 'no hits in the last 24h\n');
});

test('table helpers: cut counts code points; times print without T and Z', () => {
  assert.equal(cut('abcdef', 4), 'abc…');
  assert.equal(cut('héllo', 5), 'héllo');
  assert.equal(cut('😀😀😀', 2), '😀…');
  assert.equal(tableTime('2026-12-07T03:04:05.000Z'), '2026-12-07 03:04:05');
  assert.equal(renderTable([{ header: 'A' }, { header: 'N', right: true }], [['x', 1], ['long', 100]]), 'A       N\nx       1\nlong  100\n');
});
