/**
 * Every Redis-backed store against real redis-server processes started here: the shared contract,
 * then what is specific to each (WAIT with replicas, failover, shard topology, cluster, no blind resend).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { isVigiaError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';
import { runStoreContract } from '../../src/turno/store-contract.js';
import { openRedisClusterStore, openRedisShardsStore, openRedisStore } from '../../src/turno/stores/redis-store.js';
import { requireBinary } from '../support/binaries.js';
import { waitFor } from '../support/wait.js';
import { startRedis, type TestRedis } from '../support/redis.js';

const log = silentLogger();
const started: TestRedis[] = [];
const redis = async (...args: Parameters<typeof startRedis>): Promise<TestRedis> => {
  const r = await startRedis(...args);
  started.push(r);
  return r;
};
test.after(async () => {
  await Promise.all(started.map((r) => r.stop()));
});

let single: TestRedis;
describe('redis', () => {
before(async () => {
  single = await redis({ appendfsync: 'always' });
});
runStoreContract('redis', {
  open: () => openRedisStore(single.url, log),
  reopen: async (s) => {
    await s.close();
    return openRedisStore(single.url, log);
  },
});
});

let waitUrl: string;
describe('redis with WAIT', () => {
before(async () => {
  const primary = await redis({ appendfsync: 'always' });
  const replica = await redis({ replicaOf: primary.port });
  await waitFor('replica link up', () => /master_link_status:up/.test(replica.cli('INFO', 'replication')), 30_000);
  waitUrl = `${primary.url}?replicas=1&waitTimeoutMs=1000`;
});
runStoreContract('redis with WAIT for 1 replica', {
  open: () => openRedisStore(waitUrl, log),
  reopen: async (s) => {
    await s.close();
    return openRedisStore(waitUrl, log);
  },
});
});

let shardA: TestRedis;
let shardB: TestRedis;
let shardsUrl: string;
describe('redis-shards', () => {
before(async () => {
  shardA = await redis();
  shardB = await redis();
  shardsUrl = `redis-shards://127.0.0.1:${shardA.port},127.0.0.1:${shardB.port}`;
});
runStoreContract('redis-shards', {
  open: () => openRedisShardsStore(shardsUrl, log),
  reopen: async (s) => {
    await s.close();
    return openRedisShardsStore(shardsUrl, log);
  },
});
test('redis-shards: each id lives on exactly one shard and both shards are used', async () => {
  const s = await openRedisShardsStore(shardsUrl, log);
  try {
    const ids = Array.from({ length: 100 }, (_, i) => `spread-${i}`);
    for (const id of ids) await s.next(id);
    let onA = 0;
    let onB = 0;
    for (const id of ids) {
      const a = shardA.cli('GET', `turno:${id}`) !== '';
      const b = shardB.cli('GET', `turno:${id}`) !== '';
      assert.ok(a !== b, `${id} on exactly one shard`);
      if (a) onA++;
      else onB++;
    }
    assert.ok(onA > 20 && onB > 20, `spread ${onA}/${onB}`);
  } finally {
    await s.close();
  }
});

test('redis-shards: a shard that lost its data is refused instead of restarting its counters at 1', async () => {
  const a = await redis();
  const b = await redis();
  const url = `redis-shards://127.0.0.1:${a.port},127.0.0.1:${b.port}`;
  const first = await openRedisShardsStore(url, log);
  const ids = Array.from({ length: 40 }, (_, i) => `lost-${i}`);
  for (const id of ids) await first.next(id);
  await first.close();
  b.cli('FLUSHALL');
  const again = await openRedisShardsStore(url, log);
  try {
    const results = await Promise.allSettled(ids.map((id) => again.next(id)));
    const refused = results.filter((r) => r.status === 'rejected' && isVigiaError(r.reason, 'TURNO_ERR_SHARD_TOPOLOGY')).length;
    const served = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value);
    assert.ok(refused > 0 && served.length > 0, `ids on the emptied shard refused (${refused}), the others served (${served.length})`);
    assert.ok(served.every((v) => v === 2), 'ids on the intact shard continue at 2');
  } finally {
    await again.close();
  }
});

test('redis-shards: a different shard list is refused instead of moving ids', async () => {
  const s = await openRedisShardsStore(`redis-shards://127.0.0.1:${shardA.port}`, log);
  try {
    await assert.rejects(s.next('moved'), (e) => isVigiaError(e, 'TURNO_ERR_SHARD_TOPOLOGY'));
    await assert.rejects(s.ping(), (e) => isVigiaError(e, 'TURNO_ERR_SHARD_TOPOLOGY'));
  } finally {
    await s.close();
  }
});

});

let clusterNodes: TestRedis[];
let clusterUrl: string;
describe('redis-cluster', () => {
before(async () => {
  clusterNodes = await Promise.all([0, 1, 2].map(() => redis({ cluster: true })));
  const created = spawnSync(requireBinary('redis-cli'), ['--cluster', 'create', ...clusterNodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(created.status, 0, created.stdout + created.stderr);
  await waitFor('cluster ok', () => clusterNodes.every((n) => /cluster_state:ok/.test(n.cli('CLUSTER', 'INFO'))), 30_000);
  clusterUrl = `redis-cluster://${clusterNodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
});
runStoreContract('redis-cluster', {
  open: () => openRedisClusterStore(clusterUrl, log),
  reopen: async (s) => {
    await s.close();
    return openRedisClusterStore(clusterUrl, log);
  },
});

test('ids land on different primaries, each id on exactly one', async () => {
  const s = await openRedisClusterStore(clusterUrl, log);
  try {
    const ids = Array.from({ length: 60 }, (_, i) => `spread-${i}`);
    for (const id of ids) await s.next(id);
    const perNode = clusterNodes.map((n) => Number(n.cli('EVAL', "return #redis.call('KEYS', 'turno:spread-*')", '0')));
    assert.equal(perNode.reduce((a, b) => a + b, 0), ids.length);
    assert.ok(perNode.filter((c) => c > 0).length >= 2, `keys spread: ${perNode.join(',')}`);
  } finally {
    await s.close();
  }
});

});

test('redis WAIT: without a live replica no number is answered (503), and answers resume after', async () => {
  const p = await redis();
  const r = await redis({ replicaOf: p.port });
  await waitFor('replica link up', () => /master_link_status:up/.test(r.cli('INFO', 'replication')), 15_000);
  const s = await openRedisStore(`${p.url}?replicas=1&waitTimeoutMs=1000`, log);
  const nextWhenReplicated = (): Promise<number> =>
    waitFor('an increment a replica confirmed', () => s.next('w').catch((e: unknown) => (isVigiaError(e, 'TURNO_ERR_REPLICATION_TIMEOUT') ? undefined : Promise.reject(e))), 20_000, 100);
  try {
    const first = await nextWhenReplicated();
    await r.kill();
    await waitFor('primary sees no replica', () => /connected_slaves:0/.test(p.cli('INFO', 'replication')), 15_000);
    await assert.rejects(s.next('w'), (e) => isVigiaError(e, 'TURNO_ERR_REPLICATION_TIMEOUT'));
    await r.restart();
    await waitFor('replica back', () => /master_link_status:up/.test(r.cli('INFO', 'replication')), 15_000);
    const v = await nextWhenReplicated();
    assert.ok(v > first + 1, `continues after the unconfirmed one (a gap, never a repeat): ${first} then ${v}`);
  } finally {
    await s.close();
  }
});

test('redis WAIT: after failover to the replica, numbering continues above every answered number', async () => {
  const p = await redis();
  const r = await redis({ replicaOf: p.port });
  await waitFor('replica link up', () => /master_link_status:up/.test(r.cli('INFO', 'replication')), 15_000);
  const s = await openRedisStore(`${p.url}?replicas=1&waitTimeoutMs=1000`, log);
  const answered = await Promise.all(Array.from({ length: 300 }, () => s.next('fo')));
  await s.close();
  await p.kill(); // the primary dies with no persistence at all
  r.cli('REPLICAOF', 'NO', 'ONE');
  const promoted = await openRedisStore(r.url, log);
  try {
    const next = await promoted.next('fo');
    assert.ok(next > Math.max(...answered), `${next} > ${Math.max(...answered)}`);
  } finally {
    await promoted.close();
  }
});

test('redis: an increment whose answer was lost is not resent after reconnect (no blind retry)', async () => {
  const r = await redis({ extraArgs: ['--enable-debug-command', 'yes'] });
  const s = await openRedisStore(`${r.url}?timeoutMs=5000`, log);
  try {
    const id = `lost-${randomBytes(3).toString('hex')}`;
    // Block the server so our INCR sits unanswered, then kill the server and bring it back empty.
    const sleeper = spawn(requireBinary('redis-cli'), ['-p', String(r.port), 'DEBUG', 'SLEEP', '3'], { stdio: 'ignore' });
    await new Promise((res) => setTimeout(res, 200));
    const pending = s.next(id).then((v) => v, (e: unknown) => e); // settles while the server is down
    await new Promise((res) => setTimeout(res, 200));
    await r.kill();
    sleeper.kill();
    assert.ok(isVigiaError(await pending, 'TURNO_ERR_STORE_UNAVAILABLE'), 'the lost answer is a 503, not a number');
    await r.restart();
    await waitFor('store reconnected', async () => {
      try {
        await s.ping();
        return true;
      } catch {
        return false;
      }
    }, 15_000);
    assert.equal(r.cli('GET', `turno:${id}`), '', 'the lost INCR was not replayed by the client');
  } finally {
    await s.close();
  }
});
