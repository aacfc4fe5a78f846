/**
 * Builds, renders and mails the fleet reports from the store: one place used by the HTTP API
 * (GET /v1/reports/*), the CLI (`vigia report`) and the schedules, so all three say the same thing.
 */
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { ControlMetrics } from './control-metrics.js';
import { buildCapacityReport, type CapacityReport } from './reports/capacity.js';
import { composeCapacityEmail, composePerformanceEmail, sendEmail } from './reports/email.js';
import { buildPerformanceReport, type PerformanceReport } from './reports/performance.js';
import { renderCapacityCsv, renderCapacityHtml, renderCapacityJson, renderCapacityTable } from './reports/render-capacity.js';
import { renderPerformanceCsv, renderPerformanceHtml, renderPerformanceJson, renderPerformanceTable } from './reports/render-performance.js';
import { createReportSchedule, type ReportSchedule } from './reports/schedule.js';
import type { RenderedReport, ReportFormat } from './server.js';
import type { ServerSettings } from './server-settings.js';
import type { ControlStore } from './store/control-store.js';
import { VigiaError } from '../core/errors.js';

/** What a mail run sent. */
export interface MailResult {
  readonly subject: string;
  readonly recipients: readonly string[];
}

/** The report service; see the file comment. */
export interface ReportService {
  buildCapacity(): Promise<CapacityReport>;
  /**
   * The performance report of a UTC day. A past day's is kept PAST_DAY_CACHE_MS and then rebuilt in the
   * background while the kept one is still answered (stale-while-revalidate): at 10,000 hosts a build
   * takes seconds (it aggregates every sample of the day), and a past day changes only by late reports.
   * Today's is always built fresh. Mails always build fresh.
   */
  buildPerformance(day: string): Promise<PerformanceReport>;
  /** Build yesterday's performance report in the background, so the console's default view is ready. */
  warmPerformance(): void;
  /** `all`: the table lists healthy volumes too (other formats always have every row). */
  capacity(format: ReportFormat, opts?: { all?: boolean }): Promise<RenderedReport>;
  performance(day: string, format: ReportFormat): Promise<RenderedReport>;
  mailCapacity(): Promise<MailResult>;
  mailPerformance(day: string): Promise<MailResult>;
  /** Start the configured schedules (none without SMTP); stop() waits for a running one. */
  startSchedules(metrics?: ControlMetrics): { stop(): Promise<void> };
}

/** How long a past day's performance report is answered before it is rebuilt (in the background). */
export const PAST_DAY_CACHE_MS = 2 * 60_000;
/** Past days whose performance report is kept (a week and a day; the oldest goes first). */
const PAST_DAYS_CACHED = 8;

/** Days after an empty one searched for samples (a week covers day one). */
const NEXT_DAY_PROBES = 7;

/** The UTC day `n` days after `day` (YYYY-MM-DD). */
function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

const TYPES: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  table: 'text/plain; charset=utf-8',
};

