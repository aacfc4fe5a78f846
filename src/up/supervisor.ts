/**
 * The parts of `vigia up` as child processes: each one started, waited for until its /healthz
 * answers, watched, and stopped in reverse start order (SIGTERM, then SIGKILL at a deadline). A
 * part that ends by itself (a crash, a port taken after all) is reported once, naming it and the
 * last lines of its output, so the caller can stop the rest.
 *
 * Children run in their own process group (detached): the terminal's Ctrl-C reaches `vigia up`
 * alone, which then stops the parts one by one in order, instead of every process at once.
 * Their output goes to one file per part (the terminal gets one line from `vigia up`, not five logs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { VigiaError } from '../core/errors.js';
import type { PartSpec } from './plan.js';

/** How a part ended. */
export interface PartExit {
  readonly name: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last lines of its output file (bounded), for the message. */
  readonly tail: string;
}

/** What the supervisor needs: how to run `vigia`, where the output files go, what to do when a part ends unasked. */
export interface SupervisorOptions {
  /** The command and leading arguments that run `vigia` (process.execPath and the CLI's main.js). */
  readonly command: readonly [string, ...string[]];
  readonly logDir: string;
  readonly cwd?: string;
  /** The parts' environment (default: spawn's, this process's own). */
  readonly env?: NodeJS.ProcessEnv;
  /** Called once for a part that ended while it should run (not for `mayEnd` parts that exit 0). */
  readonly onUnexpectedExit: (exit: PartExit) => void;
}

interface Running {
  readonly spec: PartSpec;
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly exited: Promise<PartExit>;
  stopping: boolean;
}

/** Most bytes of a part's output read back for a message. */
const TAIL_BYTES = 4096;
/** Lines of output quoted in a message. */
const TAIL_LINES = 2;
/** How often /healthz is asked while a part starts, and how long one ask may take. */
const HEALTH_EVERY_MS = 200;
const HEALTH_TIMEOUT_MS = 2000;

/** The last `TAIL_LINES` non-empty lines of a file's last TAIL_BYTES, one line joined by " | " ('' if unreadable). */
export async function tailOf(path: string): Promise<string> {
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - TAIL_BYTES);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      return buf.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean).slice(-TAIL_LINES).join(' | ').slice(0, 600);
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/** Starts, watches and stops the parts; one instance per `vigia up`. */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #running: Running[] = [];
  #closing = false;

  constructor(options: SupervisorOptions) {
    this.#o = options;
  }

  /** Names of the parts started so far, in start order. */
  get names(): string[] {
    return this.#running.map((r) => r.spec.name);
  }

  /** The output file of part `name`. */
  logFile(name: string): string {
    return join(this.#o.logDir, `${name}.log`);
  }

  /**
   * Start `spec` and resolve once its healthUrl answers 200 (at once for a part without one). Rejects
   * with VIGIA_ERR_UP_FAILED naming the part when it exits first or misses `timeoutMs`; the caller
   * then stops what runs.
   */
  async start(spec: PartSpec, timeoutMs: number): Promise<void> {
    if (this.#closing) throw new VigiaError('VIGIA_ERR_UP_FAILED', `not starting ${spec.name}: stopping`);
    const logFile = this.logFile(spec.name);
    const fd = openSync(logFile, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(this.#o.command[0], [...this.#o.command.slice(1), ...spec.args], {
        cwd: this.#o.cwd, ...(this.#o.env ? { env: this.#o.env } : {}), stdio: ['ignore', fd, fd], detached: true,
      });
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(fd);
    }
    const exited = new Promise<PartExit>((resolve) => {
      let ended = false;
      const end = (code: number | null, sig: NodeJS.Signals | null): void => {
        if (ended) return;
        ended = true;
        void tailOf(logFile).then((tail) => resolve({ name: spec.name, code, signal: sig, tail }));
      };
      // 'error' without a pid: it never started (no 'exit' follows).
      child.on('error', () => {
        if (child.pid === undefined) end(null, null);
      });
      child.once('exit', end);
    });
    const run: Running = { spec, child, logFile, exited, stopping: false };
    this.#running.push(run);
    void exited.then((exit) => {
      if (run.stopping || this.#closing) return;
      if (spec.mayEnd && exit.code === 0) return;
      this.#o.onUnexpectedExit(exit);
    });
    if (!spec.healthUrl) return;
    const deadline = Date.now() + timeoutMs;
    let gone: PartExit | undefined;
    void exited.then((e) => (gone = e));
    for (;;) {
      if (gone) throw new VigiaError('VIGIA_ERR_UP_FAILED', `${spec.name} exited while starting (${describeExit(gone)}): ${gone.tail || `see ${logFile}`}`);
      if (this.#closing) throw new VigiaError('VIGIA_ERR_UP_FAILED', `${spec.name}: stopped while starting`);
      if (await healthy(spec.healthUrl)) return;
      if (Date.now() >= deadline) throw new VigiaError('VIGIA_ERR_UP_FAILED', `${spec.name} did not answer ${spec.healthUrl} within ${Math.round(timeoutMs / 1000)} s (see ${logFile})`);
      await new Promise((r) => setTimeout(r, HEALTH_EVERY_MS));
    }
  }

  /**
   * Stop every part, the last started first: SIGTERM, then SIGKILL after `deadlineMs` for that part.
   * `onStopped` is told of each as it goes. Idempotent; later start() calls are refused.
   */
  async stopAll(deadlineMs: number, onStopped: (exit: PartExit, killed: boolean) => void = () => undefined): Promise<void> {
    this.#closing = true;
    for (const run of [...this.#running].reverse()) {
      run.stopping = true;
      const alive = run.child.exitCode === null && run.child.signalCode === null && run.child.pid !== undefined;
      if (alive) signal(run.child, 'SIGTERM');
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        signal(run.child, 'SIGKILL');
      }, deadlineMs);
      const exit = await run.exited;
      clearTimeout(timer);
      if (alive) onStopped(exit, killed);
    }
  }
}

/** "code 1" or "signal SIGKILL". */
export function describeExit(e: Pick<PartExit, 'code' | 'signal'>): string {
  return e.signal ? `signal ${e.signal}` : `exit status ${e.code}`;
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    child.kill(sig);
  } catch {
    // Already gone.
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}
