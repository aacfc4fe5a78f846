import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { OverviewResult } from '../store/log-store.js';
import { barChart, niceMax, shortCount } from './charts.js';
import { renderReportHtml } from './render-html.js';

const XSS = '<script>alert(1)</script>';
const OVERVIEW: OverviewResult = {
  requests: 1000,
  unique_visitors: 321,
  bytes: 5 * 1024 * 1024,
  first: '2026-12-07T00:00:01.000Z',
  last: '2026-12-07T23:59:59.000Z',
  status: [{ key: '200', hits: 900 }, { key: '404', hits: 80 }, { key: '503', hits: 20 }],
  top_urls: [{ key: '/', hits: 500 }, { key: `/${XSS}`, hits: 3 }, { key: '/a" onmouseover="x', hits: 1 }],
  not_found: [{ key: `/${XSS}`, hits: 3 }, { key: "/wp-login.php'><img src=x>", hits: 2 }],
  referrers: [{ key: `javascript:${XSS}`, hits: 4 }],
  agents: [{ key: `Mozilla\u001b[31m\u202eevil`, hits: 10 }],
  bots: [{ key: 'Googlebot/2.1 <b>', hits: 7 }],
  hourly: Array.from({ length: 24 }, (_, h) => (h === 3 ? 100 : 10)),
};
const META = { describe: 'in the last 24h', source: 'data/logs', generatedAt: Date.UTC(2026, 11, 8) };

test('every logged value is text: a URL <script>alert(1)</script> appears escaped, never as markup', () => {
  const html = renderReportHtml(OVERVIEW, META);
  assert.ok(!html.includes(XSS), 'the raw script tag is not in the page');
  assert.ok(!/<script/i.test(html));
  assert.ok(html.includes('/&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('javascript:&lt;script&gt;'));
  assert.ok(!html.includes('" onmouseover="'), 'attribute breakout escaped');
  assert.ok(!html.includes("'><img"), 'single-quote breakout escaped');
  assert.ok(html.includes('Googlebot/2.1 &lt;b&gt;') && !html.includes('Googlebot/2.1 <b>'), 'markup in an agent is text');
  assert.ok(!/[\u001b\u202e]/.test(html), 'terminal and bidi controls shown as escapes');
  assert.ok(html.includes('Mozilla\\x1b[31m\\u202eevil'));
});

test('self-contained and CSP-friendly: no script, no style attribute, nothing fetched; the CSP hash fits the style block', () => {
  const html = renderReportHtml(OVERVIEW, META);
  const tags = html.match(/<[a-z][^>]*>/gi)!;
  assert.ok(tags.length > 100);
  for (const tag of tags) {
    assert.ok(!/\sstyle=/i.test(tag), `no inline style attribute: ${tag}`);
    assert.ok(!/\s(src|href|xlink:href|action)=/i.test(tag), `nothing loaded or linked: ${tag}`);
    assert.ok(!/\son[a-z]+=/i.test(tag), `no event handler: ${tag}`);
  }
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!.replace(/&#39;/g, "'");
  assert.match(csp, /default-src 'none'/);
  assert.ok(csp.includes(`'sha256-${createHash('sha256').update(style).digest('base64')}'`), csp);
  assert.equal(html.match(/<style>/g)!.length, 1);
});

test('the overview is all there: cards, hourly and status charts with titles and axes, ranked tables with shares', () => {
  const html = renderReportHtml(OVERVIEW, META);
  for (const text of ['1,000', '321', '5.0 MiB', 'Requests by hour of the day', 'hour of the day (UTC)', 'Requests by status code', 'HTTP status code', 'Top requested URLs', 'Not found (404) URLs', 'Referrers', 'User agents', 'Bots and crawlers', '50.0 %', '2026-12-07 00:00:01 UTC to 2026-12-07 23:59:59 UTC']) {
    assert.ok(html.includes(text), text);
  }
  const hourly = /<svg class="chart"[^>]*aria-label="Requests by hour of the day"[\s\S]*?<\/svg>/.exec(html)![0];
  assert.equal(hourly.match(/<rect /g)!.length, 24);
  assert.ok(hourly.includes('<title>03:00-03:59 UTC: 100 requests</title>'));
  assert.match(html, /class="bar c4"><title>status 404: 80 requests<\/title>/);
  assert.match(html, /class="bar c5"><title>status 503: 20 requests<\/title>/);
});

test('an empty range says so instead of drawing blank charts', () => {
  const empty: OverviewResult = { requests: 0, unique_visitors: 0, bytes: 0, first: null, last: null, status: [], top_urls: [], not_found: [], referrers: [], agents: [], bots: [], hourly: new Array(24).fill(0) };
  const html = renderReportHtml(empty, META);
  assert.ok(html.includes('No requests were logged in the last 24h.'));
  assert.equal(html.match(/no data in this range/g)!.length, 2);
  assert.ok(html.includes('No 404 answers.'));
});

test('chart helpers: round axis tops, short counts, every label escaped', () => {
  assert.deepEqual([0, 1, 7, 10, 11, 180, 240, 999, 1001].map(niceMax), [1, 1, 10, 10, 20, 200, 250, 1000, 2000]);
  assert.deepEqual([0, 12, 1500, 2_500_000, 3e9].map(shortCount), ['0', '12', '1.5k', '2.5M', '3G']);
  const svg = barChart({ title: 'a<b', desc: 'd', yAxis: 'y', xAxis: 'x', bars: [{ label: '<i>', value: 1, tip: '"t"', cls: 'c2' }] });
  assert.ok(svg.includes('a&lt;b') && svg.includes('&lt;i&gt;') && svg.includes('&quot;t&quot;'));
});
