/**
 * Prometheus as an SLI data source: the events of a past window, step by step, read with range
 * queries (`POST /api/v1/query_range`) from a live Prometheus (turno's `vigia_turno_requests_total`
 * and the like).
 *
 * Each SLI query is a PromQL expression of the events in one step, `{{.window}}` standing for the
 * step (as in Sloth): `sum(increase(vigia_turno_requests_total{code=~"5.."}[{{.window}}]))`.
 * Step i of the window covers [from + i × step, from + (i+1) × step); Prometheus evaluates it at the
 * step's END (a range selector looks back from its evaluation time), so the range query runs from
 * `from + step` to `from + n × step`, aligned to the window start. A remainder shorter than one step
 * at the window's end is not read (and said so).
 *
 * Prometheus refuses more than 11,000 points per series in one query, so long windows are read in
 * chunks. Several returned series are summed (a query without `sum()`). A step without data is
 * "no data" (a `present` mask and `coverage`), never NaN and never a silent zero.
 *
 * Which steps count, for ratio SLIs (good/bad + total):
 * - a step has data when the total query has a value for it;
 * - bad query without a value where total has one: 0 bad events, with a warning. This is the usual
 *   healthy state (a 5xx series that never existed, or did not exist yet, returns nothing);
 * - good query without a value where total has one: no data for the step, with a warning. Counting
 *   it as "all bad" would invent errors out of a missing series.
 *
 * Failures (unreachable, `status: error`, non-2xx, timeout, oversized answer) are plain `Error`s
 * naming the DataSource, the query and the time range: the catalog has no code for an upstream data
 * source yet (SLO_ERR_SOURCE_UNAVAILABLE, 502, would fit). Bad arguments are VIGIA_ERR_CONFIG.
 */
import { VigiaError } from '../../core/errors.js';
import { renderWindow } from '../alerts/sloth-rules.js';
import type { DataSourceSpec, RequestSeries, SliSpec } from '../model.js';
import { formatDuration } from '../spec/duration.js';
import { plural } from '../../core/plural.js';

/** A Prometheus DataSource. */
export type PrometheusSourceSpec = Extract<DataSourceSpec, { kind: 'prometheus' }>;
/** A good/total or bad/total Prometheus SLI. */
export type PrometheusRatioSli = Extract<SliSpec, { kind: 'prometheus-ratio' }>;
/** A Prometheus SLI whose query gives the error ratio directly. */
export type PrometheusRawSli = Extract<SliSpec, { kind: 'prometheus-raw' }>;

/** Step when neither the options nor the DataSource give one. */
export const DEFAULT_STEP_MS = 5 * 60_000;
/** Points per series in one range query: Prometheus refuses more than 11,000. */
export const MAX_POINTS_PER_QUERY = 11_000;
/** Per-request limit (connect, answer and body). */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Largest answer read; a bigger one is refused rather than held in memory. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Most steps one read may have (two Float64Arrays of this length are allocated). */
export const MAX_STEPS = 5_000_000;

/**
 * A per-step error ratio (raw SLIs). Step i covers [startMs + i × stepMs, startMs + (i+1) × stepMs).
 * `errorRatio[i]` is in [0, 1] where `present[i]` is 1, and 0 (meaningless) where it is 0.
 */
export interface ErrorRatioSeries {
  readonly startMs: number;
  readonly stepMs: number;
  readonly errorRatio: Float64Array;
  readonly present: Uint8Array;
}

/** What a ratio SLI read gives: events per step (`serverErrors` = bad), which steps have data, warnings. */
export interface PrometheusRatioRead {
  readonly kind: 'prometheus-ratio';
  /** bucketMs = step; total and serverErrors are 0 where `present` is 0; clientErrors all 0; rows = steps with data. */
  readonly series: RequestSeries;
  readonly present: Uint8Array;
  /** Share of steps with data, 0..1. */
  readonly coverage: number;
  readonly warnings: string[];
}

/**
 * What a raw SLI read gives. The series is `errorRatio`, not `series`, so that `'series' in read`
 * tells the two reads apart (as the report's reader does).
 */
export interface PrometheusRawRead {
  readonly kind: 'prometheus-raw';
  readonly errorRatio: ErrorRatioSeries;
  /** Share of steps with data, 0..1. */
  readonly coverage: number;
  readonly warnings: string[];
}

