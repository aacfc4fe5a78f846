import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClickHouseStoreUrl } from './clickhouse-options.js';

test('URL forms: database from the path or database=, clickhouse:// is HTTP on 8123, defaults', () => {
  const a = parseClickHouseStoreUrl('http://ch.example:8123/weblogs');
  assert.equal(a.endpoint.origin, 'http://ch.example:8123');
  assert.equal(a.endpoint.database, 'weblogs');
  assert.equal(a.endpoint.user, 'default');
  assert.equal(a.endpoint.password, '');
  assert.equal(a.endpoint.timeoutMs, 30_000);
  assert.deepEqual(a.layout, { database: 'weblogs', table: 'access_log', retentionDays: 30 });
  assert.equal(a.createSchema, true);
  const b = parseClickHouseStoreUrl('clickhouse://reader@10.0.0.5/?database=x&table=t&cluster=c&timeout_ms=5000&retention_days=90', { password: 'from-file', createSchema: false });
  assert.equal(b.endpoint.origin, 'http://10.0.0.5:8123');
  assert.equal(b.endpoint.user, 'reader');
  assert.equal(b.endpoint.password, 'from-file');
  assert.equal(b.endpoint.timeoutMs, 5000);
  assert.deepEqual(b.layout, { database: 'x', table: 't', retentionDays: 90, cluster: 'c' });
  assert.equal(b.createSchema, false);
  assert.equal(parseClickHouseStoreUrl('https://[::1]:8443').endpoint.origin, 'https://[::1]:8443');
  assert.equal(parseClickHouseStoreUrl('http://h/', { cluster: 'opt', retentionDays: 3 }).layout.cluster, 'opt');
});

test('bad URLs: one catalogued error naming --store and what is wrong, never the password', () => {
  const cases: [string, string, RegExp][] = [
    ['not a url', 'LOGS_ERR_STORE_URL', /not a URL/],
    ['redis://h', 'LOGS_ERR_STORE_URL', /redis:\/\/ is not a ClickHouse URL/],
    ['http://h/db?foo=1', 'VIGIA_ERR_CONFIG', /--store: unknown parameter "foo"/],
    ['http://h/db-name', 'VIGIA_ERR_CONFIG', /the database must be letters/],
    ['http://h/db?table=a.b', 'VIGIA_ERR_CONFIG', /table=/],
    ['http://h/db?timeout_ms=abc', 'VIGIA_ERR_CONFIG', /timeout_ms= must be an integer/],
    ['http://h/db?retention_days=0', 'VIGIA_ERR_CONFIG', /--retention-days/],
    ['http://u:hunter2@h/db?cluster=a-b', 'VIGIA_ERR_CONFIG', /--cluster/],
  ];
  for (const [url, code, message] of cases) {
    assert.throws(() => parseClickHouseStoreUrl(url), (err: Error & { code?: string }) => {
      assert.equal(err.code, code, url);
      assert.match(err.message, message, url);
      assert.ok(!err.message.includes('hunter2'), url);
      return true;
    });
  }
});
