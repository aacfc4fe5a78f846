/**
 * Every client command of the built binary, against a server that is not there and against one that
 * answers errors: one catalogued line on stderr, no stack trace, exit status 2. The class of failure
 * (transport errors, `{"error":{"code","message"}}` answers, answers that are not the API's) is mapped
 * once in src/core/client-errors.ts; this test keeps every command on that path.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { tempDir } from '../support/tmp.js';
import { VIGIA_BIN } from '../support/vigia-process.js';

const work = tempDir('vigia-cli-errors-');
const token = join(work.dir, 'operator.token');
const bundleDir = join(work.dir, 'bundle');
const keyPrefix = join(work.dir, 'signing');

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the binary without blocking this process (the error server below lives in it). */
function vigia(args: readonly string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [VIGIA_BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, VIGIA_DEBUG: '' } }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

/** Every client command, aimed at `url`. */
function clientCommands(url: string): ReadonlyArray<readonly string[]> {
  const s = ['--server', url, '--token-file', token];
  return [
    ['report', 'capacity', ...s],
    ['report', 'performance', '--day', '2026-11-30', ...s],
    ['server', 'enroll', '--host', 'db-1', ...s],
    ['server', 'hosts', ...s],
    ['server', 'remove', '--host', 'db-1', ...s],
    ['server', 'audit', ...s],
    ['server', 'login-link', ...s],
    ['bundle', 'list', ...s],
    ['bundle', 'publish', bundleDir, '--key', `${keyPrefix}.key`, ...s],
    ['rollout', 'status', ...s],
    ['rollout', 'pause', ...s],
    ['rollout', 'resume', ...s],
    ['rollout', 'rollback', ...s],
    ['rollout', 'drift', ...s],
    ['run', 'motd', '--all', ...s],
    ['simulate', '--to', url, '--admin-token-file', token, '--hosts', '2', '--rounds', '1'],
    ['turno', 'check', '--url', url, '--requests', '5', '--token-file', token],
    ['logs', 'who', '--url', '/', ...s],
    ['logs', 'top', 'urls', ...s],
    ['logs', 'visits', '--ip', '203.0.113.7', ...s],
    ['logs', 'series', ...s],
    ['logs', 'report', '--format', 'json', ...s],
  ];
}

/** The one-line, no-stack, exit-2 verdict, with the code expected on the line. */
function assertOneLine(r: Ran, args: readonly string[], code: RegExp): void {
  const what = `vigia ${args.join(' ')}\nstatus ${r.status}\nstderr: ${r.stderr}`;
  assert.equal(r.status, 2, what);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr: ${what}`);
  assert.match(lines[0]!, /^vigia: [A-Z]+_ERR_[A-Z_]+: /, what);
  assert.match(lines[0]!, code, what);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `no stack trace: ${what}`);
}

/** Run every command with bounded parallelism (the machine has two cores). */
async function runAll(url: string): Promise<Array<{ args: readonly string[]; r: Ran }>> {
  const cmds = clientCommands(url);
  const out: Array<{ args: readonly string[]; r: Ran }> = [];
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < cmds.length) {
      const args = cmds[next++]!;
      out.push({ args, r: await vigia(args) });
    }
  }));
  return out;
}

let errorServer: Server;
let errorUrl: string;
let proxyServer: Server;
let proxyUrl: string;

before(async () => {
  writeFileSync(token, 'vigia_operator_token_for_tests\n', { mode: 0o600 });
  mkdirSync(join(bundleDir, 'bin'), { recursive: true });
  writeFileSync(join(bundleDir, 'vigia-checks.yaml'), 'apiVersion: vigia/v1\nkind: CheckBundle\nname: errors\nchecks:\n  - name: probe\n    command: bin/probe.sh\n    interval: 30s\n');
  writeFileSync(join(bundleDir, 'bin', 'probe.sh'), '#!/bin/sh\necho OK\n', { mode: 0o755 });
  const keygen = await vigia(['bundle', 'keygen', '--out', keyPrefix]);
  assert.equal(keygen.status, 0, keygen.stderr);
  // A server that refuses everything the way vigia servers do (multi-line message: still one line out).
  errorServer = createServer((req, res) => {
    req.resume();
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'VIGIA_ERR_FORBIDDEN', message: 'token lacks the scope this endpoint needs: needs admin\n    at not-a-stack' } }));
  });
  // Something that is not a vigia server (a proxy's error page).
  proxyServer = createServer((req, res) => {
    req.resume();
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html>\n<body>Bad Gateway</body>\n</html>\n');
  });
  for (const s of [errorServer, proxyServer]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  errorUrl = `http://127.0.0.1:${(errorServer.address() as { port: number }).port}`;
  proxyUrl = `http://127.0.0.1:${(proxyServer.address() as { port: number }).port}`;
});

