import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrayElement, arrayLiteral, bulkSource, copyField, copyText } from './bulk.js';
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

test('copyText round-trips awkward values through COPY on PGlite', async () => {
  const db = await openPglite();
  try {
    await db.exec('CREATE TABLE c (i int, s text, f float8, t timestamptz, b boolean)');
    const rows = [
      { i: 1, s: 'tab\there, newline\nand CR\r', f: 1.5e21, t: '2026-12-01T00:00:00.000Z', b: true },
      { i: 2, s: 'backslash \\ and \\N and \\t literally', f: -0.25, t: null, b: false },
      { i: 3, s: '\\N', f: null, t: '2026-12-31T23:59:59.999Z', b: null },
      { i: 4, s: null, f: 0, t: null, b: null },
      { i: 5, s: 'ünïcødé 漢字 "quotes" {braces}', f: 3, t: null, b: true },
    ];
    assert.equal(copyField(null), '\\N');
    assert.throws(() => copyField(Number.POSITIVE_INFINITY));
    await db.transaction((tx) => tx.copyFrom!('c (i, s, f, t, b)', copyText(['i', 's', 'f', 't', 'b'], rows)));
    const out = await db.query<Record<string, unknown>>('SELECT i, s, f, t, b FROM c ORDER BY i');
    assert.deepEqual(out.map((r) => r.s), rows.map((r) => r.s));
    assert.deepEqual(out.map((r) => r.f), rows.map((r) => r.f));
    assert.deepEqual(out.map((r) => (r.t instanceof Date ? r.t.toISOString() : r.t)), rows.map((r) => r.t));
    assert.deepEqual(out.map((r) => r.b), rows.map((r) => r.b));
  } finally {
    await db.close();
  }
});
