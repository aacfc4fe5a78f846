/** The deployment files we ship are valid and keep the properties turno's guarantees and security rely on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { requireBinary } from '../support/binaries.js';
import { rewriteShippedConfig } from '../support/haproxy.js';
import { documentedAgentRunLine, parseRunLine } from '../support/podman.js';
import { tempDir } from '../support/tmp.js';

const DEPLOY = new URL('../../deploy/turno/', import.meta.url).pathname;
const read = (f: string): string => readFileSync(join(DEPLOY, f), 'utf8');

for (const cfg of ['haproxy.cfg', 'haproxy.compose.cfg']) {
  test(`${cfg}: haproxy -c accepts it; never retries a request that reached a server`, () => {
    const r = spawnSync(requireBinary('haproxy'), ['-c', '-f', join(DEPLOY, cfg)], { encoding: 'utf8' });
    // The compose file names hosts that only resolve inside compose: accept resolution errors there only.
    if (cfg === 'haproxy.cfg') assert.equal(r.status, 0, r.stdout + r.stderr);
    else assert.ok(r.status === 0 || /could not resolve address/.test(r.stdout + r.stderr), r.stdout + r.stderr);
    const text = read(cfg).replace(/#.*$/gm, '');
    const servers = text.match(/^\s*server \S+ \S+ .*\bcheck\b/gm) ?? [];
    assert.ok(servers.length >= 2, 'at least two servers with health checks');
    assert.match(text, /option httpchk GET \/readyz/);
    const retryOn = /^\s*retry-on (.+)$/m.exec(text)?.[1]?.trim();
    assert.equal(retryOn, 'conn-failure', 'only connection failures (request never sent) may be retried');
  });
}

test('the shipped haproxy.cfg can be pointed at test ports (used by the integration tests)', () => {
  const out = rewriteShippedConfig(read('haproxy.cfg'), 1234, 1235, [2001, 2002, 2003]);
  assert.match(out, /bind 127\.0\.0\.1:1234/);
  assert.equal((out.match(/^\s*server turno\d 127\.0\.0\.1:200\d check$/gm) ?? []).length, 3);
});

test('Dockerfile runs as a non-root user and drains on SIGTERM', () => {
  const text = read('Dockerfile');
  const users = [...text.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
  assert.ok(users.length > 0 && !/^(root|0)(:|$)/.test(users.at(-1)!), `last USER is non-root: ${users.join(', ')}`);
  assert.match(text, /HEALTHCHECK/);
  assert.match(text, /STOPSIGNAL SIGTERM/);
});

test('compose.yaml: hardened turno instances, Redis with appendfsync always', () => {
  const [doc] = parseAllDocuments(read('compose.yaml'), { merge: true }).map((d) => d.toJS() as Record<string, any>);
  const services = doc!.services as Record<string, Record<string, any>>;
  const turnos = Object.entries(services).filter(([name]) => name.startsWith('turno'));
  assert.ok(turnos.length >= 2);
  for (const [, s] of turnos) {
    assert.equal(s.read_only, true);
    assert.deepEqual(s.cap_drop, ['ALL']);
    assert.ok(String(s.user).startsWith('1000'));
  }
  assert.ok((services.redis!.command as string[]).join(' ').includes('--appendfsync always'));
});

test('k8s: every manifest parses; Deployment is non-root with probes; HPA min >= 2', () => {
  const docs = readdirSync(join(DEPLOY, 'k8s'))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(read(join('k8s', f))).map((d) => {
      assert.deepEqual(d.errors, [], f);
      return d.toJS() as Record<string, any>;
    }));
  const byKind = (kind: string): Record<string, any> => {
    const d = docs.find((x) => x.kind === kind);
    assert.ok(d, `${kind} present`);
    return d!;
  };
  const dep = byKind('Deployment');
  const pod = dep.spec.template.spec;
  const c = pod.containers[0];
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.equal(dep.spec.replicas, undefined, 'the HPA owns the replica count');
  const hpa = byKind('HorizontalPodAutoscaler');
  assert.equal(hpa.apiVersion, 'autoscaling/v2');
  assert.ok(hpa.spec.minReplicas >= 2);
  assert.equal(hpa.spec.scaleTargetRef.name, dep.metadata.name);
  byKind('Service');
  byKind('PodDisruptionBudget');
  const kustomization = byKind('Kustomization');
  for (const r of kustomization.resources as string[]) assert.ok(readdirSync(join(DEPLOY, 'k8s')).includes(r), r);
});

test('systemd unit: hardened, durable state directory, stops after the drain deadline', () => {
  const text = read('vigia-turno.service');
  for (const line of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'DynamicUser=yes', 'StateDirectory=vigia-turno', 'SystemCallFilter=@system-service', 'Restart=on-failure']) {
    assert.ok(text.split('\n').includes(line), line);
  }
  assert.ok(Number(/TimeoutStopSec=(\d+)/.exec(text)?.[1]) > 10, 'longer than the 10 s drain');
  assert.match(text, /--store file:\/var\/lib\/vigia-turno\//);
  assert.match(text, /^LoadCredential=tokens:/m);
});

test('systemd units: systemd-analyze verify accepts all three without a single warning', () => {
  for (const unit of [
    join(DEPLOY, 'vigia-turno.service'),
    new URL('../../deploy/agent/vigia-agent.service', import.meta.url).pathname,
    new URL('../../deploy/control/vigia-server.service', import.meta.url).pathname,
  ]) {
    const r = spawnSync(requireBinary('systemd-analyze'), ['verify', unit], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', `${unit}: ${r.stderr}`);
  }
});

test('agent systemd unit: only the capabilities the agent needs, hardened, small young generation, cgroup kill', () => {
  const text = readFileSync(new URL('../../deploy/agent/vigia-agent.service', import.meta.url), 'utf8');
  for (const line of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'SystemCallFilter=@system-service', 'KillMode=control-group', 'Environment=NODE_OPTIONS=--max-semi-space-size=1']) {
    assert.ok(text.split('\n').includes(line), line);
  }
  assert.equal(/^CapabilityBoundingSet=(.*)$/m.exec(text)?.[1], 'CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_SETUID CAP_SETGID CAP_KILL');
  assert.match(text, /--auth-token-file %d\/tokens/);
  assert.match(text, /^LoadCredential=tokens:/m);
});

test('agent container: the documented run line has the systemd unit\'s memory, task and CPU limits, publishes on loopback only; the image runs with actions off', () => {
  const words = parseRunLine(documentedAgentRunLine());
  const value = (flag: string): string | undefined => {
    const i = words.indexOf(flag);
    return i === -1 ? undefined : words[i + 1];
  };
  const unit = readFileSync(new URL('../../deploy/agent/vigia-agent.service', import.meta.url), 'utf8');
  const setting = (k: string): string => new RegExp(`^${k}=(.+)$`, 'm').exec(unit)?.[1] ?? `(no ${k} in the unit)`;
  assert.equal(value('--memory')?.toUpperCase(), setting('MemoryMax'), '--memory is the unit\'s MemoryMax');
  assert.equal(value('--pids-limit'), setting('TasksMax'), '--pids-limit is the unit\'s TasksMax');
  assert.equal(Number(value('--cpus')) * 100, Number(setting('CPUQuota').replace(/%$/, '')), '--cpus is the unit\'s CPUQuota');
  const published = words.flatMap((w, i) => (w === '-p' || w === '--publish' ? [words[i + 1]!] : w.startsWith('--publish=') ? [w.slice(10)] : []));
  assert.ok(published.length > 0, 'the port is published');
  for (const p of published) assert.match(p, /^127\.0\.0\.1:\d+:\d+$/, `published on loopback only until TLS is on: ${p}`);
  assert.ok(!words.some((w) => /^--(net|network)(=host)?$/.test(w) || w === '-P' || w === '--publish-all'), 'no host network, no publish-all');
  // Actions would run as the agent's uid 10001 (it cannot switch users): the image turns them off.
  const cmd = /^CMD (\[[\s\S]*?\])\s*$/m.exec(readFileSync(new URL('../../deploy/agent/Dockerfile', import.meta.url), 'utf8').replace(/\\\n\s*/g, ''))?.[1];
  assert.ok(cmd, 'the Dockerfile has an exec-form CMD');
  const args = JSON.parse(cmd) as string[];
  assert.ok(args.includes('--no-actions') && !args.includes('--actions-dir'), `CMD: ${cmd}`);
});

