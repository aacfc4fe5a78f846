/**
 * Pushes a host report to the control plane every interval, so that an outage of the control plane loses
 * nothing (up to the spool's bound):
 *
 * - every interval plus a random jitter, after a random initial delay, so a fleet restarted at once does
 *   not report in lockstep;
 * - the spooled backlog goes first, oldest first, then the new report; a report goes to the spool only
 *   when it could not be delivered (or a backlog is ahead of it), so a healthy agent does not write disk;
 * - network errors, timeouts, 408, 429, 5xx: spool and back off exponentially with full jitter, honouring
 *   Retry-After; 401/403: keep spooling (a token fix must not lose data) and say why at error level;
 *   413, 422 and other 4xx: that report can never succeed, drop it;
 * - a backlog drains at a bounded rate, so a fleet coming back from an outage does not stampede the
 *   control plane;
 * - a backlog of more than one report goes as gzip batches of up to 100 to `POST /v2/reports` (report
 *   protocol v2, docs/agent.md): one request and one database transaction per batch instead of per
 *   report. Each report of a batch has its own result: stored, duplicate and expired ones leave the
 *   spool, refused ones are dropped, and only those refused for a while (a 503 or 429 code, a clock
 *   skew, a host mismatch, a code this build does not know) stay for the next try after Retry-After.
 *   A control plane that answers 404 (older than v2) gets the backlog one report at a time on v1, and
 *   is asked again an hour later.
 *
 * Live reports stay on v1 (`POST /v1/reports`): one report a minute gains nothing from batching or from
 * gzip (a 2-3 KB body; deflating it costs CPU on both sides to save ~2 KB a minute), v1's HTTP status
 * says exactly what became of it, and every control plane version takes it.
 *
 * One loop does everything in order, so the spool has a single user and reports leave in the order they
 * were made. node:http rather than fetch: undici costs megabytes of resident memory the agent does not have.
 */
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { backoffDelay, parseRetryAfter } from '../../core/backoff.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { ERROR_CATALOG } from '../../core/errors.js';
import { MAX_REPORT_BYTES, parseHostReport, type HostReport } from '../../core/contracts/host-report.js';
import type { Logger } from '../../core/log.js';
import type { Spool } from './spool.js';

/** What became of a report: counted as `vigia_agent_reports_total{outcome}`. */
export type ReportOutcome = 'delivered' | 'spooled' | 'dropped';

/** Options of a Reporter. Durations in ms. */
export interface ReporterOptions {
  /** `--report-to`: base URL of the control plane; reports go to `<url>/v1/reports`. */
  readonly url: string;
  /** The host token (`vigia server enroll`). */
  readonly token: string;
  /** CA certificates (PEM) trusted for an https control plane instead of the system ones (`--report-ca`). */
  readonly ca?: Buffer;
  readonly intervalMs: number;
  /** Up to this fraction of the interval is added at random to each interval (default 0.1). */
  readonly jitter?: number;
  readonly spool: Spool;
  /** Builds the report of this interval. */
  readonly collect: () => Promise<HostReport>;
  readonly log: Logger;
  readonly agentVersion?: string;
  /** Per request (default 10000). */
  readonly requestTimeoutMs?: number;
  /** First backoff ceiling, doubled per consecutive failure up to backoffCapMs (defaults 1000, 300000). */
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** Most reports per second while draining a backlog (default 20); a batch of n waits n/rate after it. */
  readonly drainPerSecond?: number;
  /** Most reports in one v2 batch (default and contract maximum for a host token: 100). */
  readonly batchMax?: number;
  /** Most bytes of report JSON in one v2 batch before gzip (default 1 MiB; at least one report goes). */
  readonly batchMaxBytes?: number;
  /** Send the backlog in v2 batches (default true); false: v1 only, one report per request. */
  readonly batches?: boolean;
  /** A Retry-After longer than this is cut to it (default 1 h), so a bogus header cannot stop reporting. */
  readonly maxRetryAfterMs?: number;
  /** Delay before the first report and the first drain; default random() * intervalMs. */
  readonly initialDelayMs?: number;
  /** Milliseconds since the epoch; default `systemClock`. */
  readonly clock?: Clock;
  /** [0, 1); default Math.random. */
  readonly random?: () => number;
  readonly onOutcome?: (outcome: ReportOutcome, count: number) => void;
}

