/**
 * Daily performance: the performance report of one UTC day (default yesterday), hosts ranked by
 * pressure, then disks and filesystems, each list 100 rows (the report holds every host; the page
 * shows the worst).
 */
import { z } from 'zod';
import { dayProblem, isAcceptedDay } from '../../../core/contracts/day.js';
import { count, humanBytes } from '../../reports/format.js';
import { PAGE_SIZE } from '../console-data.js';
import type { ConsolePage } from '../page.js';
import { e, hostHref, pctCell, table } from '../view.js';

const perfQuery = z.object({ day: z.string().max(10).optional() });

/** GET /ui/performance?day=YYYY-MM-DD. */
export const performancePage: ConsolePage = {
  name: '/ui/performance', path: /^\/ui\/performance$/, nav: 'performance',
  async render({ deps, query, now }) {
    const parsed = perfQuery.safeParse({ ...query });
    const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
    const asked = parsed.success ? parsed.data.day : undefined;
    const problem = asked !== undefined && !isAcceptedDay(asked) ? dayProblem('day', asked) : undefined;
    const day = asked !== undefined && problem === undefined ? asked : yesterday;
    const r = await deps.performance(day);
    const f = r.fleet;
    const form = `<form class="search" method="get" action="/ui/performance"><label for="day">Day (UTC)<input id="day" name="day" type="date" value="${e(day)}"></label><button type="submit">Show</button></form>`;
    const parts = [problem ? `<p class="error" role="alert">${e(problem)}</p>` : '', form, `<p>${e(r.summary)}</p>`];
    if (r.noSamples) parts.push(`<p class="empty">No host sent anything on ${e(day)}.${r.nextDayWithSamples ? ` First day with samples: <a href="/ui/performance?day=${e(r.nextDayWithSamples)}">${e(r.nextDayWithSamples)}</a>.` : ''}</p>`);
    parts.push(`<ul class="cards" aria-label="Fleet figures"><li><span class="n">${e(count(f.reporting))}</span>reporting</li><li><span class="n${f.silent > 0 ? ' crit' : ''}">${e(count(f.silent))}</span>silent</li><li><span class="n${f.hot > 0 ? ' warn' : ''}">${e(count(f.hot))}</span>under pressure</li><li><span class="n">${e(f.cpuBusy.p95.toFixed(0))} %</span>CPU busy p95</li></ul>`);
    parts.push(`<h2>Hosts by pressure <span class="muted">(${e(count(r.hosts.length))})</span></h2>`);
    parts.push(table('Hosts ranked by pressure', ['Host', 'CPU busy p95', 'iowait p95', 'steal p95', 'Load p95', 'Memory p95', 'Why'], r.hosts.slice(0, PAGE_SIZE).map((h) =>
      `<tr><td><a href="${hostHref(h.host)}">${e(h.host)}</a></td>${pctCell(h.busyP95)}${pctCell(h.iowait.p95, 10, 20)}${pctCell(h.steal.p95, 5, 10)}<td class="num">${e(h.load1.p95.toFixed(2))}</td>${pctCell(h.memUsedPct.p95)}<td>${e(h.reasons.join('; '))}</td></tr>`), 'No host figures that day.', [1, 2, 3, 4, 5]));
    parts.push(`<h2>Disks <span class="muted">(${e(count(r.disks.length))})</span></h2>`);
    parts.push(table('Disks ranked by %util p95', ['Host', 'Device', 'util p95', 'await p95', 'Throughput avg'], r.disks.slice(0, PAGE_SIZE).map((d) =>
      `<tr><td><a href="${hostHref(d.host)}">${e(d.host)}</a></td><td>${e(d.device)}</td>${pctCell(d.utilPct.p95)}<td class="num">${e(d.awaitMs.p95.toFixed(1))} ms</td><td class="num">${e(humanBytes(d.throughputAvg))}/s</td></tr>`), 'No disk figures that day.', [2, 3, 4]));
    if (r.silentHosts.length > 0) parts.push(`<h2>Silent that day <span class="muted">(${e(count(r.silentHosts.length))})</span></h2><p>${r.silentHosts.slice(0, PAGE_SIZE).map((h) => `<a href="${hostHref(h)}">${e(h)}</a>`).join(', ')}</p>`);
    return { title: `Performance ${day}`, body: parts.join('\n') };
  },
};
