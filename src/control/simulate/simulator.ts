/**
 * Drives a synthetic fleet (fleet-model.ts) against a control plane: enrols the hosts through the
 * admin API, optionally backfills history, then either reports like a real fleet (each host once per
 * interval, spread evenly over it) or as fast as the server takes (saturation benchmarks). The loop is
 * bounded (rounds or duration) and only ever talks to the one URL it was given.
 *
 * Enrolment uses the bulk form of POST /v1/hosts/enroll (enroll.ts). Reports go either one per request
 * with each host's own token (`protocol: 'v1'`, what agents do) or as gzip batches of many hosts'
 * reports with one `ingest` token (`protocol: 'v2'`, what a relay does: report protocol v2, see
 * docs/control-plane.md). Every 429 and 503 (and, in v2, every report whose error code is a 429 or 503
 * one) is tried again after Retry-After with jitter, a bounded number of times.
 *
 * node:http with a keep-alive Agent rather than fetch: at tens of thousands of requests per second
 * undici's per-request overhead is what a benchmark would end up measuring.
 */
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { parseRetryAfter, retryDelay } from '../../core/backoff.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { ERROR_CATALOG } from '../../core/errors.js';
import { enrollHosts } from './enroll.js';
import { createFleetModel, type FleetModel } from './fleet-model.js';
import { LatencyHistogram, type LatencySummary } from './latency.js';

/** How reports are paced: `nominal` like a real fleet, `max` as fast as the server answers. */
export type SimulationRate = 'nominal' | 'max';

/** How reports travel: v1 one per request with the host's token; v2 gzip batches with an ingest token. */
export type SimulationProtocol = 'v1' | 'v2';

/** Most reports in one v2 batch from an `ingest` token (report protocol v2). */
export const V2_INGEST_BATCH_MAX = 1000;

/** Counters of one simulation so far. */
export interface SimulationCounts {
  /** Reports sent (each counted once, whatever its retries), answered or failed on the network. */
  sent: number;
  /** HTTP requests made, retries included (v2: one per batch). */
  requests: number;
  /** Requests (v1) or reports (v2) sent again after a 429/503 (or a 429/503 code in a v2 result). */
  retried: number;
  stored: number;
  duplicate: number;
  expired: number;
  /**
   * Reports that failed, by cause: the final non-2xx status (`"429"`), network failures under `"network"`,
   * a 2xx with an unknown body under `"bad_answer"`, and in v2 a report's own error code
   * (`"CONTROL_ERR_UNKNOWN_HOST"`); a batch refused as a whole counts each of its reports.
   */
  errors: Record<string, number>;
}

/** A progress snapshot, passed to onProgress every progressEveryMs. */
export interface SimulationProgress {
  phase: 'enroll' | 'backfill' | 'live';
  elapsedSeconds: number;
  /** Enrolments or reports done in this phase, and how many the phase holds (null: bounded by time). */
  done: number;
  total: number | null;
  /** Requests per second since the previous progress call. */
  ratePerSecond: number;
  counts: SimulationCounts;
}

export type { LatencySummary } from './latency.js';

/** What runSimulation returns (and `vigia simulate` prints as JSON). */
export interface SimulationSummary {
  url: string;
  hosts: number;
  seed: number;
  rate: SimulationRate;
  protocol: SimulationProtocol;
  /** v2: reports per batch at most. */
  batchSize: number | null;
  /** v2 was asked for and the server answered 404 (older than v2): nothing more was sent. */
  protocolUnavailable: boolean;
  intervalSeconds: number;
  enrolled: number;
  enrollErrors: Record<string, number>;
  /** Enrolment requests tried again after 429/503. */
  enrollRetried: number;
  /** The server took the bulk enrolment form (false: one host per request, an older server). */
  enrollBulk: boolean;
  backfill: SimulationCounts & { latencyMs: LatencySummary };
  live: SimulationCounts & {
    latencyMs: LatencySummary;
    /** Reports per second over the live phase. */
    reportsPerSecond: number;
    /** Scheduled sends that went out more than one second late (the sender or server could not keep up). */
    late: number;
    /** Sends skipped because the host had died (dying hosts). */
    skippedDead: number;
  };
  /** Hosts that died during the run (stopped reporting). */
  deadHosts: string[];
  elapsedSeconds: number;
  aborted: boolean;
}

