/**
 * An aligned text table for the terminal, for `vigia logs` answers. Pure. Cells are logged values (URLs,
 * user agents, referrers), which an attacker chooses: each is sanitised (core/sanitise) so it can neither
 * drive the terminal nor break the columns, then cut to its column's width with `…` so one long agent
 * does not push every other column off the screen.
 */
import { sanitiseText } from '../../core/sanitise.js';

/** One column: its header, the most characters a cell shows, and whether numbers align right. */
export interface TableColumn {
  readonly header: string;
  readonly max?: number;
  readonly right?: boolean;
}

/** Cut `s` to at most `max` code points, the last one `…` when anything was cut. */
export function cut(s: string, max: number): string {
  const cps = [...s];
  return cps.length <= max ? s : `${cps.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * The table, header first, two spaces between columns, no trailing blanks, ending in a newline. Width
 * counts code points (a wide CJK character counts one: good enough for URLs and agents, which are mostly
 * ASCII).
 */
export function renderTable(columns: readonly TableColumn[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c, i) => cut(sanitiseText(String(r[i] ?? '')), c.max ?? 200)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => [...r[i]!].length)));
  const pad = (s: string, w: number, right: boolean): string => {
    const gap = ' '.repeat(Math.max(0, w - [...s].length));
    return right ? gap + s : s + gap;
  };
  return cells.map((r) => r.map((c, i) => pad(c, widths[i]!, columns[i]!.right === true)).join('  ').trimEnd()).join('\n') + '\n';
}
