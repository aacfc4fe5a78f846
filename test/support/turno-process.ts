/** Run the built `vigia turno` binary as a real process on a free loopback port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

/** Path of the built CLI; tests run after `npm run build` (scripts/test.sh does it). */
export const VIGIA_BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A running turno process. */
export interface TurnoProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it printed on stderr so far (logs). */
  stderr(): string;
  /** Send `signal` and wait for exit; resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Start `vigia turno` with `args` (listen is added); resolves once it printed its URL. */
export async function startTurno(args: readonly string[], options: { port?: number; env?: NodeJS.ProcessEnv } = {}): Promise<TurnoProcess> {
  if (!existsSync(VIGIA_BIN)) throw new Error(`${VIGIA_BIN} missing: run "npm run build" first (npm test does)`);
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [VIGIA_BIN, 'turno', '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitFor(`turno on ${port}`, () => {
    if (child.exitCode !== null) throw new Error(`turno exited with ${child.exitCode}: ${err}`);
    return out.includes('listening on');
  }, 15_000);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    stderr: () => err,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
