/**
 * Report emails: compose (pure: report in, nodemailer message out) and send (I/O: SMTP with
 * STARTTLS or implicit TLS, AUTH from a password file). The password is read at send time so a
 * rotated secret needs no restart, and it never appears in an error or a log line. Every part that
 * can carry host text (subject, both bodies, CSV attachments, chart captions) is sanitised by the
 * renderers or here (core/sanitise): a header never holds a control or bidi character.
 */
import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer';
import { z } from 'zod';
import { VigiaError } from '../../core/errors.js';
import { deepFreeze } from '../../core/config.js';
import { sanitiseText } from '../../core/sanitise.js';
import type { CapacityReport } from './capacity.js';
import { CHART_SIZE, renderTopGrowersPng, renderUsageHistogramPng, topGrowers, usageHistogram } from './charts.js';
import { humanBytes, utcDay } from './format.js';
import type { ReportPolicy } from './policy.js';
import { renderCapacityCsv, renderCapacityHtml, renderCapacityTable, renderStaleCsv } from './render-capacity.js';
import type { PerformanceReport } from './performance.js';
import { renderPerformanceCsv, renderPerformanceFilesystemsCsv, renderPerformanceHtml, renderPerformanceTable } from './render-performance.js';
import { plural } from '../../core/plural.js';

/** Options every composed email needs beyond the report and policy. */
export interface ComposeOptions {
  /** Sender address; falls back to policy.from. */
  readonly from?: string;
  /** Recipients; fall back to policy.recipients. */
  readonly to?: readonly string[];
  /** Rows in the HTML body; falls back to policy.htmlMaxRows. */
  readonly maxRows?: number;
}

/** Content ids of the inline charts (stable so tests and clients can find them). */
export const CAPACITY_CHART_CIDS = { usage: 'usage-histogram@vigia', growers: 'top-growers@vigia' } as const;

function envelope(policy: ReportPolicy, opts: ComposeOptions): { from: string; to: string[] } {
  const from = opts.from ?? policy.from;
  const to = [...(opts.to ?? policy.recipients)];
  if (!from) throw new VigiaError('VIGIA_ERR_CONFIG', 'reports.from: a sender address is required to send report emails');
  if (to.length === 0) throw new VigiaError('VIGIA_ERR_CONFIG', 'reports.recipients: at least one recipient is required to send report emails');
  return { from, to };
}

/**
 * The capacity email: subject = the report's summary line, HTML body with the worst rows and two
 * inline PNG charts (cid), a plain-text alternative, `capacity-YYYY-MM-DD.csv` with every row and,
 * when any host is stale, `stale-hosts-YYYY-MM-DD.csv` with every stale host.
 */
export function composeCapacityEmail(report: CapacityReport, policy: ReportPolicy, opts: ComposeOptions = {}): SendMailOptions {
  const { from, to } = envelope(policy, opts);
  const maxRows = opts.maxRows ?? policy.htmlMaxRows;
  const day = utcDay(new Date(report.generatedAt));
  const csvFilename = `capacity-${day}.csv`;
  const staleCsvFilename = `stale-hosts-${day}.csv`;
  const buckets = usageHistogram(report);
  const growers = topGrowers(report, 10);
  const histogramCaption = `Volumes by use % (10 % buckets, bar heights on a log scale): ${buckets.map((n, i) => `${i * 10}-${i * 10 + 10}%: ${n}`).join(', ')}`;
  const growersCaption = growers.length
    ? `Top ${growers.length} growers per day: ${growers.map((r) => `${r.host} ${r.mountpoint} ${humanBytes(r.growthBytesPerDay)}`).join('; ')}`
    : 'No volume grew in the trend window.';
  const html = renderCapacityHtml(report, {
    maxRows,
    csvFilename,
    staleCsvFilename,
    charts: [
      { cid: CAPACITY_CHART_CIDS.usage, alt: 'Histogram of volumes by use %', caption: histogramCaption, ...CHART_SIZE },
      { cid: CAPACITY_CHART_CIDS.growers, alt: 'Bars of the fastest growing volumes', caption: growersCaption, ...CHART_SIZE },
    ],
  });
  return {
    from,
    to,
    subject: sanitiseText(report.summary),
    text: renderCapacityTable(report, { limit: maxRows }) + `\nThe attachment ${csvFilename} has all ${plural(report.rows.length, 'volume')}.\n`,
    html,
    date: new Date(report.generatedAt),
    attachments: [
      { filename: 'usage-histogram.png', content: renderUsageHistogramPng(buckets, policy), contentType: 'image/png', cid: CAPACITY_CHART_CIDS.usage, contentDisposition: 'inline' },
      { filename: 'top-growers.png', content: renderTopGrowersPng(growers), contentType: 'image/png', cid: CAPACITY_CHART_CIDS.growers, contentDisposition: 'inline' },
      { filename: csvFilename, content: renderCapacityCsv(report), contentType: 'text/csv; charset=utf-8' },
      ...(report.stale.length ? [{ filename: staleCsvFilename, content: renderStaleCsv(report), contentType: 'text/csv; charset=utf-8' }] : []),
    ],
  };
}

