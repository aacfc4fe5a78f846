/** `vigia agent`: the per-host API (devices, system, processes, node_exporter-compatible /metrics, actions). */
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { VigiaError } from '../core/errors.js';
import { COLLECTORS, isCollectorName, unknownCollectorMessage } from './collectors/registry.js';
import { optionNames } from '../core/config.js';
import { AGENT_OPTION_RENAMES, DEFAULT_AGENT_LISTEN, DEFAULT_BUNDLE_DIR, DEFAULT_SPOOL_DIR, parseAgentConfig } from './config.js';
import { DEFAULT_SPOOL_MAX_BYTES } from './report/spool.js';

/** Where the shipped actions live relative to the built CLI (dist/agent/command.js -> deploy/agent/actions). */
const SHIPPED_ACTIONS = fileURLToPath(new URL('../../deploy/agent/actions', import.meta.url));

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Flags that only mean something with --report-to: giving any of them turns the report section on (and its checks). */
const REPORT_FLAGS = ['reportTo', 'reportTokenFile', 'reportInterval', 'reportJitter', 'spoolDir', 'spoolMaxBytes', 'hostName', 'tag', 'reportCa', 'bundleDir', 'bundleKey'] as const;

/**
 * The agent's command: a `--collector.<name>` / `--no-collector.<name>` naming no collector is a config
 * error that lists the collectors, instead of commander's generic "unknown option".
 */
class AgentCommand extends Command {
  unknownOption(flag: string): never {
    const m = /^--(?:no-)?collector\.([^=]*)/.exec(flag);
    const name = m?.[1];
    // `--collector.filesystem.foo` is a typo in a known collector's option: commander's message (with its suggestion) fits that.
    if (name !== undefined && !isCollectorName(name.split('.')[0] ?? '')) throw new VigiaError('VIGIA_ERR_CONFIG', unknownCollectorMessage(flag.split('=')[0]!, name));
    return (Command.prototype as unknown as { unknownOption(flag: string): never }).unknownOption.call(this, flag);
  }
}

/** `--collector.<name>` and `--no-collector.<name>` for every collector of the registry, with node_exporter's wording. */
function collectorOptions(): Option[] {
  return COLLECTORS.flatMap((c) => [
    new Option(`--collector.${c.name}`, `enable the ${c.name} collector: ${c.description} (default: ${c.defaultEnabled ? 'enabled' : 'disabled'})`),
    new Option(`--no-collector.${c.name}`, `disable the ${c.name} collector`),
  ]);
}

