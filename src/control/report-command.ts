/**
 * `vigia report capacity | performance`: build a fleet report now, print it (table, json, csv, html)
 * or mail it. Reads a running server (`--server URL`) or the store directly.
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { dayProblem, isAcceptedDay } from '../core/contracts/day.js';
import { VigiaError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { sanitiseJson, sanitiseLines } from '../core/sanitise.js';
import { callServer, serverTarget } from './client.js';
import { addStoreOptions, openStoreFromOptions } from './command.js';
import { previousUtcDay, REPORT_FORMATS, type ReportFormat } from './server.js';

function checkFormat(value: unknown): ReportFormat {
  const f = String(value);
  if (!(REPORT_FORMATS as readonly string[]).includes(f)) throw new VigiaError('VIGIA_ERR_CONFIG', `--format "${f.slice(0, 40)}": one of ${REPORT_FORMATS.join(', ')}`);
  return f as ReportFormat;
}

/**
 * Write a rendering. The renderers sanitise host text already; this does it again for what came from
 * a server (`--server`, which may be older than the renderers), JSON as JSON escapes, every other
 * format keeping its line ends (core/sanitise; idempotent on a sanitised text).
 */
async function output(raw: string, file: unknown, format: ReportFormat): Promise<void> {
  const text = format === 'json' ? sanitiseJson(raw) : sanitiseLines(raw);
  // A report the user asked for, like a shell redirect: created 0666 less the umask (not private state).
  if (file) await writeFile(String(file), text);
  else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Run `fn` with a report service over the store named by the options (closed afterwards). */
async function withReports<T>(opts: Record<string, unknown>, fn: (svc: Awaited<ReturnType<typeof import('./report-service.js').createReportService>>) => Promise<T>): Promise<T> {
  const [{ createReportService }, { loadServerSettings }] = await Promise.all([import('./report-service.js'), import('./server-settings.js')]);
  const settings = await loadServerSettings(opts.config as string | undefined);
  const store = await openStoreFromOptions(opts);
  try {
    return await fn(createReportService({ store, settings, log: createLogger('warn', { role: 'report' }) }));
  } finally {
    await store.close();
  }
}

/** Attach `vigia report` to the program. */
export function register(program: Command): void {
  const report = program.command('report').description('fleet reports: capacity (days until full, stale hosts) and daily performance');

  addStoreOptions(
    report
      .command('capacity')
      .description('per host and volume: use %, avail, growth/day, days until full (7-day least squares), stale hosts first')
      .addOption(new Option('--format <format>', `${REPORT_FORMATS.join('|')}`).default('table'))
      .addOption(new Option('--all', 'the table lists healthy volumes too (json and csv always have every row)'))
      .addOption(new Option('--output <file>', 'write to this file instead of stdout'))
      .addOption(new Option('--email', 'mail it to the configured recipients now (needs --config with smtp and recipients)'))
      .addOption(new Option('--config <file>', 'YAML with thresholds, recipients and SMTP (as for vigia server)').env('VIGIA_SERVER_CONFIG')),
  ).action(async (opts: Record<string, unknown>) => {
    const format = checkFormat(opts.format);
    if (opts.email) {
      if (opts.server) throw new VigiaError('VIGIA_ERR_CONFIG', '--email builds the report here: use --database/--data-dir, not --server (the server mails on its own schedule)');
      const sent = await withReports(opts, (svc) => svc.mailCapacity());
      process.stderr.write(`mailed "${sent.subject}" to ${sent.recipients.join(', ')}\n`);
      return;
    }
    if (opts.server) {
      const target = await serverTarget(String(opts.server), opts.tokenFile as string | undefined);
      await output((await callServer(target, 'GET', `/v1/reports/capacity?format=${format}${opts.all ? '&all=1' : ''}`)).text, opts.output, format);
      return;
    }
    await output((await withReports(opts, (svc) => svc.capacity(format, { all: opts.all === true }))).body, opts.output, format);
  });

  addStoreOptions(
    report
      .command('performance')
      .description("a day's performance per host and fleet-wide (CPU, IO wait, disk IO, filesystems), like sysstat's daily summary")
      .addOption(new Option('--day <YYYY-MM-DD>', 'UTC day (default: yesterday)'))
      .addOption(new Option('--format <format>', `${REPORT_FORMATS.join('|')}`).default('table'))
      .addOption(new Option('--output <file>', 'write to this file instead of stdout'))
      .addOption(new Option('--email', 'mail it to the configured recipients now'))
      .addOption(new Option('--config <file>', 'YAML with thresholds, recipients and SMTP (as for vigia server)').env('VIGIA_SERVER_CONFIG')),
  ).action(async (opts: Record<string, unknown>) => {
    const format = checkFormat(opts.format);
    const day = opts.day === undefined ? previousUtcDay(new Date()) : String(opts.day);
    if (!isAcceptedDay(day)) throw new VigiaError('CONTROL_ERR_INVALID_DAY', dayProblem('--day', day));
    if (opts.email) {
      if (opts.server) throw new VigiaError('VIGIA_ERR_CONFIG', '--email builds the report here: use --database/--data-dir, not --server');
      const sent = await withReports(opts, (svc) => svc.mailPerformance(day));
      process.stderr.write(`mailed "${sent.subject}" to ${sent.recipients.join(', ')}\n`);
      return;
    }
    if (opts.server) {
      const target = await serverTarget(String(opts.server), opts.tokenFile as string | undefined);
      await output((await callServer(target, 'GET', `/v1/reports/performance?day=${day}&format=${format}`)).text, opts.output, format);
      return;
    }
    await output((await withReports(opts, (svc) => svc.performance(day, format))).body, opts.output, format);
  });
}
