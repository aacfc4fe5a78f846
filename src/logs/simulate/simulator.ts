/**
 * `vigia logs simulate` against a collector: N web servers' shippers, each with its own access-log stream
 * (traffic-model.ts), sending batches per the wire protocol (wire.ts) over keep-alive HTTP with at most
 * `concurrency` requests in flight. With a numeric rate, each node flushes what its stream produced every
 * `flushMs` (staggered over the nodes, as real shippers are); with `max`, batches of `batchLines` go out as
 * fast as the collector answers. The run is bounded: it stops generating at `durationSeconds` or `lines`,
 * waits at most `drainMs` for what is queued, and counts every line (sim-tally.ts). 429/503 are retried
 * after Retry-After, other failures with backoff, up to `maxTries`; then the batch is dropped and the node's
 * cumulative `X-Vigia-Log-Dropped` says so, as a shipper would. 401/403 stop the run (`refused`).
 */
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { setMaxListeners } from 'node:events';
import { gzip as gzipCb } from 'node:zlib';
import { parseRetryAfter, retryDelay } from '../../core/backoff.js';
import { LINES_HEADERS, LINES_PATH, type LinesAccepted } from '../wire.js';
import type { SimFormat } from './access-line.js';
import { buildPopulation } from './population.js';
import { SimTally, type SimulationSummary } from './sim-tally.js';
import { createTraffic, type Traffic, type TrafficShares } from './traffic-model.js';

const gzip = promisify(gzipCb);

/** Settings of one run (validated by the command; RangeError here for impossible values). */
export interface LogSimulationOptions {
  /** Collector base URL (`http://127.0.0.1:8514`). */
  readonly url: string;
  /** Shipper bearer tokens; node i sends with tokens[i % length] (one token per host: the collector files lines under the token's host). */
  readonly tokens: readonly string[];
  readonly nodes: number;
  /** Total lines per second over all nodes, or `max`. */
  readonly rate: number | 'max';
  /** Stop generating after this many seconds (at least one of durationSeconds and lines). */
  readonly durationSeconds?: number;
  /** Stop after this many lines in all (split evenly over the nodes). */
  readonly lines?: number;
  readonly seed: number;
  readonly format: SimFormat;
  readonly shares?: Partial<TrafficShares>;
  /** Most lines per batch. */
  readonly batchLines: number;
  /** A node flushes at least this often (rated mode). */
  readonly flushMs: number;
  /** Most requests in flight. */
  readonly concurrency: number;
  readonly gzip: boolean;
  /** First log timestamp; default: now (rated) or one hour ago (max). */
  readonly startMs?: number;
  readonly maxTries: number;
  readonly requestTimeoutMs: number;
  /** After generation stops, how long queued and in-flight batches may still take. */
  readonly drainMs: number;
  /** Most lines queued (not in flight); beyond, a node drops its new batch and counts it. */
  readonly backlogLines: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (s: SimulationSummary) => void;
  readonly progressEveryMs?: number;
}

/** One simulated web server's shipper. */
interface SimNode {
  readonly name: string;
  readonly token: string;
  readonly source: string;
  readonly traffic: Traffic;
  /** Lines this node may still generate (Infinity when only the duration bounds the run). */
  quota: number;
  generated: number;
  offset: number;
  dropped: number;
  /** Elapsed ms of the run at which this node flushes next (rated mode; staggered over the nodes). */
  nextFlush: number;
}

/** A batch on its way. */
interface Job {
  readonly node: SimNode;
  readonly raw: Buffer;
  readonly lines: number;
  readonly start: number;
  readonly end: number;
}

