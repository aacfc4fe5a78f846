/**
 * `vigia logs report [--format html|json] [--out FILE]`: the GoAccess-style overview (LogStore.overview())
 * as one self-contained HTML page, or exactly the OverviewResult as JSON, to stdout or atomically to --out.
 */
import { Option, type Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { VigiaError } from '../../core/errors.js';
import { sanitiseText } from '../../core/sanitise.js';
import { sourceName } from '../query/open-questions.js';
import { addQueryOptions, dataDirGiven, parseQueryFlags } from '../query/query-options.js';
import { renderJson } from '../query/render-answer.js';
import { processOutput, runQuestion } from '../query/run-question.js';
import { renderReportHtml } from './render-html.js';

/** --out files are outputs the user asked for, not private state: 0644 less the umask (as vigia slo report). */
const OUTPUT_MODE = 0o644;

/** Attach `report` to `vigia logs`. */
export function registerReport(logs: Command): void {
  const cmd = logs
    .command('report')
    .description('the overview GoAccess gives: requests, unique visitors, top URLs, 404s, status codes, referrers, agents, bots, hourly distribution; HTML with charts, or JSON')
    .addOption(new Option('--out <file>', 'write the report here (atomically) instead of stdout'));
  addQueryOptions(cmd, { formats: ['html', 'json'], limit: 10 }).addHelpText('after', '\n--limit is the rows of each top list.\n\nExamples:\n  vigia logs report --since 7d --out report.html\n  vigia logs report --since all --format json\n');
  cmd.action(async (opts: Record<string, unknown>, c: Command) => {
    const now = Date.now();
    const flags = parseQueryFlags<'html' | 'json'>(opts, now, dataDirGiven(c));
    const out = opts.out === undefined ? undefined : String(opts.out);
    if (out === '') throw new VigiaError('VIGIA_ERR_CONFIG', '--out: must name a file');
    let page = '';
    await runQuestion(
      flags.source,
      flags.format,
      (q) => q.overview({ from: flags.range.from, to: flags.range.to, limit: flags.limit }),
      (r) => (flags.format === 'json' ? renderJson(r) : renderReportHtml(r, { describe: flags.range.describe, source: sourceName(flags.source), generatedAt: now })),
      (r) => r.requests === 0,
      out === undefined ? processOutput : { out: (t) => void (page += t), err: processOutput.err },
    );
    if (out !== undefined) {
      try {
        await writeFileAtomic(out, page, OUTPUT_MODE);
      } catch (err) {
        throw new VigiaError('VIGIA_ERR_CONFIG', `--out: cannot write ${sanitiseText(out)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
      }
      process.stderr.write(`wrote ${sanitiseText(out)}\n`);
    }
  });
}
