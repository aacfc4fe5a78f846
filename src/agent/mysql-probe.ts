/**
 * Role detection asks the local MySQL/MariaDB for its paths from a short-lived child process, so the
 * MySQL driver (about 15 MB of resident memory once loaded) never stays in the long-running agent.
 * Asked at start and every few minutes, the child costs a node start-up (~50 ms CPU) each time.
 */
import { execFile } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MysqlPaths, MysqlPathsOptions } from './mysql-paths.js';

/** The child's entry point, beside this file (.ts under tsx in tests, .js when built). */
const MAIN = fileURLToPath(new URL(`./mysql-probe-main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** detectMysqlPaths in a child process; null when the server is unreachable, the child fails or overruns. */
export function probeMysqlPaths(opts: MysqlPathsOptions): Promise<MysqlPaths | null> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [...loaderArgs(process.execArgv), MAIN],
      // The password travels on stdin, never in argv or the environment (both visible in /proc).
      { env: { PATH: '/usr/bin:/bin' }, timeout: opts.timeoutMs + 5000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024, windowsHide: true },
      (err, stdout) => {
        if (err) return resolve(null);
        try {
          const parsed = JSON.parse(stdout) as MysqlPaths | null;
          resolve(parsed && typeof parsed.datadir === 'string' ? { datadir: parsed.datadir, binlog: typeof parsed.binlog === 'string' ? parsed.binlog : null } : null);
        } catch {
          resolve(null);
        }
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(JSON.stringify(opts));
  });
}

/** Only the module loader flags of the parent (tsx in tests); never --inspect, --cpu-prof and the like. */
export function loaderArgs(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (/^--(import|require|loader|experimental-loader)=/.test(a)) out.push(a);
    else if (/^--(import|require|loader|experimental-loader)$/.test(a) && i + 1 < execArgv.length) out.push(a, execArgv[++i]!);
    else if (a === '-r' && i + 1 < execArgv.length) out.push(a, execArgv[++i]!);
  }
  return out;
}
