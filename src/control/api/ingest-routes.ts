/**
 * Ingest routes: reports coming in.
 * - `POST /v1/reports`: one report, with the host's own token (protocol v1, kept unchanged).
 * - `POST /v2/reports`: a batch `{"reports":[...]}`, optionally gzip (src/core/contracts/report-batch.ts),
 *   with the host's own token (at most 100, each naming that host) or an operator token of scope
 *   `ingest` (a relay: at most 1,000, for any enrolled host). The batch as a whole is refused (nothing
 *   stored) when it is too large on the wire or inflated (a gzip bomb is cut off while inflating), not
 *   JSON, not `{"reports":[...]}`, or has too many reports; otherwise every report is validated as v1
 *   would, the valid ones go to the ingest queue together, and the answer lists one result per report,
 *   in order.
 *
 * Rate limits: a report in a batch costs what it costs in v1, one token of its host's bucket (20/s,
 * burst 100), whoever sends it. A host's batch pays its first report with the request itself (the
 * host authenticator took that token); a relay's request costs one token of its operator bucket, and
 * each report one of the reported host's bucket. Reports over their host's limit get their own
 * VIGIA_ERR_RATE_LIMITED result (the client sends them again after Retry-After), so neither a batch
 * nor a relay lets one host report faster than v1 would.
 *
 * Memory: a v2 body may inflate to MAX_BATCH_INFLATED_BYTES (32 MiB) before it is parsed, so at most
 * `limits.maxBatchBodiesInFlight` bodies are read, inflated and parsed at once; the request beyond
 * that is answered 503 CONTROL_ERR_OVERLOADED with Retry-After before its body is read (the sender
 * retries the whole batch; nothing of it was stored). Only authenticated senders get that far.
 */
import { parseHostReport, MAX_REPORT_BYTES, type HostReport } from '../../core/contracts/host-report.js';
import { MAX_BATCH_BODY_BYTES, MAX_BATCH_GZIP_RATIO, MAX_BATCH_INFLATED_BYTES, MAX_HOST_BATCH_REPORTS, MAX_RELAY_BATCH_REPORTS, type ReportResult } from '../../core/contracts/report-batch.js';
import type { Clock } from '../../core/clock.js';
import { VigiaError } from '../../core/errors.js';
import { readJsonBody, readJsonBodySized, validateQuery } from '../../core/http.js';
import type { Authenticate, Mount, Route } from '../../core/http-pipeline.js';
import type { RateLimiter } from '../../core/rate-limit.js';
import type { ControlServerDeps } from '../server.js';
import type { HostIdentity, IngestItem, IngestOutcome } from '../store/control-store.js';
import { MAX_CLOCK_SKEW_MS, noQuery, type ControlPrincipal, type HostPrincipal } from './shared.js';

/** Inflated bytes under which a batch's compression ratio is not checked. */
const RATIO_FLOOR_BYTES = 1024 * 1024;

/** What the ingest routes need besides the server's deps. */
export interface IngestRouteEnv {
  readonly host: Authenticate<HostPrincipal>;
  /** A host token, or an operator token (its scope is checked by the route: `ingest`). */
  readonly hostOrOperator: Authenticate<ControlPrincipal>;
  readonly hostLimiter: RateLimiter;
  readonly now: Clock;
}