/** Run the simulation; resolves with the summary once every line is accounted for. */
export async function runLogSimulation(o: LogSimulationOptions): Promise<SimulationSummary> {
  if (o.durationSeconds === undefined && o.lines === undefined) throw new RangeError('a run needs --duration or --lines');
  if (o.tokens.length === 0) throw new RangeError('a run needs a token');
  const base = new URL(o.url);
  const target = new URL(LINES_PATH, base);
  const client = base.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const tally = new SimTally();
  const maxMode = o.rate === 'max';
  const perNodeRate = maxMode ? 100 : (o.rate as number) / o.nodes;
  const t0 = Date.now();
  const startMs = o.startMs ?? (maxMode ? t0 - 3_600_000 : t0);
  const population = buildPopulation({ seed: o.seed });
  const nodes: SimNode[] = [];
  for (let i = 0; i < o.nodes; i++) {
    const name = `sim-${String(i + 1).padStart(4, '0')}`;
    const quota = o.lines === undefined ? Infinity : Math.floor(o.lines / o.nodes) + (i < o.lines % o.nodes ? 1 : 0);
    const traffic = createTraffic({ population, node: i, startMs, ratePerSecond: perNodeRate, format: o.format, ...(o.shares ? { shares: o.shares } : {}) });
    nodes.push({ name, token: o.tokens[i % o.tokens.length]!, source: `${name}:0:${1000 + i}`, traffic, quota, generated: 0, offset: 0, dropped: 0, nextFlush: (i / o.nodes) * o.flushMs });
  }

  const queue: Job[] = [];
  let queuedLines = 0;
  let inFlightLines = 0;
  let unsent = 0;
  let generating = true;
  let hardStopped = false;
  let stopped = '';
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const hardStop = new AbortController();
  // One listener per request in flight and per retry wait: up to `concurrency` at once, by design.
  setMaxListeners(0, hardStop.signal);

  const makeJob = (node: SimNode, n: number): Job => {
    let text = '';
    for (let i = 0; i < n; i++) {
      const line = node.traffic.next();
      tally.line(line.kind);
      text += line.text;
      text += '\n';
    }
    node.generated += n;
    const raw = Buffer.from(text, 'latin1');
    const start = node.offset;
    node.offset += raw.length;
    return { node, raw, lines: n, start, end: node.offset };
  };
  const enqueue = (job: Job): void => {
    if (queuedLines + job.lines > o.backlogLines) {
      // A shipper whose spool is full drops and counts; so does the simulator, instead of growing.
      tally.drop(job.lines);
      job.node.dropped += job.lines;
      return;
    }
    queue.push(job);
    queuedLines += job.lines;
    notify();
  };
  const stopGenerating = (why: string): void => {
    if (!generating) return;
    generating = false;
    stopped ||= why;
    notify();
  };

  // Rated mode: every tick, each node whose flush time came sends what its stream produced since.
  let rr = 0;
  const tickMs = Math.min(50, o.flushMs);
  const produce = (): void => {
    const now = Date.now();
    const elapsed = Math.min(now - t0, (o.durationSeconds ?? Infinity) * 1000);
    let left = 0;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      const due = Math.min(node.quota, Math.floor((perNodeRate * elapsed) / 1000));
      if (elapsed >= node.nextFlush || due - node.generated >= o.batchLines) {
        while (node.generated < due) enqueue(makeJob(node, Math.min(o.batchLines, due - node.generated)));
        while (node.nextFlush <= elapsed) node.nextFlush += o.flushMs;
      }
      left += node.quota - node.generated;
    }
    if (left <= 0 || (o.durationSeconds !== undefined && now - t0 >= o.durationSeconds * 1000)) {
      // Flush every node's remainder before stopping (the duration's last partial second included).
      for (const node of nodes) {
        const due = Math.min(node.quota, Math.floor((perNodeRate * Math.min(now - t0, (o.durationSeconds ?? Infinity) * 1000)) / 1000));
        while (node.generated < due) enqueue(makeJob(node, Math.min(o.batchLines, due - node.generated)));
      }
      stopGenerating(left <= 0 ? 'lines' : 'duration');
    }
  };
  // Max mode: a worker with nothing queued makes the next node's batch itself.
  const nextMaxJob = (): Job | undefined => {
    if (!generating) return undefined;
    if (o.durationSeconds !== undefined && Date.now() - t0 >= o.durationSeconds * 1000) return stopGenerating('duration'), undefined;
    for (let k = 0; k < nodes.length; k++) {
      const node = nodes[rr]!;
      rr = (rr + 1) % nodes.length;
      const n = Math.min(o.batchLines, node.quota - node.generated);
      if (n > 0) return makeJob(node, n);
    }
    return stopGenerating('lines'), undefined;
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      hardStop.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });

  const post = (job: Job, body: Buffer): Promise<{ status: number; retryAfter: string | undefined; text: string }> =>
    new Promise((resolve, reject) => {
      const req = client.request(
        target,
        {
          method: 'POST',
          agent,
          timeout: o.requestTimeoutMs,
          signal: hardStop.signal,
          headers: {
            authorization: `Bearer ${job.node.token}`,
            'content-type': 'text/plain; charset=utf-8',
            'content-length': body.length,
            ...(o.gzip ? { 'content-encoding': 'gzip' } : {}),
            [LINES_HEADERS.format]: o.format,
            [LINES_HEADERS.source]: job.node.source,
            [LINES_HEADERS.offset]: `${job.start}-${job.end}`,
            [LINES_HEADERS.dropped]: String(job.node.dropped),
            [LINES_HEADERS.lines]: String(job.lines),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            // An answer is a small JSON object; a huge one is not read whole.
            if (size <= 1 << 16) chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'timeout' })));
      req.on('error', reject);
      req.end(body);
    });

  const giveUp = (job: Job): void => {
    tally.drop(job.lines);
    job.node.dropped += job.lines;
  };
  const send = async (job: Job): Promise<void> => {
    inFlightLines += job.lines;
    try {
      const body = o.gzip ? await gzip(job.raw, { level: 1 }) : job.raw;
      for (let tries = 1; ; tries++) {
        if (hardStopped || stopped === 'refused') return void (unsent += job.lines);
        const began = performance.now();
        tally.sent(body.length, job.raw.length);
        let why: string;
        let retryAfterMs: number | null = null;
        try {
          const res = await post(job, body);
          if (res.status === 200) {
            let answer: LinesAccepted;
            try {
              answer = JSON.parse(res.text) as LinesAccepted;
            } catch {
              answer = { stored: 0, rejected: 0, duplicates: 0 };
            }
            return tally.accepted(job.lines, answer, performance.now() - began);
          }
          why = String(res.status);
          if (res.status === 401 || res.status === 403) {
            tally.failed(why, false);
            stopped = 'refused';
            stopGenerating('refused');
            return giveUp(job);
          }
          if (res.status !== 429 && res.status !== 503 && res.status < 500) {
            tally.failed(why, false);
            return giveUp(job); // 400, 413...: sending it again gives the same answer
          }
          retryAfterMs = parseRetryAfter(res.retryAfter, Date.now());
        } catch (err) {
          if (hardStopped) return void (unsent += job.lines);
          why = String((err as { code?: unknown }).code ?? 'error');
        }
        const again = tries < o.maxTries;
        tally.failed(why, again);
        if (!again) return giveUp(job);
        await sleep(retryDelay(tries, retryAfterMs, Math.random(), 250, 30_000));
      }
    } finally {
      inFlightLines -= job.lines;
    }
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      let job = queue.shift();
      if (job) queuedLines -= job.lines;
      else if (maxMode) job = nextMaxJob();
      if (job) {
        await send(job);
        continue;
      }
      if (!generating || hardStopped) return;
      await new Promise<void>((r) => {
        const prev = wake;
        wake = () => (prev?.(), r());
      });
    }
  };

  const onAbort = (): void => stopGenerating('signal');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const ticker = maxMode ? undefined : setInterval(produce, tickMs);
  const progress = o.onProgress ? setInterval(() => o.onProgress!(tally.summary(o.nodes, (Date.now() - t0) / 1000, queuedLines + inFlightLines, stopped || 'running')), o.progressEveryMs ?? 5000) : undefined;
  progress?.unref();
  let drainTimer: NodeJS.Timeout | undefined;
  let check: NodeJS.Timeout | undefined;
  const drained = new Promise<void>((resolve) => {
    check = setInterval(() => {
      if (generating) return;
      clearInterval(check);
      if (ticker) clearInterval(ticker);
      drainTimer = setTimeout(() => {
        hardStopped = true;
        hardStop.abort();
        notify();
        resolve();
      }, o.drainMs);
    }, 10);
  });
  try {
    if (o.signal?.aborted) stopGenerating('signal');
    await Promise.race([Promise.all(Array.from({ length: o.concurrency }, worker)), drained]);
    // After a hard stop, workers end as their requests fail; give them a moment, then count what is left.
    hardStopped = true;
    hardStop.abort();
    notify();
  } finally {
    if (ticker) clearInterval(ticker);
    if (progress) clearInterval(progress);
    if (drainTimer) clearTimeout(drainTimer);
    if (check) clearInterval(check);
    o.signal?.removeEventListener('abort', onAbort);
    agent.destroy();
  }
  unsent += queuedLines + inFlightLines;
  queue.length = 0;
  return tally.summary(o.nodes, (Date.now() - t0) / 1000, unsent, stopped || 'done');
}
