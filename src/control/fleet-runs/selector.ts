/**
 * Pure parsing of the `vigia run` flags: the `--where` host selector, the `--concurrency` /
 * `--max-errors` limits (a count or a percentage of the targets, as in AWS Systems Manager Run
 * Command), the `--param k=v` action parameters and duration flags (`--timeout`, also `bundle publish`'s
 * `--soak`); shared by the CLI and the console's run form. Every rejection names the flag: a
 * VIGIA_ERR_BAD_REQUEST, or VIGIA_ERR_CONFIG for a duration.
 */
import { isTagKey, SELECTOR_KEY_RULE, selectorKeyOf, TAG_KEY_RULE } from '../../core/contracts/tags.js';
import { VigiaError } from '../../core/errors.js';

/**
 * A parsed `--where`: selector key (`role`: an operator tag, `reported:role`: a tag the host reports,
 * `host`: the host name; core/contracts/tags.ts) -> exact value. Every pair must match.
 */
export type WhereClause = Readonly<Record<string, string>>;

/**
 * What `matchesWhere` looks at: a host's name, the operator's tags and, apart, the tags the host
 * reports (none when absent). The two are never merged: the host writes its reports.
 */
export interface SelectableHost {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly reportedTags?: Readonly<Record<string, string>>;
}

/** A `--concurrency` / `--max-errors` value before it is resolved against the target count. */
export type Limit = { readonly kind: 'count'; readonly n: number } | { readonly kind: 'percent'; readonly pct: number };

/** One action parameter value: integers and true/false are typed, everything else stays a string. */
export type ParamValue = string | number | boolean;

/** Tag values are 1-256 characters; `,` and `=` are the selector's own separators, NUL is never a tag. */
const VALUE_RE = /^[^,=\u0000]{1,256}$/;

function bad(message: string): VigiaError {
  return new VigiaError('VIGIA_ERR_BAD_REQUEST', message);
}

/**
 * Parses `k=v,k2=v2` into a where clause. Whitespace around pairs, keys and values is ignored.
 * Keys are selector keys (core/contracts/tags.ts): `role` an operator tag, `reported:role` a tag the
 * host reports, `host` the host name; values are 1-256 characters without `,` or `=`. Throws
 * VIGIA_ERR_BAD_REQUEST on an empty selector, a malformed pair or a repeated key (AND of two values
 * for one key can never match).
 */
export function parseWhere(text: string): WhereClause {
  if (text.trim() === '') throw bad('--where: empty selector (use --all to target every host)');
  const seen = new Map<string, string>();
  for (const raw of text.split(',')) {
    const pair = raw.trim();
    const eq = pair.indexOf('=');
    if (eq < 0) throw bad(`--where: "${pair}" is not key=value`);
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (selectorKeyOf(key) === null) throw bad(`--where: bad key "${key}" (${SELECTOR_KEY_RULE})`);
    if (!VALUE_RE.test(value)) throw bad(`--where: bad value for "${key}" (1-256 characters, no "," or "=")`);
    if (seen.has(key)) throw bad(`--where: key "${key}" given twice`);
    seen.set(key, value);
  }
  // fromEntries defines own properties, so a key such as __proto__ cannot reach the prototype.
  return Object.freeze(Object.fromEntries(seen));
}

/**
 * True when the host satisfies every pair of the clause: `host` compares with the host name,
 * `reported:KEY` with the tag KEY the host reports, any other key with the operator's tag of that
 * name only (a host's report can neither take it out of a selection nor put it in one). A missing tag
 * never matches; an unknown key never matches. An empty clause matches every host (`--all`).
 */
export function matchesWhere(where: WhereClause, host: SelectableHost): boolean {
  for (const [key, value] of Object.entries(where)) {
    const k = selectorKeyOf(key);
    if (k === null) return false;
    if (k.kind === 'host') {
      if (host.name !== value) return false;
      continue;
    }
    const tags = k.kind === 'reported' ? (host.reportedTags ?? {}) : host.tags;
    if (!Object.hasOwn(tags, k.tag) || tags[k.tag] !== value) return false;
  }
  return true;
}

