import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../core/errors.js';
import { parseControlConfig } from './config.js';

const base = {
  listen: '127.0.0.1:0',
  store: { dataDir: 'data/control' },
  retentionDays: '90',
  pullIntervalSeconds: '60',
  ingestBatch: '500',
  ingestMaxQueued: '20000',
  rateLimit: '20/40',
  hostRateLimit: '20/100',
  unknownTokenRateLimit: '50/500',
  maxConnectionsPerAddress: '1024',
  requestTimeoutMs: '15000',
  logLevel: 'info',
  shutdownTimeoutMs: '15000',
};

test('--workers defaults to 1 and takes a count', () => {
  assert.equal(parseControlConfig(base).workers, 1);
  assert.equal(parseControlConfig({ ...base, workers: '4', store: { dataDir: 'x', database: 'postgres://db/vigia' } }).workers, 4);
});

test('--workers above 1 with the embedded store is refused, naming --workers and --database', () => {
  assert.throws(
    () => parseControlConfig({ ...base, workers: '2' }),
    (err: unknown) => isVigiaError(err, 'VIGIA_ERR_CONFIG') && /--workers 2/.test(err.message) && /--database/.test(err.message) && !err.message.includes('\n'),
  );
  for (const bad of ['0', '-1', '1.5', 'many', '257']) {
    assert.throws(() => parseControlConfig({ ...base, workers: bad, store: { dataDir: 'x', database: 'postgres://db/vigia' } }), (err: unknown) => isVigiaError(err, 'VIGIA_ERR_CONFIG'), bad);
  }
});

test('--trusted-proxy: addresses and CIDR blocks; anything else is refused naming the flag and the value', () => {
  assert.deepEqual(parseControlConfig(base).trustedProxies, []);
  assert.deepEqual(parseControlConfig({ ...base, trustedProxies: ['10.0.1.5', '10.0.2.0/24', '2001:db8::/64'] }).trustedProxies, ['10.0.1.5', '10.0.2.0/24', '2001:db8::/64']);
  for (const bad of ['lb.example', '10.0.0.0/33', '10.0.0/8']) {
    assert.throws(
      () => parseControlConfig({ ...base, trustedProxies: ['10.0.1.5', bad] }, { trustedProxies: '--trusted-proxy' }),
      (err: unknown) => isVigiaError(err, 'VIGIA_ERR_CONFIG') && err.message.includes('--trusted-proxy') && err.message.includes(`"${bad}" is not an address or CIDR block`),
      bad,
    );
  }
});
