/**
 * A real HAProxy for tests, running the shipped deploy/turno/haproxy.cfg or deploy/control/haproxy.cfg
 * with only its addresses rewritten to free loopback ports (and, for the control plane, a throwaway
 * certificate and a lower global maxconn): the test proves the configuration we ship, not a test copy.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
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
    stop: () => stopHaproxy(child, tmp),
  };
}

const SHIPPED_CONTROL = fileURLToPath(new URL('../../deploy/control/haproxy.cfg', import.meta.url));

/** A running HAProxy in front of control-plane replicas (TLS on its frontend, with a throwaway certificate). */
export interface TestControlHaproxy {
  /** https://127.0.0.1:PORT (a self-signed certificate: clients must not verify it). */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * The shipped deploy/control/haproxy.cfg with its frontend on 127.0.0.1:`port`, a test certificate at
 * `pem`, global maxconn 4096, and every `server` line of every backend pointing at `backendPort`; the rest (timeouts,
 * health checks, `send-proxy-v2`, ...) is what operators run.
 */
export function rewriteShippedControlConfig(text: string, port: number, pem: string, backendPort: number): string {
  const out = text
    .replace(/^(\s*)bind :8443 ssl crt \/etc\/haproxy\/control\.pem(.*)$/m, `$1bind 127.0.0.1:${port} ssl crt ${pem}$2`)
    .replace(/^(\s*server \S+ )\d+\.\d+\.\d+\.\d+:\d+/gm, `$1127.0.0.1:${backendPort}`)
    // maxconn 100000 needs ~200,000 file descriptors; a test machine's limit may be far lower.
    .replace(/^(\s*)maxconn \d+$/m, '$1maxconn 4096');
  if (!out.includes(`bind 127.0.0.1:${port} ssl crt ${pem}`) || !out.includes(`127.0.0.1:${backendPort}`)) throw new Error('deploy/control/haproxy.cfg no longer has the expected bind/server lines');
  return out;
}

/** Start the shipped control-plane HAProxy in front of one `vigia server` on `backendPort`; resolves once /healthz answers 200 through it. */
export async function startControlHaproxy(backendPort: number): Promise<TestControlHaproxy> {
  const bin = requireBinary('haproxy');
  const tmp = tempDir('vigia-haproxy-control-');
  const port = await freePort();
  const key = join(tmp.dir, 'key.pem');
  const crt = join(tmp.dir, 'crt.pem');
  const pem = join(tmp.dir, 'control.pem');
  const gen = spawnSync(requireBinary('openssl'), ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=control.test'], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`openssl req failed: ${gen.stderr}`);
  writeFileSync(pem, readFileSync(crt, 'utf8') + readFileSync(key, 'utf8'));
  const cfg = join(tmp.dir, 'haproxy.cfg');
  writeFileSync(cfg, rewriteShippedControlConfig(readFileSync(SHIPPED_CONTROL, 'utf8'), port, pem, backendPort));
  const check = spawnSync(bin, ['-c', '-f', cfg], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy -c failed: ${check.stdout}${check.stderr}`);
  const child: ChildProcess = spawn(bin, ['-db', '-f', cfg], { stdio: 'ignore' });
  const url = `https://127.0.0.1:${port}`;
  await waitFor('haproxy forwards /healthz', async () => (await httpsStatus(`${url}/healthz`)) === 200, 20_000, 200);
  return {
    url,
    port,
    stop: () => stopHaproxy(child, tmp),
  };
}

/** SIGTERM a started HAProxy, wait for it to exit, remove its temp dir. */
async function stopHaproxy(child: ChildProcess, tmp: { remove: () => void }): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  tmp.remove();
}

/** GET over HTTPS without verifying the (test) certificate: the status, or 0 when the exchange failed. */
function httpsStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpsRequest(url, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', () => resolve(0));
    req.once('timeout', () => req.destroy());
    req.end();
  });
}