/** Options of runSimulation. */
export interface SimulationOptions {
  /** Control-plane base URL, http: or https: (e.g. http://127.0.0.1:8080). */
  url: string;
  adminToken: string;
  /** `v1` (default): each host reports with its own token; `v2`: gzip batches with `ingestToken`. */
  protocol?: SimulationProtocol;
  /** An operator token with scope `ingest` (v2). */
  ingestToken?: string;
  /** v2: reports per batch at most (1..1000, default 500). */
  batchSize?: number;
  /** Tries per request on 429/503 at most, the first included (default 5; 1: never retry). */
  maxTries?: number;
  /** Jitter source, [0, 1) (default Math.random). */
  random?: () => number;
  hosts: number;
  intervalSeconds: number;
  /** Live phase length; wall-clock seconds. Exactly one of durationSeconds and rounds (default 120 s). */
  durationSeconds?: number;
  /** Live phase length in reports per host. */
  rounds?: number;
  rate?: SimulationRate;
  /** Most requests in flight (and keep-alive sockets) at once (default 64); v2: batches in flight. */
  concurrency?: number;
  seed?: number;
  /** Share of hosts that stop reporting during the live phase (default 0.001). */
  dyingFraction?: number;
  /**
   * Dying hosts die within this many seconds of the live phase's start (default: the whole phase).
   * A demo uses a short window so its silent hosts are silent from the start.
   */
  dyingWindowSeconds?: number;
  /** Days of history sent before the live phase (default 0), one report per backfillStepSeconds. */
  backfillDays?: number;
  backfillStepSeconds?: number;
  /** Per-request timeout, ms (default 30000). */
  requestTimeoutMs?: number;
  onProgress?: (p: SimulationProgress) => void;
  progressEveryMs?: number;
  signal?: AbortSignal;
  /** Wall clock (default `systemClock`); the model's anchor is its value at the start. */
  now?: Clock;
  /** Host name prefix (default `sim`). */
  prefix?: string;
}

const newCounts = (): SimulationCounts => ({ sent: 0, requests: 0, retried: 0, stored: 0, duplicate: 0, expired: 0, errors: {} });

/** Time a v2 relay holds reports due in nominal mode before sending them as one batch. */
const RELAY_FLUSH_MS = 1000;

const gzipAsync = promisify(gzip);

interface Answer {
  status: number;
  body: string;
  /** Retry-After in ms when the server sent one. */
  retryAfterMs: number | null;
}

