/** `vigia up` configuration: its flags, parsed once with a schema and frozen (pure, no I/O). */
import { z } from 'zod';
import { parseConfig, type ConfigNames } from '../core/config.js';
import { LOG_LEVELS } from '../core/log.js';

/** Default data directory: every store, token and key `vigia up` makes lives under it. */
export const DEFAULT_UP_DATA_DIR = 'data';
/** Default port of the control plane and its console (loopback). */
export const DEFAULT_UP_PORT = 8080;
/** Default port of this host's agent (the agent's own default). */
export const DEFAULT_UP_AGENT_PORT = 9110;
/** Default port of the log collector (`vigia logs serve`'s own default). */
export const DEFAULT_UP_LOGS_PORT = 8470;
/** Hosts of the demo's simulated fleet unless --demo-hosts says otherwise (the issue's 1,000). */
export const DEFAULT_DEMO_HOSTS = 1000;

const port = z.coerce.number().int().min(1).max(65_535);

const schema = z
  .object({
    dataDir: z.string().min(1),
    port,
    agentPort: port,
    logsPort: port,
    demo: z.boolean(),
    demoHosts: z.coerce.number().int().min(1).max(10_000),
    logLevel: z.enum(LOG_LEVELS),
    /** Each part gets this long to stop on SIGTERM before SIGKILL. */
    shutdownTimeoutMs: z.coerce.number().int().min(100).max(600_000),
    /** Each part must answer /healthz within this after it is started. */
    startTimeoutMs: z.coerce.number().int().min(1000).max(600_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Three listeners on one address: two on one port would make the second part die at start.
    const seen = new Map<number, string>();
    for (const [key, flag] of [['port', '--port'], ['agentPort', '--agent-port'], ['logsPort', '--logs-port']] as const) {
      const other = seen.get(c[key]);
      if (other) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `${c[key]} is also ${other}: each part needs its own port` });
      seen.set(c[key], flag);
    }
  });

/** Parsed, frozen `vigia up` configuration. */
export type UpConfig = Readonly<z.output<typeof schema>>;

/** Validate raw options (strings allowed for numbers); throws VIGIA_ERR_CONFIG naming each flag by `names`. */
export function parseUpConfig(raw: Record<string, unknown>, names: ConfigNames = {}): UpConfig {
  return parseConfig(schema, raw, names);
}
