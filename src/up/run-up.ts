/**
 * `vigia up`: the whole platform on this machine in one command. Starts, in order, the control
 * plane with its console (`vigia server`), the log collector (`vigia logs serve`) and this host's
 * agent (`vigia agent`, enrolled and reporting), each a child process on embedded stores under the
 * data directory (plan.ts), then prints ONE line: the console URL with a one-time login link. With
 * --demo it then fills the platform with a living demo (demo parts, demo-driver.ts).
 *
 * Stops on SIGINT/SIGTERM (a second one kills at once), or when a part ends unasked: the parts stop
 * in reverse order, each with a deadline, and the outcome is said on stderr.
 */
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VigiaError } from '../core/errors.js';
import type { UpConfig } from './config.js';
import { prepareDataDir, prepareSloDemo, readMark, writeMark, type UpSecrets } from './data-dir.js';
import { backfillDays, coreParts, demoParts, localUrl, upLayout, type UpLayout } from './plan.js';
import { assertPortFree } from './ports.js';
import { serverFeatures } from './server-features.js';
import { describeExit, Supervisor, type PartExit } from './supervisor.js';

/** The built CLI beside this file (dist/up/run-up.js -> dist/cli/main.js): every part is `vigia <subcommand>`. */
const CLI_MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const REQUEST_TIMEOUT_MS = 15_000;