/** A tiny keep-alive JSON POST client bound to one origin. */
function createPoster(base: URL, concurrency: number, timeoutMs: number, now: Clock) {
  const mod = base.protocol === 'https:' ? https : http;
  const agent = new mod.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const prefix = base.pathname.replace(/\/+$/, '');
  /** `payload`: a value to serialise, or a body ready to send (with its `extraHeaders`, e.g. gzip). */
  const post = (path: string, token: string, payload: unknown, extraHeaders: Record<string, string> = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
      const req = mod.request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port || undefined,
          path: prefix + path,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${token}`, ...extraHeaders },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfterMs: parseRetryAfter(res.headers['retry-after'], now()) });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}

/** Runs `fn(i)` for i in [0, n) with at most `limit` at once; stops taking new work once `stop()` is true. */
async function pool(n: number, limit: number, stop: () => boolean, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n && !stop()) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

/**
 * Sleeps that end early when `signal` aborts, all through ONE abort listener: a listener per sleep
 * put one on the shared signal for every request waiting to be retried (hundreds under a rate limit),
 * which Node reports as MaxListenersExceededWarning (a leak warning), and cost O(n) per wake.
 */
function abortableSleeper(signal: AbortSignal | undefined): { sleep: (ms: number) => Promise<void>; dispose: () => void } {
  const waiting = new Set<() => void>();
  const wakeAll = (): void => {
    for (const wake of waiting) wake();
  };
  signal?.addEventListener('abort', wakeAll, { once: true });
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const t = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(t);
        waiting.delete(done);
        resolve();
      }
      waiting.add(done);
    });
  return { sleep, dispose: () => signal?.removeEventListener('abort', wakeAll) };
}

/** Validates options the way the CLI does; throws RangeError naming the option. */
function check(o: SimulationOptions): void {
  const int = (name: string, v: number | undefined, lo: number, hi: number): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < lo || v > hi)) throw new RangeError(`${name} must be an integer from ${lo} to ${hi}, got ${v}`);
  };
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new RangeError(`url ${JSON.stringify(o.url)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`url must be http: or https:, got ${url.protocol}`);
  int('hosts', o.hosts, 1, 1_000_000);
  int('intervalSeconds', o.intervalSeconds, 1, 86_400);
  int('rounds', o.rounds, 1, 1_000_000);
  int('concurrency', o.concurrency, 1, 10_000);
  int('backfillStepSeconds', o.backfillStepSeconds, 1, 86_400);
  int('batchSize', o.batchSize, 1, V2_INGEST_BATCH_MAX);
  int('maxTries', o.maxTries, 1, 100);
  if (o.protocol !== undefined && o.protocol !== 'v1' && o.protocol !== 'v2') throw new RangeError(`protocol must be v1 or v2, got ${String(o.protocol)}`);
  if (o.protocol === 'v2' && !o.ingestToken) throw new RangeError('protocol v2 needs ingestToken (an operator token with scope ingest)');
  if (o.durationSeconds !== undefined && o.rounds !== undefined) throw new RangeError('give durationSeconds or rounds, not both');
  if (o.durationSeconds !== undefined && !(o.durationSeconds > 0 && o.durationSeconds <= 30 * 86_400)) throw new RangeError(`durationSeconds must be > 0 and at most 30 days, got ${o.durationSeconds}`);
  if (o.backfillDays !== undefined && !(o.backfillDays >= 0 && o.backfillDays <= 400)) throw new RangeError(`backfillDays must be from 0 to 400, got ${o.backfillDays}`);
  if (o.dyingFraction !== undefined && !(o.dyingFraction >= 0 && o.dyingFraction <= 1)) throw new RangeError(`dyingFraction must be from 0 to 1, got ${o.dyingFraction}`);
  if (!o.adminToken) throw new RangeError('adminToken is empty');
}

/**
 * Enrol, backfill, then report until `rounds` reports per host were sent (or `durationSeconds`
 * passed, or `signal` aborted), then wait for requests in flight and return the counts. Never throws
 * for server answers or network failures (they are counted); throws RangeError on bad options.
 *
 * Timestamps: nominal mode samples host i of round r at start + r*interval + (i/hosts)*interval, the
 * moment it is sent. Max mode goes back in time from the start instead (start - r*interval + offset),
 * so reports stay distinct without running into the server's future-clock check.
 */
export async function runSimulation(o: SimulationOptions): Promise<SimulationSummary> {
  check(o);
  const now = o.now ?? systemClock;
  const rate: SimulationRate = o.rate ?? 'nominal';
  const protocol: SimulationProtocol = o.protocol ?? 'v1';
  const batchSize = o.batchSize ?? 500;
  const maxTries = o.maxTries ?? 5;
  const random = o.random ?? Math.random;
  let protocolUnavailable = false;
  const concurrency = o.concurrency ?? 64;
  const seed = o.seed ?? 1;
  const intervalMs = o.intervalSeconds * 1000;
  const durationMs = o.rounds === undefined ? (o.durationSeconds ?? 120) * 1000 : null;
  const progressEveryMs = o.progressEveryMs ?? 5000;
  const base = new URL(o.url);
  const t0 = now();
  const model: FleetModel = createFleetModel({
    hosts: o.hosts,
    seed,
    anchorMs: t0,
    dyingFraction: o.dyingFraction ?? 0.001,
    // Dying hosts die inside the live phase, so a run shows them going stale.
    dyingWindowMs: o.dyingWindowSeconds !== undefined ? o.dyingWindowSeconds * 1000 : (durationMs ?? o.rounds! * intervalMs),
    prefix: o.prefix,
  });
  const client = createPoster(base, concurrency, o.requestTimeoutMs ?? 30_000, now);
  const aborted = (): boolean => o.signal?.aborted === true;
  const sleeper = abortableSleeper(o.signal);
  const sleep = sleeper.sleep;

  let phase: SimulationProgress['phase'] = 'enroll';
  let phaseDone = 0;
  let phaseTotal: number | null = o.hosts;
  let phaseCounts = newCounts();
  let lastTick = { at: t0, sent: 0 };
  const report = (): void => {
    if (!o.onProgress) return;
    const t = now();
    const sent = phase === 'enroll' ? phaseDone : phaseCounts.sent;
    const rateNow = t > lastTick.at ? ((sent - lastTick.sent) * 1000) / (t - lastTick.at) : 0;
    lastTick = { at: t, sent };
    o.onProgress({ phase, elapsedSeconds: (t - t0) / 1000, done: phaseDone, total: phaseTotal, ratePerSecond: Math.round(rateNow), counts: structuredClone(phaseCounts) });
  };
  const ticker = setInterval(report, progressEveryMs);
  ticker.unref();
  const startPhase = (p: SimulationProgress['phase'], total: number | null, counts: SimulationCounts): void => {
    phase = p;
    phaseDone = 0;
    phaseTotal = total;
    phaseCounts = counts;
    lastTick = { at: now(), sent: 0 };
  };

  try {
    // Enrolment (bulk): tokens per host; a host that cannot enrol is left out of the rest of the run.
    const enrolment = await enrollHosts({
      post: (path, payload) => client.post(path, o.adminToken, payload),
      hosts: Array.from({ length: o.hosts }, (_, i) => ({ host: model.hostName(i), tags: model.profile(i).tags })),
      random,
      sleep,
      aborted,
      onDone: (n) => (phaseDone = n),
    });
    const tokens = enrolment.tokens;
    const live = tokens.flatMap((t, i) => (t === undefined ? [] : [i]));

    const fail = (counts: SimulationCounts, key: string, n = 1): void => {
      counts.errors[key] = (counts.errors[key] ?? 0) + n;
    };
    const outcome = (counts: SimulationCounts, value: unknown): void => {
      if (value === 'stored' || value === 'duplicate' || value === 'expired') counts[value]++;
      else fail(counts, 'bad_answer');
    };
    const pause = (attempt: number, retryAfterMs: number | null): Promise<void> => sleep(retryDelay(attempt, retryAfterMs, random(), 250, 30_000));

    /** v1: one report with the host's token; 429/503 tried again after Retry-After. */
    const sendV1 = async (i: number, atMs: number, intervalSeconds: number, counts: SimulationCounts, hist: LatencyHistogram): Promise<void> => {
      const body = Buffer.from(JSON.stringify(model.reportAt(i, atMs, intervalSeconds)));
      counts.sent++;
      for (let attempt = 1; ; attempt++) {
        const started = performance.now();
        counts.requests++;
        let a: Answer;
        try {
          a = await client.post('/v1/reports', tokens[i]!, body);
        } catch {
          return fail(counts, 'network');
        }
        hist.add(performance.now() - started);
        if ((a.status === 429 || a.status === 503) && attempt < maxTries && !aborted()) {
          counts.retried++;
          await pause(attempt, a.retryAfterMs);
          continue;
        }
        if (a.status !== 200) return fail(counts, String(a.status));
        let value: unknown;
        try {
          value = (JSON.parse(a.body) as { outcome?: unknown }).outcome;
        } catch {
          /* counted as bad_answer */
        }
        return outcome(counts, value);
      }
    };

    /**
     * v2: one gzip batch of many hosts' reports with the ingest token. The whole batch is tried again
     * on 429/503, split in halves on 413; afterwards only the reports whose own error code is a 429/503
     * one are tried again.
     */
    const sendV2 = async (items: readonly { i: number; atMs: number }[], intervalSeconds: number, counts: SimulationCounts, hist: LatencyHistogram): Promise<void> => {
      let pending = items.map((item) => ({ item, json: JSON.stringify(model.reportAt(item.i, item.atMs, intervalSeconds)), code: '' }));
      counts.sent += pending.length;
      for (let attempt = 1; ; attempt++) {
        // Level 1: the load generator shares the machine with the server; the server's inflate costs the same.
        const body = await gzipAsync(Buffer.from(`{"reports":[${pending.map((p) => p.json).join(',')}]}`), { level: 1 });
        const started = performance.now();
        counts.requests++;
        let a: Answer;
        try {
          a = await client.post('/v2/reports', o.ingestToken!, body, { 'content-encoding': 'gzip' });
        } catch {
          return fail(counts, 'network', pending.length);
        }
        hist.add(performance.now() - started);
        if (a.status === 404) {
          protocolUnavailable = true;
          return fail(counts, '404', pending.length);
        }
        if (a.status === 413 && pending.length > 1) {
          // The server bounds a batch below this one (size or decompressed size): halves, one after the other.
          counts.sent -= pending.length;
          const half = Math.ceil(pending.length / 2);
          const asItems = (ps: typeof pending) => ps.map((p) => p.item);
          await sendV2(asItems(pending.slice(0, half)), intervalSeconds, counts, hist);
          await sendV2(asItems(pending.slice(half)), intervalSeconds, counts, hist);
          return;
        }
        const again = (a.status === 429 || a.status === 503) && attempt < maxTries && !aborted();
        if (again) {
          counts.retried += pending.length;
          await pause(attempt, a.retryAfterMs);
          continue;
        }
        if (a.status !== 200) return fail(counts, String(a.status), pending.length);
        let results: unknown;
        try {
          results = (JSON.parse(a.body) as { results?: unknown }).results;
        } catch {
          /* below */
        }
        if (!Array.isArray(results) || results.length !== pending.length) return fail(counts, 'bad_answer', pending.length);
        const retry: typeof pending = [];
        let retryAfterMs = a.retryAfterMs;
        results.forEach((r: { outcome?: unknown; error?: { code?: unknown } } | null, k) => {
          if (r && typeof r.outcome === 'string') return outcome(counts, r.outcome);
          const code = typeof r?.error?.code === 'string' ? r.error.code : 'bad_answer';
          const spec = (ERROR_CATALOG as Record<string, { status: number; retryAfterSeconds?: number } | undefined>)[code];
          if (spec && (spec.status === 429 || spec.status === 503)) {
            retry.push({ ...pending[k]!, code });
            if (retryAfterMs === null && spec.retryAfterSeconds !== undefined) retryAfterMs = spec.retryAfterSeconds * 1000;
          } else fail(counts, code);
        });
        if (retry.length === 0) return;
        if (attempt >= maxTries || aborted()) {
          for (const r of retry) fail(counts, r.code);
          return;
        }
        counts.retried += retry.length;
        await pause(attempt, retryAfterMs);
        pending = retry;
      }
    };

    const send = (i: number, atMs: number, intervalSeconds: number, counts: SimulationCounts, hist: LatencyHistogram): Promise<void> =>
      protocol === 'v2' ? sendV2([{ i, atMs }], intervalSeconds, counts, hist) : sendV1(i, atMs, intervalSeconds, counts, hist);
    /** How many reports one unit of work carries: 1 in v1, a batch in v2. */
    const unit = protocol === 'v2' ? batchSize : 1;
    const stopped = (): boolean => aborted() || protocolUnavailable;

    // Backfill: time-major from oldest, so the server sees history arrive in order as a fleet would replay it.
    const backfill = { ...newCounts(), hist: new LatencyHistogram() };
    const stepMs = (o.backfillStepSeconds ?? 3600) * 1000;
    const backfillSteps = Math.floor(((o.backfillDays ?? 0) * 86_400_000) / stepMs);
    if (backfillSteps > 0 && live.length > 0) {
      const counts = newCounts();
      const n = backfillSteps * live.length;
      startPhase('backfill', n, counts);
      const firstStep = Math.floor(t0 / stepMs) * stepMs - backfillSteps * stepMs;
      const item = (k: number): { i: number; atMs: number } => {
        const step = Math.floor(k / live.length);
        const j = k % live.length;
        return { i: live[j]!, atMs: firstStep + step * stepMs + Math.floor((j / live.length) * stepMs) };
      };
      await pool(Math.ceil(n / unit), concurrency, stopped, async (u) => {
        const items = Array.from({ length: Math.min(unit, n - u * unit) }, (_, x) => item(u * unit + x));
        if (protocol === 'v2') await sendV2(items, o.backfillStepSeconds ?? 3600, counts, backfill.hist);
        else await sendV1(items[0]!.i, items[0]!.atMs, o.backfillStepSeconds ?? 3600, counts, backfill.hist);
        phaseDone += items.length;
      });
      Object.assign(backfill, counts);
    }

    // Live phase.
    const liveCounts = newCounts();
    const liveHist = new LatencyHistogram();
    let late = 0;
    let skippedDead = 0;
    const deadHosts = new Set<number>();
    const total = o.rounds !== undefined ? o.rounds * live.length : null;
    startPhase('live', total, liveCounts);
    const liveStart = now();
    const offsetMs = (j: number): number => Math.floor((j / live.length) * intervalMs);
    const scheduledAt = (k: number): number => liveStart + Math.floor(k / live.length) * intervalMs + offsetMs(k % live.length);
    const endAt = durationMs === null ? Infinity : liveStart + durationMs;
    if (live.length > 0) {
      if (rate === 'max') {
        let k = 0;
        const item = (n: number): { i: number; atMs: number } => ({ i: live[n % live.length]!, atMs: liveStart - Math.floor(n / live.length) * intervalMs + offsetMs(n % live.length) });
        const worker = async (): Promise<void> => {
          while (!stopped() && (total === null ? now() < endAt : k < total)) {
            const first = k;
            const m = total === null ? unit : Math.min(unit, total - k);
            k += m;
            if (protocol === 'v2') await sendV2(Array.from({ length: m }, (_, x) => item(first + x)), o.intervalSeconds, liveCounts, liveHist);
            else await sendV1(item(first).i, item(first).atMs, o.intervalSeconds, liveCounts, liveHist);
            phaseDone += m;
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
      } else {
        // One dispatcher walks the schedule in time order; in-flight requests are capped by concurrency.
        // v2 plays a relay: reports are made when due and leave as one batch at most RELAY_FLUSH_MS later.
        const inflight = new Set<Promise<void>>();
        let batch: { i: number; atMs: number }[] = [];
        const dispatch = async (work: () => Promise<void>, n: number): Promise<void> => {
          while (inflight.size >= concurrency) await Promise.race(inflight);
          const p = work().finally(() => {
            inflight.delete(p);
            phaseDone += n;
          });
          inflight.add(p);
        };
        const flush = async (): Promise<void> => {
          if (batch.length === 0) return;
          const b = batch;
          batch = [];
          await dispatch(() => sendV2(b, o.intervalSeconds, liveCounts, liveHist), b.length);
        };
        for (let k = 0; total === null || k < total; k++) {
          const at = scheduledAt(k);
          if (at >= endAt || stopped()) break;
          if (batch.length > 0 && batch[0]!.atMs + RELAY_FLUSH_MS < at) {
            await sleep(batch[0]!.atMs + RELAY_FLUSH_MS - now());
            await flush();
          }
          const wait = at - now();
          if (wait > 0) await sleep(wait);
          if (stopped()) break;
          const i = live[k % live.length]!;
          if (!model.isAlive(i, at)) {
            skippedDead++;
            deadHosts.add(i);
            phaseDone++;
            continue;
          }
          if (now() - at > 1000) late++;
          if (protocol === 'v2') {
            batch.push({ i, atMs: at });
            if (batch.length >= batchSize) await flush();
          } else await dispatch(() => send(i, at, o.intervalSeconds, liveCounts, liveHist), 1);
        }
        if (!aborted()) await flush();
        await Promise.all(inflight);
      }
    }
    const liveSeconds = Math.max(0.001, (now() - liveStart) / 1000);
    report();
    return {
      url: base.origin + base.pathname.replace(/\/+$/, ''),
      hosts: o.hosts,
      seed,
      rate,
      protocol,
      batchSize: protocol === 'v2' ? batchSize : null,
      protocolUnavailable,
      intervalSeconds: o.intervalSeconds,
      enrolled: live.length,
      enrollErrors: enrolment.errors,
      enrollRetried: enrolment.retried,
      enrollBulk: enrolment.bulk,
      backfill: {
        sent: backfill.sent, requests: backfill.requests, retried: backfill.retried, stored: backfill.stored, duplicate: backfill.duplicate, expired: backfill.expired,
        errors: backfill.errors, latencyMs: backfill.hist.summary(),
      },
      live: { ...liveCounts, latencyMs: liveHist.summary(), reportsPerSecond: Math.round((liveCounts.sent / liveSeconds) * 10) / 10, late, skippedDead },
      deadHosts: [...deadHosts].sort((a, b) => a - b).map((i) => model.hostName(i)),
      elapsedSeconds: Math.round(((now() - t0) / 1000) * 1000) / 1000,
      aborted: aborted(),
    };
  } finally {
    clearInterval(ticker);
    sleeper.dispose();
    client.close();
  }
}
