/**
 * Decoding of the escapes Apache and nginx write inside quoted log fields: `\"`, `\\`, and `\xHH` (Apache
 * for non-printable bytes, nginx escape=default for `"`, `\` and every byte outside 0x20-0x7e).
 * Decoded: `\"`, `\\`, `\xHH` of printable ASCII, and runs of `\xHH` that form valid UTF-8 (nginx writes a
 * UTF-8 user agent or path that way). Kept as written: escapes of control bytes (a TLS probe's
 * `\x16\x03\x01`), invalid UTF-8, and Apache's `\n`/`\t`-style escapes, so a stored value never holds a
 * control character that could drive a terminal (the CLI prints these values).
 */

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Hex digit value, or -1. */
function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  c |= 0x20;
  return c >= 97 && c <= 102 ? c - 87 : -1;
}

/** The byte of the `\xHH` escape starting at i (a backslash) and ending by e, or -1. */
function escapedByte(s: string, i: number, e: number): number {
  if (i + 4 > e || s.charCodeAt(i) !== 92 || s.charCodeAt(i + 1) !== 120) return -1;
  const a = hex(s.charCodeAt(i + 2));
  const b = hex(s.charCodeAt(i + 3));
  return a < 0 || b < 0 ? -1 : a * 16 + b;
}

/** The text of [p, e) with its escapes decoded as described in the module comment. */
export function unescapeField(s: string, p: number, e: number): string {
  let out = '';
  let from = p;
  let i = s.indexOf('\\', p);
  while (i >= 0 && i < e) {
    const next = s.charCodeAt(i + 1);
    if (i + 1 < e && (next === 34 || next === 92)) {
      out += s.substring(from, i) + (next === 34 ? '"' : '\\');
      from = i + 2;
      i = s.indexOf('\\', from);
      continue;
    }
    const byte = escapedByte(s, i, e);
    if (byte >= 0x20 && byte <= 0x7e) {
      out += s.substring(from, i) + String.fromCharCode(byte);
      from = i + 4;
    } else if (byte >= 0x80) {
      // A run of high bytes: decode as UTF-8 when it is valid UTF-8, else keep the escapes.
      const bytes: number[] = [];
      let j = i;
      for (let b = byte; b >= 0x80; b = escapedByte(s, j, e)) {
        bytes.push(b);
        j += 4;
      }
      try {
        out += s.substring(from, i) + UTF8.decode(Uint8Array.from(bytes));
        from = j;
      } catch {
        // invalid UTF-8: leave [i, j) as written
      }
      i = s.indexOf('\\', j);
      continue;
    }
    i = s.indexOf('\\', i + 2);
  }
  return from === p ? s.substring(p, e) : out + s.substring(from, e);
}
