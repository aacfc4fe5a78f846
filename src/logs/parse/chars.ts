/**
 * Character comparisons for the parsers' hot paths. They loop over charCodeAt, which the optimizing
 * compiler inlines, where String.prototype.startsWith is a builtin call per use (measured: replacing the
 * ~14 startsWith calls per combined line by these loops took the parser from about 0.7 to 1.05 M lines per
 * CPU-second on generated combined lines).
 */

/** True when `word` appears in s at p and ends by `end`. */
export function at(s: string, p: number, word: string, end: number): boolean {
  const n = word.length;
  if (p + n > end) return false;
  for (let k = 0; k < n; k++) if (s.charCodeAt(p + k) !== word.charCodeAt(k)) return false;
  return true;
}

/** The character codes of a string, for atCodes (a literal or cached text compared once per line). */
export function codesOf(word: string): Int32Array {
  const codes = new Int32Array(word.length);
  for (let k = 0; k < word.length; k++) codes[k] = word.charCodeAt(k);
  return codes;
}

/** True when the characters `codes` appear in s at p and end by `end`. */
export function atCodes(s: string, p: number, codes: Int32Array, end: number): boolean {
  const n = codes.length;
  if (p + n > end) return false;
  for (let k = 0; k < n; k++) if (s.charCodeAt(p + k) !== codes[k]) return false;
  return true;
}
