/**
 * Logs: what the log collector (`vigia logs serve`) saw over a chosen range: "who visited this URL"
 * (clients of a path or a prefix), the top URLs, client addresses and statuses, and hits per minute
 * (filled and downsampled on the server). The collector is asked over its operator API (logs-client.ts,
 * bounded); without one connected the page says how to connect it, and a collector that is down or
 * refuses the token is a message on the page, never a 500. Every logged value (URLs, addresses) is
 * escaped: a logged `<script>` shows as text.
 */
import { VigiaError } from '../../../core/errors.js';
import type { StatusMix, TopResult } from '../../../core/contracts/logs-query.js';
import { count } from '../../reports/format.js';
import type { LogsSource } from '../logs-client.js';
import type { ConsolePage } from '../page.js';
import { chart, e, href, table } from '../view.js';
import { minuteSeries, parseLogsView, RANGE_PRESETS, utcMinute, type LogsView } from './logs-view.js';

/** Rows of each top list. */
const TOP_ROWS = 15;
/** Clients listed in the who box. */
const WHO_ROWS = 100;

/** A failure as one line for the page: the catalogued code and message, or a generic line (internals stay in the log). */
function problem(err: unknown): string {
  if (err instanceof VigiaError) return `${err.code}: ${err.message}`;
  return 'the collector could not be asked (an unexpected error; see the control plane\'s log)';
}

function notConnected(): string {
  return `<div class="notice"><p>No log collector is connected to this control plane.</p>
<p>Start it with <code>--logs-server URL --logs-token-file FILE</code>: the address of a running <code>vigia logs serve</code> and a file holding one of its operator tokens with the <code>read</code> scope (<code>vigia logs serve --tokens</code>; see docs/logs.md). <code>vigia up</code> connects the collector it starts.</p></div>`;
}

function form(v: LogsView): string {
  const opts = [...RANGE_PRESETS.map(([n]) => n), 'custom'].map((n) => `<option value="${e(n)}"${n === v.range ? ' selected' : ''}>${e(n === 'custom' ? 'custom (from/to)' : `last ${n}`)}</option>`).join('');
  return `<form class="search" method="get" action="/ui/logs" role="search">
<label>URL (who visited it)<input type="search" name="url" value="${e(v.url ?? '')}" maxlength="8192" placeholder="/checkout" size="32"></label>
<label><span>Prefix</span><span><input type="checkbox" name="prefix" value="1"${v.prefix ? ' checked' : ''}> every path starting with it</span></label>
<label>Range<select name="range">${opts}</select></label>
<label>From (UTC)<input type="datetime-local" name="from" value="${e(utcMinute(v.from))}"></label>
<label>To (UTC)<input type="datetime-local" name="to" value="${e(utcMinute(v.to))}"></label>
<button type="submit">Show</button></form>`;
}

function mix(s: StatusMix): string {
  return `<td class="num">${e(count(s['2xx']))}</td><td class="num">${e(count(s['3xx']))}</td><td class="num${s['4xx'] > 0 ? ' warn' : ''}">${e(count(s['4xx']))}</td><td class="num${s['5xx'] > 0 ? ' crit' : ''}">${e(count(s['5xx']))}</td>`;
}

function topTable(title: string, r: PromiseSettledResult<TopResult>, v: LogsView, link: boolean): string {
  if (r.status === 'rejected') return `<section><h2>${e(title)}</h2><p class="error">${e(problem(r.reason))}</p></section>`;
  const rows = r.value.rows.map((row) => {
    const key = link ? `<a href="${href('/ui/logs', { url: row.key, range: v.range, ...(v.range === 'custom' ? { from: utcMinute(v.from), to: utcMinute(v.to) } : {}) })}">${e(row.key)}</a>` : e(row.key);
    return `<tr><td class="key">${key}</td><td class="num">${e(count(row.hits))}</td></tr>`;
  });
  return `<section><h2>${e(title)}</h2>${table(title, [title.replace(/^Top /, ''), 'Hits'], rows, 'No hits in this range.', [1])}</section>`;
}

async function settle<T>(p: () => Promise<T>): Promise<PromiseSettledResult<T>> {
  try {
    return { status: 'fulfilled', value: await p() };
  } catch (reason) {
    return { status: 'rejected', reason };
  }
}