after(async () => {
  for (const s of [errorServer, proxyServer]) await new Promise<void>((r) => s.close(() => r()));
  work.remove();
});

test('every client command against a closed port: VIGIA_ERR_UNREACHABLE, one line, exit 2', async () => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const ran = await runAll(url);
  assert.equal(ran.length, clientCommands(url).length);
  for (const { args, r } of ran) assertOneLine(r, args, /VIGIA_ERR_UNREACHABLE: cannot reach the server: http:\/\/127\.0\.0\.1:\d+: connection refused .*ECONNREFUSED/);
});

test('every client command against a server answering {"error":{code}}: that code, one line, exit 2', async () => {
  for (const { args, r } of await runAll(errorUrl)) assertOneLine(r, args, /^vigia: VIGIA_ERR_FORBIDDEN: token lacks the scope this endpoint needs: needs admin at not-a-stack \[(GET|POST|DELETE) \/\S+ answered 403\]$/);
});

test('an answer that is not the API\'s (a proxy page) is VIGIA_ERR_BAD_ANSWER with the status', async () => {
  for (const { args, r } of await runAll(proxyUrl)) assertOneLine(r, args, /VIGIA_ERR_BAD_ANSWER: .*answered 502\] <html> <body>Bad Gateway/);
});

test('an unknown host name and a TLS handshake with a plain-HTTP server are VIGIA_ERR_UNREACHABLE too', async () => {
  const dns = await vigia(['report', 'capacity', '--server', 'http://no-such-host.invalid', '--token-file', token]);
  assertOneLine(dns, ['report', 'capacity'], /VIGIA_ERR_UNREACHABLE: .*no-such-host\.invalid: host name (not found|lookup failed)/);
  const tls = await vigia(['rollout', 'status', '--server', errorUrl.replace('http:', 'https:'), '--token-file', token]);
  assertOneLine(tls, ['rollout', 'status'], /VIGIA_ERR_UNREACHABLE: cannot reach the server: https:\/\/127\.0\.0\.1:\d+: /);
});

test('a usage error (missing required option) is exit 2 as well', async () => {
  const r = await vigia(['server', 'remove', '--server', errorUrl, '--token-file', token]);
  // remove takes --host or --where KEY=V, so it checks that itself, with the same one line.
  assertOneLine(r, ['server', 'remove'], /^vigia: VIGIA_ERR_CONFIG: invalid configuration: server remove: give --host NAME or --where KEY=V \(one of them\)$/);
  // enroll takes --host or --from FILE, so it checks that itself, with the same one line.
  const enroll = await vigia(['server', 'enroll', '--server', errorUrl, '--token-file', token]);
  assertOneLine(enroll, ['server', 'enroll'], /^vigia: VIGIA_ERR_CONFIG: invalid configuration: --host: required \(or --from FILE for many hosts\)$/);
  const choice = await vigia(['slo', 'rules', '--spec', work.dir, '--alert-style', 'sideways']);
  assertOneLine(choice, ['slo', 'rules'], /VIGIA_ERR_CONFIG: invalid configuration: option '--alert-style <style>' argument 'sideways' is invalid/);
});

test('vigia run whose selection matches no host: CONTROL_ERR_NO_TARGETS naming the --where typed, one line, exit 2', async () => {
  const none = createServer((req, res) => {
    req.resume();
    res.writeHead(422, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'CONTROL_ERR_NO_TARGETS', message: 'the selection matches no enrolled host: {"role":"nope"}' } }));
  });
  await new Promise<void>((r) => none.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(none.address() as { port: number }).port}`;
    const where = await vigia(['run', 'motd', '--where', 'role=nope', '--server', url, '--token-file', token]);
    assertOneLine(where, ['run'], /^vigia: CONTROL_ERR_NO_TARGETS: the selection matches no enrolled host: --where role=nope \(vigia server hosts shows each host's tags and reported tags\)$/);
    const all = await vigia(['run', 'motd', '--all', '--dry-run', '--server', url, '--token-file', token]);
    assertOneLine(all, ['run'], /^vigia: CONTROL_ERR_NO_TARGETS: the selection matches no enrolled host: --all: no host is enrolled yet \(vigia server enroll\)$/);
  } finally {
    await new Promise<void>((r) => none.close(() => r()));
  }
});
