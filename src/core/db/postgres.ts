/**
 * PostgreSQL behind the `Database` interface, through `postgres` (porsager): a small pool, bounded
 * connect and statement times, and connection failures mapped to CONTROL_ERR_STORE_UNAVAILABLE
 * (503 + Retry-After) so a database outage never turns into an opaque 500.
 */
import postgres from 'postgres';
import { VigiaError } from '../errors.js';
import type { Logger } from '../log.js';
import { redactUrl as redactUrlText } from '../redact.js';
import type { Database, Queryable } from './database.js';

/** Pool and timeout settings; every field has a default fit for the control plane. */
export interface PostgresOptions {
  /** Most pooled connections (default 8). */
  readonly max?: number;
  /** Seconds to wait for a connection to open (default 10). */
  readonly connectTimeoutSeconds?: number;
  /** Seconds an idle pooled connection stays open (default 60). */
  readonly idleTimeoutSeconds?: number;
  /** Server-side statement_timeout in milliseconds (default 30 000; 0 disables). */
  readonly statementTimeoutMs?: number;
  readonly log?: Logger;
}

// Network and server-availability failures: the caller may retry later, so they become a 503.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE',
  'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006',
]);

/**
 * A database URL (PostgreSQL, MySQL) with its password (`user:***@`, `?password=***`) replaced, for logs
 * and error details; other parameters (`sslmode`) are kept. The rules are core/redact.ts's.
 */
export function redactUrl(url: string): string {
  try {
    new URL(url);
  } catch {
    return '(unparseable url)';
  }
  return redactUrlText(url, { query: 'secret-names' });
}

function mapError(err: unknown): unknown {
  const code = err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (UNAVAILABLE_CODES.has(code)) return new VigiaError('CONTROL_ERR_STORE_UNAVAILABLE', code, { cause: err });
  return err;
}

type Sql = postgres.Sql | postgres.TransactionSql;

function queryable(sql: Sql): Queryable {
  return {
    async query<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      try {
        // Prepared only when parameterised: our parameterised statements are fixed texts (hot path),
        // the parameterless ones are DDL whose names vary.
        const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: params.length > 0 });
        return rows as unknown as T[];
      } catch (err) {
        throw mapError(err);
      }
    },
    async exec(text: string): Promise<void> {
      try {
        await sql.unsafe(text).simple();
      } catch (err) {
        throw mapError(err);
      }
    },
  };
}

/** Open a pool on `url` (postgres://user:pass@host:port/db). Connections open lazily, on first use. */
export function openPostgres(url: string, options: PostgresOptions = {}): Database {
  const statementTimeout = options.statementTimeoutMs ?? 30_000;
  const sql = postgres(url, {
    max: options.max ?? 8,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    idle_timeout: options.idleTimeoutSeconds ?? 60,
    onnotice: () => {},
    connection: { application_name: 'vigia', statement_timeout: statementTimeout, TimeZone: 'UTC' },
  });
  options.log?.debug({ database: redactUrl(url) }, 'postgres pool configured');
  const q = queryable(sql);
  let closed = false;
  return {
    kind: 'postgres',
    query: q.query,
    exec: q.exec,
    // Not sql.begin(): in postgres 3.4.9 it can send BEGIN without reserving the connection when the
    // socket pushes back (porsager/postgres#823, #1189: UNSAFE_TRANSACTION, or worse, other queries
    // running inside the open transaction). Under ingest load (big array parameters) we hit it. A
    // connection reserved first cannot be handed to anyone else, so BEGIN/COMMIT on it are safe.
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      let conn: postgres.ReservedSql;
      try {
        conn = await sql.reserve();
      } catch (err) {
        throw mapError(err);
      }
      try {
        // BEGIN is not awaited before fn's first statement: the two go out in one write (one round
        // trip less per transaction); the connection runs them in order, and a failed BEGIN fails both.
        const begun = conn.unsafe('BEGIN').execute();
        let result: T;
        try {
          [, result] = await Promise.all([begun, fn(queryable(conn))]);
        } catch (err) {
          await conn.unsafe('ROLLBACK').catch(() => undefined);
          throw err;
        }
        await conn.unsafe('COMMIT');
        return result;
      } catch (err) {
        throw mapError(err);
      } finally {
        conn.release();
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await sql.end({ timeout: 5 });
    },
  };
}
