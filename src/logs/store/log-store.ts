/**
 * The one interface every access-log store engine implements (the embedded default and ClickHouse), and the
 * shapes of the questions `vigia logs` answers. Every engine runs the same contract suite
 * (log-store.contract.ts), so the CLI, the HTTP API and the report give the same answers whatever the engine.
 *
 * Times in queries are ms since the epoch, UTC, as a half-open range [from, to). Times in answers are
 * ISO-8601 UTC strings with milliseconds (`2026-12-07T03:04:05.000Z`), as the JSON output prints them.
 * Engines take every value from input as a bound parameter, never as query text.
 */
import type { AccessRecord } from '../record.js';

/** A half-open time range [from, to), ms since the epoch. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/** Hits by status class (a status outside 100-599 counts in `other`). */
export interface StatusMix {
  readonly '1xx': number;
  readonly '2xx': number;
  readonly '3xx': number;
  readonly '4xx': number;
  readonly '5xx': number;
  readonly other: number;
}

/** "Which clients visited this URL?" `prefix`: every path starting with `url`. */
export interface WhoQuery extends TimeRange {
  readonly url: string;
  readonly prefix: boolean;
  /** Clients at most, most hits first (ties: the address text ascending, as UTF-8 bytes: reference-answers.ts). */
  readonly limit: number;
}

/** One client of a URL. */
export interface WhoClient {
  readonly ip: string;
  readonly hits: number;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly status: StatusMix;
}

/** The answer to WhoQuery, as `vigia logs who --format json` prints it. */
export interface WhoResult {
  readonly url: string;
  readonly clients: readonly WhoClient[];
}

/** What `vigia logs top <by>` ranks. `status` keys are the status code as text ('404'), `hosts` the web servers. */
export type TopBy = 'ips' | 'urls' | 'status' | 'referrers' | 'agents' | 'hosts';

/** Every TopBy, in the order `--help` lists them. */
export const TOP_BY: readonly TopBy[] = Object.freeze(['ips', 'urls', 'status', 'referrers', 'agents', 'hosts']);

/** Top keys by hits; `referrers` and `agents` leave out empty values ('-' in the log). */
export interface TopQuery extends TimeRange {
  readonly by: TopBy;
  readonly limit: number;
}

/** The answer to TopQuery: rows by hits descending (ties: key ascending). */
export interface TopResult {
  readonly by: TopBy;
  readonly rows: readonly { readonly key: string; readonly hits: number }[];
}

/** "What did this client visit?" */
export interface VisitsQuery extends TimeRange {
  readonly ip: string;
  readonly limit: number;
}

/** One URL a client visited. */
export interface VisitedUrl {
  readonly url: string;
  readonly hits: number;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly status: StatusMix;
}

/** The answer to VisitsQuery: URLs by hits descending (ties: url ascending). */
export interface VisitsResult {
  readonly ip: string;
  readonly urls: readonly VisitedUrl[];
}

/** A per-minute hit series, optionally narrowed to one URL (or prefix), one client, or one status. */
export interface SeriesQuery extends TimeRange {
  readonly url?: string;
  readonly prefix?: boolean;
  readonly ip?: string;
  readonly status?: number;
}

/** The answer to SeriesQuery: one point per minute that has hits, ascending (minutes without hits are left out). */
export interface SeriesResult {
  readonly step_seconds: 60;
  readonly points: readonly { readonly t: string; readonly hits: number }[];
}

/**
 * The GoAccess-style overview. `unique_visitors` counts distinct (client, UTC day, user agent), as
 * GoAccess does; `bots` are hits whose user agent matches the crawler list in store/bots.ts (isBot, BOT_PATTERN), by agent.
 */
export interface OverviewResult {
  readonly requests: number;
  readonly unique_visitors: number;
  readonly bytes: number;
  readonly first: string | null;
  readonly last: string | null;
  readonly status: readonly { readonly key: string; readonly hits: number }[];
  readonly top_urls: readonly { readonly key: string; readonly hits: number }[];
  readonly not_found: readonly { readonly key: string; readonly hits: number }[];
  readonly referrers: readonly { readonly key: string; readonly hits: number }[];
  readonly agents: readonly { readonly key: string; readonly hits: number }[];
  readonly bots: readonly { readonly key: string; readonly hits: number }[];
  /** 24 entries, hour 0-23 UTC: hits in that hour of the day over the range. */
  readonly hourly: readonly number[];
}

/** What a store holds now (for `vigia logs status`, /metrics and the retention job's log line). */
export interface StoreStats {
  readonly lines: number;
  /** Bytes on disk (or in the server's parts), as the engine reports it. */
  readonly bytes: number;
  readonly oldest: string | null;
  readonly newest: string | null;
}

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
