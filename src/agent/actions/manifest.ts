/**
 * The action manifest: one JSON file per action at `<actionsDir>/<name>/manifest.json`, next to the
 * action's script. Parsing here is pure (text in, typed manifest out); the registry does the I/O
 * (reading files, resolving `${node}` / `${actionDir}` / `${nodeModules}` placeholders, checking
 * that the executable is a regular file nobody else can rewrite).
 *
 * Placeholders come in two kinds and never mix:
 * - host placeholders `${node}`, `${actionDir}`, `${nodeModules}` in `executable`, in argv elements
 *   before `--` and in `env` values; resolved once, at load, by the registry;
 * - parameter placeholders: an argv element that is exactly `{name}`, replaced by the validated value
 *   of parameter `name`. Allowed only after a literal `--` element, so a value can never be read as
 *   an option of the executable, and only as a whole element (no substring interpolation).
 */
import { z } from 'zod';
import { ACTION_NAME_RE, MAX_ACTION_PARAMS, PARAM_NAME_RE } from '../../core/contracts/agent-poll.js';
import { VigiaError } from '../../core/errors.js';

/** Largest output cap a manifest may ask for, per stream. */
export const MAX_OUTPUT_CAP_BYTES = 1024 * 1024;
/** Longest timeout a manifest may ask for. */
export const MAX_TIMEOUT_MS = 10 * 60 * 1000;
/** Longest string parameter a manifest may declare. */
export const MAX_STRING_LENGTH = 256;

/** An argv element that is a parameter placeholder, e.g. `{days}`. */
export const PARAM_PLACEHOLDER_RE = /^\{([a-z][a-z0-9_]{0,31})\}$/;

