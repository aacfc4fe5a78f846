/**
 * A throwaway MariaDB for tests: a fresh datadir in a temp dir (mariadb-install-db), binary logging
 * on, normal root authentication (empty password, socket or TCP), its own socket and a free loopback
 * port. Never the machine's own server on 3306.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import { requireBinary } from './binaries.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';
import { tempDir } from './tmp.js';

/** A running test MariaDB. */
export interface TestMariadb {
  /** Temp dir holding everything (mode 0755 so an unprivileged action user can reach the socket). */
  readonly dir: string;
  readonly datadir: string;
  /** Binary log basename (`<dir>/binlog/mysql-bin`). */
  readonly binlogBasename: string;
  readonly socket: string;
  readonly port: number;
  /** A root connection over the socket (caller ends it). */
  connect(): Promise<Connection>;
  /** Stop the server and remove its dir. */
  stop(): Promise<void>;
}

function mariadbBinary(name: string): string {
  try {
    return requireBinary(name);
  } catch {
    throw new Error(`${name} not found; install it with: apt-get install -y mariadb-server`);
  }
}

/** Start a MariaDB with `--log-bin`; resolves once it answers on its socket. */
export async function startMariadb(options: { logBin?: boolean } = {}): Promise<TestMariadb> {
  const installDb = mariadbBinary('mariadb-install-db');
  const server = mariadbBinary('mariadbd');
  const tmp = tempDir('vigia-mariadb-');
  chmodSync(tmp.dir, 0o755);
  const datadir = join(tmp.dir, 'data');
  const binlogDir = join(tmp.dir, 'binlog');
  mkdirSync(datadir);
  mkdirSync(binlogDir);
  const install = spawnSync(installDb, ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--user=root', '--skip-test-db'], { encoding: 'utf8', timeout: 60_000 });
  if (install.status !== 0) {
    tmp.remove();
    throw new Error(`mariadb-install-db failed: ${install.stdout}${install.stderr}`);
  }
  const port = await freePort();
  const socket = join(tmp.dir, 'mysqld.sock');
  const binlogBasename = join(binlogDir, 'mysql-bin');
  const args = [
    '--no-defaults', '--user=root', `--datadir=${datadir}`, `--socket=${socket}`, `--port=${port}`, '--bind-address=127.0.0.1',
    `--pid-file=${join(tmp.dir, 'mysqld.pid')}`, `--log-error=${join(tmp.dir, 'error.log')}`,
    '--innodb-buffer-pool-size=16M', '--skip-name-resolve', '--server-id=1',
    ...(options.logBin === false ? [] : [`--log-bin=${binlogBasename}`]),
  ];
  const child: ChildProcess = spawn(server, args, { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const connect = (): Promise<Connection> => createConnection({ socketPath: socket, user: 'root', connectTimeout: 5000 });
  try {
    await waitFor(`mariadb on ${socket}`, async () => {
      if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode}`);
      const c = await connect();
      await c.end();
      return true;
    }, 60_000, 200);
  } catch (err) {
    let log = '';
    try {
      log = readFileSync(join(tmp.dir, 'error.log'), 'utf8').slice(-2000);
    } catch {
      // no log
    }
    child.kill('SIGKILL');
    await exited;
    tmp.remove();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return {
    dir: tmp.dir,
    datadir,
    binlogBasename,
    socket,
    port,
    connect,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(t);
      }
      tmp.remove();
    },
  };
}
