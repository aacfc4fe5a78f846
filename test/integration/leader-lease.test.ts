/**
 * The leader lease (core/db/leader-lease.ts) on a real PostgreSQL: contenders race for one advisory
 * lock, the discovery row names the holder's address, and when the holder's session is killed the
 * holder hears of it and another contender takes over.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLeaderLease, type LeaderLease } from '../../src/core/db/leader-lease.js';
import { MIGRATION_0003_CONTROL_LEADER } from '../../src/control/store/migrations/0003-control-leader.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { waitFor } from '../support/wait.js';

let pg: TestPostgres;
let seq = 0;

before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

const KEY = 424_242;

async function freshUrl(): Promise<string> {
  const url = await pg.createDatabase(`lease_t${process.pid}_${seq++}`);
  const postgres = (await import('postgres')).default;
  const c = postgres(url, { max: 1, onnotice: () => {} });
  await c.unsafe(MIGRATION_0003_CONTROL_LEADER).simple();
  await c.end();
  return url;
}

function contender(url: string, name: string): LeaderLease {
  return createLeaderLease({ url, key: KEY, table: 'control_leader', lease: 'control', holder: name, address: `http://127.0.0.1:1/${name}`, intervalMs: 200 });
}

async function row(url: string): Promise<{ holder: string; address: string } | undefined> {
  const postgres = (await import('postgres')).default;
  const c = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await c.unsafe(`SELECT holder, address FROM control_leader WHERE lease = 'control'`);
    return rows[0] as { holder: string; address: string } | undefined;
  } finally {
    await c.end();
  }
}

test('two contenders: exactly one leads, the other finds its address; killing its session hands over', async () => {
  const url = await freshUrl();
  const a = contender(url, 'a');
  const b = contender(url, 'b');
  try {
    const results = await Promise.all([a.tick(), b.tick()]);
    assert.equal(results.filter(Boolean).length, 1, 'exactly one leader');
    const [leader, follower] = a.isLeader ? [a, b] : [b, a];
    const leaderName = leader === a ? 'a' : 'b';
    const followerName = leader === a ? 'b' : 'a';
    assert.equal(follower.isLeader, false);
    // Renewals keep it; a follower's tick keeps failing to acquire and reads the address.
    assert.equal(await leader.tick(), true);
    assert.equal(await follower.tick(), false);
    assert.equal(follower.leaderAddress(), `http://127.0.0.1:1/${leaderName}`);
    assert.equal(follower.leaderHolder(), leaderName);
    assert.deepEqual(await row(url), { holder: leaderName, address: `http://127.0.0.1:1/${leaderName}` });

    const lost = new Promise<string>((resolve) => leader.onLost(resolve));
    const acquired = new Promise<void>((resolve) => follower.onAcquired(resolve));
    // Kill the holder's session: PostgreSQL drops the lock with it.
    const killed = await pg.sql(`SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = ${KEY}`);
    assert.equal(killed.length, 1);
    assert.match(await lost, /closed|replaced|failed/);
    assert.equal(leader.isLeader, false);
    assert.equal(leader.lost, true);
    await waitFor('the follower to take over', () => follower.tick(), 10_000, 50);
    await acquired;
    assert.equal(follower.isLeader, true);
    assert.deepEqual(await row(url), { holder: followerName, address: `http://127.0.0.1:1/${followerName}` });
    // A lost lease stays lost: its owner steps down for good (the server exits and is replaced).
    assert.equal(await leader.tick(), false);
  } finally {
    await a.close();
    await b.close();
  }
});

test('close() clears the row and gives the lock back at once; a stale heartbeat means no leader', async () => {
  const url = await freshUrl();
  const a = contender(url, 'a');
  const b = contender(url, 'b');
  try {
    assert.equal(await a.tick(), true);
    assert.equal(await b.tick(), false);
    await a.close();
    assert.equal(await row(url), undefined);
    assert.equal(await b.tick(), true);
    assert.equal(b.leaderAddress(), 'http://127.0.0.1:1/b');
    // A row whose heartbeat is old (its writer is gone, the lock is free or held by nobody we know) names no leader.
    const c = contender(url, 'c');
    try {
      assert.equal(await c.tick(), false);
      assert.equal(c.leaderAddress(), 'http://127.0.0.1:1/b');
      const postgres = (await import('postgres')).default;
      const s = postgres(url, { max: 1, onnotice: () => {} });
      await s.unsafe(`UPDATE control_leader SET heartbeat_at = now() - interval '1 hour'`);
      await s.end();
      assert.equal(await c.tick(), false);
      assert.equal(c.leaderAddress(), undefined);
      // The holder's next renewal writes a fresh heartbeat, and followers find it again.
      assert.equal(await b.tick(), true);
      assert.equal(await c.tick(), false);
      assert.equal(c.leaderAddress(), 'http://127.0.0.1:1/b');
    } finally {
      await c.close();
    }
  } finally {
    await a.close();
    await b.close();
  }
});

test('the lease row taken by someone else makes the holder step down', async () => {
  const url = await freshUrl();
  const a = contender(url, 'a');
  try {
    assert.equal(await a.tick(), true);
    const lost = new Promise<string>((resolve) => a.onLost(resolve));
    const postgres = (await import('postgres')).default;
    const s = postgres(url, { max: 1, onnotice: () => {} });
    await s.unsafe(`UPDATE control_leader SET holder = 'intruder'`);
    await s.end();
    assert.equal(await a.tick(), false);
    assert.match(await lost, /another holder/);
  } finally {
    await a.close();
  }
});
