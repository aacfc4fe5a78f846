/**
 * The one interface every access-log store engine implements (the embedded default and ClickHouse), and the
 * shapes of the questions `vigia logs` answers (their one definition is src/core/contracts/logs-query.ts: they
 * cross the wire; re-exported here). Every engine runs the same contract suite (log-store.contract.ts), so the CLI, the HTTP API and the report give the same answers whatever the engine.
 *
 * Times in queries are ms since the epoch, UTC, as a half-open range [from, to). Times in answers are
 * ISO-8601 UTC strings with milliseconds (`2026-12-07T03:04:05.000Z`), as the JSON output prints them.
 * Engines take every value from input as a bound parameter, never as query text.
 */
import type { AccessRecord } from '../record.js';
import type {
  OverviewResult, SeriesQuery, SeriesResult, StoreStats, TimeRange, TopQuery, TopResult, VisitsQuery, VisitsResult, WhoQuery, WhoResult,
} from '../../core/contracts/logs-query.js';

// The answer shapes cross the wire (the collector's operator API): their one definition is the contract.
export { TOP_BY } from '../../core/contracts/logs-query.js';
export type {
  OverviewResult, SeriesQuery, SeriesResult, StatusMix, StoreStats, TimeRange, TopBy, TopQuery, TopResult, VisitedUrl, VisitsQuery, VisitsResult, WhoClient, WhoQuery, WhoResult,
} from '../../core/contracts/logs-query.js';

/** One access-log store engine. Safe for concurrent calls; `insert` of one batch is atomic (all or none). */
export interface LogStore {
  /** Engine name for logs and docs: `duckdb`, `clickhouse`... */
  readonly engine: string;
  insert(records: readonly AccessRecord[]): Promise<void>;
  who(q: WhoQuery): Promise<WhoResult>;
  top(q: TopQuery): Promise<TopResult>;
  visits(q: VisitsQuery): Promise<VisitsResult>;
  series(q: SeriesQuery): Promise<SeriesResult>;
  overview(q: TimeRange & { readonly limit: number }): Promise<OverviewResult>;
  /** Retention: remove every entry logged before `before` (ms); answers how many lines went (an estimate where the engine drops whole partitions). */
  expire(before: number): Promise<number>;
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}
