/**
 * `npm run bench:control`: the control plane (`vigia server`, a real process) with 10,000 simulated
 * hosts (`runSimulation`, in this process, over loopback HTTP), once into a real PostgreSQL and once
 * into the embedded store (PGlite).
 *
 * Per store:
 *   seed        enrol the hosts and send --backfill-days of history (one report per host every
 *               --backfill-step seconds) as fast as the server takes it, so the trend has data
 *   saturation  every host reports as fast as the server takes it, --duration seconds, 512 connections:
 *               sustained stored reports/s (the baseline: GET /healthz/s of the same server with the
 *               same client and connections, the HTTP ceiling of this machine)
 *   nominal     every host reports once per 60 s, spread over the interval (10,000 hosts: ~167/s), for
 *               --nominal-seconds: control-plane CPU (utime+stime of its process) in % of one core
 *   report      GET /v1/reports/capacity?format=json once (the server caches it 30 s), then the same
 *               report built 5 times in this process with no cache (store query + build + JSON): median
 *
 * PostgreSQL runs with production durability (fsync on, synchronous_commit on), on this machine.
 * Targets (PostgreSQL, this 2-core machine): saturation >= 5,000 reports/s; nominal < 25 % of one
 * core; capacity report for 10,000 hosts < 2 s. PGlite figures are informational.
 *
 * Flags: --hosts N (10000) --duration S (30) --nominal-seconds S (60) --backfill-days D (7)
 *        --backfill-step S (21600) --connections N (512) --stores postgres,pglite --quick
 *        (2,000 hosts, 10 s, nominal 30 s, backfill 2 days) --strict (exit 1 on a MISS)
 * One table on stdout, progress on stderr. Loopback only; every process and temp dir it creates is
 * removed on exit, on an exception, on Ctrl-C and on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { hashToken, newToken } from '../src/core/auth.js';
import { runSimulation, type SimulationSummary } from '../src/control/simulate/simulator.js';
import { openControlStore } from '../src/control/store/sql-store.js';
import { measureIngest } from '../src/control/store/store-contract.js';
import { createReportService } from '../src/control/report-service.js';
import { parseServerSettings } from '../src/control/server-settings.js';
import { silentLogger } from '../src/core/log.js';
import { startPostgres, type TestPostgres } from '../test/support/postgres.js';
import { freePort, waitFor } from '../test/support/ports.js';
import { tempDir } from '../test/support/tmp.js';
import { VIGIA_BIN } from '../test/support/turno-process.js';
import { installCleanup } from './support/cleanup.js';
import { intFlag, parseBenchArgs, progress } from './support/cli.js';
import { hostCpu, procCpu, procMem, type HostCpu } from './support/proc.js';
import { fmtFixed, fmtInt, fmtPct, fmtRatio, median, table, verdict } from './support/report.js';

const { flags, duration: DURATION, connections: CONNECTIONS } = parseBenchArgs({
  usage:
    'usage: npm run bench:control -- [--hosts N] [--duration S] [--nominal-seconds S] [--backfill-days D] [--backfill-step S] [--connections N] [--stores postgres,pglite] [--quick] [--strict]',
  options: {
    hosts: { type: 'string' },
    'nominal-seconds': { type: 'string' },
    'backfill-days': { type: 'string' },
    'backfill-step': { type: 'string' },
    stores: { type: 'string' },
  },
  // Thousands of hosts means thousands of concurrent connections; 512 keeps the load generator sane.
  connections: { default: 512, max: 4096 },
});
const QUICK = Boolean(flags.quick);
const HOSTS = intFlag('hosts', flags.hosts, QUICK ? 2000 : 10_000, 200_000);
const SATURATION_S = flags.duration === undefined ? (QUICK ? 10 : 30) : DURATION;
const NOMINAL_S = intFlag('nominal-seconds', flags['nominal-seconds'], QUICK ? 30 : 60, 3600, 10);
const BACKFILL_DAYS = intFlag('backfill-days', flags['backfill-days'], QUICK ? 2 : 7, 60, 0);
const BACKFILL_STEP = intFlag('backfill-step', flags['backfill-step'], 21_600, 86_400, 60);
const STORES = (flags.stores ?? 'postgres,pglite').split(',').map((s) => s.trim());
for (const s of STORES) {
  if (s !== 'postgres' && s !== 'pglite') {
    process.stderr.write(`bench: --stores takes postgres and/or pglite, got "${s}"\n`);
    process.exit(2);
  }
}
const TARGET_RPS = 5000;
const TARGET_NOMINAL_CPU_PCT = 25;
const TARGET_REPORT_S = 2;

const cleanup = installCleanup({ signalMessage: 'stopping vigia server and PostgreSQL, removing temp dirs', log: progress });

interface Row {
  store: string;
  what: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict: string;
}
const rows: Row[] = [];
let missed = false;
function row(store: string, what: string, value: string, extra: Partial<Row> = {}, ok?: boolean): void {
  if (ok === false) missed = true;
  rows.push({ store, what, value, baseline: extra.baseline ?? '', ratio: extra.ratio ?? '', target: extra.target ?? '', verdict: ok === undefined ? '' : verdict(ok) });
}

interface Server {
  url: string;
  child: ChildProcess;
  adminToken: string;
  readToken: string;
  dataDir: string;
  /** Stop the process; its temp dir (and embedded data) stays until remove(). */
  stop(): Promise<void>;
  remove(): void;
}

