import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../core/errors.js';
import { DEFAULT_LISTEN, DEFAULT_STORE, isLoopback, parseTurnoConfig } from './config.js';

const base = {
  listen: DEFAULT_LISTEN,
  store: DEFAULT_STORE,
  workers: '1',
  insecureNoAuth: false,
  logLevel: 'info',
  shutdownTimeoutMs: '10000',
  tracing: { enabled: false, serviceName: 'vigia-turno', sampleRatio: 1 },
};

test('defaults parse, are typed and frozen', () => {
  const c = parseTurnoConfig(base);
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 7017 });
  assert.equal(c.workers, 1);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.listen));
});

test('a non-loopback listen address needs a token file or an explicit --insecure-no-auth', () => {
  assert.throws(() => parseTurnoConfig({ ...base, listen: '0.0.0.0:7017' }), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /authTokenFile: listening on 0.0.0.0/.test(e.message));
  assert.equal(parseTurnoConfig({ ...base, listen: '0.0.0.0:7017', authTokenFile: '/etc/t' }).authTokenFile, '/etc/t');
  assert.equal(parseTurnoConfig({ ...base, listen: '0.0.0.0:7017', insecureNoAuth: true }).insecureNoAuth, true);
});

test('--workers > 1 is refused on single-process stores (they would hand out duplicates)', () => {
  for (const store of ['memory', 'file:/tmp/x']) {
    assert.throws(() => parseTurnoConfig({ ...base, store, workers: '2' }), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /workers/.test(e.message), store);
  }
  assert.equal(parseTurnoConfig({ ...base, store: 'redis://127.0.0.1:6379', workers: '4' }).workers, 4);
});

test('bad values name their field', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ listen: 'nope' }, /listen/],
    [{ workers: '0' }, /workers/],
    [{ workers: 'x' }, /workers/],
    [{ logLevel: 'loud' }, /logLevel/],
    [{ shutdownTimeoutMs: '5' }, /shutdownTimeoutMs/],
    [{ unknown: 1 }, /unknown/],
    [{ store: 'file:' }, /store: file: needs a path/],
    [{ store: 'redis://h:1?replicas=x' }, /store: replicas must be an integer/],
    [{ store: 'mysql://h' }, /store: unknown store/],
  ];
  for (const [patch, field] of cases) {
    assert.throws(() => parseTurnoConfig({ ...base, ...patch }), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && field.test(e.message), JSON.stringify(patch));
  }
});

test('loopback detection', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1']) assert.equal(isLoopback(h), false, h);
});

/** Run `vigia turno ARGS` in-process up to its config parse; the VIGIA_ERR_CONFIG message it throws. */
async function turnoConfigError(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { Command } = await import('commander');
  const { register } = await import('./command.js');
  const program = new Command('vigia').exitOverride();
  register(program);
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    await program.parseAsync(['node', 'vigia', 'turno', ...args]);
  } catch (err) {
    if (isVigiaError(err, 'VIGIA_ERR_CONFIG')) return err.message;
    throw err;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  throw new Error(`vigia turno ${args.join(' ')} did not fail`);
}

test('vigia turno and turno check: a bad value of each kind of flag is one line naming the flag (or env variable) typed', async () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--listen', 'nope'], {}, /^invalid configuration: --listen: "nope" is not host:port \(e\.g\. [^;]*\)$/],
    [['--workers', 'abc'], {}, /^invalid configuration: --workers: expected a number, got "abc"$/],
    [['--workers', '0'], {}, /^invalid configuration: --workers: must be at least 1, got "0"$/],
    [['--workers', '1.5', '--store', 'redis://127.0.0.1:6379'], {}, /^invalid configuration: --workers: must be a whole number, got "1\.5"$/],
    [['--shutdown-timeout', '5'], {}, /^invalid configuration: --shutdown-timeout: must be at least 100, got "5"$/],
    [['--log-level', 'loud'], {}, /^invalid configuration: --log-level: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"$/],
    [['--store', 'mysql://h'], {}, /^invalid configuration: --store: unknown store/],
    [['--listen', '0.0.0.0:7017'], {}, /^invalid configuration: --auth-token-file: listening on 0\.0\.0\.0 \(not loopback\) needs --auth-token-file/],
    [[], { VIGIA_TURNO_LISTEN: 'nope' }, /^invalid configuration: VIGIA_TURNO_LISTEN: "nope" is not host:port/],
    [['--store', 'memory'], { VIGIA_TURNO_WORKERS: '2' }, /^invalid configuration: VIGIA_TURNO_WORKERS: --workers 2 needs a shared store/],
    [['check', '--url', 'ftp://h'], {}, /^invalid configuration: --url: "ftp:\/\/h": only http:\/\/ and https:\/\/ URLs are supported$/],
    [['check', '--ids', 'ten'], {}, /^invalid configuration: --ids: must be a whole number$/],
    [['check', '--duration', '0'], {}, /^invalid configuration: --duration: must be more than 0$/],
    [['check', '--token-file', '/nonexistent/t'], {}, /^invalid configuration: --token-file: cannot read \/nonexistent\/t \(ENOENT\)$/],
  ];
  for (const [args, env, expected] of cases) {
    const message = await turnoConfigError(args, env);
    assert.match(message, expected, `${args.join(' ')} ${JSON.stringify(env)}`);
    assert.doesNotMatch(message, /undefined|\n|listen\.|shutdownTimeoutMs|authTokenFile/, message);
  }
});
