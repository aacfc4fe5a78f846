/** The `vigia` binary as users meet it: help, start-up errors, token lines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTokenEntries } from '../../src/core/auth.js';
import { tempDir } from '../support/tmp.js';
import { VIGIA_BIN } from '../support/vigia-process.js';

const vigia = (args: string[], opts: { input?: string } = {}) => spawnSync(process.execPath, [VIGIA_BIN, ...args], { encoding: 'utf8', timeout: 20_000, ...opts });

test('vigia --help lists the roles; vigia agent --help documents the flags', () => {
  const top = vigia(['--help']);
  assert.equal(top.status, 0);
  assert.match(top.stdout, /turno/);
  assert.match(top.stdout, /agent/);
  const agent = vigia(['agent', '--help']);
  assert.equal(agent.status, 0);
  for (const flag of ['--auth-token-file', '--path.rootfs', '--tls-client-ca', '--role', '--actions-dir', '--rate-limit', '--statfs-timeout']) assert.ok(agent.stdout.includes(flag), flag);
});

test('the agent refuses to start without a token file, or on a busy port, with a one-line error and status 2', async () => {
  const none = vigia(['agent', '--no-mysql-detect']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^vigia: VIGIA_ERR_CONFIG: invalid configuration: --auth-token-file: the agent always needs --auth-token-file/m);
  const tmp = tempDir();
  const busy = createServer();
  try {
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const tokens = join(tmp.dir, 'tokens');
    writeFileSync(tokens, `${'sha256:' + 'a'.repeat(64)}\n`, { mode: 0o600 });
    const res = vigia(['agent', '--auth-token-file', tokens, '--listen', `127.0.0.1:${port}`, '--no-mysql-detect', '--no-actions', '--log-level', 'silent']);
    assert.equal(res.status, 2);
    assert.match(res.stderr, /VIGIA_ERR_CONFIG: .*--listen 127\.0\.0\.1:\d+: address already in use/);
    assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    busy.close();
    tmp.remove();
  }
});

test('vigia token new prints a token and a valid hash line with scopes; a bad scope is refused', () => {
  const res = vigia(['token', 'new', '--scopes', 'read,actions', '--name', 'ops']);
  assert.equal(res.status, 0);
  const line = /^hash:\s+(.+)$/m.exec(res.stdout)![1]!;
  assert.deepEqual(parseTokenEntries(line)[0]!.scopes, ['read', 'actions']);
  assert.equal(parseTokenEntries(line)[0]!.name, 'ops');
  const bad = vigia(['token', 'new', '--scopes', 'root']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown scope "root"/);
});

test('output piped into a reader that stops early (| head) ends quietly', () => {
  const res = spawnSync('sh', ['-c', `"${process.execPath}" "${VIGIA_BIN}" agent --help | head -1`], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(res.status, 0);
  assert.equal(res.stdout.trim(), 'Usage: vigia agent [options]');
  assert.doesNotMatch(res.stderr, /EPIPE|Unhandled/);
});
