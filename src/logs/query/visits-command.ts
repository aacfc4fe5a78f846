/** `vigia logs visits --ip IP`: what one client visited (URLs by hits, first and last seen, status mix). */
import { Option, type Command } from 'commander';
import { ANSWER_FORMATS, renderVisits, type AnswerFormat } from './render-answer.js';
import { addQueryOptions, dataDirGiven, parseQueryFlags } from './query-options.js';
import { parseIpArg } from './ip-arg.js';
import { runQuestion } from './run-question.js';

/** Attach `visits` to `vigia logs`. */
export function registerVisits(logs: Command): void {
  const cmd = logs
    .command('visits')
    .description('what one client visited: URLs by hits, first and last seen, status mix')
    .addOption(new Option('--ip <address>', 'the client address as logged (IPv4 or IPv6), or its truncated/hashed form').makeOptionMandatory());
  addQueryOptions(cmd, { formats: ANSWER_FORMATS, limit: 100 }).addHelpText('after', '\nExample:\n  vigia logs visits --ip 203.0.113.7 --since 7d\n');
  cmd.action(async (opts: Record<string, unknown>, c: Command) => {
    const flags = parseQueryFlags<AnswerFormat>(opts, Date.now(), dataDirGiven(c));
    const ip = parseIpArg(String(opts.ip));
    await runQuestion(
      flags.source,
      flags.format,
      (q) => q.visits({ ip, from: flags.range.from, to: flags.range.to, limit: flags.limit }),
      (r) => renderVisits(r, flags.format, { describe: flags.range.describe, limit: flags.limit }),
      (r) => r.urls.length === 0,
    );
  });
}
