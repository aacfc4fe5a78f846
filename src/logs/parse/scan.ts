/**
 * The field scanners of the text parser (text-parser.ts): quoted fields, integers, `-`.
 */
import { atCodes } from './chars.js';

/** Index of the first unescaped `"` at or after p and before n, or -1 (a backslash escapes the next character). */
export function quoteEnd(s: string, p: number, n: number): number {
  for (let i = p; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i;
  }
  return -1;
}

/** Non-negative integer in [p, e) (at most 15 digits), or -1. */
export function integer(s: string, p: number, e: number): number {
  if (p >= e || e - p > 15) return -1;
  let v = 0;
  for (let i = p; i < e; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** True when [p, e) is the single character `-` (a missing value in both Apache and nginx logs). */
export function dash(s: string, p: number, e: number): boolean {
  return e - p === 1 && s.charCodeAt(p) === 45;
}

/** True when a quoted field closes at q: the format's next literal `after` follows (and, when it is the format's last, ends the line or is followed by a space). */
function closes(s: string, q: number, n: number, after: Int32Array, afterIsLast: boolean): boolean {
  if (!atCodes(s, q, after, n)) return false;
  if (!afterIsLast) return true;
  const end = q + after.length;
  return end === n || s.charCodeAt(end) === 32;
}

/**
 * The closing quote of the quoted field starting at s (after its opening quote), in a line ending at n;
 * `backslash` is the position of the next backslash at or after s (or -1). Escape-aware. When the first
 * unescaped quote is not followed by the format's next literal, the value holds raw quotes (some proxies
 * log them unescaped): the closing quote is then the first one the literal follows; for the format's last
 * literal, one that ends the line is preferred over one followed by a space (extra fields). Returns -1
 * when there is no closing quote; the first quote when none fits (the caller then fails on the literal).
 */
export function quotedEnd(s: string, start: number, n: number, backslash: number, after: Int32Array, afterIsLast: boolean): number {
  let e = s.indexOf('"', start);
  if (backslash >= 0 && backslash < n && (e < 0 || backslash < e)) e = quoteEnd(s, start, n);
  if (e < 0 || e >= n) return -1;
  if (closes(s, e, n, after, afterIsLast)) return e;
  let spaced = -1;
  for (let q = quoteEnd(s, e + 1, n); q >= 0; q = quoteEnd(s, q + 1, n)) {
    if (!atCodes(s, q, after, n)) continue;
    if (!afterIsLast || q + after.length === n) return q;
    if (spaced < 0 && s.charCodeAt(q + after.length) === 32) spaced = q;
  }
  return spaced >= 0 ? spaced : e;
}
