/**
 * When the daily reports go out: a croner job around an async `run`. Runs never overlap (a slow
 * SMTP server must not stack a second report on the first), failures are logged and counted and
 * never stop the schedule.
 */
import { Cron } from 'croner';
import { VigiaError } from '../../core/errors.js';

/** The log calls the schedule makes (a pino Logger fits). */
export interface ScheduleLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of createReportSchedule. */
export interface ReportScheduleOptions {
  /** Cron expression (5 or 6 fields); default `0 7 * * *` (07:00 every day). */
  readonly cron?: string;
  /** IANA time zone the expression is read in; default UTC. */
  readonly timezone?: string;
  /** One report run; receives the scheduled time. */
  readonly run: (scheduledAt: Date) => Promise<void>;
  readonly log: ScheduleLog;
  /** Field path named in configuration errors. */
  readonly configPath?: string;
}

/** Counters of a schedule (also exported as metrics by the server). */
export interface ReportScheduleStats {
  readonly runs: number;
  readonly failures: number;
  /** Ticks skipped because the previous run was still going. */
  readonly skipped: number;
  readonly running: boolean;
}

/** A running schedule. */
export interface ReportSchedule {
  /** The next time a run will start, or null when stopped. */
  nextRun(): Date | null;
  stats(): ReportScheduleStats;
  /** Run now (as `vigia server report --now` does), with the same no-overlap rule; false when one is running. */
  trigger(): Promise<boolean>;
  /** Stop scheduling; resolves once an in-flight run has finished (for the shutdown drain). */
  stop(): Promise<void>;
}

/** Default cron expression of the daily reports. */
export const DEFAULT_REPORT_CRON = '0 7 * * *';

/** Validate a cron expression and time zone; throws VIGIA_ERR_CONFIG naming the field. */
export function validateCron(cron: string, timezone = 'UTC', path = 'reports.schedule'): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${path}.timezone: unknown time zone ${JSON.stringify(timezone)}`);
  }
  try {
    const probe = new Cron(cron, { paused: true, timezone });
    const next = probe.nextRun();
    probe.stop();
    if (!next) throw new Error('never fires');
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${path}.cron: invalid cron expression ${JSON.stringify(cron)}: ${(err as Error).message}`);
  }
}

/** Start the report schedule. Throws VIGIA_ERR_CONFIG on a bad expression or time zone. */
export function createReportSchedule(opts: ReportScheduleOptions): ReportSchedule {
  const cron = opts.cron ?? DEFAULT_REPORT_CRON;
  const timezone = opts.timezone ?? 'UTC';
  validateCron(cron, timezone, opts.configPath);
  let runs = 0;
  let failures = 0;
  let skipped = 0;
  let inFlight: Promise<void> | null = null;

  // Our own guard rather than croner's `protect`, so trigger() and ticks share one rule.
  const start = (scheduledAt: Date): boolean => {
    if (inFlight) {
      skipped++;
      opts.log.warn({ scheduledAt: scheduledAt.toISOString(), skipped }, 'report run skipped: previous run still going');
      return false;
    }
    runs++;
    const startedMs = Date.now();
    opts.log.info({ scheduledAt: scheduledAt.toISOString() }, 'report run started');
    inFlight = (async () => {
      try {
        await opts.run(scheduledAt);
        opts.log.info({ durationMs: Date.now() - startedMs }, 'report run finished');
      } catch (err) {
        failures++;
        const e = err as Error & { code?: string };
        opts.log.error({ err: { code: e.code, message: e.message }, failures }, 'report run failed');
      } finally {
        inFlight = null;
      }
    })();
    return true;
  };

  // unref: the schedule alone must not keep a draining process alive; the server's listener does that.
  const job = new Cron(cron, { timezone, unref: true }, () => {
    start(new Date());
  });
  opts.log.info({ cron, timezone, nextRun: job.nextRun()?.toISOString() ?? null }, 'report schedule started');

  return {
    nextRun: () => job.nextRun(),
    stats: () => ({ runs, failures, skipped, running: inFlight !== null }),
    trigger: async () => {
      const started = start(new Date());
      if (started && inFlight) await inFlight;
      return started;
    },
    stop: async () => {
      job.stop();
      if (inFlight) await inFlight;
    },
  };
}
