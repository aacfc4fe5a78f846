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

/** CSV cells and documents live in core (one definition for every role); re-exported for the report renderers. */
export { csvCell, csvDocument } from '../../core/csv.js';

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

/** Read a CSV back (core/csv), for tests and tools. */
export { parseCsv } from '../../core/csv.js';
