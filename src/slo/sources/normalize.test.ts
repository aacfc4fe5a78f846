import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HygieneLog, RequestFolder, deployNormalizer, outageNormalizer, parseStatus, tableColumns, ticketNormalizer,
} from './normalize.js';
import { createTimestampParser } from './timestamps.js';

const MAR1 = Date.UTC(2025, 2, 1);
const H = 3_600_000;
const open = { from: -Infinity, to: Infinity };
const parser = createTimestampParser();

describe('tableColumns', () => {
  it('maps fields to columns, defaulting to the field name', () => {
    assert.deepEqual(tableColumns('outages', { outages: { down: 'started' } }), [
      { field: 'down', column: 'started' }, { field: 'up', column: 'up' }, { field: 'code', column: 'code' },
    ]);
    assert.deepEqual(tableColumns('requests', {}).map((c) => c.column), ['time', 'status']);
  });
});

describe('deployNormalizer: one problem per row, first problem wins', () => {
  const row = (id: string, status: string | null, commit: string | null, deploy: string | null) => [id, 't', 'a', 'f', status, commit, deploy];
  const cases: Array<[string, Array<(string | null)[]>, number, Array<[string, number]>]> = [
    ['a good row', [row('1', 'success', '2025-03-01T00:00:00Z', '2025-03-01T01:00:00Z')], 1, []],
    ['status trimmed and lower-cased', [row('1', '  Success ', '2025-03-01T00:00:00Z', '2025-03-01T01:00:00Z')], 1, []],
    ['NULL status is unknown', [row('1', null, '2025-03-01T00:00:00Z', '2025-03-01T01:00:00Z')], 0, [['unknown_value', 1]]],
    ['unknown status beats a bad time', [row('1', 'ok', 'x', 'y')], 0, [['unknown_value', 1]]],
    ['NULL commit', [row('1', 'failure', null, '2025-03-01T01:00:00Z')], 0, [['unparsable_value', 1]]],
    ['deploy before commit', [row('1', 'failure', '2025-03-01T02:00:00Z', '2025-03-01T01:00:00Z')], 0, [['negative_duration', 1]]],
    ['deploy equal to commit is fine', [row('1', 'failure', '2025-03-01T01:00:00Z', '2025-03-01T01:00:00Z')], 1, []],
    ['duplicate id counted once', [row('1', 'success', '2025-03-01T00:00:00Z', '2025-03-01T01:00:00Z'), row('1', 'failure', '2025-03-01T00:00:00Z', '2025-03-01T03:00:00Z')], 1, [['duplicate_row', 1]]],
  ];
  for (const [name, rows, kept, findings] of cases) {
    it(name, () => {
      const log = new HygieneLog();
      const n = deployNormalizer(log, tableColumns('deploys', {}), open, parser);
      rows.forEach((r, i) => n.add(r, `r${i}`));
      assert.equal(n.finish().length, kept);
      assert.deepEqual(log.list().map((h) => [h.kind, h.rows]), findings);
    });
  }

  it('window: deploy_at in [from, to)', () => {
    const log = new HygieneLog();
    const n = deployNormalizer(log, tableColumns('deploys', {}), { from: MAR1, to: MAR1 + H }, parser);
    for (const [i, t] of ['2025-03-01T00:00:00Z', '2025-03-01T00:59:59Z', '2025-03-01T01:00:00Z', '2025-02-28T23:59:59Z'].entries()) n.add(row(String(i), 'success', '2025-02-01T00:00:00Z', t), `r${i}`);
    assert.deepEqual(n.finish().map((d) => d.id), ['0', '1']);
    assert.deepEqual(log.list().map((h) => [h.kind, h.rows, h.examples]), [['out_of_window', 2, ['r2', 'r3']]]);
  });
});