/**
 * Parses a limit flag: a non-negative integer without leading zeros (`50`) or an integer percentage
 * 0-100 (`5%`), the shapes SSM accepts for MaxConcurrency / MaxErrors. `what` is the flag name used
 * in error messages (e.g. `--concurrency`). `min` (default 0) rejects smaller values: pass 1 for
 * `--concurrency`, where 0 would never run anything; `--max-errors 0` is valid (stop at the first error).
 */
export function parseLimit(text: string, what: string, opts: { readonly min?: 0 | 1 } = {}): Limit {
  const min = opts.min ?? 0;
  const t = text.trim();
  const count = /^(0|[1-9][0-9]*)$/.exec(t);
  if (count) {
    const n = Number(count[1]);
    if (!Number.isSafeInteger(n)) throw bad(`${what}: ${t} is too large`);
    if (n < min) throw bad(`${what}: must be at least ${min}`);
    return { kind: 'count', n };
  }
  const pct = /^(0|[1-9][0-9]{0,2})%$/.exec(t);
  if (pct) {
    const p = Number(pct[1]);
    if (p > 100) throw bad(`${what}: a percentage must be between 0% and 100%`);
    if (p < min) throw bad(`${what}: must be at least ${min}%`);
    return { kind: 'percent', pct: p };
  }
  throw bad(`${what}: expected a count like 10 or a percentage like 5%, got "${text}"`);
}

/**
 * Turns a limit into a host count for `targets` hosts. Percentages are of the target count and
 * rounded DOWN: for `--max-errors` that is the SSM behaviour their docs spell out (Automation
 * MaxErrors: "If you run an automation on 50 resources and set max-errors to 10%, then the system
 * stops ... when the sixth error is received", i.e. 5 allowed errors), and it is the conservative
 * direction for an error budget. `minOne` (use it for `--concurrency`) raises a result of 0 to 1 when
 * there is at least one target, so `5%` of 10 hosts still runs: the rule AWS documents for percentage
 * concurrency ("rounds down to the next whole number ... except in cases where rounding down would
 * result is zero. In this case ... sets the number as one", CloudFormation StackSets
 * MaxConcurrentPercentage; SSM Run Command concurrency behaves the same way). Counts are returned as
 * given (a count above the target count is harmless).
 */
export function resolveLimit(limit: Limit, targets: number, opts: { readonly minOne: boolean }): number {
  const raw = limit.kind === 'count' ? limit.n : Math.floor((limit.pct * targets) / 100);
  return opts.minOne && targets > 0 ? Math.max(1, raw) : raw;
}

/**
 * Parses repeated `--param key=value` flags. The value is everything after the first `=` and may be
 * empty. `^-?\d+$` becomes a number (it must be a safe integer; `-0` becomes 0), exactly `true` /
 * `false` become booleans, anything else stays a string. Keys use the tag key alphabet. Throws
 * VIGIA_ERR_BAD_REQUEST on a missing `=`, a bad key, an integer out of range or a repeated key.
 */
export function parseParams(items: readonly string[]): Record<string, ParamValue> {
  const out = new Map<string, ParamValue>();
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) throw bad(`--param: "${item}" is not key=value`);
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1);
    if (!isTagKey(key)) throw bad(`--param: bad key "${key}" (${TAG_KEY_RULE})`);
    if (out.has(key)) throw bad(`--param: key "${key}" given twice`);
    let value: ParamValue = raw;
    if (/^-?\d+$/.test(raw)) {
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw bad(`--param: ${key}=${raw} is outside the safe integer range`);
      value = n === 0 ? 0 : n;
    } else if (raw === 'true' || raw === 'false') {
      value = raw === 'true';
    }
    out.set(key, value);
  }
  return Object.fromEntries(out);
}

/** Parse a duration flag such as `10m`, `30s`, `0` to ms. */
export function parseDurationFlag(text: string, flag: string): number {
  if (text.trim() === '0') return 0;
  const m = /^(\d{1,7})(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new VigiaError('VIGIA_ERR_CONFIG', `${flag} "${text.slice(0, 20)}": a duration such as 0, 30s, 10m or 1h`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
}
