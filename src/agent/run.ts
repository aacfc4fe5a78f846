/**
 * Wires `vigia agent` together: tokens, collectors, samplers, actions, audit log and the HTTP server,
 * each registered on the release stack so SIGTERM drains requests, kills running actions and closes
 * the statfs workers in reverse order.
 */
import { writeSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseTokenEntries } from '../core/auth.js';
import type { Clock } from '../core/clock.js';
import { reportableSystem } from '../core/contracts/agent-api.js';
import { readConfigFile, readTlsFiles, refuseIfReadableByOthers, warnIfReadableByOthers } from '../core/config-file.js';
import { VigiaError } from '../core/errors.js';
import { Lifecycle } from '../core/lifecycle.js';
import { createLogger, type Logger } from '../core/log.js';
import { createActionService, type ActionService } from './actions/action-service.js';
import { openAuditLog, refusalAuditEntry, type AuditLog } from './actions/audit.js';
import { canSwitchUsers, childIdentity, refuseExposedFiles, type GuardedFile } from './actions/identity.js';
import { lookupUser } from './actions/registry.js';
import { DEFAULT_DISKSTATS_DEVICE_EXCLUDE, readDiskUdevProperties, type DiskStat } from './collectors/diskstats.js';
import { parseFilesystemFilter } from './collectors/filesystem-filter.js';
import { createDeviceCollector, StaleMounts } from './collectors/filesystems.js';
import { ProcessSampler, type ProcessSample } from './collectors/processes.js';
import { COLLECTOR_NAMES, metricsCollectors, runCollectors, type CollectSources, type CollectorName } from './collectors/registry.js';
import { createStatfsPool, type StatfsPool } from './collectors/statfs-pool.js';
import type { AgentConfig } from './config.js';
import type { DeviceInfo } from './model.js';
import { probeMysqlPaths } from './mysql-probe.js';
import type { MysqlPaths, UnmatchedRoleRule } from './roles.js';
import { renderNodeMetrics } from './node-metrics.js';
import { AgentMetrics } from './agent-metrics.js';
import { createAgentServer } from './server.js';
import { computeSystemAnswer, snapshotOf, systemCollectors, SystemSampler } from './system-sampler.js';
import { MAX_REPORT_PROCESSES, type HostReport } from '../core/contracts/host-report.js';
import type { SystemFigures } from '../core/contracts/fit-report.js';
import { buildHostReport, IntervalBaseline } from './report/build-report.js';
import { Reporter, type ReporterOptions } from './report/reporter.js';
import { openSpool } from './report/spool.js';
import { createFleetClient, type FleetClient } from './bundle/fleet-client.js';
import { bundleDirProblem } from './bundle/installer.js';
import type { TrustOptions } from '../core/fs-trust.js';
import { unreachableAncestor } from './bundle/reachable.js';
import type { ReportChecks } from '../core/contracts/host-report.js';

/** How often the local MySQL is asked again for its datadir and binlog paths. */
const MYSQL_REFRESH_MS = 5 * 60_000;

/** Run the agent until SIGINT/SIGTERM. */
export async function runAgent(config: AgentConfig): Promise<void> {
  const log = createLogger(config.logLevel, { role: 'agent' });
  const life = new Lifecycle(log);
  let statfs: StatfsPool | undefined;
  life.handleSignals((code) => exitProcess(code, statfs), config.shutdownTimeoutMs);
  try {
    statfs = createStatfsPool({ timeoutMs: config.statfsTimeoutMs });
    life.defer('statfs workers', () => statfs!.close());
    await startAgent(config, log, life, statfs);
  } catch (err) {
    await life.shutdown();
    throw err;
  }
}

/**
 * Exit; but Node waits for every worker thread on exit, and a statfs thread stuck on a hung mount never
 * returns, so with stuck threads the only way out is SIGKILL (the message is written synchronously first;
 * test/integration/agent-stale-mount.test.ts shows such a process ignoring process.exit()).
 */
