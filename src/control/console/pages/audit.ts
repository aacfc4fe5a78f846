/** The audit log, newest first, 100 lines a page (keyset paging on the row id: cheap at any depth). */
import { z } from 'zod';
import type { ConsolePage } from '../page.js';
import { PAGE_SIZE } from '../console-data.js';
import { e, href, table } from '../view.js';

const auditQuery = z.object({ before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional() });

/** GET /ui/audit. */
export const auditPage: ConsolePage = {
  name: '/ui/audit', path: /^\/ui\/audit$/, nav: 'audit',
  async render({ deps, query }) {
    const parsed = auditQuery.safeParse({ ...query });
    const before = parsed.success ? parsed.data.before : undefined;
    const lines = await deps.data.audit(before);
    const body = table('Audit log, newest first', ['When (UTC)', 'Who', 'What', 'Details'], lines.map((l) =>
      `<tr><td><time datetime="${e(l.at.toISOString())}">${e(l.at.toISOString().replace('T', ' ').slice(0, 19))}</time></td><td>${e(l.actor)}</td><td>${e(l.action)}</td><td><pre class="out">${e(JSON.stringify(l.detail))}</pre></td></tr>`), 'Nothing audited yet.');
    const next = lines.length === PAGE_SIZE ? `<nav class="pager" aria-label="Pages">${before ? '<a href="/ui/audit">Newest</a>' : ''}<a href="${href('/ui/audit', { before: lines.at(-1)!.id })}" rel="next">Older</a></nav>` : before ? '<nav class="pager"><a href="/ui/audit">Newest</a></nav>' : '';
    return { title: 'Audit log', body: body + next };
  },
};
