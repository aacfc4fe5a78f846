/**
 * `vigia logs import FILE... [--log-format NAME|STRING] [--host NAME] [--data-dir DIR | --store URL]`: a
 * one-shot load of access-log files (plain or gzip) into the store, with progress on stderr (a live line
 * on a terminal, a line every few seconds otherwise) and one summary on stdout. Ctrl-C stops after the
 * batch being stored and says how far it got; a second Ctrl-C quits at once.
 */
import { hostname } from 'node:os';
import { Argument, Option, type Command } from 'commander';
import { VigiaError } from '../../core/errors.js';
import { HOST_NAME_RE, HOST_NAME_RULE } from '../../core/contracts/host-report.js';
import { compileLogFormat } from '../parse/compile.js';
import { FORMAT_NAMES } from '../parse/named-formats.js';
import { addSourceOptions, dataDirGiven, parseSource } from '../query/query-options.js';
import { openLogStore } from '../store/open-store.js';
import { IP_PRIVACY_MODES, privacyFromFlags } from '../privacy-flags.js';
import { importSummary, progressLine } from './import-report.js';
import { checkFiles, runImport } from './run-import.js';

/** How often progress is printed: live on a terminal, sparse in a log file. */
const TTY_PROGRESS_MS = 250;
const LOG_PROGRESS_MS = 5000;

/** Attach `import` to `vigia logs`. */
export function registerImport(logs: Command): void {
  const cmd = logs
    .command('import')
    .description('load access-log files (plain or gzip) into the store: progress on stderr, then lines read, stored and rejected by reason')
    .addArgument(new Argument('<files...>', 'access-log files; gzip is recognised by its content'))
    .addOption(new Option('--log-format <name|string>', `${FORMAT_NAMES.join(', ')}, or an Apache LogFormat ("%h %l %u %t \\"%r\\" %>s %b") or nginx log_format ("$remote_addr ... $status") string`).default('combined'))
    .addOption(new Option('--host <name>', 'the web server the files came from (default: this machine\'s name)'))
    .addOption(new Option('--ip-privacy <mode>', 'client addresses as stored: none, truncate (IPv4 /24, IPv6 /48) or hash (keyed); as the collector\'s flag').choices([...IP_PRIVACY_MODES]).default('none'))
    .addOption(new Option('--ip-hash-key-file <file>', 'key for --ip-privacy hash (the collector\'s key file gives the same hashes)'));
  addSourceOptions(cmd, false).addHelpText('after', `
Examples:
  vigia logs import /var/log/nginx/access.log /var/log/nginx/access.log.*.gz --log-format nginx --host web-042
  vigia logs import other_vhosts_access.log --log-format vhost_combined
  vigia logs import app.log --log-format '%h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i" %D'

Lines that do not parse are counted by reason (a few are shown), never fatal. Importing a file twice
stores its lines twice.
`);
  cmd.action(async (files: string[], opts: Record<string, unknown>, c: Command) => {
    const source = parseSource(opts, dataDirGiven(c));
    const host = opts.host === undefined ? hostname() : String(opts.host);
    if (!HOST_NAME_RE.test(host)) throw new VigiaError('VIGIA_ERR_CONFIG', `--host "${host.slice(0, 80)}": ${HOST_NAME_RULE}`);
    const parser = compileLogFormat(String(opts.logFormat));
    const client = await privacyFromFlags(String(opts.ipPrivacy), opts.ipHashKeyFile === undefined ? undefined : String(opts.ipHashKeyFile));
    // Every file is checked before the store is opened (or created): a typo imports nothing.
    await checkFiles(files);
    if (source.kind === 'server') throw new VigiaError('VIGIA_ERR_CONFIG', '--server: import writes to a store (--data-dir or --store); ship to a collector with vigia logs ship');
    const store = await openLogStore(source.kind === 'store' ? { url: source.url } : { dataDir: source.dataDir });

    const controller = new AbortController();
    const onSigint = (): void => {
      if (controller.signal.aborted) {
        process.stderr.write('\nvigia logs import: second Ctrl-C, quitting now (the batch being stored may be lost)\n');
        process.exit(130);
      }
      controller.abort();
      process.stderr.write('\nstopping after the batch being stored (Ctrl-C again to quit at once)\n');
    };
    process.on('SIGINT', onSigint);
    const tty = process.stderr.isTTY === true;
    let lastPrint = Date.now();
    let live = false;
    try {
      const result = await runImport({
        files,
        parser,
        server: host,
        ...(client ? { client } : {}),
        insert: (records) => store.insert(records),
        signal: controller.signal,
        onProgress: (p) => {
          const t = Date.now();
          if (t - lastPrint < (tty ? TTY_PROGRESS_MS : LOG_PROGRESS_MS)) return;
          lastPrint = t;
          if (tty) {
            process.stderr.write(`\r\x1b[K${progressLine(p)}`);
            live = true;
          } else process.stderr.write(`${progressLine(p)}\n`);
        },
      });
      if (live) process.stderr.write('\r\x1b[K');
      process.stdout.write(importSummary(result.progress, result.tally, result.stopped));
      if (result.stopped) process.exitCode = 130;
    } finally {
      if (live) process.stderr.write('\r\x1b[K');
      process.off('SIGINT', onSigint);
      await store.close();
    }
  });
}
