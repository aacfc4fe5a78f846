/**
 * Actions (and bundle checks) run code the agent did not write, so they must not be able to reach
 * what guards the agent: its audit log, its token files, the agent process itself. Through the built
 * binary: a non-root agent (the container's situation: uid 10001, no capabilities) cannot switch
 * users, so it must refuse to start with actions rather than run them as itself; a root agent must
 * refuse an --actions-user that could write its audit log or token file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hashToken, newToken } from '../../src/core/auth.js';
import { freePort } from '../support/ports.js';
import { tempDir } from '../support/tmp.js';
import { VIGIA_BIN } from '../support/vigia-process.js';

const AGENT_UID = 10001;
const tmp = tempDir('vigia-action-identity-');
const actionsToken = newToken();
let state = '';
let actionsDir = '';

/** What the hostile action tries: read the token file, forge an audit line, signal its parent (the agent). */
function hostileScript(tokenFile: string, auditLog: string): string {
  return `const fs = require('node:fs'); const out = {};
try { out.token = 'read ' + fs.readFileSync(${JSON.stringify(tokenFile)}, 'utf8').length + ' bytes'; } catch (e) { out.token = e.code; }
try { fs.appendFileSync(${JSON.stringify(auditLog)}, '{"event":"action.end","forged":true}\\n'); out.audit = 'appended a forged line'; } catch (e) { out.audit = e.code; }
try { process.kill(process.ppid, 0); out.kill = 'may signal the agent'; } catch (e) { out.kill = e.code; }
process.stdout.write(JSON.stringify(out));`;
}

before(() => {
  chmodSync(tmp.dir, 0o755);
  state = join(tmp.dir, 'state');
  mkdirSync(state, { mode: 0o700 });
  actionsDir = join(tmp.dir, 'actions');
  const d = join(actionsDir, 'hostile');
  mkdirSync(d, { recursive: true, mode: 0o755 });
  chmodSync(actionsDir, 0o755);
  writeFileSync(join(d, 'hostile.cjs'), hostileScript(join(state, 'tokens'), join(state, 'audit.log')), { mode: 0o644 });
  writeFileSync(join(d, 'manifest.json'), JSON.stringify({ name: 'hostile', description: 'tries to reach the agent', executable: '${node}', argv: ['${actionDir}/hostile.cjs'], timeoutMs: 5000, outputCapBytes: 4096, concurrency: 1 }));
  writeFileSync(join(state, 'tokens'), `${hashToken(actionsToken)} scopes=read,actions name=operator\n`, { mode: 0o600 });
});

after(() => tmp.remove());

/**
 * Start the agent with `args` as `uid`; resolves with its exit code and stderr if it exits, or, if it
 * starts listening, with what the hostile action managed to do (then stops it).
 */
async function startAndAttack(args: string[], ids: { uid: number; gid: number } | null): Promise<{ exit: number | null; stderr: string; attack?: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [VIGIA_BIN, 'agent', '--listen', `127.0.0.1:${port}`, '--no-mysql-detect', '--log-level', 'warn', '--actions-dir', actionsDir, ...args], {
    cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'], ...(ids ?? {}),
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const started = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => {
    const t = setInterval(() => out.includes('listening on') && (clearInterval(t), r(true)), 50);
    void exited.then(() => clearInterval(t));
  })]);
  if (!started) return { exit: await exited, stderr: err };
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v1/actions/hostile`, { method: 'POST', headers: { authorization: `Bearer ${actionsToken}`, 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(15_000) });
    const run = (await res.json()) as { stdout?: string };
    return { exit: null, stderr: err, attack: `${res.status} ${run.stdout ?? JSON.stringify(run)}` };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

test('a non-root agent without CAP_SETUID refuses to start with actions instead of running them as itself', { skip: process.getuid?.() !== 0 && 'needs root to start the agent as another uid' }, async () => {
  chownSync(state, AGENT_UID, AGENT_UID);
  chownSync(join(state, 'tokens'), AGENT_UID, AGENT_UID);
  const r = await startAndAttack(['--auth-token-file', join(state, 'tokens'), '--audit-log', join(state, 'audit.log')], { uid: AGENT_UID, gid: AGENT_UID });
  assert.equal(r.attack, undefined, `the agent started as uid ${AGENT_UID} and ran the action as itself: ${r.attack}; audit log now: ${readAudit()}`);
  assert.equal(r.exit, 2, r.stderr);
  assert.match(r.stderr, /VIGIA_ERR_CONFIG.*--actions-dir: the agent \(uid 10001\) cannot switch to --actions-user/);
  // With actions off, the same agent starts.
  const off = spawn(process.execPath, [VIGIA_BIN, 'agent', '--help'], { uid: AGENT_UID, gid: AGENT_UID });
  assert.equal(await new Promise((r) => off.once('exit', r)), 0);
});

test('a root agent refuses an --actions-user that could replace its audit log or write its token file', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  chownSync(state, 0, 0);
  chownSync(join(state, 'tokens'), 0, 0);
  for (const [what, prepare, undo, want] of [
    ['a world-writable audit log directory', () => chmodSync(state, 0o777), () => chmodSync(state, 0o700), /--audit-log: uid 65534 can write directory .*state \(uid 0, gid 0, mode 0777\)/],
    ['a world-writable token file', () => (chmodSync(state, 0o755), chmodSync(join(state, 'tokens'), 0o666)), () => (chmodSync(state, 0o700), chmodSync(join(state, 'tokens'), 0o600)), /--auth-token-file: uid 65534 can write .*tokens \(uid 0, gid 0, mode 0666\)/],
  ] as const) {
    prepare();
    try {
      const r = await startAndAttack(['--auth-token-file', join(state, 'tokens'), '--audit-log', join(state, 'audit.log'), '--actions-user', 'nobody'], null);
      assert.equal(r.attack, undefined, `${what}: the agent started and its action (as nobody) did: ${r.attack}`);
      assert.equal(r.exit, 2, r.stderr);
      assert.match(r.stderr, want, what);
    } finally {
      undo();
    }
  }
  // The same files with safe modes: it starts, and the hostile action reaches none of them.
  const r = await startAndAttack(['--auth-token-file', join(state, 'tokens'), '--audit-log', join(state, 'audit.log'), '--actions-user', 'nobody'], null);
  assert.ok(r.attack, r.stderr);
  assert.match(r.attack, /^200 /);
  assert.deepEqual(JSON.parse(r.attack.slice(4)), { token: 'EACCES', audit: 'EACCES', kill: 'EPERM' });
  assert.doesNotMatch(readAudit(), /forged/);
});

function readAudit(): string {
  try {
    return readFileSync(join(state, 'audit.log'), 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'unreadable';
  }
}
