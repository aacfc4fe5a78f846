import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../core/errors.js';
import { parseAgentConfig } from './config.js';

const base = {
  listen: '127.0.0.1:9110',
  authTokenFile: '/etc/vigia/agent.tokens',
  roots: { rootfs: '/', procfs: '/proc', sysfs: '/sys', udevData: '/run/udev/data' },
  filter: {},
  statfsTimeoutMs: '1000',
  roles: ['data=/var/lib/mysql', 'binlog=/dev/mapper/vg0-binlog'],
  mysql: { detect: true, socket: '/run/mysqld/mysqld.sock', user: 'vigia' },
  actionsDir: '/opt/vigia/actions',
  actionsUser: 'nobody',
  auditLog: 'data/agent-audit.log',
  rateLimit: '20/40',
  requestTimeoutMs: '10000',
  sampleIntervalMs: '10000',
  logLevel: 'info',
  shutdownTimeoutMs: '10000',
};

test('a valid agent configuration parses into typed, frozen values', () => {
  const c = parseAgentConfig(base);
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 9110 });
  assert.deepEqual(c.roles, [{ role: 'data', path: '/var/lib/mysql' }, { role: 'binlog', path: '/dev/mapper/vg0-binlog' }]);
  assert.deepEqual(c.rateLimit, { perSecond: 20, burst: 40 });
  assert.equal(c.statfsTimeoutMs, 1000);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.roles));
});

test('bad values stop the agent with the field named', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ authTokenFile: undefined }, /authTokenFile: the agent always needs --auth-token-file/],
    [{ listen: 'nowhere' }, /listen: "nowhere" is not host:port/],
    [{ roles: ['logs=/var/log'] }, /roles\.0: "logs=\/var\/log" is not <data\|binlog\|other>=<absolute path>/],
    [{ roles: ['data=var/lib/mysql'] }, /roles\.0/],
    [{ rateLimit: 'fast' }, /rateLimit: "fast" is not/],
    [{ roots: { ...base.roots, rootfs: 'host' } }, /roots\.rootfs: --path\.rootfs must be an absolute path/],
    [{ statfsTimeoutMs: '0' }, /statfsTimeoutMs/],
    [{ actionsUser: 'root; id' }, /actionsUser/],
    [{ requestTimeoutMs: '10s' }, /requestTimeoutMs/],
    [{ surprise: 1 }, /Unrecognized key/],
  ];
  for (const [over, re] of cases) {
    assert.throws(() => parseAgentConfig({ ...base, ...over }), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && re.test(e.message), JSON.stringify(over));
  }
});
