/** `vigia logs who --url PATH [--prefix]`: which clients visited this URL, with hits, first and last seen and the status mix. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { sanitiseText } from '../../core/sanitise.js';
import { ANSWER_FORMATS, renderWho, type AnswerFormat } from './render-answer.js';
import { addQueryOptions, dataDirGiven, parseQueryFlags } from './query-options.js';
import { runQuestion } from './run-question.js';
import { normaliseUrlArg } from './url-arg.js';

/** Attach `who` to `vigia logs`. */
export function registerWho(logs: Command): void {
  const cmd = logs
    .command('who')
    .description('which clients visited a URL: hits, first and last seen, status mix (most hits first)')
    .addOption(new Option('--url <path>', 'the URL path, e.g. /download/report.pdf (a whole link is cut to its path)').makeOptionMandatory())
    .addOption(new Option('--prefix', 'every URL starting with --url (e.g. --url /api/ --prefix)'));
  addQueryOptions(cmd, { formats: ANSWER_FORMATS, limit: 100 }).addHelpText('after', '\nExamples:\n  vigia logs who --url /wp-login.php --since 7d\n  vigia logs who --url /api/ --prefix --from 2026-12-01 --to 2026-12-07 --format csv > clients.csv\n');
  cmd.action(async (opts: Record<string, unknown>, c: Command) => {
    const flags = parseQueryFlags<AnswerFormat>(opts, Date.now(), dataDirGiven(c));
    const { url, note } = normaliseUrlArg(String(opts.url));
    if (note) process.stderr.write(`${sanitiseText(note)}\n`);
    const prefix = opts.prefix === true;
    await runQuestion(
      flags.source,
      flags.format,
      (q) => q.who({ url, prefix, from: flags.range.from, to: flags.range.to, limit: flags.limit }),
      (r) => renderWho(r, flags.format, { describe: flags.range.describe, limit: flags.limit, prefix }),
      (r) => r.clients.length === 0,
    );
  });
}