function exitProcess(code: number, statfs: StatfsPool | undefined): void {
  const abandoned = statfs?.stats().abandoned ?? 0;
  if (abandoned > 0) {
    writeSync(2, `${JSON.stringify({ level: 40, time: Date.now(), role: 'agent', abandoned, msg: 'statfs threads stuck on hung mounts; exiting with SIGKILL' })}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
  process.exit(code);
}

async function startAgent(config: AgentConfig, log: Logger, life: Lifecycle, statfs: StatfsPool): Promise<void> {
  const roots = config.roots;
  const tokens = parseTokenEntries(await readConfigFile(config.authTokenFile, '--auth-token-file'));
  await warnIfReadableByOthers(config.authTokenFile, log, '--auth-token-file');
  const tls = await readTlsFiles(config.tls);
  const filter = parseFilesystemFilter(config.filter);

  const stale = new StaleMounts();
  const mysql = config.mysql.detect ? await mysqlPathsWatcher(config, log) : { current: () => null, stop: () => undefined };
  life.defer('mysql detection', () => mysql.stop());
  const collector = createDeviceCollector();
  life.defer('device collector', () => collector.close());
  const enabled = config.collectors;
  log.info({ collectors: enabled }, 'collectors enabled');
  // Without the filesystem collector nothing is stat'ed: /v1/devices, node_filesystem_* and the report's devices are empty.
  // `--role data=/var/lib/mysql` on a directory that is not a mount point gives no volume a role: say so.
  const onUnmatchedRoleRules = (unmatched: readonly UnmatchedRoleRule[]): void => {
    for (const u of unmatched) log.warn({ role: u.rule.role, path: u.rule.path, mountedOn: u.mountedOn }, `--role ${u.rule.role}=${u.rule.path}: not a mount point or device; it matches no volume (the path is on ${u.mountedOn ?? 'no collected mount'})`);
  };
  const devices = enabled.includes('filesystem')
    ? coalesce(() => collector.collect({ roots, filter, statfs, roleRules: config.roles, mysqlPaths: mysql.current(), onUnmatchedRoleRules }, stale))
    : async (): Promise<readonly DeviceInfo[]> => [];

  const sampler = new SystemSampler({ roots, intervalMs: config.sampleIntervalMs, collectors: enabled, log: log.child({ component: 'system' }) });
  sampler.start();
  life.defer('system sampler', () => sampler.stop());
  const processes = new ProcessSampler({ roots });

  // Actions and bundle checks run code the agent did not write: never as the agent's own uid, and
  // never as a user that can reach the audit log or the agent's secrets (identity.ts).
  const startedBy = [...(config.actionsDir !== null ? ['--actions-dir'] : []), ...(config.report && config.report.bundleKeys.length > 0 ? ['--bundle-key'] : [])];
  const agentUid = process.getuid?.() ?? 0;
  const childIds = startedBy.length === 0 ? undefined : childIdentity({
    agentUid,
    canSwitch: canSwitchUsers(await readFile('/proc/self/status', 'utf8').catch(() => '')),
    userName: config.actionsUser,
    user: await lookupUser(config.actionsUser).catch(() => undefined),
    startedBy,
  });

  let actions: ActionService | null = null;
  let audit: AuditLog | null = null;
  if (config.actionsDir !== null) {
    await mkdir(dirname(config.auditLog), { recursive: true, mode: 0o700 });
    audit = await openAuditLog(config.auditLog);
    const auditLog = audit;
    life.defer('audit log', () => auditLog.close());
    actions = await createActionService({ actionsDir: config.actionsDir, audit, runAs: childIds ?? null, canSwitchUsers: true, agentUid, rootfs: roots.rootfs });
    log.info({ actions: actions.list().map((a) => a.name), runAs: config.actionsUser }, 'actions loaded');
  }
  if (childIds) {
    const guarded: GuardedFile[] = [
      { flag: '--audit-log', path: config.auditLog, guard: 'write' },
      { flag: '--audit-log', path: dirname(config.auditLog), guard: 'write' },
      { flag: '--auth-token-file', path: config.authTokenFile, guard: 'write' },
      ...(config.tls ? [{ flag: '--tls-key', path: config.tls.key, guard: 'read' } as const] : []),
      ...(config.report ? [
        { flag: '--report-token-file', path: config.report.tokenFile, guard: 'read' } as const,
        { flag: '--bundle-dir', path: config.report.bundleDir, guard: 'write' } as const,
        ...config.report.bundleKeys.map((path) => ({ flag: '--bundle-key', path, guard: 'write' }) as const),
      ] : []),
    ];
    await refuseExposedFiles(guarded, [childIds, ...(actions?.identities() ?? []).filter((i) => i.uid !== childIds.uid)], 'actions and checks run as that user; make the file the agent\'s own, mode 0600 (directories 0700 or 0755)');
  }

  let reportStats: () => { spoolFiles: number; spoolBytes: number; lastSuccessSeconds: number | null } = () => ({ spoolFiles: 0, spoolBytes: 0, lastSuccessSeconds: null });
  const own = new AgentMetrics({
    staleMounts: () => stale.list().length,
    stuckStatfsThreads: () => statfs.stats().abandoned,
    ...(config.report ? { reports: () => reportStats() } : {}),
  });
  // Set up before listening so a bad token file or spool directory stops the agent at start; started
  // after, and never waiting for the control plane.
  let reporter: Reporter | null = null;
  let fleet: FleetClient | null = null;
  if (config.report) {
    const rc = config.report;
    const runAs = childIds;
    const trustedKeys = await Promise.all(rc.bundleKeys.map((f) => readConfigFile(f, '--bundle-key')));
    await prepareBundleDir(rc.bundleDir, runAs ? { ...runAs, name: config.actionsUser } : undefined);
    const fleetToken = (await readConfigFile(rc.tokenFile, '--report-token-file')).trim();
    const ca = rc.ca ? Buffer.from(await readConfigFile(rc.ca, '--report-ca')) : undefined;
    fleet = createFleetClient({
      url: rc.to, token: fleetToken, ...(ca ? { ca } : {}), bundleDir: rc.bundleDir, trustedKeys, hostTags: rc.tags, actions,
      ...(runAs ? { runAs: { uid: runAs.uid, gid: runAs.gid } } : {}), log: log.child({ component: 'fleet' }),
      onChecksReady: () => reporter?.reportSoon(500),
    });
    const f = fleet;
    reporter = await createReporter(config.report, {
      log, roots, devices, sampler, metrics: own, collectors: enabled, checks: () => f.checks(),
      topProcesses: () => processes.top({ sort: 'cpu', limit: MAX_REPORT_PROCESSES, commandLines: 'redacted' }),
    });
    const r = reporter;
    reportStats = () => ({ ...r.spoolStats(), lastSuccessSeconds: r.lastSuccessAt === null ? null : r.lastSuccessAt / 1000 });
  }
  const udev = udevCache(roots);
  const metrics = async (): Promise<string> => (await scrapeNodeMetrics(enabled, { roots, devices }, { log, udev })) + own.render();

  const app = createAgentServer({
    tokens,
    devices,
    system: () => sampler.view(),
    processes: (q) => processes.top(q),
    metrics,
    actions,
    limits: {
      bodyLimitBytes: 16 * 1024,
      requestTimeoutMs: config.requestTimeoutMs,
      keepAliveTimeoutMs: 5_000,
      rateLimit: config.rateLimit,
    },
    log,
    onResponse: (route, status, seconds) => own.observeRequest(route, status, seconds),
    // Every refused state-changing request is an audit line (action.rejected or request.rejected),
    // written before the refusal is answered; a failing audit file is logged, never answered.
    onRequestRefused: async (r) => {
      await audit?.write(refusalAuditEntry(r)).catch((err: unknown) => log.error({ err }, 'audit log write failed'));
    },
    ...(tls ? { tls } : {}),
  });
  let addr;
  try {
    addr = await app.listen(config.listen.host, config.listen.port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VigiaError('VIGIA_ERR_CONFIG', `--listen ${config.listen.host}:${config.listen.port}: ${code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'no such local address' : 'cannot listen'}`, { cause: err });
  }
  // Released first: stop accepting, and at the same time kill running actions (their synchronous
  // callers then get their killed result and action.end is written) instead of waiting up to an
  // action's timeout for those requests; then the rest, in reverse order.
  const runningActions = actions;
  life.defer('http server and actions', async () => {
    const closed = app.close(Math.min(5000, config.shutdownTimeoutMs / 2));
    await runningActions?.close();
    await closed;
  });
  if (fleet) {
    const f = fleet;
    await f.start();
    life.defer('fleet client', () => f.stop());
  }
  if (reporter) {
    const r = reporter;
    r.start();
    life.defer('reporter', () => r.stop(Math.min(5000, config.shutdownTimeoutMs / 3)));
    log.info({ to: config.report!.to, host: config.report!.hostName, intervalSeconds: config.report!.intervalSeconds, spool: config.report!.spoolDir, spooled: r.spoolStats().spoolFiles }, 'reporting to the control plane');
  }
  const port = addr.port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  log.info({ host: config.listen.host, port, tls: Boolean(tls), mtls: Boolean(tls?.ca), rootfs: roots.rootfs }, 'agent started');
  process.stdout.write(`vigia agent listening on ${tls ? 'https' : 'http'}://${host}:${port}\n`);
}

/**
 * Make `--bundle-dir` ready at start, or throw naming the flag: created 0755 when missing (checks run
 * as --actions-user and must reach their scripts; the contents are not secret); VIGIA_ERR_UNSAFE_PATH
 * when it, a directory above it, its state.json or releases/ could be changed by another user
 * (installer.ts bundleDirProblem: they would lower the downgrade floor or swap the scripts);
 * VIGIA_ERR_CONFIG when `checksUser` (the agent is root) cannot reach it.
 */
export async function prepareBundleDir(dir: string, checksUser?: { readonly uid: number; readonly gid: number; readonly name: string }, trust: TrustOptions = {}): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 }).catch((err: unknown) => {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--bundle-dir: cannot use ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  });
  // Checked before the chmod below, which would otherwise hide a directory others could write.
  const problem = await bundleDirProblem(dir, trust);
  if (problem) throw new VigiaError('VIGIA_ERR_UNSAFE_PATH', `--bundle-dir ${dir}: ${problem}; the installed release cannot be trusted (chown it to the agent's user and chmod go-w, then check state.json and releases/)`);
  await chmod(dir, 0o755).catch((err: unknown) => {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--bundle-dir: cannot use ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  });
  if (checksUser) {
    const blocked = await unreachableAncestor(dir, checksUser);
    if (blocked) throw new VigiaError('VIGIA_ERR_CONFIG', `--bundle-dir ${dir}: checks run as ${checksUser.name}, who cannot enter ${blocked}; make it searchable (chmod o+x ${blocked}, or StateDirectoryMode=0755) or choose another --bundle-dir`);
  }
}

