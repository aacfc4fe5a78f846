/**
 * Counted nouns in messages people read ("1 host", "2 hosts"): one helper so no CLI or server
 * message says "1 hosts". English only; the plural form is given where it is not `singular + s`.
 */

/** The word for `n` of a thing: `singular` when n is 1 (or -1), else `pluralForm` (default singular + "s"). */
export function pluralWord(n: number, singular: string, pluralForm = `${singular}s`): string {
  return Math.abs(n) === 1 ? singular : pluralForm;
}

/**
 * `n` and its noun, as "1 host" / "0 hosts" / "12 hosts". `shown` prints the number another way
 * (thousands separators, escaping) while the noun still follows `n`.
 */
export function plural(n: number, singular: string, opts: { plural?: string; shown?: string } = {}): string {
  return `${opts.shown ?? String(n)} ${pluralWord(n, singular, opts.plural)}`;
}
