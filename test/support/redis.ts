/**
 * Real redis-server instances for tests: each on a free loopback port, in its own temp dir, started
 * and stopped by the test (never the machine's own Redis on 6379).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { requireBinary } from './binaries.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';
import { tempDir } from './tmp.js';

/** A running test Redis. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly pid: number;
  /** Run redis-cli against it; returns trimmed stdout. */
  cli(...args: string[]): string;
  /** SIGKILL it (no shutdown save). */
  kill(): Promise<void>;
  /** Start it again on the same port and dir (same config). */
  restart(): Promise<void>;
  /** Stop it and remove its dir. */
  stop(): Promise<void>;
}

/** Options for a test Redis. */
export interface TestRedisOptions {
  /** `always` = AOF with fsync per write; `no` = no persistence (default). */
  readonly appendfsync?: 'always' | 'everysec' | 'no-aof';
  /** Make it a replica of this port. */
  readonly replicaOf?: number;
  /** Start with cluster-enabled yes. */
  readonly cluster?: boolean;
  readonly extraArgs?: readonly string[];
}

/** Start a redis-server; resolves once it answers PING. */
export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const bin = requireBinary('redis-server');
  const cliBin = requireBinary('redis-cli');
  const port = await freePort();
  const tmp = tempDir('vigia-redis-');
  const aof = options.appendfsync && options.appendfsync !== 'no-aof';
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', tmp.dir, '--save', '',
    '--appendonly', aof ? 'yes' : 'no', ...(aof ? ['--appendfsync', options.appendfsync!] : []),
    '--daemonize', 'no', '--repl-diskless-sync-delay', '0', '--logfile', 'redis.log', '--protected-mode', 'yes',
    ...(options.replicaOf ? ['--replicaof', '127.0.0.1', String(options.replicaOf)] : []),
    ...(options.cluster ? ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'] : []),
    ...(options.extraArgs ?? []),
  ];
  let child: ChildProcess;
  const cli = (...a: string[]): string => {
    const r = spawnSync(cliBin, ['-p', String(port), ...a], { encoding: 'utf8', timeout: 10_000 });
    return (r.stdout ?? '').trim();
  };
  const launch = async (): Promise<void> => {
    child = spawn(bin, args, { stdio: 'ignore' });
    await waitFor(`redis on ${port}`, () => cli('PING') === 'PONG', 10_000);
  };
  await launch();
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir: tmp.dir,
    get pid() {
      return child.pid ?? -1;
    },
    cli,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      tmp.remove();
    },
  };
}
