/**
 * Host tags (`env=prod`, `dc=mad1`): the one definition of their syntax and limits. An operator types
 * them (`vigia agent --tag`, `vigia server enroll --tag`, a pull target file), a report carries them, a
 * selector (`--where`, a check's `where`, a run's `where`) names them; every one of those imports this
 * file so that a tag one place accepts is never refused by another.
 *
 * The control plane keeps a host's tags in two namespaces that never merge: the operator's (set at
 * enrolment) and the host's own (`reported`, from its newest report, which the host writes and a
 * compromised host can set to anything). A selector key says which it matches: `role` the operator's,
 * `reported:role` the host's, `host` the host name (`selectorKeyOf`).
 */
import { z } from 'zod';

/** Most tags one host may carry (reports, enrolment, pull targets, `--tag`). */
export const MAX_TAGS = 32;
/** Most characters of a tag value. */
export const MAX_TAG_VALUE_LENGTH = 256;
/**
 * A tag key: a letter or `_`, then letters, digits, `_ . -`, at most 64 characters (close to
 * Prometheus label names, plus `.` and `-` that host inventories use).
 */
export const TAG_KEY_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
/** The key rule in words, for messages that name what is wrong. */
export const TAG_KEY_RULE = 'letter or _, then letters, digits, _ . -, at most 64';
/**
 * Keys that match the pattern but are refused: as object keys they reach Object.prototype in code
 * that builds tag objects with plain assignment (and a reader can never tell them from inherited names).
 */
export const RESERVED_TAG_KEYS: readonly string[] = Object.freeze(['__proto__', 'constructor', 'prototype']);

/** True when `key` is a valid tag key (the pattern, and not reserved). */
export function isTagKey(key: string): boolean {
  return TAG_KEY_RE.test(key) && !RESERVED_TAG_KEYS.includes(key);
}

/** True when `value` is a valid tag value: at most 256 characters, no NUL (PostgreSQL text refuses it). */
export function isTagValue(value: string): boolean {
  return value.length <= MAX_TAG_VALUE_LENGTH && !value.includes('\u0000');
}

/** One tag key (the pattern; a reserved key is refused with "reserved tag key"). */
export const tagKeySchema = z
  .string()
  .regex(TAG_KEY_RE, `tag key: ${TAG_KEY_RULE}`)
  .refine((k) => !RESERVED_TAG_KEYS.includes(k), 'reserved tag key');

/** One tag value (0-256 characters, no NUL). */
export const tagValueSchema = z
  .string()
  .max(MAX_TAG_VALUE_LENGTH)
  .refine((v) => !v.includes('\u0000'), 'must not contain NUL');

/** A host's tags: key -> value, at most MAX_TAGS of them. The wire shape in reports and enrolment. */
export const tagsSchema = z.record(tagKeySchema, tagValueSchema).refine((t) => Object.keys(t).length <= MAX_TAGS, `at most ${MAX_TAGS} tags`);

/** A host's tags. */
export type Tags = z.infer<typeof tagsSchema>;

/** What `parseTagFlags` gives: the tags, or one message naming the flag and the item that is wrong. */
export type TagFlagsResult = { readonly ok: true; readonly tags: Record<string, string> } | { readonly ok: false; readonly message: string };

/**
 * Parses repeated `KEY=VALUE` flags (`--tag env=prod --tag dc=mad1`) into tags (pure). The value is
 * everything after the first `=` and may be empty. Refuses, with a message naming `flag` and the item:
 * a missing `=`, a bad key or value, a key given twice, more than MAX_TAGS tags.
 */
export function parseTagFlags(items: readonly string[], flag = '--tag'): TagFlagsResult {
  const tags = new Map<string, string>();
  for (const item of items) {
    const i = item.indexOf('=');
    const key = i < 0 ? '' : item.slice(0, i);
    const value = i < 0 ? '' : item.slice(i + 1);
    if (i < 0 || !isTagKey(key) || !isTagValue(value)) {
      return { ok: false, message: `${flag} "${item.slice(0, 100)}" is not KEY=VALUE (key: ${TAG_KEY_RULE}; value at most ${MAX_TAG_VALUE_LENGTH}, no NUL)` };
    }
    if (tags.has(key)) return { ok: false, message: `${flag} ${key} given twice` };
    tags.set(key, value);
  }
  if (tags.size > MAX_TAGS) return { ok: false, message: `at most ${MAX_TAGS} ${flag}` };
  // fromEntries defines own properties, so no key can reach the prototype.
  return { ok: true, tags: Object.fromEntries(tags) };
}

/**
 * The prefix of a selector key that matches a host-reported tag (`reported:role=web`). `:` is outside
 * the tag key alphabet, so no operator tag can ever be spelled like a reported one.
 */
export const REPORTED_TAG_PREFIX = 'reported:';

/**
 * The selector key that matches the host name instead of a tag (`host=db-17`), so one can target one
 * host without tagging it. An operator tag literally named `host` cannot be selected; a reported one
 * can (`reported:host=...`).
 */
export const HOST_NAME_SELECTOR_KEY = 'host';

/** What a selector key names: the host name, an operator tag or a host-reported tag. */
export type SelectorKey = { readonly kind: 'host' } | { readonly kind: 'tag' | 'reported'; readonly tag: string };

/** The selector key rule in words, for messages that name what is wrong. */
export const SELECTOR_KEY_RULE = `a tag key (${TAG_KEY_RULE}), ${REPORTED_TAG_PREFIX}KEY for a tag the host reports, or ${HOST_NAME_SELECTOR_KEY}`;

/**
 * What selector key `key` names, or null when it is not one (pure). `role` is the operator's tag,
 * `reported:role` the tag the host reports, `host` the host name.
 */
export function selectorKeyOf(key: string): SelectorKey | null {
  if (key === HOST_NAME_SELECTOR_KEY) return { kind: 'host' };
  if (key.startsWith(REPORTED_TAG_PREFIX)) {
    const tag = key.slice(REPORTED_TAG_PREFIX.length);
    return isTagKey(tag) ? { kind: 'reported', tag } : null;
  }
  return isTagKey(key) ? { kind: 'tag', tag: key } : null;
}

/** One selector key (`role`, `reported:role`, `host`), as a run request's `where` carries it. */
export const selectorKeySchema = z.string().refine((k) => selectorKeyOf(k) !== null, `selector key: ${SELECTOR_KEY_RULE}`);

/** A `--where` clause on the wire (`vigia run`, `vigia bundle publish`): selector key -> the exact, non-empty value every selected host has. */
export const whereSchema = z.record(selectorKeySchema, tagValueSchema.pipe(z.string().min(1, 'a selected tag value must not be empty')));
