/**
 * Start turno: one process, or a Node cluster of --workers processes sharing the port. In cluster
 * mode the primary only supervises (restarts dead workers, aggregates /metrics); each worker opens
 * its own store connection and serves requests.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { AggregatorRegistry } from 'prom-client';
import { bearerAuthenticator, parseTokenFile, type Authenticator } from '../core/auth.js';
import { VigiaError } from '../core/errors.js';
import { Lifecycle } from '../core/lifecycle.js';
import { createLogger, type Logger } from '../core/log.js';
import { createRegistry } from '../core/metrics.js';
import { createRequestTracer } from '../core/tracing.js';
import type { TurnoConfig } from './config.js';
import { createTurnoMetrics } from './metrics.js';
import { createTurnoServer } from './server.js';
import { openStore } from './stores/open-store.js';

const METRICS_REQUEST = 'vigia:turno:metrics-request';
const METRICS_REPLY = 'vigia:turno:metrics-reply';

/** Run the service until SIGINT/SIGTERM. Resolves once listening (single) or workers forked (cluster). */
export async function runTurno(config: TurnoConfig): Promise<void> {
  const log = createLogger(config.logLevel, { role: 'turno' });
  // Read the token file first, in the primary too: a bad file fails the start instead of crash-looping workers.
  const authenticate = config.authTokenFile ? bearerAuthenticator(parseTokenFile(readTokenFile(config.authTokenFile))) : undefined;
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, log);
  await runWorker(config, log, authenticate);
}

function readTokenFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `authTokenFile: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

async function runWorker(config: TurnoConfig, log: Logger, authenticate: Authenticator | undefined): Promise<void> {
  const life = new Lifecycle(log);
  life.handleSignals((code) => process.exit(code), config.shutdownTimeoutMs, !cluster.isWorker);
  const registry = createRegistry();
  const metrics = createTurnoMetrics(registry);
  const store = await openStore(config.store, log);
  life.defer('store', () => store.close());
  const tracer = await createRequestTracer(config.tracing);
  if (tracer) life.defer('tracing', () => tracer.shutdown());
  const inCluster = cluster.isWorker;
  if (inCluster) {
    // prom-client installs its worker-side "send me your metrics" listener only in the
    // AggregatorRegistry constructor, so a worker must construct one even though it never uses it.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
  }
  const turno = createTurnoServer({ store, registry, metrics, log, authenticate, tracer, metricsText: inCluster ? askPrimaryForMetrics : undefined });
  life.defer('http', () => turno.drain());
  await new Promise<void>((resolve, reject) => {
    turno.server.once('error', reject);
    turno.server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const addr = turno.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  if (!inCluster) announce(`http://${host}:${port}`, store.description, config, log);
  else process.send?.({ type: 'vigia:turno:listening', url: `http://${host}:${port}` });
}

function announce(url: string, store: string, config: TurnoConfig, log: Logger): void {
  log.info({ url, store, workers: config.workers }, 'turno listening');
  const auth = config.authTokenFile ? ` -H "Authorization: Bearer $TOKEN"` : '';
  process.stdout.write(`vigia turno listening on ${url} (store ${store}, ${config.workers} worker${config.workers > 1 ? 's' : ''})\n  try: curl${auth} ${url}/turno/my-queue\n`);
}

let metricsSeq = 0;
const metricsWaiters = new Map<number, (text: string) => void>();

let metricsListening = false;

function askPrimaryForMetrics(): Promise<string> {
  const seq = ++metricsSeq;
  if (!metricsListening) {
    metricsListening = true;
    process.on('message', onMetricsReply);
  }
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      metricsWaiters.delete(seq);
      reject(new Error('primary did not answer the metrics request'));
    }, 5000);
    metricsWaiters.set(seq, (text) => {
      clearTimeout(timer);
      resolve(text);
    });
    process.send?.({ type: METRICS_REQUEST, seq });
  });
}

function onMetricsReply(msg: unknown): void {
  const m = msg as { type?: string; seq?: number; text?: string };
  if (m?.type !== METRICS_REPLY || typeof m.seq !== 'number') return;
  metricsWaiters.get(m.seq)?.(m.text ?? '');
  metricsWaiters.delete(m.seq);
}

function runPrimary(config: TurnoConfig, log: Logger): Promise<void> {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let announced = false;
  let listening = 0;
  const restarts: number[] = [];
  const fork = (): void => {
    const w = cluster.fork();
    w.on('message', (msg: { type?: string; seq?: number; url?: string }) => {
      if (msg?.type === METRICS_REQUEST) {
        aggregator.clusterMetrics().then(
          (text) => w.send({ type: METRICS_REPLY, seq: msg.seq, text }),
          (err: unknown) => {
            log.error({ err }, 'metrics aggregation failed');
            w.send({ type: METRICS_REPLY, seq: msg.seq, text: '' });
          },
        );
      } else if (msg?.type === 'vigia:turno:listening' && !announced && ++listening === config.workers) {
        announced = true;
        announce(msg.url ?? '', config.store, config, log);
      }
    });
  };
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
    log.error({ pid: worker.process.pid, code, signal, restartsLastMinute: restarts.length }, 'worker died; starting a new one');
    // Back off when workers crash-loop so a broken config does not burn the CPU.
    setTimeout(fork, Math.min(30_000, 100 * 2 ** Math.min(restarts.length, 8)));
  });
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info('stopping workers');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    const deadline = setTimeout(() => process.exit(1), config.shutdownTimeoutMs);
    deadline.unref();
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        clearInterval(check);
        process.exit(0);
      }
    }, 50);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (let i = 0; i < config.workers; i++) fork();
  return Promise.resolve();
}
