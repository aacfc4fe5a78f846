/** deploy/logs: the collector and shipper units and the HAProxy frontend for collectors are valid and keep their properties. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { requireBinary } from '../support/binaries.js';
import { tempDir } from '../support/tmp.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/logs/', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const read = (f: string): string => readFileSync(join(DEPLOY, f), 'utf8');

test('systemd units: systemd-analyze verify accepts both without a warning; hardened, no capabilities, dynamic user', () => {
  for (const unit of ['vigia-logs-collector.service', 'vigia-logs-shipper.service']) {
    const r = spawnSync(requireBinary('systemd-analyze'), ['verify', join(DEPLOY, unit)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', `${unit}: ${r.stderr}`);
    const text = read(unit);
    for (const line of ['DynamicUser=yes', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'CapabilityBoundingSet=', 'SystemCallFilter=@system-service', 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX', 'UMask=0077']) {
      assert.ok(text.split('\n').includes(line), `${unit}: ${line}`);
    }
  }
  assert.match(read('vigia-logs-shipper.service'), /^CPUQuota=\d+%$/m, 'the shipper is bounded beside the web server');
  assert.match(read('vigia-logs-shipper.service'), /^MemoryMax=\d+M$/m);
});

test('collector unit: every flag of its ExecStart is one `vigia logs serve` has; it drains within TimeoutStopSec', () => {
  const text = read('vigia-logs-collector.service');
  const exec = /^ExecStart=([\s\S]*?[^\\])$/m.exec(text)![1]!.replace(/\\\n/g, ' ');
  const help = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'logs', 'serve', '--help'], { encoding: 'utf8', timeout: 60_000 }).stdout;
  const flags = exec.match(/--[a-z-]+/g)!;
  assert.ok(flags.length >= 4);
  for (const f of flags) assert.ok(help.includes(`${f} `), `${f} in vigia logs serve --help`);
  assert.ok(Number(/TimeoutStopSec=(\d+)/.exec(text)![1]) > 30, 'longer than the 30 s drain');
});

test('HAProxy for collectors: valid (with a test certificate), health-checked, leastconn, never retries or redispatches a batch', () => {
  const tmp = tempDir('vigia-logs-deploy-');
  try {
    const [key, crt, pem] = ['key.pem', 'crt.pem', 'logs.pem'].map((f) => join(tmp.dir, f)) as [string, string, string];
    const gen = spawnSync(requireBinary('openssl'), ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=logs.test'], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    writeFileSync(pem, readFileSync(crt, 'utf8') + readFileSync(key, 'utf8'));
    const text = read('haproxy.cfg');
    const cfg = join(tmp.dir, 'haproxy.cfg');
    writeFileSync(cfg, text.replace('/etc/haproxy/logs.pem', pem));
    const r = spawnSync(requireBinary('haproxy'), ['-c', '-f', cfg], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const live = text.replace(/#.*$/gm, '');
    assert.match(live, /option httpchk GET \/healthz/);
    assert.match(live, /balance leastconn/);
    assert.match(live, /^\s*retries 0$/m);
    assert.doesNotMatch(live, /redispatch|retry-on/);
    assert.ok((live.match(/^\s*server \S+ \S+ check$/gm) ?? []).length >= 2, 'two or more collectors, checked');
  } finally {
    tmp.remove();
  }
});
