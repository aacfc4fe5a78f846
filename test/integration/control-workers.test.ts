/**
 * `vigia server --workers 2` (the built binary) on a real PostgreSQL: workers share the port, exactly
 * one holds the leader lease and advertises its internal address, fleet routes answer through any
 * worker (forwarded to the leader), a leader killed with SIGKILL is replaced and another worker
 * leads, a leader whose lease session is cut steps down, SIGTERM drains them all and gives the lease
 * back; the embedded store refuses --workers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { hashToken, newToken } from '../../src/core/auth.js';
import { CONTROL_LEADER_LOCK_KEY } from '../../src/control/run.js';
import { startControl, vigia, type ControlProcess } from '../support/control-process.js';
import { waitFor } from '../support/wait.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { freePort } from '../support/ports.js';
import { isAlive, processesMentioning } from '../support/procs.js';
import { tempDir } from '../support/tmp.js';
import { spawnVigia } from '../support/vigia-process.js';

let pg: TestPostgres;

before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

/** One request on a fresh connection (the cluster hands each new connection to the next worker). */
function get(proc: ControlProcess, path: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${proc.url}${path}`, { agent: false, headers: { authorization: `Bearer ${token}` }, timeout: 20_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The fresh lease row (holder pid, address) and how many sessions hold the lock, read in that order. */
async function leaderRow(url: string): Promise<{ pid: number; address: string; locks: number } | undefined> {
  const postgres = (await import('postgres')).default;
  const c = postgres(url, { max: 1, onnotice: () => {} });
  let holder: { holder: string; address: string } | undefined;
  try {
    const r = await c.unsafe(`SELECT holder, address FROM control_leader WHERE lease = 'control' AND heartbeat_at > now() - interval '5 seconds'`);
    holder = r[0] as typeof holder;
  } finally {
    await c.end();
  }
  if (!holder) return undefined;
  // The row is written after the lock is taken, so a fresh row read first means its holder has the lock.
  const db = url.slice(url.lastIndexOf('/') + 1);
  const rows = await pg.sql(
    `SELECT count(*) AS locks FROM pg_locks l JOIN pg_database d ON d.oid = l.database
      WHERE l.locktype = 'advisory' AND l.granted AND d.datname = '${db}'
        AND ((l.classid::bigint << 32) | l.objid::bigint) = ${CONTROL_LEADER_LOCK_KEY}`,
  );
  return { pid: Number(holder.holder.split('/').pop()), address: holder.address, locks: Number(rows[0]?.locks ?? 0) };
}

function workerPids(proc: ControlProcess): number[] {
  return processesMentioning(proc.dir, proc.child.pid).filter((p) => p !== proc.child.pid);
}

test('--workers 2: one leader by lease, fleet routes through any worker, a killed leader is replaced, a cut lease steps down, SIGTERM drains', async (t) => {
  const url = await pg.createDatabase('workers_main');
  const proc = await startControl({ args: ['--workers', '2', '--database', url, '--shutdown-timeout', '10000'] });
  try {
    await waitFor('two workers', () => workerPids(proc).length === 2, 20_000, 100);
    const first = await waitFor('a leader', () => leaderRow(url), 20_000, 100);
    assert.equal(first.locks, 1, 'exactly one advisory lock holder');
    assert.ok(workerPids(proc).includes(first.pid), `the leader ${first.pid} is one of the workers ${workerPids(proc).join(',')}`);
    assert.match(first.address, /^http:\/\/127\.0\.0\.1:\d+$/);

    const enrolled = await proc.fetch('/v1/hosts/enroll', { method: 'POST', token: proc.adminToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ host: 'db-1' }) });
    assert.equal(enrolled.status, 200, enrolled.text);
    const hostToken = (enrolled.body as { token: string }).token;

    // Reports and fleet routes on fresh connections, so both workers answer some: fleet routes are
    // forwarded to the leader (before it has started its duties they say NO_LEADER: wait for that).
    await waitFor('fleet routes through the leader', async () => (await get(proc, '/v1/drift', proc.readToken)).status === 200, 20_000, 100);
    for (let i = 0; i < 6; i++) {
      const capacity = await get(proc, '/v1/reports/capacity', proc.readToken);
      assert.equal(capacity.status, 200, capacity.body);
      const drift = await get(proc, '/v1/drift', proc.readToken);
      assert.equal(drift.status, 200, drift.body);
      assert.ok('releases' in JSON.parse(drift.body));
      const poll = await get(proc, '/v1/agent/poll?release=0&wait=0', hostToken);
      assert.equal(poll.status, 200, poll.body);
      assert.ok('desired' in JSON.parse(poll.body));
    }
    // A removed host's token stops working in every worker at once (each had it cached above).
    const removable = await proc.fetch('/v1/hosts/enroll', { method: 'POST', token: proc.adminToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ host: 'db-2' }) });
    const removableToken = (removable.body as { token: string }).token;
    for (let i = 0; i < 4; i++) assert.equal((await get(proc, '/v1/agent/poll?release=0&wait=0', removableToken)).status, 200);
    assert.equal((await proc.fetch('/v1/hosts/db-2', { method: 'DELETE', token: proc.adminToken })).status, 200);
    for (let i = 0; i < 4; i++) assert.equal((await get(proc, '/v1/agent/poll?release=0&wait=0', removableToken)).status, 401);

    // /metrics is the sum over the workers: one leader.
    const metrics = await waitFor('aggregated metrics', async () => {
      const m = await get(proc, '/metrics', proc.readToken);
      return m.status === 200 ? m.body : undefined;
    }, 10_000, 200);
    assert.match(metrics, /^vigia_control_leader 1$/m);

    // Kill the leader: the primary replaces it and the other worker (or the new one) takes over.
    const killedAt = Date.now();
    process.kill(first.pid, 'SIGKILL');
    await waitFor('the primary to see the death', () => /worker died; starting a new one/.test(proc.stderr()), 10_000, 20);
    // Meanwhile the surviving worker still serves reports.
    const during = await get(proc, '/v1/reports/capacity', proc.readToken);
    assert.equal(during.status, 200, during.body);
    const second = await waitFor('a new leader', async () => {
      const r = await leaderRow(url);
      return r && r.pid !== first.pid ? r : undefined;
    }, 20_000, 100);
    assert.equal(second.locks, 1, proc.stderr());
    assert.equal(isAlive(first.pid), false);
    await waitFor('a replacement worker', () => workerPids(proc).length === 2, 20_000, 100);
    assert.ok(workerPids(proc).includes(second.pid));
    await waitFor('fleet routes again', async () => (await get(proc, '/v1/agent/poll?release=0&wait=0', hostToken)).status === 200, 20_000, 100);
    t.diagnostic(`SIGKILL of the leader to fleet routes answering again: ${Date.now() - killedAt} ms`);
    assert.match(proc.stderr(), /worker died; starting a new one/);

    // A leader whose lease session is cut (it is alive, but no longer holds the lock) steps down by
    // exiting; the primary replaces it at once and a leader exists again.
    const terminated = await pg.sql(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory' AND granted
         AND ((classid::bigint << 32) | objid::bigint) = ${CONTROL_LEADER_LOCK_KEY}`,
    );
    assert.equal(terminated.length, 1);
    await waitFor('the leader to step down', () => /lost the leader lease and stepped down/.test(proc.stderr()), 10_000, 50);
    const third = await waitFor('a leader after the step-down', async () => {
      const r = await leaderRow(url);
      return r && r.pid !== second.pid ? r : undefined;
    }, 20_000, 100);
    assert.equal(third.locks, 1);
    await waitFor('two workers again', () => workerPids(proc).length === 2 && workerPids(proc).includes(third.pid), 20_000, 100);
    await waitFor('fleet routes after the step-down', async () => (await get(proc, '/v1/drift', proc.readToken)).status === 200, 20_000, 100);

    // SIGTERM: every worker drains, the primary exits 0, the lease is given back.
    const pids = workerPids(proc);
    const stopAt = Date.now();
    assert.equal(await proc.stop('SIGTERM'), 0, proc.stderr());
    t.diagnostic(`SIGTERM to exit: ${Date.now() - stopAt} ms`);
    for (const p of pids) assert.equal(isAlive(p), false, `worker ${p} exited`);
    const postgres = (await import('postgres')).default;
    const c = postgres(url, { max: 1, onnotice: () => {} });
    try {
      assert.equal((await c.unsafe(`SELECT count(*)::int AS n FROM control_leader`))[0]!.n, 0);
    } finally {
      await c.end();
    }
  } finally {
    await proc.stop('SIGKILL');
    for (const p of workerPids(proc)) process.kill(p, 'SIGKILL');
    proc.remove();
  }
});

