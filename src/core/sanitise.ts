/**
 * Text that came from a host, a log line or a check, made safe to print or mail. A host names its
 * own mountpoints, devices, errors and check output, so any of them can hold an ESC/OSC sequence
 * (rewriting the operator's terminal, hiding lines, planting hyperlinks), a BEL, a bare CR, or a
 * bidi override such as U+202E (reordering what a reader sees). Every output boundary that renders
 * such text (report tables, CSV, HTML, mail, CLI listings, log lines) goes through one of these
 * functions. Pure. The stored value is never changed: escaping happens where text leaves the program.
 */

/**
 * One unsafe code point: every control (`\p{Cc}`: C0, DEL, C1, tab and line breaks included), every
 * format character (`\p{Cf}`: bidi embeddings, overrides and isolates, zero-width characters, soft
 * hyphen, BOM, tag characters) and the Unicode line and paragraph separators U+2028/U+2029.
 */
export const UNSAFE_CHAR_RE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

const UNSAFE_G = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;
// Line ends are matched first so the replacer can keep them (a lone CR is still escaped).
const UNSAFE_OR_LINE_END_G = /\r\n|\n|[\p{Cc}\p{Cf}\u2028\u2029]/gu;

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** `\x1b` up to U+00FF, `\u202e` in the BMP, `\u{e0001}` beyond: visible, ASCII, and the code point can be read back. */
function visible(c: string): string {
  const cp = c.codePointAt(0)!;
  if (cp <= 0xff) return `\\x${hex(cp, 2)}`;
  return cp <= 0xffff ? `\\u${hex(cp, 4)}` : `\\u{${hex(cp, 5)}}`;
}

/**
 * One line of display text: every UNSAFE_CHAR_RE code point (tab, CR and LF included) becomes a
 * visible escape (`\x1b`, `\x09`, `\u202e`); everything else, other scripts included, is kept.
 * Idempotent (escapes are printable ASCII). Not reversible: a host that sends the six characters
 * `\x1b` reads the same as one that sent ESC, which is harmless since both are shown, never run.
 */
export function sanitiseText(s: string): string {
  return UNSAFE_CHAR_RE.test(s) ? s.replace(UNSAFE_G, visible) : s;
}

/**
 * A whole document (a table, a CSV with CRLF rows, an HTML or plain-text mail body): as
 * sanitiseText, but LF and CRLF line ends are kept. A lone CR (which overwrites the line on a
 * terminal) is escaped.
 */
export function sanitiseLines(s: string): string {
  return UNSAFE_CHAR_RE.test(s) ? s.replace(UNSAFE_OR_LINE_END_G, (c) => (c === '\n' || c === '\r\n' ? c : visible(c))) : s;
}

/**
 * JSON text as JSON.stringify writes it, made safe to print: JSON.stringify escapes C0 controls
 * but leaves DEL, the C1 controls (U+009B is a CSI on some terminals) and every `\p{Cf}` raw. Each
 * of those becomes its JSON escape (`\u202e`; astral ones as a surrogate pair), so the text parses
 * to exactly the same value. LF is kept: JSON.stringify writes it only between tokens (indentation,
 * the end of a log line), never inside a string.
 */
export function sanitiseJson(json: string): string {
  if (!UNSAFE_CHAR_RE.test(json)) return json;
  return json.replace(UNSAFE_G, (c) => {
    if (c === '\n') return c;
    let out = '';
    for (let i = 0; i < c.length; i++) out += `\\u${hex(c.charCodeAt(i), 4)}`;
    return out;
  });
}
