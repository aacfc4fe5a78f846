/**
 * Where the console's SLO page gets its report: the control plane runs `vigia slo report --format
 * json` over its `--slo-spec` directories as a child process (the same binary, so the report is the
 * one the CLI prints) and checks the output against the wire contract (core/contracts/slo-report.ts).
 * The process boundary is the documented seam between the control plane and the SLO role (roles never
 * import each other): the SLO role keeps its spec loading, data-source drivers and evaluation, and a
 * failing or slow data source costs a child process, not the control plane.
 *
 * Bounded: a deadline per run (SIGKILL after it), a cap on output, at most two runs at once, and a
 * small cache (a report over a year of records changes slowly; failures are cached briefly so a
 * reloading page does not start a run per view). No shell: arguments are an argv array.
 */
import { spawn } from 'node:child_process';
import { SLO_REPORT_SCHEMA, type SloReportDocument } from '../../core/contracts/slo-report.js';
import { ERROR_CATALOG, VigiaError, type ErrorCode } from '../../core/errors.js';

/** What the SLO page asks. */
export interface SloSource {
  /** The default period, as `vigia slo report` takes it (`--last 365d` or `--period 2025`), for the page's form. */
  readonly defaultPeriod: string;
  /** The report over `period` (a PERIOD_RE value; default the configured one). Throws a catalogued VigiaError. */
  report(period?: string): Promise<SloReportDocument>;
}

/** How the report runs. */
export interface SloRunnerOptions {
  /** argv that starts `vigia` (e.g. [process.execPath, 'dist/cli/main.js']); the report's arguments follow. */
  readonly command: readonly string[];
  /** `--spec` paths (directories or files). */
  readonly specPaths: readonly string[];
  /** The default period: a year, quarter, month or range (`--period`), or a duration such as `365d` (`--last`). */
  readonly period: string;
  /** `--tz` of the report (default UTC). */
  readonly timeZone?: string;
  /** Deadline of one run (default 120 s: SQL and Prometheus sources over a year can be slow). */
  readonly timeoutMs?: number;
  /** Largest output accepted (default 32 MiB; the demo year is ~200 KB). */
  readonly maxBytes?: number;
  /** How long a report is reused (default 5 minutes). */
  readonly cacheMs?: number;
  /** How long a failure is reused (default 15 s). */
  readonly failureCacheMs?: number;
  readonly now?: () => number;
}

/** The periods the page accepts: `2025`, `2025-Q3`, `2025-03`, `2025-01-01..2025-07-01`, or `365d` / `12w` / `48h`. */
export const PERIOD_RE = /^(?:\d{4}(?:-[Qq][1-4]|-\d{2})?|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}|\d{1,4}[dwh])$/;
const MAX_RUNNING = 2;
const MAX_CACHED = 16;

/** The `vigia slo report` arguments for a period (pure). */
export function reportArgs(specPaths: readonly string[], period: string, timeZone: string): string[] {
  if (!PERIOD_RE.test(period)) throw new VigiaError('VIGIA_ERR_CONFIG', `SLO period "${period.slice(0, 40)}": use a year (2025), quarter (2025-Q3), month (2025-03), range (2025-01-01..2025-07-01) or a duration (365d)`);
  const when = /[dwh]$/.test(period) ? ['--last', period] : ['--period', period];
  return ['slo', 'report', ...when, '--tz', timeZone, '--format', 'json', '--quiet', '--spec', ...specPaths];
}

/** The error a failed run is shown as: the child's own catalogued line (`vigia: CODE: message`) when it printed one. */
export function runError(stderr: string, exit: string): VigiaError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^vigia: ([A-Z]+_ERR_[A-Z_]+): (.*)$/.exec(lines[i]!);
    if (m && Object.hasOwn(ERROR_CATALOG, m[1]!)) {
      const code = m[1] as ErrorCode;
      // The line is `<catalog text>: <detail>`; VigiaError adds the catalog text again.
      const spec = ERROR_CATALOG[code].message;
      const detail = m[2] === spec ? '' : m[2]!.startsWith(`${spec}: `) ? m[2]!.slice(spec.length + 2) : m[2]!;
      return new VigiaError(code, detail.slice(0, 2000) || undefined);
    }
  }
  return new VigiaError('CONTROL_ERR_SLO_REPORT', `vigia slo report ${exit}${lines.length > 0 ? `: ${lines.at(-1)!.slice(0, 300)}` : ''}`);
}

function run(command: readonly string[], args: readonly string[], timeoutMs: number, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let failure: VigiaError | undefined;
    const stop = (why: VigiaError): void => {
      failure ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(new VigiaError('CONTROL_ERR_SLO_REPORT', `vigia slo report took more than ${Math.round(timeoutMs / 1000)} s (stopped)`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > maxBytes) stop(new VigiaError('CONTROL_ERR_SLO_REPORT', `vigia slo report printed more than ${maxBytes} bytes (stopped)`));
      else out.push(d);
    });
    // Only the end of stderr matters (the error line); keep it bounded.
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString('utf8')).slice(-16_384)));
    child.once('error', (e) => stop(new VigiaError('CONTROL_ERR_SLO_REPORT', `vigia slo report could not start: ${e.message}`, { cause: e })));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else if (code !== 0) reject(runError(err, signal ? `was killed (${signal})` : `exited with ${code}`));
      else resolve(Buffer.concat(out).toString('utf8'));
    });
  });
}

/** Parse the child's stdout against the contract (pure). */
export function parseReportOutput(text: string): SloReportDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new VigiaError('CONTROL_ERR_SLO_REPORT', 'vigia slo report did not print JSON');
  }
  const r = SLO_REPORT_SCHEMA.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new VigiaError('CONTROL_ERR_SLO_REPORT', `vigia slo report printed something that is not a vigia.slo.report/v1 report (${i ? `${i.path.join('.')}: ${i.message}` : 'shape'})`);
  }
  return r.data;
}

/** An SloSource that runs `vigia slo report` (cached, bounded). */
export function createSloRunner(opts: SloRunnerOptions): SloSource {
  const now = opts.now ?? Date.now;
  const tz = opts.timeZone ?? 'UTC';
  const cache = new Map<string, { at: number; ok: boolean; value: Promise<SloReportDocument> }>();
  let running = 0;
  reportArgs(opts.specPaths, opts.period, tz);
  return {
    defaultPeriod: opts.period,
    report(period = opts.period) {
      const args = reportArgs(opts.specPaths, period, tz);
      const hit = cache.get(period);
      if (hit && now() - hit.at < (hit.ok ? opts.cacheMs ?? 300_000 : opts.failureCacheMs ?? 15_000)) return hit.value;
      if (running >= MAX_RUNNING) return Promise.reject(new VigiaError('CONTROL_ERR_SLO_REPORT', `${MAX_RUNNING} SLO reports are being built already; reload in a moment`));
      running++;
      const entry = { at: now(), ok: true, value: Promise.resolve(null as unknown as SloReportDocument) };
      entry.value = run(opts.command, args, opts.timeoutMs ?? 120_000, opts.maxBytes ?? 32 * 1024 * 1024)
        .then(parseReportOutput)
        .catch((err: unknown) => {
          entry.ok = false;
          entry.at = now();
          throw err;
        })
        .finally(() => running--);
      cache.delete(period);
      cache.set(period, entry);
      while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
      return entry.value;
    },
  };
}
