/**
 * Wires `vigia server` together: store (migrated), partition maintenance, ingest queue, host auth,
 * pull loop, report schedules and the HTTP API, each registered on the release stack so SIGTERM stops
 * accepting, drains queued reports into the database, then closes it.
 *
 * One process (`--workers 1`, the default) does everything. With `--workers N` the primary
 * (cluster.ts) forks N workers sharing the port; every worker serves ingest and operator reads, and
 * the one holding the PostgreSQL leader lease also runs the leader's duties (fleet changes, report
 * schedules, pulls, partition maintenance, the host gauge) behind an internal loopback listener, to
 * which every worker forwards the fleet routes (leader-forward.ts). See "Many cores" in
 * docs/control-plane.md.
 */
import cluster from 'node:cluster';
import { stat } from 'node:fs/promises';
import { connect as connectTcp, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { parseTokenEntries, type TokenEntry } from '../core/auth.js';
import { TrustedProxies } from '../core/client-address.js';
import { readClientToken, readConfigFile, readTlsFiles, warnIfReadableByOthers } from '../core/config-file.js';
import { MAX_POLL_WAIT_SECONDS } from '../core/contracts/agent-poll.js';
import { createLeaderLease, type LeaderLease } from '../core/db/leader-lease.js';
import { errorBody, VigiaError } from '../core/errors.js';
import type { ServerTls } from '../core/http.js';
import { Lifecycle } from '../core/lifecycle.js';
import { createLogger, type Logger } from '../core/log.js';
import { createRegistry } from '../core/metrics.js';
import { createAgentChannel } from './agent-channel.js';
import { loadConsoleAssets } from './console/assets.js';
import { ConsoleData } from './console/console-data.js';
import { createLogsClient } from './console/logs-client.js';
import { createSloRunner } from './console/slo-source.js';
import { SessionStore } from './console/session-store.js';
import { createBundleService } from './bundles/bundle-service.js';
import { ClusterHostAuth, clusterMetrics, EXIT_LEASE_LOST, runPrimary } from './cluster.js';
import type { ControlConfig } from './config.js';
import { createRunService } from './fleet-runs/run-service.js';
import { createLeaderForwarder } from './leader-forward.js';
import { createRolloutService } from './rollouts/rollout-service.js';
import { FleetStore } from './store/fleet-store.js';
import { ControlMetrics } from './control-metrics.js';
import { HostAuth } from './host-auth.js';
import { IngestQueue } from './ingest-queue.js';
import { loadServerSettings, type ServerSettings } from './server-settings.js';
import { createReportService, type ReportService } from './report-service.js';
import { createControlServer, DEFAULT_CONTROL_LIMITS, type ControlServer, type ControlServerDeps, type FleetApi } from './server.js';
import type { ControlStore } from './store/control-store.js';
import { openControlStore } from './store/sql-store.js';

/** The leader's internal server trusts the followers on this host (see becomeLeader). */
const LOOPBACK = TrustedProxies.parse(['127.0.0.0/8', '::1']);
/** How often partitions are created ahead and expired ones dropped. */
const MAINTENANCE_MS = 60 * 60_000;
/** How often the fresh/stale host gauge is recomputed. */
const HOST_GAUGE_MS = 60_000;
/** Advisory lock key of the control plane's leader lease (a constant shared by every vigia build; the migration lock is ...001). */
export const CONTROL_LEADER_LOCK_KEY = 7_310_420_002;
/**
 * Key of the lease among `--no-fleet` workers: they elect their own leader for schedules, pulls and
 * maintenance (as a single --no-fleet replica runs them), and must never win the fleet lease, whose
 * holder is the one process that drives fleet changes.
 */
export const CONTROL_REPORTS_LEADER_LOCK_KEY = 7_310_420_003;

/** Run the control plane until SIGINT/SIGTERM. With --workers N (in the primary) resolves once the workers are forked. */
export async function runControlPlane(config: ControlConfig): Promise<void> {
  const clustered = config.workers > 1;
  const log = createLogger(config.logLevel, { role: 'server', ...(cluster.isWorker ? { worker: cluster.worker?.id } : {}) });
  if (clustered && cluster.isPrimary) {
    // Fail the start here, once, rather than crash-looping N workers: unreadable files, bad settings,
    // an unreachable database or a schema from a newer vigia (the store migrates, then closes).
    await readStartupFiles(config, log, true);
    const store = await openControlStore({ database: config.store.database, dataDir: config.store.dataDir, retentionDays: config.retentionDays, log });
    await store.close();
    return runPrimary({ workers: config.workers, shutdownTimeoutMs: config.shutdownTimeoutMs, log, exit: (code) => process.exit(code) });
  }
  const life = new Lifecycle(log);
  // A worker ignores a second signal: the terminal's SIGINT and the primary's SIGTERM arrive together.
  life.handleSignals((code) => process.exit(code), config.shutdownTimeoutMs, !cluster.isWorker);
  try {
    await startControlPlane(config, log, life, clustered);
  } catch (err) {
    await life.shutdown();
    throw err;
  }
}

/** What every process reads before serving (the primary reads it too, to fail early). */
interface StartupFiles {
  readonly settings: ServerSettings;
  readonly tokens: TokenEntry[];
  readonly tls: ServerTls | undefined;
  readonly trustedKeys: string[];
  /** The --logs-token-file token (with --logs-server). */
  readonly logsToken: string | undefined;
}

async function readStartupFiles(config: ControlConfig, log: Logger, warn: boolean): Promise<StartupFiles> {
  const settings = await loadServerSettings(config.configFile);
  const tokens: TokenEntry[] = config.authTokenFile ? parseTokenEntries(await readConfigFile(config.authTokenFile, '--auth-token-file')) : [];
  if (warn) {
    if (config.authTokenFile) await warnIfReadableByOthers(config.authTokenFile, log, '--auth-token-file');
    else log.warn('no --auth-token-file: the operator API (hosts, enrolment, reports, /metrics) refuses every request; hosts can still report');
  }
  const tls = await readTlsFiles(config.tls);
  if (warn && !tls && config.listen.host !== '127.0.0.1' && config.listen.host !== '::1' && config.listen.host !== 'localhost') {
    log.warn({ listen: `${config.listen.host}:${config.listen.port}` }, 'listening beyond loopback without TLS: host tokens cross the network in clear text (use --tls-cert/--tls-key or a TLS-terminating load balancer)');
  }
  const trustedKeys = await Promise.all(config.bundlePublicKeys.map((f) => readConfigFile(f, '--bundle-public-key')));
  if (config.pullTargets) {
    // Parsed here too so a bad file fails the start, not the leader's duties later.
    const { loadPullTargets } = await import('./pull/targets.js');
    loadPullTargets(config.pullTargets);
  }
  const logsToken = config.logsTokenFile ? await readClientToken(config.logsTokenFile, '--logs-token-file') : undefined;
  if (warn && config.logsTokenFile) await warnIfReadableByOthers(config.logsTokenFile, log, '--logs-token-file');
  for (const spec of config.sloSpecs) {
    // A typo in --slo-spec fails the start, not the first view of the SLO page.
    await stat(spec).catch((err: NodeJS.ErrnoException) => {
      throw new VigiaError('VIGIA_ERR_CONFIG', `--slo-spec ${spec}: ${err.code ?? 'unreadable'}`);
    });
  }
  return { settings, tokens, tls, trustedKeys, logsToken };
}

/** Everything the leader's duties need from the process that runs them. */
interface LeaderContext {
  readonly config: ControlConfig;
  readonly files: StartupFiles;
  readonly store: Awaited<ReturnType<typeof openControlStore>>;
  readonly queue: IngestQueue;
  readonly metrics: ControlMetrics;
  readonly reports: ReportService;
  readonly log: Logger;
  readonly life: Lifecycle;
}

/**
 * Start what only the leader runs: partition maintenance, the host gauge, the pull loop, report
 * schedules and (unless --no-fleet) fleet changes. Each is registered on the release stack. Resolves
 * with the fleet services for the HTTP server (undefined with --no-fleet).
 */
/** How often yesterday's performance report is rebuilt ahead of the console asking for it. */
const PERFORMANCE_WARM_MS = 60 * 60_000;

async function startLeaderDuties(ctx: LeaderContext): Promise<FleetApi | undefined> {
  const { config, store, metrics, log, life } = ctx;
  metrics.leader.set(1);
  await maintain(store, config.retentionDays, metrics, log);
  const maintenance = setInterval(() => void maintain(store, config.retentionDays, metrics, log), MAINTENANCE_MS);
  maintenance.unref();
  life.defer('partition maintenance', () => clearInterval(maintenance));

  const hostGauge = setInterval(() => void refreshHostGauge(store, ctx.files.settings.policy.staleAfterIntervals, metrics, log), HOST_GAUGE_MS);
  hostGauge.unref();
  life.defer('host gauge', () => clearInterval(hostGauge));
  void refreshHostGauge(store, ctx.files.settings.policy.staleAfterIntervals, metrics, log);

  if (config.pullTargets) {
    const { startPulling } = await import('./pull-wiring.js');
    const stop = await startPulling({ file: config.pullTargets, intervalSeconds: config.pullIntervalSeconds, store, queue: ctx.queue, metrics, log });
    life.defer('pull loop', stop);
  }

  const schedules = ctx.reports.startSchedules(metrics);
  life.defer('report schedules', () => schedules.stop());

  // Fleet changes (one process per database: the leader). The HTTP server that serves them is
  // registered after them, so it is released first: parked polls are answered, then the services
  // close and pending host states reach the database.
  if (!config.fleet) {
    log.info('--no-fleet: this process serves reports only (agent polls, bundles, rollouts and fleet runs answer 404)');
    return undefined;
  }
  const fleetStore = new FleetStore(store.database);
  const channel = createAgentChannel();
  const rollouts = createRolloutService({ store: fleetStore, channel, log });
  await rollouts.load();
  rollouts.start();
  life.defer('rollouts', () => rollouts.close());
  const bundles = createBundleService({ store: fleetStore, rollouts, trustedKeys: ctx.files.trustedKeys, log, hostsWhere: (where) => store.hostsWhere(where) });
  const runs = createRunService({ store: fleetStore, channel, log });
  await runs.resume();
  life.defer('fleet runs', () => runs.close());
  life.defer('agent polls', () => channel.close());
  return { channel, rollouts, bundles, runs, audit: (limit) => fleetStore.auditLines(limit), checks: () => fleetStore.latestChecks(), rolloutHistory: (limit) => fleetStore.rollouts(limit) };
}

async function startControlPlane(config: ControlConfig, log: Logger, life: Lifecycle, clustered: boolean): Promise<void> {
  // In a worker the primary already warned about the files; N copies of each warning help nobody.
  const files = await readStartupFiles(config, log, !clustered);
  const { tokens, tls } = files;

  const store = await openControlStore({ database: config.store.database, dataDir: config.store.dataDir, retentionDays: config.retentionDays, log });
  life.defer('store', () => store.close());
  log.info({ store: store.kind }, 'store open and migrated');

  const registry = createRegistry();
  const metrics = new ControlMetrics(registry);
  const queue = new IngestQueue(store, { maxBatch: config.ingestBatch, maxWaitMs: config.ingestWaitMs, maxQueued: config.ingestMaxQueued }, (b) => {
    metrics.batchSeconds.observe(b.seconds);
    metrics.batchSize.observe(b.size);
    if (b.error) {
      metrics.batchErrors.inc();
      log.error({ err: b.error, reports: b.size }, 'ingest batch failed; its reports were answered 503');
    }
  });
  metrics.readQueueLengthFrom(() => queue.queued);
  // Registered before the HTTP server, so it is released after it: queued reports reach the database.
  life.defer('ingest queue', () => queue.drained());

  // With --workers, token changes reach every worker, and removals the leader's rollout service.
  let leaderFleet: FleetApi | undefined;
  const hostAuth = clustered ? new ClusterHostAuth(store, (hostId) => leaderFleet?.rollouts.onHostRemoved(hostId)) : new HostAuth(store);
  const reports = createReportService({ store, settings: files.settings, log, cacheMs: 30_000 });
  // Yesterday's performance report (the console's default view) built before anyone asks, and again
  // every hour, so a new day's is ready soon after midnight (at 10,000 hosts a build takes seconds).
  reports.warmPerformance();
  const warm = setInterval(() => reports.warmPerformance(), PERFORMANCE_WARM_MS);
  warm.unref();
  life.defer('performance warm-up', () => clearInterval(warm));
  const leaderCtx: LeaderContext = { config, files, store, queue, metrics, reports, log, life };

  // /metrics: this process's figures, or with --workers the sum over every worker (asked of the primary,
  // which asks each worker; gauges read at scrape time, such as the queue length, are read there).
  const metricsText: () => Promise<string> = clustered ? clusterMetrics(registry) : () => registry.metrics();
  // Both were validated at the edge (flag schema, settings schema): parse() cannot throw here.
  const trustedProxies = TrustedProxies.parse([...new Set([...config.trustedProxies, ...files.settings.trustedProxies])]);
  if (!trustedProxies.empty) log.info({ trustedProxies: trustedProxies.cidrs }, 'client addresses from these proxies are taken from their PROXY header or X-Forwarded-For');
  const baseDeps: ControlServerDeps = {
    operatorTokens: tokens,
    hostAuth,
    store,
    ingest: (item, bytes) => queue.submit(item, bytes),
    capacityReport: (format, opts) => reports.capacity(format, opts),
    performanceReport: (day, format) => reports.performance(day, format),
    metrics: () => metricsText(),
    limits: {
      ...DEFAULT_CONTROL_LIMITS,
      rateLimit: config.rateLimit,
      hostRateLimit: config.hostRateLimit,
      unknownTokenRateLimit: config.unknownTokenRateLimit,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      requestTimeoutMs: config.requestTimeoutMs,
    },
    log,
    tls,
    trustedProxies,
    onResponse: (route, status, seconds) => {
      metrics.httpRequests.inc({ route, status: String(status) });
      metrics.httpSeconds.observe({ route }, seconds);
    },
    onReport: (outcome) => metrics.reports.inc({ outcome }),
    // The web console reads the same store (sessions there too, so every worker sees them).
    console: {
      sessions: new SessionStore(store.database),
      data: new ConsoleData(store.database),
      capacity: () => reports.buildCapacity(),
      performance: (day) => reports.buildPerformance(day),
      assets: await loadConsoleAssets(),
      staleAfterIntervals: files.settings.policy.staleAfterIntervals,
      ...(config.logsServer && files.logsToken ? { logs: createLogsClient({ url: config.logsServer, token: files.logsToken }) } : {}),
      // The SLO report is the SLO role's: run as `vigia slo report` by this same program (its entry
      // script is argv[1], with the node flags it was started with), never imported (slo-source.ts).
      ...(config.sloSpecs.length > 0 ? { slo: createSloRunner({ command: [process.execPath, ...process.execArgv, process.argv[1]!], specPaths: config.sloSpecs, period: config.sloPeriod }) } : {}),
    },
  };

  if (!clustered) {
    // One process: it is the leader by construction (one process per database drives fleet changes;
    // replicas run --no-fleet).
    const fleet = await startLeaderDuties(leaderCtx);
    await listenPublic(createControlServer({ ...baseDeps, ...(fleet ? { fleet } : {}) }), config, log, life, store.kind);
    return;
  }

  // A worker: contend for the lease; every worker forwards fleet routes to whoever holds it.
  const internal = await listenInternal(log);
  life.defer('internal listener', () => internal.close());
  const host = hostname();
  const lease = createLeaderLease({
    url: config.store.database!,
    key: config.fleet ? CONTROL_LEADER_LOCK_KEY : CONTROL_REPORTS_LEADER_LOCK_KEY,
    table: 'control_leader',
    lease: config.fleet ? 'control' : 'control-reports',
    holder: `${host}/${process.pid}`,
    address: internal.address,
    log,
  });
  // Registered before the HTTP server and the leader's duties, so released after them.
  life.defer('leader lease', () => lease.close());
  lease.onLost((reason) => {
    // Simplest safe step-down: leave at once (no further fleet writes from here); the primary starts
    // a fresh worker, which contends again as a follower. In-flight requests on this worker are cut;
    // agents and clients retry.
    log.error({ reason }, 'lost the leader lease: exiting so the primary replaces this worker');
    process.exit(EXIT_LEASE_LOST);
  });
  lease.onAcquired(() => {
    void becomeLeader(lease, leaderCtx, baseDeps, internal).then((fleet) => {
      leaderFleet = fleet;
    }, (err: unknown) => {
      log.error({ err }, 'could not start the leader\'s duties: exiting so the primary replaces this worker (the lease is released with the process)');
      process.exit(1);
    });
  });
  // The internal address is loopback: only a leader on this host can be reached (a leader on another
  // host, a second `--workers` server on the same database, answers 503 here until the HA work adds a
  // TLS internal address).
  const forwarder = createLeaderForwarder({
    leaderAddress: () => (lease.leaderHolder()?.startsWith(`${host}/`) ? lease.leaderAddress() : undefined),
    timeoutMs: config.requestTimeoutMs,
    maxWaitSeconds: MAX_POLL_WAIT_SECONDS,
    log,
  });
  life.defer('leader forwarder', () => forwarder.close());
  await listenPublic(createControlServer({ ...baseDeps, ...(config.fleet ? { forwardToLeader: forwarder.forward } : {}) }), config, log, life, store.kind);
  lease.start();
}

async function listenPublic(server: ControlServer, config: ControlConfig, log: Logger, life: Lifecycle, storeKind: string): Promise<void> {
  const address = await server.listen(config.listen.host, config.listen.port);
  life.defer('http server', () => server.close(Math.min(10_000, config.shutdownTimeoutMs / 2)));
  const scheme = config.tls ? 'https' : 'http';
  log.info({ address: `${address.address}:${address.port}`, tls: Boolean(config.tls), store: storeKind, workers: config.workers }, `vigia server listening on ${scheme}://${address.address}:${address.port}`);
}

/**
 * The loopback listener followers forward to (its address is in the lease row from the start): until
 * this worker leads it answers NO_LEADER; then it splices each connection to the leader's HTTP server,
 * which listens on a loopback port of its own, so that server's request timeouts, connection tracking
 * and graceful close apply to forwarded requests as to any others.
 */
interface InternalListener {
  /** http://127.0.0.1:PORT */
  readonly address: string;
  /** Splice connections to the leader's HTTP server, listening on 127.0.0.1:`port`, from now on. */
  serve(port: number): void;
  close(): Promise<void>;
}

async function listenInternal(log: Logger): Promise<InternalListener> {
  let targetPort: number | undefined;
  const notLeader = errorBody(new VigiaError('CONTROL_ERR_NO_LEADER', 'this worker does not lead (yet)'));
  const refusal = `HTTP/1.1 ${notLeader.status} Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\nretry-after: ${notLeader.retryAfterSeconds ?? 1}\r\ncontent-length: ${Buffer.byteLength(notLeader.body)}\r\nconnection: close\r\n\r\n${notLeader.body}`;
  const sockets = new Set<Socket>();
  const net: NetServer = createNetServer((socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (targetPort === undefined) return void socket.end(refusal);
    const upstream = connectTcp({ host: '127.0.0.1', port: targetPort });
    socket.pipe(upstream).pipe(socket);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    upstream.once('close', () => socket.destroy());
    socket.once('close', () => upstream.destroy());
  });
  // exclusive: a worker's own port, not one the cluster primary shares among all workers.
  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    net.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      net.off('error', reject);
      resolve();
    });
  });
  const port = (net.address() as { port: number }).port;
  log.debug({ port }, 'internal listener for forwarded fleet requests');
  return {
    address: `http://127.0.0.1:${port}`,
    serve: (port) => {
      targetPort = port;
    },
    // Released after the leader's HTTP server drained: whatever is still open (followers' kept-alive
    // connections) is cut rather than waited for.
    close: () =>
      new Promise<void>((resolve) => {
        net.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/**
 * Won the lease: wait until an old leader that lost its session must have noticed (it exits on its
 * next renewal at the latest), then start the leader's duties and serve forwarded requests.
 */
async function becomeLeader(lease: LeaderLease, ctx: LeaderContext, baseDeps: ControlServerDeps, internal: InternalListener): Promise<FleetApi | undefined> {
  const { log, life, config } = ctx;
  await new Promise((r) => setTimeout(r, lease.takeoverDelayMs()));
  if (!lease.isLeader || life.isClosing) return undefined;
  const fleet = await startLeaderDuties(ctx);
  // Only followers on this host reach it (loopback), after authenticating and rate-limiting each
  // request themselves: every forwarded request comes from 127.0.0.1, so the per-address caps would
  // throttle the whole fleet as one client. Host rate limits still apply here (per host).
  const server = createControlServer({
    ...baseDeps,
    tls: undefined,
    // Its peers are followers on this host, which append the client they resolved to X-Forwarded-For
    // (leader-forward.ts): its log lines then name the client, not 127.0.0.1.
    trustedProxies: LOOPBACK,
    limits: { ...baseDeps.limits, rateLimit: { ...baseDeps.limits.rateLimit, perSecond: 1e9, burst: 1e9 }, maxConnectionsPerAddress: baseDeps.limits.maxConnections },
    ...(fleet ? { fleet } : {}),
  });
  const { port } = await server.listen('127.0.0.1', 0);
  life.defer('leader http server', () => server.close(Math.min(10_000, config.shutdownTimeoutMs / 2)));
  internal.serve(port);
  log.info({ address: internal.address }, 'this worker leads: fleet changes, schedules, pulls and partition maintenance run here');
  return fleet;
}

async function maintain(store: ControlStore, retentionDays: number, metrics: ControlMetrics, log: Logger): Promise<void> {
  try {
    const r = await store.maintainPartitions(new Date(), retentionDays);
    if (r.dropped.length > 0) {
      metrics.partitionsDropped.inc(r.dropped.length);
      log.info({ dropped: r.dropped }, 'retention: dropped history partitions');
    }
    if (r.created.length > 0) log.debug({ created: r.created }, 'created history partitions');
  } catch (err) {
    log.error({ err }, 'partition maintenance failed; will retry');
  }
}

async function refreshHostGauge(store: ControlStore, staleAfterIntervals: number, metrics: ControlMetrics, log: Logger): Promise<void> {
  try {
    const now = Date.now();
    let fresh = 0;
    let stale = 0;
    let never = 0;
    for (const h of await store.hostStatuses()) {
      if (!h.lastSeen) never++;
      else if (now - h.lastSeen.getTime() > staleAfterIntervals * (h.intervalSeconds ?? 60) * 1000) stale++;
      else fresh++;
    }
    metrics.hosts.set({ state: 'fresh' }, fresh);
    metrics.hosts.set({ state: 'stale' }, stale);
    metrics.hosts.set({ state: 'never' }, never);
  } catch (err) {
    log.warn({ err }, 'could not count hosts by freshness');
  }
}
