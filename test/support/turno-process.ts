/** Run the built `vigia turno` binary as a real process on a free loopback port. */
import type { ChildProcess } from 'node:child_process';
import { freePort } from './ports.js';
import { spawnVigia } from './vigia-process.js';

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
  const port = options.port ?? (await freePort());
  const proc = await spawnVigia(`turno on ${port}`, ['turno', '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', ...args], {
    env: options.env,
    ready: (c) => c.stdout().includes('listening on'),
    timeoutMs: 15_000,
  });
  return { url: `http://127.0.0.1:${port}`, port, child: proc.child, stderr: proc.stderr, stop: proc.stop };
}
