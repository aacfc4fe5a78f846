/**
 * Small HTML helpers shared by the console's pages. Every value from hosts, tags, checks, logs or
 * operators goes through `e` (core/html.ts escapeHtml); pages build HTML only from these pieces.
 */
import { escapeHtml } from '../../core/html.js';
import { humanBytes } from '../reports/format.js';

/** Escape text for element content or a quoted attribute. */
export const e = escapeHtml;

/** `5 min ago`, `3 h ago`, `2 d ago` (or `never`); the exact time in a title attribute. */
export function ago(d: Date | null, now: Date): string {
  if (d === null) return '<span class="muted">never</span>';
  const s = Math.max(0, Math.round((now.getTime() - d.getTime()) / 1000));
  const text = s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : s < 172_800 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86_400)} d ago`;
  return `<time datetime="${e(d.toISOString())}" title="${e(d.toISOString())}">${e(text)}</time>`;
}

/** Bytes for people (`41.2 GB`), `–` when unknown. */
export function bytes(n: number | null): string {
  return e(humanBytes(n));
}

/** A percentage with its severity class (critical at `crit`, warning at `warn`). */
export function pctCell(p: number | null, warn = 80, crit = 90): string {
  if (p === null) return '<td class="num muted">–</td>';
  const cls = p >= crit ? 'crit' : p >= warn ? 'warn' : '';
  return `<td class="num${cls ? ` ${cls}` : ''}">${e(p.toFixed(0))} %</td>`;
}

/** Tags as escaped chips. */
export function tags(t: Readonly<Record<string, string>>): string {
  return Object.entries(t).map(([k, v]) => `<span class="tag">${e(k)}=${e(v)}</span>`).join('');
}

/** A table with a caption (for screen readers), header cells and rows of ready HTML cells; `empty` when no rows. */
export function table(caption: string, head: readonly string[], rows: readonly string[], empty: string, numeric: readonly number[] = []): string {
  if (rows.length === 0) return `<p class="empty">${e(empty)}</p>`;
  const th = head.map((h, i) => `<th scope="col"${numeric.includes(i) ? ' class="num"' : ''}>${e(h)}</th>`).join('');
  return `<div class="scroll"><table><caption class="skip">${e(caption)}</caption><thead><tr>${th}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** A link with an escaped href built from a path and query parameters. */
export function href(path: string, query: Readonly<Record<string, string | number | undefined>> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return e(s ? `${path}?${s}` : path);
}

/** The URL of a host's page. */
export function hostHref(name: string): string {
  return e(`/ui/hosts/${encodeURIComponent(name)}`);
}

/**
 * A chart island: a JSON data block (type application/json: the browser never runs it) and the
 * element console.js draws into. `<` in the JSON is escaped so no value can close the script element.
 */
export function chart(id: string, label: string, spec: unknown): string {
  const jsonText = JSON.stringify(spec).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return `<script type="application/json" id="${e(id)}">${jsonText}</script><div class="chart" data-chart="${e(id)}" role="img" aria-label="${e(label)}"></div>`;
}
