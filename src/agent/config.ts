/** `vigia agent` configuration: flags and VIGIA_AGENT_* env, parsed once with a schema and frozen. */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { listenField, parseConfig } from '../core/config.js';
import { LOG_LEVELS } from '../core/log.js';
import { parseRateLimit, type RateLimitOptions } from '../core/rate-limit.js';

/** Default listen address: loopback, like every Vigía server; exposing it is an explicit decision. */
export const DEFAULT_AGENT_LISTEN = '127.0.0.1:9110';

const absolutePath = (what: string) => z.string().min(1).refine((p) => isAbsolute(p), { message: `${what} must be an absolute path` });

const roleRule = z.string().transform((text, ctx) => {
  const m = /^(data|binlog|other)=(\/.*)$/.exec(text);
  if (!m) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${text.slice(0, 100)}" is not <data|binlog|other>=<absolute path>` });
    return z.NEVER;
  }
  return { role: m[1] as 'data' | 'binlog' | 'other', path: m[2]! };
});

const schema = z
  .object({
    listen: listenField,
    authTokenFile: z.string({ required_error: 'the agent always needs --auth-token-file (lines from "vigia token new --scopes read" or "--scopes read,actions")' }).min(1),
    tls: z
      .object({ cert: z.string().min(1), key: z.string().min(1), clientCa: z.string().min(1).optional() })
      .strict()
      .optional(),
    roots: z.object({ rootfs: absolutePath('--path.rootfs'), procfs: absolutePath('--path.procfs'), sysfs: absolutePath('--path.sysfs'), udevData: absolutePath('--path.udev.data') }).strict(),
    filter: z
      .object({
        mountPointsExclude: z.string().optional(),
        fsTypesExclude: z.string().optional(),
        mountPointsInclude: z.string().optional(),
        fsTypesInclude: z.string().optional(),
      })
      .strict(),
    statfsTimeoutMs: z.coerce.number().int().min(10).max(60_000),
    roles: z.array(roleRule).max(64),
    mysql: z
      .object({
        detect: z.boolean(),
        socket: z.string().min(1),
        user: z.string().min(1).max(80),
        passwordFile: z.string().min(1).optional(),
      })
      .strict(),
    actionsDir: z.string().min(1).nullable(),
    actionsUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a user name'),
    auditLog: z.string().min(1),
    rateLimit: z.string().transform((text, ctx): RateLimitOptions => {
      const r = parseRateLimit(text);
      if (!r) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${text}" is not <requests per second>[/<burst>]` });
        return z.NEVER;
      }
      return r;
    }),
    requestTimeoutMs: z.coerce.number().int().min(100).max(120_000),
    sampleIntervalMs: z.coerce.number().int().min(1000).max(3_600_000),
    logLevel: z.enum(LOG_LEVELS),
    shutdownTimeoutMs: z.coerce.number().int().min(100).max(600_000),
  })
  .strict();

/** Parsed, frozen agent configuration. */
export type AgentConfig = Readonly<z.output<typeof schema>>;

/** Validate raw options (flags merged over env, strings allowed for numbers). Throws VIGIA_ERR_CONFIG naming the field. */
export function parseAgentConfig(raw: Record<string, unknown>): AgentConfig {
  return parseConfig(schema, raw);
}