/** The ingest mount: owns /v1/reports and /v2/reports. */
export function ingestMount(deps: ControlServerDeps, env: IngestRouteEnv): Mount<ControlPrincipal> {
  const { log } = deps;
  const { now } = env;
  /** v2 bodies being read, inflated or parsed now (bounded by limits.maxBatchBodiesInFlight). */
  let bodiesInFlight = 0;
  /** Hosts (by id) whose own v2 body is being read now: at most one each. */
  const hostsReading = new Set<number>();

  /**
   * A report too far ahead of our clock: its error and when it could be accepted, recorded as the
   * host's last error (the capacity report shows it); undefined when the clocks agree well enough.
   */
  const checkSkew = async (host: HostIdentity, report: HostReport, receivedAt: Date, record = true): Promise<{ err: VigiaError; retryAfterSeconds: number } | undefined> => {
    const aheadMs = Date.parse(report.sampled_at) - receivedAt.getTime();
    if (aheadMs <= MAX_CLOCK_SKEW_MS) return undefined;
    const message = `sampled_at ${report.sampled_at} is ${Math.round(aheadMs / 1000)} s ahead of the control plane's clock`;
    if (record) await deps.store.recordHostError(host.id, receivedAt, message).catch((err: unknown) => log.warn({ err }, 'could not record a host error'));
    // The agent keeps such a report and tries again after Retry-After: it becomes acceptable once our
    // clock catches up (or the host's is fixed), and ingest is idempotent.
    return { err: new VigiaError('CONTROL_ERR_CLOCK_SKEW', message), retryAfterSeconds: Math.min(3600, Math.max(60, Math.ceil((aheadMs - MAX_CLOCK_SKEW_MS) / 1000))) };
  };
  const onChecks = (host: HostIdentity, report: HostReport): void => {
    if (!report.checks) return;
    const failingChecks = report.checks.results.filter((r) => r.state === 'CRITICAL' || r.state === 'UNKNOWN').map((r) => r.name);
    deps.fleet?.rollouts.onChecks(host.id, report.checks.release, report.checks.results.length, failingChecks.length, { sampledAt: new Date(report.sampled_at), failingChecks });
  };

  const v1: Route<HostPrincipal> = {
    method: 'POST', name: '/v1/reports', path: /^\/v1\/reports$/,
    handler: async ({ req, res, principal: { host } }) => {
      // The host report schema is strict at every level and refuses `__proto__`-like tag keys;
      // parseHostReport checks the report's shape (HOST_REPORT_SHAPE) before its schema.
      const body = await readJsonBody(req, MAX_REPORT_BYTES, { shape: 'in-parse', guardPrototypeKeys: false });
      const parsed = parseHostReport(body);
      if (!parsed.ok) throw new VigiaError('CONTROL_ERR_INVALID_REPORT', parsed.problems.join('; '));
      const report = parsed.report;
      if (report.host !== host.name) {
        throw new VigiaError('CONTROL_ERR_HOST_MISMATCH', `the token belongs to "${host.name}", the report says "${report.host.slice(0, 253)}"`);
      }
      const receivedAt = new Date(now());
      const skew = await checkSkew(host, report, receivedAt);
      if (skew) {
        res.setHeader('retry-after', String(skew.retryAfterSeconds));
        throw skew.err;
      }
      onChecks(host, report);
      const bytes = Number(req.headers['content-length'] ?? MAX_REPORT_BYTES) || MAX_REPORT_BYTES;
      const outcome = await deps.ingest({ hostId: host.id, receivedAt, source: 'push', report }, bytes);
      deps.onReport?.(outcome);
      return { outcome };
    },
  };

  const v2: Route<ControlPrincipal> = {
    method: 'POST', name: '/v2/reports', path: /^\/v2\/reports$/, scope: 'ingest', authenticate: env.hostOrOperator,
    handler: async ({ req, res, query, principal }) => {
      validateQuery(noQuery, query, 'VIGIA_ERR_BAD_REQUEST');
      const relay = principal.kind === 'operator';
      const sender = principal.kind === 'host' ? principal.host : undefined;
      const max = relay ? MAX_RELAY_BATCH_REPORTS : MAX_HOST_BATCH_REPORTS;
      // Taken and checked with no await in between, so the bound holds under any interleaving.
      if (bodiesInFlight >= deps.limits.maxBatchBodiesInFlight) {
        throw new VigiaError('CONTROL_ERR_OVERLOADED', `${deps.limits.maxBatchBodiesInFlight} report batches are being read at once`);
      }
      // One body at a time per host token (an agent drains its spool one batch after another), so a
      // host cannot take the slots every other sender needs by trickling several bodies at once.
      if (sender && hostsReading.has(sender.id)) throw new VigiaError('CONTROL_ERR_OVERLOADED', `a batch of host "${sender.name}" is being read already`);
      bodiesInFlight++;
      if (sender) hostsReading.add(sender.id);
      let read;
      try {
        // The envelope is checked by batchItems, each report's shape by parseHostReport (so one report
        // outside HOST_REPORT_SHAPE is refused alone, for the cost of reading up to its first excess).
        read = await readJsonBodySized(req, MAX_BATCH_BODY_BYTES, {
          shape: 'in-parse',
          guardPrototypeKeys: false,
          inflate: { maxBytes: MAX_BATCH_INFLATED_BYTES, maxRatio: MAX_BATCH_GZIP_RATIO, ratioFloorBytes: RATIO_FLOOR_BYTES },
        });
      } finally {
        bodiesInFlight--;
        if (sender) hostsReading.delete(sender.id);
      }
      const { value, bytes } = read;
      const items = batchItems(value);
      if (items.length > max) throw new VigiaError('VIGIA_ERR_BODY_TOO_LARGE', `at most ${max} reports in a batch sent with ${relay ? 'an operator' : 'a host'} token`);
      const receivedAt = new Date(now());
      const itemBytes = Math.ceil(bytes / items.length);
      const results: (ReportResult | undefined)[] = new Array<ReportResult | undefined>(items.length);
      const fail = (i: number, err: VigiaError): void => {
        results[i] = { error: { code: err.code, message: err.message } };
        deps.onReport?.(err.code);
      };
      // Validate each report; resolve relay host names (one cached lookup per distinct name).
      const parsed = items.map((item) => parseHostReport(item));
      const names = relay ? [...new Set(parsed.flatMap((p) => (p.ok ? [p.report.host] : [])))] : [];
      const hosts = new Map<string, HostIdentity | undefined>(await Promise.all(names.map(async (n) => [n, await deps.hostAuth.byName(n)] as const)));
      let free = relay ? 0 : 1; // a host's request already paid for its first report
      let retryAfter = 0; // the hosts' rate limits: exact
      let overloadRetry = 0; // the queue's or the database's: spread (below)
      const accepted: { index: number; item: IngestItem }[] = [];
      const skewRecorded = new Set<number>();
      for (let i = 0; i < items.length; i++) {
        const p = parsed[i]!;
        if (!p.ok) {
          fail(i, new VigiaError('CONTROL_ERR_INVALID_REPORT', p.problems.join('; ')));
          continue;
        }
        const report = p.report;
        const host = sender ?? hosts.get(report.host);
        if (!host) {
          fail(i, new VigiaError('CONTROL_ERR_UNKNOWN_HOST', report.host.slice(0, 253)));
          continue;
        }
        if (sender && report.host !== sender.name) {
          fail(i, new VigiaError('CONTROL_ERR_HOST_MISMATCH', `the token belongs to "${host.name}", the report says "${report.host.slice(0, 253)}"`));
          continue;
        }
        // The rate is charged before anything that costs a database write (a skewed report records
        // the host's error), as v1 charges the request first.
        if (free > 0) free--;
        else {
          const d = env.hostLimiter.take(`host:${host.id}`);
          if (!d.allowed) {
            retryAfter = Math.max(retryAfter, d.retryAfterSeconds);
            fail(i, new VigiaError('VIGIA_ERR_RATE_LIMITED', `host "${host.name}" is over its report rate`));
            continue;
          }
        }
        // A host's error is recorded once per batch, however many of its reports are skewed.
        const skew = await checkSkew(host, report, receivedAt, !skewRecorded.has(host.id));
        if (skew) {
          skewRecorded.add(host.id);
          fail(i, skew.err);
          continue;
        }
        onChecks(host, report);
        accepted.push({ index: i, item: { hostId: host.id, receivedAt, source: 'push', report } });
      }
      // Every report validated: the valid ones go to the ingest queue together (it batches them into
      // its transactions), each answered with its own outcome.
      await Promise.all(
        accepted.map(({ index, item }) =>
          deps.ingest(item, itemBytes).then(
            (outcome: IngestOutcome) => {
              results[index] = { outcome };
              deps.onReport?.(outcome);
            },
            (err: unknown) => {
              if (!(err instanceof VigiaError)) log.error({ err }, 'a batched report failed');
              else if (err.code === 'CONTROL_ERR_STORE_UNAVAILABLE') log.error({ err: err.cause ?? err }, 'database write failed');
              const e = err instanceof VigiaError ? err : new VigiaError('VIGIA_ERR_INTERNAL');
              if (e.retryAfterSeconds !== undefined) overloadRetry = Math.max(overloadRetry, e.retryAfterSeconds);
              fail(index, e);
            },
          ),
        ),
      );
      // Reports refused for overload come back spread over twice the wait, like v1's refusals.
      const spread = overloadRetry > 0 ? overloadRetry + Math.floor(Math.random() * (overloadRetry + 1)) : 0;
      if (Math.max(retryAfter, spread) > 0) res.setHeader('retry-after', String(Math.max(retryAfter, spread)));
      return { results };
    },
  };

  // Refused reports are not audit rows: they are data, not changes to the fleet, counted by outcome
  // (vigia_control_reports_total), and a row each would add database writes exactly when ingest is
  // refused for overload (503) or the database is down.
  return { name: 'ingest', owns: (path) => path === '/v1/reports' || path === '/v2/reports', authenticate: env.host, credential: 'host', order: 'match-first', auditRefusals: false, routes: [v1, v2] };
}

/** The reports of a batch body; the whole batch is refused (400) when it is not `{"reports":[...]}` with 1 or more. */
function batchItems(value: unknown): unknown[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'expected {"reports":[...]}');
  const keys = Object.keys(value);
  const reports = (value as { reports?: unknown }).reports;
  if (keys.length !== 1 || keys[0] !== 'reports' || !Array.isArray(reports)) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'expected {"reports":[...]} and nothing else');
  if (reports.length === 0) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'the batch holds no report');
  return reports;
}