/** The agent's version as package.json says (reports carry it); '0' when it cannot be read. */
async function agentVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' && pkg.version ? pkg.version.slice(0, 64) : '0';
  } catch {
    return '0';
  }
}

/**
 * Reads the host token (refusing a file others can read: unlike the API's token file, which holds
 * hashes, this one holds the bearer secret itself), opens the spool and builds the reporter (not
 * started). Throws VIGIA_ERR_CONFIG naming the flag. `overrides` is for tests (e.g. no initial delay).
 */
export async function createReporter(
  rc: NonNullable<AgentConfig['report']>,
  deps: {
    log: Logger;
    roots: AgentConfig['roots'];
    devices: () => Promise<readonly DeviceInfo[]>;
    sampler: SystemSampler;
    metrics: AgentMetrics;
    /** The enabled collectors (default all). */
    collectors?: readonly CollectorName[];
    checks?: () => ReportChecks | undefined;
    /** The top processes by CPU for the report (names only go on the wire); absent: the report carries none. */
    topProcesses?: () => Promise<readonly ProcessSample[]>;
  },
  overrides: Partial<ReporterOptions> = {},
): Promise<Reporter> {
  const token = (await readConfigFile(rc.tokenFile, '--report-token-file')).trim();
  await refuseIfReadableByOthers(rc.tokenFile, '--report-token-file');
  if (!token || /\s/.test(token)) throw new VigiaError('VIGIA_ERR_CONFIG', `--report-token-file: ${rc.tokenFile} must hold exactly one token (from "vigia server enroll --host ${rc.hostName}")`);
  const ca = rc.ca ? Buffer.from(await readConfigFile(rc.ca, '--report-ca')) : undefined;
  let spool;
  try {
    spool = await openSpool({ dir: rc.spoolDir, maxBytes: rc.spoolMaxBytes, log: deps.log, onDropped: (n) => deps.metrics.countReports('dropped', n) });
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--spool-dir: cannot use ${rc.spoolDir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  const identity = { host: rc.hostName, tags: rc.tags, agentVersion: await agentVersion(), intervalSeconds: rc.intervalSeconds };
  const baseline = new IntervalBaseline();
  const { roots } = deps;
  const enabled = systemCollectors(deps.collectors ?? COLLECTOR_NAMES);
  const systemView = async (): Promise<SystemFigures | null> => {
    try {
      // A failing collector is logged by runCollectors and leaves its part out; see reportableSystem.
      const { collected } = await runCollectors(enabled, { roots }, { log: deps.log.child({ component: 'reporter' }) });
      const cur = snapshotOf(collected, Date.now());
      const prev = baseline.next(cur);
      // The first report has no previous one to diff against: the sampler's last window stands in.
      return reportableSystem(prev ? computeSystemAnswer(prev, cur, collected, enabled) : await deps.sampler.view());
    } catch (err) {
      deps.log.warn({ err }, 'system figures unavailable for the host report');
      return null;
    }
  };
  const topProcesses = async (): Promise<readonly ProcessSample[] | undefined> => {
    if (!deps.topProcesses) return undefined;
    try {
      return await deps.topProcesses();
    } catch (err) {
      deps.log.warn({ err }, 'top processes unavailable for the host report');
      return undefined;
    }
  };
  const collect = async (): Promise<HostReport> => {
    const sampledAtMs = Date.now();
    const [devices, system, processes] = await Promise.all([deps.devices(), systemView(), topProcesses()]);
    const checks = deps.checks?.();
    return buildHostReport({ identity, devices, system, sampledAtMs, ...(checks ? { checks } : {}), ...(processes ? { processes } : {}) });
  };
  return new Reporter({
    url: rc.to,
    token,
    ...(ca ? { ca } : {}),
    intervalMs: rc.intervalMs,
    jitter: rc.jitter,
    spool,
    collect,
    log: deps.log.child({ component: 'reporter' }),
    agentVersion: identity.agentVersion,
    onOutcome: (o, n) => deps.metrics.countReports(o, n),
    ...overrides,
  });
}

/** One collection at a time: callers arriving while one runs share its result. */
export function coalesce<T>(fn: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= fn().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

/**
 * udev properties of the disks node_exporter reports on (not the hundreds of excluded loop and
 * partition devices), re-read at most once a minute: they change when a disk is added, not per scrape.
 */
function udevCache(roots: AgentConfig['roots']): (diskstats: readonly DiskStat[]) => Promise<Map<string, Record<string, string>>> {
  let cache: { key: string; at: number; value: Map<string, Record<string, string>> } | undefined;
  return async (diskstats) => {
    const disks = diskstats.filter((d) => !DEFAULT_DISKSTATS_DEVICE_EXCLUDE.test(d.device));
    const key = disks.map((d) => `${d.major}:${d.minor}`).join(',');
    const now = Date.now();
    if (cache && cache.key === key && now - cache.at < 60_000) return cache.value;
    const value = await readDiskUdevProperties(roots, disks);
    cache = { key, at: now, value };
    return value;
  };
}

/** Options of scrapeNodeMetrics. */
export interface ScrapeOptions {
  /** Where a failing collector is logged (name and error). */
  readonly log?: Logger;
  /** Milliseconds, monotonic, for the collectors' durations (tests pin it); default performance.now. */
  readonly now?: Clock;
  /** udev properties of the disks (cached by the caller); default: read every scrape. */
  readonly udev?: (diskstats: readonly DiskStat[]) => Promise<ReadonlyMap<string, Readonly<Record<string, string>>>>;
}

/**
 * One `/metrics` scrape of the node_exporter-compatible part: runs the enabled collectors that have
 * metrics (collectors/registry.ts) and renders what they yielded, with one node_scrape_collector_* pair
 * per collector run. A collector that fails is logged and gets success 0; the others still answer.
 */
export async function scrapeNodeMetrics(enabled: readonly CollectorName[], sources: CollectSources, opts: ScrapeOptions = {}): Promise<string> {
  const { collected: c, results } = await runCollectors(metricsCollectors(enabled), sources, { ...(opts.log ? { log: opts.log } : {}), ...(opts.now ? { now: opts.now } : {}) });
  const diskUdev = c.diskstats ? await (opts.udev ?? ((d) => readDiskUdevProperties(sources.roots, d)))(c.diskstats) : undefined;
  return renderNodeMetrics({
    ...(c.filesystem ? { devices: c.filesystem } : {}),
    ...(c.cpu ? { cpu: c.cpu } : {}),
    ...(c.stat ? { stat: c.stat } : {}),
    ...(c.diskstats ? { diskstats: c.diskstats } : {}),
    ...(diskUdev ? { diskUdev } : {}),
    ...(c.meminfo ? { meminfo: c.meminfo } : {}),
    ...(c.loadavg ? { loadavg: c.loadavg } : {}),
    collectors: results,
  });
}

/** Ask the local MySQL/MariaDB for its paths now and every few minutes; never blocks a request. */
async function mysqlPathsWatcher(config: AgentConfig, log: Logger): Promise<{ current: () => MysqlPaths | null; stop: () => void }> {
  const password = config.mysql.passwordFile ? (await readConfigFile(config.mysql.passwordFile, '--mysql-password-file')).trim() : undefined;
  let paths: MysqlPaths | null = null;
  const refresh = async (): Promise<void> => {
    const found = await probeMysqlPaths({
      socketPath: join(config.roots.rootfs, config.mysql.socket),
      user: config.mysql.user,
      ...(password !== undefined ? { password } : {}),
      timeoutMs: 2000,
    });
    if (JSON.stringify(found) !== JSON.stringify(paths)) log.info({ mysql: found }, found ? 'MySQL paths detected' : 'MySQL not reachable for role detection');
    paths = found ? { datadir: found.datadir, ...(found.binlog ? { binlog: found.binlog } : {}) } : null;
  };
  await refresh();
  const timer = setInterval(() => void refresh().catch(() => undefined), MYSQL_REFRESH_MS);
  timer.unref();
  return { current: () => paths, stop: () => clearInterval(timer) };
}
