/**
 * Drives a synthetic fleet (fleet-model.ts) against a control plane: enrols the hosts through the
 * admin API, optionally backfills history, then either reports like a real fleet (each host once per
 * interval, spread evenly over it) or as fast as the server takes (saturation benchmarks). The loop is
 * bounded (rounds or duration) and only ever talks to the one URL it was given.
 *
 * node:http with a keep-alive Agent rather than fetch: at tens of thousands of requests per second
 * undici's per-request overhead is what a benchmark would end up measuring.
 */
import http from 'node:http';
import https from 'node:https';
import { createFleetModel, type FleetModel } from './fleet-model.js';

/** How reports are paced: `nominal` like a real fleet, `max` as fast as the server answers. */
export type SimulationRate = 'nominal' | 'max';

/** Counters of one simulation so far. */
export interface SimulationCounts {
  /** Requests answered (any status) plus those that failed on the network. */
  sent: number;
  stored: number;
  duplicate: number;
  expired: number;
  /** Non-2xx answers by status code (`"429"`), network failures under `"network"`, 2xx with an unknown body under `"bad_answer"`. */
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

/** Latency percentiles, milliseconds (from a log histogram: within ~1 %). */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** What runSimulation returns (and `vigia simulate` prints as JSON). */
export interface SimulationSummary {
  url: string;
  hosts: number;
  seed: number;
  rate: SimulationRate;
  intervalSeconds: number;
  enrolled: number;
  enrollErrors: Record<string, number>;
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
  hosts: number;
  intervalSeconds: number;
  /** Live phase length; wall-clock seconds. Exactly one of durationSeconds and rounds (default 120 s). */
  durationSeconds?: number;
  /** Live phase length in reports per host. */
  rounds?: number;
  rate?: SimulationRate;
  /** Most requests in flight (and keep-alive sockets) at once (default 64). */
  concurrency?: number;
  seed?: number;
  /** Share of hosts that stop reporting during the live phase (default 0.001). */
  dyingFraction?: number;
  /** Days of history sent before the live phase (default 0), one report per backfillStepSeconds. */
  backfillDays?: number;
  backfillStepSeconds?: number;
  /** Per-request timeout, ms (default 30000). */
  requestTimeoutMs?: number;
  onProgress?: (p: SimulationProgress) => void;
  progressEveryMs?: number;
  signal?: AbortSignal;
  /** Wall clock, ms (default Date.now); the model's anchor is its value at the start. */
  now?: () => number;
  /** Host name prefix (default `sim`). */
  prefix?: string;
}

/** Log-bucketed latency histogram: O(1) memory for millions of samples. */
class LatencyHistogram {
  private static readonly BASE = 1.01;
  private static readonly MIN_MS = 0.001;
  private readonly buckets = new Map<number, number>();
  count = 0;
  max = 0;

