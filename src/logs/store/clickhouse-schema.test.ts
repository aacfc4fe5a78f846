import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localTable, queryTable, schemaStatements } from './clickhouse-schema.js';

test('one server: one MergeTree, daily partitions, ORDER BY (url, ts), TTL of the retention', () => {
  const layout = { database: 'logs', table: 'access_log', retentionDays: 30 };
  const ddl = schemaStatements(layout);
  assert.equal(ddl.length, 1);
  assert.match(ddl[0]!, /^CREATE TABLE IF NOT EXISTS `logs`\.`access_log` \(/);
  assert.match(ddl[0]!, /\nENGINE = MergeTree\nPARTITION BY toDate\(ts\)\nORDER BY \(url, ts\)\nTTL toDateTime\(ts\) \+ INTERVAL 30 DAY DELETE\n/);
  assert.match(ddl[0]!, /ttl_only_drop_parts = 1/);
  assert.doesNotMatch(ddl[0]!, /ON CLUSTER|Replicated|Distributed/);
  assert.equal(queryTable(layout), localTable(layout));
});

test('cluster: ReplicatedMergeTree on every shard ON CLUSTER, a Distributed table sharded by client', () => {
  const layout = { database: 'logs', table: 'access_log', retentionDays: 7, cluster: 'web_logs' };
  const [local, dist] = schemaStatements(layout);
  assert.match(local!, /^CREATE TABLE IF NOT EXISTS `logs`\.`access_log_local` ON CLUSTER `web_logs` \(/);
  assert.match(local!, /ENGINE = ReplicatedMergeTree\('\/clickhouse\/tables\/\{shard\}\/logs\/access_log_local', '\{replica\}'\)/);
  assert.match(local!, /INTERVAL 7 DAY/);
  assert.equal(dist, 'CREATE TABLE IF NOT EXISTS `logs`.`access_log` ON CLUSTER `web_logs` AS `logs`.`access_log_local`\n'
    + 'ENGINE = Distributed(`web_logs`, `logs`, `access_log_local`, cityHash64(client))');
  assert.equal(queryTable(layout), '`logs`.`access_log`');
  assert.equal(localTable(layout), '`logs`.`access_log_local`');
});

test('names that are not identifiers and retention out of range are refused, never quoted into DDL', () => {
  assert.throws(() => schemaStatements({ database: 'logs`; DROP', table: 't', retentionDays: 30 }), /not an identifier/);
  assert.throws(() => schemaStatements({ database: 'logs', table: 't', retentionDays: 30, cluster: "c') --" }), /not an identifier/);
  assert.throws(() => schemaStatements({ database: 'logs', table: 't', retentionDays: 0 }), /retention/);
  assert.throws(() => schemaStatements({ database: 'logs', table: 't', retentionDays: 1.5 }), /retention/);
});
