import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import { waitFor } from '../../../test/support/wait.js';
import { tempDir } from '../../../test/support/tmp.js';
import { auditErrorToStderr, createActionService, type ActionService } from './action-service.js';
import { memoryAuditLog, openAuditLog, type AuditEntry, type AuditLog } from './audit.js';
import { isAlive } from '../../../test/support/procs.js';

const SHIPPED = fileURLToPath(new URL('../../../deploy/agent/actions', import.meta.url));
const isRoot = process.getuid?.() === 0;


const SLEEPER = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1e9)";

const SCRIPTS: Record<string, { script: string; manifest: Record<string, unknown> }> = {
  echo: {
    script: "import { readFileSync } from 'node:fs';\nconst groups = /^Groups:(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))[1].trim();\nprocess.stdout.write(JSON.stringify({ argv: process.argv.slice(2), env: process.env, uid: process.getuid(), gid: process.getgid(), groups, cwd: process.cwd() }));\n",
    manifest: {
      argv: ['${actionDir}/run.mjs', '--', '{text}', '{n}', '{flag}'],
      parameters: {
        text: { type: 'string', pattern: '^[ -~]{1,64}$', maxLength: 64 },
        n: { type: 'integer', minimum: 0, maximum: 10, default: 0 },
        flag: { type: 'boolean', default: false },
      },
      required: ['text'],
      env: { EXTRA: 'from-manifest' },
      concurrency: 10,
    },
  },
  hang: {
    script: `import { spawn } from 'node:child_process';
const c = spawn(process.execPath, ['-e', ${JSON.stringify(SLEEPER)}], { stdio: 'ignore' });
process.stdout.write(JSON.stringify({ leader: process.pid, grandchild: c.pid }) + '\\n');
${SLEEPER};
`,
    manifest: { timeoutMs: 500, concurrency: 5 },
  },
  'hang-async': {
    script: `import { spawn } from 'node:child_process';
const c = spawn(process.execPath, ['-e', ${JSON.stringify(SLEEPER)}], { stdio: 'ignore' });
process.stdout.write(JSON.stringify({ leader: process.pid, grandchild: c.pid }) + '\\n');
${SLEEPER};
`,
    manifest: { timeoutMs: 60_000, async: true, concurrency: 5 },
  },
  flood: {
    script: 'process.stdout.write(Buffer.alloc(10 * 1024 * 1024, 120));\nprocess.stderr.write(Buffer.alloc(10 * 1024 * 1024, 121));\n',
    manifest: { outputCapBytes: 65536, timeoutMs: 30_000 },
  },
  slow: {
    script: "process.stdout.write(String(process.pid)); setTimeout(() => {}, 400);\n",
    manifest: { concurrency: 2, timeoutMs: 10_000 },
  },
  'slow-async': {
    script: "setTimeout(() => { process.stdout.write('done'); }, 300);\n",
    manifest: { async: true, timeoutMs: 10_000 },
  },
  fail: { script: "process.stderr.write('boom'); process.exit(3);\n", manifest: {} },
  // A synchronous run whose grandchild leaves the process group (setpgid) and keeps the pipes.
  'hang-sync': {
    script: `import { spawn } from 'node:child_process';
spawn('/bin/bash', ['-c', 'set -m; sleep 300 & echo $!; wait'], { stdio: 'inherit' });
${SLEEPER};
`,
    manifest: { timeoutMs: 60_000, concurrency: 5 },
  },
};

function writeActions(root: string): void {
  chmodSync(root, 0o755);
  for (const [name, { script, manifest }] of Object.entries(SCRIPTS)) {
    const dir = join(root, name);
    mkdirSync(dir, { mode: 0o755 });
    writeFileSync(join(dir, 'run.mjs'), script, { mode: 0o755 });
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ name, description: `test action ${name}`, executable: '${node}', argv: ['${actionDir}/run.mjs'], timeoutMs: 5000, outputCapBytes: 4096, concurrency: 1, ...manifest }));
  }
}

interface AuditLine {
  event: string;
  run_id: string | null;
  client: string;
  action: string;
  params: unknown;
  exit_code?: number | null;
  duration_ms?: number | null;
  timed_out?: boolean;
  reason?: string;
}