/** Attach `vigia agent` to the program. */
export function register(program: Command): void {
  const agent = new AgentCommand('agent');
  agent.copyInheritedSettings(program);
  program.addCommand(agent);
  agent
    .description('per-host agent: device usage, system health, top processes, node_exporter-compatible /metrics, allow-listed actions')
    .addOption(new Option('--listen <host:port>', 'address to listen on').default(DEFAULT_AGENT_LISTEN).env('VIGIA_AGENT_LISTEN'))
    .addOption(new Option('--auth-token-file <path>', 'token hashes with scopes, one per line: sha256:<hex> [scopes=read,actions,cmdline] [name=x] (vigia token new)').env('VIGIA_AGENT_AUTH_TOKEN_FILE'))
    .addOption(new Option('--tls-cert <path>', 'serve HTTPS with this certificate (PEM)').env('VIGIA_AGENT_TLS_CERT'))
    .addOption(new Option('--tls-key <path>', 'private key of --tls-cert (PEM)').env('VIGIA_AGENT_TLS_KEY'))
    .addOption(new Option('--tls-client-ca <path>', 'require client certificates signed by this CA (mTLS); tokens are still required').env('VIGIA_AGENT_TLS_CLIENT_CA'))
    .addOption(new Option('--path.rootfs <dir>', 'host root filesystem (in a container: /host)').default('/'))
    .addOption(new Option('--path.procfs <dir>', 'host procfs').default('/proc'))
    .addOption(new Option('--path.sysfs <dir>', 'host sysfs').default('/sys'))
    .addOption(new Option('--path.udev.data <dir>', 'udev database (LVM names of device-mapper devices); default <rootfs>/run/udev/data'))
    .addOption(new Option('--collector.filesystem.mount-points-exclude <regexp>', "mountpoints to leave out (default: node_exporter's)"))
    .addOption(new Option('--collector.filesystem.fs-types-exclude <regexp>', "filesystem types to leave out (default: node_exporter's)"))
    .addOption(new Option('--collector.filesystem.mount-points-include <regexp>', 'only these mountpoints'))
    .addOption(new Option('--collector.filesystem.fs-types-include <regexp>', 'only these filesystem types'))
    .addOption(new Option('--collector.disable-defaults', 'start with every collector disabled; --collector.<name> turns one on'));
  for (const o of collectorOptions()) agent.addOption(o);
  agent
    .addOption(new Option('--statfs-timeout <ms>', 'deadline for statfs of one mount; a mount that misses it is skipped until it answers').default('1000'))
    .addOption(new Option('--role <role=path>', 'volume role by mountpoint or device, repeatable: data=/var/lib/mysql binlog=/var/log/mysql').argParser(collect))
    .addOption(new Option('--no-mysql-detect', 'do not ask the local MySQL/MariaDB for its datadir and log_bin paths'))
    .addOption(new Option('--mysql-socket <path>', 'local MySQL/MariaDB socket (host path; under --path.rootfs)').default('/run/mysqld/mysqld.sock'))
    .addOption(new Option('--mysql-user <name>', 'MySQL user for role detection (needs no privileges)').default('vigia'))
    .addOption(new Option('--mysql-password-file <path>', 'file holding that user\'s password').env('VIGIA_AGENT_MYSQL_PASSWORD_FILE'))
    .addOption(new Option('--actions-dir <dir>', 'allow-listed actions (one directory with a manifest.json per action)').default(SHIPPED_ACTIONS))
    .addOption(new Option('--no-actions', 'serve no actions at all'))
    .addOption(new Option('--actions-user <name>', 'user that actions and bundle checks run as: not root, not the agent\'s own uid (switching needs root or CAP_SETUID+CAP_SETGID; without, use --no-actions)').default('nobody'))
    .addOption(new Option('--audit-log <path>', 'append-only JSON-lines audit log of action calls').default('data/agent-audit.log').env('VIGIA_AGENT_AUDIT_LOG'))
    .addOption(new Option('--rate-limit <rate[/burst]>', 'requests per second per client (token or address)').default('20/40'))
    .addOption(new Option('--request-timeout <ms>', 'a request must arrive whole within this').default('10000'))
    .addOption(new Option('--sample-interval <ms>', 'CPU and disk counters are sampled this often for rates').default('10000'))
    .addOption(new Option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent').default('info').env('VIGIA_LOG_LEVEL'))
    .addOption(new Option('--shutdown-timeout <ms>', 'hard deadline for draining on SIGTERM').default('10000'))
    .addOption(new Option('--report-to <url>', 'push a host report to this control plane (vigia server) every interval; off when absent').env('VIGIA_AGENT_REPORT_TO'))
    .addOption(new Option('--report-token-file <path>', 'file holding the host token from "vigia server enroll --host NAME" (mode 600; required with --report-to)').env('VIGIA_AGENT_REPORT_TOKEN_FILE'))
    .addOption(new Option('--report-interval <seconds>', 'seconds between reports, 10-3600').default('60'))
    .addOption(new Option('--report-jitter <fraction>', 'up to this fraction of the interval is added at random to each interval, 0-0.5').default('0.1'))
    .addOption(new Option('--report-ca <path>', 'CA certificate(s) (PEM) an https --report-to must chain to, instead of the system CAs'))
    .addOption(new Option('--spool-dir <dir>', 'undelivered reports are kept here (created 0700) until the control plane takes them').default(DEFAULT_SPOOL_DIR))
    .addOption(new Option('--spool-max-bytes <bytes>', 'bound of the spool; when full the oldest reports are dropped').default(String(DEFAULT_SPOOL_MAX_BYTES)))
    .addOption(new Option('--host-name <name>', 'host name in reports; must match the name the token was enrolled for (default: os.hostname())').env('VIGIA_AGENT_HOST_NAME'))
    .addOption(new Option('--tag <key=value>', 'tag carried by every report, repeatable: --tag dc=mad1 --tag tier=gold (the host\'s reported tags: vigia run selects them as reported:KEY=V, never as the operator\'s KEY=V)').argParser(collect))
    .addOption(new Option('--bundle-dir <dir>', 'check-bundle releases are installed here (with --report-to: the agent long-polls the control plane for bundles and fleet-run tasks)').default(DEFAULT_BUNDLE_DIR))
    .addOption(new Option('--bundle-key <file>', 'trust check bundles signed by this ed25519 public key (PEM, from "vigia bundle keygen"); repeatable; without it every bundle is refused').argParser(collect));
  agent.action(async (opts: Record<string, unknown>, cmd: Command) => {
    const rootfs = String(opts['path.rootfs']);
    const str = (k: string): string | undefined => (opts[k] === undefined ? undefined : String(opts[k]));
    const config = parseAgentConfig({
      listen: String(opts.listen),
      authTokenFile: str('authTokenFile'),
      tls: opts.tlsCert || opts.tlsKey || opts.tlsClientCa ? { cert: str('tlsCert') ?? '', key: str('tlsKey') ?? '', clientCa: str('tlsClientCa') } : undefined,
      roots: {
        rootfs,
        procfs: String(opts['path.procfs']),
        sysfs: String(opts['path.sysfs']),
        udevData: str('path.udev.data') ?? `${rootfs.replace(/\/$/, '')}/run/udev/data`,
      },
      filter: {
        mountPointsExclude: str('collector.filesystem.mountPointsExclude'),
        fsTypesExclude: str('collector.filesystem.fsTypesExclude'),
        mountPointsInclude: str('collector.filesystem.mountPointsInclude'),
        fsTypesInclude: str('collector.filesystem.fsTypesInclude'),
      },
      statfsTimeoutMs: String(opts.statfsTimeout),
      collectors: {
        disableDefaults: opts['collector.disableDefaults'] === true,
        set: Object.fromEntries(COLLECTORS.filter((c) => typeof opts[`collector.${c.name}`] === 'boolean').map((c) => [c.name, opts[`collector.${c.name}`] as boolean])),
      },
      roles: (opts.role as string[] | undefined) ?? [],
      mysql: { detect: opts.mysqlDetect !== false, socket: String(opts.mysqlSocket), user: String(opts.mysqlUser), passwordFile: str('mysqlPasswordFile') },
      actionsDir: opts.actions === false ? null : String(opts.actionsDir),
      actionsUser: String(opts.actionsUser),
      auditLog: String(opts.auditLog),
      rateLimit: String(opts.rateLimit),
      requestTimeoutMs: String(opts.requestTimeout),
      sampleIntervalMs: String(opts.sampleInterval),
      logLevel: opts.logLevel,
      shutdownTimeoutMs: String(opts.shutdownTimeout),
      report: REPORT_FLAGS.some((k) => ['cli', 'env'].includes(cmd.getOptionValueSource(k) ?? ''))
        ? {
            to: str('reportTo'),
            tokenFile: str('reportTokenFile'),
            intervalSeconds: String(opts.reportInterval),
            jitter: String(opts.reportJitter),
            spoolDir: String(opts.spoolDir),
            spoolMaxBytes: String(opts.spoolMaxBytes),
            hostName: str('hostName') ?? hostname(),
            tags: (opts.tag as string[] | undefined) ?? [],
            ca: str('reportCa'),
            bundleDir: String(opts.bundleDir),
            bundleKeys: (opts.bundleKey as string[] | undefined) ?? [],
          }
        : undefined,
    }, optionNames(cmd, AGENT_OPTION_RENAMES));
    const { runAgent } = await import('./run.js');
    await runAgent(config);
  });
  agent.addHelpText(
    'after',
    `
Examples:
  vigia token new --scopes read --name grafana            # a read-only token and its hash line
  vigia token new --scopes read,actions --name ops        # may also run actions
  vigia token new --scopes cmdline --name debug         # may also see whole command lines in /v1/processes
  vigia agent --auth-token-file /etc/vigia/agent.tokens --role data=/var/lib/mysql --role binlog=/var/log/mysql
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:9110/v1/devices
  curl -H "Authorization: Bearer $TOKEN" -X POST -H 'content-type: application/json' \\
       -d '{"days": 7}' http://127.0.0.1:9110/v1/actions/purge-binlogs
  vigia agent --auth-token-file /etc/vigia/agent.tokens --report-to https://vigia.example:8443 \\
       --report-token-file /etc/vigia/report.token --tag dc=mad1   # push a report every 60 s

In a container (host / mounted read-only at /host, --pid=host): --path.rootfs /host --path.procfs /host/proc
--path.sysfs /host/sys. See docs/agent.md.`,
  );
}
