import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { cleanEnv, parseProcStat, runMembers, runProcess, type ProcessSpec, type ProcStat } from './runner.js';
import { isAlive } from '../../../test/support/procs.js';


function spec(code: string, over: Partial<ProcessSpec> = {}): ProcessSpec {
  return { executable: process.execPath, argv: ['-e', code], env: cleanEnv(), cwd: '/', timeoutMs: 10_000, outputCapBytes: 1 << 20, ...over };
}

const SLEEPER = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1e9)";

function bash(script: string, over: Partial<ProcessSpec> = {}): ProcessSpec {
  return { executable: '/bin/bash', argv: ['-c', script], env: cleanEnv(), cwd: '/', timeoutMs: 10_000, outputCapBytes: 1 << 20, ...over };
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

describe('parseProcStat / runMembers', () => {
  it('parses stat lines whose comm holds spaces and parentheses', () => {
    assert.deepEqual(parseProcStat('42 (a) b (c)) S 1 40 41 0 -1 4194560 0'), { pid: 42, state: 'S', ppid: 1, pgrp: 40, session: 41 });
    assert.equal(parseProcStat('garbage'), undefined);
  });

  it('selects the session, the group and their live descendants, never zombies or strangers', () => {
    const st = (pid: number, ppid: number, pgrp: number, session: number, state = 'S'): ProcStat => ({ pid, ppid, pgrp, session, state });
    const stats = [
      st(1, 0, 1, 1),
      st(100, 1, 100, 100), // leader
      st(101, 100, 101, 100), // setpgid child: other group, same session
      st(102, 101, 102, 102), // setsid grandchild, parent alive: descendant
      st(103, 102, 103, 102), // its child
      st(104, 1, 104, 104), // setsid escapee re-parented to init: unreachable
      st(105, 1, 100, 100, 'Z'), // zombie
      st(200, 1, 200, 200), // unrelated
    ];
    assert.deepEqual(runMembers(stats, 100), [100, 101, 102, 103]);
  });
});

describe('runProcess', () => {
  it('returns exit code, output and duration', async () => {
    const r = await runProcess(spec("process.stdout.write('out'); process.stderr.write('err'); process.exit(3)"));
    assert.equal(r.exitCode, 3);
    assert.equal(r.signal, null);
    assert.equal(r.timedOut, false);
    assert.equal(r.stdout, 'out');
    assert.equal(r.stderr, 'err');
    assert.equal(r.stdoutTruncated, false);
    assert.ok(r.durationMs >= 0);
  });

  it('passes argv elements verbatim, with no shell, in a clean environment and fixed cwd', async () => {
    const nasty = ['a b', ';', '|', '$(id)', '`id`', 'x\ny', '*', '&&', "'", '"'];
    const r = await runProcess(spec('process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), env: process.env, cwd: process.cwd() }))', { argv: ['-e', 'process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), env: process.env, cwd: process.cwd() }))', '--', ...nasty], env: cleanEnv({ EXTRA: '1' }) }));
    const got = JSON.parse(r.stdout) as { argv: string[]; env: Record<string, string>; cwd: string };
    assert.deepEqual(got.argv, nasty); // node -e consumes the '--' itself
    assert.deepEqual(Object.keys(got.env).sort(), ['EXTRA', 'LANG', 'PATH']);
    assert.equal(got.env.PATH, '/usr/sbin:/usr/bin:/sbin:/bin');
    assert.equal(got.cwd, '/');
  });

  it('kills the whole process group at the timeout, even members that ignore SIGTERM', async () => {
    const code = `const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, ['-e', ${JSON.stringify(SLEEPER)}], { stdio: 'ignore' });
      process.stdout.write(JSON.stringify({ leader: process.pid, grandchild: c.pid }) + '\\n');
      ${SLEEPER}`;
    const r = await runProcess(spec(code, { timeoutMs: 500, killGraceMs: 200 }));
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, null);
    assert.equal(r.signal, 'SIGKILL');
    const pids = JSON.parse(r.stdout) as { leader: number; grandchild: number };
    assert.equal(isAlive(pids.leader), false, 'leader still running');
    assert.equal(isAlive(pids.grandchild), false, 'grandchild still running');
  });

  it('kills children that outlive a leader that exits on its own (even ones holding the pipes)', async () => {
    const code = `const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, ['-e', ${JSON.stringify(SLEEPER)}], { stdio: 'inherit' });
      process.stdout.write(String(c.pid)); process.exit(0);`;
    const r = await runProcess(spec(code));
    assert.equal(r.exitCode, 0);
    assert.equal(r.timedOut, false);
    assert.ok(r.durationMs < 5000);
    const pid = Number(r.stdout);
    assert.ok(pid > 0);
    assert.equal(isAlive(pid), false, 'orphaned grandchild still running');
  });

  it('kills setpgid() children (other process group, same session) when the leader exits', async () => {
    const r = await runProcess(bash('set -m; sleep 300 & echo $!'));
    const pid = Number(r.stdout.trim());
    try {
      assert.ok(pid > 0, r.stdout);
      assert.equal(r.exitCode, 0);
      assert.equal(isAlive(pid), false, 'setpgid child still running');
    } finally {
      kill(pid);
    }
  });

  it('kills setpgid() children at the timeout', async () => {
    const r = await runProcess(bash('set -m; sleep 300 & echo $!; wait', { timeoutMs: 500, killGraceMs: 200 }));
    const pid = Number(r.stdout.trim());
    try {
      assert.equal(r.timedOut, true);
      assert.ok(pid > 0, r.stdout);
      assert.equal(isAlive(pid), false, 'setpgid child still running');
    } finally {
      kill(pid);
    }
  });

  it('kills a setsid() child at the timeout while its parent is still alive', async () => {
    const code = `const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, ['-e', ${JSON.stringify(SLEEPER)}], { stdio: 'ignore', detached: true });
      process.stdout.write(String(c.pid));
      ${SLEEPER}`;
    const r = await runProcess(spec(code, { timeoutMs: 500, killGraceMs: 200 }));
    const pid = Number(r.stdout);
    try {
      assert.equal(r.timedOut, true);
      assert.ok(pid > 0);
      assert.equal(isAlive(pid), false, 'setsid child still running');
    } finally {
      kill(pid);
    }
  });

  it('closes its pipe descriptors even when an escaped (setsid, orphaned) grandchild keeps the other ends', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const code = `const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, ['-e', ${JSON.stringify(SLEEPER)}], { stdio: 'inherit', detached: true });
      process.stdout.write(String(c.pid)); process.exit(0);`;
    const before = fds();
    const r = await runProcess(spec(code));
    const pid = Number(r.stdout);
    try {
      assert.ok(pid > 0);
      assert.equal(r.exitCode, 0);
      assert.ok(r.durationMs < 5000);
      await new Promise((res) => setImmediate(res));
      // The documented limit: a setsid() escapee whose parent is gone is out of reach (a cgroup catches it).
      assert.equal(isAlive(pid), true, 'expected the escapee to be out of reach of the sweep');
      assert.equal(fds(), before, 'pipe descriptors left open');
    } finally {
      kill(pid);
    }
  });

  it('kills everything at once when aborted, without waiting for the timeout', async () => {
    const ac = new AbortController();
    const p = runProcess(bash('set -m; sleep 300 & echo $!; wait', { signal: ac.signal, onOutput: () => ac.abort() }));
    const r = await p;
    const pid = Number(r.stdout.trim());
    try {
      assert.equal(r.signal, 'SIGKILL');
      assert.equal(r.timedOut, false);
      assert.ok(r.durationMs < 3000);
      assert.equal(isAlive(pid), false);
    } finally {
      kill(pid);
    }
  });

  it('caps output per stream and keeps draining so the child finishes', async () => {
    const r = await runProcess(spec("process.stdout.write(Buffer.alloc(10 * 1024 * 1024, 120)); process.stderr.write('e'.repeat(5000))", { outputCapBytes: 4096 }));
    assert.equal(r.exitCode, 0);
    assert.equal(r.timedOut, false);
    assert.equal(r.stdout.length, 4096);
    assert.equal(r.stdoutTruncated, true);
    assert.equal(r.stderr.length, 4096);
    assert.equal(r.stderrTruncated, true);
  });

  it('reports a spawn failure without throwing', async () => {
    const r = await runProcess({ ...spec(''), executable: '/nonexistent/binary' });
    assert.equal(r.exitCode, null);
    assert.equal(r.spawnError, 'ENOENT');
  });
});