describe('action service', () => {
  const tmp = tempDir('vigia-actions-');
  const auditPath = join(tmp.dir, 'audit.log');
  let audit: AuditLog;
  let svc: ActionService;
  const auditLines = (): AuditLine[] => readFileSync(auditPath, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as AuditLine);
  const expectCode = (code: string, re?: RegExp) => (e: unknown) => isVigiaError(e) && e.code === code && (!re || re.test(e.message));

  before(async () => {
    writeActions(tmp.dir);
    audit = await openAuditLog(auditPath);
    svc = await createActionService({ actionsDir: tmp.dir, audit, killGraceMs: 200 });
  });
  after(async () => {
    await svc.close();
    await audit.close();
    tmp.remove();
  });

  it('lists the allow-list with JSON-schema views of the parameters', () => {
    const list = svc.list();
    assert.deepEqual(list.map((a) => a.name), ['echo', 'fail', 'flood', 'hang', 'hang-async', 'hang-sync', 'slow', 'slow-async']);
    const echo = list[0]!;
    assert.deepEqual(echo.parameters, {
      type: 'object',
      properties: {
        text: { type: 'string', pattern: '^[ -~]{1,64}$', maxLength: 64 },
        n: { type: 'integer', minimum: 0, maximum: 10, default: 0 },
        flag: { type: 'boolean', default: false },
      },
      required: ['text'],
      additionalProperties: false,
    });
    assert.equal(echo.timeout_ms, 5000);
    assert.equal(echo.concurrency, 10);
    assert.equal(echo.async, false);
  });

  it('passes shell metacharacters as single literal argv elements after "--", in a clean env, as a non-root user', async () => {
    const text = "a; rm -rf / | cat $(id) `id` && echo '\"' > x";
    const run = await svc.start('echo', { text, n: 3, flag: true }, 'tester');
    assert.equal(run.status, 'succeeded');
    assert.equal(run.exit_code, 0);
    const got = JSON.parse(run.stdout) as { argv: string[]; env: Record<string, string>; uid: number; gid: number; groups: string; cwd: string };
    assert.deepEqual(got.argv, ['--', text, '3', 'true']);
    assert.deepEqual(got.env, { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', EXTRA: 'from-manifest' });
    assert.equal(got.cwd, '/');
    if (isRoot) {
      assert.notEqual(got.uid, 0);
      assert.notEqual(got.gid, 0);
      assert.equal(got.uid, 65534, 'runs as nobody by default');
      assert.equal(got.groups, '', 'supplementary groups (root\'s) are dropped');
    }
    assert.deepEqual(run.params, { text, n: 3, flag: true });
    assert.match(run.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(svc.get(run.id), run);
  });

  it('rejects unknown actions and bad parameters before running anything, and audit-logs each rejection', async () => {
    await assert.rejects(svc.start('rm-rf', {}, 'mallory'), expectCode('AGENT_ERR_UNKNOWN_ACTION'));
    await assert.rejects(svc.start('../echo', {}, 'mallory'), expectCode('AGENT_ERR_UNKNOWN_ACTION'));
    const bad: [unknown, RegExp][] = [
      [{ text: 'a\nb' }, /text: must not contain NUL, line breaks or other control characters/],
      [{ text: ['a', 'b'] }, /text: must be a string, got an array/],
      [{ text: 'x'.repeat(65) }, /text: longer than 64/],
      [{ text: 'ok', n: '3' }, /n: must be an integer, got a string/],
      [{ text: 'ok', n: 11 }, /n: must be between 0 and 10/],
      [{ text: 'ok', extra: 1 }, /extra: unknown parameter/],
      [{ text: 'é' }, /text: does not match/],
      [[{ text: 'ok' }], /body must be a JSON object/],
      [{}, /text: required/],
    ];
    for (const [body, re] of bad) await assert.rejects(svc.start('echo', body, 'mallory'), expectCode('AGENT_ERR_INVALID_PARAMS', re), JSON.stringify(body));
    const rejected = auditLines().filter((l) => l.event === 'action.rejected' && l.client === 'mallory');
    assert.equal(rejected.length, bad.length + 2);
    assert.ok(rejected.every((l) => l.run_id === null && typeof l.reason === 'string'));
    assert.equal(rejected[0]!.action, 'rm-rf');
    assert.match(rejected[0]!.reason!, /AGENT_ERR_UNKNOWN_ACTION/);
    assert.deepEqual(rejected[2]!.params, { text: 'a\nb' });
  });

  it('kills a hanging action and its whole process group at the timeout', async () => {
    const run = await svc.start('hang', {}, 'tester');
    assert.equal(run.status, 'timed_out');
    assert.equal(run.exit_code, null);
    assert.equal(run.signal, 'SIGKILL');
    assert.ok(run.duration_ms! >= 500 && run.duration_ms! < 5000, String(run.duration_ms));
    const pids = JSON.parse(run.stdout) as { leader: number; grandchild: number };
    assert.equal(isAlive(pids.leader), false);
    assert.equal(isAlive(pids.grandchild), false);
    const end = auditLines().find((l) => l.event === 'action.end' && l.run_id === run.id)!;
    assert.equal(end.timed_out, true);
  });

  it('caps a flood of output and flags it truncated', async () => {
    const run = await svc.start('flood', {}, 'tester');
    assert.equal(run.status, 'succeeded');
    assert.equal(run.stdout.length, 65536);
    assert.equal(run.stderr.length, 65536);
    assert.equal(run.stdout_truncated, true);
    assert.equal(run.stderr_truncated, true);
  });

  it('holds the concurrency limit under 100 parallel calls', async () => {
    const settled = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => svc.start('slow', {}, `burst-${i}`)));
    const ok = settled.filter((s) => s.status === 'fulfilled');
    const busy = settled.filter((s) => s.status === 'rejected' && isVigiaError(s.reason, 'AGENT_ERR_ACTION_BUSY'));
    assert.equal(ok.length, 2);
    assert.equal(busy.length, 98);
    for (const s of ok) {
      const run = (s as PromiseFulfilledResult<Awaited<ReturnType<ActionService['start']>>>).value;
      assert.equal(run.status, 'succeeded');
      assert.equal(isAlive(Number(run.stdout)), false);
    }
    const lines = auditLines().filter((l) => l.client.startsWith('burst-'));
    assert.equal(lines.filter((l) => l.event === 'action.start').length, 2);
    assert.equal(lines.filter((l) => l.event === 'action.end').length, 2);
    assert.equal(lines.filter((l) => l.event === 'action.rejected' && /AGENT_ERR_ACTION_BUSY/.test(l.reason ?? '')).length, 98);
    // the limit is released: a later call runs
    assert.equal((await svc.start('slow', {}, 'tester')).status, 'succeeded');
  });

  it('records failures with exit code and stderr', async () => {
    const run = await svc.start('fail', {}, 'tester');
    assert.equal(run.status, 'failed');
    assert.equal(run.exit_code, 3);
    assert.equal(run.stderr, 'boom');
  });

  it('answers async actions at once and finishes them in the background', async () => {
    const run = await svc.start('slow-async', {}, 'tester');
    assert.equal(run.status, 'running');
    assert.equal(run.finished_at, null);
    const done = await waitFor('async run', () => {
      const r = svc.get(run.id);
      return r.status !== 'running' && r;
    }, 10_000);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.stdout, 'done');
    const waited = await svc.start('slow-async', {}, 'tester', { wait: true });
    assert.equal(waited.status, 'succeeded');
  });

  it('throws AGENT_ERR_UNKNOWN_RUN for an unknown id', () => {
    assert.throws(() => svc.get('00000000-0000-4000-8000-000000000000'), expectCode('AGENT_ERR_UNKNOWN_RUN'));
  });

  it('writes a parseable audit line for every call', () => {
    const lines = auditLines();
    const starts = lines.filter((l) => l.event === 'action.start');
    const ends = lines.filter((l) => l.event === 'action.end');
    for (const s of starts) {
      const e = ends.find((x) => x.run_id === s.run_id);
      assert.ok(e, `no end line for ${s.run_id}`);
      assert.equal(typeof e.duration_ms, 'number');
      assert.ok('exit_code' in e);
      assert.ok(typeof (s as { ts?: string } & AuditLine).client === 'string');
    }
    assert.ok(lines.every((l) => typeof (l as unknown as { ts: string }).ts === 'string'));
  });

  it('close() kills running groups and refuses new runs', async () => {
    const tmp2 = tempDir('vigia-actions-');
    writeActions(tmp2.dir);
    const audit2 = await openAuditLog(join(tmp2.dir, 'audit.log'));
    const svc2 = await createActionService({ actionsDir: tmp2.dir, audit: audit2, killGraceMs: 200 });
    try {
      const run = await svc2.start('hang-async', {}, 'tester');
      const pids = await waitFor('hang pids', () => svc2.get(run.id).stdout.includes('grandchild') && (JSON.parse(svc2.get(run.id).stdout) as { leader: number; grandchild: number }));
      assert.equal(isAlive(pids.leader), true);
      await svc2.close();
      assert.equal(isAlive(pids.leader), false);
      assert.equal(isAlive(pids.grandchild), false);
      assert.equal(svc2.get(run.id).status, 'failed');
      await assert.rejects(svc2.start('echo', { text: 'x' }, 'tester'), expectCode('VIGIA_ERR_SHUTTING_DOWN'));
    } finally {
      await svc2.close();
      await audit2.close();
      tmp2.remove();
    }
  });

  it('drops the output of the oldest finished runs beyond maxOutputBytes, keeping their metadata', async () => {
    const t = tempDir('vigia-actions-');
    writeActions(t.dir);
    const s = await createActionService({ actionsDir: t.dir, audit: memoryAuditLog(), maxOutputBytes: 200_000 });
    try {
      const first = await s.start('flood', {}, 'tester'); // 64 KiB + 64 KiB kept
      assert.equal(first.output_dropped, false);
      assert.equal(first.stdout.length, 65536);
      const second = await s.start('flood', {}, 'tester');
      assert.equal(second.output_dropped, false);
      const old = s.get(first.id);
      assert.equal(old.output_dropped, true);
      assert.equal(old.stdout, '');
      assert.equal(old.stderr, '');
      assert.equal(old.status, 'succeeded');
      assert.equal(old.exit_code, 0);
      assert.equal(old.stdout_truncated, true);
      assert.equal(s.get(second.id).stdout.length, 65536);
      const small = await s.start('fail', {}, 'tester');
      assert.equal(s.get(small.id).stderr, 'boom');
      assert.equal(s.get(second.id).output_dropped, false, '128 KiB + 4 bytes fit in the budget');
    } finally {
      await s.close();
      t.remove();
    }
  });

  it('refuses a run whose start line was being written when close() began, and logs the refusal before close() resolves', async () => {
    const t = tempDir('vigia-actions-');
    writeActions(t.dir);
    const mem = memoryAuditLog();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const audit: AuditLog = {
      write: async (e) => {
        if (e.event === 'action.start') await held;
        await mem.write(e);
      },
      close: async () => {},
    };
    const s = await createActionService({ actionsDir: t.dir, audit });
    try {
      const started = s.start('echo', { text: 'late' }, 'tester');
      const startedResult = started.then(() => 'ran', (e: unknown) => e);
      await new Promise((r) => setImmediate(r));
      const closing = s.close();
      release();
      await closing;
      const events = mem.lines.map((l) => JSON.parse(l) as AuditLine);
      assert.deepEqual(events.map((e) => e.event), ['action.start', 'action.rejected']);
      assert.equal(events[1]!.run_id, events[0]!.run_id);
      assert.match(events[1]!.reason!, /^VIGIA_ERR_SHUTTING_DOWN/);
      assert.ok(expectCode('VIGIA_ERR_SHUTTING_DOWN')(await startedResult));
    } finally {
      release();
      await s.close();
      t.remove();
    }
  });

  it('close() ends in-flight synchronous runs at once, setpgid escapees included, with their end line written', async () => {
    const t = tempDir('vigia-actions-');
    writeActions(t.dir);
    const mem = memoryAuditLog();
    const s = await createActionService({ actionsDir: t.dir, audit: mem, killGraceMs: 200 });
    let sleeper = 0;
    try {
      const started = s.start('hang-sync', {}, 'tester');
      let resolved = false;
      void started.then(() => (resolved = true), () => (resolved = true));
      const runId = await waitFor('start line', () => mem.lines.length > 0 && (JSON.parse(mem.lines[0]!) as AuditLine).run_id) as string;
      sleeper = await waitFor('sleeper pid', () => Number(s.get(runId).stdout.trim()) || false);
      assert.equal(isAlive(sleeper), true);
      const t0 = Date.now();
      await s.close();
      const took = Date.now() - t0;
      const linesAtClose = mem.lines.map((l) => JSON.parse(l) as AuditLine & { status?: string; signal?: string | null });
      await new Promise((r) => setImmediate(r));
      assert.equal(resolved, true, 'start() still pending after close()');
      const run = await started;
      assert.equal(run.status, 'failed');
      assert.equal(run.signal, 'SIGKILL');
      // The run would sleep 300 s: seconds, not minutes, is "at once" (a loaded CI machine is slow to reap).
      assert.ok(took < 5000, `close() took ${took} ms`);
      assert.equal(isAlive(sleeper), false, 'setpgid grandchild survived close()');
      const end = linesAtClose.find((l) => l.event === 'action.end' && l.run_id === runId);
      assert.ok(end, 'no action.end line when close() resolved');
      assert.equal(end.status, 'failed');
      assert.equal(end.signal, 'SIGKILL');
    } finally {
      if (sleeper > 0 && isAlive(sleeper)) process.kill(sleeper, 'SIGKILL');
      await s.close();
      t.remove();
    }
  });

  it('reports failed action.end and action.rejected audit writes instead of dropping them', async () => {
    const t = tempDir('vigia-actions-');
    writeActions(t.dir);
    const failing: AuditLog = {
      write: async (e) => {
        if (e.event !== 'action.start') throw new Error('disk full');
      },
      close: async () => {},
    };
    const reported: { entry: AuditEntry; err: string }[] = [];
    const s = await createActionService({ actionsDir: t.dir, audit: failing, onAuditError: (entry, err) => reported.push({ entry, err: (err as Error).message }) });
    try {
      const run = await s.start('fail', {}, 'tester');
      assert.equal(run.status, 'failed');
      await assert.rejects(s.start('nope', {}, 'tester'), expectCode('AGENT_ERR_UNKNOWN_ACTION'));
      assert.deepEqual(reported.map((r) => [r.entry.event, r.err]), [['action.end', 'disk full'], ['action.rejected', 'disk full']]);
      assert.equal(reported[0]!.entry.run_id, run.id);
    } finally {
      await s.close();
      t.remove();
    }
    // The default: one JSON line on stderr.
    const written: string[] = [];
    const orig = process.stderr.write;
    process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      auditErrorToStderr({ event: 'action.end', run_id: 'r1', client: 'c', action: 'a', status: 'failed' }, new Error('EIO'));
    } finally {
      process.stderr.write = orig;
    }
    assert.equal(written.length, 1);
    assert.ok(written[0]!.endsWith('\n'));
    assert.deepEqual(JSON.parse(written[0]!), { level: 'error', msg: 'audit log write failed', event: 'action.end', run_id: 'r1', action: 'a', client: 'c', status: 'failed', error: 'EIO' });
  });

  it('refuses to load an action that would run as root without saying so', { skip: !isRoot && 'needs root' }, async () => {
    const tmp3 = tempDir('vigia-actions-');
    try {
      writeActions(tmp3.dir);
      const audit3 = await openAuditLog(join(tmp3.dir, 'a.log'));
      await assert.rejects(createActionService({ actionsDir: tmp3.dir, audit: audit3, runAs: { uid: 0, gid: 0 } }), expectCode('AGENT_ERR_ACTION_MANIFEST', /would run as uid 0/));
      await audit3.close();
    } finally {
      tmp3.remove();
    }
  });
});

