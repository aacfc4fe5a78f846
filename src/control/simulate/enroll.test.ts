import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enrollHosts, readBulk, type EnrollAnswer } from './enroll.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => ({ host: `h-${i}`, tags: { k: 'v' } }));
const bulkOk = (payload: unknown): EnrollAnswer => ({
  status: 200,
  body: JSON.stringify({ hosts: (payload as { hosts: { host: string }[] }).hosts.map((h) => ({ host: h.host, token: `t-${h.host}`, created: true })) }),
  retryAfterMs: null,
});

test('bulk in chunks; 429/503 retried after Retry-After plus jitter, bounded; the waits are what the server asked', async () => {
  const waits: number[] = [];
  let calls = 0;
  const r = await enrollHosts({
    hosts: hosts(2100),
    post: async (_p, payload) => (++calls <= 2 ? { status: calls === 1 ? 429 : 503, body: '', retryAfterMs: 1000 } : bulkOk(payload)),
    random: () => 0.5,
    sleep: async (ms) => void waits.push(ms),
  });
  assert.equal(r.bulk, true);
  assert.equal(r.retried, 2);
  assert.deepEqual(waits, [1250, 1250], 'Retry-After 1 s plus half of the jitter range');
  assert.deepEqual(r.errors, {});
  assert.equal(r.tokens.filter(Boolean).length, 2100);
  assert.equal(r.tokens[2099], 't-h-2099');
  assert.equal(calls, 2 + 3, '1000 + 1000 + 100');

  const exhausted = await enrollHosts({ hosts: hosts(5), post: async () => ({ status: 429, body: '', retryAfterMs: null }), maxTries: 3, sleep: async () => undefined });
  assert.deepEqual(exhausted.errors, { retries_exhausted: 5 });
  assert.equal(exhausted.retried, 2);
});

test('an older server (400 for the bulk form): one host per request; failures are counted per host, never thrown', async () => {
  const seen: unknown[] = [];
  const r = await enrollHosts({
    hosts: hosts(4),
    post: async (_p, payload) => {
      seen.push(payload);
      const p = payload as { host?: string; hosts?: unknown };
      if (p.hosts) return { status: 400, body: '{"error":{"code":"VIGIA_ERR_BAD_REQUEST"}}', retryAfterMs: null };
      if (p.host === 'h-1') throw new Error('ECONNRESET');
      if (p.host === 'h-2') return { status: 200, body: '{"nope":1}', retryAfterMs: null };
      if (p.host === 'h-3') return { status: 403, body: '', retryAfterMs: null };
      return { status: 200, body: JSON.stringify({ host: p.host, token: 'tok', created: true }), retryAfterMs: null };
    },
    sleep: async () => undefined,
  });
  assert.equal(r.bulk, false);
  assert.deepEqual(r.tokens, ['tok', undefined, undefined, undefined]);
  assert.deepEqual(r.errors, { network: 1, bad_answer: 1, '403': 1 });
  assert.deepEqual(seen.slice(1).map((p) => (p as { host: string; tags: unknown }).tags), [{ k: 'v' }, { k: 'v' }, { k: 'v' }, { k: 'v' }]);
  const aborted = await enrollHosts({ hosts: hosts(3), post: async (_p, payload) => bulkOk(payload), aborted: () => true });
  assert.deepEqual(aborted.errors, { aborted: 3 });
});

test('readBulk: one token per asked host, matched by name, else null', () => {
  assert.deepEqual(readBulk('{"hosts":[{"host":"b","token":"tb"},{"host":"a","token":"ta"}]}', ['a', 'b']), ['ta', 'tb']);
  assert.equal(readBulk('{"hosts":[{"host":"a","token":"ta"}]}', ['a', 'b']), null);
  assert.equal(readBulk('{"hosts":[{"host":"a","token":""},{"host":"b","token":"x"}]}', ['a', 'b']), null);
  assert.equal(readBulk('{"host":"a","token":"t"}', ['a']), null);
  assert.equal(readBulk('not json', ['a']), null);
});

test('a bulk request answered 413 is split in halves; an older server with a small body limit ends up one host per request', async () => {
  const sizes: number[] = [];
  const limited = await enrollHosts({
    hosts: hosts(1000),
    post: async (_p, payload) => {
      const n = (payload as { hosts: unknown[] }).hosts.length;
      sizes.push(n);
      return n > 300 ? { status: 413, body: '', retryAfterMs: null } : bulkOk(payload);
    },
  });
  assert.deepEqual(sizes, [1000, 500, 250, 250, 500, 250, 250]);
  assert.equal(limited.tokens.filter(Boolean).length, 1000);
  assert.equal(limited.bulk, true);

  const old: (number | null)[] = [];
  const r = await enrollHosts({
    hosts: hosts(300),
    post: async (_p, payload) => {
      const p = payload as { host?: string; hosts?: unknown[] };
      old.push(p.hosts ? p.hosts.length : null);
      if (p.hosts) return { status: p.hosts.length > 100 ? 413 : 400, body: '', retryAfterMs: null };
      return { status: 200, body: JSON.stringify({ host: p.host, token: `t-${p.host}`, created: true }), retryAfterMs: null };
    },
  });
  assert.equal(r.bulk, false);
  assert.deepEqual(old.filter((x) => x !== null), [300, 150, 75]);
  assert.equal(old.filter((x) => x === null).length, 300);
  assert.equal(r.tokens.filter(Boolean).length, 300);
  assert.deepEqual(r.errors, {});
});
