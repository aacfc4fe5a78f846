/**
 * The questions asked of a running collector (`--server URL --token-file F`) give exactly the answers the
 * store gives when opened directly: a file is imported, every question is asked of the store, then of a
 * real `vigia logs serve` holding that store (the embedded store is one process's: while the collector
 * runs, --server is the way to ask). A token without the read scope, a wrong token and a closed port are
 * one catalogued line and exit 2.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hashToken, newToken } from '../../src/core/auth.js';
import { freePort } from '../support/ports.js';
import { tempDir } from '../support/tmp.js';
import { spawnVigia, VIGIA_BIN } from '../support/vigia-process.js';

const tmp = tempDir('vigia-logs-cli-server-');
after(() => tmp.remove());
const STORE = join(tmp.dir, 'store');
const vigia = (args: string[]) => spawnSync(process.execPath, [VIGIA_BIN, 'logs', ...args], { encoding: 'utf8', timeout: 60_000, cwd: tmp.dir });

// Two days ago, UTC midnight: inside the collector's retention (30 days), which runs when it starts.
const BASE = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const QUESTIONS: string[][] = [
  ['who', '--url', '/a/1', '--since', 'all'],
  ['who', '--url', '/a', '--prefix', '--since', 'all', '--limit', '3'],
  ['top', 'ips', '--since', 'all'],
  ['top', 'agents', '--from', new Date(BASE + 6 * 3_600_000).toISOString(), '--to', new Date(BASE + 18 * 3_600_000).toISOString()],
  ['visits', '--ip', '2001:db8::5', '--since', 'all'],
  ['series', '--url', '/a/', '--prefix', '--status', '404', '--since', 'all'],
  ['report', '--since', 'all', '--format', 'json'],
];

test('--server answers exactly as the store does; bad tokens and closed ports are one line, exit 2', async () => {
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const ts = new Date(BASE + i * 40_000);
    const t = `${String(ts.getUTCDate()).padStart(2, '0')}/${MON[ts.getUTCMonth()]}/${ts.getUTCFullYear()}:${ts.toISOString().slice(11, 19)} +0000`;
    const ip = i % 3 === 0 ? `2001:db8::${i % 7}` : `192.0.2.${i % 11}`;
    lines.push(`${ip} - - [${t}] "GET /a/${i % 5}${i % 2 ? '' : '?q=1'} HTTP/1.1" ${i % 9 === 0 ? 404 : 200} ${i} "https://ref.example/${i % 4}" "agent ${i % 6}; bot ${i % 13 === 0 ? 'Googlebot' : ''}"`);
  }
  writeFileSync(join(tmp.dir, 'access.log'), `${lines.join('\n')}\n`);
  const imp = vigia(['import', 'access.log', '--data-dir', STORE, '--host', 'web-7']);
  assert.equal(imp.status, 0, imp.stderr);
  const direct = QUESTIONS.map((q) => {
    const r = vigia([...q, '--data-dir', STORE, ...(q[0] === 'report' ? [] : ['--format', 'json'])]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  });
  assert.ok(JSON.parse(direct[0]!).clients.length > 0, 'the questions have answers to compare');

  const read = newToken();
  const noRead = newToken();
  writeFileSync(join(tmp.dir, 'tokens'), `${hashToken(read)} scopes=read name=ops\n${hashToken(noRead)} scopes=ingest name=other\n`, { mode: 0o600 });
  writeFileSync(join(tmp.dir, 'shippers'), `${hashToken(newToken())} name=web-7\n`, { mode: 0o600 });
  writeFileSync(join(tmp.dir, 'read.token'), `${read}\n`, { mode: 0o600 });
  writeFileSync(join(tmp.dir, 'ingest.token'), `${noRead}\n`, { mode: 0o600 });
  writeFileSync(join(tmp.dir, 'wrong.token'), `${newToken()}\n`, { mode: 0o600 });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const serve = await spawnVigia('vigia logs serve', ['logs', 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', STORE, '--tokens', join(tmp.dir, 'tokens'), '--shipper-tokens', join(tmp.dir, 'shippers')], {
    cwd: tmp.dir,
    ready: (c) => c.stderr().includes('log collector listening'),
    timeoutMs: 60_000,
  });
  try {
    QUESTIONS.forEach((q, i) => {
      const r = vigia([...q, '--server', url, '--token-file', 'read.token', ...(q[0] === 'report' ? [] : ['--format', 'json'])]);
      assert.equal(r.status, 0, `${q.join(' ')}: ${r.stderr}`);
      assert.deepEqual(JSON.parse(r.stdout), JSON.parse(direct[i]!), q.join(' '));
    });
    // The table comes out the same way too (one render path for both sources).
    const table = vigia(['top', 'urls', '--since', 'all', '--server', url, '--token-file', 'read.token']);
    assert.match(table.stdout, /^URL\s+HITS\n\/a\/\d\s+\d+\n/);
    for (const [file, want] of [['ingest.token', /^vigia: VIGIA_ERR_FORBIDDEN: .*\[GET \/v1\/logs\/top answered 403\]\n$/], ['wrong.token', /^vigia: VIGIA_ERR_UNAUTHORIZED: .*\[GET \/v1\/logs\/top answered 401\]\n$/]] as const) {
      const r = vigia(['top', 'urls', '--server', url, '--token-file', file]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, want, file);
    }
  } finally {
    await serve.stop();
  }
  const closed = vigia(['who', '--url', '/', '--server', url, '--token-file', 'read.token']);
  assert.equal(closed.status, 2);
  assert.match(closed.stderr, /^vigia: VIGIA_ERR_UNREACHABLE: .*connection refused/);
});
