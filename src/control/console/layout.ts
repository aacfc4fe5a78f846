/**
 * The console's page shell: header with the nav, who is logged in and the logout button, then the
 * page. No inline script or style (the CSP forbids them): htmx is configured by a meta tag, the CSRF
 * token reaches htmx requests through `hx-headers` on <body>.
 */
import type { ConsoleAssets } from './assets.js';
import type { ConsoleSession } from './page.js';
import { e } from './view.js';

/** One nav entry. Entries whose page is not built yet lead to a "not available yet" page. */
export interface NavItem {
  readonly id: string;
  readonly label: string;
  readonly href: string;
}

/** The nav, in order. */
export const NAV: readonly NavItem[] = [
  { id: 'overview', label: 'Overview', href: '/ui/' },
  { id: 'hosts', label: 'Hosts', href: '/ui/hosts' },
  { id: 'capacity', label: 'Capacity', href: '/ui/capacity' },
  { id: 'performance', label: 'Performance', href: '/ui/performance' },
  { id: 'rollouts', label: 'Rollouts', href: '/ui/rollouts' },
  { id: 'runs', label: 'Runs', href: '/ui/runs' },
  { id: 'slo', label: 'SLO', href: '/ui/slo' },
  { id: 'logs', label: 'Logs', href: '/ui/logs' },
  { id: 'audit', label: 'Audit', href: '/ui/audit' },
];

// htmx 2 would inject an inline <style> for its indicators and may eval hx-on attributes: both
// are refused by the CSP, so they are turned off rather than left to fail in the console.
// allowScriptTags stays on: when off, htmx deletes every <script> of a swapped fragment, including
// the `application/json` data blocks of charts loaded on demand (seen in the browser test: the
// chart never drew). htmx only re-runs JavaScript-typed scripts, and the CSP refuses inline ones.
const HTMX_CONFIG = JSON.stringify({ includeIndicatorStyles: false, allowEval: false, allowScriptTags: true, selfRequestsOnly: true, historyCacheSize: 0 });

// The empty data: icon (img-src allows data:) keeps browsers from asking /favicon.ico, which is
// outside the console's mount: the operator API answered 401, an error in every page's console.
function head(title: string, assets: ConsoleAssets): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} · Vigía</title>
<link rel="icon" href="data:,">
<meta name="htmx-config" content="${e(HTMX_CONFIG)}">
<link rel="stylesheet" href="${e(assets.url('uPlot.min.css'))}"><link rel="stylesheet" href="${e(assets.url('console.css'))}">
<script src="${e(assets.url('htmx.min.js'))}" defer></script><script src="${e(assets.url('uPlot.iife.min.js'))}" defer></script><script src="${e(assets.url('console.js'))}" defer></script>
</head>`;
}

/** A whole page for a logged-in session, `active` being the nav entry to highlight. */
export function layout(opts: { title: string; body: string; session: ConsoleSession; active: string; assets: ConsoleAssets }): string {
  const { session } = opts;
  const nav = NAV.map((n) => `<li><a href="${e(n.href)}"${n.id === opts.active ? ' aria-current="page"' : ''}>${e(n.label)}</a></li>`).join('');
  const hx = JSON.stringify({ 'X-CSRF-Token': session.csrf });
  return `${head(opts.title, opts.assets)}
<body hx-headers="${e(hx)}">
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/ui/">Vigía</a>
<nav class="main" aria-label="Main"><ul>${nav}</ul></nav>
<div class="who"><span>Signed in as <strong>${e(session.name)}</strong> <span class="muted">(${e(session.scopes.join(', '))})</span></span>
<form method="post" action="/ui/logout"><input type="hidden" name="_csrf" value="${e(session.csrf)}"><button type="submit">Log out</button></form></div>
</header>
<main id="main" tabindex="-1"><h1>${e(opts.title)}</h1>
${opts.body}
</main></body></html>`;
}

/** A page without a session (login, errors before login): no nav. */
export function bare(opts: { title: string; body: string; assets: ConsoleAssets; refreshTo?: string }): string {
  const refresh = opts.refreshTo ? `<meta http-equiv="refresh" content="0;url=${e(opts.refreshTo)}">` : '';
  return `${head(opts.title, opts.assets).replace('</head>', `${refresh}</head>`)}
<body><main id="main" class="login"><h1>${e(opts.title)}</h1>
${opts.body}
</main></body></html>`;
}
