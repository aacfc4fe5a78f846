/**
 * The one way every role opens a log store: `{ dataDir }` is the embedded engine (DuckDB, default data dir
 * `data/logs`), `{ url }` with `clickhouse://`, `http://` or `https://` is ClickHouse. Each engine is a
 * dynamic import, so a role that never opens a store (the shipper, the agent) never loads one, and an
 * install without the embedded engine's optional package still runs everything else.
 */
import { VigiaError } from '../../core/errors.js';
import type { LogStore } from './log-store.js';

/** Where `vigia logs` keeps the embedded store when `--data-dir` is not given. */
export const DEFAULT_LOGS_DATA_DIR = 'data/logs';

/** Days an entry is kept before retention removes it (`--retention-days`). */
export const DEFAULT_RETENTION_DAYS = 30;

/** Which store to open: exactly one of the two. */
export type OpenLogStoreOptions = { readonly dataDir: string; readonly url?: undefined } | { readonly url: string; readonly dataDir?: undefined };

/** The engine a `--store` URL names, or a LOGS_ERR_STORE_URL naming what was typed. Pure. */
export function storeEngineOf(url: string): 'clickhouse' {
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    throw new VigiaError('LOGS_ERR_STORE_URL', `--store ${JSON.stringify(url)} is not a URL`);
  }
  if (scheme === 'clickhouse:' || scheme === 'http:' || scheme === 'https:') return 'clickhouse';
  throw new VigiaError('LOGS_ERR_STORE_URL', `--store ${JSON.stringify(url)}: scheme ${scheme} (want clickhouse://, http:// or https://)`);
}

/** Open the store `opts` names; the caller closes it (register close() on the release stack). */
export async function openLogStore(opts: OpenLogStoreOptions): Promise<LogStore> {
  if (opts.url !== undefined) {
    storeEngineOf(opts.url);
    const { openClickHouseStore } = await import('./clickhouse-store.js');
    return openClickHouseStore(opts.url);
  }
  const { openDuckDbStore } = await import('./duckdb-store.js');
  return openDuckDbStore(opts.dataDir);
}
