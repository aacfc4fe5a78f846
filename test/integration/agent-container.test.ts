/**
 * The shipped agent image, for real: scripts/build-agent-image.sh builds deploy/agent/Dockerfile on
 * a base imported from a locally assembled root filesystem, then the container runs with the run
 * line documented in deploy/agent/README.md (read from that file; only the token path, volume name,
 * published port and container name are swapped for test ones) and is queried over HTTP. Checks the
 * hardening the README promises: uid 10001, read-only root, no capabilities, no-new-privileges, no
 * shell, and the host seen through /host with --pid host.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hashToken, newToken } from '../../src/core/auth.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { buildAgentImage, documentedAgentRunLine, inspect, parseRunLine, podman, podmanOk, PODMAN_RUN_LIMITS, removeContainer, requirePodman } from '../support/podman.js';
import { tempDir } from '../support/tmp.js';

const DOCKERFILE = fileURLToPath(new URL('../../deploy/agent/Dockerfile', import.meta.url));
const VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;
const AGENT_UID = 10001;

const documentedRunLine = documentedAgentRunLine;

/** The documented line with test-local values swapped in; throws when a swapped word is missing. */
function testRunArgs(line: string, swap: { name: string; tokenFile: string; volume: string; port: number; image: string }): string[] {
  const words = parseRunLine(line);
  const replace = (from: RegExp, to: string): void => {
    const i = words.findIndex((w) => from.test(w));
    if (i === -1) throw new Error(`documented run line has no word matching ${from}; update the test with the README`);
    words[i] = words[i]!.replace(from, to);
  };
  replace(/^vigia-agent$/, swap.name);
  replace(/^\/etc\/vigia\/agent\.tokens(?=:)/, swap.tokenFile);
  replace(/^vigia-agent-state(?=:)/, swap.volume);
  replace(/^127\.0\.0\.1:9110:9110$/, `127.0.0.1:${swap.port}:9110`);
  replace(new RegExp(`^localhost/vigia/agent:${VERSION.replace(/\./g, '\\.')}$`), swap.image);
  return [words[0]!, ...PODMAN_RUN_LIMITS, ...words.slice(1)];
}

const id = `${process.pid}-${Date.now().toString(36)}`;
const name = `vigia-agent-test-${id}`;
const volume = `vigia-agent-state-test-${id}`;
const tmp = tempDir('vigia-agent-container-');
const readToken = newToken();
const actionsToken = newToken();
let image = '';
let url = '';
let tokenFile = '';