/** The answer to one POST, classified. */
export type SendResult =
  | { readonly kind: 'delivered'; readonly status: number; readonly outcome: string }
  | { readonly kind: 'retry'; readonly status: number | null; readonly cause: string; readonly retryAfterMs: number | null }
  | { readonly kind: 'auth'; readonly status: number; readonly cause: string }
  | { readonly kind: 'drop'; readonly status: number; readonly cause: string };

/** Classify an HTTP answer (pure): what the reporter does with the report it carried. */
export function classifyResponse(status: number, retryAfter: string | undefined, body: string, nowMs: number): SendResult {
  let code = '';
  let message = '';
  let outcome = '';
  try {
    const j = JSON.parse(body) as { outcome?: unknown; error?: { code?: unknown; message?: unknown } };
    if (typeof j.outcome === 'string') outcome = j.outcome;
    if (typeof j.error?.code === 'string') code = j.error.code;
    if (typeof j.error?.message === 'string') message = j.error.message.slice(0, 300);
  } catch {
    // not JSON (a proxy's HTML error page): the status says enough
  }
  const cause = `HTTP ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
  if (status >= 200 && status < 300) return { kind: 'delivered', status, outcome: outcome || 'stored' };
  // Our clock is ahead of the control plane's: the report becomes acceptable later, so keep it.
  if (code === 'CONTROL_ERR_CLOCK_SKEW') return { kind: 'retry', status, cause, retryAfterMs: parseRetryAfter(retryAfter, nowMs) };
  if (status === 401 || status === 403) return { kind: 'auth', status, cause };
  if (status === 408 || status === 429 || status >= 500 || status < 400) return { kind: 'retry', status, cause, retryAfterMs: parseRetryAfter(retryAfter, nowMs) };
  return { kind: 'drop', status, cause };
}

/** Most reports a v2 batch from a host token may hold (report protocol v2). */
export const V2_HOST_BATCH_MAX = 100;
/** After a 404 from /v2/reports the backlog goes v1; v2 is tried again after this long (an upgraded server). */
export const V2_REPROBE_MS = 3_600_000;

/**
 * Classify one item of a v2 batch answer (pure), as if its report had been POSTed alone to v1: an
 * outcome is delivered; an error code is classified by the catalogued HTTP status of that code (503/429
 * codes and a clock skew retry, host mismatch is an auth problem, the rest drop). A code this build
 * does not know (a newer control plane) is kept and retried with backoff rather than dropped: losing a
 * report on an error nobody here can judge is worse than resending it, and the spool's bound caps the
 * cost. `retryAfter` is the batch answer's header; without it a code's catalogued Retry-After is used.
 */
export function classifyBatchItem(item: unknown, retryAfter: string | undefined, nowMs: number): SendResult {
  const it = (item ?? {}) as { outcome?: unknown; error?: { code?: unknown; message?: unknown } };
  if (typeof it.outcome === 'string') return { kind: 'delivered', status: 200, outcome: it.outcome };
  const code = typeof it.error?.code === 'string' ? it.error.code : '';
  const spec = (ERROR_CATALOG as Record<string, { status: number; retryAfterSeconds?: number } | undefined>)[code];
  if (!spec) {
    const message = typeof it.error?.message === 'string' ? `: ${it.error.message.slice(0, 300)}` : '';
    return { kind: 'retry', status: null, cause: code ? `item ${code}${message} (a code this agent does not know)` : `item with no outcome and no error code: ${JSON.stringify(item ?? null).slice(0, 200)}`, retryAfterMs: null };
  }
  const r = classifyResponse(spec.status, retryAfter ?? (spec.retryAfterSeconds === undefined ? undefined : String(spec.retryAfterSeconds)), JSON.stringify({ error: it.error }), nowMs);
  // The cause names the item, not a status the batch answer never had.
  return 'cause' in r ? { ...r, cause: `item ${r.cause.replace(/^HTTP \d+ /, '')}` } : r;
}

/** The results of a v2 batch answer of `n` reports (pure), or null when the body is not one. */
export function parseBatchAnswer(body: string, n: number): unknown[] | null {
  try {
    const results = (JSON.parse(body) as { results?: unknown }).results;
    return Array.isArray(results) && results.length === n ? results : null;
  } catch {
    return null;
  }
}

/** A raw answer to one POST (or why there was none). */
type RawAnswer = { readonly status: number; readonly retryAfter: string | undefined; readonly text: string } | { readonly status: null; readonly cause: string };

const gzipAsync = promisify(gzip);

/** The push loop. start() once; stop() at shutdown. */
export class Reporter {
  private readonly o: Required<Omit<ReporterOptions, 'ca' | 'initialDelayMs' | 'onOutcome'>> & Pick<ReporterOptions, 'ca' | 'initialDelayMs' | 'onOutcome'>;
  private readonly target: URL;
  private readonly batchTarget: URL;
  /** Batches are not sent before this (a 404 from /v2/reports: an older control plane). */
  private v2NotBefore = 0;
  /** Lowered by a 413 for a whole batch (the control plane bounds a batch's size). */
  private batchLimit: number;
  /** The previous batch was refused as a whole for a reason that is not the batch's size: send the oldest alone, on v1, to find the culprit. */
  private singleNext = false;
  private readonly agent: http.Agent;
  private nextReportAt = 0;
  /** Nothing is sent before this (backoff after a failure, pacing while draining). */
  private notBefore = 0;
  private failures = 0;
  private lastCause = '';
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private inFlight: { done: Promise<unknown>; abort: () => void } | undefined;
  private lastSuccessMs: number | null = null;

  constructor(opts: ReporterOptions) {
    this.o = {
      jitter: 0.1,
      agentVersion: '0',
      requestTimeoutMs: 10_000,
      backoffBaseMs: 1000,
      backoffCapMs: 300_000,
      drainPerSecond: 20,
      batchMax: V2_HOST_BATCH_MAX,
      batchMaxBytes: 1024 * 1024,
      batches: true,
      maxRetryAfterMs: 3_600_000,
      clock: systemClock,
      random: Math.random,
      // An option passed as undefined means "the default", not "no value".
      ...(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as ReporterOptions),
    };
    const base = new URL(opts.url);
    this.target = new URL(`${base.pathname.replace(/\/+$/, '')}/v1/reports`, base);
    this.batchTarget = new URL(`${base.pathname.replace(/\/+$/, '')}/v2/reports`, base);
    this.batchLimit = Math.max(1, Math.min(V2_HOST_BATCH_MAX, this.o.batchMax));
    // One socket, kept alive: a report a minute needs no pool, and while a backlog drains (20 a second)
    // reusing the connection spares the control plane a TCP and TLS handshake per report.
    this.agent =
      this.target.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 1, ...(opts.ca ? { ca: opts.ca } : {}) })
        : new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  /** Schedule the first report after the initial delay; returns at once (never waits for the network). */
  start(): void {
    if (this.loopDone) return;
    const now = this.o.clock();
    const delay = this.o.initialDelayMs ?? this.o.random() * this.o.intervalMs;
    this.nextReportAt = now + delay;
    this.notBefore = now + delay;
    this.loopDone = this.loop().catch((err: unknown) => this.o.log.error({ err }, 'report loop failed; reporting stopped'));
  }

  /**
   * Send the next report within `delayMs` instead of at its turn (e.g. the first check results of a
   * newly installed bundle, which a rollout's health gate is waiting for). The rhythm then resumes.
   */
  reportSoon(delayMs = 1000): void {
    const at = this.o.clock() + delayMs;
    if (at >= this.nextReportAt) return;
    this.nextReportAt = at;
    this.wake?.();
  }

  /** What the spool holds now (metrics). */
  spoolStats(): { spoolFiles: number; spoolBytes: number } {
    return { spoolFiles: this.o.spool.files, spoolBytes: this.o.spool.bytes };
  }

  /** When the control plane last took a report (ms since the epoch), or null. */
  get lastSuccessAt(): number | null {
    return this.lastSuccessMs;
  }

  /**
   * Stop: no new report; a request in flight gets until `deadlineMs` to finish, then is abandoned and its
   * report spooled (the server is idempotent on host+sampled_at, so a report it did store is not counted
   * twice when the next run sends it again). Returns within about `deadlineMs` plus min(1 s, deadlineMs),
   * even when the loop is stuck inside collect() (a statfs on a hung mount).
   */
  async stop(deadlineMs = 5000): Promise<void> {
    this.stopping = true;
    this.wake?.();
    if (this.loopDone && !(await settlesWithin(this.loopDone, deadlineMs))) {
      this.inFlight?.abort();
      // The loop now spools what the abandoned request carried: a local write, given a moment.
      await settlesWithin(this.loopDone, Math.min(1000, deadlineMs));
    }
    this.agent.destroy();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.step();
      } catch (err) {
        // A bug or an I/O error nobody foresaw must not end reporting for the life of the process.
        this.o.log.error({ err }, 'report loop step failed; retrying');
        this.notBefore = this.o.clock() + this.o.backoffCapMs;
        await this.sleep(Math.min(this.o.intervalMs, this.o.backoffCapMs));
      }
    }
  }

  private async step(): Promise<void> {
    const now = this.o.clock();
    if (now >= this.nextReportAt) {
      let next = this.nextReportAt + this.period();
      if (next <= now) next = now + this.period(); // fell behind (suspended, slow collect): do not catch up in a burst
      this.nextReportAt = next;
      await this.produce();
      return;
    }
    if (this.o.spool.files > 0 && now >= this.notBefore) {
      if (this.o.batches && this.o.spool.files > 1 && this.batchLimit > 1 && now >= this.v2NotBefore && !this.singleNext) await this.drainBatch();
      else await this.drainOne();
      return;
    }
    const wakeAt = this.o.spool.files > 0 ? Math.min(this.nextReportAt, this.notBefore) : this.nextReportAt;
    await this.sleep(wakeAt - now);
  }

  private period(): number {
    return this.o.intervalMs + this.o.random() * this.o.jitter * this.o.intervalMs;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      // Reporting must never be what keeps a shutting-down agent alive.
      timer.unref();
      this.wake = done;
    });
  }

  private async produce(): Promise<void> {
    let report: HostReport;
    try {
      report = await this.o.collect();
    } catch (err) {
      this.o.log.error({ err }, 'could not build the host report; skipped this interval');
      return;
    }
    const parsed = parseHostReport(report);
    if (!parsed.ok) {
      // The server would answer 422 for ever: nothing gained by spooling it.
      this.o.log.error({ problems: parsed.problems }, 'built a host report the contract rejects; dropped');
      this.count('dropped');
      return;
    }
    const body = Buffer.from(JSON.stringify(report));
    if (body.length > MAX_REPORT_BYTES) {
      this.o.log.error({ bytes: body.length, max: MAX_REPORT_BYTES }, 'host report larger than the control plane accepts; dropped');
      this.count('dropped');
      return;
    }
    const sampledAt = Date.parse(report.sampled_at);
    // A backlog goes first (order), and during a backoff nothing is sent.
    if (this.stopping || this.o.spool.files > 0 || this.o.clock() < this.notBefore) {
      await this.toSpool(body, sampledAt);
      return;
    }
    await this.handle(await this.send(body), body, sampledAt, null);
  }

  private async drainOne(): Promise<void> {
    this.singleNext = false;
    const item = await this.o.spool.oldest();
    if (!item || this.stopping) return;
    await this.handle(await this.send(item.body), item.body, 0, item.name);
  }

  /** One v2 batch of the oldest spooled reports; every report's own result decides its fate. */
  private async drainBatch(): Promise<void> {
    const items = await this.o.spool.oldestBatch(this.batchLimit, this.o.batchMaxBytes);
    if (items.length === 0 || this.stopping) return;
    if (items.length === 1) {
      // Nothing to batch (the others were corrupt, or the byte bound): v1 says exactly what happened.
      await this.handle(await this.send(items[0]!.body), items[0]!.body, 0, items[0]!.name);
      return;
    }
    const parts: Buffer[] = [Buffer.from('{"reports":[')];
    items.forEach((it, i) => parts.push(...(i > 0 ? [Buffer.from(','), it.body] : [it.body])));
    parts.push(Buffer.from(']}'));
    const body = await gzipAsync(Buffer.concat(parts));
    const a = await this.post(this.batchTarget, body, { 'content-encoding': 'gzip' }, 256 * 1024);
    const now = this.o.clock();
    if (a.status === 404) {
      this.v2NotBefore = now + V2_REPROBE_MS;
      this.o.log.info({ url: this.batchTarget.href, backlog: this.o.spool.files }, 'control plane takes no report batches (an older version: /v2/reports answered 404); sending the backlog one report at a time (v1)');
      return;
    }
    if (a.status === 413) {
      // The control plane bounds a batch below ours: halve it (for the life of the process) and go on.
      this.batchLimit = Math.max(1, Math.floor(items.length / 2));
      this.o.log.warn({ reports: items.length, batchLimit: this.batchLimit, url: this.batchTarget.href }, 'control plane refused a report batch as too large; sending smaller batches');
      return;
    }
    const results = a.status === 200 ? parseBatchAnswer(a.text, items.length) : null;
    if (!results) {
      const r: SendResult =
        a.status === null ? { kind: 'retry', status: null, cause: a.cause, retryAfterMs: null }
        : a.status >= 200 && a.status < 300 ? { kind: 'retry', status: a.status, cause: `HTTP ${a.status} without one result per report: ${a.text.slice(0, 200)}`, retryAfterMs: null }
        : classifyResponse(a.status, a.retryAfter, a.text, now);
      if (r.kind === 'drop') {
        // Refused as a whole (not JSON to it, not its shape...): which report is at fault is unknown,
        // so the oldest goes alone on v1 next and v1's answer decides its fate.
        this.singleNext = true;
        this.o.log.warn({ status: r.status, cause: r.cause, url: this.batchTarget.href }, 'control plane refused a report batch as a whole; sending the oldest report alone');
        return;
      }
      if (r.kind !== 'delivered' && !this.stopping) this.failed(r, this.batchTarget);
      return;
    }
    let delivered = 0;
    let worst: Extract<SendResult, { kind: 'retry' | 'auth' }> | undefined;
    const retryAfter = a.status === null ? undefined : a.retryAfter;
    for (let i = 0; i < items.length; i++) {
      const r = classifyBatchItem(results[i], retryAfter, now);
      if (r.kind === 'delivered' || r.kind === 'drop') {
        await this.o.spool.remove(items[i]!.name);
        if (r.kind === 'delivered') delivered++;
        else {
          this.count('dropped');
          this.o.log.error({ cause: r.cause, url: this.batchTarget.href }, 'control plane refused a report for good; dropped it');
        }
      } else if (!worst || rank(r) > rank(worst)) worst = r;
    }
    if (delivered > 0) this.succeeded(delivered, !worst);
    if (worst && !this.stopping) this.failed(worst, this.batchTarget);
    else this.notBefore = now + (items.length * 1000) / this.o.drainPerSecond;
  }

  private async handle(r: SendResult, body: Buffer, sampledAt: number, spooledAs: string | null): Promise<void> {
    const now = this.o.clock();
    if (r.kind === 'delivered' || r.kind === 'drop') {
      if (spooledAs) await this.o.spool.remove(spooledAs);
      if (r.kind === 'delivered') this.succeeded(1, true);
      else {
        this.count('dropped');
        this.o.log.error({ status: r.status, cause: r.cause, url: this.target.href }, 'control plane refused a report for good; dropped it');
      }
      this.notBefore = now + 1000 / this.o.drainPerSecond;
      return;
    }
    if (!spooledAs) await this.toSpool(body, sampledAt);
    if (this.stopping) return;
    this.failed(r, this.target);
  }

  /** `n` reports reached the control plane; `all`: nothing of that request is left to retry. */
  private succeeded(n: number, all: boolean): void {
    this.count('delivered', n);
    this.lastSuccessMs = this.o.clock();
    if (!all) return;
    if (this.failures > 0) this.o.log.info({ backlog: this.o.spool.files }, 'control plane takes reports again; draining the backlog');
    this.failures = 0;
    this.lastCause = '';
  }

  /** A request (or some reports of a batch) must be tried again later: back off, honouring Retry-After. */
  private failed(r: Extract<SendResult, { kind: 'retry' | 'auth' }>, url: URL): void {
    const now = this.o.clock();
    this.failures++;
    let delay: number;
    if (r.kind === 'auth') {
      // Only a new token (or a re-enrolled host) fixes this: retry rarely, keep everything meanwhile.
      delay = this.o.backoffCapMs * (0.5 + this.o.random() / 2);
      this.o.log.error(
        { status: r.status, cause: r.cause, url: url.href, backlog: this.o.spool.files },
        r.status === 401
          ? 'control plane rejects the host token (--report-token-file): reports are kept in the spool until it is fixed'
          : 'control plane refuses this host (token issued for another --host-name?): reports are kept in the spool until it is fixed',
      );
    } else {
      delay = backoffDelay(this.failures, this.o.backoffBaseMs, this.o.backoffCapMs, this.o.random());
      // Retry-After plus up to half of it again: agents refused together must not return together.
      if (r.retryAfterMs !== null) delay = Math.max(delay, Math.min(r.retryAfterMs * (1 + this.o.random() / 2), this.o.maxRetryAfterMs));
      const fields = { cause: r.cause, failures: this.failures, retryInMs: Math.round(delay), backlog: this.o.spool.files, url: url.href };
      if (r.cause !== this.lastCause) this.o.log.warn(fields, 'cannot deliver reports to the control plane; spooling and retrying');
      else this.o.log.debug(fields, 'report delivery failed again');
    }
    this.lastCause = r.cause;
    this.notBefore = now + delay;
  }

  private async toSpool(body: Buffer, sampledAt: number): Promise<void> {
    try {
      const name = await this.o.spool.put(body, Number.isFinite(sampledAt) && sampledAt > 0 ? sampledAt : this.o.clock());
      if (name) this.count('spooled');
    } catch (err) {
      this.o.log.error({ err }, 'cannot write the report to the spool; dropped');
      this.count('dropped');
    }
  }

  private count(outcome: ReportOutcome, n = 1): void {
    this.o.onOutcome?.(outcome, n);
  }

  /** One v1 POST of one report, classified; never rejects. */
  private async send(body: Buffer): Promise<SendResult> {
    const a = await this.post(this.target, body, {}, 4096);
    if (a.status === null) return { kind: 'retry', status: null, cause: a.cause, retryAfterMs: null };
    return classifyResponse(a.status, a.retryAfter, a.text, this.o.clock());
  }

  /** One POST; the first `maxRead` bytes of the answer are kept, the rest discarded. Never rejects. */
  private post(target: URL, body: Buffer, headers: Record<string, string>, maxRead: number): Promise<RawAnswer> {
    let abort: () => void = () => undefined;
    const done = new Promise<RawAnswer>((resolve) => {
      let settled = false;
      const finish = (r: RawAnswer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight = undefined;
        resolve(r);
      };
      const mod = target.protocol === 'https:' ? https : http;
      const req = mod.request(
        target,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.o.token}`,
            'content-type': 'application/json',
            'content-length': body.length,
            'user-agent': `vigia-agent/${this.o.agentVersion}`,
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            // Only the start of an error body is read into memory; the rest is discarded as it arrives.
            if (size < maxRead) {
              chunks.push(c);
              size += c.length;
            }
          });
          res.on('end', () => {
            const ra = res.headers['retry-after'];
            finish({ status: res.statusCode ?? 0, retryAfter: Array.isArray(ra) ? ra[0] : ra, text: Buffer.concat(chunks).toString('utf8', 0, maxRead) });
          });
          res.on('error', (err) => finish({ status: null, cause: errCause(err) }));
        },
      );
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${this.o.requestTimeoutMs} ms`), { code: 'ETIMEDOUT' })), this.o.requestTimeoutMs);
      timer.unref();
      req.on('error', (err) => finish({ status: null, cause: errCause(err) }));
      abort = () => req.destroy(Object.assign(new Error('agent shutting down'), { code: 'ESHUTDOWN' }));
      req.end(body);
    });
    this.inFlight = { done, abort };
    return done;
  }
}

/**
 * Which failure of a batch decides the backoff: an auth problem (rare retries) over a plain retry, and
 * among retries the longest Retry-After (the server's longest wish is honoured for all of them).
 */
function rank(r: SendResult): number {
  return r.kind === 'auth' ? Number.MAX_SAFE_INTEGER : r.kind === 'retry' ? 1 + (r.retryAfterMs ?? 0) : 0;
}

/** True when `p` settles within `ms`; the timer does not outlive the wait. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function errCause(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code}: ${err.message}` : err.message;
}
