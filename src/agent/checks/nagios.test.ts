import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import { checksForHost, fillArgs, firstLine, stateFromExit, type CheckExit } from './nagios.js';

const exit = (over: Partial<CheckExit>): CheckExit => ({ exitCode: 0, signal: null, timedOut: false, stdout: '', stderr: '', ...over });

describe('stateFromExit', () => {
  const cases: Array<[string, Partial<CheckExit>, number | undefined, string, string]> = [
    ['exit 0', { exitCode: 0, stdout: 'DISK OK - 40% | used=40%\nlong text\n' }, 10_000, 'OK', 'DISK OK - 40% | used=40%'],
    ['exit 1', { exitCode: 1, stdout: 'DISK WARNING\n' }, 10_000, 'WARNING', 'DISK WARNING'],
    ['exit 2', { exitCode: 2, stdout: 'DISK CRITICAL' }, 10_000, 'CRITICAL', 'DISK CRITICAL'],
    ['exit 3', { exitCode: 3, stdout: 'cannot stat /data' }, 10_000, 'UNKNOWN', 'cannot stat /data'],
    ['stderr when stdout is empty', { exitCode: 2, stderr: 'boom\nmore' }, 10_000, 'CRITICAL', 'boom'],
    ['no output at all', { exitCode: 0 }, 10_000, 'OK', ''],
    ['another exit code', { exitCode: 7, stdout: 'weird' }, 10_000, 'UNKNOWN', 'UNKNOWN: exit code 7: weird'],
    ['exit 255 without output', { exitCode: 255 }, 10_000, 'UNKNOWN', 'UNKNOWN: exit code 255'],
    ['killed by a signal', { exitCode: null, signal: 'SIGSEGV' }, 10_000, 'UNKNOWN', 'UNKNOWN: killed by SIGSEGV'],
    ['timed out (wins over the signal)', { exitCode: null, signal: 'SIGTERM', timedOut: true, stdout: 'partial' }, 10_000, 'UNKNOWN', 'UNKNOWN: timed out after 10 s: partial'],
    ['timed out while exiting 0', { exitCode: 0, timedOut: true }, 250, 'UNKNOWN', 'UNKNOWN: timed out after 0.25 s'],
    ['timed out, limit unknown', { exitCode: null, signal: 'SIGKILL', timedOut: true }, undefined, 'UNKNOWN', 'UNKNOWN: timed out'],
    ['spawn failure', { exitCode: null, spawnError: 'ENOENT' }, 10_000, 'UNKNOWN', 'UNKNOWN: could not start: ENOENT'],
  ];
  for (const [name, over, timeoutMs, state, output] of cases) {
    it(name, () => assert.deepEqual(stateFromExit(exit(over), timeoutMs), { state, output }));
  }

  it('keeps the decorated output within 1024 bytes', () => {
    const r = stateFromExit(exit({ exitCode: 9, stdout: 'x'.repeat(5000) }));
    assert.equal(r.state, 'UNKNOWN');
    assert.equal(Buffer.byteLength(r.output), 1024);
    assert.ok(r.output.startsWith('UNKNOWN: exit code 9: xxx'));
  });
});

describe('firstLine', () => {
  const cases: Array<[string, string, string]> = [
    ['first of several lines', 'one\ntwo\nthree', 'one'],
    ['CRLF and trailing blanks', 'one  \r\ntwo', 'one'],
    ['NUL removed', 'a\u0000b\u0000\n', 'ab'],
    ['empty', '', ''],
    ['leading newline gives an empty line', '\nsecond', ''],
    ['exactly 1024 bytes kept', 'a'.repeat(1024), 'a'.repeat(1024)],
    ['ASCII cut at 1024 bytes', 'a'.repeat(2000), 'a'.repeat(1024)],
    ['2-byte characters not split', `a${'é'.repeat(1000)}`, `a${'é'.repeat(511)}`],
    ['4-byte characters not split', `ab${'😀'.repeat(300)}`, `ab${'😀'.repeat(255)}`],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      const got = firstLine(input);
      assert.equal(got, want);
      assert.ok(Buffer.byteLength(got) <= 1024);
      assert.ok(!got.includes('\uFFFD'));
    });
  }
});

describe('fillArgs', () => {
  const t = { warning: '80', critical: '90', path: '/data' };
  const cases: Array<[string, string[], string[]]> = [
    ['no placeholders', ['-x', 'plain'], ['-x', 'plain']],
    ['whole-arg placeholders', ['-w', '{warning}', '-c', '{critical}'], ['-w', '80', '-c', '90']],
    ['inside an arg, several times', ['--range={warning}:{critical}', '{path}/{path}'], ['--range=80:90', '/data//data']],
    ['other braces stay literal', ['{print $1}', '{A}', '{}', '{ warning }', '{9x}'], ['{print $1}', '{A}', '{}', '{ warning }', '{9x}']],
  ];
  for (const [name, args, want] of cases) it(name, () => assert.deepEqual(fillArgs(args, t), want));

  it('does not expand a value that looks like a placeholder', () => {
    assert.deepEqual(fillArgs(['{a}'], { a: '{b}', b: 'no' }), ['{b}']);
  });

  it('refuses an unknown placeholder, naming the arg', () => {
    assert.throws(
      () => fillArgs(['-w', '{warnig}'], t, 'checks[disk].args'),
      (e: unknown) => isVigiaError(e, 'BUNDLE_ERR_INVALID') && /checks\[disk\]\.args\[1\]: unknown placeholder \{warnig\}/.test(e.message),
    );
  });

  it('does not take placeholders from the prototype chain', () => {
    assert.throws(() => fillArgs(['{constructor}'], {}), (e: unknown) => isVigiaError(e, 'BUNDLE_ERR_INVALID'));
  });
});

describe('checksForHost', () => {
  const checks: Array<{ name: string; where: Record<string, string> }> = [
    { name: 'all', where: {} },
    { name: 'db', where: { role: 'db' } },
    { name: 'db-eu', where: { role: 'db', region: 'eu' } },
    { name: 'proto', where: { constructor: 'x' } },
  ];
  const cases: Array<[string, Record<string, string>, string[]]> = [
    ['no tags: only the unconditional check', {}, ['all']],
    ['one tag matches', { role: 'db', region: 'us' }, ['all', 'db']],
    ['all tags match', { role: 'db', region: 'eu', extra: '1' }, ['all', 'db', 'db-eu']],
    ['value differs', { role: 'web', region: 'eu' }, ['all']],
    ['case matters', { role: 'DB' }, ['all']],
  ];
  for (const [name, tags, want] of cases) {
    it(name, () => assert.deepEqual(checksForHost(checks, tags).map((c) => c.name), want));
  }
});