/** Create the report service over a store and validated settings. */
export function createReportService(deps: { store: ControlStore; settings: ServerSettings; log: Logger; now?: Clock; cacheMs?: number }): ReportService {
  const { store, settings, log } = deps;
  const clock = deps.now ?? systemClock;
  const now = (): Date => new Date(clock());
  const policy = settings.policy;
  const cacheMs = deps.cacheMs ?? 0;
  // One build at a time, reused for cacheMs: a burst of report requests (40 from one read token)
  // costs one build for 10,000 hosts, not 40 of them on the event loop that also answers ingest.
  let building: Promise<CapacityReport> | undefined;
  let cached: { report: CapacityReport; at: number } | undefined;

  const buildCapacity = async (): Promise<CapacityReport> => {
    if (cached && clock() - cached.at < cacheMs) return cached.report;
    building ??= (async () => {
      try {
        const t = now();
        const report = buildCapacityReport(await store.capacityData(t, policy.trendWindowDays), policy, t);
        cached = { report, at: clock() };
        return report;
      } finally {
        building = undefined;
      }
    })();
    return building;
  };
  const buildPerformanceNow = async (day: string): Promise<PerformanceReport> => {
    const t = now();
    const data = await store.performanceData(day);
    if (data.hosts.length > 0 || data.hostsWithoutSystem.length > 0) return buildPerformanceReport(data, { policy, now: t });
    // An empty day (day one asks for yesterday by default): find the next day that has samples, so the
    // report says where to look. At most NEXT_DAY_PROBES small queries, and only for an empty day.
    const today = t.toISOString().slice(0, 10);
    let nextDayWithSamples: string | null = null;
    for (let d = addDays(day, 1), k = 0; d <= today && k < NEXT_DAY_PROBES; d = addDays(d, 1), k++) {
      const next = await store.performanceData(d);
      if (next.hosts.length > 0 || next.hostsWithoutSystem.length > 0) {
        nextDayWithSamples = d;
        break;
      }
    }
    return buildPerformanceReport(data, { policy, now: t, nextDayWithSamples });
  };

  /** Past days: the kept report (fresh or stale), and the build in flight, one per day. */
  const pastDays = new Map<string, { report?: PerformanceReport; at: number; building?: Promise<PerformanceReport> }>();
  const rebuild = (day: string): Promise<PerformanceReport> => {
    const entry = pastDays.get(day) ?? { at: 0 };
    entry.building ??= buildPerformanceNow(day).then(
      (report) => {
        pastDays.delete(day); // re-inserted last: the map's order is the eviction order
        // An empty day is cheap to ask again and may be one being backfilled (vigia up --demo): not kept.
        if (report.noSamples) return report;
        pastDays.set(day, { report, at: clock() });
        while (pastDays.size > PAST_DAYS_CACHED) pastDays.delete(pastDays.keys().next().value!);
        return report;
      },
      (err: unknown) => {
        entry.building = undefined;
        throw err;
      },
    );
    pastDays.set(day, entry);
    return entry.building;
  };
  const buildPerformance = async (day: string): Promise<PerformanceReport> => {
    if (day >= now().toISOString().slice(0, 10)) return buildPerformanceNow(day);
    const entry = pastDays.get(day);
    if (!entry?.report) return rebuild(day);
    if (clock() - entry.at >= PAST_DAY_CACHE_MS) {
      rebuild(day).catch((err: unknown) => log.warn({ err, day }, 'performance report rebuild failed; the kept one is answered'));
    }
    return entry.report;
  };

  const mail = async (message: Parameters<typeof sendEmail>[1]): Promise<MailResult> => {
    if (!settings.smtp) throw new VigiaError('VIGIA_ERR_CONFIG', 'no smtp section in --config: cannot mail reports');
    if (policy.recipients.length === 0) throw new VigiaError('VIGIA_ERR_CONFIG', 'reports.recipients is empty');
    await sendEmail(settings.smtp, message);
    return { subject: String(message.subject ?? ''), recipients: policy.recipients };
  };

  const service: ReportService = {
    buildCapacity,
    buildPerformance,
    warmPerformance() {
      const yesterday = addDays(now().toISOString().slice(0, 10), -1);
      buildPerformance(yesterday).catch((err: unknown) => log.warn({ err, day: yesterday }, 'performance report warm-up failed'));
    },
    async capacity(format, opts = {}) {
      const r = await buildCapacity();
      const body =
        format === 'json' ? renderCapacityJson(r) : format === 'csv' ? renderCapacityCsv(r) : format === 'html' ? renderCapacityHtml(r, { maxRows: policy.htmlMaxRows }) : renderCapacityTable(r, { includeOk: opts.all === true });
      return { contentType: TYPES[format], body };
    },
    async performance(day, format) {
      const r = await buildPerformance(day);
      const body =
        format === 'json' ? renderPerformanceJson(r) : format === 'csv' ? renderPerformanceCsv(r) : format === 'html' ? renderPerformanceHtml(r, { maxRows: policy.htmlMaxRows }) : renderPerformanceTable(r);
      return { contentType: TYPES[format], body };
    },
    async mailCapacity() {
      return mail(composeCapacityEmail(await buildCapacity(), policy));
    },
    async mailPerformance(day) {
      return mail(composePerformanceEmail(await buildPerformanceNow(day), policy));
    },
    startSchedules(metrics) {
      if (!settings.smtp) {
        log.info('no smtp in --config: scheduled reports are off (vigia report ... works on demand)');
        return { stop: async () => undefined };
      }
      const started: ReportSchedule[] = [];
      const entries = [
        { name: 'capacity', setting: settings.capacitySchedule, run: () => service.mailCapacity() },
        // The performance report of a morning run covers the whole previous UTC day.
        { name: 'performance', setting: settings.performanceSchedule, run: () => service.mailPerformance(new Date(now().getTime() - 86_400_000).toISOString().slice(0, 10)) },
      ];
      for (const e of entries) {
        if (!e.setting.enabled) continue;
        const schedule = createReportSchedule({
          cron: e.setting.cron,
          timezone: settings.timezone,
          log,
          configPath: `schedule.${e.name}.cron`,
          run: async () => {
            try {
              const sent = await e.run();
              metrics?.reportRuns.inc({ report: e.name, outcome: 'sent' });
              metrics?.reportLastSuccess.set({ report: e.name }, clock() / 1000);
              log.info({ report: e.name, subject: sent.subject, recipients: sent.recipients.length }, 'report mailed');
            } catch (err) {
              metrics?.reportRuns.inc({ report: e.name, outcome: 'failed' });
              throw err;
            }
          },
        });
        log.info({ report: e.name, cron: e.setting.cron, timezone: settings.timezone, next: schedule.nextRun()?.toISOString() }, 'report scheduled');
        started.push(schedule);
      }
      return { stop: async () => void (await Promise.all(started.map((s) => s.stop()))) };
    },
  };
  return service;
}
