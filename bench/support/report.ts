/** Statistics and formatting for the one table each benchmark script prints. */
import { spawnSync } from 'node:child_process';

/** Median of the finite values of `xs`; NaN when there are none. */
export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** Rounded, with thousands separators (`12,345`); `-` for NaN or infinity. */
export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

/** Fixed `digits` decimals; `-` for NaN or infinity. */
export function fmtFixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/** Milliseconds: 2 decimals below 10, else 1; `-` for NaN or infinity. */
export function fmtMs(n: number): string {
  return Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '-';
}

/**
 * A percentage: with `digits` 0 (the default) `String(Math.round(n))` (so -0.4 prints `0`),
 * otherwise `digits` fixed decimals; `-` for NaN or infinity.
 */
export function fmtPct(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '-';
  return digits === 0 ? String(Math.round(n)) : n.toFixed(digits);
}

/** A ratio: 2 decimals below 10, else 1; `-` for NaN or infinity. */
export function fmtRatio(n: number): string {
  return fmtMs(n);
}

/** `PASS`, `MISS`, or `-` when there is nothing to judge (undefined). */
export function verdict(ok: boolean | undefined): string {
  return ok === undefined ? '-' : ok ? 'PASS' : 'MISS';
}

/**
 * Columns separated by two spaces, each as wide as its widest cell, right-aligned where
 * `rightAlign[i]`; a dashed line under the header row (rows[0]). A row of one cell is printed as is,
 * across the columns, and widens none. Trailing blanks are trimmed.
 */
export function table(rows: readonly (readonly string[])[], rightAlign: readonly boolean[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r.length === 1 ? 0 : (r[i] ?? '').length))));
  const line = (r: readonly string[]): string => r.map((c, i) => (rightAlign[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]!), sep, ...rows.slice(1).map((r) => (r.length === 1 ? r[0]! : line(r)))].join('\n');
}

/** The first group of `re` in the output (stdout then stderr) of `cmd args` (5 s at most); `?` when none. */
export function version(cmd: string, args: readonly string[], re: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  return re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? '?';
}