describe('shipped motd-fortune action', () => {
  /** The shipped action, pointed at `motdPath`, in an actions dir under `root`. */
  async function motdService(root: string, motdPath: string): Promise<ActionService> {
    const actions = join(root, 'actions');
    mkdirSync(join(actions, 'motd-fortune'), { recursive: true });
    const shipped = JSON.parse(readFileSync(join(SHIPPED, 'motd-fortune', 'manifest.json'), 'utf8')) as { argv: string[]; env: Record<string, string> };
    shipped.argv[0] = join(SHIPPED, 'motd-fortune', 'motd-fortune.mjs');
    shipped.env.MOTD_PATH = motdPath;
    writeFileSync(join(actions, 'motd-fortune', 'manifest.json'), JSON.stringify(shipped));
    return createActionService({ actionsDir: actions, audit: memoryAuditLog() });
  }

  it('as the action user, rewrites /etc/motd-like files in place when only the file is writable (chgrp + 664)', { skip: !isRoot && 'needs root (runs as nobody)' }, async () => {
    const tmp = tempDir('vigia-motd-');
    try {
      chmodSync(tmp.dir, 0o755);
      const etc = join(tmp.dir, 'etc'); // root-owned 0755, like /etc: nobody cannot create files here
      mkdirSync(etc, { mode: 0o755 });
      const motd = join(etc, 'motd');
      writeFileSync(motd, 'old motd, rather longer than nothing\n');
      chownSync(motd, 0, 65534);
      chmodSync(motd, 0o664);
      const ino = statSync(motd).ino;
      const svc = await motdService(tmp.dir, motd);
      try {
        const run = await svc.start('motd-fortune', { width: 40 }, 'tester');
        assert.equal(run.status, 'succeeded', run.stderr);
        assert.equal(readFileSync(motd, 'utf8'), run.stdout);
        assert.equal(statSync(motd).ino, ino, 'expected an in-place rewrite');
        assert.equal(statSync(motd).mode & 0o777, 0o664);
        assert.deepEqual(readdirSync(etc), ['motd'], 'no temp file left behind');
        // Neither the directory nor the file writable: a clear failure, the file untouched.
        chmodSync(motd, 0o644);
        const before = readFileSync(motd, 'utf8');
        const denied = await svc.start('motd-fortune', {}, 'tester');
        assert.equal(denied.status, 'failed');
        assert.equal(denied.exit_code, 1);
        assert.match(denied.stderr, /cannot write .*motd: EACCES/);
        assert.equal(readFileSync(motd, 'utf8'), before);
      } finally {
        await svc.close();
      }
    } finally {
      tmp.remove();
    }
  });

  it('writes a paper scroll atomically to the configured motd path', async () => {
    const tmp = tempDir('vigia-motd-');
    try {
      chmodSync(tmp.dir, 0o755);
      const actions = join(tmp.dir, 'actions');
      const motdDir = join(tmp.dir, 'motd.d');
      mkdirSync(join(actions, 'motd-fortune'), { recursive: true });
      mkdirSync(motdDir, { mode: 0o755 });
      if (isRoot) chownSync(motdDir, 65534, 65534); // the operator grants the action user the drop-in dir
      const shipped = JSON.parse(readFileSync(join(SHIPPED, 'motd-fortune', 'manifest.json'), 'utf8')) as { argv: string[]; env: Record<string, string> };
      shipped.argv[0] = join(SHIPPED, 'motd-fortune', 'motd-fortune.mjs');
      shipped.env.MOTD_PATH = join(motdDir, 'vigia');
      writeFileSync(join(actions, 'motd-fortune', 'manifest.json'), JSON.stringify(shipped));
      const audit = await openAuditLog(join(tmp.dir, 'audit.log'));
      const svc = await createActionService({ actionsDir: actions, audit });
      try {
        assert.deepEqual(svc.list()[0]!.parameters.properties.width, { type: 'integer', minimum: 40, maximum: 100, default: 72, description: 'total width of the scroll in columns' });
        const run = await svc.start('motd-fortune', { width: 50 }, 'tester');
        assert.equal(run.status, 'succeeded', run.stderr);
        const motd = readFileSync(join(motdDir, 'vigia'), 'utf8');
        assert.equal(motd, run.stdout);
        const lines = motd.trimEnd().split('\n');
        assert.match(lines[0]!, /^ _{46}$/);
        assert.match(lines[1]!, /^\/\\ {45}\\$/);
        assert.match(lines[2]!, /^\\_\| {2}\S/);
        assert.match(lines.at(-2)!, /^ {2}\| {3}_{41}\|_$/);
        assert.match(lines.at(-1)!, /^ {3}\\_\/_{43}\/$/);
        for (const l of lines.slice(2, -2)) assert.match(l, /^(\\_| {2})\|.{44}\|$/u);
        await assert.rejects(svc.start('motd-fortune', { width: 39 }, 'tester'), (e: unknown) => isVigiaError(e, 'AGENT_ERR_INVALID_PARAMS'));
        await assert.rejects(svc.start('motd-fortune', { width: '60' }, 'tester'), (e: unknown) => isVigiaError(e, 'AGENT_ERR_INVALID_PARAMS'));
        const again = await svc.start('motd-fortune', {}, 'tester');
        assert.equal(again.status, 'succeeded');
        assert.equal(readFileSync(join(motdDir, 'vigia'), 'utf8').split('\n')[0]!.length, 72 - 3); // top edge: the scroll's rolled ends stick out 3 columns below
        assert.equal(statSync(join(motdDir, 'vigia')).mode & 0o777, 0o644);
        if (isRoot) assert.equal(statSync(join(motdDir, 'vigia')).uid, 65534, 'created by the action user (atomic path)');
        assert.deepEqual(readdirSync(motdDir), ['vigia'], 'no temp file left behind');
      } finally {
        await svc.close();
        await audit.close();
      }
    } finally {
      tmp.remove();
    }
  });
});
