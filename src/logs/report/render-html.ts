/**
 * `vigia logs report --format html`: the GoAccess-style overview as one self-contained page (requests,
 * unique visitors, bytes, hourly distribution and status codes as charts, top URLs, 404s, referrers, user
 * agents, bots as tables with bars). No script and no external request: the page carries its own
 * Content-Security-Policy (`default-src 'none'`, the one style block allowed by its hash), so even a
 * logged value that escaped escaping could not run. Every logged value goes through core/html. Pure.
 */
import { plural } from '../../core/plural.js';
import { createHash } from 'node:crypto';
import { escapeHtml } from '../../core/html.js';
import type { OverviewResult } from '../store/log-store.js';
import { barChart, inlineBar, type Bar } from './charts.js';

/** What the page says about where its numbers come from. */
export interface ReportMeta {
  /** The range in words (`in the last 24h`). */
  readonly describe: string;
  /** The store or collector asked (`data/logs`). */
  readonly source: string;
  /** When the page was made, ms. */
  readonly generatedAt: number;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:2em;border-top:1px solid #ccc;padding-top:.6em;font-size:1.15em}
.cards{display:flex;flex-wrap:wrap;gap:1em;margin:1em 0}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:9em}
.card b{display:block;font-size:1.4em}.muted{color:#666;fill:#666}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.2em .5em;border-bottom:1px solid #eee;vertical-align:middle}td.r,th.r{text-align:right}
td.k{word-break:break-all;max-width:36em}.chart{max-width:100%;height:auto;display:block;margin:1em 0}
.grid{stroke:#e5e5e5}.axis-line{stroke:#888}.title{font-weight:600}.bar{fill:#5b8fd6}.bar.c2{fill:#66bb6a}
.bar.c3{fill:#5b8fd6}.bar.c4{fill:#ffa726}.bar.c5{fill:#e57373}.hbar rect{fill:#5b8fd6}`;

/** The page's Content-Security-Policy: nothing may load or run; only the page's own style block applies. */
export const REPORT_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src 'none'; base-uri 'none'; form-action 'none'`;

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Bytes as a short binary size (`1.2 GiB`). */
export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

const pctOf = (n: number, total: number): string => (total > 0 ? `${((n / total) * 100).toFixed(1)} %` : '-');

/** `2xx` colour class of a status code text. */
function statusClass(key: string): string {
  const n = Number(key);
  return n >= 200 && n < 600 ? `c${Math.floor(n / 100)}` : '';
}

function rankTable(caption: string, keyHeader: string, rows: readonly { key: string; hits: number }[], total: number, empty: string): string {
  if (rows.length === 0) return `<h2>${escapeHtml(caption)}</h2>\n<p class="muted">${escapeHtml(empty)}</p>`;
  const max = Math.max(...rows.map((r) => r.hits));
  const body = rows
    .map((r) => `<tr><td class="k">${escapeHtml(r.key === '' ? '(empty)' : r.key)}</td><td class="r">${count(r.hits)}</td><td class="r">${pctOf(r.hits, total)}</td><td>${inlineBar(r.hits, max)}</td></tr>`)
    .join('\n');
  return `<h2>${escapeHtml(caption)}</h2>\n<table><thead><tr><th>${escapeHtml(keyHeader)}</th><th class="r">hits</th><th class="r">share of requests</th><th></th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** The hourly distribution chart: 24 bars, hour of the day in UTC. */
export function hourlyChart(o: OverviewResult): string {
  const bars: Bar[] = o.hourly.map((hits, h) => ({ label: String(h).padStart(2, '0'), value: hits, tip: `${String(h).padStart(2, '0')}:00-${String(h).padStart(2, '0')}:59 UTC: ${plural(hits, 'request', { shown: count(hits) })}` }));
  return barChart({ title: 'Requests by hour of the day', desc: 'Requests logged in each hour of the day (UTC), summed over the whole range.', yAxis: 'requests', xAxis: 'hour of the day (UTC)', bars });
}

/** Requests per status code, coloured by class (2xx green, 3xx blue, 4xx orange, 5xx red). */
export function statusChart(o: OverviewResult): string {
  const bars: Bar[] = [...o.status].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((s) => ({ label: s.key === '0' ? '-' : s.key, value: s.hits, tip: `status ${s.key === '0' ? '- (none logged)' : s.key}: ${plural(s.hits, 'request', { shown: count(s.hits) })}`, cls: statusClass(s.key) }));
  return barChart({ title: 'Requests by status code', desc: 'Requests per HTTP status code over the range; 2xx green, 3xx blue, 4xx orange, 5xx red.', yAxis: 'requests', xAxis: 'HTTP status code', bars, every: bars.length > 30 ? Math.ceil(bars.length / 30) : 1 });
}

/** The whole page. */
export function renderReportHtml(o: OverviewResult, meta: ReportMeta): string {
  // Every 404, from the status list (not_found holds only the top URLs of them).
  const notFound = o.status.find((s) => s.key === '404')?.hits ?? o.not_found.reduce((n, r) => n + r.hits, 0);
  const bots = o.bots.reduce((n, r) => n + r.hits, 0);
  const span = o.first === null || o.last === null ? 'no requests' : `${o.first.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} to ${o.last.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`;
  const card = (label: string, value: string, note = ''): string => `<div class="card"><span class="muted">${escapeHtml(label)}</span><b>${escapeHtml(value)}</b>${note ? `<span class="muted">${escapeHtml(note)}</span>` : ''}</div>`;
  const title = `Access log report ${meta.describe}`;
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="muted">${escapeHtml(`${meta.source}: requests logged ${span}`)}</p>`,
    `<div class="cards">${[
      card('requests', count(o.requests)),
      card('unique visitors', count(o.unique_visitors), 'client + day + agent'),
      card('bytes sent', humanBytes(o.bytes)),
      card('not found (404)', count(notFound), `${pctOf(notFound, o.requests)} of requests`),
      card('bot requests', count(bots), `${pctOf(bots, o.requests)}, from the ${o.bots.length} busiest crawler agents`),
    ].join('')}</div>`,
    o.requests === 0 ? `<p>No requests were logged ${escapeHtml(meta.describe)}.</p>` : '',
    hourlyChart(o),
    statusChart(o),
    rankTable('Top requested URLs', 'URL', o.top_urls, o.requests, 'No requests.'),
    rankTable('Not found (404) URLs', 'URL', o.not_found, o.requests, 'No 404 answers.'),
    rankTable('Status codes', 'status', o.status.map((s) => ({ key: s.key === '0' ? '- (none logged)' : s.key, hits: s.hits })), o.requests, 'No requests.'),
    rankTable('Referrers', 'referrer', o.referrers, o.requests, 'No request named a referrer.'),
    rankTable('User agents', 'user agent', o.agents, o.requests, 'No request named a user agent.'),
    rankTable('Bots and crawlers', 'user agent', o.bots, o.requests, 'No request came from a known crawler.'),
  ].filter(Boolean);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${escapeHtml(REPORT_CSP)}"><meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
${body.join('\n')}
<p><small class="muted">Generated by vigia logs report on ${escapeHtml(new Date(meta.generatedAt).toISOString())}. Times are UTC.</small></p>
</body></html>
`;
}