async function get(path: string, token: string | null = readToken): Promise<{ status: number; text: string; json: () => any }> {
  const res = await fetch(url + path, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

/** Run `node -e <code>` inside the running container as its user; resolves with the exit status and output. */
function execNode(code: string): Promise<{ status: number | null; out: string }> {
  return podman(['exec', name, 'node', '-e', code], 30_000).then((r) => ({ status: r.status, out: r.stdout + r.stderr }));
}

before(async () => {
  requirePodman();
  const built = buildAgentImage();
  image = built.image;
  console.log(`# agent image ${image} ready in ${built.seconds.toFixed(1)} s`);
  tokenFile = join(tmp.dir, 'agent_tokens');
  writeFileSync(tokenFile, `${hashToken(readToken)} scopes=read name=reader\n${hashToken(actionsToken)} scopes=read,actions name=operator\n`, { mode: 0o400 });
  // As the README says: readable by the agent's uid only.
  if (process.getuid?.() === 0) chownSync(tokenFile, AGENT_UID, AGENT_UID);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  await removeContainer(name, [volume]);
  const args = testRunArgs(documentedRunLine(), { name, tokenFile, volume, port, image });
  await podmanOk(args, 60_000);
  await waitFor('agent container /healthz', async () => {
    const st = await podman(['inspect', '-f', '{{.State.Status}}', name]);
    if (st.stdout.trim() !== 'running') throw new Error(`container is ${st.stdout.trim()}: ${(await podman(['logs', name])).stderr}`);
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).status === 200;
  }, 30_000, 200);
}, { timeout: 400_000 });

after(async () => {
  await removeContainer(name, [volume]);
  tmp.remove();
}, { timeout: 60_000 });

test('the documented run line is the one in the Dockerfile header', () => {
  const header = readFileSync(DOCKERFILE, 'utf8').split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/^#\s?/, '')).join('\n');
  const norm = (s: string): string => s.replace(/\\\n/g, ' ').replace(/\s+/g, ' ').trim();
  assert.ok(norm(header).includes(norm(documentedRunLine())), 'deploy/agent/Dockerfile header and deploy/agent/README.md disagree on the run line');
});

test('/healthz answers without a token; the API and /metrics need one', async () => {
  assert.equal((await get('/healthz', null)).status, 200);
  for (const path of ['/v1/devices', '/v1/system', '/metrics']) {
    assert.equal((await get(path, null)).status, 401, `${path} without a token`);
    assert.equal((await get(path, 'not-a-token')).status, 401, `${path} with a wrong token`);
  }
});

test('the host root filesystem is seen through /host, with the size df reports', async () => {
  const res = await get('/v1/devices');
  assert.equal(res.status, 200, res.text);
  const devices = res.json().devices as { mountpoint: string; size_bytes: number | null; error: unknown }[];
  const root = devices.find((d) => d.mountpoint === '/');
  assert.ok(root, `no device with mountpoint "/" in ${res.text.slice(0, 500)}`);
  assert.equal(root.error, null);
  const df = spawnSync('df', ['-B1', '--output=size', '/'], { encoding: 'utf8' });
  const dfSize = Number(df.stdout.trim().split('\n').pop());
  assert.ok(dfSize > 0, `df -B1 / gave ${df.stdout}${df.stderr}`);
  assert.equal(root.size_bytes, dfSize, 'size of / through /host equals df -B1 / on the host');
  // No container paths leak into the answer: mountpoints are the host's, without the /host prefix.
  assert.ok(!devices.some((d) => d.mountpoint.startsWith('/host')), 'a mountpoint kept the /host prefix');

  const metrics = await get('/metrics');
  assert.equal(metrics.status, 200);
  const line = metrics.text.split('\n').find((l) => l.startsWith('node_filesystem_size_bytes{') && l.includes('mountpoint="/"'));
  assert.ok(line, 'node_filesystem_size_bytes for mountpoint "/" in /metrics');
  assert.equal(Number(line.split(' ').pop()), dfSize);
  // The host-wide collectors work without capabilities. (filesystem is left out: mounts other tests
  // make under 0700 temp dirs are untraversable for uid 10001 and may count as its failures, README.)
  const failed = metrics.text.split('\n').filter((l) => l.startsWith('node_scrape_collector_success{') && !l.includes('collector="filesystem"') && !l.endsWith(' 1'));
  assert.deepEqual(failed, [], 'collectors that failed in the container');
  for (const c of ['cpu', 'meminfo', 'loadavg', 'diskstats']) assert.ok(metrics.text.includes(`node_scrape_collector_success{collector="${c}"} 1`), `collector ${c} ran and succeeded`);
});

test('system and host processes are readable without capabilities (--pid host)', async () => {
  const sys = await get('/v1/system');
  assert.equal(sys.status, 200, sys.text);
  assert.ok(sys.json().memory.total_bytes > 0);
  const procs = await get('/v1/processes?sort=mem&limit=50');
  assert.equal(procs.status, 200, procs.text);
  const list = procs.json().processes as { pid: number; user: string; read_bytes_per_s: number | null }[];
  assert.ok(list.length > 1, 'host processes are listed');
  // The agent sees host processes, not only its own; other users' /proc/<pid>/io is unreadable (documented).
  const others = list.filter((p) => p.user !== 'vigia' && p.user !== String(AGENT_UID));
  assert.ok(others.length > 0, `host processes of other users are visible: ${procs.text.slice(0, 300)}`);
  assert.ok(others.every((p) => p.read_bytes_per_s === null), 'I/O rates of other users\' processes are null without CAP_SYS_PTRACE');
});

test('the container runs as uid 10001 with no capabilities, no-new-privileges and cgroup limits', async () => {
  const c = await inspect(name);
  assert.equal(c.Config.User, `${AGENT_UID}:${AGENT_UID}`);
  assert.equal(c.HostConfig.ReadonlyRootfs, true);
  assert.equal(c.HostConfig.PidMode, 'host');
  assert.ok((c.HostConfig.SecurityOpt as string[]).includes('no-new-privileges'), JSON.stringify(c.HostConfig.SecurityOpt));
  const pid = c.State.Pid as number;
  assert.ok(pid > 0);
  // From the host: the kernel's view of the agent process, not the runtime's claims.
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (k: string): string => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
  assert.equal(field('Uid'), `${AGENT_UID}\t${AGENT_UID}\t${AGENT_UID}\t${AGENT_UID}`);
  assert.equal(field('Gid'), `${AGENT_UID}\t${AGENT_UID}\t${AGENT_UID}\t${AGENT_UID}`);
  for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.equal(field(cap), '0000000000000000', cap);
  assert.equal(field('NoNewPrivs'), '1');
  // The documented cgroup limits (the systemd unit's MemoryMax, TasksMax, CPUQuota) are applied.
  assert.equal(c.HostConfig.Memory, 256 * 1024 * 1024);
  assert.equal(c.HostConfig.PidsLimit, 256);
  assert.equal(c.HostConfig.NanoCpus, 500_000_000);
  assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^node\0\/opt\/vigia\/dist\/cli\/main\.js\0agent\0/);
});

