import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../../core/errors.js';
import { parseRedisStoreUrl, redact } from './redis-url.js';

test('single redis with defaults', () => {
  const u = parseRedisStoreUrl('redis://127.0.0.1:6379');
  assert.deepEqual(u.nodes, [{ host: '127.0.0.1', port: 6379 }]);
  assert.equal(u.replicas, 0);
  assert.equal(u.db, 0);
  assert.equal(u.prefix, 'turno:');
  assert.equal(u.timeoutMs, 1000);
});

test('password, db and params', () => {
  const u = parseRedisStoreUrl('redis://app:s%40cret@redis.local:6380/2?replicas=1&waitTimeoutMs=50&prefix=q:');
  assert.equal(u.username, 'app');
  assert.equal(u.password, 's@cret');
  assert.equal(u.db, 2);
  assert.equal(u.replicas, 1);
  assert.equal(u.waitTimeoutMs, 50);
  assert.equal(u.prefix, 'q:');
});

test('shards and cluster take host lists', () => {
  assert.equal(parseRedisStoreUrl('redis-shards://a:1,b:2,c:3').nodes.length, 3);
  assert.equal(parseRedisStoreUrl('redis-cluster://[::1]:7000,a:7001').nodes[0]!.host, '::1');
});

test('bad urls are config errors that never echo the password', () => {
  const bad = [
    'redis://a:1,b:2',
    'redis://host',
    'redis://host:99999',
    'redis://h:1?replica=1',
    'redis://h:1?replicas=x',
    'redis://h:1?replicas=99',
    'redis-cluster://a:1?replicas=1',
    'redis-cluster://a:1/3',
    'redis://:hunter2@h?x',
    'http://h:1',
  ];
  for (const url of bad) {
    assert.throws(() => parseRedisStoreUrl(url), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && !e.message.includes('hunter2'), url);
  }
});

test('redact hides passwords in store URLs', () => {
  assert.equal(redact('redis://app:hunter2@h:1/0?replicas=1'), 'redis://app:***@h:1/0?replicas=1');
  assert.equal(redact('redis://:hunter2@h:1'), 'redis://:***@h:1');
  assert.equal(redact('redis://h:1'), 'redis://h:1');
});
