/** `vigia logs top ips|urls|status|referrers|agents|hosts`: the most frequent keys by hits. */
import { Argument, type Command } from 'commander';
import { TOP_BY, type TopBy } from '../store/log-store.js';
import { ANSWER_FORMATS, renderTop, type AnswerFormat } from './render-answer.js';
import { addQueryOptions, dataDirGiven, parseQueryFlags } from './query-options.js';
import { runQuestion } from './run-question.js';

/** Attach `top` to `vigia logs`. */
export function registerTop(logs: Command): void {
  const cmd = logs
    .command('top')
    .description('the most frequent clients, URLs, status codes, referrers, user agents or web servers, by hits')
    .addArgument(new Argument('<by>', 'what to rank').choices([...TOP_BY]));
  addQueryOptions(cmd, { formats: ANSWER_FORMATS, limit: 10 }).addHelpText('after', '\nExamples:\n  vigia logs top urls --since 1h\n  vigia logs top ips --limit 50 --format json\n');
  cmd.action(async (by: TopBy, opts: Record<string, unknown>, c: Command) => {
    const flags = parseQueryFlags<AnswerFormat>(opts, Date.now(), dataDirGiven(c));
    await runQuestion(
      flags.source,
      flags.format,
      (q) => q.top({ by, from: flags.range.from, to: flags.range.to, limit: flags.limit }),
      (r) => renderTop(r, flags.format, { describe: flags.range.describe, limit: flags.limit }),
      (r) => r.rows.length === 0,
    );
  });
}