async function render(logs: LogsSource, v: LogsView): Promise<{ body: string; fragment: string }> {
  const range = { from: v.from, to: v.to };
  const [stats, urls, ips, status, series, who, whoSeries] = await Promise.all([
    settle(() => logs.stats()),
    settle(() => logs.top({ by: 'urls', limit: TOP_ROWS, ...range })),
    settle(() => logs.top({ by: 'ips', limit: TOP_ROWS, ...range })),
    settle(() => logs.top({ by: 'status', limit: TOP_ROWS, ...range })),
    settle(() => logs.series(range)),
    v.url === null ? null : settle(() => logs.who({ url: v.url!, prefix: v.prefix, limit: WHO_ROWS, ...range })),
    v.url === null ? null : settle(() => logs.series({ url: v.url!, prefix: v.prefix, ...range })),
  ]);
  // The collector down (or refusing the token) fails every question alike: say it once.
  if (stats.status === 'rejected' && urls.status === 'rejected' && series.status === 'rejected') {
    const msg = `<p class="error" role="alert">The log collector at ${e(logs.url)} could not be asked: ${e(problem(stats.reason))}</p>`;
    return { body: msg, fragment: msg };
  }
  const parts: string[] = [];
  if (stats.status === 'fulfilled') {
    const s = stats.value;
    parts.push(`<p>The collector holds ${e(count(s.lines))} lines${s.oldest && s.newest ? `, from <time datetime="${e(s.oldest)}">${e(s.oldest.slice(0, 16).replace('T', ' '))}</time> to <time datetime="${e(s.newest)}">${e(s.newest.slice(0, 16).replace('T', ' '))}</time> UTC` : ''}. Showing ${e(utcMinute(v.from).replace('T', ' '))} to ${e(utcMinute(v.to).replace('T', ' '))} UTC.</p>`);
  }
  if (who && whoSeries) {
    const title = `Who visited ${v.url}${v.prefix ? '*' : ''}`;
    let inner: string;
    if (who.status === 'rejected') inner = `<p class="error">${e(problem(who.reason))}</p>`;
    else {
      const rows = who.value.clients.map((c) => `<tr><td class="key">${e(c.ip)}</td><td class="num">${e(count(c.hits))}</td><td><time datetime="${e(c.first_seen)}">${e(c.first_seen.slice(0, 19).replace('T', ' '))}</time></td><td><time datetime="${e(c.last_seen)}">${e(c.last_seen.slice(0, 19).replace('T', ' '))}</time></td>${mix(c.status)}</tr>`);
      inner = `<p>${e(count(who.value.clients.length))} client${who.value.clients.length === 1 ? '' : 's'}${who.value.clients.length === WHO_ROWS ? ` (the ${WHO_ROWS} busiest)` : ''}.</p>${table(title, ['Client', 'Hits', 'First seen (UTC)', 'Last seen (UTC)', '2xx', '3xx', '4xx', '5xx'], rows, 'Nobody visited it in this range.', [1, 4, 5, 6, 7])}`;
      if (whoSeries.status === 'fulfilled' && whoSeries.value.points.length > 0) {
        const d = minuteSeries(whoSeries.value, v.from, v.to);
        inner += chart('logs-who-minute', `Hits per minute on ${v.url}`, { title: `Hits per minute on ${v.url}${v.prefix ? '*' : ''}`, series: [{ label: 'hits', unit: '' }], x: d.x, y: [d.y] });
      }
    }
    parts.push(`<section class="who-box"><h2>${e(title)}</h2>${inner}</section>`);
  }
  if (series.status === 'rejected') parts.push(`<section><h2>Hits per minute</h2><p class="error">${e(problem(series.reason))}</p></section>`);
  else if (series.value.points.length === 0) parts.push('<section><h2>Hits per minute</h2><p class="empty">No hits in this range.</p></section>');
  else {
    const d = minuteSeries(series.value, v.from, v.to);
    parts.push(`<section><h2>Hits per minute</h2>${chart('logs-minute', 'Hits per minute, every URL', { title: 'Hits per minute, every URL', series: [{ label: 'hits', unit: '' }], x: d.x, y: [d.y] })}</section>`);
  }
  parts.push(`<div class="columns">${topTable('Top URLs', urls, v, true)}${topTable('Top clients', ips, v, false)}${topTable('Top statuses', status, v, false)}</div>`);
  const html = parts.join('\n');
  return { body: html, fragment: html };
}

/** GET /ui/logs?url=&prefix=1&range=24h|custom&from=&to=. */
export const logsPage: ConsolePage = {
  name: '/ui/logs', path: /^\/ui\/logs$/, nav: 'logs',
  async render({ deps, query, now }) {
    const v = parseLogsView(query, now.getTime());
    const notes = v.notes.map((n) => `<p class="warn">${e(n)}</p>`).join('');
    if (!deps.logs) return { title: 'Logs', body: notConnected() };
    const { body, fragment } = await render(deps.logs, v);
    return { title: 'Logs', body: `${form(v)}${notes}<div id="logs-result">${body}</div>`, fragment };
  },
};