/** Where `vigia up` writes: the one line on stdout, everything else on stderr. */
export interface UpOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** A JSON call to the control plane with the operator token, bounded; throws VIGIA_ERR_UP_FAILED on anything but 200. */
async function controlCall<T>(url: string, token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  if (res.status !== 200) throw new VigiaError('VIGIA_ERR_UP_FAILED', `server answered ${method} ${path} with ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

/**
 * This host enrolled, its token in the data directory: kept when the control plane still knows the
 * host and the token file exists (a resume: same host, same token), else enrolled (or its token
 * rotated) through the operator API. Never two rows: the store keys hosts by name.
 */
async function ensureEnrolled(url: string, secrets: UpSecrets, layout: UpLayout): Promise<void> {
  const { hosts } = await controlCall<{ hosts: Array<{ host: string }> }>(url, secrets.operatorToken, 'GET', '/v1/hosts');
  const known = hosts.some((h) => h.host === secrets.hostName);
  const hasToken = await readFile(layout.hostToken, 'utf8').then((t) => t.trim().length > 0, () => false);
  if (known && hasToken) return;
  const { token } = await controlCall<{ token: string }>(url, secrets.operatorToken, 'POST', '/v1/hosts/enroll', { host: secrets.hostName });
  const { writeFileAtomic } = await import('../core/atomic-file.js');
  await writeFileAtomic(layout.hostToken, `${token}\n`, 0o600);
}

/** Run `vigia up` until stopped. Resolves when everything stopped after a signal; rejects (after stopping everything) when a part failed. */
export async function runUp(config: UpConfig, io: UpOutput): Promise<void> {
  const dataDir = resolvePath(config.dataDir);
  // Before anything is written or started: a taken port is one line naming it.
  await assertPortFree(config.port, '--port');
  await assertPortFree(config.logsPort, '--logs-port');
  await assertPortFree(config.agentPort, '--agent-port');
  const layout = upLayout(dataDir);
  const secrets = await prepareDataDir(layout, { demo: config.demo });
  const features = await serverFeatures();
  // Written with --demo even when this server has no --slo-spec yet: `vigia slo report` reads it too.
  if (config.demo) await prepareSloDemo(layout.sloDir);

  let failure: PartExit | undefined;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (wake = r));
  const supervisor = new Supervisor({
    command: [process.execPath, CLI_MAIN],
    logDir: layout.logDir,
    cwd: dataDir,
    onUnexpectedExit: (exit) => {
      failure ??= exit;
      wake();
    },
  });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      io.err(`vigia up: ${sig}: stopping ${supervisor.names.slice().reverse().join(', ') || 'nothing yet'} (Ctrl-C again to kill at once)\n`);
      wake();
      return;
    }
    // A second signal: the user wants out now. Everything dies with us (SIGKILL), said once.
    io.err('vigia up: killing every part now\n');
    void supervisor.stopAll(0).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const demoAbort = new AbortController();
  let demo: { close(): Promise<void> } | undefined;
  let startError: unknown;
  try {
    io.err(`vigia up: starting the control plane, the log collector and the agent (data in ${dataDir}; output in ${layout.logDir})\n`);
    const parts = coreParts(config, layout, secrets.hostName, features);
    const url = localUrl(config.port);
    const startOne = async (name: string): Promise<void> => {
      const spec = parts.find((p) => p.name === name)!;
      await Promise.race([supervisor.start(spec, config.startTimeoutMs), stopped.then(() => {
        throw new VigiaError('VIGIA_ERR_UP_FAILED', `${name}: start interrupted`);
      })]);
    };
    await startOne('server');
    await ensureEnrolled(url, secrets, layout);
    await startOne('logs');
    await startOne('agent');
    const link = await controlCall<{ path: string }>(url, secrets.operatorToken, 'POST', '/v1/console/login-links', { name: 'up' });
    io.out(`vigia up: console ${url}${link.path} (one-time sign-in link, valid 10 minutes; a new one: vigia server login-link --server ${url} --token-file ${layout.operatorToken}; Ctrl-C stops)\n`);
    if (config.demo) demo = await startDemo(config, layout, secrets, supervisor, demoAbort.signal);
  } catch (err) {
    startError = err;
  }
  if (startError === undefined) await stopped;
  demoAbort.abort();
  await demo?.close().catch(() => undefined);
  await supervisor.stopAll(config.shutdownTimeoutMs, (exit, killed) => {
    io.err(`vigia up: ${exit.name} stopped${killed ? ` (killed after ${Math.round(config.shutdownTimeoutMs / 1000)} s)` : exit.code === 0 ? '' : ` (${describeExit(exit)})`}\n`);
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (failure) throw new VigiaError('VIGIA_ERR_UP_FAILED', `${failure.name} stopped unexpectedly (${describeExit(failure)}); everything else was stopped. Its last output: ${failure.tail || '(none)'} (all of it: ${supervisor.logFile(failure.name)})`);
  // Interrupted while starting by the user: a clean stop, not a failure.
  if (startError !== undefined && signals === 0) throw startError;
  io.err('vigia up: stopped\n');
}

/** The demo: the SLO year is already on disk; start the report fleet and the log traffic, then the in-process driver. */
async function startDemo(config: UpConfig, layout: UpLayout, secrets: UpSecrets, supervisor: Supervisor, signal: AbortSignal): Promise<{ close(): Promise<void> }> {
  const now = Date.now();
  const history = backfillDays(await readMark(layout.backfillMark), now);
  for (const spec of demoParts(config, layout, history)) await supervisor.start(spec, config.startTimeoutMs);
  // Marked at once: the fleet is simulated, a history with a gap after a crash is acceptable for a demo.
  await writeMark(layout.backfillMark, now);
  const { startDemoDriver } = await import('./demo-driver.js');
  const { appendFile } = await import('node:fs/promises');
  const demoLog = supervisor.logFile('demo');
  const [privateKeyPem, publicKeyPem] = await Promise.all([readFile(layout.bundleKey, 'utf8'), readFile(layout.bundlePub, 'utf8')]);
  return startDemoDriver({
    url: localUrl(config.port), adminToken: secrets.operatorToken, privateKeyPem, publicKeyPem,
    agents: Math.min(40, config.demoHosts), runEveryMs: 5 * 60_000, tickMs: 15_000, soakMs: 2 * 60_000, signal,
    note: (line) => void appendFile(demoLog, `${new Date().toISOString()} ${line}\n`, { mode: 0o600 }).catch(() => undefined),
  });
}
