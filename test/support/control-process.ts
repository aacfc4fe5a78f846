/** Run the built `vigia server` as a real process on a free loopback port, with fresh operator tokens. */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken, newToken } from '../../src/core/auth.js';
import { freePort } from './ports.js';
import { tempDir } from './tmp.js';
import { fetchAs, spawnVigia, VIGIA_BIN, type FetchedAnswer } from './vigia-process.js';

/** A running control plane. */
export interface ControlProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Raw operator tokens (scope read; scope admin) and files holding them (for `--token-file`). */
  readonly readToken: string;
  readonly adminToken: string;
  readonly adminTokenFile: string;
  readonly readTokenFile: string;
  /** A token with scope run (fleet runs) and its file. */
  readonly runToken: string;
  readonly runTokenFile: string;
  /** Temp dir holding the token files (and the embedded store in `<dir>/data` unless --database/--data-dir is given). */
  readonly dir: string;
  readonly dataDir: string;
  fetch(path: string, init?: RequestInit & { token?: string | null }): Promise<FetchedAnswer>;
  stderr(): string;
  /** Send `signal` and wait for exit; the temp dir stays (see remove()). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Start it again with the same port, tokens and data. */
  restart(): Promise<ControlProcess>;
  /** Remove the temp dir (after stop). */
  remove(): void;
}

/** Options of startControl. */
export interface ControlProcessOptions {
  readonly args?: readonly string[];
  readonly port?: number;
  /** Reuse this dir (tokens, data) instead of a new temp dir. */
  readonly dir?: string;
}

/** Start `vigia server` with `args` (listen, operator token file and data dir are added unless given). */
export async function startControl(options: ControlProcessOptions = {}): Promise<ControlProcess> {
  const args = options.args ?? [];
  const port = options.port ?? (await freePort());
  const tmp = options.dir ? { dir: options.dir, remove: () => spawnSync('rm', ['-rf', options.dir!]) } : tempDir('vigia-control-');
  const dataDir = join(tmp.dir, 'data');
  const adminTokenFile = join(tmp.dir, 'admin.token');
  const readTokenFile = join(tmp.dir, 'read.token');
  const runTokenFile = join(tmp.dir, 'run.token');
  let adminToken: string;
  let readToken: string;
  let runToken: string;
  if (options.dir && existsSync(adminTokenFile)) {
    adminToken = readFileSync(adminTokenFile, 'utf8').trim();
    readToken = readFileSync(readTokenFile, 'utf8').trim();
    runToken = readFileSync(runTokenFile, 'utf8').trim();
  } else {
    adminToken = newToken();
    readToken = newToken();
    runToken = newToken();
    writeFileSync(adminTokenFile, `${adminToken}\n`, { mode: 0o600 });
    writeFileSync(readTokenFile, `${readToken}\n`, { mode: 0o600 });
    writeFileSync(runTokenFile, `${runToken}\n`, { mode: 0o600 });
    writeFileSync(join(tmp.dir, 'server.tokens'), `${hashToken(readToken)} name=reader\n${hashToken(adminToken)} scopes=read,admin name=ops\n${hashToken(runToken)} scopes=run name=runner\n`, { mode: 0o600 });
  }
  const extra: string[] = [];
  if (!args.includes('--auth-token-file')) extra.push('--auth-token-file', join(tmp.dir, 'server.tokens'));
  if (!args.includes('--listen')) extra.push('--listen', `127.0.0.1:${port}`);
  if (!args.includes('--database') && !args.includes('--data-dir')) extra.push('--data-dir', dataDir);
  const url = `http://127.0.0.1:${port}`;
  const child = await spawnVigia(`vigia server on ${port}`, ['server', '--log-level', 'warn', ...extra, ...args], {
    cwd: tmp.dir,
    ready: async () => {
      try {
        return (await fetch(`${url}/healthz`)).status === 200;
      } catch {
        return false;
      }
    },
    timeoutMs: 60_000,
    everyMs: 100,
  });
  const proc: ControlProcess = {
    url,
    port,
    child: child.child,
    readToken,
    adminToken,
    adminTokenFile,
    readTokenFile,
    runToken,
    runTokenFile,
    dir: tmp.dir,
    dataDir,
    stderr: child.stderr,
    fetch: async (path, init = {}) => {
      const { token = readToken, ...rest } = init;
      return fetchAs(url + path, token, rest, 60_000);
    },
    stop: child.stop,
    restart: () => startControl({ args, port, dir: tmp.dir }),
    remove: () => void tmp.remove(),
  };
  return proc;
}

/** Run the vigia CLI to completion; returns exit status, stdout and stderr. */
export function vigia(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [VIGIA_BIN, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, encoding: 'utf8', timeout: options.timeoutMs ?? 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
