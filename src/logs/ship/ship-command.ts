/** `vigia logs ship`: follow access logs on a web server and send their lines to the collector. */
import { hostname } from 'node:os';
import { Option, type Command } from 'commander';
import { optionNames } from '../../core/config.js';
import { DEFAULT_SHIP_SPOOL_DIR, DEFAULT_SHIP_STATE_DIR, DEFAULT_SPOOL_MAX_BYTES, parseShipConfig } from './ship-config.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Flags `ship` and `pipe` share (sending, batching, spooling); `spoolDefault` is each command's. */
export function addSendOptions(cmd: Command, spoolDefault: string | undefined): Command {
  const spool = new Option('--spool-dir <dir>', 'batches wait here (created 0700) while the collector is away; one shipper per directory');
  return cmd
    .addOption(new Option('--server <url>', 'the collector (vigia logs serve), e.g. http://logs.example:9300').env('VIGIA_LOGS_SERVER'))
    .addOption(new Option('--token-file <path>', 'file holding this host\'s token (vigia server enroll --host NAME), mode 600').env('VIGIA_LOGS_TOKEN_FILE'))
    .addOption(new Option('--ca <path>', 'CA certificate(s) (PEM) an https --server must chain to, instead of the system CAs'))
    .addOption(new Option('--log-format <name|string>', 'combined, common, vhost_combined, main, json, or an Apache LogFormat / nginx log_format string (parsed by the collector)').default('combined'))
    .addOption(new Option('--host <name>', 'this web server\'s name (the shipper id; default the host name)').env('VIGIA_LOGS_HOST'))
    .addOption(spoolDefault === undefined ? spool : spool.default(spoolDefault))
    .addOption(new Option('--spool-max-bytes <bytes>', 'bound of the spool; when full the oldest batches are dropped (and counted)').default(String(DEFAULT_SPOOL_MAX_BYTES)))
    .addOption(new Option('--queue-max-bytes <bytes>', 'compressed batches held in memory before they go to the spool').default(String(8 * 1024 * 1024)))
    .addOption(new Option('--max-line-bytes <n>', 'longer lines are shipped cut to this').default(String(64 * 1024)))
    .addOption(new Option('--batch-lines <n>', 'a batch is sent at this many lines...').default('10000'))
    .addOption(new Option('--batch-bytes <n>', '...or this many bytes (before gzip)...').default(String(2 * 1024 * 1024)))
    .addOption(new Option('--batch-age <ms>', '...or when its first line has waited this long').default('1000'))
    .addOption(new Option('--request-timeout <ms>', 'a batch not acknowledged within this is retried').default('15000'))
    .addOption(new Option('--stats-interval <ms>', 'a one-line stats log (lines read, acked, spooled, dropped) this often; 0: only at exit').default('60000'))
    .addOption(new Option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent').default('info').env('VIGIA_LOG_LEVEL'));
}

/** The raw values of the shared flags, for the config schemas. */
export function sendValues(opts: Record<string, unknown>): Record<string, unknown> {
  const str = (k: string): string | undefined => (opts[k] === undefined ? undefined : String(opts[k]));
  return {
    server: str('server'),
    tokenFile: str('tokenFile'),
    ca: str('ca'),
    format: String(opts.logFormat),
    host: str('host') ?? hostname(),
    spoolDir: str('spoolDir'),
    spoolMaxBytes: String(opts.spoolMaxBytes),
    memoryMaxBytes: String(opts.queueMaxBytes),
    maxLineBytes: String(opts.maxLineBytes),
    batchLines: String(opts.batchLines),
    batchBytes: String(opts.batchBytes),
    batchAgeMs: String(opts.batchAge),
    requestTimeoutMs: String(opts.requestTimeout),
    statsIntervalMs: String(opts.statsInterval),
    logLevel: opts.logLevel,
  };
}

/** Schema paths -> commander attributes where they differ (for optionNames). */
export const SEND_OPTION_RENAMES: Readonly<Record<string, string>> = {
  format: 'logFormat',
  memoryMaxBytes: 'queueMaxBytes',
  batchAgeMs: 'batchAge',
  requestTimeoutMs: 'requestTimeout',
  statsIntervalMs: 'statsInterval',
  globs: 'glob',
  pollMs: 'pollInterval',
  rotateGraceMs: 'rotateGrace',
  shutdownTimeoutMs: 'shutdownTimeout',
  flushTimeoutMs: 'flushTimeout',
};

/** Attach `vigia logs ship`. */
export function registerShip(logs: Command): void {
  const ship = logs
    .command('ship')
    .description('follow access logs like tail -F and send their lines to the collector (run on each web server)')
    .addOption(new Option('--glob <pattern>', 'files to follow, repeatable: an absolute directory and a file name with * ? [...] (no wildcards in the directory, no **)').argParser(collect))
    .addOption(new Option('--state-dir <dir>', 'offsets (dev:inode + position per file) and the dropped count, kept across restarts').default(DEFAULT_SHIP_STATE_DIR))
    .addOption(new Option('--start-at <where>', 'where files found at the very first start begin: end (like tail -F) or beginning; files appearing later are always read whole').choices(['end', 'beginning']).default('end'))
    .addOption(new Option('--read-gz', 'also read .gz files matching a glob, once each, whole (their lines may repeat lines shipped before they were compressed)'))
    .addOption(new Option('--poll-interval <ms>', 'how often files are checked for new lines, new files and rotation').default('250'))
    .addOption(new Option('--read-budget-bytes <n>', 'bytes read per poll at most, across files (bounds memory while catching up)').default(String(4 * 1024 * 1024)))
    .addOption(new Option('--max-files <n>', 'files followed at once at most').default('1024'))
    .addOption(new Option('--rotate-grace <ms>', 'a renamed or deleted file is read until it has not grown for this long, then closed').default('5000'))
    .addOption(new Option('--shutdown-timeout <ms>', 'on SIGTERM, time to send what was read before spooling the rest').default('5000'));
  addSendOptions(ship, DEFAULT_SHIP_SPOOL_DIR).addHelpText(
    'after',
    `
Every line read is acknowledged by the collector, spooled, or counted as dropped (X-Vigia-Log-Dropped,
and the stats line); nothing is lost silently. Offsets are saved (atomically, at most once a second)
only for lines acknowledged or spooled, so a restart resumes where it stopped and may send up to about
a second of lines again: the collector counts those as duplicates.

Rotation: by rename (the old file is read to its end, then the new one from its start) and by
copytruncate (the unread rest is read from the copy beside it, e.g. access.log.1; without one the lost
lines are estimated and counted as dropped).

  vigia logs ship --glob '/var/log/nginx/*access.log' --server http://logs.example:9300 \\
    --token-file /etc/vigia/logs.token --log-format combined
`,
  );
  ship.action(async (opts: Record<string, unknown>, cmd: Command) => {
    const config = parseShipConfig(
      {
        ...sendValues(opts),
        globs: (opts.glob as string[] | undefined) ?? [],
        stateDir: String(opts.stateDir),
        startAt: String(opts.startAt),
        readGz: opts.readGz === true,
        pollMs: String(opts.pollInterval),
        readBudgetBytes: String(opts.readBudgetBytes),
        maxFiles: String(opts.maxFiles),
        rotateGraceMs: String(opts.rotateGrace),
        shutdownTimeoutMs: String(opts.shutdownTimeout),
      },
      optionNames(cmd, SEND_OPTION_RENAMES),
    );
    const { runShipper } = await import('./shipper.js');
    await runShipper(config);
  });
}
