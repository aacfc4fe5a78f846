/**
 * The load client of `vigia turno check`: C concurrent loops send `GET {url}/turno/{id}` over
 * keep-alive connections and record every request (start, end, id, outcome, value) for the pure
 * verifier in history.ts. A request is never retried: a retry could consume a second number, and
 * the history would no longer say which request got which.
 */
import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { HistoryRecord } from './history.js';

/** What to run. Exactly the parsed `turno check` flags; at least one of `requests` and `durationMs` bounds the run. */
export interface LoadOptions {
  /** Base URL (http: or https:), without a trailing slash; requests go to `${url}/turno/${id}`. */
  readonly url: string;
  /** How many fresh ids to spread the requests over. */
  readonly ids: number;
  /** Concurrent client loops (and at most this many sockets). */
  readonly clients: number;
  /** Total requests to send. */
  readonly requests?: number;
  /** Stop starting requests after this many milliseconds. */
  readonly durationMs?: number;
  /** Per-request deadline; a request still running then is abandoned with outcome 'unknown'. */
  readonly timeoutMs: number;
  /** Bearer token sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Called about once a second while the run lasts. */
  readonly onProgress?: (progress: LoadProgress) => void;
  /** Id names to use instead of fresh `check-<8 hex>-<k>` ones (tests). */
  readonly idNames?: readonly string[];
}

/** A progress snapshot. */
export interface LoadProgress {
  readonly elapsedMs: number;
  readonly done: number;
  /** Total requests planned (undefined for a run bounded only by duration). */
  readonly planned: number | undefined;
  readonly ok: number;
  readonly unknown: number;
  readonly rejected: number;
  /** Completed requests per second over the last interval. */
  readonly rps: number;
}

/** Throughput and latency of a run. Latency percentiles are over ok requests only (NaN when none). */
export interface LoadStats {
  readonly elapsedMs: number;
  /** Completed requests (any outcome) per second of the run. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Non-ok reasons and how often each occurred, most frequent first. */
  readonly errors: readonly { readonly reason: string; readonly count: number }[];
}

/** What a run produced: the ids used, every request, and the stats. */
export interface LoadResult {
  readonly ids: readonly string[];
  readonly records: HistoryRecord[];
  readonly stats: LoadStats;
}

/** Fresh id names for one run: `check-<8 hex>-<k>` for k in 0..count-1. */
export function freshIds(count: number): string[] {
  const run = randomBytes(4).toString('hex');
  return Array.from({ length: count }, (_, k) => `check-${run}-${k}`);
}

/** Run the load and return every request made. Resolves once all loops stopped; never rejects for request failures. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.requests === undefined && options.durationMs === undefined) throw new Error('runLoad needs requests or durationMs');
  const base = new URL(options.url);
  const https = base.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets: options.clients })
    : new HttpAgent({ keepAlive: true, maxSockets: options.clients });
  const prefix = base.pathname.replace(/\/+$/, '') + '/turno/';
  const ids = options.idNames ? [...options.idNames] : freshIds(options.ids);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;

  const records: HistoryRecord[] = [];
  const planned = options.requests ?? Number.POSITIVE_INFINITY;
  const t0 = performance.now();
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : t0 + options.durationMs;
  let started = 0;
  const tally = { ok: 0, unknown: 0, rejected: 0 };

  const one = (id: string): Promise<HistoryRecord> =>
    new Promise<HistoryRecord>((resolve) => {
      let settled = false;
      const start = performance.now();
      const finish = (r: Omit<HistoryRecord, 'id' | 'start' | 'end'>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ id, start, end: performance.now(), ...r });
      };
      const req = send(
        { protocol: base.protocol, hostname: base.hostname, port: base.port, path: prefix + id, method: 'GET', headers, agent },
        (res) => {
          readBody(res).then(
            (body) => finish(classify(res.statusCode ?? 0, body, id)),
            (err: unknown) => finish({ outcome: 'unknown', error: errorReason(err) }),
          );
        },
      );
      const timer = setTimeout(() => {
        finish({ outcome: 'unknown', error: 'timeout' });
        req.destroy();
      }, options.timeoutMs);
      req.on('error', (err) => finish({ outcome: 'unknown', error: errorReason(err) }));
      req.end();
    });

  const loop = async (): Promise<void> => {
    while (started < planned && performance.now() < deadline) {
      const id = ids[started % ids.length]!;
      started++;
      const r = await one(id);
      records.push(r);
      tally[r.outcome]++;
    }
  };

  let lastDone = 0;
  let lastAt = t0;
  const progress = options.onProgress
    ? setInterval(() => {
        const now = performance.now();
        const done = records.length;
        options.onProgress?.({
          elapsedMs: now - t0,
          done,
          planned: options.requests,
          ...tally,
          rps: ((done - lastDone) * 1000) / Math.max(1, now - lastAt),
        });
        lastDone = done;
        lastAt = now;
      }, 1000)
    : undefined;

  try {
    await Promise.all(Array.from({ length: options.clients }, loop));
  } finally {
    if (progress) clearInterval(progress);
    agent.destroy();
  }
  const elapsedMs = performance.now() - t0;
  return { ids, records, stats: computeStats(records, elapsedMs) };
}

/**
 * Classify one answer: 200 with `{"id": <this id>, "turno": <integer >= 1>}` -> ok; other 2xx/3xx or a
 * 200 with an unexpected body -> unknown (the increment may have happened); 4xx -> rejected; 5xx and
 * anything else -> unknown.
 */
export function classify(status: number, body: string, id: string): Omit<HistoryRecord, 'id' | 'start' | 'end'> {
  if (status === 200) {
    const value = parseTurnoBody(body, id);
    return value === undefined ? { outcome: 'unknown', error: 'HTTP 200 with an unexpected body' } : { outcome: 'ok', value };
  }
  const reason = `HTTP ${status}${errorCode(body)}`;
  if (status >= 400 && status < 500) return { outcome: 'rejected', error: reason };
  return { outcome: 'unknown', error: reason };
}

/** Throughput and latency figures over a finished run. */
export function computeStats(records: readonly HistoryRecord[], elapsedMs: number): LoadStats {
  const latencies = new Float64Array(records.length);
  let n = 0;
  const errors = new Map<string, number>();
  for (const r of records) {
    if (r.outcome === 'ok') latencies[n++] = r.end - r.start;
    else {
      const reason = r.error ?? r.outcome;
      errors.set(reason, (errors.get(reason) ?? 0) + 1);
    }
  }
  const ok = latencies.subarray(0, n).sort();
  return {
    elapsedMs,
    rps: elapsedMs > 0 ? (records.length * 1000) / elapsedMs : 0,
    p50Ms: percentile(ok, 0.5),
    p99Ms: percentile(ok, 0.99),
    maxMs: n > 0 ? ok[n - 1]! : Number.NaN,
    errors: [...errors].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
  };
}

/** Nearest-rank percentile of sorted values (NaN when empty). */
function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

function parseTurnoBody(body: string, id: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { id: gotId, turno } = parsed as { id?: unknown; turno?: unknown };
    if (gotId !== id || typeof turno !== 'number' || !Number.isSafeInteger(turno) || turno < 1) return undefined;
    return turno;
  } catch {
    return undefined;
  }
}

function errorCode(body: string): string {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' ? ` ${code}` : '';
  } catch {
    return '';
  }
}

const MAX_BODY = 64 * 1024;

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        res.destroy(new Error('response body too large'));
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
}

function errorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.message : String(err);
}