test('--workers 2 --no-fleet: the workers elect a reports-only leader on their own lease; fleet routes answer 404', async () => {
  const url = await pg.createDatabase('workers_no_fleet');
  const proc = await startControl({ args: ['--workers', '2', '--database', url, '--no-fleet'] });
  try {
    const postgres = (await import('postgres')).default;
    const c = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const row = await waitFor('a reports leader', async () => (await c.unsafe(`SELECT lease, holder FROM control_leader`))[0], 20_000, 100);
      assert.equal(row.lease, 'control-reports');
    } finally {
      await c.end();
    }
    for (let i = 0; i < 4; i++) {
      assert.equal((await get(proc, '/v1/drift', proc.readToken)).status, 404);
      assert.equal((await get(proc, '/v1/reports/capacity', proc.readToken)).status, 200);
    }
    assert.equal(await proc.stop('SIGTERM'), 0, proc.stderr());
  } finally {
    await proc.stop('SIGKILL');
    for (const p of workerPids(proc)) process.kill(p, 'SIGKILL');
    proc.remove();
  }
});

test('--workers 2 with the embedded store is refused in one line naming --workers and --database', () => {
  const r = vigia(['server', '--workers', '2', '--data-dir', '/nonexistent/vigia-workers-test'], { timeoutMs: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /--workers 2/);
  assert.match(lines[0]!, /--database/);
});

test('SIGTERM while the workers are still starting: the cluster stops cleanly (a worker that never listened had nothing to drain)', async () => {
  const url = await pg.createDatabase('workers_early_stop');
  const dir = tempDir('vigia-workers-early-');
  try {
    const tokens = join(dir.dir, 'server.tokens');
    writeFileSync(tokens, `${hashToken(newToken())} scopes=read,admin name=ops\n`, { mode: 0o600 });
    const port = await freePort();
    // The primary logs "workers started" right after forking: the workers are still loading then.
    const proc = await spawnVigia('a forking primary', ['server', '--workers', '2', '--database', url, '--listen', `127.0.0.1:${port}`, '--auth-token-file', tokens, '--log-level', 'info'], {
      cwd: dir.dir, ready: (c) => c.stderr().includes('workers started') || c.stdout().includes('workers started'), timeoutMs: 20_000, everyMs: 5,
    });
    try {
      assert.equal(await proc.stop('SIGTERM'), 0, proc.stderr() + proc.stdout());
      assert.doesNotMatch(proc.stderr() + proc.stdout(), /did not drain cleanly/);
    } finally {
      await proc.stop('SIGKILL');
    }
  } finally {
    dir.remove();
  }
});
