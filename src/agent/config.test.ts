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

const report = {
  to: 'https://vigia.example:8443',
  tokenFile: '/etc/vigia/report.token',
  intervalSeconds: '60',
  jitter: '0.1',
  spoolDir: '/var/lib/vigia-agent/spool',
  spoolMaxBytes: String(64 * 1024 * 1024),
  hostName: 'db-042.example',
  tags: ['dc=mad1', 'tier=gold', 'empty='],
  bundleDir: '/var/lib/vigia-agent/bundles',
  bundleKeys: ['/etc/vigia/bundle.pub'],
};

test('reporting flags parse into a frozen report section; absent means off', () => {
  assert.equal(parseAgentConfig(base).report, undefined);
  const c = parseAgentConfig({ ...base, report });
  assert.equal(c.report!.intervalMs, 60_000);
  assert.equal(c.report!.jitter, 0.1);
  assert.equal(c.report!.spoolMaxBytes, 67_108_864);
  assert.deepEqual(c.report!.tags, { dc: 'mad1', tier: 'gold', empty: '' });
  assert.ok(Object.isFrozen(c.report) && Object.isFrozen(c.report!.tags));
  assert.ok(!('minIntervalSeconds' in c.report!));
  assert.deepEqual([c.report!.bundleDir, c.report!.bundleKeys], ['/var/lib/vigia-agent/bundles', ['/etc/vigia/bundle.pub']]);
  // tests (never a flag) may go below 10 s
  assert.equal(parseAgentConfig({ ...base, report: { ...report, intervalSeconds: '1', minIntervalSeconds: 1 } }).report!.intervalMs, 1000);
});

test('bad reporting flags stop the agent with the flag named', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ to: undefined }, /report\.to: --report-to URL is required/],
    [{ to: 'ftp://x' }, /report\.to: --report-to must be an http:\/\/ or https:\/\/ URL/],
    [{ to: 'https://user:pw@x' }, /--report-to must be/],
    [{ to: 'not a url' }, /--report-to must be/],
    [{ tokenFile: undefined }, /report\.tokenFile: --report-token-file is required with --report-to/],
    [{ intervalSeconds: '5' }, /report\.intervalSeconds: --report-interval must be 10\.\.3600 seconds/],
    [{ intervalSeconds: '7200' }, /--report-interval must be 10\.\.3600/],
    [{ intervalSeconds: '1m' }, /report\.intervalSeconds: --report-interval must be a number/],
    [{ jitter: '2' }, /report\.jitter: --report-jitter must be 0\.\.0\.5/],
    [{ spoolDir: 'spool' }, /report\.spoolDir: --spool-dir must be an absolute path/],
    [{ bundleDir: 'bundles' }, /report\.bundleDir: --bundle-dir must be an absolute path/],
    [{ spoolMaxBytes: '1000' }, /report\.spoolMaxBytes: --spool-max-bytes must be at least 1 MiB/],
    [{ hostName: 'db 1' }, /report\.hostName: --host-name must be/],
    [{ hostName: '-db' }, /--host-name/],
    [{ tags: ['novalue'] }, /report\.tags: --tag "novalue" is not KEY=VALUE/],
    [{ tags: ['1x=y'] }, /--tag "1x=y"/],
    [{ tags: ['a=1', 'a=2'] }, /--tag a given twice/],
    [{ tags: Array.from({ length: 33 }, (_, i) => `k${i}=v`) }, /at most 32 --tag/],
    [{ surprise: 1 }, /report: Unrecognized key/],
  ];
  for (const [over, re] of cases) {
    assert.throws(() => parseAgentConfig({ ...base, report: { ...report, ...over } }), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && re.test(e.message), JSON.stringify(over));
  }
});

test('collectors: every one by default; --no-collector.<name> and --collector.disable-defaults select them in registry order', () => {
  assert.deepEqual(parseAgentConfig(base).collectors, ['cpu', 'diskstats', 'filesystem', 'loadavg', 'meminfo', 'stat', 'uptime']);
  assert.deepEqual(parseAgentConfig({ ...base, collectors: { disableDefaults: false, set: { filesystem: false } } }).collectors, ['cpu', 'diskstats', 'loadavg', 'meminfo', 'stat', 'uptime']);
  assert.deepEqual(parseAgentConfig({ ...base, collectors: { disableDefaults: true, set: { meminfo: true, cpu: true } } }).collectors, ['cpu', 'meminfo']);
});

test('collectors: an unknown name stops the agent naming the flag and listing the collectors', () => {
  assert.throws(
    () => parseAgentConfig({ ...base, collectors: { disableDefaults: false, set: { netdev: false } } }),
    (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /--collector\.netdev: unknown collector "netdev" \(collectors: cpu, diskstats, filesystem, loadavg, meminfo, stat, uptime\)/.test(e.message),
  );
});

test('vigia agent --collector.<unknown> / --no-collector.<unknown> is a config error listing the collectors, before anything starts', async () => {
  const { Command } = await import('commander');
  const { register } = await import('./command.js');
  for (const flag of ['--collector.netdev', '--no-collector.cpus', '--collector.cpus=1']) {
    const program = new Command('vigia').exitOverride().enablePositionalOptions();
    register(program);
    await assert.rejects(
      program.parseAsync(['node', 'vigia', 'agent', flag]),
      (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && e.message.includes(`${flag.split('=')[0]}: unknown collector`) && /\(collectors: cpu, .*uptime\)/.test(e.message),
      flag,
    );
  }
  // A typo in a known collector's own option keeps commander's message (with its suggestion).
  const program = new Command('vigia').exitOverride().enablePositionalOptions().configureOutput({ writeErr: () => undefined });
  register(program);
  await assert.rejects(program.parseAsync(['node', 'vigia', 'agent', '--collector.filesystem.mount-point-exclude', 'x']), (e: Error & { code?: string }) => e.code === 'commander.unknownOption');
});
