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

/**
 * What the user wrote for each schema path, as it should appear in an error: a flag (`--retention-days`),
 * an environment variable (`VIGIA_TURNO_LISTEN`) or a config-file key. Keys are dotted schema paths
 * (`retentionDays`, `tls.cert`); an issue is named after the longest path prefix found here, and by its
 * own path when none is (a config-file document, whose paths are what the user wrote).
 */
export type ConfigNames = Readonly<Record<string, string>>;

/**
 * Parse `raw` with `schema`; throws one VIGIA_ERR_CONFIG naming every bad field by what the user wrote
 * (`names`, see optionNames) with the value given, e.g. `--retention-days: expected a number, got "x"`.
 * Result is frozen.
 */
export function parseConfig<S extends z.ZodTypeAny>(schema: S, raw: unknown, names: ConfigNames = {}): Readonly<z.output<S>> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = [...new Set(result.error.issues.map((i) => describeIssue(i, raw, names)))];
    throw new VigiaError('VIGIA_ERR_CONFIG', problems.join('; '));
  }
  return deepFreeze(result.data);
}

/** One issue as `<what the user wrote>: <problem>`. */
function describeIssue(issue: z.ZodIssue, raw: unknown, names: ConfigNames): string {
  const path = issue.path.map(String);
  let label: string | undefined;
  for (let n = path.length; n > 0 && label === undefined; n--) {
    const name = names[path.slice(0, n).join('.')];
    // A list index after a flag (`--role` given twice) says nothing the value in the message does not.
    const rest = path.slice(n).filter((k) => !/^\d+$/.test(k));
    if (name !== undefined) label = rest.length ? `${name} ${rest.join('.')}` : name;
  }
  label ??= path.length ? path.join('.') : '(root)';
  const message = issueMessage(issue, valueAt(raw, issue.path));
  // Messages written for a flag already name it (`--report-interval must be ...`): do not say it twice.
  return message.startsWith(label) ? message : `${label}: ${message}`;
}

/** zod's default texts speak of types ("Expected number, received nan"); say what was wrong with the value given. */
function issueMessage(issue: z.ZodIssue, value: unknown): string {
  const given = typeof value === 'string' ? `, got ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)}` : typeof value === 'number' ? `, got ${value}` : '';
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      if (issue.received === 'undefined') return issue.message === 'Required' ? 'required' : issue.message;
      if (issue.expected === 'integer') return issue.message.startsWith('Expected ') ? `must be a whole number${given}` : issue.message;
      if (issue.expected === 'number') return issue.message.startsWith('Expected ') ? `expected a number${given}` : issue.message;
      return issue.message.startsWith('Expected ') ? `expected ${issue.expected}${given}` : issue.message;
    case z.ZodIssueCode.too_small:
      if (issue.type === 'number' && issue.message.startsWith('Number must')) return `must be at least ${String(issue.minimum)}${issue.inclusive ? '' : ' (exclusive)'}${given}`;
      if (issue.type === 'string' && issue.minimum === 1 && issue.message.startsWith('String must')) return 'must not be empty';
      return issue.message;
    case z.ZodIssueCode.too_big:
      if (issue.type === 'number' && issue.message.startsWith('Number must')) return `must be at most ${String(issue.maximum)}${issue.inclusive ? '' : ' (exclusive)'}${given}`;
      return issue.message;
    case z.ZodIssueCode.invalid_enum_value:
      return `must be one of ${issue.options.map(String).join(', ')}${given}`;
    default:
      return issue.message;
  }
}

/** The raw value at `path`, for the message (undefined when the path does not exist). */
function valueAt(raw: unknown, path: readonly (string | number)[]): unknown {
  let v = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/** The part of a commander Command that optionNames reads (structural, so core imports no CLI library). */
export interface OptionSourceReader {
  readonly options: readonly { readonly long?: string; readonly envVar?: string; attributeName(): string }[];
  getOptionValueSource(key: string): string | undefined;
}

/**
 * Names for parseConfig from a command's options: each option's attribute name (and each schema path
 * in `renames`, mapped to an attribute name) -> the flag, or the environment variable when the value
 * came from there. Call it in the action, after parsing, so the sources are known.
 */
export function optionNames(cmd: OptionSourceReader, renames: Readonly<Record<string, string>> = {}): ConfigNames {
  const byAttribute: Record<string, string> = {};
  for (const o of cmd.options) {
    const attr = o.attributeName();
    const label = cmd.getOptionValueSource(attr) === 'env' && o.envVar ? o.envVar : o.long;
    if (label) byAttribute[attr] = label;
  }
  const names: Record<string, string> = { ...byAttribute };
  for (const [path, attr] of Object.entries(renames)) {
    const label = byAttribute[attr];
    if (label !== undefined) names[path] = label;
  }
  return names;
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
    // Fatal: refinements over the whole config (turno's "listening on <host> needs a token") must not
    // run on a listen address that did not parse.
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${text}" is not host:port (e.g. 127.0.0.1:7017, :7017 or [::1]:7017)`, fatal: true });
    return z.NEVER;
  }
  return addr;
});
