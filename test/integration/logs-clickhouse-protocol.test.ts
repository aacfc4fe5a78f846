/**
 * The ClickHouse store's protocol and failure behaviour against a real engine (test/support/clickhouse.ts)
 * and against servers that misbehave on purpose: values only as param_ (escaped), gzip inserts, credentials in
 * headers, and every failure one catalogued error naming the server and never the password.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { openClickHouseStore } from '../../src/logs/store/clickhouse-store.js';
import { escapeParam } from '../../src/logs/store/clickhouse-sql.js';
import { accessRecord } from '../../src/logs/store/log-store.contract.js';
import { freePort } from '../support/ports.js';
import { startClickHouse, unescapeParam, type TestClickHouse } from '../support/clickhouse.js';

const ALL = { from: 0, to: 8.64e15 };
const PASSWORD = 'p@ss word/secret';
let ch: TestClickHouse;
before(async () => {
  ch = await startClickHouse({ user: 'vigia', password: PASSWORD });
  await ch.sql('CREATE DATABASE logs');
});
after(async () => ch?.stop());

const listen = async (srv: Server | TcpServer): Promise<number> => {
  const port = await freePort();
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
  return port;
};

describe('ClickHouse store protocol', () => {
  test('escaped parameters survive the server reading them: backslashes, tabs, newlines, \\x', () => {
    for (const s of ['/back\\slash', '\\x16\\x03', 'a\tb\nc\rd', '\\\\', "'; DROP TABLE x; --", '/ü/😀', '\0\b\f']) {
      assert.equal(unescapeParam(escapeParam(s)), s, JSON.stringify(s));
    }
  });

  test('inserts are gzip with the statement in query=; no value from input ever appears in query text', async () => {
    const store = await openClickHouseStore(`http://vigia@127.0.0.1:${ch.port}/logs`, { password: PASSWORD });
    try {
      const nasty = "/x'); DROP TABLE access_log; --\\";
      const seen = ch.requests.length;
      await store.insert([accessRecord({ url: nasty, client: '2001:db8::7' })]);
      await store.who({ ...ALL, url: nasty, prefix: false, limit: 5 });
      await store.visits({ ...ALL, ip: '2001:db8::7', limit: 5 });
      const reqs = ch.requests.slice(seen);
      const insert = reqs.find((r) => r.params.get('query')?.startsWith('INSERT INTO'));
      assert.ok(insert, 'an INSERT with query=');
      assert.equal(insert.headers['content-encoding'], 'gzip');
      assert.equal(insert.headers['x-clickhouse-user'], 'vigia');
      assert.equal(insert.headers['x-clickhouse-key'], PASSWORD);
      for (const r of reqs) {
        assert.equal(r.method, 'POST');
        assert.equal(r.params.get('database'), 'logs');
        assert.ok(!(r.params.get('query') ?? '').includes('DROP'), 'no input in query=');
        assert.ok(!r.params.has('password') && !r.params.has('user'), 'credentials only in headers');
      }
      const who = reqs.find((r) => r.params.has('param_url'));
      assert.equal(who?.params.get('param_url'), escapeParam(nasty));
      const w = await store.who({ ...ALL, url: nasty, prefix: false, limit: 5 });
      assert.deepEqual(w.clients.map((c) => c.ip), ['2001:db8::7']);
      assert.equal((await store.stats()).lines, 1, 'the table survived');
    } finally {
      await store.close();
    }
  });

  test('opening twice is harmless (CREATE TABLE IF NOT EXISTS); data stays', async () => {
    const a = await openClickHouseStore(`clickhouse://vigia@127.0.0.1:${ch.port}/?database=logs&table=again`, { password: PASSWORD });
    await a.insert([accessRecord()]);
    await a.close();
    const b = await openClickHouseStore(`http://vigia@127.0.0.1:${ch.port}/logs?table=again`, { password: PASSWORD });
    assert.equal((await b.stats()).lines, 1);
    await b.close();
    const [t] = await ch.sql<{ engine_full: string }>("SELECT engine_full FROM system.tables WHERE database = 'logs' AND name = 'again'");
    assert.match(t!.engine_full, /PARTITION BY toDate\(ts\)/);
    assert.match(t!.engine_full, /ORDER BY \(url, ts\)/);
    assert.match(t!.engine_full, /TTL toDateTime\(ts\) \+ toIntervalDay\(30\)/);
  });

  test('wrong password: LOGS_ERR_CLICKHOUSE_AUTH naming the server, not the password', async () => {
    await assert.rejects(openClickHouseStore(`http://vigia@127.0.0.1:${ch.port}/logs`, { password: 'wrong-one' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LOGS_ERR_CLICKHOUSE_AUTH');
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${ch.port}`));
      assert.match(err.message, /AUTHENTICATION_FAILED/);
      assert.ok(!err.message.includes('wrong-one') && !err.message.includes(PASSWORD));
      return true;
    });
  });

  test("a database that does not exist: LOGS_ERR_CLICKHOUSE_QUERY quoting ClickHouse's error", async () => {
    await assert.rejects(openClickHouseStore(`http://vigia@127.0.0.1:${ch.port}/nope`, { password: PASSWORD }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LOGS_ERR_CLICKHOUSE_QUERY');
      assert.match(err.message, /UNKNOWN_DATABASE/);
      assert.equal(err.message.split('\n').length, 1, 'one line');
      return true;
    });
  });

  test('nothing listening: LOGS_ERR_CLICKHOUSE_UNREACHABLE', async () => {
    const port = await freePort();
    await assert.rejects(openClickHouseStore(`http://127.0.0.1:${port}/logs`, { password: PASSWORD }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LOGS_ERR_CLICKHOUSE_UNREACHABLE');
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
      assert.ok(!err.message.includes(PASSWORD));
      return true;
    });
  });

  test('a server that never answers: LOGS_ERR_CLICKHOUSE_UNREACHABLE at the deadline', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = createTcpServer((s) => sockets.add(s));
    const port = await listen(silent);
    try {
      await assert.rejects(openClickHouseStore(`http://127.0.0.1:${port}/logs?timeout_ms=300`), { code: 'LOGS_ERR_CLICKHOUSE_UNREACHABLE' });
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  test('an answer over the cap, or one that is not JSONEachRow: LOGS_ERR_CLICKHOUSE_ANSWER', async () => {
    const big = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const q = new URL(req.url ?? '/', 'http://x').searchParams;
        if (q.get('default_format') !== 'JSONEachRow') return void res.end('');
        res.end(req.headers['x-clickhouse-user'] === 'huge' ? 'x'.repeat(2_000_000) : '<html>proxy says hi</html>\n');
      });
    });
    const port = await listen(big);
    try {
      const huge = await openClickHouseStore(`http://huge@127.0.0.1:${port}/logs`, { maxAnswerBytes: 1_000_000 });
      await assert.rejects(huge.stats(), (err: Error & { code?: string }) => err.code === 'LOGS_ERR_CLICKHOUSE_ANSWER' && /larger than 1000000 bytes/.test(err.message));
      await huge.close();
      const html = await openClickHouseStore(`http://html@127.0.0.1:${port}/logs`);
      await assert.rejects(html.stats(), (err: Error & { code?: string }) => err.code === 'LOGS_ERR_CLICKHOUSE_ANSWER' && /not JSONEachRow/.test(err.message));
      await html.close();
    } finally {
      big.closeAllConnections();
      big.close();
    }
  });
});
