/** HTML output shared by every role that writes a page or a mail (capacity and performance reports, SLO reports). */

const HTML_ESCAPES: Readonly<Record<string, string>> = Object.freeze({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' });

/**
 * Escapes text for HTML element content and for attribute values in either quote: `& < > " '`
 * (the five OWASP names; `'` too, so a single-quoted attribute is as safe as a double-quoted one).
 */
export function escapeHtml(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
