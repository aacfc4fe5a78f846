/**
 * The compiled shape of a text log format (Apache LogFormat, nginx log_format): a list of steps, each a
 * literal to match and then one field to read. Compilers (apache-format.ts, nginx-format.ts) produce it;
 * the one interpreter (text-parser.ts) runs it. Kept as plain data so a format can be tested by its steps.
 */

/**
 * What a field becomes in the record. Small integers (not strings) because the interpreter switches on them
 * once per field per line.
 */
export const FIELD = Object.freeze({
  /** Read and thrown away (`%l`, `%p`, `$upstream_response_time`, any unknown `$var`). */
  skip: 0,
  client: 1,
  user: 2,
  /** `dd/Mon/yyyy:HH:MM:SS +zzzz` (Apache `%t` without its brackets, nginx `$time_local`). */
  timeClf: 3,
  /** `yyyy-mm-ddTHH:MM:SS+hh:mm` (nginx `$time_iso8601`). */
  timeIso: 4,
  /** Seconds since the epoch, with an optional fraction (`%{sec}t`, nginx `$msec`). */
  timeSec: 5,
  /** Milliseconds since the epoch (`%{msec}t`). */
  timeMsec: 6,
  /** Microseconds since the epoch (`%{usec}t`). */
  timeUsec: 7,
  /** Any other strftime pattern of `%{...}t` (slow path, no cache). */
  timeStrftime: 8,
  /** The whole request line (`%r`, `$request`). */
  request: 9,
  method: 10,
  /** Path without query (`%U`, `$uri`). */
  path: 11,
  /** Query string with its `?` or empty (`%q`). */
  queryWithMark: 12,
  /** Query string without `?` (`$args`). */
  args: 13,
  /** Path and query (`$request_uri`). */
  pathAndQuery: 14,
  protocol: 15,
  status: 16,
  /** Body bytes (`%b`, `%B`, `$body_bytes_sent`): preferred over bytesSent when both are logged. */
  bytes: 17,
  /** Bytes sent including headers (`%O`, `$bytes_sent`). */
  bytesSent: 18,
  referrer: 19,
  agent: 20,
  vhost: 21,
  /** `%{Host}i`: the vhost only when the format has no `%v`/`$host`. */
  hostHeader: 22,
  durationUs: 23,
  durationMs: 24,
  /** Seconds, integer or with a fraction (`%T`, `$request_time`). */
  durationSec: 25,
} as const);

/** One of the FIELD values. */
export type FieldKind = (typeof FIELD)[keyof typeof FIELD];

/** One step of a compiled format: match `literal` at the cursor, then read one field (unless `last`). */
export interface FormatStep {
  /** Text that must appear before the field ('' for none). */
  readonly literal: string;
  /** The field read after the literal; ignored on the final step. */
  readonly kind: FieldKind;
  /**
   * True when the field sits between double quotes in the format: it is scanned escape-aware up to the
   * closing quote, and `-` means missing.
   */
  readonly quoted: boolean;
  /** strftime pattern for FIELD.timeStrftime; '' otherwise. */
  readonly pattern: string;
  /** True for the final step, which holds only the trailing literal. */
  readonly last: boolean;
}

/** A token of a format string before literals are merged: literal text or a field. */
export type FormatToken = { readonly literal: string } | { readonly kind: FieldKind; readonly pattern?: string };

/**
 * Merge tokens into steps: adjacent literals join, each field takes the literal before it, and a field is
 * quoted when the literal before it ends with `"` and the one after starts with `"`.
 */
export function stepsFromTokens(tokens: readonly FormatToken[]): FormatStep[] {
  const fields: { literal: string; kind: FieldKind; pattern: string }[] = [];
  let pending = '';
  for (const t of tokens) {
    if ('literal' in t) pending += t.literal;
    else {
      fields.push({ literal: pending, kind: t.kind, pattern: t.pattern ?? '' });
      pending = '';
    }
  }
  const steps: FormatStep[] = fields.map((f, i) => {
    const after = i + 1 < fields.length ? fields[i + 1]!.literal : pending;
    return { literal: f.literal, kind: f.kind, pattern: f.pattern, quoted: f.literal.endsWith('"') && after.startsWith('"'), last: false };
  });
  steps.push({ literal: pending, kind: FIELD.skip, pattern: '', quoted: false, last: true });
  return steps;
}
