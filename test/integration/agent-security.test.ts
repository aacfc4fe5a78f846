/**
 * The agent's security controls, through the real binary and real sockets: hostile action parameters,
 * actions that hang or flood, 100 parallel calls against a concurrency limit, slow clients, oversized
 * bodies, mTLS, and the audit trail. Every case must end with nothing of ours left running.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';
import { isAlive, processesMentioning } from '../support/procs.js';

/** Test actions: each a directory with manifest.json and a node script. */
const ACTIONS: Record<string, { manifest: object; script: string }> = {
  echo: {
    manifest: {
      description: 'prints its argv and environment as JSON',
      parameters: { text: { type: 'string', pattern: '^[ -~]{0,64}$', maxLength: 64 }, count: { type: 'integer', minimum: 0, maximum: 9, default: 0 } },
      required: ['text'],
      timeoutMs: 5000, outputCapBytes: 65536, concurrency: 4,
    },
    script: `process.stdout.write(JSON.stringify({ argv: process.argv.slice(2), env: process.env, uid: process.getuid(), cwd: process.cwd() }));`,
  },
  hang: {
    manifest: { description: 'starts a grandchild, prints both pids, then hangs', timeoutMs: 1500, outputCapBytes: 4096, concurrency: 1 },
    script: `import { spawn } from 'node:child_process';
const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
process.stdout.write(JSON.stringify({ pid: process.pid, grandchild: c.pid }) + '\\n');
process.on('SIGTERM', () => {}); // ignores the polite signal: only the group SIGKILL ends it
setInterval(() => {}, 1000);`,
  },
  flood: {
    manifest: { description: 'writes 8 MB to stdout and stderr', timeoutMs: 20000, outputCapBytes: 1024, concurrency: 1 },
    script: `const chunk = 'y'.repeat(65536); let n = 0;
const out = () => { while (n < 128) { n++; if (!process.stdout.write(chunk)) { process.stdout.once('drain', out); return; } } process.stderr.write('e'.repeat(5000)); };
out();`,
  },
  slow: {
    manifest: { description: 'sleeps 1.5 s', timeoutMs: 10000, outputCapBytes: 1024, concurrency: 2 },
    script: `setTimeout(() => process.stdout.write('done'), 1500);`,
  },
};

function writeActions(dir: string): void {
  chmodSync(dir, 0o755); // actions run as nobody and must be able to read their scripts
  for (const [name, { manifest, script }] of Object.entries(ACTIONS)) {
    const d = join(dir, name);
    mkdirSync(d, { mode: 0o755 });
    writeFileSync(join(d, `${name}.mjs`), script, { mode: 0o644 });
    const params = Object.keys((manifest as { parameters?: object }).parameters ?? {});
    writeFileSync(join(d, 'manifest.json'), JSON.stringify({ name, executable: '${node}', argv: [`\${actionDir}/${name}.mjs`, '--', ...params.map((p) => `{${p}}`)], ...manifest }));
  }
}



