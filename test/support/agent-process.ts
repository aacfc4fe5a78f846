/** Run the built `vigia agent` binary as a real process on a free loopback port, with fresh tokens. */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken, newToken } from '../../src/core/auth.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';
import { tempDir } from './tmp.js';
import { VIGIA_BIN } from './turno-process.js';

/** A running agent process and the tokens it accepts. */
export interface AgentProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Token with scope `read`. */
  readonly readToken: string;
  /** Token with scopes `read,actions`. */
  readonly actionsToken: string;
  /** Temp dir holding the token file and the audit log (`audit.log`). */
  readonly dir: string;
  /** GET (or other method) with the read token by default; returns status and parsed JSON or text. */
  fetch(path: string, init?: RequestInit & { token?: string | null }): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  stderr(): string;
  /** Send `signal`, wait for exit, remove the temp dir; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Start `vigia agent` with `args` (listen, token file and audit log are added unless given). */
export async function startAgent(args: readonly string[] = [], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<AgentProcess> {
  if (!existsSync(VIGIA_BIN)) throw new Error(`${VIGIA_BIN} missing: run "npm run build" first (npm test does)`);
  const port = await freePort();
  const tmp = tempDir('vigia-agent-');
  const readToken = newToken();
  const actionsToken = newToken();
  const tokenFile = join(tmp.dir, 'tokens');
  writeFileSync(tokenFile, `${hashToken(readToken)} name=reader\n${hashToken(actionsToken)} scopes=read,actions name=operator\n`, { mode: 0o600 });
  const extra: string[] = [];
  if (!args.includes('--auth-token-file')) extra.push('--auth-token-file', tokenFile);
  if (!args.includes('--audit-log')) extra.push('--audit-log', join(tmp.dir, 'audit.log'));
  if (!args.includes('--listen')) extra.push('--listen', `127.0.0.1:${port}`);
  // A reporting agent also installs check bundles: never into the machine's /var/lib. Its checks run
  // as nobody, who must be able to enter the temp dir (mkdtemp makes it 0700).
  if (args.includes('--report-to') && !args.includes('--bundle-dir')) {
    extra.push('--bundle-dir', join(tmp.dir, 'bundles'));
    chmodSync(tmp.dir, 0o755);
  }
  const child = spawn(process.execPath, [VIGIA_BIN, 'agent', '--log-level', 'warn', ...extra, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    cwd: options.cwd ?? tmp.dir,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitFor(`agent on ${port}`, () => {
    if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}: ${err}`);
    return out.includes('listening on');
  }, 20_000);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    child,
    readToken,
    actionsToken,
    dir: tmp.dir,
    stderr: () => err,
    fetch: async (path, init = {}) => {
      const { token = readToken, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      const res = await fetch(url + path, { ...rest, headers, signal: AbortSignal.timeout(30_000) });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, body, text, headers: res.headers };
    },
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      tmp.remove();
      return code;
    },
  };
}
