import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { MAX_CHECK_OUTPUT_BYTES, type CheckSpec } from '../../core/contracts/bundle.js';
import { reportChecksSchema, type ReportCheck } from '../../core/contracts/host-report.js';
import { isVigiaError } from '../../core/errors.js';
import { isAlive } from '../../../test/support/procs.js';
import { ACTION_PATH } from '../actions/runner.js';
import { createCheckRunner, prepareChecks, resolveCheckCommand, type CheckRunner, type CheckRunnerOptions } from './check-runner.js';
import { waitFor } from '../../../test/support/wait.js';

const NOW = Date.parse('2026-12-01T07:00:00.000Z');
const dirs: string[] = [];
const runners: CheckRunner[] = [];

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh bundle directory (real path, so cwd comparisons hold). */
function bundle(): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'vigia-checks-')));
  dirs.push(d);
  return d;
}

function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

function check(name: string, command: string, over: Partial<CheckSpec> = {}): CheckSpec {
  return { name, command, args: [], interval: 60_000, timeout: 5_000, thresholds: {}, where: {}, env: {}, ...over };
}

function runner(opts: Partial<CheckRunnerOptions> & Pick<CheckRunnerOptions, 'bundleDir' | 'checks'>): CheckRunner {
  const r = createCheckRunner({ release: 7, hostTags: {}, now: () => NOW, random: () => 0, ...opts });
  runners.push(r);
  return r;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const byName = (rs: readonly ReportCheck[], name: string): ReportCheck | undefined => rs.find((r) => r.name === name);
const strip = ({ duration_ms: _d, ...rest }: ReportCheck): Omit<ReportCheck, 'duration_ms'> => rest;

describe('createCheckRunner: Nagios exit codes', () => {
  it('maps exit 0/1/2/3/7 and reports a valid checks section', async () => {
    const dir = bundle();
    const codes = [0, 1, 2, 3, 7];
    for (const c of codes) script(dir, `exit${c}.sh`, `echo "plugin said ${c} | v=${c}"\necho second line\nexit ${c}`);
    const r = runner({ bundleDir: dir, checks: codes.map((c) => check(`exit${c}`, `exit${c}.sh`)) });
    const got = await waitFor('five results', () => r.results().results.length === codes.length && r.results(), 4000);
    assert.deepEqual(reportChecksSchema.parse(got), got);
    assert.equal(got.release, 7);
    const at = new Date(NOW).toISOString();
    assert.deepEqual(got.results.map(strip), [
      { name: 'exit0', state: 'OK', output: 'plugin said 0 | v=0', at },
      { name: 'exit1', state: 'WARNING', output: 'plugin said 1 | v=1', at },
      { name: 'exit2', state: 'CRITICAL', output: 'plugin said 2 | v=2', at },
      { name: 'exit3', state: 'UNKNOWN', output: 'plugin said 3 | v=3', at },
      { name: 'exit7', state: 'UNKNOWN', output: 'UNKNOWN: exit code 7: plugin said 7 | v=7', at },
    ]);
  });

  it('reports a missing command as UNKNOWN, and runs an absolute command outside the bundle', async () => {
    const dir = bundle();
    const outside = bundle();
    const abs = script(outside, 'abs.sh', 'echo absolute ok');
    const r = runner({ bundleDir: dir, checks: [check('missing', 'nope.sh'), check('absolute', abs)] });
    const got = await waitFor('two results', () => r.results().results.length === 2 && r.results().results, 4000);
    assert.deepEqual(got.map((x) => [x.name, x.state, x.output]), [
      ['missing', 'UNKNOWN', 'UNKNOWN: could not start: ENOENT'],
      ['absolute', 'OK', 'absolute ok'],
    ]);
  });

  it('refuses a bundle file that is a symlink leading outside the bundle, without running it', async () => {
    const dir = bundle();
    const outside = bundle();
    const marker = join(outside, 'ran');
    script(outside, 'evil.sh', `touch '${marker}'\necho evil`);
    symlinkSync(join(outside, 'evil.sh'), join(dir, 'link.sh'));
    const r = runner({ bundleDir: dir, checks: [check('link', 'link.sh')] });
    const got = await waitFor('link result', () => byName(r.results().results, 'link'), 4000);
    assert.equal(got.state, 'UNKNOWN');
    assert.equal(got.output, 'UNKNOWN: command resolves outside the bundle');
    assert.equal(existsSync(marker), false, 'the escaping command ran');
  });
});

describe('createCheckRunner: timeouts and output', () => {
  it('times out as UNKNOWN and kills the whole process group', async () => {
    const dir = bundle();
    const pids = join(dir, 'pids');
    script(dir, 'hang.sh', `echo $$ > "$PIDS"\nsleep 30 &\necho $! >> "$PIDS"\necho started\nwait`);
    const r = runner({ bundleDir: dir, checks: [check('hang', 'hang.sh', { timeout: 300, env: { PIDS: pids } })] });
    const got = await waitFor('hang result', () => byName(r.results().results, 'hang'), 5000);
    assert.equal(got.state, 'UNKNOWN');
    assert.equal(got.output, 'UNKNOWN: timed out after 0.3 s: started');
    assert.ok(got.duration_ms >= 290 && got.duration_ms < 3000, `duration ${got.duration_ms}`);
    const [shell, child] = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    assert.ok(shell && child, 'script did not record its pids');
    assert.equal(isAlive(shell), false, 'the check script survived its timeout');
    assert.equal(isAlive(child), false, 'the check script child survived its timeout');
  });

  it('reports the first line only, cut to 1024 bytes on a character boundary, NUL removed', async () => {
    const dir = bundle();
    const long = `a${'é'.repeat(1000)}`;
    script(dir, 'long.sh', `printf '%s\\n' '${long}'\necho second\nexit 1`);
    script(dir, 'nul.sh', `printf 'a\\000b\\nsecond\\n'`);
    // 1 MiB without a newline: only a draining, capped reader lets it finish in time
    script(dir, 'flood.sh', `head -c 1048576 /dev/zero | tr '\\000' 'x'\nexit 2`);
    const r = runner({ bundleDir: dir, checks: [check('long', 'long.sh'), check('nul', 'nul.sh'), check('flood', 'flood.sh', { timeout: 3000 })] });
    const got = await waitFor('three results', () => r.results().results.length === 3 && r.results().results, 5000);
    assert.deepEqual(got.map((x) => [x.name, x.state]), [['long', 'WARNING'], ['nul', 'OK'], ['flood', 'CRITICAL']]);
    assert.equal(got[0]!.output, `a${'é'.repeat(511)}`);
    assert.equal(got[1]!.output, 'ab');
    assert.equal(got[2]!.output, 'x'.repeat(1024));
  });
});

describe('createCheckRunner: arguments, environment, selection', () => {
  it('passes args literally (no shell), fills placeholders, runs in a clean env with cwd = bundle dir', async () => {
    const dir = bundle();
    const marker = join(dir, 'pwned');
    process.env.VIGIA_TEST_CANARY = 'leaked';
    try {
      script(dir, 'args.sh', `printf '%s|' "$@"\nprintf 'cwd=%s|path=%s|name=%s|foo=%s|canary=%s' "$(pwd -P)" "$PATH" "$VIGIA_CHECK_NAME" "$FOO" "\${VIGIA_TEST_CANARY-unset}"`);
      const nasty = `$(touch ${marker}); \`touch ${marker}\``;
      const r = runner({
        bundleDir: dir,
        checks: [check('args', './args.sh', { args: [nasty, '-w', '{warning}', '-c={critical}%', 'a b', '*', '{print $1}'], thresholds: { warning: '80', critical: '90' }, env: { FOO: 'bar baz' } })],
      });
      const got = await waitFor('args result', () => byName(r.results().results, 'args'), 4000);
      assert.equal(got.state, 'OK');
      assert.equal(got.output, `${nasty}|-w|80|-c=90%|a b|*|{print $1}|cwd=${dir}|path=${ACTION_PATH}|name=args|foo=bar baz|canary=unset`);
      assert.equal(existsSync(marker), false, 'an argument was interpreted by a shell');
    } finally {
      delete process.env.VIGIA_TEST_CANARY;
    }
  });

  it('runs only the checks whose where tags all match the host', async () => {
    const dir = bundle();
    const ran = join(dir, 'ran');
    mkdirSync(ran);
    script(dir, 'mark.sh', `touch "$RAN/$VIGIA_CHECK_NAME"\necho ran`);
    const env = { RAN: ran };
    const r = runner({
      bundleDir: dir,
      hostTags: { role: 'web', region: 'eu' },
      checks: [
        check('web', 'mark.sh', { where: { role: 'web' }, env }),
        check('db', 'mark.sh', { where: { role: 'db' }, env }),
        check('web-us', 'mark.sh', { where: { role: 'web', region: 'us' }, env }),
        check('any', 'mark.sh', { env }),
      ],
    });
    await waitFor('two results', () => r.results().results.length === 2, 4000);
    await sleep(300); // the others were due at the same moment: give them time to show up if they run
    assert.deepEqual(r.results().results.map((x) => x.name), ['web', 'any']);
    assert.equal(existsSync(join(ran, 'db')), false);
    assert.equal(existsSync(join(ran, 'web-us')), false);
  });

  it('refuses an unknown placeholder at creation, even in a check for other hosts, before running anything', async () => {
    const dir = bundle();
    const marker = join(dir, 'ran');
    script(dir, 'ok.sh', `touch '${marker}'`);
    assert.throws(
      () => runner({ bundleDir: dir, hostTags: { role: 'web' }, checks: [check('good', 'ok.sh'), check('bad', 'ok.sh', { where: { role: 'db' }, args: ['{warn}'], thresholds: { warning: '1' } })] }),
      (e: unknown) => isVigiaError(e, 'BUNDLE_ERR_INVALID') && e.message.includes('checks[bad].args[0]: unknown placeholder {warn}'),
    );
    await sleep(100);
    assert.equal(existsSync(marker), false);
  });
});

describe('createCheckRunner: schedule', () => {
  it('never overlaps a check with itself: ticks that find it running are skipped', async () => {
    const dir = bundle();
    const log = join(dir, 'log');
    script(dir, 'slow.sh', `echo start >> "$LOG"\nmkdir "$LOCK" 2>/dev/null || { echo overlap; exit 2; }\nsleep 0.5\nrmdir "$LOCK"\necho ok`);
    const seen: ReportCheck[] = [];
    runner({ bundleDir: dir, onResult: (x) => seen.push(x), checks: [check('slow', 'slow.sh', { interval: 100, env: { LOG: log, LOCK: join(dir, 'lock') } })] });
    await waitFor('two results', () => seen.length >= 2, 4000);
    const starts = readFileSync(log, 'utf8').trim().split('\n').length;
    assert.deepEqual(seen.map((x) => x.output), ['ok', 'ok']);
    // 10 ticks passed in ~1.1 s; only the ones finding the check idle started it
    assert.ok(starts <= 3, `${starts} starts`);
  });

  it('runs at most maxConcurrent checks at once', async () => {
    for (const [maxConcurrent, expectOverlap] of [[1, false], [3, true]] as const) {
      const dir = bundle();
      script(dir, 'excl.sh', `mkdir "$LOCK" 2>/dev/null || { echo overlap; exit 2; }\nsleep 0.3\nrmdir "$LOCK"\necho alone`);
      const env = { LOCK: join(dir, 'lock') };
      const r = runner({ bundleDir: dir, maxConcurrent, checks: ['a', 'b', 'c'].map((n) => check(n, 'excl.sh', { env })) });
      const got = await waitFor('three results', () => r.results().results.length === 3 && r.results().results, 4000);
      assert.equal(got.some((x) => x.output === 'overlap'), expectOverlap, `maxConcurrent=${maxConcurrent}: ${JSON.stringify(got.map((x) => x.output))}`);
      await r.stop();
    }
  });

  it('waits a random part of the interval before the first run', async () => {
    const dir = bundle();
    script(dir, 'ok.sh', 'echo ok');
    const t0 = Date.now();
    const r = runner({ bundleDir: dir, random: () => 0.5, checks: [check('spread', 'ok.sh', { interval: 600 })] });
    await waitFor('spread result', () => byName(r.results().results, 'spread'), 4000);
    assert.ok(Date.now() - t0 >= 290, `first run after ${Date.now() - t0} ms, expected ~300`);
  });

  it('stop() kills running checks, waits for them, and nothing runs or reports afterwards', async () => {
    const dir = bundle();
    const pids = join(dir, 'pids');
    script(dir, 'hang.sh', `echo $$ > "$PIDS.tmp"\nsleep 30 &\necho $! >> "$PIDS.tmp"\nmv "$PIDS.tmp" "$PIDS"\nwait`);
    const seen: ReportCheck[] = [];
    const r = runner({ bundleDir: dir, onResult: (x) => seen.push(x), checks: [check('hang', 'hang.sh', { interval: 200, timeout: 20_000, env: { PIDS: pids } })] });
    const [shell, child] = await waitFor('pids', () => existsSync(pids) && readFileSync(pids, 'utf8').trim().split('\n').map(Number), 4000);
    assert.ok(shell && child && isAlive(shell) && isAlive(child));
    const t0 = Date.now();
    await r.stop();
    assert.ok(Date.now() - t0 < 3000, `stop took ${Date.now() - t0} ms`);
    assert.equal(isAlive(shell), false, 'check script survived stop()');
    assert.equal(isAlive(child), false, 'check script child survived stop()');
    rmSync(pids);
    await sleep(450);
    assert.equal(existsSync(pids), false, 'a check ran after stop()');
    assert.deepEqual(seen, []);
    assert.deepEqual(r.results(), { release: 7, results: [] });
    await r.stop(); // idempotent
  });
});

describe('prepareChecks / resolveCheckCommand', () => {
  it('builds the process spec: capped output, clean env with fixed PATH, bundle cwd, runAs', () => {
    const [p] = prepareChecks({ bundleDir: '/opt/b/', hostTags: {}, runAs: { uid: 65534, gid: 65534 }, checks: [check('disk', 'bin/check_disk', { args: ['-w', '{w}'], thresholds: { w: '80' }, env: { LANG: 'C', X: '1' }, timeout: 500 })] });
    assert.deepEqual(p, {
      name: 'disk',
      intervalMs: 60_000,
      insideBundle: true,
      process: { executable: '/opt/b/bin/check_disk', argv: ['-w', '80'], env: { PATH: ACTION_PATH, LANG: 'C', X: '1', VIGIA_CHECK_NAME: 'disk' }, cwd: '/opt/b', timeoutMs: 500, outputCapBytes: MAX_CHECK_OUTPUT_BYTES, killGraceMs: 500, uid: 65534, gid: 65534 },
    });
  });

  const refused: Array<[string, CheckSpec[], RegExp]> = [
    ['duplicate names', [check('a', 'x'), check('a', 'y')], /checks\[a\]: declared twice/],
    ['PATH in env', [check('a', 'x', { env: { PATH: '/tmp' } })], /checks\[a\]\.env\.PATH: reserved/],
    ['VIGIA_CHECK_NAME in env', [check('a', 'x', { env: { VIGIA_CHECK_NAME: 'b' } })], /env\.VIGIA_CHECK_NAME: reserved/],
    ['escaping command', [check('a', '../x')], /checks\[a\]\.command: "\.\.\/x" escapes/],
    ['zero interval', [check('a', 'x', { interval: 0 })], /checks\[a\]\.interval/],
    ['NaN timeout', [check('a', 'x', { timeout: Number.NaN })], /checks\[a\]\.timeout/],
  ];
  for (const [name, checks, re] of refused) {
    it(`refuses ${name}`, () => {
      assert.throws(() => prepareChecks({ bundleDir: '/opt/b', hostTags: {}, checks }), (e: unknown) => isVigiaError(e, 'BUNDLE_ERR_INVALID') && re.test(e.message));
    });
  }

  const commands: Array<[string, string | null]> = [
    ['check.sh', '/b/check.sh'],
    ['bin/check.sh', '/b/bin/check.sh'],
    ['./check.sh', '/b/check.sh'],
    ['/usr/lib/nagios/plugins/check_disk', '/usr/lib/nagios/plugins/check_disk'],
    ['../check.sh', null],
    ['bin/../../etc/passwd', null],
    ['.', null],
    ['', null],
  ];
  for (const [command, want] of commands) {
    it(`resolves ${JSON.stringify(command)}`, () => {
      if (want === null) assert.throws(() => resolveCheckCommand('/b', command), (e: unknown) => isVigiaError(e, 'BUNDLE_ERR_INVALID'));
      else assert.equal(resolveCheckCommand('/b', command).executable, want);
    });
  }
});
