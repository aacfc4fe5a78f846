/** `vigia logs ship` / `vigia logs pipe` as child processes against a receiver, for the shipper tests, the fleet test and the bench. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnVigia, VIGIA_BIN, type VigiaChild } from './vigia-process.js';

/** A token file (mode 600) holding `token`, in `dir`. */
export function writeTokenFile(dir: string, token: string): string {
  const path = join(dir, 'ship.token');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return path;
}

/** A combined-format line whose path carries `tag` (tests find each line by it). */
export function accessLine(tag: string, i: number): string {
  return `10.0.${i % 256}.${(i >> 8) % 256} - - [10/Oct/2024:13:55:36 +0000] "GET /p/${tag}-${i} HTTP/1.1" 200 ${i % 5000} "-" "test/1.0"`;
}

/** Fast test settings: short polls, batches and grace periods. */
export const FAST_SHIP_FLAGS = ['--poll-interval', '50', '--batch-age', '100', '--rotate-grace', '300', '--stats-interval', '0', '--request-timeout', '2000', '--shutdown-timeout', '2000'];

/** Start `vigia logs ship` with `args`; resolves once it follows (its "shipping" log line). */
export function startShip(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<VigiaChild> {
  return spawnVigia('vigia logs ship', ['logs', 'ship', ...args], { env, ready: (c) => c.stderr().includes('"msg":"shipping"'), timeoutMs: 20_000 });
}

/** Start `vigia logs pipe` with `args` and a writable stdin. */
export function startPipe(args: readonly string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [VIGIA_BIN, 'logs', 'pipe', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stderr: () => err, exited };
}

/** The last `stats` log line of a shipper's stderr, parsed. */
export function lastStats(stderr: string): { read: number; acked: number; spooled: number; dropped: number; duplicates: number } | null {
  const lines = stderr.split('\n').filter((l) => l.includes('"msg":"stats"'));
  return lines.length ? (JSON.parse(lines.at(-1)!) as { read: number; acked: number; spooled: number; dropped: number; duplicates: number }) : null;
}
