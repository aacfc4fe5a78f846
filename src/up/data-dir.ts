/**
 * The data directory of `vigia up`: created private (0700) on the first run, its tokens and keys
 * made once (files 0600) and read back on every later run, so a second `vigia up` resumes with the
 * same tokens, the same host name and the same enrolment. Token hash files are rewritten from the
 * tokens each time, so they always match them.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { hashToken, newToken } from '../core/auth.js';
import { HOST_NAME_RE } from '../core/contracts/host-report.js';
import { generateSigningKeyPair } from '../core/contracts/bundle.js';
import { VigiaError } from '../core/errors.js';
import type { UpLayout } from './plan.js';

/** The secrets and names a run of `vigia up` uses (never printed). */
export interface UpSecrets {
  /** Operator token: scopes read, admin, run (the console, the CLI, login links). */
  readonly operatorToken: string;
  /** Token of scope ingest (the demo's simulated relay). */
  readonly ingestToken: string;
  /** The agent API's own token (scope read). */
  readonly agentToken: string;
  /** The name this host is enrolled under. */
  readonly hostName: string;
}

/** The operator token's name in the audit log and the console. */
export const OPERATOR_NAME = 'up-admin';

/** This machine's name if it is a valid host name, else `localhost` (reports must match HOST_NAME_RE). */
export function defaultHostName(name: string = hostname()): string {
  return HOST_NAME_RE.test(name) ? name : 'localhost';
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return false;
    throw err;
  });
}

async function privateDir(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--data-dir: cannot create ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** The token kept in `path`, made (0600) when the file does not exist yet. */
async function keptToken(path: string): Promise<string> {
  if (await exists(path)) {
    const token = (await readFile(path, 'utf8')).trim();
    if (!/^[A-Za-z0-9_-]{20,200}$/.test(token)) throw new VigiaError('VIGIA_ERR_CONFIG', `${path}: not a token written by vigia up (remove the file to get a new one)`);
    return token;
  }
  const token = newToken();
  await writeFileAtomic(path, `${token}\n`, 0o600);
  return token;
}

/**
 * Make (first run) or read (later runs) everything under the data directory that the parts need
 * before they start: directories, tokens and their hash files, the host name; with `demo`, the
 * bundle signing key pair too.
 */
export async function prepareDataDir(layout: UpLayout, opts: { demo: boolean; hostName?: string }): Promise<UpSecrets> {
  for (const dir of [layout.dataDir, layout.upDir, layout.logDir, layout.agentDir, layout.demoDir]) await privateDir(dir);
  const operatorToken = await keptToken(layout.operatorToken);
  const ingestToken = await keptToken(layout.ingestToken);
  const agentToken = await keptToken(layout.agentToken);
  await writeFileAtomic(layout.operatorTokens, `${hashToken(operatorToken)} scopes=read,admin,run name=${OPERATOR_NAME}\n${hashToken(ingestToken)} scopes=ingest name=up-demo-relay\n`, 0o600);
  await writeFileAtomic(layout.agentTokens, `${hashToken(agentToken)} scopes=read name=up-local\n`, 0o600);
  let hostName: string;
  if (await exists(layout.hostNameFile)) {
    hostName = (await readFile(layout.hostNameFile, 'utf8')).trim();
    if (!HOST_NAME_RE.test(hostName)) throw new VigiaError('VIGIA_ERR_CONFIG', `${layout.hostNameFile}: not a host name (remove the file: this host is then enrolled anew)`);
  } else {
    hostName = opts.hostName ?? defaultHostName();
    await writeFileAtomic(layout.hostNameFile, `${hostName}\n`, 0o600);
  }
  if (opts.demo && !(await exists(layout.bundleKey))) {
    const pair = generateSigningKeyPair();
    await writeFileAtomic(layout.bundlePub, pair.publicKeyPem, 0o600);
    await writeFileAtomic(layout.bundleKey, pair.privateKeyPem, 0o600);
  }
  return { operatorToken, ingestToken, agentToken, hostName };
}

/** Write the SLO demo year under `dir` once (`vigia slo demo`'s data and spec); kept on later runs. */
export async function prepareSloDemo(dir: string): Promise<void> {
  if (await exists(join(dir, 'slos.yaml'))) return;
  await privateDir(dirname(dir));
  const { writeDemo } = await import('../slo/demo/generate.js');
  await writeDemo(dir);
}

/** The epoch ms kept in `path` (undefined when absent or unreadable). */
export async function readMark(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const n = text === undefined ? NaN : Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** Keep `ms` in `path` (0600). */
export async function writeMark(path: string, ms: number): Promise<void> {
  await writeFileAtomic(path, `${ms}\n`, 0o600);
}
