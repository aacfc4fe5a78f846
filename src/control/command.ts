/**
 * `vigia server`: the fleet control plane (ingest, store, scheduled reports), and its operator
 * commands `vigia server enroll | hosts | remove`, which talk to a running server (`--server URL`) or
 * open the store directly (PostgreSQL, or the embedded store when no server holds it).
 */
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { writeFileAtomic } from '../core/atomic-file.js';
import { hashToken, newToken } from '../core/auth.js';
import { HOST_NAME_RE, HOST_NAME_RULE } from '../core/contracts/host-report.js';
import { parseTagFlags } from '../core/contracts/tags.js';
import { optionNames } from '../core/config.js';
import { VigiaError } from '../core/errors.js';
import { sanitiseJson, sanitiseText } from '../core/sanitise.js';
import { parseAnswer } from '../core/client-errors.js';
import { callServer, serverTarget } from './client.js';
import { renderHostsTable, type HostListRow } from './hosts-table.js';
import { defaultReportPolicy } from './reports/policy.js';
import { CONTROL_OPTION_RENAMES, DEFAULT_DATA_DIR, DEFAULT_SERVER_LISTEN, parseControlConfig, parseStoreLocation } from './config.js';
import { parseWhere, type WhereClause } from './fleet-runs/selector.js';
import { plural } from '../core/plural.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--database` / `--data-dir` / `--server` / `--token-file`, shared by the operator commands. */
export function addStoreOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--server <url>', 'ask a running vigia server (needed while it holds the embedded store)').env('VIGIA_SERVER_URL'))
    .addOption(new Option('--token-file <path>', 'file holding an operator token (with --server)').env('VIGIA_TOKEN_FILE'))
    .addOption(new Option('--database <url>', 'PostgreSQL URL (postgres://user@host/db)').env('VIGIA_DATABASE_URL'))
    .addOption(new Option('--data-dir <dir>', 'embedded store directory').default(DEFAULT_DATA_DIR).env('VIGIA_DATA_DIR'));
}

/** Open the store named by --database / --data-dir (migrated), for a CLI command. */
export async function openStoreFromOptions(opts: Record<string, unknown>) {
  const location = parseStoreLocation({ database: opts.database, dataDir: opts.dataDir });
  const { openControlStore } = await import('./store/sql-store.js');
  return openControlStore({ database: location.database, dataDir: location.dataDir });
}

/**
 * `vigia server --data-dir X enroll` would open ./data/control, not X (the server's own options are
 * not the subcommand's): refuse it rather than enrol into the wrong store.
 */
function refuseParentStoreOptions(cmd: Command): void {
  const parent = cmd.parent;
  for (const [key, flag] of [['database', '--database'], ['dataDir', '--data-dir']] as const) {
    if (parent?.getOptionValueSource(key) === 'cli') {
      throw new VigiaError('VIGIA_ERR_CONFIG', `${flag} must come after "${cmd.name()}" (vigia server ${cmd.name()} ${flag} ...)`);
    }
  }
}