async function startServer(store: 'postgres' | 'pglite', pg: TestPostgres | undefined): Promise<Server> {
  const dir = tempDir('vigia-bench-control-');
  cleanup.dirs.push(dir);
  const adminToken = newToken();
  const readToken = newToken();
  const tokens = join(dir.dir, 'tokens');
  writeFileSync(tokens, `${hashToken(adminToken)} scopes=read,admin name=bench\n${hashToken(readToken)} name=reader\n`, { mode: 0o600 });
  const port = await freePort();
  const args = [
    VIGIA_BIN, 'server', '--listen', `127.0.0.1:${port}`, '--auth-token-file', tokens, '--log-level', 'warn',
    // One client address and token for all simulated hosts: lift the per-client guards, not the per-host ones.
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
    url,
    child,
    adminToken,
    readToken,
    dataDir: join(dir.dir, 'data'),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      cleanup.children.delete(child);
    },
    remove: () => {
      dir.remove();
      const i = cleanup.dirs.indexOf(dir);
      if (i >= 0) cleanup.dirs.splice(i, 1);
    },
  };
}

/** GET /healthz as fast as possible with `connections` keep-alive clients for `seconds`: requests/s. */
async function healthzRate(url: string, connections: number, seconds: number): Promise<number> {
  const { Agent, request } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const end = Date.now() + seconds * 1000;
  let n = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      await new Promise<void>((resolve, reject) => {
        const req = request(`${url}/healthz`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', reject);
        req.end();
      });
      n++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  agent.destroy();
  return n / ((performance.now() - t0) / 1000);
}

function errorsOf(s: SimulationSummary['live'] | SimulationSummary['backfill']): number {
  return Object.values(s.errors).reduce((a, b) => a + b, 0);
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
  progress(`${store}: vigia server at ${server.url}`);
  const common = { url: server.url, adminToken: server.adminToken, hosts: HOSTS, intervalSeconds: 60, concurrency: CONNECTIONS, seed: 1, progressEveryMs: 10_000 };
  try {
    // seed: history for the trend
    const t0 = performance.now();
    const seed = await runSimulation({
      ...common, rate: 'max', rounds: 1, dyingFraction: 0, backfillDays: BACKFILL_DAYS, backfillStepSeconds: BACKFILL_STEP,
      onProgress: (p) => progress(`${store} seed ${p.phase}: ${fmtInt(p.done)}${p.total ? `/${fmtInt(p.total)}` : ''} (${fmtInt(p.ratePerSecond)}/s)`),
    });
    const seedSeconds = (performance.now() - t0) / 1000;
    const seeded = seed.backfill.stored + seed.live.stored;
    row(store, `seed: ${fmtInt(HOSTS)} hosts enrolled + ${BACKFILL_DAYS} days of history (reports stored)`, `${fmtInt(seeded)} in ${fmtFixed(seedSeconds, 0)} s`, {}, errorsOf(seed.backfill) + errorsOf(seed.live) === 0);

    // baseline: the HTTP ceiling of this server process on this machine
    progress(`${store}: baseline GET /healthz for 5 s`);
    const healthz = await healthzRate(server.url, CONNECTIONS, 5);

    // saturation, with the machine's CPU split over the live phase: where the time goes
    let split: { t: number; server: number; self: number; host: HostCpu } | undefined;
    const sample = () => ({ t: performance.now(), server: procCpu(server.child.pid), self: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6, host: hostCpu() });
    const sat = await runSimulation({
      ...common, rate: 'max', durationSeconds: SATURATION_S, dyingFraction: 0,
      onProgress: (p) => {
        if (p.phase === 'live' && !split) split = sample();
        progress(`${store} saturation ${p.phase}: ${fmtInt(p.done)} (${fmtInt(p.ratePerSecond)}/s)`);
      },
    });
    const end = sample();
    // reportsPerSecond counts every answered request of the live phase; only stored ones count here.
    const satRps = sat.live.reportsPerSecond * (sat.live.stored / Math.max(sat.live.sent, 1));
    row(store, `saturation: stored reports/s (${CONNECTIONS} connections, ${SATURATION_S} s; p99 ${fmtFixed(sat.live.latencyMs.p99, 1)} ms; errors ${fmtInt(errorsOf(sat.live))})`, fmtInt(satRps), {
      baseline: `${fmtInt(healthz)} /healthz/s`, ratio: fmtRatio(satRps / healthz), target: store === 'postgres' ? `>= ${fmtInt(TARGET_RPS)}/s` : '',
    }, store === 'postgres' ? satRps >= TARGET_RPS : undefined);
    if (split) {
      const secs = (end.t - split.t) / 1000;
      const hostPct = ((end.host.busy - split.host.busy) / (end.host.total - split.host.total)) * 100 * cpus().length;
      const serverPct = ((end.server - split.server) / secs) * 100;
      const selfPct = ((end.self - split.self) / secs) * 100;
      row(store, 'saturation: CPU, % of one core: vigia server / load generator (this process) / the rest (database, kernel)', `${fmtPct(serverPct)} / ${fmtPct(selfPct)} / ${fmtPct(hostPct - serverPct - selfPct)}`, { baseline: `${fmtPct(hostPct)} of ${cpus().length * 100}` });
    }

    // nominal
    let nomStart = 0;
    let nomCpu0 = 0;
    const nominal = await runSimulation({
      ...common, rate: 'nominal', durationSeconds: NOMINAL_S, dyingFraction: 0,
      onProgress: (p) => {
        if (p.phase === 'live' && nomStart === 0) {
          nomStart = performance.now();
          nomCpu0 = procCpu(server.child.pid);
        }
        progress(`${store} nominal ${p.phase}: ${fmtInt(p.done)} (${fmtInt(p.ratePerSecond)}/s)`);
      },
      progressEveryMs: 1000,
    });
    const nomSeconds = (performance.now() - nomStart) / 1000;
    const nomCpuPct = ((procCpu(server.child.pid) - nomCpu0) / nomSeconds) * 100;
    row(store, `nominal: control-plane CPU, % of one core (${fmtInt(nominal.live.reportsPerSecond)} reports/s for ${fmtFixed(nomSeconds, 0)} s; errors ${fmtInt(errorsOf(nominal.live))})`, fmtPct(nomCpuPct, 1), {
      target: store === 'postgres' ? `< ${TARGET_NOMINAL_CPU_PCT} %` : '',
    }, store === 'postgres' ? nomCpuPct < TARGET_NOMINAL_CPU_PCT : undefined);

    // capacity report through the API: the first request builds it (query + build + render + send);
    // later ones within 30 s are served from the server's cache, so only the first one counts
    let t = performance.now();
    const res = await fetch(`${server.url}/v1/reports/capacity?format=json`, { headers: { authorization: `Bearer ${server.readToken}` } });
    const text = await res.text();
    const apiS = (performance.now() - t) / 1000;
    if (!res.ok) throw new Error(`capacity report answered ${res.status}: ${text.slice(0, 300)}`);
    const reportRows = (JSON.parse(text) as { rows?: unknown[] }).rows?.length ?? 0;
    row(store, `capacity report via the API, JSON, ${fmtInt(HOSTS)} hosts (${fmtInt(reportRows)} volume rows, ${fmtFixed(text.length / 1e6, 1)} MB): seconds`, fmtFixed(apiS, 2), {
      target: store === 'postgres' ? `< ${TARGET_REPORT_S} s` : '',
    }, store === 'postgres' ? apiS < TARGET_REPORT_S : undefined);
    row(store, 'control-plane RSS after the runs, MB', fmtFixed(procMem(server.child.pid).rss, 0));
    await server.stop();

    // the same report built 5 times in this process (no cache): store query + build + JSON render
    const reportStore = await openControlStore(store === 'postgres' ? { database: pg!.url } : { dataDir: server.dataDir });
    try {
      const svc = createReportService({ store: reportStore, settings: parseServerSettings(undefined), log: silentLogger() });
      const times: number[] = [];
      const queryTimes: number[] = [];
      for (let i = 0; i < 5; i++) {
        t = performance.now();
        await reportStore.capacityData(new Date(), 7);
        queryTimes.push((performance.now() - t) / 1000);
        t = performance.now();
        await svc.capacity('json');
        times.push((performance.now() - t) / 1000);
      }
      row(store, `capacity report built 5 times (query + build + JSON), median seconds (of which the store query alone: ${fmtFixed(median(queryTimes), 2)} s)`, fmtFixed(median(times), 2), {
        target: store === 'postgres' ? `< ${TARGET_REPORT_S} s` : '',
      }, store === 'postgres' ? median(times) < TARGET_REPORT_S : undefined);
    } finally {
      await reportStore.close();
    }

    // the database alone: ControlStore.ingest in batches of 500 (3 devices, 2 disks each), one batch in
    // flight, from this process, no HTTP: the ceiling the store sets (PGlite: an in-memory instance,
    // since the server holds its directory)
    progress(`${store}: store alone, 20 batches of 500`);
    const direct = await openControlStore(store === 'postgres' ? { database: pg!.url } : {});
    try {
      await direct.maintainPartitions(new Date('2026-12-01T12:00:00Z'), 3650);
      const m = await measureIngest(direct, 20, 500);
      row(store, `store alone: reports/s written by ControlStore.ingest (batches of 500, median batch ${fmtFixed(m.medianBatchMs, 0)} ms)`, fmtInt(m.perSecond));
    } finally {
      await direct.close();
    }
  } finally {
    await server.stop();
    server.remove();
    await pg?.stop();
  }
}

async function main(): Promise<void> {
  progress(`bench:control: ${fmtInt(HOSTS)} hosts, stores ${STORES.join(', ')}, saturation ${SATURATION_S} s, nominal ${NOMINAL_S} s, backfill ${BACKFILL_DAYS} d every ${BACKFILL_STEP} s`);
  for (const s of STORES) await benchStore(s as 'postgres' | 'pglite');
  const header = ['store', 'measure', 'value', 'baseline', 'ratio', 'target', 'verdict'];
  process.stdout.write(
    `\nvigia server, ${fmtInt(HOSTS)} simulated hosts; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), parallelism ${availableParallelism()}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n` +
      `${table([header, ...rows.map((r) => [r.store, r.what, r.value, r.baseline, r.ratio, r.target, r.verdict])], [false, false, true, true, true, false, false])}\n`,
  );
  if (flags.strict && missed) process.exitCode = 1;
}

main().then(
  () => cleanup.killAllSync(),
  (err: unknown) => {
    progress(`bench:control failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    cleanup.killAllSync();
    process.exitCode = 1;
  },
);
