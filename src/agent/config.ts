/** `vigia agent` configuration: flags and VIGIA_AGENT_* env, parsed once with a schema and frozen. */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { HOST_NAME_RE } from '../core/contracts/host-report.js';
import { parseTagFlags } from '../core/contracts/tags.js';
import { listenField, parseConfig, type ConfigNames } from '../core/config.js';
import { tlsFilesSchema } from '../core/config-file.js';
import { LOG_LEVELS } from '../core/log.js';
import { parseRateLimit, type RateLimitOptions } from '../core/rate-limit.js';
import { resolveCollectors, unknownCollectorMessage, type CollectorName } from './collectors/registry.js';

/** Default `--spool-dir`: undelivered host reports, kept across restarts. */
export const DEFAULT_SPOOL_DIR = '/var/lib/vigia-agent/spool';
/** Default `--bundle-dir`: installed check-bundle releases (state.json, current, releases/). */
export const DEFAULT_BUNDLE_DIR = '/var/lib/vigia-agent/bundles';

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

const tagList = z.array(z.string()).transform((items, ctx): Record<string, string> => {
  const r = parseTagFlags(items);
  if (r.ok) return r.tags;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: r.message });
  return z.NEVER;
});

/**
 * Push reporting to the control plane; absent when --report-to is not given. `intervalMs` is derived from
 * --report-interval; `minIntervalSeconds` exists only for tests (no flag sets it).
 */
const reportSchema = z
  .object({
    to: z
      .string({ required_error: '--report-to URL is required with the other --report-* flags' })
      .refine((u) => {
        try {
          const url = new URL(u);
          return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && !url.search && !url.hash;
        } catch {
          return false;
        }
      }, '--report-to must be an http:// or https:// URL without credentials, query or fragment'),
    tokenFile: z.string({ required_error: '--report-token-file is required with --report-to (the host token from "vigia server enroll --host NAME")' }).min(1),
    intervalSeconds: z.coerce.number({ invalid_type_error: '--report-interval must be a number of seconds' }).int('--report-interval must be whole seconds'),
    minIntervalSeconds: z.number().int().min(1).optional(),
    jitter: z.coerce.number({ invalid_type_error: '--report-jitter must be a fraction' }).min(0, '--report-jitter must be 0..0.5').max(0.5, '--report-jitter must be 0..0.5'),
    spoolDir: absolutePath('--spool-dir'),
    spoolMaxBytes: z.coerce
      .number({ invalid_type_error: '--spool-max-bytes must be a number of bytes' })
      .int('--spool-max-bytes must be whole bytes')
      .min(1024 * 1024, '--spool-max-bytes must be at least 1 MiB (1048576)')
      .max(64 * 1024 ** 3, '--spool-max-bytes must be at most 64 GiB'),
    hostName: z.string().regex(HOST_NAME_RE, '--host-name must be 1-253 letters, digits, . _ - starting with a letter or digit (os.hostname() did not qualify: pass --host-name)'),
    tags: tagList,
    ca: z.string().min(1).optional(),
    /** Where check-bundle releases are installed. */
    bundleDir: absolutePath('--bundle-dir'),
    /** ed25519 public keys (PEM files) whose bundle signatures this host trusts; none: every release is refused. */
    bundleKeys: z.array(z.string().min(1)).max(16),
  })
  .strict()
  .superRefine((r, ctx) => {
    const min = r.minIntervalSeconds ?? 10;
    if (r.intervalSeconds < min || r.intervalSeconds > 3600) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['intervalSeconds'], message: '--report-interval must be 10..3600 seconds' });
  })
  .transform(({ minIntervalSeconds: _min, ...r }) => ({ ...r, intervalMs: r.intervalSeconds * 1000 }));

/**
 * `--collector.<name>` / `--no-collector.<name>` / `--collector.disable-defaults` (collectors/registry.ts):
 * becomes the enabled collectors in registry order; absent, every collector on by default.
 */
const collectorsField = z
  .object({ disableDefaults: z.boolean(), set: z.record(z.boolean()) })
  .strict()
  .transform((sel, ctx): readonly CollectorName[] => {
    const r = resolveCollectors(sel);
    if (!r.ok) {
      for (const name of r.unknown) ctx.addIssue({ code: z.ZodIssueCode.custom, message: unknownCollectorMessage(`--collector.${name.slice(0, 64)}`, name) });
      return z.NEVER;
    }
    return r.enabled;
  })
  .default({ disableDefaults: false, set: {} });

const schema = z
  .object({
    listen: listenField,
    authTokenFile: z.string({ required_error: 'the agent always needs --auth-token-file (lines from "vigia token new --scopes read" or "--scopes read,actions")' }).min(1),
    tls: tlsFilesSchema.optional(),
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
    collectors: collectorsField,
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
    report: reportSchema.optional(),
  })
  .strict();

/** Parsed, frozen agent configuration. */
export type AgentConfig = Readonly<z.output<typeof schema>>;

/** Validate raw options (flags merged over env, strings allowed for numbers). Throws VIGIA_ERR_CONFIG naming each field by `names` (the flag or env variable typed). */
export function parseAgentConfig(raw: Record<string, unknown>, names: ConfigNames = {}): AgentConfig {
  return parseConfig(schema, raw, names);
}

/** Schema paths -> the commander attribute of the flag that sets them, where the names differ (for optionNames). */
export const AGENT_OPTION_RENAMES: Readonly<Record<string, string>> = {
  'tls.cert': 'tlsCert',
  'tls.key': 'tlsKey',
  'tls.clientCa': 'tlsClientCa',
  'roots.rootfs': 'path.rootfs',
  'roots.procfs': 'path.procfs',
  'roots.sysfs': 'path.sysfs',
  'roots.udevData': 'path.udev.data',
  'filter.mountPointsExclude': 'collector.filesystem.mountPointsExclude',
  'filter.fsTypesExclude': 'collector.filesystem.fsTypesExclude',
  'filter.mountPointsInclude': 'collector.filesystem.mountPointsInclude',
  'filter.fsTypesInclude': 'collector.filesystem.fsTypesInclude',
  statfsTimeoutMs: 'statfsTimeout',
  roles: 'role',
  'mysql.detect': 'mysqlDetect',
  'mysql.socket': 'mysqlSocket',
  'mysql.user': 'mysqlUser',
  'mysql.passwordFile': 'mysqlPasswordFile',
  requestTimeoutMs: 'requestTimeout',
  sampleIntervalMs: 'sampleInterval',
  shutdownTimeoutMs: 'shutdownTimeout',
  'report.to': 'reportTo',
  'report.tokenFile': 'reportTokenFile',
  'report.intervalSeconds': 'reportInterval',
  'report.jitter': 'reportJitter',
  'report.spoolDir': 'spoolDir',
  'report.spoolMaxBytes': 'spoolMaxBytes',
  'report.hostName': 'hostName',
  'report.tags': 'tag',
  'report.ca': 'reportCa',
  'report.bundleDir': 'bundleDir',
  'report.bundleKeys': 'bundleKey',
};