/** Attach `vigia server` and its operator subcommands to the program. */
export function register(program: Command): void {
  const server = program
    .command('server')
    .description('fleet control plane: ingest host reports (push and pull), store them, mail daily capacity and performance reports')
    // `vigia server hosts --data-dir X`: options after a subcommand are the subcommand's, not the server's.
    .enablePositionalOptions()
    .addOption(new Option('--listen <host:port>', 'address to listen on').default(DEFAULT_SERVER_LISTEN).env('VIGIA_SERVER_LISTEN'))
    .addOption(new Option('--database <url>', 'PostgreSQL URL; without it the embedded store (PGlite) in --data-dir is used').env('VIGIA_DATABASE_URL'))
    .addOption(new Option('--data-dir <dir>', 'embedded store directory').default(DEFAULT_DATA_DIR).env('VIGIA_DATA_DIR'))
    .addOption(new Option('--auth-token-file <path>', 'operator token hashes: sha256:<hex> [scopes=read|read,admin] [name=x] (vigia token new)').env('VIGIA_SERVER_AUTH_TOKEN_FILE'))
    .addOption(new Option('--tls-cert <path>', 'serve HTTPS with this certificate (PEM); agents then report to https://').env('VIGIA_SERVER_TLS_CERT'))
    .addOption(new Option('--tls-key <path>', 'private key of --tls-cert (PEM)').env('VIGIA_SERVER_TLS_KEY'))
    .addOption(new Option('--tls-client-ca <path>', 'require client certificates signed by this CA (mTLS); tokens are still required').env('VIGIA_SERVER_TLS_CLIENT_CA'))
    .addOption(new Option('--config <file>', 'YAML: report thresholds, schedules, recipients, SMTP (docs/control-plane.md)').env('VIGIA_SERVER_CONFIG'))
    .addOption(new Option('--retention-days <n>', 'history kept online; older day partitions are dropped').default('90'))
    .addOption(new Option('--no-fleet', 'serve reports only: no agent long-polls, bundles, rollouts or fleet runs (ingest replicas; exactly one process per database drives fleet changes)'))
    .addOption(new Option('--bundle-public-key <file>', 'accept check bundles signed by this ed25519 public key (PEM, vigia bundle keygen); repeatable').argParser(collectKeys).env('VIGIA_BUNDLE_PUBLIC_KEY'))
    .addOption(new Option('--pull-targets <file>', 'YAML/JSON list of agents and node_exporters to pull'))
    .addOption(new Option('--pull-interval <seconds>', 'how often pulled targets are scraped').default('60'))
    .addOption(new Option('--ingest-batch <n>', 'reports per database transaction at most').default('500'))
    .addOption(new Option('--ingest-wait <ms>', 'the first report of a quiet period waits this long for others to share its transaction (a busy queue never waits)').default('1000'))
    .addOption(new Option('--ingest-max-queued <n>', 'reports waiting for the database at most; beyond it 503 + Retry-After').default('20000'))
    .addOption(new Option('--rate-limit <rate[/burst]>', 'operator API requests per second per token or address').default('20/40'))
    .addOption(new Option('--host-rate-limit <rate[/burst]>', 'reports per second per host (above 1/interval only while a spool drains)').default('20/100'))
    .addOption(new Option('--unknown-token-rate-limit <rate[/burst]>', 'requests per second per client address with a host token not known to this process (guesses; hosts unseen since start)').default('50/500'))
    .addOption(new Option('--max-connections-per-address <n>', 'open connections per client address (behind a load balancer without --trusted-proxy, every connection is the proxy\'s: raise it)').default('1024'))
    .addOption(new Option('--trusted-proxy <cidr>', 'a load balancer (address or CIDR) whose PROXY protocol header, else X-Forwarded-For, names the client for rate limits, connection caps and logs; repeatable').argParser(collectKeys).env('VIGIA_SERVER_TRUSTED_PROXY'))
    .addOption(new Option('--request-timeout <ms>', 'a request must arrive whole within this').default('15000'))
    .addOption(new Option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent').default('info').env('VIGIA_LOG_LEVEL'))
    .addOption(new Option('--shutdown-timeout <ms>', 'hard deadline for draining on SIGTERM').default('15000'))
    .addOption(new Option('--workers <n|auto>', 'processes sharing the port (auto: one per core); one leads fleet changes, schedules and pulls; >1 needs --database').default('1').env('VIGIA_SERVER_WORKERS'))
    .addOption(new Option('--logs-server <url>', 'a log collector (vigia logs serve) the web console\'s logs page asks').env('VIGIA_SERVER_LOGS_SERVER'))
    .addOption(new Option('--logs-token-file <path>', 'file holding an operator token of --logs-server with scope read').env('VIGIA_SERVER_LOGS_TOKEN_FILE'))
    .addOption(new Option('--slo-spec <path>', 'SLO spec directory or file for the web console\'s SLO page (as vigia slo report --spec); repeatable').argParser(collectKeys))
    .addOption(new Option('--slo-period <period>', 'period the SLO page shows first: 2025, 2025-Q3, 2025-03, 2025-01-01..2025-07-01, or the last 365d').default('365d'))
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const str = (k: string): string | undefined => (opts[k] === undefined ? undefined : String(opts[k]));
      const config = parseControlConfig({
        listen: String(opts.listen),
        store: { database: str('database'), dataDir: String(opts.dataDir) },
        authTokenFile: str('authTokenFile'),
        tls: opts.tlsCert || opts.tlsKey || opts.tlsClientCa ? { cert: str('tlsCert') ?? '', key: str('tlsKey') ?? '', clientCa: str('tlsClientCa') } : undefined,
        configFile: str('config'),
        retentionDays: String(opts.retentionDays),
        pullTargets: str('pullTargets'),
        fleet: opts.fleet !== false,
        bundlePublicKeys: Array.isArray(opts.bundlePublicKey) ? opts.bundlePublicKey : opts.bundlePublicKey ? [String(opts.bundlePublicKey)] : [],
        pullIntervalSeconds: String(opts.pullInterval),
        ingestBatch: String(opts.ingestBatch),
        ingestWaitMs: String(opts.ingestWait),
        ingestMaxQueued: String(opts.ingestMaxQueued),
        rateLimit: String(opts.rateLimit),
        hostRateLimit: String(opts.hostRateLimit),
        unknownTokenRateLimit: String(opts.unknownTokenRateLimit),
        maxConnectionsPerAddress: String(opts.maxConnectionsPerAddress),
        // The env variable holds a comma-separated list; each flag one CIDR (a comma list works too).
        trustedProxies: (Array.isArray(opts.trustedProxy) ? (opts.trustedProxy as string[]) : opts.trustedProxy ? [String(opts.trustedProxy)] : []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean),
        requestTimeoutMs: String(opts.requestTimeout),
        logLevel: opts.logLevel,
        shutdownTimeoutMs: String(opts.shutdownTimeout),
        workers: opts.workers === 'auto' ? String(availableParallelism()) : String(opts.workers),
        logsServer: str('logsServer'),
        logsTokenFile: str('logsTokenFile'),
        sloSpecs: Array.isArray(opts.sloSpec) ? opts.sloSpec : [],
        sloPeriod: String(opts.sloPeriod),
      }, optionNames(cmd, CONTROL_OPTION_RENAMES));
      const { runControlPlane } = await import('./run.js');
      await runControlPlane(config);
    });

  addStoreOptions(
    server
      .command('enroll')
      .description('enrol a host, or every host of a file (or rotate their tokens): prints each token once; only its hash is stored')
      .addOption(new Option('--host <name>', 'host name, as the agent reports it (--host-name, default its hostname)'))
      .addOption(new Option('--tag <key=value>', 'operator tag, repeatable (e.g. --tag dc=mad1 --tag tier=db); replaces the host\'s operator tags, which vigia run --where KEY=V selects and no report can change').argParser(collect))
      .addOption(new Option('--write-token-file <path>', 'write the token to this file (mode 0600) instead of stdout'))
      .addOption(new Option('--from <file>', 'enrol every host listed in FILE (one per line: NAME [KEY=VALUE ...]; see below) instead of --host'))
      .addOption(new Option('--write-token-dir <dir>', 'with --from: write each token to DIR/<host>.token (mode 0600; DIR is created 0700) instead of stdout')),
  ).addHelpText(
    'after',
    `
--from FILE lists one host per line: NAME [KEY=VALUE ...], separated by blanks; # starts a comment.
A line without tags rotates that host's token and keeps its tags (as --host without --tag). The whole
file is checked first: one bad line (a bad name or tag, a host listed twice) enrols nobody and names
the line. With --server the hosts go 1000 a request (POST /v1/hosts/enroll, scope admin; one a request
to a server older than bulk enrolment); 429 and 503 answers are retried after Retry-After.

Tokens: with --write-token-dir DIR each goes to DIR/<host>.token (mode 0600; DIR is created 0700, an
existing DIR must not be readable by group or others) and none is printed; without it each is printed
once on stdout as "HOST TOKEN". Hosts enrolled before a failure keep their new tokens, which are still
written or printed.

  # hosts.txt
  db-0001 dc=mad1 tier=db
  db-0002 dc=mad1 tier=db
  web-0001 dc=bcn1

  vigia server enroll --from hosts.txt --write-token-dir tokens --server http://127.0.0.1:8443 --token-file ops.secret
  vigia server enroll --from hosts.txt --write-token-dir tokens --data-dir /var/lib/vigia/control
`,
  ).action(async (opts: Record<string, unknown>, cmd: Command) => {
    refuseParentStoreOptions(cmd);
    if (opts.from !== undefined) {
      if (opts.host !== undefined) throw new VigiaError('VIGIA_ERR_CONFIG', '--from: give --host NAME or --from FILE, not both');
      if (opts.tag !== undefined) throw new VigiaError('VIGIA_ERR_CONFIG', '--tag: with --from, tags go on each line of the file (NAME KEY=VALUE ...)');
      if (opts.writeTokenFile !== undefined) throw new VigiaError('VIGIA_ERR_CONFIG', '--write-token-file: with --from, use --write-token-dir DIR (one DIR/<host>.token per host)');
      const { enrollFromFile } = await import('./enroll-command.js');
      await enrollFromFile(opts);
      return;
    }
    if (opts.host === undefined) throw new VigiaError('VIGIA_ERR_CONFIG', '--host: required (or --from FILE for many hosts)');
    if (opts.writeTokenDir !== undefined) throw new VigiaError('VIGIA_ERR_CONFIG', '--write-token-dir: only with --from (use --write-token-file for one host)');
    const host = String(opts.host);
    if (!HOST_NAME_RE.test(host)) throw new VigiaError('VIGIA_ERR_CONFIG', `--host "${host.slice(0, 80)}": ${HOST_NAME_RULE}`);
    const tagList = (opts.tag as string[] | undefined) ?? [];
    // No --tag: a rotation keeps the tags the host has.
    const tags = tagList.length > 0 ? parseTags(tagList) : undefined;
    let token: string;
    let created: boolean;
    if (opts.server) {
      const target = await serverTarget(String(opts.server), opts.tokenFile as string | undefined);
      const r = JSON.parse((await callServer(target, 'POST', '/v1/hosts/enroll', tags ? { host, tags } : { host })).text) as { token: string; created: boolean };
      ({ token, created } = r);
    } else {
      const store = await openStoreFromOptions(opts);
      try {
        token = newToken();
        ({ created } = await store.enrollHost(host, hashToken(token), tags));
      } finally {
        await store.close();
      }
    }
    if (opts.writeTokenFile) {
      await writeFileAtomic(String(opts.writeTokenFile), `${token}\n`, 0o600);
      process.stderr.write(`${created ? 'enrolled' : 'rotated the token of'} ${host}; token written to ${String(opts.writeTokenFile)}\n`);
    } else {
      process.stdout.write(`${token}\n`);
      process.stderr.write(`${created ? 'enrolled' : 'rotated the token of'} ${host}. Put the token above in a file readable only by the agent and run:\n  vigia agent --report-to <server url> --report-token-file <that file> --host-name ${host} ...\n`);
    }
  });

  addStoreOptions(
    server
      .command('hosts')
      .description('list enrolled hosts: tags, reported tags, last seen and status (ok, stale, never) as a table')
      .addOption(new Option('--json', 'the API\'s JSON ({"hosts": [...]}, every field) instead of the table, for scripts')),
  ).action(async (opts: Record<string, unknown>, cmd: Command) => {
    refuseParentStoreOptions(cmd);
    let text: string;
    if (opts.server) {
      const target = await serverTarget(String(opts.server), opts.tokenFile as string | undefined);
      text = (await callServer(target, 'GET', '/v1/hosts')).text;
    } else {
      const store = await openStoreFromOptions(opts);
      try {
        text = JSON.stringify({ hosts: await store.hostStatuses() }, null, 2);
      } finally {
        await store.close();
      }
    }
    // Tags and last errors are host text: printed as JSON escapes (or sanitised cells), never raw (core/sanitise).
    if (opts.json) {
      process.stdout.write(`${sanitiseJson(text)}\n`);
      return;
    }
    const { hosts } = parseAnswer<{ hosts: HostListRow[] }>(text, 'GET /v1/hosts');
    // Stale as the reports count it, with the default policy (the CLI does not read the server's settings file).
    process.stdout.write(renderHostsTable(hosts, Date.now(), defaultReportPolicy()));
  });

  addStoreOptions(
    server
      .command('audit')
      .description('who changed the fleet: bundle publishes, rollout steps, fleet runs, enrolments and removals, refused requests (newest first)')
      .addOption(new Option('--limit <n>', 'lines at most').default('100'))
      .addOption(new Option('--json', 'a JSON array instead of one line per entry')),
  ).action(async (opts: Record<string, unknown>, cmd: Command) => {
    refuseParentStoreOptions(cmd);
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new VigiaError('VIGIA_ERR_CONFIG', '--limit: 1-10000');
    let lines: Array<{ at: string | Date; actor: string; action: string; detail: Record<string, unknown> }>;
    if (opts.server) {
      const target = await serverTarget(String(opts.server), opts.tokenFile as string | undefined);
      lines = (JSON.parse((await callServer(target, 'GET', `/v1/audit?limit=${limit}`)).text) as { lines: typeof lines }).lines;
    } else {
      const store = await openStoreFromOptions(opts);
      try {
        const { FleetStore } = await import('./store/fleet-store.js');
        lines = await new FleetStore(store.database).auditLines(limit);
      } finally {
        await store.close();
      }
    }
    if (opts.json) process.stdout.write(`${sanitiseJson(JSON.stringify(lines))}\n`);
    else for (const l of lines) process.stdout.write(`${new Date(l.at).toISOString()}  ${sanitiseText(l.actor)}  ${sanitiseText(l.action)}  ${sanitiseJson(JSON.stringify(l.detail))}\n`);
  });

  server
    .command('login-link')
    .description('print a one-time web console login link (valid 10 minutes, single use) carrying this token\'s scopes (needs scope admin)')
    .addOption(new Option('--server <url>', 'the running vigia server').env('VIGIA_SERVER_URL'))
    .addOption(new Option('--token-file <path>', 'file holding an operator token of scope admin').env('VIGIA_TOKEN_FILE'))
    .addOption(new Option('--name <name>', 'who the session is in the console and the audit log (default: the token\'s name)'))
    .addOption(new Option('--read-only', 'the session may only read (default: the token\'s scopes)'))
    .action(async (opts: Record<string, unknown>) => {
      if (!opts.server) throw new VigiaError('VIGIA_ERR_CONFIG', '--server: required (the URL of the running vigia server)');
      const target = await serverTarget(String(opts.server), opts.tokenFile as string | undefined);
      const body = { ...(opts.name !== undefined ? { name: String(opts.name) } : {}), ...(opts.readOnly ? { scopes: ['read'] } : {}) };
      const answer = parseAnswer<{ path: string; expires_at: string }>((await callServer(target, 'POST', '/v1/console/login-links', body)).text, 'POST /v1/console/login-links');
      process.stdout.write(`${new URL(answer.path, target.url).href}\n`);
    });

  addStoreOptions(
    server
      .command('remove')
      .description('forget a host (--host) or every host a selector picks (--where): tokens stop working and history is deleted')
      .addOption(new Option('--host <name>', 'host name'))
      .addOption(new Option('--where <k=v,...>', "remove every host whose tags all match (as vigia run --where), e.g. --where simulated=true"))
      .addOption(new Option('--yes', 'confirm removing more than one host with --where (without it: the count and names are shown, nothing is removed)')),
  ).action(async (opts: Record<string, unknown>, cmd: Command) => {
    refuseParentStoreOptions(cmd);
    if ((opts.host === undefined) === (opts.where === undefined)) throw new VigiaError('VIGIA_ERR_CONFIG', 'server remove: give --host NAME or --where KEY=V (one of them)');
    if (opts.where !== undefined) return removeWhere(opts, parseWhereFlag(String(opts.where)), Boolean(opts.yes));
    const host = String(opts.host);
    if (opts.server) {
      const target = await serverTarget(String(opts.server), opts.tokenFile as string | undefined);
      await callServer(target, 'DELETE', `/v1/hosts/${encodeURIComponent(host)}`);
    } else {
      const store = await openStoreFromOptions(opts);
      try {
        if (!(await store.removeHost(host))) throw new VigiaError('CONTROL_ERR_UNKNOWN_HOST', host.slice(0, 253));
      } finally {
        await store.close();
      }
    }
    process.stderr.write(`removed ${host}\n`);
  });

  server.addHelpText(
    'after',
    `
Examples:
  vigia token new --scopes read,admin --name ops > ops.token        # operator token + hash line
  vigia server --auth-token-file server.tokens                       # embedded store in ./data/control
  vigia server --database postgres://vigia@db1/vigia --listen 0.0.0.0:8443 --tls-cert c.pem --tls-key k.pem
  vigia server --database postgres://vigia@db1/vigia --workers auto  # one process per core, one of them leads
  vigia server enroll --host db-0001 --server http://127.0.0.1:8443 --token-file ops.secret
  vigia server enroll --from hosts.txt --write-token-dir tokens/ --server http://127.0.0.1:8443 --token-file ops.secret
  vigia agent ... --report-to https://control.example:8443 --report-token-file /etc/vigia/report.token
  vigia report capacity --server http://127.0.0.1:8443 --token-file ops.secret

See docs/control-plane.md.`,
  );
}

