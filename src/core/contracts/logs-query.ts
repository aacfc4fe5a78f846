/**
 * The wire contract of the log collector's operator API (`vigia logs serve`): route paths, the query
 * string schemas its routes validate, and the answers they send. One definition for the producer (the
 * collector's routes, src/logs/collect/query-routes.ts) and every consumer (the CLI's `--server` client,
 * the control plane's web console): a change here changes both sides at once.
 *
 *   GET /v1/logs/who?url=/x&prefix=1&from=&to=&limit=      WhoResult
 *   GET /v1/logs/top?by=urls&from=&to=&limit=              TopResult
 *   GET /v1/logs/visits?ip=&from=&to=&limit=               VisitsResult
 *   GET /v1/logs/series?url=&prefix=&ip=&status=&from=&to= SeriesResult
 *   GET /v1/logs/overview?from=&to=&limit=                 OverviewResult
 *   GET /v1/logs/stats                                     StoreStats
 *
 * Every answer is exactly the LogStore's result (src/logs/store/log-store.ts, which re-exports these
 * types) as JSON. Times in queries are ms since the epoch, UTC, as a half-open range [from, to); times in
 * answers are ISO-8601 UTC strings with milliseconds. Every route needs a token with the `read` scope.
 */
import { z } from 'zod';

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
 * GoAccess does; `bots` are hits whose user agent matches the crawler list in src/logs/store/bots.ts (isBot, BOT_PATTERN), by agent.
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

/** Route paths of the operator API. */
export const QUERY_PATHS = Object.freeze({
  who: '/v1/logs/who',
  top: '/v1/logs/top',
  visits: '/v1/logs/visits',
  series: '/v1/logs/series',
  overview: '/v1/logs/overview',
  stats: '/v1/logs/stats',
});

/** Most rows any query answers (`--limit` above it is refused, not silently cut). */
export const MAX_QUERY_LIMIT = 10_000;

/** Longest URL (or `--url`) a query accepts: a path longer than this is not a path anyone logged whole. */
export const MAX_QUERY_URL = 8192;

/** The largest ms a range end may be (the end of time for an open range). */
export const MAX_QUERY_MS = 8.64e15;

const ms = z.coerce.number().int().min(0).max(MAX_QUERY_MS);
const limit = z.coerce.number().int().min(1).max(MAX_QUERY_LIMIT).default(100);
const flag = z.enum(['0', '1']).default('0').transform((v) => v === '1');
const range = { from: ms, to: ms };
const text = z.string().min(1).max(MAX_QUERY_URL);

/** Query string of each route (strict: an unknown parameter is a 400 naming it). */
export const QUERY_SCHEMAS = Object.freeze({
  who: z.object({ url: text, prefix: flag, limit, ...range }).strict(),
  top: z.object({ by: z.enum(TOP_BY as [TopBy, ...TopBy[]]), limit, ...range }).strict(),
  visits: z.object({ ip: z.string().min(1).max(64), limit, ...range }).strict(),
  series: z.object({ url: text.optional(), prefix: flag, ip: z.string().min(1).max(64).optional(), status: z.coerce.number().int().min(0).max(999).optional(), ...range }).strict(),
  overview: z.object({ limit: limit.default(10), ...range }).strict(),
  stats: z.object({}).strict(),
});

const count = z.number().int().min(0);
const iso = z.string().max(64);
const statusMix = z.object({ '1xx': count, '2xx': count, '3xx': count, '4xx': count, '5xx': count, other: count });
const keyHits = z.array(z.object({ key: z.string(), hits: count }));

/**
 * The answers as a consumer checks them (an answer from the network is data to check, not to trust):
 * each parses to a value of the matching result type above (answer-schemas test).
 */
export const ANSWER_SCHEMAS = Object.freeze({
  who: z.object({ url: z.string(), clients: z.array(z.object({ ip: z.string(), hits: count, first_seen: iso, last_seen: iso, status: statusMix })) }),
  top: z.object({ by: z.enum(TOP_BY as [TopBy, ...TopBy[]]), rows: keyHits }),
  visits: z.object({ ip: z.string(), urls: z.array(z.object({ url: z.string(), hits: count, first_seen: iso, last_seen: iso, status: statusMix })) }),
  series: z.object({ step_seconds: z.literal(60), points: z.array(z.object({ t: iso, hits: count })) }),
  overview: z.object({
    requests: count, unique_visitors: count, bytes: count, first: iso.nullable(), last: iso.nullable(),
    status: keyHits, top_urls: keyHits, not_found: keyHits, referrers: keyHits, agents: keyHits, bots: keyHits, hourly: z.array(count),
  }),
  stats: z.object({ lines: count, bytes: count, oldest: iso.nullable(), newest: iso.nullable() }),
});
