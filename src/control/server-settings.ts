/**
 * The control plane's settings file (`--config`, YAML): report policy (thresholds, recipients),
 * schedules and SMTP. Read and validated once at start; every error names its field path, so a typo
 * fails `vigia server` at start-up instead of a missing email at 07:00.
 *
 * ```yaml
 * reports:            # thresholds, recipients, from, ... (src/control/reports/policy.ts)
 *   recipients: [dba@example.com]
 *   from: vigia@example.com
 * schedule:
 *   timezone: Europe/Madrid
 *   capacity: { cron: "0 7 * * *" }        # enabled: false to turn it off
 *   performance: { cron: "30 7 * * *" }
 * smtp:               # src/control/reports/email.ts
 *   url: smtp://mail.example.com:587
 *   starttls: required
 *   auth: { user: vigia, passFile: /etc/vigia/smtp.pass }
 * trustedProxies: [10.0.1.5, 10.0.2.0/24]   # added to --trusted-proxy (load balancers; docs/control-plane.md)
 * ```
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { deepFreeze } from '../core/config.js';
import { VigiaError } from '../core/errors.js';
import { trustedProxyField } from './config.js';
import { parseSmtpConfig, type SmtpConfig } from './reports/email.js';
import { defaultReportPolicy, parseReportPolicy, type ReportPolicy } from './reports/policy.js';
import { DEFAULT_REPORT_CRON, validateCron } from './reports/schedule.js';

/** One scheduled report. */
export interface ReportScheduleSetting {
  readonly enabled: boolean;
  readonly cron: string;
}

/** Everything in the settings file, validated, with defaults. */
export interface ServerSettings {
  readonly policy: ReportPolicy;
  readonly timezone: string;
  readonly capacitySchedule: ReportScheduleSetting;
  readonly performanceSchedule: ReportScheduleSetting;
  /** null: no SMTP configured, so schedules do not run (logged at start). */
  readonly smtp: SmtpConfig | null;
  /** Load balancers whose PROXY header or X-Forwarded-For names the client, in addition to --trusted-proxy. */
  readonly trustedProxies: readonly string[];
}

const scheduleEntry = (cron: string) => z.object({ enabled: z.boolean().default(true), cron: z.string().min(1).default(cron) }).strict().default({});
const fileSchema = z
  .object({
    reports: z.unknown().optional(),
    smtp: z.unknown().optional(),
    trustedProxies: z.array(trustedProxyField).max(256).default([]),
    schedule: z
      .object({ timezone: z.string().min(1).default('UTC'), capacity: scheduleEntry(DEFAULT_REPORT_CRON), performance: scheduleEntry('30 7 * * *') })
      .strict()
      .default({}),
  })
  .strict();

/** Validate the parsed settings document (an object from YAML/JSON, or undefined for all defaults). */
export function parseServerSettings(raw: unknown): ServerSettings {
  const r = fileSchema.safeParse(raw ?? {});
  if (!r.success) throw new VigiaError('VIGIA_ERR_CONFIG', r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; '));
  const { schedule } = r.data;
  const policy = r.data.reports === undefined ? defaultReportPolicy() : parseReportPolicy(r.data.reports, 'reports');
  validateCron(schedule.capacity.cron, schedule.timezone, 'schedule.capacity.cron');
  validateCron(schedule.performance.cron, schedule.timezone, 'schedule.performance.cron');
  const smtp = r.data.smtp === undefined ? null : parseSmtpConfig(r.data.smtp, 'smtp');
  if (smtp && policy.recipients.length === 0) throw new VigiaError('VIGIA_ERR_CONFIG', 'reports.recipients: smtp is configured but nobody would receive the reports');
  return deepFreeze({ policy, timezone: schedule.timezone, capacitySchedule: schedule.capacity, performanceSchedule: schedule.performance, smtp, trustedProxies: r.data.trustedProxies });
}

/** Read and validate the settings file; no path means every default (no email). */
export async function loadServerSettings(path: string | undefined): Promise<ServerSettings> {
  if (!path) return parseServerSettings(undefined);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--config ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--config ${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  let settings: ServerSettings;
  try {
    settings = parseServerSettings(doc);
  } catch (err) {
    if (err instanceof VigiaError) throw new VigiaError('VIGIA_ERR_CONFIG', `--config ${path}: ${err.message.replace(/^invalid configuration: /, '')}`);
    throw err;
  }
  // The files are read again at each send (a rotated password needs no restart), but a wrong path
  // must fail now, not at 07:00.
  const files: [string, string | undefined][] = [
    ['smtp.auth.passFile', settings.smtp?.auth?.passFile],
    ['smtp.tls.caFile', settings.smtp?.tls.caFile],
  ];
  for (const [field, file] of files) {
    if (file === undefined) continue;
    try {
      await access(file, constants.R_OK);
    } catch (err) {
      throw new VigiaError('VIGIA_ERR_CONFIG', `--config ${path}: ${field}: ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  }
  return settings;
}
