/**
 * Fleet overview, problems first: critical volumes (use % and days until full, from the capacity
 * report), silent hosts, failing checks, a rollout in progress, then counts. One capacity report
 * (cached by the report service) and three small queries.
 */
import { plural } from '../../../core/plural.js';
import { count, days } from '../../reports/format.js';
import type { ConsolePage } from '../page.js';
import { ago, bytes, e, hostHref, pctCell, table } from '../view.js';

/** Most rows of each problem list on the overview (the full lists are on their pages). */
const TOP = 20;
const ACTIVE_ROLLOUT = new Set(['running', 'paused', 'rolling_back']);

/** GET /ui/: the fleet overview. */
export const overviewPage: ConsolePage = {
  name: '/ui/', path: /^\/ui\/$/, nav: 'overview',
  async render({ deps, now }) {
    const [report, failing, rollout] = await Promise.all([deps.capacity(), deps.data.failingChecks(TOP), deps.data.latestRollout()]);
    const t = report.totals;
    const critical = report.rows.filter((r) => r.status === 'critical');
    const cards = [
      ['Hosts', t.hosts, ''],
      ['Critical', t.critical, t.critical > 0 ? 'crit' : ''],
      ['Warning', t.warning, t.warning > 0 ? 'warn' : ''],
      ['Silent', t.stale, t.stale > 0 ? 'crit' : ''],
      ['Failing checks', failing.total, failing.total > 0 ? 'warn' : ''],
    ] as const;
    const parts: string[] = [];
    parts.push(`<ul class="cards" aria-label="Fleet counts">${cards.map(([label, n, cls]) => `<li><span class="n${cls ? ` ${cls}` : ''}">${e(count(n))}</span>${e(label)}</li>`).join('')}</ul>`);
    if (rollout && ACTIVE_ROLLOUT.has(rollout.state)) {
      parts.push(`<h2>Rollout in progress</h2><p>Release <strong>${e(rollout.release)}</strong>: <strong class="${rollout.state === 'running' ? 'ok' : 'warn'}">${e(rollout.state.replace('_', ' '))}</strong>, wave ${e(Math.min(rollout.currentWave + 1, rollout.waves))} of ${e(rollout.waves)}${rollout.reason ? ` <span class="muted">(${e(rollout.reason)})</span>` : ''}. <a href="/ui/rollouts">Rollouts</a></p>`);
    }
    parts.push(`<h2>Critical volumes <span class="muted">(${e(count(critical.length))})</span></h2>`);
    parts.push(table('Critical volumes, soonest full first', ['Host', 'Mount', 'Use', 'Full in', 'Free', 'Why'], critical.slice(0, TOP).map((r) =>
      `<tr><td><a href="${hostHref(r.host)}">${e(r.host)}</a></td><td>${e(r.mountpoint)}</td>${pctCell(r.usePct)}<td class="num">${e(days(r.daysUntilFull))}</td><td class="num">${bytes(r.availBytes)}</td><td>${e(r.reason)}</td></tr>`), 'No critical volume.', [2, 3, 4]));
    if (critical.length > TOP) parts.push(`<p><a href="/ui/capacity">All ${e(count(critical.length))} critical volumes</a></p>`);
    parts.push(`<h2>Silent hosts <span class="muted">(${e(count(report.stale.length))})</span></h2>`);
    parts.push(table('Hosts that stopped reporting, longest silence first', ['Host', 'Last report', 'Last error'], report.stale.slice(0, TOP).map((s) =>
      `<tr><td><a href="${hostHref(s.host)}">${e(s.host)}</a></td><td>${s.neverReported ? '<span class="muted">never reported</span>' : ago(s.lastSeen ? new Date(s.lastSeen) : null, now)}</td><td>${e(s.lastError ?? '')}</td></tr>`), 'Every host reports.'));
    parts.push(`<h2>Failing checks <span class="muted">(${e(plural(failing.total, 'host', { shown: count(failing.total) }))})</span></h2>`);
    parts.push(table('Hosts with failing checks', ['Host', 'Failing', 'Checks'], failing.hosts.map((f) =>
      `<tr><td><a href="${hostHref(f.host)}">${e(f.host)}</a></td><td class="num">${e(f.failing)} of ${e(f.total)}</td><td>${e(f.names.join(', '))}</td></tr>`), 'No failing check.', [1]));
    return { title: 'Fleet overview', body: parts.join('\n') };
  },
};
