/**
 * What `vigia up` runs, as data: where each file lives under the data directory, and the command
 * line of each part (`vigia server`, `vigia logs serve`, `vigia agent`, and with --demo `vigia
 * simulate` and `vigia logs simulate`). Pure: no I/O, so the flags each part gets are tested as
 * values, and every part is a plain `vigia` subcommand a user could run by hand.
 */
import { join } from 'node:path';
import type { UpConfig } from './config.js';

/** Every path `vigia up` uses, absolute, under the data directory. */
export interface UpLayout {
  readonly dataDir: string;
  /** The control plane's embedded store (PGlite): the same place `vigia server` uses by default. */
  readonly controlDir: string;
  /** The log collector's embedded store (DuckDB): `vigia logs serve`'s default place. */
  readonly logsDir: string;
  /** `vigia up`'s own files: tokens, the host name, the parts' output. */
  readonly upDir: string;
  /** The operator token (scopes read, admin, run): for the CLI (`--token-file`) and login links. */
  readonly operatorToken: string;
  /** Hash lines of the operator tokens (the control plane's --auth-token-file, the collector's --tokens). */
  readonly operatorTokens: string;
  /** The name this host is enrolled under (kept, so a renamed machine resumes the same host). */
  readonly hostNameFile: string;
  /** One output file per part (`<name>.log`). */
  readonly logDir: string;
  readonly agentDir: string;
  /** The agent's own API token (scope read) and its hash line (--auth-token-file). */
  readonly agentToken: string;
  readonly agentTokens: string;
  /** This host's enrolment token (--report-token-file; also the demo log traffic's shipper token). */
  readonly hostToken: string;
  readonly agentSpool: string;
  readonly agentBundles: string;
  readonly agentAudit: string;
  readonly demoDir: string;
  /** The demo's bundle signing key pair (vigia bundle keygen's format). */
  readonly bundleKey: string;
  readonly bundlePub: string;
  /** A token of scope ingest for the simulated fleet's batches (report protocol v2). */
  readonly ingestToken: string;
  /** The SLO demo year (`vigia slo demo --dir`). */
  readonly sloDir: string;
  /** When the simulated fleet's history was last sent (epoch ms, text), so a resume sends only the gap. */
  readonly backfillMark: string;
}

/** The layout under `dataDir` (already absolute). */
export function upLayout(dataDir: string): UpLayout {
  const upDir = join(dataDir, 'up');
  const agentDir = join(dataDir, 'agent');
  const demoDir = join(dataDir, 'demo');
  return {
    dataDir,
    controlDir: join(dataDir, 'control'),
    logsDir: join(dataDir, 'logs'),
    upDir,
    operatorToken: join(upDir, 'operator.token'),
    operatorTokens: join(upDir, 'operator.tokens'),
    hostNameFile: join(upDir, 'host-name'),
    logDir: join(upDir, 'log'),
    agentDir,
    agentToken: join(agentDir, 'api.token'),
    agentTokens: join(agentDir, 'api.tokens'),
    hostToken: join(agentDir, 'host.token'),
    agentSpool: join(agentDir, 'spool'),
    agentBundles: join(agentDir, 'bundles'),
    agentAudit: join(agentDir, 'audit.log'),
    demoDir,
    bundleKey: join(demoDir, 'bundle.key'),
    bundlePub: join(demoDir, 'bundle.pub'),
    ingestToken: join(demoDir, 'ingest.token'),
    sloDir: join(demoDir, 'slo'),
    backfillMark: join(demoDir, 'backfilled-at'),
  };
}

/** One part: a `vigia` subcommand with its flags, how to tell it is up, and how long it may take to stop. */
export interface PartSpec {
  /** Short name, used in messages and for its output file. */
  readonly name: string;
  /** Arguments after `vigia`. */
  readonly args: readonly string[];
  /** URL whose 200 means the part is up; none: up once started (a client, not a server). */
  readonly healthUrl?: string;
  /** A part that ends by itself is no failure (a bounded demo load); a server that ends is. */
  readonly mayEnd?: boolean;
}

/** Optional flags of `vigia server` this build may or may not have (they land with the console's SLO and logs pages). */
export interface ServerFeatures {
  /** `--slo-spec DIR`: the console's SLO page. */
  readonly sloSpec: boolean;
  /** `--logs-server URL --logs-token-file F`: the console's logs page. */
  readonly logsServer: boolean;
}

