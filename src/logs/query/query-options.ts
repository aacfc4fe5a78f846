/**
 * The options every `vigia logs` question shares (who, top, visits, series, report), declared and parsed
 * in one place: the range (`--since DURATION|all`, `--from`, `--to`), `--limit`, `--format`, and where the
 * answers come from: the embedded store (`--data-dir`, default data/logs), a store URL (`--store`, e.g.
 * ClickHouse) or a running collector (`--server URL --token-file F`). Parsing is pure (flags and now in, a
 * frozen QueryFlags out, VIGIA_ERR_CONFIG naming the flag otherwise); opening is in open-questions.ts.
 */
import { Option, type Command } from 'commander';
import { VigiaError } from '../../core/errors.js';
import { MAX_QUERY_LIMIT } from '../../core/contracts/logs-query.js';
import type { TimeRange } from '../store/log-store.js';
import { DEFAULT_LOGS_DATA_DIR } from '../store/open-store.js';
import { resolveRange } from './time-range.js';

/** Where a question's answers come from. */
export type AnswerSource =
  | { readonly kind: 'data-dir'; readonly dataDir: string }
  | { readonly kind: 'store'; readonly url: string }
  | { readonly kind: 'server'; readonly url: string; readonly tokenFile: string | undefined };

/** The parsed common options of one question. */
export interface QueryFlags<F extends string> {
  readonly range: TimeRange & { readonly describe: string };
  readonly limit: number;
  readonly format: F;
  readonly source: AnswerSource;
}

/** `--data-dir`, `--store`, `--server`, `--token-file`: where answers come from (also used by import, without the server). */
export function addSourceOptions(cmd: Command, withServer = true): Command {
  cmd
    .addOption(new Option('--data-dir <dir>', 'the embedded store\'s directory').default(DEFAULT_LOGS_DATA_DIR).env('VIGIA_LOGS_DATA_DIR'))
    .addOption(new Option('--store <url>', 'a store by URL instead of --data-dir (clickhouse://host:8123/db, http(s)://...)').env('VIGIA_LOGS_STORE'));
  if (withServer) {
    cmd
      .addOption(new Option('--server <url>', 'ask a running collector (vigia logs serve) instead of opening a store').env('VIGIA_LOGS_SERVER'))
      .addOption(new Option('--token-file <path>', 'file holding an operator token with scope read (with --server)').env('VIGIA_TOKEN_FILE'));
  }
  return cmd;
}

/**
 * Adds the range, --limit, --format and source options. `formats` lists the accepted --format values (the
 * first is the default); `limit` is the default --limit.
 */
export function addQueryOptions(cmd: Command, o: { readonly formats: readonly string[]; readonly limit: number }): Command {
  cmd
    .addOption(new Option('--since <duration|all>', 'only lines logged in this last span: 90s, 30m, 24h, 7d, 2w, or all (default 24h)'))
    .addOption(new Option('--from <time>', 'only lines logged at or after this UTC time: 2026-12-07 or 2026-12-07T10:00:00Z (instead of --since)'))
    .addOption(new Option('--to <time>', 'only lines logged before this time (a date alone includes that whole day)'))
    .addOption(new Option('--limit <n>', `rows at most (1-${MAX_QUERY_LIMIT})`).default(String(o.limit)))
    .addOption(new Option('--format <format>', o.formats.join('|')).choices([...o.formats]).default(o.formats[0]));
  return addSourceOptions(cmd);
}

/** `--limit` as a whole number in 1..MAX_QUERY_LIMIT, or VIGIA_ERR_CONFIG naming it. */
export function parseLimit(text: string): number {
  const n = /^\d{1,6}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!(n >= 1 && n <= MAX_QUERY_LIMIT)) throw new VigiaError('VIGIA_ERR_CONFIG', `--limit: expected a whole number from 1 to ${MAX_QUERY_LIMIT}, got "${text.slice(0, 40)}"`);
  return n;
}

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

/**
 * Where the answers come from: --server, --store or --data-dir. --server with --store is refused (two
 * sources); --data-dir is ignored only when left at its default.
 */
export function parseSource(opts: Record<string, unknown>, dataDirGiven: boolean): AnswerSource {
  const server = str(opts.server);
  const store = str(opts.store);
  if (server !== undefined && store !== undefined) throw new VigiaError('VIGIA_ERR_CONFIG', '--server and --store name two sources: give one of them');
  if ((server !== undefined || store !== undefined) && dataDirGiven) throw new VigiaError('VIGIA_ERR_CONFIG', `--data-dir and ${server !== undefined ? '--server' : '--store'} name two sources: give one of them`);
  if (server !== undefined) return Object.freeze({ kind: 'server', url: server, tokenFile: str(opts.tokenFile) });
  if (str(opts.tokenFile) !== undefined) throw new VigiaError('VIGIA_ERR_CONFIG', '--token-file goes with --server URL');
  // The URL's scheme is openLogStore's to judge (LOGS_ERR_STORE_URL): it knows which engines exist.
  if (store !== undefined) return Object.freeze({ kind: 'store', url: store });
  const dataDir = str(opts.dataDir) ?? DEFAULT_LOGS_DATA_DIR;
  if (dataDir.trim() === '') throw new VigiaError('VIGIA_ERR_CONFIG', '--data-dir: must not be empty');
  return Object.freeze({ kind: 'data-dir', dataDir });
}

/** Parse the common options of a question (commander's values, and whether --data-dir came from the user). */
export function parseQueryFlags<F extends string>(opts: Record<string, unknown>, now: number, dataDirGiven: boolean): QueryFlags<F> {
  return Object.freeze({
    range: resolveRange({ since: str(opts.since), from: str(opts.from), to: str(opts.to) }, now),
    limit: parseLimit(String(opts.limit)),
    format: String(opts.format) as F,
    source: parseSource(opts, dataDirGiven),
  });
}

/** True when the user gave --data-dir (flag or environment), not commander's default. */
export function dataDirGiven(cmd: Command): boolean {
  const src = cmd.getOptionValueSource('dataDir');
  return src === 'cli' || src === 'env';
}
