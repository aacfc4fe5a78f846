/** `vigia logs pipe`: Apache's `CustomLog "|vigia logs pipe ..."` target; never blocks the web server. */
import { Option, type Command } from 'commander';
import { optionNames } from '../../core/config.js';
import { addSendOptions, sendValues, SEND_OPTION_RENAMES } from '../ship/ship-command.js';
import { parsePipeConfig } from '../ship/ship-config.js';

/** Attach `vigia logs pipe`. */
export function registerPipe(logs: Command): void {
  const pipe = logs
    .command('pipe')
    .description('read log lines on stdin (Apache CustomLog "|...", an nginx FIFO) and send them to the collector; never blocks the writer')
    .addOption(new Option('--flush-timeout <ms>', 'at end of input (or SIGTERM), time to send what is queued before spooling the rest and exiting').default('5000'));
  addSendOptions(pipe, undefined).addHelpText(
    'after',
    `
stdin is read continuously whatever the collector does: lines go to a bounded memory queue
(--queue-max-bytes), then to --spool-dir if given (one directory per pipe), then are dropped and
counted (X-Vigia-Log-Dropped and the stats line). Apache:

  CustomLog "|/usr/local/bin/vigia logs pipe --server http://logs.example:9300 --token-file /etc/vigia/logs.token --spool-dir /var/lib/vigia-logs-pipe/site1" combined

nginx (through a FIFO read by a service): mkfifo /run/nginx-access.fifo, access_log /run/nginx-access.fifo;
  vigia logs pipe ... < /run/nginx-access.fifo
`,
  );
  pipe.action(async (opts: Record<string, unknown>, cmd: Command) => {
    const config = parsePipeConfig({ ...sendValues(opts), flushTimeoutMs: String(opts.flushTimeout) }, optionNames(cmd, SEND_OPTION_RENAMES));
    const { runPipe } = await import('./pipe.js');
    await runPipe(config);
  });
}
