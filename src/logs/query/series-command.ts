/** `vigia logs series [--url P [--prefix]] [--ip IP] [--status N]`: hits per minute, optionally narrowed. */
import { Option, type Command } from 'commander';
import { VigiaError } from '../../core/errors.js';
import { sanitiseText } from '../../core/sanitise.js';
import type { SeriesResult } from '../store/log-store.js';
import { ANSWER_FORMATS, renderSeries, type AnswerFormat } from './render-answer.js';
import { parseIpArg } from './ip-arg.js';
import { addQueryOptions, dataDirGiven, parseQueryFlags } from './query-options.js';
import { runQuestion } from './run-question.js';
import { normaliseUrlArg } from './url-arg.js';

/** The latest `limit` points of a series (the store answers every minute with hits; --limit bounds what is printed). */
export function latestPoints(r: SeriesResult, limit: number): SeriesResult {
  return r.points.length <= limit ? r : { step_seconds: r.step_seconds, points: r.points.slice(r.points.length - limit) };
}

/** `--status` as an HTTP status 0-999 (0: logged as `-`), or VIGIA_ERR_CONFIG. */
export function parseStatusArg(text: string): number {
  if (!/^\d{1,3}$/.test(text.trim())) throw new VigiaError('VIGIA_ERR_CONFIG', `--status: expected a status code such as 404, got "${text.slice(0, 20)}"`);
  return Number(text.trim());
}

/** Attach `series` to `vigia logs`. */
export function registerSeries(logs: Command): void {
  const cmd = logs
    .command('series')
    .description('hits per minute (minutes without hits are left out), for everything or narrowed to a URL, a client or a status')
    .addOption(new Option('--url <path>', 'only this URL path'))
    .addOption(new Option('--prefix', 'every URL starting with --url'))
    .addOption(new Option('--ip <address>', 'only this client'))
    .addOption(new Option('--status <code>', 'only this status code, e.g. 404'));
  addQueryOptions(cmd, { formats: ANSWER_FORMATS, limit: 1440 }).addHelpText('after', '\n--limit keeps the latest minutes (default 1440, a day).\n\nExamples:\n  vigia logs series --since 1h\n  vigia logs series --url /api/ --prefix --status 503 --since 6h --format csv\n');
  cmd.action(async (opts: Record<string, unknown>, c: Command) => {
    const flags = parseQueryFlags<AnswerFormat>(opts, Date.now(), dataDirGiven(c));
    if (opts.prefix === true && opts.url === undefined) throw new VigiaError('VIGIA_ERR_CONFIG', '--prefix goes with --url PATH');
    let url: string | undefined;
    if (opts.url !== undefined) {
      const n = normaliseUrlArg(String(opts.url));
      if (n.note) process.stderr.write(`${sanitiseText(n.note)}\n`);
      url = n.url;
    }
    const ip = opts.ip === undefined ? undefined : parseIpArg(String(opts.ip));
    const status = opts.status === undefined ? undefined : parseStatusArg(String(opts.status));
    await runQuestion(
      flags.source,
      flags.format,
      (q) => q.series({ from: flags.range.from, to: flags.range.to, ...(url === undefined ? {} : { url, prefix: opts.prefix === true }), ...(ip === undefined ? {} : { ip }), ...(status === undefined ? {} : { status }) }),
      (r) => renderSeries(latestPoints(r, flags.limit), flags.format, { describe: flags.range.describe }),
      (r) => r.points.length === 0,
    );
  });
}
