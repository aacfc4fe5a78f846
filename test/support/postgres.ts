/**
 * A throwaway PostgreSQL for tests: initdb into a temp dir, trust auth on 127.0.0.1 only, a free
 * loopback port, fsync off. We run as root and postgres refuses root, so initdb and the server run as
 * the `postgres` OS user (runuser) in a dir chowned to it. Never the machine's own server on 5432.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';
import { tempDir } from './tmp.js';

/** A running test PostgreSQL. */
export interface TestPostgres {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust auth, no password). */
  readonly url: string;
  readonly dir: string;
  /** Run one SQL text (simple protocol) as the superuser; resolves with the rows. */
  sql(text: string): Promise<Record<string, unknown>[]>;
  /** URL of a new, empty database on this server (for tests that need isolation). */
  createDatabase(name: string): Promise<string>;
  /** Stop it (fast shutdown, then SIGKILL) and remove its dir. */
  stop(): Promise<void>;
  /** SIGKILL the server and remove its dir, synchronously (for process-exit handlers). */
  killSync(): void;
}

/** Options for a test PostgreSQL. */
export interface TestPostgresOptions {
  readonly maxConnections?: number;
  /** fsync, synchronous_commit and full_page_writes on (benchmarks); off by default (tests). */
  readonly durable?: boolean;
  /** Load pg_stat_statements and create its view: where the database's time goes (`npm run bench:control -- --pg-statements`). */
  readonly statementStats?: boolean;
}

/** The bin directory of the newest PostgreSQL under /usr/lib/postgresql, or throw with the install hint. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'postgres')) && existsSync(join(bin, 'initdb'))) return bin;
  }
  throw new Error('postgres not found under /usr/lib/postgresql/*/bin; install it with: apt-get install -y postgresql (npm test installs it: bash scripts/setup.sh)');
}

const asRoot = process.getuid?.() === 0;

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

/** Start a PostgreSQL; resolves once it accepts connections. */
export async function startPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const tmp = tempDir('vigia-pg-');
  chmodSync(tmp.dir, 0o700);
  if (asRoot) spawnSync('chown', ['-R', 'postgres:postgres', tmp.dir]);
  const data = join(tmp.dir, 'data');
  const [initCmd, initArgs] = asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8', timeout: 120_000 });
  if (init.status !== 0) {
    tmp.remove();
    throw new Error(`initdb failed: ${init.stdout}${init.stderr}`);
  }
  const port = await freePort();
  const [cmd, args] = asPostgres(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${tmp.dir}`,
    ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    '-c', `max_connections=${options.maxConnections ?? 100}`,
    '-c', 'shared_buffers=128MB', '-c', 'logging_collector=off', '-c', 'log_min_messages=warning',
    ...(options.statementStats ? ['-c', 'shared_preload_libraries=pg_stat_statements'] : []),
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const sql = async (text: string, db = url): Promise<Record<string, unknown>[]> => {
    const c = postgres(db, { max: 1, onnotice: () => {}, connect_timeout: 5 });
    try {
      return [...(await c.unsafe(text).simple())] as Record<string, unknown>[];
    } finally {
      await c.end({ timeout: 1 });
    }
  };
  const killNow = (): void => {
    try {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // not running
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // runuser forwards signals; SIGINT is postgres' fast shutdown.
    child.kill('SIGINT');
    const t = setTimeout(killNow, 5000);
    await exited;
    clearTimeout(t);
  };
  // A test that crashes before stop() must not leave a server (and its temp dir) behind.
  const onExit = (): void => {
    killNow();
    tmp.remove();
  };
  process.once('exit', onExit);
  try {
    await waitFor(`postgres on ${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${stderr}`);
      await sql('SELECT 1');
      return true;
    }, 60_000, 100);
    if (options.statementStats) await sql('CREATE EXTENSION pg_stat_statements');
  } catch (err) {
    process.removeListener('exit', onExit);
    await kill();
    tmp.remove();
    throw err;
  }
  return {
    port,
    url,
    dir: tmp.dir,
    sql: (text) => sql(text),
    createDatabase: async (name) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await sql(`CREATE DATABASE ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop: async () => {
      process.removeListener('exit', onExit);
      await kill();
      tmp.remove();
    },
    killSync: () => {
      process.removeListener('exit', onExit);
      killNow();
      tmp.remove();
    },
  };
}
