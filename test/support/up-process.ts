/** `vigia up` (the built binary) as a child process, as `npm start` runs it, for the tests that start it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { VIGIA_BIN } from './vigia-process.js';
import { waitFor } from './wait.js';

/** A running `vigia up`: its output so far and its exit. */
export interface Up {
  readonly child: ChildProcess;
  out(): string;
  err(): string;
  readonly exited: Promise<number | null>;
}

/** Start `vigia up ARGS` in `cwd` (its ./data lands there). */
export function startUp(cwd: string, args: readonly string[]): Up {
  const child = spawn(process.execPath, [VIGIA_BIN, 'up', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}

/** The console link of the one line `vigia up` prints, once printed (fails with its stderr when it exits first). */
export async function linkOf(up: Up): Promise<string> {
  return waitFor('the console line', () => {
    if (up.child.exitCode !== null) throw new Error(`vigia up exited ${up.child.exitCode}: ${up.err()}`);
    return /^vigia up: console (http:\/\/127\.0\.0\.1:\d+\/ui\/login\/[A-Za-z0-9_-]+) /.exec(up.out())?.[1];
  }, 120_000, 100);
}
