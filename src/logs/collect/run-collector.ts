/**
 * Wires `vigia logs serve` together: store (embedded or ClickHouse), insert queue, shipper and operator
 * authentication, the HTTP API, the syslog receivers and the retention timer, each registered on the
 * release stack. Shutdown (SIGTERM) runs it backwards: stop the retention timer, close the syslog
 * receivers and the HTTP server (in-flight batches finish and are answered), submit the syslog lines
 * gathered, drain the queue into the store, close the store.
 */
import { parseTokenEntries } from '../../core/auth.js';
import { readConfigFile, warnIfReadableByOthers } from '../../core/config-file.js';
import { bearerTokenAuthenticator, type Authenticate } from '../../core/http-pipeline.js';
import { Lifecycle } from '../../core/lifecycle.js';
import { createLogger, type Logger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import { RateLimiter } from '../../core/rate-limit.js';
import { compileLogFormat } from '../parse/compile.js';
import { ParseTally } from '../parse/parse-tally.js';
import { privacyFromFlags } from '../privacy-flags.js';
import type { LogStore } from '../store/log-store.js';
import { openLogStore } from '../store/open-store.js';
import { listenSyslogTcp, listenSyslogUdp, DEFAULT_SYSLOG_LIMITS, type SyslogReceiver } from '../syslog/syslog-receiver.js';
import { CollectorMetrics } from './collector-metrics.js';
import { createCollectorServer, DEFAULT_COLLECTOR_LIMITS } from './collector-server.js';
import { DroppedTally } from './dropped-tally.js';
import { DuplicateTracker } from './duplicate-tracker.js';
import { FormatCache } from './format-cache.js';
import { DEFAULT_LINES_LIMITS } from './lines-route.js';
import { LogQueue } from './log-queue.js';
import type { ServeConfig } from './serve-config.js';
import { controlPlaneLookup, shipperAuthenticator, ShipperTokenCache, type ShipperPrincipal } from './shipper-auth.js';
import { createSyslogIngest } from './syslog-ingest.js';

/** How often retention runs (and once at start). */
const RETENTION_EVERY_MS = 60 * 60_000;

/** A started collector: where it listens. */
export interface RunningCollector {
  readonly http: { readonly host: string; readonly port: number };
  readonly syslogUdp?: { readonly host: string; readonly port: number };
  readonly syslogTcp?: { readonly host: string; readonly port: number };
  /** Rejected lines by reason with samples, since start. */
  readonly tally: ParseTally;
}

/** Run the collector until SIGINT/SIGTERM. */
export async function runCollector(config: Readonly<ServeConfig>): Promise<void> {
  const log = createLogger(config.logLevel, { role: 'logs-collector' });
  const life = new Lifecycle(log);
  life.handleSignals((code) => process.exit(code), config.shutdownTimeoutMs);
  try {
    await startCollector(config, log, life);
  } catch (err) {
    await life.shutdown();
    throw err;
  }
}

/** Start every part of the collector, registering each on `life`. */
export async function startCollector(config: Readonly<ServeConfig>, log: Logger, life: Lifecycle): Promise<RunningCollector> {
  const operatorTokens = config.tokens ? parseTokenEntries(await readConfigFile(config.tokens, '--tokens')) : [];
  if (config.tokens) await warnIfReadableByOthers(config.tokens, log, '--tokens');
  const anonymise = await privacyFromFlags(config.ipPrivacy, config.ipHashKeyFile);
  const store: LogStore = await openLogStore(config.store ? { url: config.store } : { dataDir: config.dataDir });
  life.defer('log store', () => store.close());
  log.info({ engine: store.engine, store: config.store ? 'url' : config.dataDir }, 'log store open');

  const registry = createRegistry({ role: 'logs-collector' });
  let queue: LogQueue | undefined;
  const metrics = new CollectorMetrics(registry, () => queue?.depth ?? 0);
  queue = new LogQueue(store, { maxQueuedLines: config.maxQueuedLines }, ({ lines, seconds, error }) => {
    metrics.insertSeconds.observe(seconds);
    metrics.insertLines.observe(lines);
    if (error !== undefined) {
      metrics.insertErrors.inc();
      log.error({ err: error, lines }, 'the store refused an insert; its batches were answered with an error and will be resent');
    }
  });
  const q = queue;
  life.defer('ingest queue', async () => {
    await q.drain();
    log.info('ingest queue drained into the store');
  });

  const tally = new ParseTally();
  const countRejects = (t: ParseTally): void => {
    for (const [reason, n] of Object.entries(t.summary().reasons)) metrics.rejected.inc({ reason }, n);
    tally.merge(t);
  };
  const shippers = await shipperAuth(config);
  const server = createCollectorServer({
    operatorTokens,
    shippers,
    lines: {
      limits: DEFAULT_LINES_LIMITS,
      formats: new FormatCache((spec) => compileLogFormat(spec)),
      queue: q,
      duplicates: new DuplicateTracker(),
      dropped: new DroppedTally(),
      ...(anonymise ? { anonymise } : {}),
      onRejected: countRejects,
      onBatch: (b) => {
        metrics.received.inc({ via: 'http' }, b.received);
        metrics.stored.inc(b.stored);
        metrics.duplicates.inc(b.duplicates);
        metrics.shipperDropped.inc(b.newlyDropped);
      },
    },
    query: { store, metrics: () => registry.metrics() },
    limits: DEFAULT_COLLECTOR_LIMITS,
    log,
    onResponse: (route, status, seconds) => {
      metrics.httpRequests.inc({ route, status: String(status) });
      metrics.httpSeconds.observe({ route }, seconds);
    },
    onRefusedBatch: (code, lines) => {
      metrics.received.inc({ via: 'http' }, lines);
      metrics.refused.inc({ code }, lines);
    },
  });

  let syslogUdp: SyslogReceiver | undefined;
  let syslogTcp: SyslogReceiver | undefined;
  if (config.syslogUdp || config.syslogTcp) {
    const ingest = createSyslogIngest(
      compileLogFormat(config.syslogLogFormat),
      q,
      {
        onMessage: (transport, outcome) => {
          metrics.syslogMessages.inc({ transport, outcome });
          if (outcome === 'ok') metrics.received.inc({ via: 'syslog' });
        },
        onRejected: (reason, line) => {
          metrics.rejected.inc({ reason });
          tally.reject(reason, line);
        },
        onStored: (n) => metrics.stored.inc(n),
        onRefused: (code, n) => metrics.refused.inc({ code }, n),
      },
      log,
      anonymise ? { anonymise } : {},
    );
    life.defer('syslog lines', () => ingest.flush());
    if (config.syslogUdp) {
      syslogUdp = await listenSyslogUdp(config.syslogUdp, DEFAULT_SYSLOG_LIMITS, ingest);
      life.defer('syslog udp', () => syslogUdp!.close());
    }
    if (config.syslogTcp) {
      syslogTcp = await listenSyslogTcp(config.syslogTcp, DEFAULT_SYSLOG_LIMITS, ingest);
      life.defer('syslog tcp', () => syslogTcp!.close());
    }
    for (const r of [syslogUdp, syslogTcp]) {
      if (r && !isLoopback(r.address.host)) log.warn({ address: r.address }, 'syslog has no authentication: anyone who reaches this address can write log lines; firewall it to the web servers');
    }
  }

  const http = await server.listen(config.listen.host, config.listen.port);
  life.defer('http server', () => server.close(10_000));
  log.info({ address: `${http.address}:${http.port}`, syslogUdp: syslogUdp?.address, syslogTcp: syslogTcp?.address }, 'log collector listening');

  const retention = async (): Promise<void> => {
    const before = Date.now() - config.retentionDays * 86_400_000;
    try {
      const gone = await store.expire(before);
      metrics.expired.inc(gone);
      log.info({ before: new Date(before).toISOString(), lines: gone, retentionDays: config.retentionDays }, 'retention: removed old log lines');
    } catch (err) {
      log.error({ err }, 'retention failed; it runs again in an hour');
    }
  };
  void retention();
  const timer = setInterval(() => void retention(), RETENTION_EVERY_MS);
  timer.unref();
  life.defer('retention timer', () => clearInterval(timer));

  return {
    http: { host: http.address, port: http.port },
    ...(syslogUdp ? { syslogUdp: syslogUdp.address } : {}),
    ...(syslogTcp ? { syslogTcp: syslogTcp.address } : {}),
    tally,
  };
}

async function shipperAuth(config: Readonly<ServeConfig>): Promise<Authenticate<ShipperPrincipal>> {
  const hostLimiter = new RateLimiter({ perSecond: 100, burst: 500, maxClients: 200_000 });
  if (config.shipperTokens) {
    const entries = parseTokenEntries(await readConfigFile(config.shipperTokens, '--shipper-tokens'));
    const auth = bearerTokenAuthenticator(entries, hostLimiter, 'shipper');
    return async (req, res, address) => {
      const p = await auth(req, res, address);
      return p ? { kind: 'shipper', name: p.name } : undefined;
    };
  }
  const cache = new ShipperTokenCache(controlPlaneLookup(config.control!));
  return shipperAuthenticator(cache, { guessLimiter: new RateLimiter({ perSecond: 50, burst: 500 }), hostLimiter });
}

function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.');
}
