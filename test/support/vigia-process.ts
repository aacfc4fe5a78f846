/** The built `vigia` CLI as a child process: what the agent, control-plane and turno process helpers share. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

/** Path of the built CLI; tests run after `npm run build` (scripts/test.sh does it). */
export const VIGIA_BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A running `vigia` child with its output collected. */
export interface VigiaChild {
  readonly child: ChildProcess;
  /** Everything it printed on stdout so far. */
  stdout(): string;
  /** Everything it printed on stderr so far (logs). */
  stderr(): string;
  /** Send `signal` (unless it already exited) and wait for exit; resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns `node dist/cli/main.js ...args` and resolves once `ready()` is truthy (polled; a throw counts
 * as not yet), rejecting with its stderr if it exits first or after `timeoutMs`. Throws the build hint
 * when dist/ is missing.
 */
export async function spawnVigia(
  what: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; ready: (c: VigiaChild) => boolean | Promise<boolean>; timeoutMs: number; everyMs?: number },
): Promise<VigiaChild> {
  if (!existsSync(VIGIA_BIN)) throw new Error(`${VIGIA_BIN} missing: run "npm run build" first (npm test does)`);
  const child = spawn(process.execPath, [VIGIA_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, cwd: options.cwd });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const proc: VigiaChild = {
    child,
    stdout: () => out,
    stderr: () => err,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  await waitFor(
    what,
    async () => {
      if (child.exitCode !== null) throw new Error(`${what}: exited with ${child.exitCode}: ${err}`);
      return await options.ready(proc);
    },
    options.timeoutMs,
    options.everyMs,
  ).catch(async (e: unknown) => {
    await proc.stop('SIGKILL');
    throw e;
  });
  return proc;
}

/** What `fetchAs` answers: the status, the body parsed as JSON when it is JSON (else the text), the text and headers. */
export interface FetchedAnswer {
  readonly status: number;
  readonly body: any;
  readonly text: string;
  readonly headers: Headers;
}

/** `fetch(url)` with `Authorization: Bearer <token>` (none when token is null), bounded by `timeoutMs`. */
export async function fetchAs(url: string, token: string | null, init: RequestInit = {}, timeoutMs = 30_000): Promise<FetchedAnswer> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body, text, headers: res.headers };
}