describe('mixed case', () => {
  it('counts rows not spelled in lower case, in families with several spellings', () => {
    const log = new HygieneLog();
    const n = ticketNormalizer(log, tableColumns('tickets', {}), open, parser);
    const states = ['Closed', 'closed', 'CLOSED', 'New', 'New', 'resolved'];
    states.forEach((s, i) => n.add([`T${i}`, '', '', '', '', '', s, '2025-03-01T00:00:00Z', '2025-03-01T01:00:00Z'], `r${i}`));
    assert.deepEqual(n.finish().map((t) => t.state), ['closed', 'closed', 'closed', 'new', 'new', 'resolved']);
    // "New" is always spelled the same: normalised, not mixed. closed: 2 rows not in lower case.
    assert.deepEqual(log.list(), [{ table: 'tickets', kind: 'mixed_case_value', rows: 2, message: 'state spelled in several cases (read as lower case): "CLOSED", "Closed", "closed"', examples: ['r0', 'r2'] }]);
  });
});

describe('ticketNormalizer windows and open tickets', () => {
  const cases: Array<[string, string, string, 'kept' | 'open' | 'out']> = [
    ['closed inside', '2025-03-01T01:00:00Z', '2025-03-01T02:00:00Z', 'kept'],
    ['opened before, closed inside', '2025-02-01T00:00:00Z', '2025-03-01T02:00:00Z', 'kept'],
    ['opened before, closed before', '2025-02-01T00:00:00Z', '2025-02-28T23:59:59Z', 'out'],
    ['opened after', '2025-03-02T00:00:00Z', '2025-03-02T01:00:00Z', 'out'],
    ['open, opened before', '2025-02-01T00:00:00Z', '', 'open'],
    ['open, opened after', '2025-03-02T00:00:00Z', '', 'out'],
  ];
  for (const [name, opened, closed, want] of cases) {
    it(name, () => {
      const log = new HygieneLog();
      const n = ticketNormalizer(log, tableColumns('tickets', {}), { from: MAR1, to: MAR1 + 24 * H }, parser);
      n.add(['T', '', '', '', '', '', 'new', opened, closed], 'r');
      const rows = n.finish();
      const kinds = log.list().map((h) => h.kind);
      if (want === 'out') assert.deepEqual([rows.length, kinds], [0, ['out_of_window']]);
      else if (want === 'open') assert.deepEqual([rows.length, rows[0]!.closedAt, kinds], [1, null, ['open_ticket']]);
      else assert.deepEqual([rows.length, kinds], [1, []]);
    });
  }
});

describe('outageNormalizer overlaps', () => {
  const cases: Array<[string, Array<[string, string]>, number]> = [
    ['disjoint', [['00:00', '01:00'], ['02:00', '03:00']], 0],
    ['touching is not overlapping', [['00:00', '01:00'], ['01:00', '02:00']], 0],
    ['nested', [['00:00', '05:00'], ['01:00', '02:00'], ['03:00', '04:00']], 2],
    ['chain', [['00:00', '02:00'], ['01:00', '03:00'], ['02:30', '04:00']], 2],
    ['after an open outage everything overlaps', [['00:00', ''], ['05:00', '06:00']], 1],
    ['input order does not matter', [['01:00', '03:00'], ['00:00', '02:00']], 1],
  ];
  for (const [name, spans, overlapping] of cases) {
    it(name, () => {
      const log = new HygieneLog();
      const n = outageNormalizer(log, tableColumns('outages', {}), open, parser);
      spans.forEach(([d, u], i) => n.add([`2025-03-01T${d}:00Z`, u ? `2025-03-01T${u}:00Z` : null, '503'], `r${i}`));
      const rows = n.finish();
      assert.equal(rows.length, spans.length);
      assert.ok(rows.every((r, i) => i === 0 || rows[i - 1]!.down <= r.down));
      assert.equal(log.list().find((h) => h.kind === 'overlapping_outages')?.rows ?? 0, overlapping);
    });
  }

  it('identical outages are one; same times with another code are two', () => {
    const log = new HygieneLog();
    const n = outageNormalizer(log, tableColumns('outages', {}), open, parser);
    n.add(['2025-03-01T00:00:00Z', '2025-03-01T01:00:00Z', '503'], 'a');
    n.add(['2025-03-01 00:00:00', '2025-03-01T02:00:00+01:00', ' 503 '], 'b');
    n.add(['2025-03-01T00:00:00Z', '2025-03-01T01:00:00Z', '500'], 'c');
    assert.equal(n.finish().length, 2);
    // Equal intervals sort by code: 500 (c) first, so 503 (a) is the one that overlaps.
    assert.deepEqual(log.list().map((h) => [h.kind, h.rows, h.examples]), [['duplicate_row', 1, ['b']], ['overlapping_outages', 1, ['a']]]);
  });
});