test('control plane: the HAProxy config for replicas is valid (with a test certificate), checks /healthz, balances by connections', () => {
  const tmp = tempDir('vigia-deploy-');
  try {
    const pem = join(tmp.dir, 'control.pem');
    const key = join(tmp.dir, 'key.pem');
    const crt = join(tmp.dir, 'crt.pem');
    const gen = spawnSync(requireBinary('openssl'), ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=control.test'], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    writeFileSync(pem, readFileSync(crt, 'utf8') + readFileSync(key, 'utf8'));
    const text = readFileSync(new URL('../../deploy/control/haproxy.cfg', import.meta.url), 'utf8');
    assert.match(text, /option httpchk GET \/healthz/);
    assert.match(text, /balance leastconn/);
    // Every replica learns each client's address from a PROXY v2 header (it runs with --trusted-proxy).
    for (const line of text.match(/^\s*default-server .*$/gm) ?? []) assert.match(line, /\bsend-proxy-v2\b/, line);
    // Fleet changes go to the one process that drives them, and parked long-polls (up to 60 s; the
    // agent waits 70 s) are not cut by the proxy.
    assert.match(text, /use_backend vigia_fleet if fleet_change/);
    const fleetBackend = /backend vigia_fleet\n([\s\S]*?)(?:\n\S|$)/.exec(text)?.[1] ?? '';
    assert.equal((fleetBackend.match(/^\s*server /gm) ?? []).length, 1, 'exactly one fleet server');
    for (const t of ['client', 'server']) assert.ok(Number(new RegExp(`timeout ${t} (\\d+)s`).exec(text)?.[1]) > 70, `timeout ${t} > 70 s`);
    const cfg = join(tmp.dir, 'haproxy.cfg');
    writeFileSync(cfg, text.replace('/etc/haproxy/control.pem', pem));
    const r = spawnSync(requireBinary('haproxy'), ['-c', '-f', cfg], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    tmp.remove();
  }
});

test('control plane systemd unit: no capabilities, dynamic user, hardened, credentials for tokens and config', () => {
  const text = readFileSync(new URL('../../deploy/control/vigia-server.service', import.meta.url), 'utf8');
  for (const line of ['DynamicUser=yes', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'CapabilityBoundingSet=', 'SystemCallFilter=@system-service', 'StateDirectory=vigia-server']) {
    assert.ok(text.split('\n').includes(line), line);
  }
  assert.match(text, /--auth-token-file %d\/tokens/);
  assert.match(text, /--config %d\/config/);
});