  add(ms: number): void {
    const v = Math.max(ms, LatencyHistogram.MIN_MS);
    const b = Math.ceil(Math.log(v / LatencyHistogram.MIN_MS) / Math.log(LatencyHistogram.BASE));
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  summary(): LatencySummary {
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    const max = Math.round(this.max * 1000) / 1000;
    const at = (q: number): number => {
      if (this.count === 0) return 0;
      const rank = Math.ceil(q * this.count);
      let seen = 0;
      for (const k of keys) {
        seen += this.buckets.get(k)!;
        if (seen >= rank) return Math.min(max, Math.round(LatencyHistogram.MIN_MS * LatencyHistogram.BASE ** k * 1000) / 1000);
      }
      return max;
    };
    return { count: this.count, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max };
  }
}

const newCounts = (): SimulationCounts => ({ sent: 0, stored: 0, duplicate: 0, expired: 0, errors: {} });

interface Answer {
  status: number;
  body: string;
  /** Retry-After in seconds when the server sent a numeric one. */
  retryAfterSeconds: number | null;
}

/** A tiny keep-alive JSON POST client bound to one origin. */
function createPoster(base: URL, concurrency: number, timeoutMs: number) {
  const mod = base.protocol === 'https:' ? https : http;
  const agent = new mod.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const prefix = base.pathname.replace(/\/+$/, '');
  const post = (path: string, token: string, payload: unknown): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const body = Buffer.from(JSON.stringify(payload));
      const req = mod.request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port || undefined,
          path: prefix + path,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${token}` },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const ra = Number(res.headers['retry-after']);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfterSeconds: Number.isFinite(ra) && ra >= 0 ? ra : null });
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

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

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
  const now = o.now ?? Date.now;
  const rate: SimulationRate = o.rate ?? 'nominal';
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
    dyingWindowMs: durationMs ?? o.rounds! * intervalMs,
    prefix: o.prefix,
  });
  const client = createPoster(base, concurrency, o.requestTimeoutMs ?? 30_000);
  const aborted = (): boolean => o.signal?.aborted === true;

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
    // Enrolment: tokens per host; a host that cannot enrol is left out of the rest of the run.
    const tokens: (string | undefined)[] = new Array(o.hosts);
    const enrollErrors: Record<string, number> = {};
    await pool(o.hosts, concurrency, aborted, async (i) => {
      const host = model.hostName(i);
      for (let attempt = 0; ; attempt++) {
        let key: string;
        let retryMs = 1000;
        try {
          const a = await client.post('/v1/hosts/enroll', o.adminToken, { host, tags: model.profile(i).tags });
          if (a.status === 200) {
            const token = (JSON.parse(a.body) as { token?: unknown }).token;
            if (typeof token === 'string' && token.length > 0) {
              tokens[i] = token;
              break;
            }
            key = 'bad_answer';
          } else key = String(a.status);
          if (a.retryAfterSeconds !== null) retryMs = Math.min(30_000, Math.max(100, a.retryAfterSeconds * 1000));
        } catch {
          key = 'network';
        }
        // Overload is worth a few retries (the server asked us to slow down); anything else is final.
        if ((key === '429' || key === '503') && attempt < 4 && !aborted()) {
          await sleep(retryMs * (attempt + 1), o.signal);
          continue;
        }
        enrollErrors[key] = (enrollErrors[key] ?? 0) + 1;
        break;
      }
      phaseDone++;
    });
    const live = tokens.flatMap((t, i) => (t === undefined ? [] : [i]));

    const send = async (i: number, atMs: number, intervalSeconds: number, counts: SimulationCounts, hist: LatencyHistogram): Promise<void> => {
      const body = model.reportAt(i, atMs, intervalSeconds);
      const started = performance.now();
      counts.sent++;
      try {
        const a = await client.post('/v1/reports', tokens[i]!, body);
        hist.add(performance.now() - started);
        if (a.status === 200) {
          let outcome: unknown;
          try {
            outcome = (JSON.parse(a.body) as { outcome?: unknown }).outcome;
          } catch {
            /* counted below */
          }
          if (outcome === 'stored' || outcome === 'duplicate' || outcome === 'expired') counts[outcome]++;
          else counts.errors.bad_answer = (counts.errors.bad_answer ?? 0) + 1;
        } else counts.errors[String(a.status)] = (counts.errors[String(a.status)] ?? 0) + 1;
      } catch {
        counts.errors.network = (counts.errors.network ?? 0) + 1;
      }
    };

    // Backfill: time-major from oldest, so the server sees history arrive in order as a fleet would replay it.
    const backfill = { ...newCounts(), hist: new LatencyHistogram() };
    const stepMs = (o.backfillStepSeconds ?? 3600) * 1000;
    const backfillSteps = Math.floor(((o.backfillDays ?? 0) * 86_400_000) / stepMs);
    if (backfillSteps > 0 && live.length > 0) {
      const counts = newCounts();
      startPhase('backfill', backfillSteps * live.length, counts);
      const firstStep = Math.floor(t0 / stepMs) * stepMs - backfillSteps * stepMs;
      await pool(backfillSteps * live.length, concurrency, aborted, async (k) => {
        const step = Math.floor(k / live.length);
        const j = k % live.length;
        const i = live[j]!;
        await send(i, firstStep + step * stepMs + Math.floor((j / live.length) * stepMs), o.backfillStepSeconds ?? 3600, counts, backfill.hist);
        phaseDone++;
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
        const worker = async (): Promise<void> => {
          while (!aborted() && (total === null ? now() < endAt : k < total)) {
            const n = k++;
            const j = n % live.length;
            const i = live[j]!;
            const atMs = liveStart - Math.floor(n / live.length) * intervalMs + offsetMs(j);
            await send(i, atMs, o.intervalSeconds, liveCounts, liveHist);
            phaseDone++;
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
      } else {
        // One dispatcher walks the schedule in time order; in-flight requests are capped by concurrency.
        const inflight = new Set<Promise<void>>();
        for (let k = 0; total === null || k < total; k++) {
          const at = scheduledAt(k);
          if (at >= endAt || aborted()) break;
          const wait = at - now();
          if (wait > 0) await sleep(wait, o.signal);
          if (aborted()) break;
          const i = live[k % live.length]!;
          if (!model.isAlive(i, at)) {
            skippedDead++;
            deadHosts.add(i);
            phaseDone++;
            continue;
          }
          while (inflight.size >= concurrency) await Promise.race(inflight);
          if (now() - at > 1000) late++;
          const p = send(i, at, o.intervalSeconds, liveCounts, liveHist).finally(() => {
            inflight.delete(p);
            phaseDone++;
          });
          inflight.add(p);
        }
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
      intervalSeconds: o.intervalSeconds,
      enrolled: live.length,
      enrollErrors,
      backfill: { sent: backfill.sent, stored: backfill.stored, duplicate: backfill.duplicate, expired: backfill.expired, errors: backfill.errors, latencyMs: backfill.hist.summary() },
      live: { ...liveCounts, latencyMs: liveHist.summary(), reportsPerSecond: Math.round((liveCounts.sent / liveSeconds) * 10) / 10, late, skippedDead },
      deadHosts: [...deadHosts].sort((a, b) => a - b).map((i) => model.hostName(i)),
      elapsedSeconds: Math.round(((now() - t0) / 1000) * 1000) / 1000,
      aborted: aborted(),
    };
  } finally {
    clearInterval(ticker);
    client.close();
  }
}
