/**
 * Hosts: search by name (substring) and tag (`key=value`, operator or reported), sorted by name or
 * last report, 100 a page; the filter, sort and paging run in SQL (console-data.ts).
 */
import { plural } from '../../../core/plural.js';
import { z } from 'zod';
import { TAG_KEY_RE } from '../../../core/contracts/tags.js';
import { count } from '../../reports/format.js';
import { PAGE_SIZE } from '../console-data.js';
import type { ConsolePage } from '../page.js';
import { ago, e, hostHref, href, pctCell, table, tags } from '../view.js';

const hostsQuery = z.object({
  q: z.string().max(253).default(''),
  tag: z.string().max(330).default(''),
  sort: z.enum(['name', 'last_seen']).default('name'),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});

/** `key=value` to a tag filter; undefined when empty; a message when malformed. */
export function parseTagFilter(text: string): { key: string; value: string } | undefined | string {
  const t = text.trim();
  if (t === '') return undefined;
  const eq = t.indexOf('=');
  if (eq <= 0) return 'a tag filter is key=value';
  const key = t.slice(0, eq);
  if (!TAG_KEY_RE.test(key)) return `"${key}" is not a tag key`;
  return { key, value: t.slice(eq + 1) };
}

/** GET /ui/hosts. */
export const hostsPage: ConsolePage = {
  name: '/ui/hosts', path: /^\/ui\/hosts$/, nav: 'hosts',
  async render({ deps, query, now }) {
    const parsed = hostsQuery.safeParse({ ...query });
    const q = parsed.success ? parsed.data : hostsQuery.parse({});
    const tag = parseTagFilter(q.tag);
    const problem = !parsed.success ? 'invalid search; showing every host' : typeof tag === 'string' ? tag : undefined;
    const { total, rows } = await deps.data.hosts({ name: q.q.trim(), ...(typeof tag === 'object' ? { tag } : {}), sort: q.sort, offset: (q.page - 1) * PAGE_SIZE });
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const link = (over: Record<string, string | number>) => href('/ui/hosts', { q: q.q, tag: q.tag, sort: q.sort === 'name' ? undefined : q.sort, ...over });
    const sortLink = (key: 'name' | 'last_seen', label: string) => (q.sort === key ? `${e(label)} ▾` : `<a href="${link({ sort: key, page: 1 })}">${e(label)}</a>`);
    const form = `<form class="search" method="get" action="/ui/hosts" role="search">
<label for="q">Name contains<input id="q" name="q" value="${e(q.q)}" maxlength="253"></label>
<label for="tag">Tag (key=value)<input id="tag" name="tag" value="${e(q.tag)}" maxlength="330" placeholder="role=mysql"></label>
<input type="hidden" name="sort" value="${e(q.sort)}"><button type="submit">Search</button></form>`;
    const head = `<p>${e(plural(total, 'host', { shown: count(total) }))}${q.q || q.tag ? ' match' : ''}. Sort: ${sortLink('name', 'name')} · ${sortLink('last_seen', 'last report')}</p>`;
    const body = table('Hosts', ['Host', 'Last report', 'Worst volume', 'Checks', 'Tags'], rows.map((h) =>
      `<tr><td><a href="${hostHref(h.name)}">${e(h.name)}</a></td><td>${ago(h.lastSeen, now)}</td>${pctCell(h.worstUsePct)}<td class="num${h.failingChecks > 0 ? ' crit' : ''}">${h.totalChecks === 0 ? '–' : `${e(h.failingChecks)} failing of ${e(h.totalChecks)}`}</td><td>${tags(h.tags)}${tags(h.reportedTags)}</td></tr>`), 'No host matches.', [2, 3]);
    const pager = pages > 1 ? `<nav class="pager" aria-label="Pages">${q.page > 1 ? `<a href="${link({ page: q.page - 1 })}" rel="prev">Previous</a>` : ''}<span>Page ${e(q.page)} of ${e(pages)}</span>${q.page < pages ? `<a href="${link({ page: q.page + 1 })}" rel="next">Next</a>` : ''}</nav>` : '';
    return { title: 'Hosts', body: `${problem ? `<p class="error" role="alert">${e(problem)}</p>` : ''}${form}${head}${body}${pager}` };
  },
};
