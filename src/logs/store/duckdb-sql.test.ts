import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seriesSql, urlKey, whoSql } from './duckdb-sql.js';

test('urlKey is 32-bit FNV-1a (stored on disk: it must never change), as a signed integer', () => {
  // Published FNV-1a 32 test vectors: '' -> 0x811c9dc5, 'a' -> 0xe40c292c, 'foobar' -> 0xbf9cf968.
  assert.equal(urlKey(''), 0x811c9dc5 | 0);
  assert.equal(urlKey('a'), 0xe40c292c | 0);
  assert.equal(urlKey('foobar'), 0xbf9cf968 | 0);
  assert.ok(Number.isInteger(urlKey('/ünïcødé/😀')) && urlKey('/ünïcødé/😀') >= -(2 ** 31) && urlKey('/ünïcødé/😀') < 2 ** 31);
});

test('the SQL takes every value as a numbered parameter, in the documented order', () => {
  assert.match(whoSql(false), /url_key = \$5::INTEGER AND url = \$3/);
  assert.match(whoSql(true), /url >= \$3 AND starts_with\(url, \$3\)/);
  assert.match(seriesSql({ url: 'exact', ip: true, status: true }), /url_key = \$4::INTEGER AND url = \$3 AND client = \$5 AND status = \$6/);
  assert.match(seriesSql({ url: 'prefix', ip: false, status: true }), /starts_with\(url, \$3\) AND status = \$4/);
});
