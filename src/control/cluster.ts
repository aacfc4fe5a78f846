/**
 * `vigia server --workers N`: the primary process of the node:cluster. It serves nothing itself: it
 * forks N workers that share the listening socket, replaces one that dies (with a backoff, so a crash
 * loop does not spin), answers the workers' `/metrics` requests with the cluster-wide sum
 * (prom-client's AggregatorRegistry), and on SIGINT/SIGTERM asks every worker to drain (each runs
 * its own release stack) within the shutdown deadline.
 *
 * Which worker leads is not decided here: the workers contend for a PostgreSQL lease
 * (core/db/leader-lease.ts), so the choice holds across hosts too and survives the primary knowing
 * nothing about it.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '../core/log.js';
import { HostAuth, type HostAuthOptions } from './host-auth.js';
import type { ControlStore, HostIdentity } from './store/control-store.js';

const METRICS_REQUEST = 'vigia:control:metrics-request';
const METRICS_REPLY = 'vigia:control:metrics-reply';
const HOST_CHANGED = 'vigia:control:host-changed';

interface HostChangedMessage {
  readonly type: typeof HOST_CHANGED;
  readonly hostId: number;
  readonly tokenHash?: string;
  readonly host?: HostIdentity;
}

/** Exit code of a worker that lost the leader lease and stepped down (replaced at once, not a crash). */
export const EXIT_LEASE_LOST = 3;

/** What the primary needs. */
export interface PrimaryOptions {
  readonly workers: number;
  /** Deadline for every worker to drain after SIGINT/SIGTERM; past it the primary kills what is left and exits 1. */
  readonly shutdownTimeoutMs: number;
  readonly log: Logger;
  /** Ends the process (cli edge: process.exit). */
  readonly exit: (code: number) => void;
}

/** The delay before replacing a dead worker: doubles with each death in the last minute, at most 30 s. */
export function restartDelayMs(deathsLastMinute: number): number {
  return Math.min(30_000, 100 * 2 ** Math.min(deathsLastMinute, 9));
}

/** Run the primary: fork `workers`, supervise them until a signal. Resolves once they are forked. */
export function runPrimary(options: PrimaryOptions): Promise<void> {
  const { log } = options;
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  const deaths: number[] = [];

  // Workers that have listened: one stopped by our SIGTERM before that (still starting, its signal
  // handlers not yet installed) served nobody, so it had nothing to drain.
  const serving = new WeakSet<Worker>();
  const fork = (): void => {
    const w = cluster.fork();
    w.once('listening', () => serving.add(w));
    w.on('message', (msg: { type?: string; seq?: number }) => {
      if (msg?.type === HOST_CHANGED) {
        // An enrolment, rotation or removal in one worker: every other worker drops its cached token.
        for (const other of Object.values(cluster.workers ?? {})) if (other && other !== w) sendQuietly(other, msg);
        return;
      }
      if (msg?.type !== METRICS_REQUEST) return;
      aggregator.clusterMetrics().then(
        (text) => sendQuietly(w, { type: METRICS_REPLY, seq: msg.seq, text }),
        (err: unknown) => {
          log.error({ err }, 'metrics aggregation failed (a worker did not answer)');
          sendQuietly(w, { type: METRICS_REPLY, seq: msg.seq, error: true });
        },
      );
    });
  };

  let failedWhileStopping = 0;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (code === null && signal === 'SIGTERM' && !serving.has(worker)) {
        log.info({ workerPid: worker.process.pid }, 'worker stopped while starting (it had not listened: nothing to drain)');
      } else if (code !== 0) {
        failedWhileStopping++;
        log.error({ workerPid: worker.process.pid, code, signal }, 'worker did not drain cleanly');
      }
      return;
    }
    const now = Date.now();
    // A worker that stepped down from a lost lease is healthy: replace it without counting a crash.
    const crashed = code !== EXIT_LEASE_LOST;
    if (crashed) deaths.push(now);
    while (deaths.length > 0 && deaths[0]! < now - 60_000) deaths.shift();
    const delay = crashed ? restartDelayMs(deaths.length) : 0;
    const fields = { workerPid: worker.process.pid, code, signal, deathsLastMinute: deaths.length, restartInMs: delay };
    if (crashed) log.error(fields, 'worker died; starting a new one');
    else log.warn(fields, 'worker lost the leader lease and stepped down; starting a new one');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping workers');
    const alive = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    for (const w of alive()) w.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      log.error({ deadlineMs: options.shutdownTimeoutMs, left: alive().length }, 'workers did not drain before the deadline; killing them');
      for (const w of alive()) w.process.kill('SIGKILL');
      options.exit(1);
    }, options.shutdownTimeoutMs);
    deadline.unref();
    const check = setInterval(() => {
      if (alive().length > 0) return;
      clearInterval(check);
      clearTimeout(deadline);
      options.exit(failedWhileStopping > 0 ? 1 : 0);
    }, 50);
  };
  // The terminal's Ctrl-C reaches workers too; they ignore a second signal (Lifecycle), we send SIGTERM.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (let i = 0; i < options.workers; i++) fork();
  log.info({ workers: options.workers }, 'vigia server: workers started');
  return Promise.resolve();
}

