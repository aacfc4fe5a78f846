/**
 * The ClickHouse table design of the log store, as DDL text: pure, so the single-node and the sharded
 * (`cluster=`) forms are checked by reading them, and the store runs exactly what the docs show
 * (docs/logs-clickhouse.md). Names here come from the validated store options (identifiers only), never
 * from a query's input.
 *
 * Design (figures measured with chdb, docs/logs-clickhouse.md):
 * - ORDER BY (url, ts): "who visited URL X" reads only X's granules (10 M lines over 10 days: 25 ms vs
 *   527 ms with ORDER BY ts for a middling URL); `startsWith(url, prefix)` uses the same index for `--prefix`.
 * - No bloom filter on client: measured, it did not speed up `visits --ip` (a client's hits are spread over
 *   the granules of every URL it visits) and cost 5 % more disk.
 * - PARTITION BY toDate(ts): daily parts, so retention drops whole parts (TTL with ttl_only_drop_parts)
 *   and expire() drops whole partitions before it deletes inside the one day it cuts.
 * - ts arrives as Int64 ms (EPHEMERAL ts_ms): JSON has no exact DateTime64 form, and small numbers would be
 *   read as dates by text parsing.
 */

/** Where the store's table lives and how it is replicated. */
export interface ClickHouseLayout {
  /** Database (an identifier; must exist). */
  readonly database: string;
  /** Table name (an identifier). */
  readonly table: string;
  /** A cluster of the servers' `remote_servers`: ReplicatedMergeTree shards behind a Distributed table. */
  readonly cluster?: string;
  /** Rows older than this many days go by themselves (TTL). */
  readonly retentionDays: number;
}

/** Identifiers the DDL accepts (ClickHouse's unquoted identifier form, bounded). */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Columns in insert order; the first, ts_ms, is the EPHEMERAL ms time that fills ts. */
export const INSERT_COLUMNS = Object.freeze(['ts_ms', 'server', 'client', 'method', 'url', 'query', 'protocol', 'status', 'bytes', 'referrer', 'agent', 'vhost', 'user', 'duration_ms']);

const COLUMNS = `(
    ts_ms Int64 EPHEMERAL,
    ts DateTime64(3, 'UTC') DEFAULT fromUnixTimestamp64Milli(ts_ms, 'UTC') CODEC(Delta, ZSTD(1)),
    server LowCardinality(String),
    client String CODEC(ZSTD(1)),
    method LowCardinality(String),
    url String CODEC(ZSTD(1)),
    query String CODEC(ZSTD(1)),
    protocol LowCardinality(String),
    status UInt16,
    bytes UInt64 CODEC(T64, ZSTD(1)),
    referrer String CODEC(ZSTD(1)),
    agent LowCardinality(String),
    vhost LowCardinality(String),
    user String CODEC(ZSTD(1)),
    duration_ms Float64 CODEC(Gorilla, ZSTD(1))
)`;

const quote = (id: string): string => {
  if (!IDENTIFIER.test(id)) throw new Error(`not an identifier: ${JSON.stringify(id)}`);
  return `\`${id}\``;
};

/** The table every query reads and every insert writes: the Distributed table on a cluster, else the MergeTree. */
export function queryTable(layout: ClickHouseLayout): string {
  return `${quote(layout.database)}.${quote(layout.table)}`;
}

/** The MergeTree table that holds the rows on this server (the Distributed table's `_local` on a cluster). */
export function localTable(layout: ClickHouseLayout): string {
  return layout.cluster === undefined ? queryTable(layout) : `${quote(layout.database)}.${quote(`${layout.table}_local`)}`;
}

/** ` ON CLUSTER c` on a cluster, else ''. */
export function onCluster(layout: ClickHouseLayout): string {
  return layout.cluster === undefined ? '' : ` ON CLUSTER ${quote(layout.cluster)}`;
}

/** The statements that create the store's tables, idempotent (CREATE TABLE IF NOT EXISTS), in order. */
export function schemaStatements(layout: ClickHouseLayout): string[] {
  const days = layout.retentionDays;
  if (!Number.isInteger(days) || days < 1 || days > 36_500) throw new Error(`retention days out of range: ${days}`);
  const engine = layout.cluster === undefined
    ? 'MergeTree'
    // {shard} and {replica} are each server's macros; the path keeps one replication log per table.
    : `ReplicatedMergeTree('/clickhouse/tables/{shard}/${layout.database}/${layout.table}_local', '{replica}')`;
  const local = `CREATE TABLE IF NOT EXISTS ${localTable(layout)}${onCluster(layout)} ${COLUMNS}
ENGINE = ${engine}
PARTITION BY toDate(ts)
ORDER BY (url, ts)
TTL toDateTime(ts) + INTERVAL ${days} DAY DELETE
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`;
  if (layout.cluster === undefined) return [local];
  // Sharded by client: `who` groups by client and `visits` filters on it, so each shard answers its clients
  // whole (no cross-shard merge of one client), and clients spread evenly where a hot URL would not.
  const distributed = `CREATE TABLE IF NOT EXISTS ${queryTable(layout)}${onCluster(layout)} AS ${localTable(layout)}
ENGINE = Distributed(${quote(layout.cluster)}, ${quote(layout.database)}, ${quote(`${layout.table}_local`)}, cityHash64(client))`;
  return [local, distributed];
}
