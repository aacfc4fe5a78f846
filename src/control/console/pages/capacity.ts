/**
 * Capacity, worst first (the capacity report's order: critical, warning, unknown, ok; soonest full
 * first), 100 volumes a page, each with its growth and days until full; a volume's chart (used
 * bytes per day and its size, downsampled on the server) loads on demand with htmx, or as a page
 * of its own without JavaScript.
 */
import { plural } from '../../../core/plural.js';
import { z } from 'zod';
import { count, days, humanBytes } from '../../reports/format.js';
import { PAGE_SIZE } from '../console-data.js';
import { downsampleMinMax } from '../downsample.js';
import type { ConsolePage } from '../page.js';
import { bytes, chart, e, hostHref, href, pctCell, table } from '../view.js';

/** Most points of a volume's chart. */
const MAX_CHART_POINTS = 1000;
/** History a chart shows. */
const CHART_DAYS = 90;
const pageQuery = z.object({ page: z.coerce.number().int().min(1).max(100_000).default(1) });
const chartQuery = z.object({ host: z.string().min(1).max(253), mount: z.string().min(1).max(4096) });
const STATUS_CLASS: Record<string, string> = { critical: 'crit', warning: 'warn', unknown: 'muted', ok: 'ok' };

/** GET /ui/capacity. */
export const capacityPage: ConsolePage = {
  name: '/ui/capacity', path: /^\/ui\/capacity$/, nav: 'capacity',
  async render({ deps, query }) {
    const q = pageQuery.safeParse({ ...query });
    const page = q.success ? q.data.page : 1;
    const report = await deps.capacity();
    const rows = report.rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    const pages = Math.max(1, Math.ceil(report.rows.length / PAGE_SIZE));
    const body = table('Volumes, worst first', ['Status', 'Host', 'Mount', 'Role', 'Use', 'Peak', 'Growth a day', 'Full in', 'Free', 'Chart'], rows.map((r, i) => {
      const id = `chart-${(page - 1) * PAGE_SIZE + i}`;
      const url = href('/ui/capacity/chart', { host: r.host, mount: r.mountpoint });
      return `<tr><td class="${STATUS_CLASS[r.status] ?? ''}">${e(r.status)}</td><td><a href="${hostHref(r.host)}">${e(r.host)}</a>${r.stale ? ' <span class="warn">silent</span>' : ''}</td><td>${e(r.mountpoint)}</td><td>${e(r.role)}</td>${pctCell(r.usePct)}${pctCell(r.peakUsePct)}<td class="num">${r.growthBytesPerDay === null ? '–' : e(humanBytes(r.growthBytesPerDay))}</td><td class="num">${e(days(r.daysUntilFull))}</td><td class="num">${bytes(r.availBytes)}</td><td><a href="${url}" hx-get="${url}" hx-target="#${id}" hx-swap="innerHTML">Chart</a></td></tr><tr class="chart-row"><td colspan="10" id="${id}"></td></tr>`;
    }), report.waitingForFirstReport > 0 ? `No volume yet: waiting for the first report of ${plural(report.waitingForFirstReport, 'host', { shown: count(report.waitingForFirstReport) })}.` : 'No volume reported.', [4, 5, 6, 7, 8]);
    const pager = pages > 1 ? `<nav class="pager" aria-label="Pages">${page > 1 ? `<a href="${href('/ui/capacity', { page: page - 1 })}" rel="prev">Previous</a>` : ''}<span>Page ${e(page)} of ${e(pages)}</span>${page < pages ? `<a href="${href('/ui/capacity', { page: page + 1 })}" rel="next">Next</a>` : ''}</nav>` : '';
    return { title: 'Capacity', body: `<p>${e(report.summary)}</p>${body}${pager}` };
  },
};

/** GET /ui/capacity/chart?host=&mount=: one volume's chart (a fragment for htmx, else a page). */
export const capacityChartPage: ConsolePage = {
  name: '/ui/capacity/chart', path: /^\/ui\/capacity\/chart$/, nav: 'capacity',
  async render({ deps, query, now }) {
    const q = chartQuery.safeParse({ ...query });
    if (!q.success) return { title: 'Volume chart', status: 400, body: '<p class="error">A chart needs host and mount.</p>', fragment: '<p class="error">A chart needs host and mount.</p>' };
    const { host, mount } = q.data;
    const daysRows = await deps.data.volumeDays(host, mount, new Date(now.getTime() - CHART_DAYS * 86_400_000));
    const x: number[] = [];
    const used: number[] = [];
    const size: (number | null)[] = [];
    for (const d of daysRows) {
      for (const [at, v] of [[d.firstAt, d.firstUsed], [d.lastAt, d.lastUsed]] as const) {
        const t = Math.floor(at.getTime() / 1000);
        if (x.length > 0 && t <= x.at(-1)!) continue;
        x.push(t);
        used.push(v);
        size.push(d.sizeBytes);
      }
    }
    const a = downsampleMinMax({ x, y: used }, MAX_CHART_POINTS);
    const b = downsampleMinMax({ x, y: size }, MAX_CHART_POINTS);
    const title = `${host} ${mount}`;
    const fragment = x.length === 0
      ? `<p class="empty">No history for ${e(title)}.</p>`
      : chart(`c-${Buffer.from(title).toString('hex').slice(0, 40)}`, `Used bytes of ${title} over ${plural(CHART_DAYS, 'day')}`, {
        title, series: [{ label: 'used', unit: 'bytes' }, { label: 'size', unit: 'bytes', dash: true }], x: a.x, y: [a.y, b.x.length === a.x.length ? b.y : a.x.map(() => size[0] ?? null)],
      });
    return { title: `Volume ${title}`, body: `<p><a href="${hostHref(host)}">${e(host)}</a></p>${fragment}`, fragment };
  },
};
