import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../../core/errors.js';
import { parseIpArg } from './ip-arg.js';
import { parseLimit, parseQueryFlags, parseSource } from './query-options.js';
import { normaliseUrlArg } from './url-arg.js';

const config = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && re.test(e.message));

test('parseSource: data dir by default, --store URL, --server with its token file; two sources refused', () => {
  assert.deepEqual(parseSource({ dataDir: 'data/logs' }, false), { kind: 'data-dir', dataDir: 'data/logs' });
  assert.deepEqual(parseSource({ dataDir: 'data/logs', store: 'clickhouse://ch:8123/logs' }, false), { kind: 'store', url: 'clickhouse://ch:8123/logs' });
  assert.deepEqual(parseSource({ dataDir: 'data/logs', server: 'http://c:9440', tokenFile: 't' }, false), { kind: 'server', url: 'http://c:9440', tokenFile: 't' });
  config(() => parseSource({ server: 'http://c', store: 'http://d' }, false), /--server and --store/);
  config(() => parseSource({ dataDir: 'x', store: 'http://d' }, true), /--data-dir and --store/);
  config(() => parseSource({ dataDir: 'x', tokenFile: 't' }, false), /--token-file goes with --server/);
});

test('parseLimit: 1..10000 whole numbers', () => {
  assert.equal(parseLimit('10'), 10);
  assert.equal(parseLimit('10000'), 10000);
  for (const bad of ['0', '10001', '-1', '1.5', 'ten', '']) config(() => parseLimit(bad), /--limit/);
});

test('parseQueryFlags: range, limit, format and source together, frozen', () => {
  const now = Date.UTC(2026, 11, 7);
  const f = parseQueryFlags({ since: '1h', limit: '5', format: 'csv', dataDir: 'data/logs' }, now, false);
  assert.equal(f.range.from, now - 3_600_000);
  assert.equal(f.limit, 5);
  assert.equal(f.format, 'csv');
  assert.ok(Object.isFrozen(f));
});

test('normaliseUrlArg: a pasted link becomes its path, a query string is dropped with a note', () => {
  assert.deepEqual(normaliseUrlArg('/a/b'), { url: '/a/b', note: null });
  assert.equal(normaliseUrlArg('https://shop.example/cart?id=3').url, '/cart');
  assert.equal(normaliseUrlArg('http://shop.example').url, '/');
  assert.match(normaliseUrlArg('/x?y=1').note!, /asking about \/x/);
  config(() => normaliseUrlArg(''), /--url: must not be empty/);
  config(() => normaliseUrlArg('/'.repeat(9000)), /--url: longer/);
});

test('parseIpArg: printable, short; blanks and controls refused', () => {
  assert.equal(parseIpArg(' 2001:db8::1 '), '2001:db8::1');
  assert.equal(parseIpArg('203.0.113.0'), '203.0.113.0');
  for (const bad of ['', 'a b', '1.2.3.4\u001b', 'x'.repeat(65)]) config(() => parseIpArg(bad), /--ip/);
});