/** True when `pattern` is anchored at both ends (`^...$`, the `$` not escaped) and compiles. */
export function isAnchoredPattern(pattern: string): boolean {
  if (!pattern.startsWith('^') || !pattern.endsWith('$')) return false;
  let backslashes = 0;
  for (let i = pattern.length - 2; i >= 0 && pattern[i] === '\\'; i--) backslashes++;
  if (backslashes % 2 === 1) return false;
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

const integerParam = z
  .object({
    type: z.literal('integer'),
    description: z.string().max(500).optional(),
    minimum: z.number().int().refine(Number.isSafeInteger, 'must be a safe integer'),
    maximum: z.number().int().refine(Number.isSafeInteger, 'must be a safe integer'),
    default: z.number().int().optional(),
  })
  .strict();

const stringParam = z
  .object({
    type: z.literal('string'),
    description: z.string().max(500).optional(),
    pattern: z.string().refine(isAnchoredPattern, 'must be a valid regular expression anchored with ^ and $').optional(),
    maxLength: z.number().int().min(1).max(MAX_STRING_LENGTH),
    enum: z.array(z.string().min(1).max(MAX_STRING_LENGTH)).min(1).optional(),
    default: z.string().optional(),
  })
  .strict();

const booleanParam = z
  .object({
    type: z.literal('boolean'),
    description: z.string().max(500).optional(),
    default: z.boolean().optional(),
  })
  .strict();

/** One parameter's schema (cross-field rules are checked by `checkParam`). */
export const paramSchema = z.discriminatedUnion('type', [integerParam, stringParam, booleanParam]);

/** Cross-field problems of one parameter, as [field, message] pairs. Pure. */
export function checkParam(p: z.output<typeof paramSchema>): [string, string][] {
  const problems: [string, string][] = [];
  if (p.type === 'integer') {
    if (p.minimum > p.maximum) problems.push(['minimum', 'minimum must be <= maximum']);
    if (p.default !== undefined && (p.default < p.minimum || p.default > p.maximum)) problems.push(['default', 'default outside minimum..maximum']);
  } else if (p.type === 'string') {
    if (p.pattern === undefined && p.enum === undefined) problems.push(['pattern', 'a string parameter needs a pattern or an enum']);
    if ((p.enum ?? []).some((v) => v.length > p.maxLength || /[\0\r\n]/.test(v))) problems.push(['enum', 'enum values must fit maxLength and hold no NUL or line break']);
    if (p.default !== undefined) {
      const ok = p.default.length <= p.maxLength && !/[\0\r\n]/.test(p.default) && (p.enum === undefined || p.enum.includes(p.default)) && (p.pattern === undefined || !isAnchoredPattern(p.pattern) || new RegExp(p.pattern, 'u').test(p.default));
      if (!ok) problems.push(['default', 'default does not satisfy the parameter']);
    }
  }
  return problems;
}

/** The manifest schema; unknown keys are errors. */
export const manifestSchema = z
  .object({
    name: z.string().regex(ACTION_NAME_RE, 'must match ^[a-z][a-z0-9-]{0,62}$'),
    description: z.string().min(1).max(1000),
    executable: z.string().min(1),
    argv: z.array(z.string().max(4096)).max(64),
    parameters: z
      .record(z.string().regex(PARAM_NAME_RE, 'parameter names must match ^[a-z][a-z0-9_]{0,31}$'), paramSchema)
      // A call passes them in one body of at most ACTION_PARAMS_SHAPE's keys (and a fleet run as many).
      .refine((p) => Object.keys(p).length <= MAX_ACTION_PARAMS, `at most ${MAX_ACTION_PARAMS} parameters`)
      .default({}),
    required: z.array(z.string()).default([]),
    timeoutMs: z.number().int().min(1).max(MAX_TIMEOUT_MS),
    outputCapBytes: z.number().int().min(1).max(MAX_OUTPUT_CAP_BYTES),
    concurrency: z.number().int().min(1).max(1000),
    async: z.boolean().default(false),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env names must be identifiers'), z.string().max(4096)).default({}),
    runAs: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a user name').optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    for (const [name, p] of Object.entries(m.parameters)) {
      for (const [field, message] of checkParam(p)) ctx.addIssue({ code: 'custom', path: ['parameters', name, field], message });
    }
    for (const r of m.required) {
      if (!(r in m.parameters)) ctx.addIssue({ code: 'custom', path: ['required'], message: `required names unknown parameter "${r}"` });
    }
    const sep = m.argv.indexOf('--');
    m.argv.forEach((el, i) => {
      if (/[\0]/.test(el)) ctx.addIssue({ code: 'custom', path: ['argv', i], message: 'NUL in argv element' });
      const ph = PARAM_PLACEHOLDER_RE.exec(el);
      if (ph) {
        if (sep === -1 || i < sep) ctx.addIssue({ code: 'custom', path: ['argv', i], message: 'parameter placeholders are only allowed after a "--" element' });
        const p = m.parameters[ph[1]!];
        if (!p) ctx.addIssue({ code: 'custom', path: ['argv', i], message: `placeholder names unknown parameter "${ph[1]}"` });
        else if (!m.required.includes(ph[1]!) && p.default === undefined) ctx.addIssue({ code: 'custom', path: ['parameters', ph[1]!], message: 'an optional parameter used in argv needs a default' });
      } else if (/\{[^}]*\}/.test(el.replace(/\$\{(node|actionDir|nodeModules)\}/g, ''))) {
        ctx.addIssue({ code: 'custom', path: ['argv', i], message: 'placeholders must be a whole argv element like "{name}"; no substring interpolation' });
      }
    });
    if (Object.keys(m.parameters).length > 0 && sep === -1) ctx.addIssue({ code: 'custom', path: ['argv'], message: 'an action with parameters needs a "--" element before its placeholders' });
  });

/** A parsed, validated manifest (host placeholders not yet resolved). */
export type ActionManifest = z.output<typeof manifestSchema>;
/** One parameter's schema. */
export type ParamSpec = z.output<typeof paramSchema>;

/**
 * Parse a manifest's JSON text. Pure. Throws AGENT_ERR_ACTION_MANIFEST naming `file` and every bad
 * field path.
 */
export function parseManifest(text: string, file: string): ActionManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const result = manifestSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${file}: ${problems.join('; ')}`);
  }
  return result.data;
}
