/** `vigia logs serve`: the access-log collector (HTTP ingest from shippers, syslog, the operator query API). */
import { Option, type Command } from 'commander';
import { optionNames } from '../../core/config.js';
import { DEFAULT_LOGS_DATA_DIR, DEFAULT_RETENTION_DAYS } from '../store/open-store.js';
import { DEFAULT_COLLECTOR_LISTEN, parseServeConfig } from './serve-config.js';

/** Attach `vigia logs serve` to the `logs` command. */
export function registerServe(logs: Command): void {
  logs
    .command('serve')
    .description('collect access logs: shippers (POST /v1/logs/lines), syslog (UDP/TCP), and answer who/top/visits queries')
    .addOption(new Option('--listen <host:port>', 'HTTP address for shippers and queries').default(DEFAULT_COLLECTOR_LISTEN).env('VIGIA_LOGS_LISTEN'))
    .addOption(new Option('--data-dir <dir>', 'embedded store directory (DuckDB)').default(DEFAULT_LOGS_DATA_DIR).env('VIGIA_LOGS_DATA_DIR'))
    .addOption(new Option('--store <url>', 'ClickHouse HTTP URL (clickhouse://, http://, https://) instead of the embedded store').env('VIGIA_LOGS_STORE'))
    .addOption(new Option('--control <url>', 'control plane URL: shippers present their host enrolment token (vigia server enroll), checked there').env('VIGIA_LOGS_CONTROL'))
    .addOption(new Option('--shipper-tokens <file>', 'without a control plane: shipper token hashes, one per line: sha256:<hex> name=<web server>').env('VIGIA_LOGS_SHIPPER_TOKENS'))
    .addOption(new Option('--tokens <file>', 'operator token hashes (vigia token new); scope read for queries and /metrics').env('VIGIA_LOGS_TOKENS'))
    .addOption(new Option('--retention-days <n>', 'lines older than this are removed (hourly, and at start)').default(String(DEFAULT_RETENTION_DAYS)))
    .addOption(new Option('--ip-privacy <mode>', 'client addresses as stored: none, truncate (IPv4 /24, IPv6 /48) or hash (keyed)').choices(['none', 'truncate', 'hash']).default('none'))
    .addOption(new Option('--ip-hash-key-file <file>', 'key for --ip-privacy hash (at least 16 bytes; keep it: a new key makes new hashes)'))
    .addOption(new Option('--syslog-udp <host:port>', 'receive syslog (RFC 3164/5424) over UDP here; no authentication: keep it on loopback or firewalled'))
    .addOption(new Option('--syslog-tcp <host:port>', 'receive syslog over TCP here (octet counting or LF framing); no authentication'))
    .addOption(new Option('--syslog-log-format <format>', 'the access-log format inside syslog messages: a name (combined, common, vhost_combined, nginx, main, json) or a LogFormat / log_format string').default('combined'))
    .addOption(new Option('--max-queued-lines <n>', 'lines waiting for the store at most; beyond it shippers get 503 + Retry-After and spool').default('500000'))
    .addOption(new Option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent').default('info').env('VIGIA_LOG_LEVEL'))
    .addOption(new Option('--shutdown-timeout <ms>', 'hard deadline for draining on SIGTERM').default('30000'))
    .addHelpText(
      'after',
      `
Shippers (vigia logs ship / pipe) authenticate with their host's enrolment token: run the collector
with --control URL and every token the control plane knows works (checked with GET /v1/agent/whoami,
cached 5 min; unknown tokens 30 s). Without a control plane, list shipper tokens in --shipper-tokens:
  vigia token new            # prints the token and its hash
  echo 'sha256:<hash> name=web-0001' >> shippers.tokens
The name is the web server every line of that shipper is filed under.

Syslog (nginx access_log syslog:server=..., rsyslog, syslog-ng) has no authentication: the default is
no syslog listener; bind it to loopback or to an address only the web servers reach. Lines are filed
under the syslog HOSTNAME.

Examples:
  vigia logs serve --control https://control:8443 --tokens ops.tokens --listen 0.0.0.0:8470
  vigia logs serve --shipper-tokens shippers.tokens --syslog-udp 127.0.0.1:5514 --syslog-log-format combined
  vigia logs serve --store http://clickhouse:8123/?database=logs --control https://control:8443 --ip-privacy truncate
`,
    )
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const str = (k: string): string | undefined => (opts[k] === undefined ? undefined : String(opts[k]));
      const config = parseServeConfig(
        {
          listen: String(opts.listen),
          dataDir: String(opts.dataDir),
          store: str('store'),
          tokens: str('tokens'),
          control: str('control'),
          shipperTokens: str('shipperTokens'),
          retentionDays: String(opts.retentionDays),
          ipPrivacy: String(opts.ipPrivacy),
          ipHashKeyFile: str('ipHashKeyFile'),
          syslogUdp: str('syslogUdp'),
          syslogTcp: str('syslogTcp'),
          syslogLogFormat: String(opts.syslogLogFormat),
          maxQueuedLines: String(opts.maxQueuedLines),
          logLevel: opts.logLevel,
          shutdownTimeoutMs: String(opts.shutdownTimeout),
        },
        optionNames(cmd),
      );
      const { runCollector } = await import('./run-collector.js');
      await runCollector(config);
    });
}
