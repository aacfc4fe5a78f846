/**
 * The operator HTTP API of the log collector (`vigia logs serve`), shared by its routes and by the CLI's
 * `--server URL` client, so both sides validate the same query strings. Every answer is exactly the
 * LogStore result (log-store.ts) as JSON; `from`/`to` are ms since the epoch (the CLI turns `--since`,
 * `--from`, `--to` into them). Every route needs a token with the `read` scope.
 *
 *   GET /v1/logs/who?url=/x&prefix=1&from=&to=&limit=      WhoResult
 *   GET /v1/logs/top?by=urls&from=&to=&limit=              TopResult
 *   GET /v1/logs/visits?ip=&from=&to=&limit=               VisitsResult
 *   GET /v1/logs/series?url=&prefix=&ip=&status=&from=&to= SeriesResult
 *   GET /v1/logs/overview?from=&to=&limit=                 OverviewResult
 *   GET /v1/logs/stats                                     StoreStats
 */
import { z } from 'zod';
import { TOP_BY } from './store/log-store.js';

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

const ms = z.coerce.number().int().min(0).max(8.64e15);
const limit = z.coerce.number().int().min(1).max(MAX_QUERY_LIMIT).default(100);
const flag = z.enum(['0', '1']).default('0').transform((v) => v === '1');
const range = { from: ms, to: ms };
/** URLs and user-supplied keys are bounded: a path longer than this is not a path anyone logged whole. */
const text = z.string().min(1).max(8192);

/** Query string of each route (strict: an unknown parameter is a 400 naming it). */
export const QUERY_SCHEMAS = Object.freeze({
  who: z.object({ url: text, prefix: flag, limit, ...range }).strict(),
  top: z.object({ by: z.enum(TOP_BY as [string, ...string[]]), limit, ...range }).strict(),
  visits: z.object({ ip: z.string().min(1).max(64), limit, ...range }).strict(),
  series: z.object({ url: text.optional(), prefix: flag, ip: z.string().min(1).max(64).optional(), status: z.coerce.number().int().min(0).max(999).optional(), ...range }).strict(),
  overview: z.object({ limit: limit.default(10), ...range }).strict(),
  stats: z.object({}).strict(),
});
