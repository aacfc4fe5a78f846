/**
 * `npm run bench:rollout`: the control plane (`vigia server`, a real process) with --hosts simulated
 * agents (src/control/simulate/poll-agents.ts, in this process, over loopback) that run the agents'
 * long-poll loop: verify the signed release (ed25519), download the archive (each host itself), report
 * the install and one report with check results, answer fleet-run tasks at once.
 *
 * Per store (--stores postgres,pglite):
 *   idle        the server with the hosts enrolled and nobody polling, 10 s (5 s --quick): CPU % of
 *               one core (utime+stime of its process from /proc/<pid>/stat)
 *   short poll  the simple design, same run: every host GETs /v1/agent/poll?wait=0 once per 60 s (at its
 *               own offset in the minute) for --poll-seconds: CPU %, p99 response time
 *   long poll   the agents' design: poll held up to 55 s, answered 304, next poll after 0-1 s jitter
 *               (one poll per host per ~56 s), first polls spread over 10 s, measured for --poll-seconds
 *               once every host parked: CPU % (target < 20 % of one core; baseline: the short poll),
 *               RSS, 304 count, p99 of the hold's overshoot (time to the 304 beyond the 55 s asked)
 *   rollout     publish a release, waves 1,10,100 %, soak 0; wall time from the publish request until
 *               GET /v1/rollouts/current (every 250 ms) says completed with every host applied (target
 *               < 120 s); and time to answer after a change: publish request -> the canary wave's held
 *               polls answered with the release (p99 over the first 1 % of hosts)
 *   fleet run   POST /v1/runs all hosts, concurrency 1000, max_errors 0, agents answer at once; hosts/s
 *               from the request to the run's final state, GET /v1/runs/:id every 100 ms (target >= 1,000)
 *
 * PostgreSQL runs with production durability (fsync on, synchronous_commit on), on this machine.
 * Flags: --hosts N (10000) --poll-seconds S (120) --stores postgres,pglite --quick (1,000 hosts,
 * 30 s) --strict (exit 1 on a MISS). One table on stdout, progress on stderr. Loopback only; bounded
 * phases (each has a deadline); every process and temp dir it creates is removed on exit, on an
 * exception, on Ctrl-C and on SIGTERM.
 *
 * File descriptors: one socket per parked poll on both sides, so --hosts needs `ulimit -n` above
 * hosts + ~1,000 for this process and the server (which inherits it); checked before starting.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { hashToken, newToken } from '../src/core/auth.js';
import { generateSigningKeyPair } from '../src/core/contracts/bundle.js';
import { enrollPollAgents, publishSimBundle, type PollAgents, type PollStats } from '../src/control/simulate/poll-agents.js';
import { startPostgres, type TestPostgres } from '../test/support/postgres.js';
import { freePort } from '../test/support/ports.js';
import { tempDir } from '../test/support/tmp.js';
import { VIGIA_BIN } from '../test/support/vigia-process.js';
import { waitFor } from '../test/support/wait.js';
import { installCleanup } from './support/cleanup.js';
import { intFlag, parseBenchArgs, progress } from './support/cli.js';
import { procCpu, procMem } from './support/proc.js';
import { fmtFixed, fmtInt, fmtPct, fmtRatio, table, verdict } from './support/report.js';

const { flags } = parseBenchArgs({
  usage: 'usage: npm run bench:rollout -- [--hosts N] [--poll-seconds S] [--stores postgres,pglite] [--quick] [--strict]',
  options: { hosts: { type: 'string' }, 'poll-seconds': { type: 'string' }, stores: { type: 'string' } },
  connections: { default: 1, max: 1 },
});
const QUICK = Boolean(flags.quick);
const HOSTS = intFlag('hosts', flags.hosts, QUICK ? 1000 : 10_000, 50_000);
const POLL_S = intFlag('poll-seconds', flags['poll-seconds'], QUICK ? 30 : 120, 3600, 5);
const IDLE_S = QUICK ? 5 : 10;
const STORES = (flags.stores ?? 'postgres,pglite').split(',').map((s) => s.trim());
for (const s of STORES) {
  if (s !== 'postgres' && s !== 'pglite') {
    process.stderr.write(`bench: --stores takes postgres and/or pglite, got "${s}"\n`);
    process.exit(2);
  }
}
const TARGET_CPU_PCT = 20;
const TARGET_ROLLOUT_S = 120;
const TARGET_RUN_HPS = 1000;
const ROLLOUT_DEADLINE_S = 600;
const RUN_DEADLINE_S = 300;

const cleanup = installCleanup({ signalMessage: 'stopping simulated agents, vigia server and PostgreSQL, removing temp dirs', log: progress });

type Row = [store: string, what: string, value: string, baseline: string, ratio: string, target: string, verdict: string];
const rows: Row[] = [];
let missed = false;
function row(store: string, what: string, value: string, extra: { baseline?: string; ratio?: string; target?: string } = {}, ok?: boolean): void {
  if (ok === false) missed = true;
  rows.push([store, what, value, extra.baseline ?? '', extra.ratio ?? '', extra.target ?? '', ok === undefined ? '' : verdict(ok)]);
}

const keys = generateSigningKeyPair();

interface Server {
  url: string;
  child: ChildProcess;
  adminToken: string;
  readToken: string;
  runToken: string;
  stop(): Promise<void>;
}

async function startServer(store: 'postgres' | 'pglite', pg: TestPostgres | undefined): Promise<Server> {
  const dir = tempDir('vigia-bench-rollout-');
  cleanup.dirs.push(dir);
  const adminToken = newToken();
  const readToken = newToken();
  const runToken = newToken();
  const tokens = join(dir.dir, 'tokens');
  writeFileSync(tokens, `${hashToken(adminToken)} scopes=read,admin name=bench\n${hashToken(readToken)} name=reader\n${hashToken(runToken)} scopes=run name=runner\n`, { mode: 0o600 });
  const pub = join(dir.dir, 'bundle.pub');
  writeFileSync(pub, keys.publicKeyPem);
  const port = await freePort();
  const args = [
    VIGIA_BIN, 'server', '--listen', `127.0.0.1:${port}`, '--auth-token-file', tokens, '--log-level', 'warn', '--bundle-public-key', pub,
    // One client address for all simulated hosts: lift the per-address guards, not the per-host ones.
    '--rate-limit', '100000/100000', '--max-connections-per-address', '100000', '--ingest-max-queued', '200000',
    ...(store === 'postgres' ? ['--database', pg!.url] : ['--data-dir', join(dir.dir, 'data')]),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir.dir });
  cleanup.children.add(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('vigia server', async () => {
    if (child.exitCode !== null) throw new Error(`vigia server exited ${child.exitCode}: ${err}`);
    try {
      return (await fetch(`${url}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 120_000, 200);
  return {
    url, child, adminToken, readToken, runToken,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      cleanup.children.delete(child);
      if (err.trim()) progress(`${store}: server stderr (tail): ${err.slice(-600).trim()}`);
    },
  };
}

/** Server CPU (% of one core) over `seconds`, while `during` runs. */
async function cpuOver(pid: number | undefined, seconds: number, tick?: () => void): Promise<number> {
  const c0 = procCpu(pid);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await sleep(Math.min(5000, end - performance.now()));
    tick?.();
  }
  return ((procCpu(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const errs = (s: PollStats): number => Object.values(s.errors).reduce((a, b) => a + b, 0);
const errText = (s: PollStats): string => (errs(s) === 0 ? '0' : JSON.stringify(s.errors));

async function getJson<T>(url: string, token: string): Promise<T> {
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
  const text = await r.text();
  if (!r.ok) throw new Error(`GET ${url} answered ${r.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

function pctile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

async function benchStore(store: 'postgres' | 'pglite'): Promise<void> {
  let pg: TestPostgres | undefined;
  if (store === 'postgres') {
    progress('starting PostgreSQL (fsync on, synchronous_commit on)');
    pg = await startPostgres({ durable: true, maxConnections: 100 });
    const started = pg;
    cleanup.onKill(() => started.killSync());
  }
  const server = await startServer(store, pg);
  const pid = server.child.pid;
  progress(`${store}: vigia server at ${server.url} (pid ${pid})`);
  let fleet: PollAgents | undefined;
  try {
    let t = performance.now();
    fleet = await enrollPollAgents({ url: server.url, adminToken: server.adminToken, hosts: HOSTS, trustedKeys: [keys.publicKeyPem] });
    const agents = fleet;
    cleanup.onKill(() => void agents.close());
    const n = fleet.enrolled;
    progress(`${store}: ${fmtInt(n)} hosts enrolled in ${fmtFixed((performance.now() - t) / 1000, 1)} s (errors ${JSON.stringify(fleet.enrollErrors)})`);
    if (n === 0) throw new Error('no host enrolled');

    // idle
    progress(`${store}: idle ${IDLE_S} s`);
    const idlePct = await cpuOver(pid, IDLE_S);
    row(store, `idle server, ${fmtInt(n)} hosts enrolled, nobody polling: CPU % of one core (${IDLE_S} s)`, fmtPct(idlePct, 1));

    // prime: every host's first poll (no ETag: answered 200 at once), so both designs below run in the
    // steady state (If-None-Match set, nothing new: 304)
    progress(`${store}: first poll of every host, spread over 5 s`);
    fleet.start({ pollWaitSeconds: 0, pollIntervalSeconds: 3600, startSpreadMs: 5000, jitterMs: 0 });
    await waitFor('every host polled once', () => fleet!.firstPollsDone() >= n, 120_000, 100);
    await fleet.stopLoops();
    const first = fleet.stats();
    fleet.resetStats();

    // short poll: the simple design
    progress(`${store}: short poll (wait=0 every 60 s) for ${POLL_S} s`);
    fleet.start({ pollWaitSeconds: 0, pollIntervalSeconds: 60, startSpreadMs: 60_000, jitterMs: 0 });
    const shortPct = await cpuOver(pid, POLL_S, () => progress(`${store} short poll: ${fmtInt(fleet!.stats().polls)} polls`));
    await fleet.stopLoops();
    const sp = fleet.stats();
    fleet.resetStats();
    row(store, `short poll (wait=0, each host once per 60 s, ${POLL_S} s): CPU % of one core; ${fmtInt(sp.polls)} polls (${fmtInt(sp.status200)} 200, ${fmtInt(sp.status304)} 304, errors ${errText(sp)})`, fmtPct(shortPct, 1), { baseline: `${fmtPct(idlePct, 1)} idle` });
    row(store, 'short poll: p50 / p99 response time, ms', `${fmtFixed(sp.atOnce.p50, 1)} / ${fmtFixed(sp.atOnce.p99, 1)}`);

    // long poll: the agents' design
    progress(`${store}: long poll (wait=55 s): first polls spread over 10 s`);
    fleet.start({ pollWaitSeconds: 55, jitterMs: 1000, startSpreadMs: 10_000 });
    await waitFor('every host parked', () => fleet!.stats().parked >= n, 120_000, 200);
    await sleep(1000);
    fleet.resetStats();
    progress(`${store}: long poll: ${fmtInt(first.parked)} parked; measuring ${POLL_S} s`);
    const longPct = await cpuOver(pid, POLL_S, () => progress(`${store} long poll: ${fmtInt(fleet!.stats().polls)} polls, ${fmtInt(fleet!.stats().parked)} parked`));
    const lp = fleet.stats();
    const rss = procMem(pid).rss;
    row(store, `long poll (held 55 s + 0-1 s jitter, ${POLL_S} s, ${fmtInt(lp.parked)} parked): CPU % of one core; ${fmtInt(lp.polls)} polls (${fmtInt(lp.status304)} 304, ${fmtInt(lp.status200)} 200, early 304 ${fmtInt(lp.early304)}, errors ${errText(lp)})`, fmtPct(longPct, 1), {
      baseline: `${fmtPct(shortPct, 1)} short poll`, ratio: fmtRatio(longPct / Math.max(shortPct, 0.01)), target: `< ${TARGET_CPU_PCT} %`,
    }, longPct < TARGET_CPU_PCT && errs(lp) === 0);
    row(store, 'long poll: p50 / p99 overshoot of a held poll beyond its 55 s (304), ms', `${fmtFixed(lp.heldOvershoot.p50, 1)} / ${fmtFixed(lp.heldOvershoot.p99, 1)}`, { baseline: `${fmtFixed(sp.atOnce.p99, 1)} short-poll p99` });
    row(store, `first poll of each host (no ETag, answered 200 at once; ${fmtInt(first.status200)} 200, errors ${errText(first)}): p50 / p99 ms, spread over 5 s`, `${fmtFixed(first.atOnce.p50, 1)} / ${fmtFixed(first.atOnce.p99, 1)}`);
    row(store, 'control-plane RSS with every poll parked, MB', fmtFixed(rss, 0));

    // rollout
    fleet.resetStats();
    progress(`${store}: publishing; waves 1,10,100 %, soak 0`);
    const cpu0 = procCpu(pid);
    const wall0 = Date.now();
    t = performance.now();
    const pubStart = performance.now();
    const pub = await publishSimBundle(server.url, server.adminToken, keys.privateKeyPem, { waves: [1, 10, 100], soak_ms: 0, wave_timeout_ms: 600_000, max_failure_rate: 0.05, auto_rollback: false });
    type View = { state: string; currentWave: number; perWave: { applied: number; failed: number }[]; reason: string };
    const publishMs = performance.now() - pubStart;
    let lastLog = 0;
    for (;;) {
      const view = await getJson<View>(`${server.url}/v1/rollouts/current`, server.readToken);
      const applied = view.perWave.reduce((a, w) => a + w.applied, 0);
      if (view.state === 'completed' && applied >= n) break;
      if (view.state !== 'running') throw new Error(`rollout ended ${view.state}: ${view.reason}`);
      if ((performance.now() - t) / 1000 > ROLLOUT_DEADLINE_S) throw new Error(`rollout not completed after ${ROLLOUT_DEADLINE_S} s: ${view.reason}`);
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        progress(`${store} rollout: wave ${view.currentWave + 1}, ${fmtInt(applied)} applied; ${view.reason}`);
      }
      await sleep(250);
    }
    const rolloutS = (performance.now() - t) / 1000;
    const rolloutCpu = ((procCpu(pid) - cpu0) / rolloutS) * 100;
    const rs = fleet.stats();
    const delays = fleet.deliveries(pub.release).map((d) => d - wall0).sort((a, b) => a - b);
    const canary = delays.slice(0, Math.max(1, Math.ceil(n * 0.01)));
    row(store, `rollout: publish -> completed, ${fmtInt(n)} hosts applied, waves 1,10,100 %, soak 0 (${fmtInt(rs.downloads)} downloads of ${fmtInt(pub.size)} B, ${fmtInt(rs.installed)} installed, ${fmtInt(rs.reports)} check reports, ${fmtInt(rs.early304)} parked polls woken with nothing new (304), errors ${errText(rs)}; server CPU ${fmtPct(rolloutCpu)} of one core): seconds`, fmtFixed(rolloutS, 1), {
      target: `< ${TARGET_ROLLOUT_S} s`,
    }, rolloutS < TARGET_ROLLOUT_S && rs.installed >= n);
    row(store, `rollout: time to answer after a change: publish request -> canary hosts' held polls answered with it, p50 / p99 ms (${fmtInt(canary.length)} hosts; the publish request itself took ${fmtInt(publishMs)} ms)`, `${fmtInt(pctile(canary, 0.5))} / ${fmtInt(pctile(canary, 0.99))}`);

    // fleet run
    progress(`${store}: fleet run on all ${fmtInt(n)} hosts, concurrency 1000`);
    fleet.resetStats();
    t = performance.now();
    const rr = await fetch(`${server.url}/v1/runs`, {
      method: 'POST', headers: { authorization: `Bearer ${server.runToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'noop', params: {}, all: true, concurrency: '1000', max_errors: '0', timeout_ms: 120_000 }),
    });
    const rtext = await rr.text();
    if (!rr.ok) throw new Error(`POST /v1/runs answered ${rr.status}: ${rtext.slice(0, 300)}`);
    const runId = (JSON.parse(rtext) as { run: { id: number } }).run.id;
    let rv: { state: string; created_at: string; finished_at: string | null; counts: { targets: number; succeeded: number; errors: number } };
    lastLog = performance.now();
    for (;;) {
      rv = await getJson(`${server.url}/v1/runs/${runId}`, server.readToken);
      if (rv.state !== 'running' && rv.state !== 'stopping') break;
      if ((performance.now() - t) / 1000 > RUN_DEADLINE_S) throw new Error(`fleet run not finished after ${RUN_DEADLINE_S} s`);
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        progress(`${store} run: ${fmtInt(rv.counts.succeeded)} succeeded`);
      }
      await sleep(100);
    }
    const runS = (performance.now() - t) / 1000;
    const hps = rv.counts.succeeded / runS;
    const serverRunS = rv.finished_at ? (Date.parse(rv.finished_at) - Date.parse(rv.created_at)) / 1000 : NaN;
    const fs = fleet.stats();
    row(store, `fleet run, all ${fmtInt(rv.counts.targets)} hosts, concurrency 1000, max_errors 0: hosts/s (${rv.state}, ${fmtInt(rv.counts.succeeded)} succeeded, ${fmtInt(rv.counts.errors)} errors, ${fmtFixed(runS, 1)} s, ${fmtFixed(serverRunS, 2)} s created_at->finished_at by the server; agents answered ${fmtInt(fs.tasksAnswered)}, poll errors ${errText(fs)})`, fmtInt(hps), {
      target: `>= ${fmtInt(TARGET_RUN_HPS)}/s`,
    }, hps >= TARGET_RUN_HPS && rv.state === 'succeeded');
    row(store, 'control-plane RSS after the runs, MB', fmtFixed(procMem(pid).rss, 0));
  } finally {
    await fleet?.close();
    await server.stop();
    await pg?.stop();
  }
}

async function main(): Promise<void> {
  const nofile = Number(spawnSync('bash', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim());
  if (Number.isFinite(nofile) && nofile < HOSTS + 1024) {
    throw new Error(`ulimit -n is ${nofile}: ${fmtInt(HOSTS)} parked polls need at least ${fmtInt(HOSTS + 1024)} file descriptors here and in the server (raise it, or lower --hosts)`);
  }
  progress(`bench:rollout: ${fmtInt(HOSTS)} hosts, stores ${STORES.join(', ')}, poll windows ${POLL_S} s, ulimit -n ${nofile}`);
  for (const s of STORES) await benchStore(s as 'postgres' | 'pglite');
  const header = ['store', 'measure', 'value', 'baseline', 'ratio', 'target', 'verdict'];
  process.stdout.write(
    `\nvigia server, ${fmtInt(HOSTS)} simulated long-polling agents; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), parallelism ${availableParallelism()}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n` +
      `${table([header, ...rows], [false, false, true, true, true, false, false])}\n`,
  );
  if (flags.strict && missed) process.exitCode = 1;
}

main().then(
  () => cleanup.killAllSync(),
  (err: unknown) => {
    progress(`bench:rollout failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    if (rows.length > 0) process.stdout.write(`\npartial results:\n${table([['store', 'measure', 'value', 'baseline', 'ratio', 'target', 'verdict'], ...rows], [false, false, true, true, true, false, false])}\n`);
    cleanup.killAllSync();
    process.exitCode = 1;
  },
);
