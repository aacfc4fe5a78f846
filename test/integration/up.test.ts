/**
 * `vigia up` (the built binary) in a temp working directory, as `npm start` runs it: the printed
 * line's login link signs in, this host is enrolled and reporting, the collector answers, SIGINT
 * stops every part and exits 0; a second run resumes the same data (same host, same enrolment token,
 * a new link that works); a taken port is one catalogued line naming it, exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { isAlive, processesMentioning } from '../support/procs.js';
import { tempDir } from '../support/tmp.js';
import { linkOf, startUp, type Up } from '../support/up-process.js';
import { waitFor } from '../support/wait.js';

async function signIn(link: string): Promise<string> {
  const res = await fetch(link, { redirect: 'manual', signal: AbortSignal.timeout(15_000) });
  const cookie = res.headers.get('set-cookie') ?? '';
  // 200, not a redirect: a SameSite=Strict cookie must be set on a page of ours (login-routes.ts).
  assert.equal(res.status, 200, `login link answered ${res.status}`);
  assert.match(cookie, /vigia_session=/);
  assert.match(cookie, /HttpOnly/i);
  return cookie.split(';')[0]!;
}

async function hosts(port: number, token: string): Promise<Array<{ host: string; lastSeen: string | null }>> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/hosts`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
  assert.equal(res.status, 200);
  return ((await res.json()) as { hosts: Array<{ host: string; lastSeen: string | null }> }).hosts;
}

test('vigia up: one line with a working login link, this host reporting, the collector up; SIGINT stops all; a second run resumes', { timeout: 300_000 }, async () => {
  const box = tempDir('vigia-up-');
  const [port, agentPort, logsPort] = [await freePort(), await freePort(), await freePort()];
  const args = ['--port', String(port), '--agent-port', String(agentPort), '--logs-port', String(logsPort)];
  let up: Up | undefined;
  try {
    up = startUp(box.dir, args);
    const link = await linkOf(up);
    assert.equal(up.out().trim().split('\n').length, 1, 'exactly one line on stdout');
    assert.ok(link.startsWith(`http://127.0.0.1:${port}/ui/login/`));
    const cookie = await signIn(link);
    const page = await fetch(`http://127.0.0.1:${port}/ui/`, { headers: { cookie }, signal: AbortSignal.timeout(15_000) });
    assert.equal(page.status, 200, 'the session cookie opens the console');
    // The link is one-time.
    assert.equal((await fetch(link, { redirect: 'manual' })).status, 401);

    const data = join(box.dir, 'data');
    const token = readFileSync(join(data, 'up/operator.token'), 'utf8').trim();
    assert.ok(!up.out().includes(token) && !up.err().includes(token), 'the operator token is never printed');
    const hostName = readFileSync(join(data, 'up/host-name'), 'utf8').trim();
    const seen = await waitFor('this host\'s first report', async () => (await hosts(port, token)).find((h) => h.host === hostName && h.lastSeen !== null), 90_000, 500);
    assert.ok(seen);
    // The real agent's report carries its top processes; the host page shows them (this test's node is one).
    const hostPage = await (await fetch(`http://127.0.0.1:${port}/ui/hosts/${encodeURIComponent(hostName)}`, { headers: { cookie }, signal: AbortSignal.timeout(15_000) })).text();
    assert.match(hostPage, /Top processes by CPU, sampled/);
    assert.match(hostPage, /<td>node<\/td>/, 'a node process among the top ones');
    assert.equal((await fetch(`http://127.0.0.1:${logsPort}/healthz`)).status, 200, 'the collector answers');
    const stats = await fetch(`http://127.0.0.1:${logsPort}/v1/logs/stats`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(stats.status, 200, 'the collector takes the operator token');
    const hostToken = readFileSync(join(data, 'agent/host.token'), 'utf8');

    const parts = processesMentioning(data, up.child.pid);
    assert.equal(parts.length, 3, `server, logs, agent: ${parts.join(' ')}`);
    up.child.kill('SIGINT');
    assert.equal(await up.exited, 0, up.err());
    for (const pid of parts) assert.ok(!isAlive(pid), `part ${pid} gone`);
    assert.match(up.err(), /agent stopped\n.*logs stopped\n.*server stopped\n.*stopped\n$/s);

    // A second run: the same data, the same host (one row, same enrolment token), a fresh link that works.
    up = startUp(box.dir, args);
    await signIn(await linkOf(up));
    const again = (await hosts(port, token)).filter((h) => h.host === hostName);
    assert.equal(again.length, 1);
    assert.equal(readFileSync(join(data, 'agent/host.token'), 'utf8'), hostToken, 'not enrolled anew');
    up.child.kill('SIGTERM');
    assert.equal(await up.exited, 0, up.err());
  } finally {
    if (up && up.child.exitCode === null) {
      up.child.kill('SIGKILL');
      for (const pid of processesMentioning(box.dir)) process.kill(pid, 'SIGKILL');
    }
    box.remove();
  }
});

test('vigia up: a taken port is one catalogued line naming it, exit 2, nothing started', { timeout: 60_000 }, async () => {
  const box = tempDir('vigia-up-');
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const taken = (holder.address() as { port: number }).port;
  try {
    const up = startUp(box.dir, ['--port', String(await freePort()), '--agent-port', String(await freePort()), '--logs-port', String(taken)]);
    assert.equal(await up.exited, 2);
    assert.equal(up.out(), '');
    assert.equal(up.err(), `vigia: VIGIA_ERR_PORT_IN_USE: a port this command needs is taken: 127.0.0.1:${taken} (--logs-port) is taken by another process: stop it, or pass --logs-port with another port\n`);
    assert.deepEqual(processesMentioning(box.dir), []);
  } finally {
    await new Promise((r) => holder.close(r));
    box.remove();
  }
});