/** The daily performance email: ranked hosts in HTML, plain-text alternative, host and filesystem CSVs. */
export function composePerformanceEmail(report: PerformanceReport, policy: ReportPolicy, opts: ComposeOptions = {}): SendMailOptions {
  const { from, to } = envelope(policy, opts);
  const maxRows = opts.maxRows ?? policy.htmlMaxRows;
  const hostsCsv = `performance-${report.day}.csv`;
  const fsCsv = `filesystems-${report.day}.csv`;
  return {
    from,
    to,
    subject: sanitiseText(report.summary),
    text: renderPerformanceTable(report, { limit: maxRows }) + `\nThe attachments ${hostsCsv} and ${fsCsv} have every host and filesystem.\n`,
    html: renderPerformanceHtml(report, { maxRows, csvFilename: hostsCsv }),
    date: new Date(report.generatedAt),
    attachments: [
      { filename: hostsCsv, content: renderPerformanceCsv(report), contentType: 'text/csv; charset=utf-8' },
      { filename: fsCsv, content: renderPerformanceFilesystemsCsv(report), contentType: 'text/csv; charset=utf-8' },
    ],
  };
}

const ms = (def: number) => z.number().int().min(100).max(600_000).default(def);

/**
 * SMTP settings. Either `url` (smtp://host:port or smtps://host:port, no credentials in it) or
 * `host` (+ `port`). `secure` is implicit TLS (port 465); otherwise `starttls` decides: `required`
 * (default: refuse to send in clear), `opportunistic`, or `disabled` (local relays only).
 */
export const smtpConfigSchema = z
  .object({
    url: z.string().url().optional(),
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65_535).optional(),
    secure: z.boolean().optional(),
    starttls: z.enum(['required', 'opportunistic', 'disabled']).default('required'),
    auth: z.object({ user: z.string().min(1), passFile: z.string().min(1) }).strict().optional(),
    tls: z
      .object({ caFile: z.string().min(1).optional(), rejectUnauthorized: z.boolean().default(true), servername: z.string().min(1).optional() })
      .strict()
      .default({}),
    timeouts: z.object({ connectionMs: ms(10_000), greetingMs: ms(10_000), socketMs: ms(60_000) }).strict().default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.url === undefined) === (c.host === undefined)) ctx.addIssue({ code: 'custom', path: ['host'], message: 'set exactly one of url or host' });
    if (c.url !== undefined) {
      let u: URL;
      try {
        u = new URL(c.url);
      } catch {
        return; // z.string().url() has reported it already
      }
      if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') ctx.addIssue({ code: 'custom', path: ['url'], message: 'scheme must be smtp: or smtps:' });
      if (u.username || u.password) ctx.addIssue({ code: 'custom', path: ['url'], message: 'must not hold credentials; use auth.user and auth.passFile' });
      if (c.port !== undefined) ctx.addIssue({ code: 'custom', path: ['port'], message: 'give the port inside url' });
    }
    if (c.secure && c.starttls === 'disabled') ctx.addIssue({ code: 'custom', path: ['starttls'], message: 'meaningless with secure: true (implicit TLS)' });
  })
  .transform((c) => {
    let host = c.host ?? '';
    let port = c.port;
    let secure = c.secure ?? false;
    if (c.url !== undefined) {
      const u = new URL(c.url);
      host = u.hostname.replace(/^\[|\]$/g, '');
      if (c.secure === undefined) secure = u.protocol === 'smtps:';
      port = u.port ? Number(u.port) : undefined;
    }
    return { host, port: port ?? (secure ? 465 : 587), secure, starttls: c.starttls, auth: c.auth, tls: c.tls, timeouts: c.timeouts };
  });

/** Validated, normalised SMTP settings (host and port always set). */
export type SmtpConfig = Readonly<z.output<typeof smtpConfigSchema>>;

