import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrayElement, arrayLiteral, bulkSource } from './bulk.js';
import { openPglite } from '../../core/db/pglite.js';

test('array elements are quoted for the array-literal grammar', () => {
  const cases: Array<[unknown, string]> = [
    [null, 'NULL'], [undefined, 'NULL'], [42, '42'], [1.5e21, '1.5e+21'], [true, 't'], [false, 'f'],
    ['/data', '"/data"'], ['NULL', '"NULL"'], ['a"b\\c', '"a\\"b\\\\c"'], ['', '""'], ['{x, y}', '"{x, y}"'],
    [{ k: 'v' }, '"{\\"k\\":\\"v\\"}"'],
  ];
  for (const [v, want] of cases) assert.equal(arrayElement(v), want, String(v));
  assert.throws(() => arrayElement(Number.NaN));
  assert.equal(arrayLiteral([1, null, 'x']), '{1,NULL,"x"}');
});

test('bulkSource round-trips awkward values through a real parser', async () => {
  const db = await openPglite();
  try {
    const rows = [
      { i: 1, s: 'plain', j: { a: 'b"c' }, t: '2026-12-01T00:00:00.000Z', b: true },
      { i: 2, s: 'quote " backslash \\ comma , brace } NULL', j: null, t: null, b: false },
      { i: 3, s: null, j: {}, t: '2026-12-31T23:59:59.999Z', b: null },
    ];
    const src = bulkSource([['i', 'int'], ['s', 'text'], ['j', 'jsonb'], ['t', 'timestamptz'], ['b', 'boolean']], rows);
    const out = await db.query<Record<string, unknown>>(`SELECT i, s, j, t, b FROM ${src.from} ORDER BY i`, src.params);
    assert.deepEqual(out.map((r) => r.s), rows.map((r) => r.s));
    assert.deepEqual(out.map((r) => r.j), rows.map((r) => r.j));
    assert.deepEqual(out.map((r) => (r.t instanceof Date ? r.t.toISOString() : r.t)), rows.map((r) => r.t));
    assert.deepEqual(out.map((r) => r.b), rows.map((r) => r.b));
  } finally {
    await db.close();
  }
});
