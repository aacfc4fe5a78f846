/** `vigia server` configuration: flags and VIGIA_SERVER_* env, parsed once with a schema and frozen. */
import { z } from 'zod';
import { listenField, parseConfig, type ConfigNames } from '../core/config.js';
import { tlsFilesSchema } from '../core/config-file.js';
import { LOG_LEVELS } from '../core/log.js';
import { parseRateLimit, type RateLimitOptions } from '../core/rate-limit.js';
import { parseCidr } from '../core/client-address.js';
import { PERIOD_RE } from './console/slo-source.js';

/** Default listen address: loopback; exposing the control plane is an explicit decision. */
export const DEFAULT_SERVER_LISTEN = '127.0.0.1:8443';
/** Default embedded store directory (PGlite), relative to the working directory. */
export const DEFAULT_DATA_DIR = 'data/control';

const rateField = z.string().transform((text, ctx): RateLimitOptions => {
  const r = parseRateLimit(text);
  if (!r) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${text}" is not <requests per second>[/<burst>]` });
    return z.NEVER;
  }
  return r;
});

/** One `--trusted-proxy` value: an address or CIDR block (checked here; client-address.ts builds the set). */
export const trustedProxyField = z.string().refine((text) => parseCidr(text) !== undefined, (text) => ({ message: `"${text.slice(0, 80)}" is not an address or CIDR block (e.g. 10.0.1.0/24, 2001:db8::/64)` }));

/** Where the store lives: PostgreSQL by URL, else the embedded PGlite directory. */
export const storeLocationSchema = z
  .object({
    database: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    dataDir: z.string().min(1),
  })
  .strict();

/** Where the store lives. */
export type StoreLocation = z.output<typeof storeLocationSchema>;

const schema = z
  .object({
    listen: listenField,
    store: storeLocationSchema,
    /** Operator tokens (scopes read, admin); without it only /healthz and host ingest answer. */
    authTokenFile: z.string().min(1).optional(),
    tls: tlsFilesSchema.optional(),
    /** Reports, schedules, thresholds, SMTP (YAML); see docs/control-plane.md. */
    configFile: z.string().min(1).optional(),
    retentionDays: z.coerce.number().int().min(2).max(3650),
    pullTargets: z.string().min(1).optional(),
    /**
     * Whether this process drives fleet changes (agent long-polls, bundles, rollouts, fleet runs). Exactly
     * one process per database may: others serve reports only (--no-fleet).
     */
    fleet: z.boolean().default(true),
    /** Public keys (PEM files) whose bundle signatures the control plane accepts (vigia bundle keygen). */
    bundlePublicKeys: z.array(z.string().min(1)).max(16).default([]),
    pullIntervalSeconds: z.coerce.number().int().min(5).max(3600),
    ingestBatch: z.coerce.number().int().min(1).max(10_000),
    ingestWaitMs: z.coerce.number().int().min(0).max(10_000).default(1000),
    ingestMaxQueued: z.coerce.number().int().min(1).max(1_000_000),
    rateLimit: rateField,
    hostRateLimit: rateField,
    unknownTokenRateLimit: rateField,
    maxConnectionsPerAddress: z.coerce.number().int().min(1).max(100_000),
    /**
     * Load balancers (addresses or CIDR blocks) whose PROXY protocol header, or else X-Forwarded-For,
     * names the client; the settings file's `trustedProxies` adds to these.
     */
    trustedProxies: z.array(trustedProxyField).max(256).default([]),
    requestTimeoutMs: z.coerce.number().int().min(100).max(120_000),
    logLevel: z.enum(LOG_LEVELS),
    shutdownTimeoutMs: z.coerce.number().int().min(100).max(600_000),
    /**
     * Processes sharing the listening socket (node:cluster); one of them, chosen by a PostgreSQL lease,
     * leads (fleet changes, schedules, pulls, partition maintenance). `auto` is resolved to the core
     * count at the CLI edge.
     */
    workers: z.coerce.number().int().min(1).max(256).default(1),
    /** The log collector (`vigia logs serve`) the console's logs page asks, and a file holding one of its read tokens. */
    logsServer: z.string().regex(/^https?:\/\/[^/?#@\s]+(\/[^?#\s]*)?$/, 'must be an http(s):// URL without credentials, query or fragment').optional(),
    logsTokenFile: z.string().min(1).optional(),
    /** SLO spec directories or files (`vigia slo report --spec`) of the console's SLO page. */
    sloSpecs: z.array(z.string().min(1)).max(64).default([]),
    /** The period the SLO page shows first: `vigia slo report --period` values, or a duration for `--last`. */
    sloPeriod: z.string().regex(PERIOD_RE, 'a year (2025), quarter (2025-Q3), month (2025-03), range (2025-01-01..2025-07-01) or a duration (365d)').default('365d'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.logsServer === undefined) !== (c.logsTokenFile === undefined)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [c.logsServer === undefined ? 'logsServer' : 'logsTokenFile'], message: 'give --logs-server URL and --logs-token-file FILE together (a collector operator token with scope read)' });
    }
    // PGlite is one process holding its data directory: workers could not share it.
    if (c.workers > 1 && !c.store.database) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['workers'],
        message: `--workers ${c.workers} needs --database postgres://...: the embedded store (--data-dir) is single-process; use --workers 1 or PostgreSQL`,
      });
    }
  });

/** Parsed, frozen control-plane configuration. */
export type ControlConfig = Readonly<z.output<typeof schema>>;

/** Schema paths -> the commander attribute of the flag that sets them, where the names differ (for optionNames). */
export const CONTROL_OPTION_RENAMES: Readonly<Record<string, string>> = {
  'store.database': 'database',
  'store.dataDir': 'dataDir',
  'tls.cert': 'tlsCert',
  'tls.key': 'tlsKey',
  'tls.clientCa': 'tlsClientCa',
  configFile: 'config',
  bundlePublicKeys: 'bundlePublicKey',
  pullIntervalSeconds: 'pullInterval',
  requestTimeoutMs: 'requestTimeout',
  shutdownTimeoutMs: 'shutdownTimeout',
  ingestWaitMs: 'ingestWait',
  trustedProxies: 'trustedProxy',
  sloSpecs: 'sloSpec',
};

/** Validate raw options (flags merged over env, strings allowed for numbers). Throws VIGIA_ERR_CONFIG naming each field by `names` (the flag or env variable typed). */
export function parseControlConfig(raw: Record<string, unknown>, names: ConfigNames = {}): ControlConfig {
  return parseConfig(schema, raw, names);
}

/** Validate a store location (for CLI commands that open the store directly); errors name --database / --data-dir. */
export function parseStoreLocation(raw: Record<string, unknown>, names: ConfigNames = { database: '--database', dataDir: '--data-dir' }): StoreLocation {
  return parseConfig(storeLocationSchema, raw, names);
}
