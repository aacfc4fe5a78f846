/** HTML output shared by every role that writes a page or a mail (capacity and performance reports, SLO reports). */
import { sanitiseLines } from './sanitise.js';

const HTML_ESCAPES: Readonly<Record<string, string>> = Object.freeze({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' });

/**
 * Escapes text for HTML element content and for attribute values in either quote: `& < > " '`
 * (the five OWASP names; `'` too, so a single-quoted attribute is as safe as a double-quoted one).
 * Control and format characters (ESC, BEL, bidi overrides such as U+202E, zero-width characters)
 * become visible escapes first (core/sanitise `sanitiseLines`; LF and CRLF are kept), so a mail
 * client or a browser never reorders or hides host text.
 */
export function escapeHtml(s: string | number): string {
  return sanitiseLines(String(s)).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
