/**
 * Configuration of `vigia logs ship` and `vigia logs pipe`: flags parsed once with a schema and frozen
 * (core/config.ts); messages name the flag typed.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { parseConfig, type ConfigNames } from '../../core/config.js';
import { HOST_NAME_RE, HOST_NAME_RULE } from '../../core/contracts/host-report.js';
import { LOG_LEVELS } from '../../core/log.js';
import { compileGlob, type FileGlob } from './glob.js';

/** Default `--state-dir` of `vigia logs ship`: offsets and the dropped count, kept across restarts. */
export const DEFAULT_SHIP_STATE_DIR = '/var/lib/vigia-logs-ship/state';
/** Default `--spool-dir` of `vigia logs ship`. */
export const DEFAULT_SHIP_SPOOL_DIR = '/var/lib/vigia-logs-ship/spool';
/** Default `--spool-max-bytes`: about 10 minutes of a busy server's logs compressed (1,000 lines/s at ~20 bytes a gzipped line is 12 MB). */
export const DEFAULT_SPOOL_MAX_BYTES = 256 * 1024 * 1024;

const absolutePath = (flag: string) => z.string().min(1).refine((p) => isAbsolute(p), { message: `${flag} must be an absolute path` });
const int = (flag: string, min: number, max: number) =>
  z.coerce.number({ invalid_type_error: `${flag} must be a number` }).int(`${flag} must be a whole number`).min(min, `${flag} must be at least ${min}`).max(max, `${flag} must be at most ${max}`);

const serverUrl = z.string({ required_error: '--server URL of the collector (vigia logs serve) is required' }).refine((u) => {
  try {
    const url = new URL(u);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && !url.search && !url.hash;
  } catch {
    return false;
  }
}, '--server must be an http:// or https:// URL without credentials, query or fragment');

/** Flags both commands share: where and how batches go. */
const common = {
  server: serverUrl,
  tokenFile: z.string({ required_error: '--token-file is required (the host token from "vigia server enroll --host NAME", mode 600)' }).min(1),
  ca: z.string().min(1).optional(),
  format: z.string().min(1, '--log-format must not be empty').max(2000, '--log-format must be at most 2000 characters').refine((f) => !/[\r\n]/.test(f), '--log-format must be one line'),
  host: z.string().regex(HOST_NAME_RE, `--host must be ${HOST_NAME_RULE}`),
  spoolDir: absolutePath('--spool-dir').optional(),
  spoolMaxBytes: int('--spool-max-bytes', 1024 * 1024, 1024 ** 4),
  memoryMaxBytes: int('--queue-max-bytes', 64 * 1024, 1024 ** 3),
  maxLineBytes: int('--max-line-bytes', 256, 16 * 1024 * 1024),
  batchLines: int('--batch-lines', 1, 1_000_000),
  batchBytes: int('--batch-bytes', 1024, 64 * 1024 * 1024),
  batchAgeMs: int('--batch-age', 10, 600_000),
  requestTimeoutMs: int('--request-timeout', 100, 600_000),
  statsIntervalMs: int('--stats-interval', 0, 86_400_000),
  logLevel: z.enum(LOG_LEVELS),
};

const globs = z.array(z.string()).min(1, '--glob PATTERN is required (e.g. --glob "/var/log/nginx/*access.log")').max(256).transform((list, ctx): FileGlob[] => {
  const out: FileGlob[] = [];
  for (const p of list) {
    const g = compileGlob(p);
    if (typeof g === 'string') ctx.addIssue({ code: z.ZodIssueCode.custom, message: `--glob ${g}` });
    else out.push(g);
  }
  return out;
});

const shipSchema = z.object({
  ...common,
  globs,
  stateDir: absolutePath('--state-dir'),
  spoolDir: absolutePath('--spool-dir'),
  startAt: z.enum(['beginning', 'end']),
  readGz: z.boolean(),
  pollMs: int('--poll-interval', 10, 60_000),
  readBudgetBytes: int('--read-budget-bytes', 64 * 1024, 1024 ** 3),
  maxFiles: int('--max-files', 1, 100_000),
  rotateGraceMs: int('--rotate-grace', 0, 3_600_000),
  shutdownTimeoutMs: int('--shutdown-timeout', 100, 600_000),
}).strict();

const pipeSchema = z.object({
  ...common,
  flushTimeoutMs: int('--flush-timeout', 0, 600_000),
}).strict();

/** Parsed, frozen `vigia logs ship` configuration. */
export type ShipConfig = Readonly<z.output<typeof shipSchema>>;
/** Parsed, frozen `vigia logs pipe` configuration. */
export type PipeConfig = Readonly<z.output<typeof pipeSchema>>;

/** Validate `vigia logs ship` options; throws VIGIA_ERR_CONFIG naming each bad flag. */
export function parseShipConfig(raw: Record<string, unknown>, names: ConfigNames = {}): ShipConfig {
  return parseConfig(shipSchema, raw, names);
}

/** Validate `vigia logs pipe` options; throws VIGIA_ERR_CONFIG naming each bad flag. */
export function parsePipeConfig(raw: Record<string, unknown>, names: ConfigNames = {}): PipeConfig {
  return parseConfig(pipeSchema, raw, names);
}