describe('agent actions through HTTP', () => {
  const tmp = tempDir('vigia-actions-');
  let agent: AgentProcess;
  const post = (name: string, body: unknown, token?: string, query = '') =>
    agent.fetch(`/v1/actions/${name}${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), token: token ?? agent.actionsToken });

  before(async () => {
    writeActions(tmp.dir);
    agent = await startAgent(['--actions-dir', tmp.dir, '--rate-limit', '1000/1000', '--no-mysql-detect']);
  });
  after(async () => {
    await agent?.stop();
    tmp.remove();
  });

  test('hostile parameters are refused before anything runs; metacharacters in a valid string arrive as one literal argv element', async () => {
    const bad: [unknown, RegExp][] = [
      [{ text: 'a\nb' }, /text/],
      [{ text: ['a', 'b'] }, /text/],
      [{ text: { $gt: '' } }, /text/],
      [{ text: 'x'.repeat(65) }, /text/],
      [{ text: 7 }, /text/],
      [{ text: 'ok', count: '3' }, /count/],
      [{ text: 'ok', count: 3.5 }, /count/],
      [{ text: 'ok', count: 10 }, /count/],
      [{ text: 'ok', extra: 1 }, /extra/],
      [{}, /text/],
      [['text'], /./],
      ['text', /./],
    ];
    for (const [body, names] of bad) {
      const res = await post('echo', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'AGENT_ERR_INVALID_PARAMS', JSON.stringify(body));
      assert.match(res.body.error.message, names);
    }
    const hostile = '; rm -rf / $(id) `id` | cat > /tmp/x && echo $PATH';
    const ok = await post('echo', { text: hostile, count: 2 });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, 'succeeded');
    const seen = JSON.parse(ok.body.stdout);
    assert.deepEqual(seen.argv, ['--', hostile, '2'], 'parameters follow "--", each one argv element, never interpreted');
    assert.deepEqual(Object.keys(seen.env).filter((k) => !['PATH', 'LANG', 'LC_ALL', 'HOME', 'NODE_PATH'].includes(k)), [], `clean environment: ${Object.keys(seen.env).join(',')}`);
    assert.equal(seen.env.PATH, '/usr/sbin:/usr/bin:/sbin:/bin');
    assert.notEqual(seen.uid, 0, 'actions never run as root');
    assert.equal(seen.cwd, '/', 'fixed working directory');
  });

  test('a read token cannot run an action and an unknown action is 404; neither starts anything', async () => {
    const before = processesMentioning(tmp.dir, agent.child.pid).length;
    const res = await post('echo', { text: 'x' }, agent.readToken);
    assert.equal(res.status, 403);
    const unknown = await post('../echo', { text: 'x' });
    assert.equal(unknown.status, 404);
    const unknown2 = await post('rm', {});
    assert.equal(unknown2.body.error.code, 'AGENT_ERR_UNKNOWN_ACTION');
    assert.equal(processesMentioning(tmp.dir, agent.child.pid).length, before);
  });

  test('an action that hangs and ignores SIGTERM is killed at its timeout, grandchild included', async () => {
    const t0 = Date.now();
    const res = await post('hang', {});
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'timed_out');
    assert.ok(Date.now() - t0 < 10_000, 'answered soon after the 1.5 s timeout plus the kill grace');
    const { pid, grandchild } = JSON.parse(res.body.stdout.trim());
    await waitFor('hang action group gone', () => !isAlive(pid) && !isAlive(grandchild), 5000);
    assert.deepEqual(processesMentioning(tmp.dir, agent.child.pid), []);
  });

  test('an action that floods its output is capped and flagged truncated; the agent stays small', async () => {
    const res = await post('flood', {});
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'succeeded', 'the child was drained, not blocked');
    assert.ok(res.body.stdout.length <= 1024, `stdout ${res.body.stdout.length} bytes`);
    assert.equal(res.body.stdout_truncated, true);
    assert.equal(res.body.stderr_truncated, true);
    assert.ok(res.text.length < 8192, 'the answer is bounded');
  });

  test('100 parallel calls against concurrency 2: exactly 2 run, 98 are refused as busy, nothing is left running', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => post('slow', {})));
    const byStatus = new Map<number, number>();
    for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(byStatus), { 200: 2, 429: 98 });
    for (const r of results.filter((x) => x.status === 429)) {
      assert.equal(r.body.error.code, 'AGENT_ERR_ACTION_BUSY');
      assert.equal(r.headers.get('retry-after'), '1');
    }
    await waitFor('slow actions gone', () => processesMentioning(tmp.dir, agent.child.pid).length === 0, 5000);
  });

  test('async runs answer 202 and are polled to completion', async () => {
    const res = await post('slow', {}, undefined, '?async=true');
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'running');
    const location = res.headers.get('location')!;
    const done = await waitFor('async run finished', async () => {
      const r = await agent.fetch(location);
      return r.body.status === 'running' ? undefined : r.body;
    }, 10_000, 100);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.stdout, 'done');
  });

  test('every call is in the append-only audit log: who, what, parameters, exit code, duration; refusals too', async () => {
    const lines = readFileSync(join(agent.dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const ends = lines.filter((l) => l.event === 'action.end');
    const echo = ends.find((l) => l.action === 'echo' && l.params?.count === 2);
    assert.ok(echo, 'the echo run is audited');
    assert.equal(echo.client, 'operator');
    assert.equal(echo.exit_code, 0);
    assert.equal(typeof echo.duration_ms, 'number');
    assert.ok(ends.some((l) => l.action === 'hang' && l.timed_out === true));
    const rejected = lines.filter((l) => l.event === 'action.rejected');
    assert.ok(rejected.some((l) => l.action === 'echo' && /AGENT_ERR_INVALID_PARAMS/.test(JSON.stringify(l))), 'invalid parameters are audited');
    assert.ok(rejected.some((l) => /AGENT_ERR_ACTION_BUSY/.test(JSON.stringify(l))), 'busy refusals are audited');
    assert.ok(rejected.some((l) => l.reason === 'VIGIA_ERR_FORBIDDEN' && l.client === 'reader' && l.address === '127.0.0.1' && l.action === 'echo'), 'a read token trying an action is audited with its address');
    const mode = readdirSync(agent.dir).includes('audit.log') ? (readFileSync(join(agent.dir, 'audit.log')), execFileSync('stat', ['-c', '%a', join(agent.dir, 'audit.log')]).toString().trim()) : '';
    assert.equal(mode, '600');
  });
});

describe('agent HTTP limits on real sockets', () => {
  let agent: AgentProcess;
  before(async () => {
    agent = await startAgent(['--request-timeout', '1000', '--no-actions', '--no-mysql-detect']);
  });
  after(async () => agent?.stop());

  test('a slow client that trickles its headers is cut off at the request timeout while others are served', async () => {
    const sock = connect(agent.port, '127.0.0.1');
    let closed = false;
    let answer = '';
    sock.on('data', (d) => (answer += d.toString()));
    sock.on('close', () => (closed = true));
    sock.on('error', () => undefined);
    sock.write('GET /v1/system HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => !closed && sock.write('X-A: b\r\n'), 200);
    try {
      const ok = await agent.fetch('/healthz', { token: null });
      assert.equal(ok.status, 200, 'served while the slow client hangs on');
      await waitFor('slow client cut off', () => closed, 8000);
    } finally {
      clearInterval(trickle);
      sock.destroy();
    }
    assert.ok(answer === '' || /^HTTP\/1\.1 408/.test(answer), `answer: ${answer.slice(0, 80)}`);
  });

  test('an oversized body is refused with 413 without reading it all', async () => {
    const sock = connect(agent.port, '127.0.0.1');
    let answer = '';
    sock.on('data', (d) => (answer += d.toString()));
    sock.on('error', () => undefined);
    sock.write(`POST /v1/actions/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${agent.actionsToken}\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n`);
    sock.write('{"a":"' + 'x'.repeat(32 * 1024));
    try {
      await waitFor('413', () => /^HTTP\/1\.1 413/.test(answer), 5000);
    } finally {
      sock.destroy();
    }
    assert.match(answer, /VIGIA_ERR_BODY_TOO_LARGE/);
  });
});

describe('agent mTLS', () => {
  const tmp = tempDir('vigia-tls-');
  let agent: AgentProcess;
  const f = (n: string) => join(tmp.dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

  before(async () => {
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=vigia-test-ca');
    for (const [name, cn, ext] of [['server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1'], ['client', 'ops', 'extendedKeyUsage=clientAuth']] as const) {
      ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
      writeFileSync(f(`${name}.ext`), `${ext}\n`);
      ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '1', '-extfile', f(`${name}.ext`));
    }
    // A client certificate from a CA the agent does not trust.
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('rogue.key'), '-out', f('rogue.pem'), '-days', '1', '-subj', '/CN=rogue');
    agent = await startAgent(['--tls-cert', f('server.pem'), '--tls-key', f('server.key'), '--tls-client-ca', f('ca.pem'), '--no-actions', '--no-mysql-detect']);
  });
  after(async () => {
    await agent?.stop();
    tmp.remove();
  });

  const get = (path: string, opts: { cert?: string; key?: string; token?: string }) =>
    new Promise<{ status: number } | { error: string }>((resolve) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1', port: agent.port, path, ca: readFileSync(f('ca.pem')), timeout: 5000,
          ...(opts.cert ? { cert: readFileSync(f(opts.cert)), key: readFileSync(f(opts.key!)) } : {}),
          headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
        },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0 });
        },
      );
      req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });

  test('without a client certificate, or with one from another CA, the TLS handshake fails', async () => {
    const none = await get('/healthz', { token: agent.readToken });
    assert.ok('error' in none, `no client cert: ${JSON.stringify(none)}`);
    const rogue = await get('/v1/devices', { cert: 'rogue.pem', key: 'rogue.key', token: agent.readToken });
    assert.ok('error' in rogue, `rogue cert: ${JSON.stringify(rogue)}`);
  });

  test('with a trusted client certificate the token is still required', async () => {
    assert.deepEqual(await get('/v1/devices', { cert: 'client.pem', key: 'client.key' }), { status: 401 });
    assert.deepEqual(await get('/v1/devices', { cert: 'client.pem', key: 'client.key', token: agent.readToken }), { status: 200 });
  });
});

describe('agent shutdown with an action running', () => {
  const tmp = tempDir('vigia-actions-stop-');
  before(() => {
    writeActions(tmp.dir);
    // The same hanging action, with a timeout far beyond the shutdown deadline.
    const m = JSON.parse(readFileSync(join(tmp.dir, 'hang', 'manifest.json'), 'utf8'));
    writeFileSync(join(tmp.dir, 'hang', 'manifest.json'), JSON.stringify({ ...m, timeoutMs: 120_000 }));
  });
  after(() => tmp.remove());

  test('SIGTERM kills the running action group, answers its caller, writes action.end and exits cleanly', async () => {
    const agent = await startAgent(['--actions-dir', tmp.dir, '--no-mysql-detect', '--shutdown-timeout', '8000']);
    try {
      const auditPath = join(agent.dir, 'audit.log');
      const pending = agent.fetch('/v1/actions/hang', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', token: agent.actionsToken }).catch((e: Error) => ({ status: 0, body: String(e), text: '', headers: new Headers() }));
      await waitFor('hang action started', () => processesMentioning(tmp.dir, agent.child.pid).length >= 1, 10_000);
      const t0 = Date.now();
      agent.child.kill('SIGTERM');
      const res = await pending;
      const code = await new Promise<number | null>((r) => (agent.child.exitCode !== null ? r(agent.child.exitCode) : agent.child.once('exit', (c) => r(c))));
      assert.ok(Date.now() - t0 < 7000, `shutdown took ${Date.now() - t0} ms; it must not wait for the action's 120 s timeout`);
      assert.equal(code, 0, `exit code; stderr: ${agent.stderr().slice(-500)}`);
      if (res.status === 200) assert.notEqual(res.body.status, 'succeeded');
      const lines = readFileSync(auditPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(lines.some((l) => l.event === 'action.end' && l.action === 'hang'), 'action.end is written for the killed run');
      await waitFor('hang group gone', () => processesMentioning(tmp.dir, agent.child.pid).length === 0, 5000);
    } finally {
      await agent.stop('SIGKILL');
    }
  });
});
