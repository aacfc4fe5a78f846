/**
 * CSV output shared by every role that writes a table for spreadsheets (capacity and performance reports,
 * `vigia logs` answers). Pure. Cells hold text that came from hosts or logs, so each one is made safe to
 * open in a spreadsheet and to show raw.
 */
import { sanitiseText } from './sanitise.js';

/**
 * A cell a spreadsheet would run as a formula: it starts with = + - @ (ASCII or full-width ＝ ＋ － ＠, which
 * some spreadsheets fold to ASCII), possibly after blanks (LibreOffice and Excel skip leading spaces before
 * looking for a formula). Tab and CR never reach this test: sanitiseText has made them visible escapes.
 */
const FORMULA_START = /^[\s\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]/u;

/**
 * One CSV cell per RFC 4180. Text is sanitised first (core/sanitise: control and format characters,
 * tab and line breaks included, become visible escapes such as `\x1b`, so a cell is one line and a
 * viewer that shows the file raw is never driven by it). Text then starting with a formula character
 * (FORMULA_START) gets a leading `'` so a spreadsheet does not run it (OWASP CSV injection); numbers are
 * written raw so a negative growth stays a number.
 */
export function csvCell(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = sanitiseText(v);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV document: a header line then the rows, CRLF line ends as RFC 4180 says. */
export function csvDocument(header: readonly string[], rows: Iterable<readonly (string | number | boolean | null)[]>): string {
  const lines = [header.map(csvCell).join(',')];
  for (const r of rows) lines.push(r.map(csvCell).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** Parse RFC 4180 CSV as written by csvDocument (quotes, doubled quotes, CRLF); for tests and tools that read a report back. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') cell += ch;
      else if (text[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else {
      cell += ch;
    }
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