/** --where as a clause; a bad one is a usage error (exit 2) naming the flag. */
function parseWhereFlag(text: string): WhereClause {
  try {
    return parseWhere(text);
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', err instanceof Error ? err.message : String(err));
  }
}

/**
 * `server remove --where`: list what the selector picks, then remove it: at once for one host, only
 * with --yes for more (the count confirmed is sent along, so a selection that changed meanwhile
 * removes nothing). Without --yes the count and names go to stdout and the exit status is 1.
 */
async function removeWhere(opts: Record<string, unknown>, where: WhereClause, yes: boolean): Promise<void> {
  let list: () => Promise<string[]>;
  let remove: (expect: number) => Promise<string[]>;
  let close = async (): Promise<void> => {};
  if (opts.server) {
    const target = await serverTarget(String(opts.server), opts.tokenFile as string | undefined);
    const call = async (body: Record<string, unknown>) => (JSON.parse((await callServer(target, 'POST', '/v1/hosts/remove', { where, ...body })).text) as { hosts: string[] }).hosts;
    list = () => call({ dry_run: true });
    remove = (expect) => call({ confirm: expect });
  } else {
    const store = await openStoreFromOptions(opts);
    close = () => store.close();
    list = async () => (await store.hostsWhere(where)).map((h) => h.name);
    remove = async (expect) => (await store.removeHostsWhere(where, { actor: 'cli', expect })).map((h) => h.name);
  }
  try {
    const hosts = await list();
    const shown = hosts.slice(0, 20).map((h) => sanitiseText(h)).join(', ') + (hosts.length > 20 ? `, ... and ${hosts.length - 20} more` : '');
    if (hosts.length === 0) {
      process.stderr.write('no host matches --where: nothing removed\n');
      return;
    }
    if (hosts.length > 1 && !yes) {
      process.stdout.write(`--where selects ${plural(hosts.length, 'host')}: ${shown}\nnothing removed: run again with --yes to remove them\n`);
      process.exitCode = 1;
      return;
    }
    const removed = await remove(hosts.length);
    process.stderr.write(`removed ${plural(removed.length, 'host')}: ${removed.slice(0, 20).map((h) => sanitiseText(h)).join(', ')}${removed.length > 20 ? ', ...' : ''}\n`);
  } finally {
    await close();
  }
}

function collectKeys(value: string, previous: unknown): string[] {
  return [...(Array.isArray(previous) ? (previous as string[]) : []), value];
}

/** The --tag flags as tags, or VIGIA_ERR_CONFIG naming the item that is wrong. */
function parseTags(list: readonly string[]): Record<string, string> {
  const r = parseTagFlags(list);
  if (!r.ok) throw new VigiaError('VIGIA_ERR_CONFIG', r.message);
  return r.tags;
}
