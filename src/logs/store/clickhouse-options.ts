/**
 * `--store URL` for ClickHouse, parsed once at the edge (pure): `http(s)://[user@]host[:port][/database]
 * [?database=&table=&cluster=&timeout_ms=&retention_days=]`, or `clickhouse://` (plain HTTP, port 8123).
 * The password comes from the options (a password file), not the URL, so it never shows in `ps` or in
 * messages; a password in the URL is accepted (as ClickHouse clients do) but discouraged in the docs.
 * Errors are VIGIA_ERR_CONFIG naming `--store` and the part that is wrong.
 */
import { VigiaError } from '../../core/errors.js';
import { IDENTIFIER, type ClickHouseLayout } from './clickhouse-schema.js';
import type { ClickHouseEndpoint } from './clickhouse-http.js';

/** Options a caller gives beside the URL (flags and files of `vigia logs serve` and the query commands). */
export interface ClickHouseStoreOptions {
  /** The user's password (read from a file by the caller). */
  readonly password?: string;
  /** Days kept (TTL); default 30. */
  readonly retentionDays?: number;
  /** Sharded, replicated deployment: the `remote_servers` cluster name (also `?cluster=`). */
  readonly cluster?: string;
  /** Deadline of one call in ms (also `?timeout_ms=`); default 30 000. */
  readonly timeoutMs?: number;
  /** Largest answer accepted; default 64 MiB. */
  readonly maxAnswerBytes?: number;
  /** Create the tables when missing (default true); false for a read-only user. */
  readonly createSchema?: boolean;
}

/** Everything the store needs, validated. */
export interface ClickHouseStoreConfig {
  readonly endpoint: ClickHouseEndpoint;
  readonly layout: ClickHouseLayout;
  readonly createSchema: boolean;
}

const PARAMS = new Set(['database', 'table', 'cluster', 'timeout_ms', 'retention_days']);
const bad = (detail: string): VigiaError => new VigiaError('VIGIA_ERR_CONFIG', `--store: ${detail}`);

function identifier(value: string, what: string): string {
  if (!IDENTIFIER.test(value)) throw bad(`${what} must be letters, digits and '_' (at most 64), got ${JSON.stringify(value.slice(0, 80))}`);
  return value;
}

function integer(value: string | number, what: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw bad(`${what} must be an integer from ${min} to ${max}, got ${JSON.stringify(String(value))}`);
  return n;
}

/** Parses a ClickHouse store URL and its options. */
export function parseClickHouseStoreUrl(url: string, opts: ClickHouseStoreOptions = {}): ClickHouseStoreConfig {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new VigiaError('LOGS_ERR_STORE_URL', `--store: not a URL: ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@').slice(0, 120))}`);
  }
  const scheme = u.protocol;
  if (scheme !== 'http:' && scheme !== 'https:' && scheme !== 'clickhouse:') {
    throw new VigiaError('LOGS_ERR_STORE_URL', `--store: ${scheme}// is not a ClickHouse URL (http://, https:// or clickhouse://)`);
  }
  for (const k of u.searchParams.keys()) if (!PARAMS.has(k)) throw bad(`unknown parameter ${JSON.stringify(k)} (known: ${[...PARAMS].join(', ')})`);
  const protocol = scheme === 'https:' ? 'https:' : 'http:';
  const port = u.port || (scheme === 'clickhouse:' ? '8123' : '');
  if (u.hostname === '') throw bad('no host');
  const fromPath = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, ''));
  const database = identifier(u.searchParams.get('database') ?? (fromPath || 'default'), 'the database');
  const table = identifier(u.searchParams.get('table') ?? 'access_log', 'table=');
  const clusterText = opts.cluster ?? u.searchParams.get('cluster') ?? undefined;
  const cluster = clusterText === undefined || clusterText === '' ? undefined : identifier(clusterText, '--cluster');
  const timeoutMs = integer(opts.timeoutMs ?? u.searchParams.get('timeout_ms') ?? 30_000, 'timeout_ms=', 100, 3_600_000);
  const retentionDays = integer(opts.retentionDays ?? u.searchParams.get('retention_days') ?? 30, '--retention-days', 1, 36_500);
  return {
    endpoint: {
      origin: `${protocol}//${u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname}${port ? `:${port}` : ''}`,
      database,
      user: decodeURIComponent(u.username) || 'default',
      password: opts.password ?? decodeURIComponent(u.password),
      timeoutMs,
      maxAnswerBytes: opts.maxAnswerBytes ?? 64 * 1024 * 1024,
      maxSockets: 16,
    },
    layout: { database, table, retentionDays, ...(cluster ? { cluster } : {}) },
    createSchema: opts.createSchema ?? true,
  };
}
