/**
 * Wires `vigia server` together: store (migrated), partition maintenance, ingest queue, host auth,
 * pull loop, report schedules and the HTTP API, each registered on the release stack so SIGTERM stops
 * accepting, drains queued reports into the database, then closes it.
 */
import { parseTokenEntries, type TokenEntry } from '../core/auth.js';
import { readConfigFile, warnIfReadableByOthers } from '../core/config-file.js';
import { VigiaError } from '../core/errors.js';
import { Lifecycle } from '../core/lifecycle.js';
import { createLogger, type Logger } from '../core/log.js';
import { createRegistry } from '../core/metrics.js';
import { createAgentChannel } from './agent-channel.js';
import { createBundleService } from './bundles/bundle-service.js';
import type { ControlConfig } from './config.js';
import { createRunService } from './fleet-runs/run-service.js';
import { createRolloutService } from './rollouts/rollout-service.js';
import { FleetStore } from './store/fleet-store.js';
import { ControlMetrics } from './control-metrics.js';
import { HostAuth } from './host-auth.js';
import { IngestQueue } from './ingest-queue.js';
import { loadServerSettings } from './server-settings.js';
import { createReportService } from './report-service.js';
import { createControlServer, DEFAULT_CONTROL_LIMITS, type FleetApi } from './server.js';
import type { ControlStore } from './store/control-store.js';
import { openControlStore } from './store/sql-store.js';

/** How often partitions are created ahead and expired ones dropped. */
const MAINTENANCE_MS = 60 * 60_000;
/** How often the fresh/stale host gauge is recomputed. */
const HOST_GAUGE_MS = 60_000;

/** Run the control plane until SIGINT/SIGTERM. */
export async function runControlPlane(config: ControlConfig): Promise<void> {
  const log = createLogger(config.logLevel, { role: 'server' });
  const life = new Lifecycle(log);
  life.handleSignals((code) => process.exit(code), config.shutdownTimeoutMs);
  try {
    await startControlPlane(config, log, life);
  } catch (err) {
    await life.shutdown();
    throw err;
  }
}

async function startControlPlane(config: ControlConfig, log: Logger, life: Lifecycle): Promise<void> {
  const settings = await loadServerSettings(config.configFile);
  const tokens: TokenEntry[] = config.authTokenFile ? parseTokenEntries(await readConfigFile(config.authTokenFile, '--auth-token-file')) : [];
  if (config.authTokenFile) await warnIfReadableByOthers(config.authTokenFile, log, '--auth-token-file');
  else log.warn('no --auth-token-file: the operator API (hosts, enrolment, reports, /metrics) refuses every request; hosts can still report');
  const tls = config.tls
    ? {
        cert: Buffer.from(await readConfigFile(config.tls.cert, '--tls-cert')),
        key: Buffer.from(await readConfigFile(config.tls.key, '--tls-key')),
        ...(config.tls.clientCa ? { ca: Buffer.from(await readConfigFile(config.tls.clientCa, '--tls-client-ca')) } : {}),
      }
    : undefined;
  if (!tls && config.listen.host !== '127.0.0.1' && config.listen.host !== '::1' && config.listen.host !== 'localhost') {
    log.warn({ listen: `${config.listen.host}:${config.listen.port}` }, 'listening beyond loopback without TLS: host tokens cross the network in clear text (use --tls-cert/--tls-key or a TLS-terminating load balancer)');
  }

  const store = await openControlStore({ database: config.store.database, dataDir: config.store.dataDir, retentionDays: config.retentionDays, log });
  life.defer('store', () => store.close());
  log.info({ store: store.kind }, 'store open and migrated');

  const registry = createRegistry();
  const metrics = new ControlMetrics(registry);
  await maintain(store, config.retentionDays, metrics, log);
  const maintenance = setInterval(() => void maintain(store, config.retentionDays, metrics, log), MAINTENANCE_MS);
  maintenance.unref();
  life.defer('partition maintenance', () => clearInterval(maintenance));

  const hostGauge = setInterval(() => void refreshHostGauge(store, settings.policy.staleAfterIntervals, metrics, log), HOST_GAUGE_MS);
  hostGauge.unref();
  life.defer('host gauge', () => clearInterval(hostGauge));
  void refreshHostGauge(store, settings.policy.staleAfterIntervals, metrics, log);

  const queue = new IngestQueue(store, { maxBatch: config.ingestBatch, maxQueued: config.ingestMaxQueued }, (b) => {
    metrics.batchSeconds.observe(b.seconds);
    metrics.batchSize.observe(b.size);
    if (b.error) {
      metrics.batchErrors.inc();
      log.error({ err: b.error, reports: b.size }, 'ingest batch failed; its reports were answered 503');
    }
  });
  // Registered before the HTTP server, so it is released after it: queued reports reach the database.
  life.defer('ingest queue', () => queue.drained());

  const hostAuth = new HostAuth(store);
  const reports = createReportService({ store, settings, log, cacheMs: 30_000 });

  if (config.pullTargets) {
    const { startPulling } = await import('./pull-wiring.js');
    const stop = await startPulling({ file: config.pullTargets, intervalSeconds: config.pullIntervalSeconds, store, queue, metrics, log });
    life.defer('pull loop', stop);
  }

  const schedules = reports.startSchedules(metrics);
  life.defer('report schedules', () => schedules.stop());

  // Fleet changes (one process per database): released after the HTTP server (registered before
  // it), so parked polls are answered first and pending host states reach the database.
  let fleet: FleetApi | undefined;
  if (config.fleet) {
    const fleetStore = new FleetStore(store.database);
    const channel = createAgentChannel();
    const rollouts = createRolloutService({ store: fleetStore, channel, log });
    await rollouts.load();
    rollouts.start();
    life.defer('rollouts', () => rollouts.close());
    const trustedKeys = await Promise.all(config.bundlePublicKeys.map((f) => readConfigFile(f, '--bundle-public-key')));
    const bundles = createBundleService({ store: fleetStore, rollouts, trustedKeys, log });
    const runs = createRunService({ store: fleetStore, channel, log });
    await runs.resume();
    life.defer('fleet runs', () => runs.close());
    life.defer('agent polls', () => channel.close());
    fleet = { channel, rollouts, bundles, runs };
  } else {
    log.info('--no-fleet: this process serves reports only (agent polls, bundles, rollouts and fleet runs answer 404)');
  }

  const server = createControlServer({
    operatorTokens: tokens,
    hostAuth,
    store,
    ingest: (item, bytes) => queue.submit(item, bytes),
    capacityReport: (format) => reports.capacity(format),
    performanceReport: (day, format) => reports.performance(day, format),
    metrics: async () => {
      metrics.queueLength.set(queue.queued);
      return registry.metrics();
    },
    limits: {
      ...DEFAULT_CONTROL_LIMITS,
      rateLimit: config.rateLimit,
      hostRateLimit: config.hostRateLimit,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      requestTimeoutMs: config.requestTimeoutMs,
    },
    log,
    tls,
    onResponse: (route, status, seconds) => {
      metrics.httpRequests.inc({ route, status: String(status) });
      metrics.httpSeconds.observe({ route }, seconds);
    },
    onReport: (outcome) => metrics.reports.inc({ outcome }),
    ...(fleet ? { fleet } : {}),
  });
  const address = await server.listen(config.listen.host, config.listen.port);
  life.defer('http server', () => server.close(Math.min(10_000, config.shutdownTimeoutMs / 2)));
  log.info({ address: `${address.address}:${address.port}`, tls: Boolean(tls), store: store.kind }, `vigia server listening on ${tls ? 'https' : 'http'}://${address.address}:${address.port}`);
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
