/**
 * `npm run bench:control`: the control plane (`vigia server`, a real process) with 10,000 simulated
 * hosts (`runSimulation`, in this process, over loopback HTTP), once into a real PostgreSQL and once
 * into the embedded store (PGlite).
 *
 * Per store, one server (`--workers N` processes) for every phase:
 *   seed        enrol the hosts (bulk) and send --backfill-days of history (one report per host every
 *               --backfill-step seconds) as fast as the server takes it, so the trend has data (v2
 *               batches when the server takes them, else v1)
 *   saturation  v1 and v2 side by side, --duration seconds each, every host reporting as fast as the
 *               server takes it: v1 one report per request with the host's token over --connections
 *               connections (what agents send); v2 gzip batches of --batch reports of many hosts with an
 *               `ingest` token over --v2-connections connections (a relay). Sustained stored reports/s
 *               (the baseline: GET /healthz/s of the same server with the same client and --connections,
 *               the HTTP ceiling of this machine); then the CPU split over the phase (utime+stime from
 *               /proc, in % of one core: the server's process tree, the database's process tree, this
 *               process = the load generator, the rest of the machine) and the per-core figure: stored
 *               reports per CPU-second of the server, i.e. what one server core takes when the load
 *               generator and the database are not on the same 2 cores. A server older than v2 (404, or
 *               a token file without the `ingest` scope) gets "not available" for the v2 rows.
 *   nominal     every host reports once per 60 s, spread over the interval (10,000 hosts: ~167/s), on v1
 *               as agents do, for --nominal-seconds: control-plane CPU (its process tree) in % of one core
 *   report      GET /v1/reports/capacity?format=json once (the server caches it 30 s), then the same
 *               report built 5 times in this process with no cache (store query + build + JSON): median
 *
 * PostgreSQL runs with production durability (fsync on, synchronous_commit on), on this machine.
 * Targets (PostgreSQL, this 2-core machine, issue 12): saturation >= 5,000 stored reports/s with v2;
 * nominal <= 10 % of one core; capacity report for 10,000 hosts < 0.5 s. PGlite figures are informational.
 *
 * Flags: --hosts N (10000) --duration S (30) --nominal-seconds S (60) --backfill-days D (7)
 *        --backfill-step S (21600) --connections N (512) --v2-connections N (8: the server reads at most 8 batch bodies at once per worker) --batch N (500)
 *        --workers N (server processes; the flag is passed only when given) --stores postgres,pglite
 *        --quick (2,000 hosts, 10 s, nominal 30 s, backfill 2 days) --strict (exit 1 on a MISS)
 *        --pg-statements (PostgreSQL: add its 8 statements of most total time over the whole run, from pg_stat_statements)
 * One table on stdout, progress on stderr. Loopback only; every process and temp dir it creates is
 * removed on exit, on an exception, on Ctrl-C and on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { hashToken, newToken, parseTokenEntries } from '../src/core/auth.js';
import { runSimulation, type SimulationProgress, type SimulationSummary } from '../src/control/simulate/simulator.js';
import { openControlStore } from '../src/control/store/sql-store.js';
import { measureIngest } from '../src/control/store/store-contract.js';
import { createReportService } from '../src/control/report-service.js';
import { parseServerSettings } from '../src/control/server-settings.js';
import { silentLogger } from '../src/core/log.js';
import { startPostgres, type TestPostgres } from '../test/support/postgres.js';
import { freePort } from '../test/support/ports.js';
import { tempDir } from '../test/support/tmp.js';
import { VIGIA_BIN } from '../test/support/vigia-process.js';
import { waitFor } from '../test/support/wait.js';
import { installCleanup } from './support/cleanup.js';
import { intFlag, parseBenchArgs, progress } from './support/cli.js';
import { hostCpu, procMem, procTreeCpu, type HostCpu } from './support/proc.js';
import { fmtFixed, fmtInt, fmtPct, fmtRatio, median, table, verdict } from './support/report.js';

const { flags, duration: DURATION, connections: CONNECTIONS } = parseBenchArgs({
  usage:
    'usage: npm run bench:control -- [--hosts N] [--duration S] [--nominal-seconds S] [--backfill-days D] [--backfill-step S] [--connections N] [--v2-connections N] [--batch N] [--workers N] [--stores postgres,pglite] [--quick] [--strict] [--pg-statements]',
  options: {
    hosts: { type: 'string' },
    'v2-connections': { type: 'string' },
    batch: { type: 'string' },
    workers: { type: 'string' },
    'nominal-seconds': { type: 'string' },
    'backfill-days': { type: 'string' },
    'backfill-step': { type: 'string' },
    stores: { type: 'string' },
    'pg-statements': { type: 'boolean' },
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
const V2_CONNECTIONS = intFlag('v2-connections', flags['v2-connections'], 8, 1024);
const BATCH = intFlag('batch', flags.batch, 500, 1000);
const WORKERS = flags.workers === undefined ? undefined : intFlag('workers', flags.workers, 1, 64);
const STORES = (flags.stores ?? 'postgres,pglite').split(',').map((s) => s.trim());
for (const s of STORES) {
  if (s !== 'postgres' && s !== 'pglite') {
    process.stderr.write(`bench: --stores takes postgres and/or pglite, got "${s}"\n`);
    process.exit(2);
  }
}
const TARGET_RPS = 5000;
const TARGET_NOMINAL_CPU_PCT = 10;
const TARGET_REPORT_S = 0.5;
/** Whether this build's token files know the `ingest` scope (report protocol v2 relays); the built server is the same source. */
const INGEST_SCOPE = (() => {
  try {
    parseTokenEntries(`${hashToken(newToken())} scopes=ingest name=probe\n`);
    return true;
  } catch {
    return false;
  }
})();

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
  /** Operator token with scope ingest, when this build knows the scope. */
  ingestToken: string | undefined;
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
  const ingestToken = INGEST_SCOPE ? newToken() : undefined;
  const tokens = join(dir.dir, 'tokens');
  const ingestLine = ingestToken ? `${hashToken(ingestToken)} scopes=ingest name=relay\n` : '';
  writeFileSync(tokens, `${hashToken(adminToken)} scopes=read,admin name=bench\n${hashToken(readToken)} name=reader\n${ingestLine}`, { mode: 0o600 });
  const port = await freePort();
  const args = [
    VIGIA_BIN, 'server', '--listen', `127.0.0.1:${port}`, '--auth-token-file', tokens, '--log-level', 'warn',
    // One client address and token for all simulated hosts: lift the per-client guards, not the per-host ones.
    '--rate-limit', '100000/100000', '--max-connections-per-address', '100000', '--ingest-max-queued', '200000',
    ...(store === 'postgres' ? ['--database', pg!.url] : ['--data-dir', join(dir.dir, 'data')]),
    ...(WORKERS === undefined ? [] : ['--workers', String(WORKERS)]),
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
    ingestToken,
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

/** CPU seconds of the processes that matter, and the host's jiffies, at one moment. */
interface CpuSnap {
  t: number;
  server: number;
  db: number;
  self: number;
  host: HostCpu;
}

/** This process's CPU seconds (the load generator: simulator, gzip threads included). */
function selfCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Between two snapshots, each part in % of one core; `rest` is the machine's busy time nobody here accounts for. */
function cpuSplit(a: CpuSnap, b: CpuSnap): { secs: number; server: number; db: number; self: number; rest: number; host: number } {
  const secs = (b.t - a.t) / 1000;
  const pct = (x: number, y: number): number => ((y - x) / secs) * 100;
  const host = ((b.host.busy - a.host.busy) / (b.host.total - a.host.total)) * 100 * cpus().length;
  const server = pct(a.server, b.server);
  const db = pct(a.db, b.db);
  const self = pct(a.self, b.self);
  return { secs, server, db, self, rest: host - server - (Number.isFinite(db) ? db : 0) - self, host };
}

/** The postmaster's pid (the root of PostgreSQL's process tree), from its data directory. */
function postmasterPid(pg: TestPostgres): number | undefined {
  try {
    const pid = Number(readFileSync(join(pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the server takes report protocol v2: an empty batch answers 200 (or 400), an older server 404. */
async function probeV2(url: string, ingestToken: string): Promise<boolean> {
  const res = await fetch(`${url}/v2/reports`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: '{"reports":[]}' });
  await res.text();
  return res.status !== 404;
}

async function benchStore(store: 'postgres' | 'pglite'): Promise<void> {
  let pg: TestPostgres | undefined;
  if (store === 'postgres') {
    progress('starting PostgreSQL (fsync on, synchronous_commit on)');
    pg = await startPostgres({ durable: true, maxConnections: 100, statementStats: Boolean(flags['pg-statements']) });
    const started = pg;
    cleanup.onKill(() => started.killSync());
  }
  const server = await startServer(store, pg);
  progress(`${store}: vigia server at ${server.url}`);
  const common = { url: server.url, adminToken: server.adminToken, hosts: HOSTS, intervalSeconds: 60, concurrency: CONNECTIONS, seed: 1, progressEveryMs: 1000 };
  // The database's processes: PostgreSQL's postmaster and its backends (PGlite runs inside the server).
  const dbPid = pg ? postmasterPid(pg) : undefined;
  const snap = (): CpuSnap => ({ t: performance.now(), server: procTreeCpu(server.child.pid), db: dbPid === undefined ? NaN : procTreeCpu(dbPid), self: selfCpu(), host: hostCpu() });
  /** Progress every 10 s of a simulation (the runs report every second, to catch the live phase's start). */
  const every10 = (label: string) => {
    let last = -10;
    return (p: SimulationProgress): void => {
      if (p.elapsedSeconds - last < 10) return;
      last = p.elapsedSeconds;
      progress(`${store} ${label} ${p.phase}: ${fmtInt(p.done)}${p.total ? `/${fmtInt(p.total)}` : ''} (${fmtInt(p.ratePerSecond)}/s)`);
    };
  };
  try {
    // Is v2 there? A server older than it answers 404 (or this build has no ingest scope at all).
    const v2 = server.ingestToken !== undefined && (await probeV2(server.url, server.ingestToken));
    const v2Options = { protocol: 'v2' as const, ingestToken: server.ingestToken, batchSize: BATCH, concurrency: V2_CONNECTIONS };
    if (!v2) progress(`${store}: report protocol v2 not available (${server.ingestToken ? 'POST /v2/reports answered 404' : 'no ingest scope in this build'}); v2 rows say so`);

    // seed: history for the trend
    const t0 = performance.now();
    const seed = await runSimulation({
      ...common, ...(v2 ? v2Options : {}), rate: 'max', rounds: 1, dyingFraction: 0, backfillDays: BACKFILL_DAYS, backfillStepSeconds: BACKFILL_STEP,
      onProgress: every10('seed'),
    });
    const seedSeconds = (performance.now() - t0) / 1000;
    const seeded = seed.backfill.stored + seed.live.stored;
    const enrollFailed = Object.entries(seed.enrollErrors).map(([k, v]) => `${k}: ${v}`).join(', ');
    row(store, `seed: ${fmtInt(seed.enrolled)} of ${fmtInt(HOSTS)} hosts enrolled (${seed.enrollBulk ? 'bulk' : 'one a request'}${enrollFailed ? `; failed ${enrollFailed}` : ''}) + ${BACKFILL_DAYS} days of history, ${seed.protocol} (reports stored)`, `${fmtInt(seeded)} in ${fmtFixed(seedSeconds, 0)} s`, {}, errorsOf(seed.backfill) + errorsOf(seed.live) === 0 && seed.enrolled === HOSTS);

    // baseline: the HTTP ceiling of this server process on this machine
    progress(`${store}: baseline GET /healthz for 5 s`);
    const healthz = await healthzRate(server.url, CONNECTIONS, 5);

    // saturation, v1 then v2, each with the machine's CPU split over its live phase: where the time goes
    for (const protocol of ['v1', 'v2'] as const) {
      const label = `saturation ${protocol}`;
      const conns = protocol === 'v1' ? CONNECTIONS : V2_CONNECTIONS;
      const how = protocol === 'v1' ? `one report a request, ${conns} connections` : `gzip batches of ${BATCH}, ingest token, ${conns} connections`;
      const target = store === 'postgres' && protocol === 'v2' ? `>= ${fmtInt(TARGET_RPS)}/s` : '';
      if (protocol === 'v2' && !v2) {
        row(store, `${label}: stored reports/s (${how})`, 'not available', { target }, store === 'postgres' ? false : undefined);
        continue;
      }
      let start: CpuSnap | undefined;
      const tick = every10(label);
      const sat = await runSimulation({
        ...common, ...(protocol === 'v2' ? v2Options : {}), rate: 'max', durationSeconds: SATURATION_S, dyingFraction: 0,
        onProgress: (p) => {
          if (p.phase === 'live' && !start) start = snap();
          tick(p);
        },
      });
      const end = snap();
      // reportsPerSecond counts every report of the live phase; only stored ones count here.
      const satRps = sat.live.reportsPerSecond * (sat.live.stored / Math.max(sat.live.sent, 1));
      row(store, `${label}: stored reports/s (${how}, ${SATURATION_S} s; p99 ${fmtFixed(sat.live.latencyMs.p99, 1)} ms a request; errors ${fmtInt(errorsOf(sat.live))}, retried ${fmtInt(sat.live.retried)})`, fmtInt(satRps), {
        baseline: `${fmtInt(healthz)} /healthz/s`, ratio: fmtRatio(satRps / healthz), target,
      }, target ? satRps >= TARGET_RPS : undefined);
      if (start) {
        const c = cpuSplit(start, end);
        row(store, `${label}: CPU, % of one core: server / database / load generator / rest of the machine`, `${fmtPct(c.server)} / ${store === 'pglite' ? 'in server' : fmtPct(c.db)} / ${fmtPct(c.self)} / ${fmtPct(c.rest)}`, { baseline: `${fmtPct(c.host)} of ${cpus().length * 100}` });
        const perCore = satRps / (c.server / 100);
        row(store, `${label}: stored reports per server CPU-second (per core; ratio: server cores for ${fmtInt(TARGET_RPS)}/s)`, fmtInt(perCore), { ratio: fmtRatio(TARGET_RPS / perCore) });
      }
    }

    // nominal: what a fleet of agents sends (v1, each host once a minute)
    let nomStart: CpuSnap | undefined;
    const nomTick = every10('nominal');
    const nominal = await runSimulation({
      ...common, rate: 'nominal', durationSeconds: NOMINAL_S, dyingFraction: 0,
      onProgress: (p) => {
        if (p.phase === 'live' && !nomStart) nomStart = snap();
        nomTick(p);
      },
    });
    const nomEnd = snap();
    const nom = nomStart ? cpuSplit(nomStart, nomEnd) : undefined;
    row(store, `nominal: control-plane CPU, % of one core (v1, ${fmtInt(nominal.live.reportsPerSecond)} reports/s for ${fmtFixed(nom?.secs ?? NaN, 0)} s; errors ${fmtInt(errorsOf(nominal.live))}; database ${fmtPct(nom?.db ?? NaN, 1)} %)`, fmtPct(nom?.server ?? NaN, 1), {
      target: store === 'postgres' ? `<= ${TARGET_NOMINAL_CPU_PCT} %` : '',
    }, store === 'postgres' ? (nom?.server ?? Infinity) <= TARGET_NOMINAL_CPU_PCT : undefined);

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
      // 00:00 UTC: every host's first report of the day also rebuilds its volumes' running rows
      const dayChange = await measureIngest(direct, 20, 500, { stepMs: 86_400_000, prefix: 'perf-day' });
      row(store, `store alone, every report its host's first of a new UTC day (running rows rebuilt, as at 00:00 UTC; median batch ${fmtFixed(dayChange.medianBatchMs, 0)} ms)`, fmtInt(dayChange.perSecond), {
        baseline: `${fmtInt(m.perSecond)} /s`, ratio: fmtRatio(dayChange.perSecond / m.perSecond),
      });
    } finally {
      await direct.close();
    }
    if (pg && flags['pg-statements']) await statementRows(store, pg);
  } finally {
    await server.stop();
    server.remove();
    await pg?.stop();
  }
}

/** The statements PostgreSQL spent most time on over the whole run (seed included): what to look at when the database's share grows. */
async function statementRows(store: string, pg: TestPostgres): Promise<void> {
  const top = await pg.sql(`SELECT calls, total_exec_time AS total_ms, mean_exec_time AS mean_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query
    FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 8`);
  for (const r of top) {
    row(store, `database time: ${String(r.query)} (${fmtInt(Number(r.calls))} calls, mean ${fmtFixed(Number(r.mean_ms), 1)} ms)`, `${fmtFixed(Number(r.total_ms) / 1000, 1)} s`);
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
