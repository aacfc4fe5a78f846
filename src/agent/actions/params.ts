/**
 * Parameter validation and argv building for actions. Pure. Values are never coerced: the JSON
 * string "7" is not the integer 7, and an array is never a scalar. Every rejection names the
 * parameter and throws AGENT_ERR_INVALID_PARAMS. Strings never hold control characters (`\p{Cc}`),
 * format characters (`\p{Cf}`) or U+2028/U+2029, whatever a manifest's pattern says.
 */
import { VigiaError } from '../../core/errors.js';
import { UNSAFE_CHAR_RE } from '../../core/sanitise.js';
import { PARAM_PLACEHOLDER_RE, type ActionManifest, type ParamSpec } from './manifest.js';

/** A validated parameter value. */
export type ParamValue = string | number | boolean;

/** Format characters (bidi overrides and isolates, zero-width characters, BOM, tags): part of UNSAFE_CHAR_RE, named apart in the message. */
const FORMAT_RE = /\p{Cf}/u;

function reject(detail: string): never {
  throw new VigiaError('AGENT_ERR_INVALID_PARAMS', detail);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function checkOne(name: string, spec: ParamSpec, v: unknown): ParamValue {
  switch (spec.type) {
    case 'integer': {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) reject(`${name}: must be an integer, got ${typeof v === 'number' ? 'a non-integer number' : describe(v)}`);
      if (v < spec.minimum || v > spec.maximum) reject(`${name}: must be between ${spec.minimum} and ${spec.maximum}`);
      return v;
    }
    case 'boolean': {
      if (typeof v !== 'boolean') reject(`${name}: must be a boolean, got ${describe(v)}`);
      return v;
    }
    case 'string': {
      if (typeof v !== 'string') reject(`${name}: must be a string, got ${describe(v)}`);
      if (v.length > spec.maxLength) reject(`${name}: longer than ${spec.maxLength} characters`);
      // Any C0/C1 control (NUL, CR, LF, VT, FF, ESC, DEL, U+0085 ...), a Unicode line/paragraph
      // separator or a format character (U+202E reorders what an operator reads in the audit log and
      // makes `binlog.000123` look like another file name), whatever the manifest's pattern allows:
      // values end up in argv, logs and terminals. The one definition is core/sanitise's.
      if (UNSAFE_CHAR_RE.test(v)) {
        reject(FORMAT_RE.test(v) ? `${name}: must not contain format characters (bidi controls such as U+202E, zero-width characters)` : `${name}: must not contain NUL, line breaks or other control characters`);
      }
      if (spec.enum && !spec.enum.includes(v)) reject(`${name}: must be one of ${spec.enum.join(', ')}`);
      if (spec.pattern && !new RegExp(spec.pattern, 'u').test(v)) reject(`${name}: does not match ${spec.pattern}`);
      return v;
    }
  }
}

/**
 * Validate a request body against the manifest's parameter schema. `undefined`/`null` mean "no
 * parameters". Rejects non-objects, unknown keys, missing required keys and any value that does not
 * match its type exactly. Defaults fill absent optional parameters. Returns a fresh null-prototype
 * object.
 */
export function validateParams(manifest: Pick<ActionManifest, 'parameters' | 'required'>, body: unknown): Record<string, ParamValue> {
  if (body === undefined || body === null) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) reject(`body must be a JSON object, got ${describe(body)}`);
  const input = body as Record<string, unknown>;
  const out: Record<string, ParamValue> = Object.create(null) as Record<string, ParamValue>;
  for (const key of Object.keys(input)) {
    if (!Object.prototype.hasOwnProperty.call(manifest.parameters, key)) reject(`${key.slice(0, 64)}: unknown parameter`);
  }
  for (const [name, spec] of Object.entries(manifest.parameters)) {
    if (Object.prototype.hasOwnProperty.call(input, name) && input[name] !== undefined) {
      out[name] = checkOne(name, spec, input[name]);
    } else if (manifest.required.includes(name)) {
      reject(`${name}: required`);
    } else if (spec.default !== undefined) {
      out[name] = spec.default;
    }
  }
  return out;
}

/**
 * The argv for a run: the manifest's template with every `{name}` element replaced by the value's
 * decimal or `true`/`false` or string form. Elements are never split or joined, so a value is always
 * exactly one argv element. Throws AGENT_ERR_INVALID_PARAMS if a placeholder has no value.
 */
export function buildArgv(manifest: Pick<ActionManifest, 'argv'>, params: Readonly<Record<string, ParamValue>>): string[] {
  return manifest.argv.map((el) => {
    const m = PARAM_PLACEHOLDER_RE.exec(el);
    if (!m) return el;
    const v = Object.prototype.hasOwnProperty.call(params, m[1]!) ? params[m[1]!] : undefined;
    if (v === undefined) reject(`${m[1]}: required`);
    return String(v);
  });
}
