/** Run the built `vigia agent` binary as a real process on a free loopback port, with fresh tokens. */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken, newToken } from '../../src/core/auth.js';
import { freePort } from './ports.js';
import { tempDir } from './tmp.js';
import { fetchAs, spawnVigia, type FetchedAnswer } from './vigia-process.js';

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
  fetch(path: string, init?: RequestInit & { token?: string | null }): Promise<FetchedAnswer>;
  stderr(): string;
  /** Send `signal`, wait for exit, remove the temp dir; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Start `vigia agent` with `args` (listen, token file and audit log are added unless given). */
export async function startAgent(args: readonly string[] = [], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<AgentProcess> {
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
  const proc = await spawnVigia(`agent on ${port}`, ['agent', '--log-level', 'warn', ...extra, ...args], {
    env: options.env,
    cwd: options.cwd ?? tmp.dir,
    ready: (c) => c.stdout().includes('listening on'),
    timeoutMs: 20_000,
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    child: proc.child,
    readToken,
    actionsToken,
    dir: tmp.dir,
    stderr: proc.stderr,
    fetch: async (path, init = {}) => {
      const { token = readToken, ...rest } = init;
      return fetchAs(url + path, token, rest, 30_000);
    },
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      const code = await proc.stop(signal);
      tmp.remove();
      return code;
    },
  };
}
