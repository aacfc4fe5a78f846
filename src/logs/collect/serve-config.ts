/** `vigia logs serve` configuration: flags and VIGIA_LOGS_* env, parsed once with a schema and frozen (pure). */
import { z } from 'zod';
import { listenField, parseConfig, type ConfigNames } from '../../core/config.js';
import { LOG_LEVELS } from '../../core/log.js';
import { DEFAULT_RETENTION_DAYS } from '../store/open-store.js';
import { IP_PRIVACY_MODES } from '../privacy-flags.js';

/** Default listen address: loopback; exposing the collector (behind HAProxy, or to the web servers) is an explicit decision. */
export const DEFAULT_COLLECTOR_LISTEN = '127.0.0.1:8470';

const schema = z
  .object({
    listen: listenField,
    /** Embedded store directory, or a ClickHouse URL (`--store`); exactly one is used (store wins). */
    dataDir: z.string().min(1),
    store: z.string().min(1).optional(),
    /** Operator tokens (scope read for queries and /metrics). */
    tokens: z.string().min(1).optional(),
    /** Control plane URL: shippers' enrolment tokens are checked there (GET /v1/agent/whoami). */
    control: z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL').optional(),
    /** Shipper tokens without a control plane: token-file lines with name=<host>. */
    shipperTokens: z.string().min(1).optional(),
    retentionDays: z.coerce.number().int().min(1).max(3650).default(DEFAULT_RETENTION_DAYS),
    ipPrivacy: z.enum(IP_PRIVACY_MODES).default('none'),
    ipHashKeyFile: z.string().min(1).optional(),
    syslogUdp: listenField.optional(),
    syslogTcp: listenField.optional(),
    syslogLogFormat: z.string().min(1).max(4096).default('combined'),
    maxQueuedLines: z.coerce.number().int().min(1000).max(50_000_000).default(500_000),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    shutdownTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(30_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.control === undefined && c.shipperTokens === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['control'], message: 'give --control URL (shippers present their host enrolment token) or --shipper-tokens FILE' });
    }
    if (c.control !== undefined && c.shipperTokens !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['shipperTokens'], message: 'give --control URL or --shipper-tokens FILE, not both' });
    }
    if (c.ipPrivacy === 'hash' && c.ipHashKeyFile === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ipHashKeyFile'], message: '--ip-privacy hash needs --ip-hash-key-file FILE' });
    if (c.ipPrivacy !== 'hash' && c.ipHashKeyFile !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ipHashKeyFile'], message: 'only with --ip-privacy hash' });
  });

/** The collector's configuration. */
export type ServeConfig = z.output<typeof schema>;

/** Parse raw options; VIGIA_ERR_CONFIG naming the flag on any problem. */
export function parseServeConfig(raw: unknown, names: ConfigNames = {}): Readonly<ServeConfig> {
  return parseConfig(schema, raw, names);
}
