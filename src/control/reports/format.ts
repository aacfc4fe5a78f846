/** Formatting shared by every report renderer: sizes, counts, CSV cells, aligned tables. Pure. */
import { sanitiseText } from '../../core/sanitise.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** Bytes as a short binary size, e.g. `1.2 TiB`; `-` for null. Negative values keep their sign. */
export function humanBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '-';
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const text = u === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v.toFixed(1);
  return `${sign}${text} ${UNITS[u]}`;
}

/** An integer with thousands separators (`10,000`), independent of the process locale. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A percentage with one decimal, `-` for null. */
export function pct(p: number | null): string {
  return p === null || !Number.isFinite(p) ? '-' : `${p.toFixed(1)}%`;
}

/** Days until full for humans: `-` unknown, `never` for flat or shrinking, else days with one decimal. */
export function days(d: number | null): string {
  if (d === null) return '-';
  if (d === Infinity) return 'never';
  return d < 10 ? `${d.toFixed(1)} d` : `${Math.round(d)} d`;
}

/** A UTC day `YYYY-MM-DD`. */
export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * One CSV cell per RFC 4180. Text is sanitised first (core/sanitise: control and format characters,
 * tab and line breaks included, become visible escapes such as `\x1b`, so a cell is one line and a
 * viewer that shows the file raw is never driven by it). Text then starting with = + - @ gets a
 * leading `'` so a spreadsheet does not run it as a formula (OWASP CSV injection); numbers are
 * written raw so a negative growth stays a number.
 */
export function csvCell(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = sanitiseText(v);
  if (/^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV document: a header line then the rows, CRLF line ends as RFC 4180 says. */
export function csvDocument(header: readonly string[], rows: Iterable<readonly (string | number | boolean | null)[]>): string {
  const lines = [header.map(csvCell).join(',')];
  for (const r of rows) lines.push(r.map(csvCell).join(','));
  return lines.join('\r\n') + '\r\n';
}

/**
 * Pad columns of a text table to equal widths (right-aligned where `right[i]`). Every cell is
 * sanitised (core/sanitise) before it is measured, so host text can neither drive the terminal nor
 * break the columns.
 */
export function alignTable(rows: readonly (readonly string[])[], right: readonly boolean[] = []): string {
  const clean = rows.map((r) => r.map(sanitiseText));
  const widths: number[] = [];
  for (const r of clean) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return clean
    .map((r) =>
      r
        .map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
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
