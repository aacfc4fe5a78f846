/**
 * A real HAProxy for tests, running the shipped deploy/turno/haproxy.cfg with only its addresses
 * rewritten to free loopback ports: the test proves the configuration we ship, not a test copy.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireBinary } from './binaries.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';
import { tempDir } from './tmp.js';

const SHIPPED = fileURLToPath(new URL('../../deploy/turno/haproxy.cfg', import.meta.url));

/** A running HAProxy in front of turno instances. */
export interface TestHaproxy {
  readonly url: string;
  readonly statsUrl: string;
  /** Backend server states from the stats CSV: name -> `UP L7OK`, `DOWN L7STS`, ... */
  serverStates(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** The shipped config with its frontend on `port`, stats on `statsPort` and one server per backend port. */
export function rewriteShippedConfig(text: string, port: number, statsPort: number, backendPorts: readonly number[]): string {
  const servers = backendPorts.map((p, i) => `    server turno${i + 1} 127.0.0.1:${p} check`).join('\n');
  let out = text.replace(/^(\s*)bind :8080\s*$/m, `$1bind 127.0.0.1:${port}`).replace(/^(\s*)bind 127\.0\.0\.1:8404\s*$/m, `$1bind 127.0.0.1:${statsPort}`);
  const serverLines = /^\s*server turno\d+ .*$/gm;
  const first = out.search(serverLines);
  if (first === -1 || !out.includes(`127.0.0.1:${port}`) || !out.includes(`127.0.0.1:${statsPort}`)) throw new Error('deploy/turno/haproxy.cfg no longer has the expected bind/server lines');
  out = out.replace(serverLines, '').replace(/\n{3,}/g, '\n\n');
  const defaultServer = /^\s*default-server\s.*$/m.exec(out);
  if (!defaultServer) throw new Error('deploy/turno/haproxy.cfg has no default-server line in its backend');
  const insertAt = defaultServer.index + defaultServer[0].length + 1;
  return out.slice(0, insertAt) + servers + '\n' + out.slice(insertAt);
}

/**
 * Start HAProxy in front of `backendPorts`; resolves once every backend passed a health check
 * (servers start "UP" before their first check, so UP alone proves nothing), or, with
 * `expect`, once the servers are in the given states (e.g. `['UP', 'DOWN']`).
 */
export async function startHaproxy(backendPorts: readonly number[], expect?: readonly ('UP' | 'DOWN')[]): Promise<TestHaproxy> {
  const bin = requireBinary('haproxy');
  const tmp = tempDir('vigia-haproxy-');
  const port = await freePort();
  const statsPort = await freePort();
  const cfg = join(tmp.dir, 'haproxy.cfg');
  writeFileSync(cfg, rewriteShippedConfig(readFileSync(SHIPPED, 'utf8'), port, statsPort, backendPorts));
  const check = spawnSync(bin, ['-c', '-f', cfg], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy -c failed: ${check.stdout}${check.stderr}`);
  const child: ChildProcess = spawn(bin, ['-db', '-f', cfg], { stdio: 'ignore' });
  const statsUrl = `http://127.0.0.1:${statsPort}`;
  const serverStates = async (): Promise<Record<string, string>> => {
    const res = await fetch(`${statsUrl}/stats;csv`);
    const states: Record<string, string> = {};
    for (const line of (await res.text()).split('\n')) {
      const f = line.split(',');
      if (f[0] === 'turno' && f[1] && f[1] !== 'BACKEND' && f[1] !== 'FRONTEND') states[f[1]] = `${f[17] ?? ''} ${f[36] ?? ''}`;
    }
    return states;
  };
  await waitFor('haproxy backends UP', async () => {
    const s = await serverStates();
    const want = expect ?? backendPorts.map(() => 'UP');
    return backendPorts.every((_, i) => {
      const st = s[`turno${i + 1}`] ?? '';
      return want[i] === 'UP' ? /^UP.* L7OK/.test(st) : /^DOWN/.test(st);
    });
  }, 20_000, 200);
  return {
    url: `http://127.0.0.1:${port}`,
    statsUrl,
    serverStates,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      tmp.remove();
    },
  };
}