describe('parseStatus', () => {
  const cases: Array<[string | null, number]> = [
    ['200', 200], [' 503 ', 503], ['100', 100], ['599', 599], ['404', 404],
    ['099', -1], ['600', -1], ['20', -1], ['2000', -1], ['2xx', -1], ['', -1], [null, -1], ['200.0', -1], ['+200', -1],
  ];
  for (const [text, want] of cases) it(JSON.stringify(text), () => assert.equal(parseStatus(text), want));
});

describe('RequestFolder', () => {
  it('folds into minute buckets relative to an unaligned start, and bad codes per UTC month', () => {
    const log = new HygieneLog();
    const from = Date.UTC(2025, 0, 31, 23, 58, 30); // buckets start at :30 seconds
    const f = new RequestFolder({ from, to: from + 4 * 60_000 }, log, tableColumns('requests', {}), (l) => `req:${l}`);
    assert.equal(f.buckets, 4);
    f.add(from, 200, 1); // bucket 0
    f.add(from + 59_999, 503, 2); // bucket 0, January
    f.add(from + 60_000, 404, 3); // bucket 1 = 23:59:30, January
    f.add(Date.UTC(2025, 1, 1), 500, 4); // 00:00:00 Feb 1 = from + 90 s: bucket 1
    f.add(from + 4 * 60_000 - 1, 429, 5); // last bucket, February
    f.add(from + 4 * 60_000, 500, 6); // outside
    f.add(from - 1, 500, 7); // outside
    f.badTime(1, 8);
    f.badStatus(2);
    const s = f.finish();
    assert.deepEqual([...s.total], [2, 2, 0, 1]);
    assert.deepEqual([...s.serverErrors], [1, 1, 0, 0]);
    assert.deepEqual([...s.clientErrors], [0, 1, 0, 1]);
    assert.equal(s.rows, 5);
    assert.deepEqual([...s.badByCodeMonth].map(([m, c]) => [m, [...c]]), [['2025-01', [['404', 1], ['503', 1]]], ['2025-02', [['429', 1], ['500', 1]]]]);
    assert.deepEqual(log.list().map((h) => [h.kind, h.rows, h.examples]), [
      ['unparsable_value', 2, []], // status
      ['unparsable_value', 1, ['req:8']], // time
      ['out_of_window', 2, ['req:6', 'req:7']],
    ]);
  });

  it('pre-aggregated input (SQL) gives the same series', () => {
    const log = new HygieneLog();
    const f = new RequestFolder({ from: 0, to: 180_000 }, log, tableColumns('requests', {}));
    f.addBucket(0, 2, 3);
    f.addBucket(0, 5, 1);
    f.addBucket(2, 4, 2);
    f.addBadCodes('1970-01', 503, 1);
    f.addBadCodes('1970-01', 404, 2);
    f.outside(4);
    const s = f.finish();
    assert.deepEqual([[...s.total], [...s.serverErrors], [...s.clientErrors], s.rows], [[4, 0, 2], [1, 0, 0], [0, 0, 2], 6]);
    assert.deepEqual([...s.badByCodeMonth.get('1970-01')!], [['404', 2], ['503', 1]]);
    assert.deepEqual(log.list().map((h) => [h.kind, h.rows]), [['out_of_window', 4]]);
  });

  it('needs a finite window', () => {
    assert.throws(() => new RequestFolder({ from: 0, to: Infinity }, new HygieneLog(), tableColumns('requests', {})), /finite/);
    assert.throws(() => new RequestFolder({ from: 10, to: 10 }, new HygieneLog(), tableColumns('requests', {})), /finite/);
  });
});