function sendQuietly(w: Worker, msg: unknown): void {
  if (w.isConnected()) w.send(msg as object, undefined, () => undefined);
}

/**
 * In a worker: let the primary read this worker's `registry` (for its aggregation) and return the
 * function `/metrics` calls: the sum over every live worker. Counters and histograms add up; gauges
 * add up too (queue lengths per worker; `vigia_control_hosts` and `vigia_control_leader` are set only by
 * the leader, so the sum is the leader's figure); prom-client's own runtime gauges carry their
 * aggregation (average event-loop lag, first version, start time omitted).
 */
export function clusterMetrics(registry: Registry, timeoutMs = 5000): () => Promise<string> {
  // prom-client installs the worker-side "send me your metrics" listener only in this constructor.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  let seq = 0;
  const waiters = new Map<number, (reply: { text?: string; error?: boolean }) => void>();
  process.on('message', (msg: { type?: string; seq?: number; text?: string; error?: boolean }) => {
    if (msg?.type !== METRICS_REPLY || typeof msg.seq !== 'number') return;
    waiters.get(msg.seq)?.(msg);
    waiters.delete(msg.seq);
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        waiters.delete(id);
        reject(new Error('the primary did not answer the metrics request'));
      }, timeoutMs);
      waiters.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error) reject(new Error('the primary could not aggregate the workers\' metrics'));
        else resolve(reply.text ?? '');
      });
      process.send?.({ type: METRICS_REQUEST, seq: id });
    });
}

/**
 * In a worker: host-token authentication whose changes (enrolment, rotation, removal) reach every
 * other worker of this server through the primary, so a removed host's token stops working in all of
 * them at once, as in a single process (not only after the cache's time to live). `onRemoved` runs
 * for a removal made here or in another worker (the leader tells its rollout service).
 */
export class ClusterHostAuth extends HostAuth {
  constructor(
    store: ControlStore,
    private readonly onRemoved: (hostId: number) => void,
    opts: Partial<HostAuthOptions> = {},
  ) {
    super(store, opts);
    process.on('message', (msg: HostChangedMessage) => {
      if (msg?.type !== HOST_CHANGED || typeof msg.hostId !== 'number') return;
      super.hostChanged(msg.hostId, msg.tokenHash, msg.host);
      if (msg.tokenHash === undefined) this.onRemoved(msg.hostId);
    });
  }

  override hostChanged(hostId: number, newTokenHash?: string, host?: HostIdentity): void {
    super.hostChanged(hostId, newTokenHash, host);
    const msg: HostChangedMessage = { type: HOST_CHANGED, hostId, ...(newTokenHash !== undefined ? { tokenHash: newTokenHash } : {}), ...(host ? { host: { id: host.id, name: host.name } } : {}) };
    process.send?.(msg);
    // Without a new token it was a removal (enrolments and rotations always bring one).
    if (newTokenHash === undefined) this.onRemoved(hostId);
  }
}
