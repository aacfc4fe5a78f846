/**
 * Configuration helpers: parse raw input (flags, env, files) once at the edge with a zod schema,
 * report problems by field path, and return a deeply frozen value. Nothing below the edge reads
 * process.env.
 */
import { z } from 'zod';
import { VigiaError } from './errors.js';

/** A frozen copy of the process environment: taken once at a command's edge and passed down. */
export function environment(): Readonly<Record<string, string | undefined>> {
  return Object.freeze({ ...process.env });
}

/** Parse `raw` with `schema`; throws VIGIA_ERR_CONFIG naming every bad field path. Result is frozen. */
export function parseConfig<S extends z.ZodTypeAny>(schema: S, raw: unknown): Readonly<z.output<S>> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new VigiaError('VIGIA_ERR_CONFIG', problems.join('; '));
  }
  return deepFreeze(result.data);
}

/** Freeze an object graph in place and return it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A listen address. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Parse `host:port`, `:port`, `port` or `[v6]:port`. Port 0 means "any free port".
 * Returns undefined when the text is not a listen address (callers report the field).
 */
export function parseListen(text: string, defaultHost = '127.0.0.1'): ListenAddress | undefined {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  let host = m[1] || defaultHost;
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { host, port };
}

/** A zod field for a `--listen` value: text in, ListenAddress out, "not host:port" otherwise. */
export const listenField = z.string().transform((text, ctx): ListenAddress => {
  const addr = parseListen(text);
  if (!addr) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${text}" is not host:port` });
    return z.NEVER;
  }
  return addr;
});
