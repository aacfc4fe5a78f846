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
  assert.throws(() => parseTurnoConfig({ ...base, listen: '0.0.0.0:7017' }), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /authTokenFile/.test(e.message));
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