/** Either read. */
export type PrometheusRead = PrometheusRatioRead | PrometheusRawRead;

/** Progress of a read: range requests done out of the total. */
export interface PrometheusProgress {
  readonly done: number;
  readonly total: number;
}

/** Options of `readPrometheusSeries`. */
export interface PrometheusReadOptions {
  /** Step in ms (default: the DataSource's step, else 5 minutes). */
  readonly stepMs?: number;
  /** Per-request timeout in ms (default 60 s). */
  readonly timeoutMs?: number;
  /** Sent as `Authorization: Bearer ...`. */
  readonly bearerToken?: string;
  /** Injected fetch (tests, proxies). */
  readonly fetch?: typeof fetch;
  readonly onProgress?: (p: PrometheusProgress) => void;
  /** Largest answer body, in bytes (default 64 MiB). */
  readonly maxBodyBytes?: number;
  /** Points per series per request (default and maximum 11,000); smaller only to test chunking. */
  readonly maxPointsPerQuery?: number;
}

/** The window to read, epoch ms, `from` inclusive, `to` exclusive. */
export interface ReadWindow {
  readonly from: number;
  readonly to: number;
}

/** One series of a range-query answer. */
export interface MatrixSeries {
  readonly metric: Readonly<Record<string, string>>;
  /** [epoch seconds, value as Prometheus prints it ("1", "NaN", "+Inf")]. */
  readonly values: ReadonlyArray<readonly [number, string]>;
}

/** A successful range-query answer. */
export interface MatrixAnswer {
  readonly result: readonly MatrixSeries[];
  /** Prometheus' own warnings. */
  readonly warnings: readonly string[];
}

/** One range request: steps [first, first + count) of the window. */
export interface ChunkPlan {
  readonly first: number;
  readonly count: number;
  /** Evaluation time of the first and last step: their ends. */
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * Read a Prometheus SLI over `window`, step by step. Ratio SLIs give events per step
 * (total, bad as `serverErrors`); raw SLIs an error ratio per step. Rejects with a clear message on
 * any failure of any request: a partial read is never returned as if it were whole.
 */
export function readPrometheusSeries(spec: PrometheusSourceSpec, sli: PrometheusRatioSli, window: ReadWindow, opts?: PrometheusReadOptions): Promise<PrometheusRatioRead>;
export function readPrometheusSeries(spec: PrometheusSourceSpec, sli: PrometheusRawSli, window: ReadWindow, opts?: PrometheusReadOptions): Promise<PrometheusRawRead>;
export function readPrometheusSeries(spec: PrometheusSourceSpec, sli: PrometheusRatioSli | PrometheusRawSli, window: ReadWindow, opts?: PrometheusReadOptions): Promise<PrometheusRead>;
export async function readPrometheusSeries(
  spec: PrometheusSourceSpec,
  sli: PrometheusRatioSli | PrometheusRawSli,
  window: ReadWindow,
  opts: PrometheusReadOptions = {},
): Promise<PrometheusRead> {
  const where = `Prometheus DataSource "${spec.name}"`;
  const stepMs = opts.stepMs ?? spec.stepMs ?? DEFAULT_STEP_MS;
  if (!Number.isSafeInteger(stepMs) || stepMs <= 0) throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: step must be a positive whole number of ms, got ${stepMs}`);
  const maxPoints = opts.maxPointsPerQuery ?? MAX_POINTS_PER_QUERY;
  if (!Number.isSafeInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_POINTS_PER_QUERY) throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: maxPointsPerQuery must be 1..${MAX_POINTS_PER_QUERY}`);
  const warnings: string[] = [];
  const { steps, remainderMs } = stepsOf(window, stepMs, where);
  if (remainderMs > 0) warnings.push(`${where}: the last ${formatDuration(remainderMs)} of the window (${iso(window.to - remainderMs)} to ${iso(window.to)}) is shorter than one ${formatDuration(stepMs)} step and was not read`);

  const queries = sliQueries(sli, where, warnings);
  const chunks = planChunks(window.from, stepMs, steps, maxPoints);
  const http = httpContext(spec, opts, where);
  const total = chunks.length * queries.length;
  let done = 0;
  opts.onProgress?.({ done, total });

