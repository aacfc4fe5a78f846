/** `vigia turno` configuration: flags and VIGIA_TURNO_* env, parsed once with a schema and frozen. */
import { isIP } from 'node:net';
import { z } from 'zod';
import { listenField, parseConfig, type ConfigNames } from '../core/config.js';
import { LOG_LEVELS } from '../core/log.js';
import { storeUrlProblem } from './stores/open-store.js';

/** Default store: the embedded, durable file journal. */
export const DEFAULT_STORE = 'file:./data/turno.journal';
/** Default listen address (loopback: exposing it is an explicit decision). */
export const DEFAULT_LISTEN = '127.0.0.1:7017';

const schema = z
  .object({
    listen: listenField,
    store: z.string().min(1),
    workers: z.coerce.number().int().min(1).max(256),
    authTokenFile: z.string().min(1).optional(),
    insecureNoAuth: z.boolean(),
    logLevel: z.enum(LOG_LEVELS),
    shutdownTimeoutMs: z.coerce.number().int().min(100).max(600_000),
    tracing: z.object({ enabled: z.boolean(), serviceName: z.string().min(1), sampleRatio: z.number().min(0).max(1) }).strict(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.authTokenFile && !c.insecureNoAuth && !isLoopback(c.listen.host)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['authTokenFile'],
        message: `listening on ${c.listen.host} (not loopback) needs --auth-token-file, or --insecure-no-auth to serve without authentication`,
      });
    }
    const storeProblem = storeUrlProblem(c.store);
    if (storeProblem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['store'], message: storeProblem });
    if (c.workers > 1 && (c.store === 'memory' || c.store.startsWith('file:'))) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['workers'],
        message: `--workers ${c.workers} needs a shared store (redis://...); "${c.store}" lives in one process and workers would hand out the same numbers`,
      });
    }
  });

/** Parsed, frozen turno configuration. */
export type TurnoConfig = Readonly<z.output<typeof schema>>;

/** Schema paths whose flag is not named like them (`--shutdown-timeout` sets shutdownTimeoutMs). */
export const TURNO_OPTION_RENAMES: Readonly<Record<string, string>> = { shutdownTimeoutMs: 'shutdownTimeout' };

/**
 * Validate raw options (flags merged over env, strings allowed for numbers). Throws VIGIA_ERR_CONFIG
 * naming each bad field by `names` (optionNames of the command: the flag or env variable the user set).
 */
export function parseTurnoConfig(raw: Record<string, unknown>, names: ConfigNames = {}): TurnoConfig {
  return parseConfig(schema, raw, names);
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