/** Validate raw SMTP settings; throws VIGIA_ERR_CONFIG naming each bad field as `<prefix>.<path>`. */
export function parseSmtpConfig(raw: unknown, prefix = 'smtp'): SmtpConfig {
  const r = smtpConfigSchema.safeParse(raw);
  if (!r.success) {
    throw new VigiaError('VIGIA_ERR_CONFIG', r.error.issues.map((i) => `${[prefix, ...i.path].join('.')}: ${i.message}`).join('; '));
  }
  return deepFreeze(r.data);
}

/** What the server accepted. */
export interface SendResult {
  readonly messageId: string;
  readonly accepted: readonly string[];
  readonly rejected: readonly string[];
}

const STEP_BY_CODE: Record<string, string> = {
  ECONNECTION: 'connect',
  ETIMEDOUT: 'connect',
  ESOCKET: 'connect',
  EDNS: 'dns',
  ETLS: 'starttls',
  EAUTH: 'auth',
  ENOAUTH: 'auth',
  EENVELOPE: 'envelope',
  EMESSAGE: 'data',
  EPROTOCOL: 'protocol',
  EMAXLIMIT: 'data',
};

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

function fail(step: string, detail: string, secrets: readonly string[], cause?: unknown): never {
  // The cause is kept for debugging but stripped of anything that could carry the password.
  throw new VigiaError('CONTROL_ERR_EMAIL_FAILED', scrub(`${step}: ${detail}`, secrets), { cause: cause instanceof Error ? new Error(scrub(cause.message, secrets)) : undefined });
}

async function readSecretFile(path: string, what: string, secrets: string[]): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return fail(`read ${what}`, `${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`, secrets);
  }
  return text;
}

/**
 * Send one message. Throws CONTROL_ERR_EMAIL_FAILED `'<step>: <smtp response>'` (steps: read
 * password file, read tls ca file, connect, dns, tls, starttls, auth, envelope, data, protocol) with
 * the password scrubbed, also in its base64 AUTH forms.
 */
export async function sendEmail(smtp: SmtpConfig, message: SendMailOptions): Promise<SendResult> {
  const secrets: string[] = [];
  let pass: string | undefined;
  if (smtp.auth) {
    pass = (await readSecretFile(smtp.auth.passFile, 'password file', secrets)).replace(/\r?\n$/, '');
    if (!pass) fail('read password file', `${smtp.auth.passFile} is empty`, secrets);
    secrets.push(pass, Buffer.from(pass).toString('base64'), Buffer.from(`\0${smtp.auth.user}\0${pass}`).toString('base64'));
  }
  const ca = smtp.tls.caFile ? await readSecretFile(smtp.tls.caFile, 'tls ca file', secrets) : undefined;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: !smtp.secure && smtp.starttls === 'required',
    ignoreTLS: !smtp.secure && smtp.starttls === 'disabled',
    auth: smtp.auth && pass !== undefined ? { user: smtp.auth.user, pass } : undefined,
    tls: { ca, rejectUnauthorized: smtp.tls.rejectUnauthorized, servername: smtp.tls.servername, minVersion: 'TLSv1.2' },
    connectionTimeout: smtp.timeouts.connectionMs,
    greetingTimeout: smtp.timeouts.greetingMs,
    socketTimeout: smtp.timeouts.socketMs,
    logger: false,
    debug: false,
  });
  try {
    const info = await transport.sendMail(message);
    const accepted = (info.accepted ?? []).map(String);
    const rejected = (info.rejected ?? []).map(String);
    if (accepted.length === 0) fail('envelope', `every recipient was rejected: ${rejected.join(', ')}`, secrets);
    return { messageId: String(info.messageId ?? ''), accepted, rejected };
  } catch (err) {
    if (err instanceof VigiaError) throw err;
    const e = err as Error & { code?: string; command?: string; response?: string };
    // nodemailer reports a failed TLS handshake as a socket error of CONN; name it for the operator.
    const tlsFailure = /certificate|self[- ]signed|ssl|tls/i.test(e.message) && e.code !== 'EAUTH';
    const step = tlsFailure ? 'tls' : ((e.code && STEP_BY_CODE[e.code]) ?? (e.command ? e.command.split(' ')[0]!.toLowerCase() : 'send'));
    const detail = e.response ?? e.message;
    return fail(step, e.command ? `${detail} (after ${e.command})` : detail, secrets, err);
  } finally {
    transport.close();
  }
}