  const sums = new Map<string, StepValues>();
  for (const q of queries) {
    const acc = newStepValues(steps);
    const rendered = renderWindow(q.query, stepMs);
    for (const c of chunks) {
      const answer = await queryRange(http, q.role, rendered, c, stepMs);
      for (const w of answer.warnings) warnings.push(`${where}: ${q.role}: Prometheus warns: ${w}`);
      if (q.role === 'errorRatioQuery' && answer.result.length > 1) {
        throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: errorRatioQuery returned ${answer.result.length} series (${iso(c.startMs)} to ${iso(c.endMs)}); a ratio cannot be summed: aggregate it to one series, e.g. sum(...) / sum(...)`);
      }
      foldMatrix(answer.result, window.from, stepMs, c, acc);
      opts.onProgress?.({ done: ++done, total });
    }
    if (acc.nonFinite > 0) warnings.push(`${where}: ${q.role} gave ${acc.nonFinite} NaN or infinite value(s); those steps count as no data`);
    if (acc.misaligned > 0) warnings.push(`${where}: ${q.role} gave ${acc.misaligned} point(s) off the step grid; ignored`);
    if (acc.histograms > 0) warnings.push(`${where}: ${q.role} gave ${acc.histograms} native histogram series; ignored (use a float expression)`);
    sums.set(q.role, acc);
  }

  if (sli.kind === 'prometheus-raw') {
    const r = combineRaw(sums.get('errorRatioQuery')!, where, warnings);
    const errorRatio: ErrorRatioSeries = { startMs: window.from, stepMs, errorRatio: r.ratio, present: r.present };
    noteCoverage(r.present, r.presentCount, window.from, stepMs, where, warnings);
    return { kind: 'prometheus-raw', errorRatio, coverage: r.presentCount / steps, warnings };
  }
  const r = combineRatio(sums, where, warnings);
  noteCoverage(r.present, r.presentCount, window.from, stepMs, where, warnings);
  const series: RequestSeries = {
    startMs: window.from,
    bucketMs: stepMs,
    total: r.total,
    serverErrors: r.bad,
    clientErrors: new Float64Array(steps),
    badByCodeMonth: new Map(),
    rows: r.presentCount,
  };
  return { kind: 'prometheus-ratio', series, present: r.present, coverage: r.presentCount / steps, warnings };
}

// ---------------------------------------------------------------------------------------------
// Planning (pure)
// ---------------------------------------------------------------------------------------------

function stepsOf(window: ReadWindow, stepMs: number, where: string): { steps: number; remainderMs: number } {
  const { from, to } = window;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to <= from) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: the window must be whole epoch ms with from < to, got from=${from} to=${to}`);
  }
  const steps = Math.floor((to - from) / stepMs);
  if (steps === 0) throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: the window (${formatDuration(to - from)}) is shorter than one ${formatDuration(stepMs)} step`);
  if (steps > MAX_STEPS) throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: ${plural(steps, 'step')} of ${formatDuration(stepMs)} over ${formatDuration(to - from)} is more than ${MAX_STEPS}; choose a larger step`);
  return { steps, remainderMs: to - from - steps * stepMs };
}

/**
 * The range requests for `steps` steps of `stepMs` from `fromMs`, at most `maxPoints` points each:
 * contiguous, no step twice, each evaluated at its step's end.
 */
export function planChunks(fromMs: number, stepMs: number, steps: number, maxPoints = MAX_POINTS_PER_QUERY): ChunkPlan[] {
  const out: ChunkPlan[] = [];
  for (let first = 0; first < steps; first += maxPoints) {
    const count = Math.min(maxPoints, steps - first);
    out.push({ first, count, startMs: fromMs + (first + 1) * stepMs, endMs: fromMs + (first + count) * stepMs });
  }
  return out;
}

type QueryRole = 'totalQuery' | 'badQuery' | 'goodQuery' | 'errorRatioQuery';