/** Loopback base URL of a port. */
export function localUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** The three parts every `vigia up` starts, in start order (they stop in reverse). */
export function coreParts(config: UpConfig, layout: UpLayout, hostName: string, features: ServerFeatures): PartSpec[] {
  const control = localUrl(config.port);
  const logs = localUrl(config.logsPort);
  const level = ['--log-level', config.logLevel];
  const shutdown = ['--shutdown-timeout', String(config.shutdownTimeoutMs)];
  const server: PartSpec = {
    name: 'server',
    args: [
      'server', '--listen', `127.0.0.1:${config.port}`, '--data-dir', layout.controlDir, '--auth-token-file', layout.operatorTokens,
      // The demo signs its bundles with this key; without --demo no key exists and no bundle is accepted.
      ...(config.demo ? ['--bundle-public-key', layout.bundlePub] : []),
      ...(config.demo && features.sloSpec ? ['--slo-spec', layout.sloDir] : []),
      ...(features.logsServer ? ['--logs-server', logs, '--logs-token-file', layout.operatorToken] : []),
      ...level, ...shutdown,
    ],
    healthUrl: `${control}/healthz`,
  };
  const collector: PartSpec = {
    name: 'logs',
    args: [
      'logs', 'serve', '--listen', `127.0.0.1:${config.logsPort}`, '--data-dir', layout.logsDir,
      // Shippers present their host's enrolment token, checked by the control plane.
      '--control', control, '--tokens', layout.operatorTokens, ...level, ...shutdown,
    ],
    healthUrl: `${logs}/healthz`,
  };
  const agent: PartSpec = {
    name: 'agent',
    args: [
      'agent', '--listen', `127.0.0.1:${config.agentPort}`, '--auth-token-file', layout.agentTokens,
      // Safe by default: no actions, no MySQL login attempt, no bundle key (every bundle refused), its
      // state under the data directory instead of /var/lib (it runs as whoever runs `vigia up`).
      '--no-actions', '--no-mysql-detect', '--audit-log', layout.agentAudit,
      // Every 15 s rather than 60: the first report (after a random part of one interval) lands while
      // the user opens the console; one host's reports cost nothing.
      '--report-to', control, '--report-token-file', layout.hostToken, '--host-name', hostName, '--report-interval', '15',
      '--spool-dir', layout.agentSpool, '--bundle-dir', layout.agentBundles, ...level, ...shutdown,
    ],
    healthUrl: `${localUrl(config.agentPort)}/healthz`,
  };
  return [server, collector, agent];
}

/** Seconds in the simulated fleet's longest run (`vigia simulate --duration` at most): it stops with `vigia up` long before. */
const SIMULATE_MAX_SECONDS = 30 * 86_400;
/** Days of history the demo fleet starts with (the week). */
export const DEMO_HISTORY_DAYS = 7;

/**
 * Days of history to send now: the whole week the first time, then only the gap since the last run
 * (a resumed demo does not send the week again); 0 when the gap is under an hour (the step).
 */
export function backfillDays(lastBackfillMs: number | undefined, nowMs: number): number {
  if (lastBackfillMs === undefined || !Number.isFinite(lastBackfillMs) || lastBackfillMs > nowMs) return DEMO_HISTORY_DAYS;
  const days = (nowMs - lastBackfillMs) / 86_400_000;
  if (days < 1 / 24) return 0;
  return Math.min(DEMO_HISTORY_DAYS, Math.ceil(days * 24) / 24);
}

/** The demo's load generators, started after the core parts. */
export function demoParts(config: UpConfig, layout: UpLayout, history: number): PartSpec[] {
  const simulate: PartSpec = {
    name: 'simulate',
    args: [
      'simulate', '--to', localUrl(config.port), '--admin-token-file', layout.operatorToken,
      '--hosts', String(config.demoHosts), '--interval', '60', '--duration', String(SIMULATE_MAX_SECONDS),
      '--backfill-days', String(history), '--backfill-step', '7200',
      // 2 % of the fleet goes silent at once (their history ends where the demo starts).
      '--dying', '0.02', '--dying-window', '1',
      // A relay's gzip batches, one report per host every 2 hours: a week of 1,000 hosts is 84,000
      // reports (about a minute here; hourly would be twice that).
      '--protocol', 'v2', '--ingest-token-file', layout.ingestToken, '--concurrency', '4',
    ],
  };
  const logTraffic: PartSpec = {
    name: 'log-traffic',
    args: [
      'logs', 'simulate', '--server', localUrl(config.logsPort), '--token-file', layout.hostToken,
      // Modest and bounded: a small web cluster's worth of lines for as long as `vigia up` runs.
      '--nodes', '8', '--rate', '40', '--duration', '30d', '--concurrency', '2',
    ],
    mayEnd: true,
  };
  return [simulate, logTraffic];
}
