/**
 * turno scaled out: two instances behind the shipped HAProxy config on one real Redis, and one
 * instance with --workers 2; the guarantees are checked through the balancer by `vigia turno check`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startHaproxy, type TestHaproxy } from '../support/haproxy.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startTurno, type TurnoProcess } from '../support/turno-process.js';
import { VIGIA_BIN } from '../support/vigia-process.js';

let redis: TestRedis;
let a: TurnoProcess;
let b: TurnoProcess;
let lb: TestHaproxy;

before(async () => {
  redis = await startRedis({ appendfsync: 'always' });
  [a, b] = await Promise.all([startTurno(['--store', redis.url]), startTurno(['--store', redis.url])]);
  lb = await startHaproxy([a.port, b.port]);
});
after(async () => {
  await lb?.stop();
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

function check(url: string, requests: number): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [VIGIA_BIN, 'turno', 'check', '--url', url, '--ids', '8', '--clients', '32', '--requests', String(requests)], { encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const issued = async (url: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('vigia_turno_numbers_issued_total')).reduce((s, l) => s + Number(l.split(' ').pop()), 0);
};

test('through HAProxy: unique, consecutive, linearizable; both instances serve', async () => {
  const before = [await issued(a.url), await issued(b.url)];
  const r = check(lb.url, 6000);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /PASS/);
  assert.match(r.out, /duplicates=0/);
  assert.match(r.out, /ok=6000\b/);
  const served = [(await issued(a.url)) - before[0]!, (await issued(b.url)) - before[1]!];
  assert.equal(served[0]! + served[1]!, 6000);
  assert.ok(served.every((n) => n > 1000), `both instances served: ${served.join('/')}`);
});

test('HAProxy takes an instance whose store is unreachable out of rotation (readyz)', async () => {
  const c = await startTurno(['--store', 'redis://127.0.0.1:1?timeoutMs=100']);
  const lb2 = await startHaproxy([a.port, c.port], ['UP', 'DOWN']);
  try {
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${lb2.url}/turno/rotation`);
      assert.equal(res.status, 200, 'every request went to the healthy instance');
      await res.arrayBuffer();
    }
  } finally {
    await lb2.stop();
    await c.stop();
  }
});

test('--workers 2: one port, two processes, one aggregated /metrics, guarantees hold', async () => {
  const w = await startTurno(['--store', redis.url, '--workers', '2']);
  try {
    const r = check(w.url, 4000);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /PASS/);
    // Every scrape shows the sum over workers, whichever worker answers it.
    for (let i = 0; i < 4; i++) assert.equal(await issued(w.url), 4000);
  } finally {
    assert.equal(await w.stop('SIGTERM'), 0, 'clean shutdown of the cluster');
  }
});