test('the root filesystem and /host are read-only; only the state volume and /tmp are writable', async () => {
  const write = (p: string): string => `try{require('node:fs').writeFileSync(${JSON.stringify(p)},'x');console.log('WROTE')}catch(e){console.log(e.code)}`;
  assert.equal((await execNode(write('/x'))).out.trim(), 'EROFS');
  assert.equal((await execNode(write('/opt/vigia/dist/cli/main.js'))).out.trim(), 'EROFS');
  assert.equal((await execNode(write('/host/tmp/vigia-agent-container-probe'))).out.trim(), 'EROFS');
  assert.equal((await execNode(write('/var/lib/vigia/probe'))).out.trim(), 'WROTE');
  assert.equal((await execNode(write('/tmp/probe'))).out.trim(), 'WROTE');
  // The token file is readable by the agent (it started) but not writable.
  assert.equal((await execNode(write('/run/secrets/agent_tokens'))).out.trim(), 'EROFS');
});

test('the image has no shell and only node in its bin directories', async () => {
  const sh = await podman(['run', '--rm', ...PODMAN_RUN_LIMITS, '--entrypoint', '/bin/sh', image, '-c', 'true'], 60_000);
  assert.equal(sh.status, 127, `podman run --entrypoint /bin/sh must fail with "not found": ${sh.stderr}`);
  assert.match(sh.stderr, /\/bin\/sh.*no such file or directory/);
  const ls = await execNode(
    "const fs=require('node:fs');const out=[];for(const d of ['/bin','/sbin','/usr/bin','/usr/sbin','/usr/local/bin']){try{out.push(...fs.readdirSync(d).map((f)=>d+'/'+f))}catch{}}console.log(JSON.stringify([...new Set(out.map((p)=>fs.realpathSync(p)))]))",
  );
  assert.equal(ls.status, 0, ls.out);
  assert.deepEqual(JSON.parse(ls.out), ['/usr/bin/node']);
  const img = await inspect(image, 'image');
  assert.equal(img.Config.User, `${AGENT_UID}:${AGENT_UID}`);
  assert.ok(img.Size < 200 * 1024 * 1024, `image is ${img.Size} bytes`);
});

test('actions are off in the image; asked for them, the agent refuses to start instead of running them as its own uid', async () => {
  const post = await fetch(`${url}/v1/actions/motd-fortune`, {
    method: 'POST',
    headers: { authorization: `Bearer ${actionsToken}`, 'content-type': 'application/json' },
    body: '{}',
    signal: AbortSignal.timeout(30_000),
  });
  const answer = (await post.json()) as { error?: { code?: string } };
  assert.equal(post.status, 404, JSON.stringify(answer));
  assert.equal(answer.error?.code, 'AGENT_ERR_UNKNOWN_ACTION');
  assert.deepEqual((await get('/v1/actions')).json(), { actions: [] });

  // The documented line with the image's defaults plus the shipped actions (arguments replace CMD):
  // an action as uid 10001 could rewrite the audit log in the volume, read the token file and kill the agent.
  const img = await inspect(image, 'image');
  const cmd = (img.Config.Cmd as string[]).filter((a) => a !== '--no-actions');
  const probe = `${name}-actions`;
  const probeVolume = `${volume}-actions`;
  const words = testRunArgs(documentedRunLine(), { name: probe, tokenFile, volume: probeVolume, port: await freePort(), image }).filter((w, i, all) => w !== '-d' && w !== '--restart' && all[i - 1] !== '--restart');
  const at = words.indexOf(image);
  try {
    const r = await podman([...words.slice(0, at), image, ...cmd, '--audit-log', '/var/lib/vigia/audit.log', '--actions-dir', '/opt/vigia/actions'], 60_000);
    assert.equal(r.status, 2, `the agent must refuse actions it cannot run as another user: exit ${r.status}\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /VIGIA_ERR_CONFIG.*--actions-dir: the agent \(uid 10001\) cannot switch to --actions-user/);
  } finally {
    await removeContainer(probe, [probeVolume]);
  }
});

test('the image HEALTHCHECK passes, and SIGTERM stops the agent cleanly', async () => {
  const hc = await podman(['healthcheck', 'run', name], 30_000);
  assert.equal(hc.status, 0, `podman healthcheck run: ${hc.stdout}${hc.stderr}`);
  const started = Date.now();
  await podmanOk(['stop', '-t', '15', name], 30_000);
  assert.ok(Date.now() - started < 12_000, 'stopped within the drain deadline, not killed after -t 15');
  const c = await inspect(name);
  assert.equal(c.State.ExitCode, 0, `exit code after SIGTERM; logs: ${(await podman(['logs', name])).stderr.slice(-2000)}`);
});