function sliQueries(sli: PrometheusRatioSli | PrometheusRawSli, where: string, warnings: string[]): Array<{ role: QueryRole; query: string }> {
  const nonEmpty = (q: string | undefined): q is string => typeof q === 'string' && q.trim() !== '';
  if (sli.kind === 'prometheus-raw') {
    if (!nonEmpty(sli.errorRatioQuery)) throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: the raw SLI has no errorRatioQuery`);
    return [{ role: 'errorRatioQuery', query: sli.errorRatioQuery }];
  }
  if (!nonEmpty(sli.totalQuery)) throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: the ratio SLI has no totalQuery`);
  if (nonEmpty(sli.badQuery)) {
    // Bad events counted directly are exact; total - good adds the error of two extrapolations.
    if (nonEmpty(sli.goodQuery)) warnings.push(`${where}: the SLI has both a goodQuery and a badQuery; the badQuery is used`);
    return [
      { role: 'totalQuery', query: sli.totalQuery },
      { role: 'badQuery', query: sli.badQuery },
    ];
  }
  if (nonEmpty(sli.goodQuery)) {
    return [
      { role: 'totalQuery', query: sli.totalQuery },
      { role: 'goodQuery', query: sli.goodQuery },
    ];
  }
  throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: the ratio SLI needs a goodQuery or a badQuery besides its totalQuery`);
}

// ---------------------------------------------------------------------------------------------
// Folding answers into steps (pure)
// ---------------------------------------------------------------------------------------------

interface StepValues {
  readonly sum: Float64Array;
  readonly has: Uint8Array;
  nonFinite: number;
  misaligned: number;
  histograms: number;
}

const newStepValues = (steps: number): StepValues => ({ sum: new Float64Array(steps), has: new Uint8Array(steps), nonFinite: 0, misaligned: 0, histograms: 0 });

/** Add every series' points of one chunk into per-step sums; a step has data when any series has a finite value. */
function foldMatrix(result: readonly MatrixSeries[], fromMs: number, stepMs: number, chunk: ChunkPlan, acc: StepValues): void {
  for (const s of result) {
    if (s.values.length === 0 && 'histograms' in s) acc.histograms++;
    for (const [t, raw] of s.values) {
      const ms = Math.round(t * 1000);
      const idx = (ms - fromMs) / stepMs - 1;
      if (!Number.isInteger(idx) || idx < chunk.first || idx >= chunk.first + chunk.count) {
        acc.misaligned++;
        continue;
      }
      const v = Number(raw);
      if (!Number.isFinite(v)) {
        acc.nonFinite++;
        continue;
      }
      acc.sum[idx]! += v;
      acc.has[idx] = 1;
    }
  }
}

function combineRatio(sums: Map<string, StepValues>, where: string, warnings: string[]): { total: Float64Array; bad: Float64Array; present: Uint8Array; presentCount: number } {
  const t = sums.get('totalQuery')!;
  const b = sums.get('badQuery');
  const g = sums.get('goodQuery');
  const n = t.sum.length;
  const total = new Float64Array(n);
  const bad = new Float64Array(n);
  const present = new Uint8Array(n);
  let presentCount = 0;
  let badMissing = 0;
  let goodMissing = 0;
  let orphan = 0;
  let clamped = 0;
  let negative = 0;
  const other = (b ?? g)!;
  for (let i = 0; i < n; i++) {
    if (!t.has[i]) {
      if (other.has[i]) orphan++;
      continue;
    }
    const tv = t.sum[i]!;
    if (tv < 0) {
      negative++;
      continue;
    }
    let bv: number;
    if (b) {
      if (!b.has[i]) badMissing++;
      bv = b.has[i] ? b.sum[i]! : 0;
    } else {
      if (!g!.has[i]) {
        goodMissing++;
        continue;
      }
      bv = tv - g!.sum[i]!;
    }
    // increase() extrapolates each series on its own, so bad can slightly exceed total (or good total).
    if (bv < 0 || bv > tv) {
      clamped++;
      bv = Math.min(Math.max(bv, 0), tv);
    }
    total[i] = tv;
    bad[i] = bv;
    present[i] = 1;
    presentCount++;
  }
  if (badMissing > 0) warnings.push(`${where}: badQuery had no data in ${badMissing} step(s) where totalQuery had; counted as 0 bad events (no error series yet is the usual reason)`);
  if (goodMissing > 0) warnings.push(`${where}: goodQuery had no data in ${goodMissing} step(s) where totalQuery had; those steps count as no data rather than as all bad`);
  if (orphan > 0) warnings.push(`${where}: ${b ? 'badQuery' : 'goodQuery'} had data in ${orphan} step(s) where totalQuery had none; those steps count as no data`);
  if (clamped > 0) warnings.push(`${where}: in ${clamped} step(s) the bad events fell outside 0..total (each query's increase() is extrapolated on its own); clamped`);
  if (negative > 0) warnings.push(`${where}: totalQuery was negative in ${negative} step(s); those steps count as no data`);
  return { total, bad, present, presentCount };
}

function combineRaw(r: StepValues, where: string, warnings: string[]): { ratio: Float64Array; present: Uint8Array; presentCount: number } {
  const n = r.sum.length;
  const ratio = new Float64Array(n);
  const present = new Uint8Array(n);
  let presentCount = 0;
  let clamped = 0;
  for (let i = 0; i < n; i++) {
    if (!r.has[i]) continue;
    let v = r.sum[i]!;
    if (v < 0 || v > 1) {
      clamped++;
      v = Math.min(Math.max(v, 0), 1);
    }
    ratio[i] = v;
    present[i] = 1;
    presentCount++;
  }
  if (clamped > 0) warnings.push(`${where}: errorRatioQuery was outside 0..1 in ${clamped} step(s); clamped (is it a ratio?)`);
  return { ratio, present, presentCount };
}

function noteCoverage(present: Uint8Array, presentCount: number, fromMs: number, stepMs: number, where: string, warnings: string[]): void {
  const n = present.length;
  if (presentCount === n) return;
  if (presentCount === 0) {
    warnings.push(`${where}: no data at all for the ${n} step(s) of the window; check the queries, the labels and the window`);
    return;
  }
  const first = present.indexOf(0);
  let end = first;
  while (end < n && present[end] === 0) end++;
  const pct = (((n - presentCount) / n) * 100).toFixed(1);
  warnings.push(`${where}: no data for ${n - presentCount} of ${plural(n, 'step')} (${pct} %), the first gap from ${iso(fromMs + first * stepMs)} to ${iso(fromMs + end * stepMs)}`);
}

const iso = (ms: number): string => new Date(ms).toISOString();

// ---------------------------------------------------------------------------------------------
// HTTP (the I/O edge)
// ---------------------------------------------------------------------------------------------

interface HttpContext {
  readonly endpoint: string;
  /** The endpoint without credentials, for messages. */
  readonly shown: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly where: string;
}

function httpContext(spec: PrometheusSourceSpec, opts: PrometheusReadOptions, where: string): HttpContext {
  let base: URL;
  try {
    base = new URL(spec.url);
  } catch {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: url is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: url must be http:// or https://, got ${base.protocol}`);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  // fetch refuses URLs with credentials: move them to a Basic header (a bearer token wins).
  if (base.username || base.password) {
    if (!opts.bearerToken) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
    base.username = '';
    base.password = '';
  }
  if (opts.bearerToken) headers.authorization = `Bearer ${opts.bearerToken}`;
  base.search = '';
  base.hash = '';
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const endpoint = new URL('api/v1/query_range', base).toString();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!(timeoutMs > 0)) throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: timeoutMs must be positive`);
  if (!(maxBodyBytes > 0)) throw new VigiaError('VIGIA_ERR_CONFIG', `${where}: maxBodyBytes must be positive`);
  return { endpoint, shown: `${where} (${endpoint})`, headers, fetch: opts.fetch ?? fetch, timeoutMs, maxBodyBytes, where };
}

const seconds = (ms: number): string => String(ms / 1000);

async function queryRange(http: HttpContext, role: QueryRole, query: string, chunk: ChunkPlan, stepMs: number): Promise<MatrixAnswer> {
  const what = `${http.shown}: ${role} ${JSON.stringify(query.length > 200 ? `${query.slice(0, 200)}…` : query)} from ${iso(chunk.startMs)} to ${iso(chunk.endMs)}`;
  const body = new URLSearchParams({ query, start: seconds(chunk.startMs), end: seconds(chunk.endMs), step: seconds(stepMs) });
  const signal = AbortSignal.timeout(http.timeoutMs);
  let status: number;
  let statusText: string;
  let text: string;
  try {
    const res = await http.fetch(http.endpoint, { method: 'POST', headers: http.headers, body, signal });
    status = res.status;
    statusText = res.statusText;
    text = await readCapped(res, http.maxBodyBytes, what);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new VigiaError('SLO_ERR_SOURCE_UNAVAILABLE', err.message);
    if (isTimeout(err, signal)) throw new VigiaError('SLO_ERR_SOURCE_UNAVAILABLE', `${what}: no complete answer within ${http.timeoutMs} ms (timeout)`, { cause: err });
    throw new VigiaError('SLO_ERR_SOURCE_UNAVAILABLE', `${what}: request failed: ${describeNetworkError(err)}`, { cause: err });
  }
  if (status < 200 || status > 299) {
    const promErr = promError(text);
    if (promErr) throw new VigiaError('SLO_ERR_SOURCE_UNAVAILABLE', `${what}: HTTP ${status}: ${promErr}`);
    throw new VigiaError('SLO_ERR_SOURCE_UNAVAILABLE', `${what}: HTTP ${status} ${statusText}${text.trim() ? `: ${snippet(text)}` : ''}`);
  }
  try {
    return parseQueryRangeAnswer(text);
  } catch (err) {
    throw new VigiaError('SLO_ERR_SOURCE_UNAVAILABLE', `${what}: ${(err as Error).message}`, { cause: err });
  }
}

class BodyTooLarge extends Error {}

async function readCapped(res: Response, maxBytes: number, what: string): Promise<string> {
  const tooLarge = (): BodyTooLarge => new BodyTooLarge(`${what}: the answer is larger than ${maxBytes} bytes (${(maxBytes / 1048576).toFixed(maxBytes % 1048576 ? 3 : 0)} MiB); use a larger step, a shorter window, or aggregate the query with sum()`);
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    parts.push(value);
  }
  return Buffer.concat(parts, size).toString('utf8');
}

function isTimeout(err: unknown, signal: AbortSignal): boolean {
  if (signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError') return true;
  return err instanceof Error && err.name === 'TimeoutError';
}

function describeNetworkError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } } | undefined;
  const cause = e?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return cause?.message ?? e?.message ?? String(err);
}

const snippet = (text: string): string => {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 300 ? `${one.slice(0, 300)}…` : one;
};

/** "errorType: error" of a Prometheus error answer, or undefined when `text` is not one. */
function promError(text: string): string | undefined {
  try {
    const j = JSON.parse(text) as { status?: unknown; errorType?: unknown; error?: unknown };
    if (j && j.status === 'error') return `${typeof j.errorType === 'string' ? j.errorType : 'error'}: ${typeof j.error === 'string' ? j.error : 'no message'}`;
  } catch {
    /* not JSON */
  }
  return undefined;
}

/**
 * Parse the body of a `/api/v1/query_range` answer: the matrix and Prometheus' warnings. Throws
 * with Prometheus' errorType and error on `status: error`, and on anything that is not a matrix.
 */
export function parseQueryRangeAnswer(text: string): MatrixAnswer {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw new Error(`the answer is not JSON: ${snippet(text) || '(empty)'}`);
  }
  const promErr = promError(text);
  if (promErr) throw new Error(`Prometheus answered ${promErr}`);
  const o = j as { status?: unknown; data?: { resultType?: unknown; result?: unknown }; warnings?: unknown };
  if (!o || typeof o !== 'object' || o.status !== 'success') throw new Error(`the answer is not a Prometheus API answer (status ${JSON.stringify((o as { status?: unknown } | null)?.status)})`);
  if (!o.data || o.data.resultType !== 'matrix' || !Array.isArray(o.data.result)) throw new Error(`expected a matrix, got resultType ${JSON.stringify(o.data?.resultType)}`);
  const result: MatrixSeries[] = [];
  for (const s of o.data.result as unknown[]) {
    const series = s as { metric?: unknown; values?: unknown; histograms?: unknown };
    if (!series || typeof series !== 'object') throw new Error('a matrix series is not an object');
    const values = series.values ?? [];
    if (!Array.isArray(values)) throw new Error('a matrix series has values that are not a list');
    for (const p of values as unknown[]) {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'number' || typeof p[1] !== 'string') throw new Error(`a matrix point is not [seconds, "value"]: ${snippet(JSON.stringify(p))}`);
    }
    const out: MatrixSeries = { metric: (series.metric ?? {}) as Record<string, string>, values: values as Array<[number, string]> };
    result.push(series.histograms !== undefined && series.values === undefined ? Object.assign(out, { histograms: true }) : out);
  }
  const warnings = Array.isArray(o.warnings) ? o.warnings.filter((w): w is string => typeof w === 'string') : [];
  return { result, warnings };
}
