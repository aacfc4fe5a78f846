/** The agent's reporting wiring (run.ts createReporter): token file checks, spool, real collectors on the fixture host. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseHostReport, type HostReport } from '../core/contracts/host-report.js';
import { isVigiaError } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { AgentMetrics } from './agent-metrics.js';
import { parseAgentConfig } from './config.js';
import type { DeviceInfo } from './model.js';
import { parseExposition } from './node-metrics.js';
import { createReporter, prepareBundleDir } from './run.js';
import { SystemSampler } from './system-sampler.js';
import { waitFor } from '../../test/support/wait.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/host-a', import.meta.url));
const roots = { rootfs: FIXTURE, procfs: join(FIXTURE, 'proc'), sysfs: join(FIXTURE, 'sys'), udevData: join(FIXTURE, 'run/udev/data') };

function config(dir: string, to: string) {
  return parseAgentConfig({
    listen: '127.0.0.1:0', authTokenFile: '/x', roots, filter: {}, statfsTimeoutMs: '1000', roles: [],
    mysql: { detect: false, socket: '/s', user: 'vigia' }, actionsDir: null, actionsUser: 'nobody', auditLog: '/a',
    rateLimit: '20/40', requestTimeoutMs: '10000', sampleIntervalMs: '10000', logLevel: 'silent', shutdownTimeoutMs: '10000',
    report: { to, tokenFile: join(dir, 'token'), intervalSeconds: '60', jitter: '0.1', spoolDir: join(dir, 'spool'), spoolMaxBytes: String(8 << 20), hostName: 'db-042', tags: ['dc=mad1'], bundleDir: join(dir, 'bundles'), bundleKeys: [] },
  }).report!;
}

test('with --report-to the agent reports the fixture host with its token, name and tags, and counts it in /metrics', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigia-run-report-'));
  const got: { auth: string | undefined; report: HostReport }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ auth: req.headers.authorization, report: JSON.parse(Buffer.concat(chunks).toString()) as HostReport });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"outcome":"stored"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const rc = config(dir, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const { devices } = JSON.parse(await readFile(join(FIXTURE, 'devices.golden.json'), 'utf8')) as { devices: DeviceInfo[] };
  let reportStats = () => ({ spoolFiles: -1, spoolBytes: -1, lastSuccessSeconds: null as number | null });
  const metrics = new AgentMetrics({ staleMounts: () => 0, stuckStatfsThreads: () => 0, reports: () => reportStats() });
  const deps = { log: silentLogger(), roots, devices: async () => devices, sampler: new SystemSampler({ roots }), metrics };
  try {
    await writeFile(join(dir, 'token'), 'vhk_host_token\n', { mode: 0o644 });
    await assert.rejects(createReporter(rc, deps), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /--report-token-file: .* readable by group or others \(mode 644\); chmod 600 it/.test(e.message));
    await chmod(join(dir, 'token'), 0o600);
    const reporter = await createReporter(rc, deps, { initialDelayMs: 0 });
    reportStats = () => ({ ...reporter.spoolStats(), lastSuccessSeconds: reporter.lastSuccessAt === null ? null : reporter.lastSuccessAt / 1000 });
    reporter.start();
    await waitFor('the first report', () => got.length > 0, 5000);
    await reporter.stop(500);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.auth, 'Bearer vhk_host_token');
    const r = got[0]!.report;
    assert.ok(parseHostReport(r).ok);
    assert.equal(r.host, 'db-042');
    assert.deepEqual(r.tags, { dc: 'mad1' });
    assert.equal(r.interval_seconds, 60);
    assert.equal(r.devices.length, devices.length);
    assert.ok(r.system && r.system.cpu.cpus >= 1);
    const { samples } = parseExposition(metrics.render());
    const v = (name: string, outcome?: string) => samples.find((s) => s.name === name && (!outcome || s.labels.outcome === outcome))?.value;
    assert.equal(v('vigia_agent_reports_total', 'delivered'), 1);
    assert.equal(v('vigia_agent_report_spool_files'), 0);
    assert.ok(v('vigia_agent_report_last_success_timestamp_seconds')! > 1e9);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a spool directory the agent cannot use stops it at start, naming --spool-dir', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigia-run-report-'));
  try {
    await writeFile(join(dir, 'token'), 'vhk_host_token\n', { mode: 0o600 });
    await writeFile(join(dir, 'spool'), 'a file, not a directory');
    const metrics = new AgentMetrics({ staleMounts: () => 0, stuckStatfsThreads: () => 0 });
    await assert.rejects(
      createReporter(config(dir, 'http://127.0.0.1:1'), { log: silentLogger(), roots, devices: async () => [], sampler: new SystemSampler({ roots }), metrics }),
      (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /--spool-dir: cannot use .*spool \((EEXIST|ENOTDIR)\)/.test(e.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a --bundle-dir another user could change stops the agent at start, naming the flag (issue 13, finding 8)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigia-run-bundle-'));
  const unsafe = (re: RegExp) => (e: unknown) => isVigiaError(e, 'VIGIA_ERR_UNSAFE_PATH') && re.test((e as Error).message);
  try {
    const bundles = join(dir, 'bundles');
    await prepareBundleDir(bundles);
    assert.equal((await stat(bundles)).mode & 0o7777, 0o755, 'created 0755: checks run as another user must reach their scripts');
    await writeFile(join(bundles, 'state.json'), '{}', { mode: 0o666 });
    await chmod(join(bundles, 'state.json'), 0o666);
    await assert.rejects(prepareBundleDir(bundles), unsafe(/: --bundle-dir .*\/bundles: .*state\.json is group- and world-writable \(mode 0666\)/));
    await chmod(join(bundles, 'state.json'), 0o644);
    await mkdir(join(bundles, 'releases'), { mode: 0o775 });
    await chmod(join(bundles, 'releases'), 0o775);
    await assert.rejects(prepareBundleDir(bundles), unsafe(/releases is group-writable/));
    await chmod(join(bundles, 'releases'), 0o755);
    await chmod(bundles, 0o777);
    await assert.rejects(prepareBundleDir(bundles), unsafe(/directory .*\/bundles is group- and world-writable/));
    assert.equal((await stat(bundles)).mode & 0o7777, 0o777, 'refused before the chmod that would have hidden it');
    await chmod(bundles, 0o755);
    await prepareBundleDir(bundles);
    if (process.getuid?.() === 0) {
      // The reported attack: the checks user (nobody) owns the directory.
      await chown(bundles, 65534, 65534);
      await assert.rejects(prepareBundleDir(bundles), unsafe(/--bundle-dir .*: directory .*\/bundles is owned by uid 65534 \(must be root or the agent's uid 0\)/));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
