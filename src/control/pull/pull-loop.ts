/**
 * The control plane's pull loop: scrapes every target once per interval, each at its own fixed offset
 * within the interval (a hash of its host name, as Prometheus spreads scrapes), with bounded
 * concurrency and a deadline per scrape. A target still being scraped when its next turn comes is
 * skipped for that turn rather than scraped twice at once. Reports are checked against the wire
 * contract before they are handed on, exactly like pushed ones would be.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { parseHostReport, type HostReport } from '../../core/contracts/host-report.js';
import { redactUrl } from '../../core/redact.js';
import { createAgentSource } from './agent-source.js';
import { createNodeExporterSource } from './node-exporter-source.js';
import type { PullSource } from './source.js';
import type { PullTarget } from './targets.js';

/** Options of a pull loop. */
export interface PullLoopOptions {
  readonly targets: readonly PullTarget[];
  /** Seconds between two scrapes of one target (1..86400). */
  readonly intervalSeconds: number;
  /** Most scrapes in flight at once (default 16). */
  readonly concurrency?: number;
  /** Deadline of one scrape, ms (default 10000, at most the interval). */
  readonly timeoutMs?: number;
  /** A valid report of a target. Errors thrown here are passed to onError, never lost. */
  readonly onReport: (host: string, report: HostReport, source: PullSource['kind']) => void | Promise<void>;
  /** A failed scrape (network, status, timeout, a report that fails the contract). */
  readonly onError?: (host: string, error: Error, source: PullSource['kind']) => void;
  /** Wall clock, ms (default Date.now); scrapes are scheduled on it. */
  readonly clock?: Clock;
  /**
   * Spread of first scrapes: each target starts at hash(host) * jitter * interval (0..1, default 1:
   * spread over the whole interval; 0: all at once, e.g. for tests).
   */
  readonly jitter?: number;
  /** node_exporter targets: take a second scrape this long after the first so the first report has CPU rates (default 0). */
  readonly firstGapMs?: number;
  /** Build the source of a target (default: by its kind). Tests pass their own. */
  readonly createSource?: (target: PullTarget, intervalSeconds: number) => PullSource;
}

/** Counters of a pull loop. */
export interface PullLoopStats {
  scrapes: number;
  reports: number;
  errors: number;
  timeouts: number;
  /** Turns skipped because the target's previous scrape was still running. */
  skipped: number;
}

/** A running (or not yet started) pull loop. */
export interface PullLoop {
  /** Start scheduling; idempotent. */
  start(): void;
  /** Scrape every target once now (bounded by concurrency), resolving when all are done. For tests and `--once`. */
  pullOnce(): Promise<void>;
  /** Stop scheduling, abort scrapes in flight and wait for them; idempotent. */
  stop(): Promise<void>;
  stats(): PullLoopStats;
}

/** FNV-1a of a string to [0,1): a stable per-host offset. */
function unitHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 4294967296;
}

/** The default source of a target, by its kind. */
export function defaultPullSource(target: PullTarget, intervalSeconds: number, firstGapMs = 0): PullSource {
  return target.kind === 'agent' ? createAgentSource({ target, intervalSeconds }) : createNodeExporterSource({ target, intervalSeconds, firstGapMs });
}

/** Build a pull loop (does nothing until start() or pullOnce()). Throws RangeError on bad options. */
export function createPullLoop(options: PullLoopOptions): PullLoop {
  const { intervalSeconds } = options;
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 1 || intervalSeconds > 86_400) throw new RangeError(`intervalSeconds must be an integer from 1 to 86400, got ${intervalSeconds}`);
  const concurrency = options.concurrency ?? 16;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  const intervalMs = intervalSeconds * 1000;
  const timeoutMs = Math.min(options.timeoutMs ?? 10_000, intervalMs);
  const clock = options.clock ?? systemClock;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 1));
  const make = options.createSource ?? ((t: PullTarget, s: number) => defaultPullSource(t, s, options.firstGapMs ?? 0));
  const entries = options.targets.map((t) => ({ target: t, source: make(t, intervalSeconds), busy: false, nextAt: 0 }));
  const stats: PullLoopStats = { scrapes: 0, reports: 0, errors: 0, timeouts: 0, skipped: 0 };
  const stopper = new AbortController();
  const inflight = new Set<Promise<void>>();
  type Entry = (typeof entries)[number];
  const queue: { e: Entry; done: () => void }[] = [];
  let running = 0;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopped = false;

  const fail = (host: string, err: unknown, kind: PullSource['kind']): void => {
    stats.errors++;
    try {
      options.onError?.(host, err instanceof Error ? err : new Error(String(err)), kind);
    } catch {
      /* an error handler that throws must not stop the loop */
    }
  };

  const scrape = async (e: (typeof entries)[number]): Promise<void> => {
    const { source } = e;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([stopper.signal, deadline]);
    stats.scrapes++;
    try {
      const report = await source.collect(signal);
      const checked = parseHostReport(report);
      if (!checked.ok) throw new Error(`report fails the host report contract: ${checked.problems.join('; ')}`);
      if (stopper.signal.aborted) return;
      await options.onReport(source.host, checked.report, source.kind);
      stats.reports++;
    } catch (err) {
      if (stopper.signal.aborted) return;
      if (deadline.aborted) {
        stats.timeouts++;
        fail(source.host, new Error(`scrape of ${redactUrl(e.target.url)} timed out after ${timeoutMs} ms`, { cause: err }), source.kind);
      } else fail(source.host, err, source.kind);
    }
  };

  const pump = (): void => {
    while (running < concurrency && queue.length > 0 && !stopped) {
      const { e, done } = queue.shift()!;
      running++;
      const p = scrape(e).finally(() => {
        running--;
        e.busy = false;
        inflight.delete(p);
        done();
        pump();
      });
      inflight.add(p);
    }
  };

  /** Queue a scrape of e; resolves when it finished (or was dropped by stop), or at once when e is busy. */
  const enqueue = (e: Entry): Promise<void> => {
    if (e.busy) {
      stats.skipped++;
      return Promise.resolve();
    }
    e.busy = true;
    return new Promise<void>((done) => queue.push({ e, done }));
  };

  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    const now = clock();
    let next = Infinity;
    for (const e of entries) {
      if (e.nextAt <= now) {
        void enqueue(e);
        // Keep the target's phase: skip whole intervals that were missed (a stalled event loop).
        e.nextAt += Math.max(1, Math.ceil((now - e.nextAt + 1) / intervalMs)) * intervalMs;
      }
      next = Math.min(next, e.nextAt);
    }
    pump();
    if (next !== Infinity) {
      timer = setTimeout(tick, Math.max(0, next - clock()));
      timer.unref?.();
    }
  };

  return {
    start() {
      if (started || stopped) return;
      started = true;
      const t0 = clock();
      for (const e of entries) e.nextAt = t0 + Math.floor(unitHash(e.target.host) * jitter * intervalMs);
      tick();
    },
    async pullOnce() {
      if (stopped) return;
      const waits = entries.map(enqueue);
      pump();
      await Promise.all(waits);
    },
    async stop() {
      if (stopped) {
        await Promise.all(inflight);
        return;
      }
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const q of queue.splice(0)) {
        q.e.busy = false;
        q.done();
      }
      stopper.abort(new Error('pull loop stopped'));
      await Promise.all(inflight);
    },
    stats: () => ({ ...stats }),
  };
}
