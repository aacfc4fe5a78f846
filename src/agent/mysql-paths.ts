/**
 * Where the local MySQL/MariaDB keeps its data and binary logs, asked from the server itself
 * (`@@datadir`, `@@log_bin`, `@@log_bin_basename`), so the agent can label the volumes holding them.
 * Best effort: an unreachable server, bad credentials or a timeout yield null, never an error.
 */
import { dirname } from 'node:path';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';

/** How to reach the server. `url` (mysql://user:pass@host:port) wins over `socketPath`. */
export interface MysqlPathsOptions {
  readonly socketPath?: string;
  readonly url?: string;
  readonly user?: string;
  readonly password?: string;
  /** Bound on connecting plus querying. */
  readonly timeoutMs: number;
}

/** The server's data directory and binary log basename (null when binary logging is off). */
export interface MysqlPaths {
  /** Absolute data directory, without a trailing slash. */
  readonly datadir: string;
  /** Absolute basename of the binary logs (e.g. /var/lib/mysql/mysql-bin), or null when log_bin is off. */
  readonly binlog: string | null;
}

/**
 * Turn the answer of `SELECT @@datadir, @@log_bin, @@log_bin_basename` into paths. Pure. A relative
 * basename is resolved against the datadir (older servers report it that way).
 */
export function parseMysqlPaths(row: { datadir: unknown; log_bin: unknown; log_bin_basename: unknown }): MysqlPaths | null {
  if (typeof row.datadir !== 'string' || row.datadir === '') return null;
  const datadir = row.datadir.length > 1 ? row.datadir.replace(/\/+$/, '') : row.datadir;
  const on = row.log_bin === 1 || row.log_bin === '1' || row.log_bin === 'ON' || row.log_bin === BigInt(1);
  let binlog: string | null = null;
  if (on && typeof row.log_bin_basename === 'string' && row.log_bin_basename !== '') {
    binlog = row.log_bin_basename.startsWith('/') ? row.log_bin_basename : `${datadir}/${row.log_bin_basename.replace(/^\.\//, '')}`;
  }
  return { datadir, binlog };
}

/** The directory holding the binary logs, for labelling the volume. Pure. */
export function binlogDir(paths: MysqlPaths): string | null {
  return paths.binlog === null ? null : dirname(paths.binlog);
}

/** Ask the server for its paths; null when it cannot be reached in `timeoutMs` (never throws). */
export async function detectMysqlPaths(opts: MysqlPathsOptions): Promise<MysqlPaths | null> {
  let conn: Connection | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const work = (async (): Promise<MysqlPaths | null> => {
    const base = { connectTimeout: Math.max(1, opts.timeoutMs), ...(opts.user !== undefined ? { user: opts.user } : {}), ...(opts.password !== undefined ? { password: opts.password } : {}) };
    const c = opts.url
      ? await createConnection({ uri: opts.url, connectTimeout: base.connectTimeout })
      : await createConnection({ ...base, socketPath: opts.socketPath ?? '/run/mysqld/mysqld.sock' });
    conn = c;
    if (timedOut) return null;
    const [rows] = await c.query<RowDataPacket[]>({ sql: 'SELECT @@datadir AS datadir, @@log_bin AS log_bin, @@log_bin_basename AS log_bin_basename', timeout: opts.timeoutMs });
    const row = rows[0];
    return row ? parseMysqlPaths(row as { datadir: unknown; log_bin: unknown; log_bin_basename: unknown }) : null;
  })();
  try {
    return await Promise.race([
      work,
      new Promise<null>((resolve) => {
        timer = setTimeout(() => {
          timedOut = true;
          resolve(null);
        }, opts.timeoutMs);
      }),
    ]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    work.catch(() => null).finally(() => {
      // destroy(), not end(): never wait on a server that stopped answering.
      conn?.destroy();
    });
  }
}
