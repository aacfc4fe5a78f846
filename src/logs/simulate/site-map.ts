/**
 * The simulated web site: a fixed list of URLs in popularity order (rank 0 is the most visited), mixing
 * pages, static assets and API paths with query strings, plus the paths that answer 404 (scanners, broken
 * links). Pure and deterministic: the same size and seed give the same site on every node, as a cluster
 * behind one load balancer serves one site.
 */
import { mulberry32 } from '../../core/random.js';

/** What a URL serves; it sets typical sizes, methods and status codes. */
export type UrlKind = 'page' | 'asset' | 'api';

/** One URL of the site. */
export interface SiteUrl {
  /** The path as requested, without a query string. */
  readonly path: string;
  readonly kind: UrlKind;
  /** Typical response size in bytes (the simulator varies it per request). */
  readonly bytes: number;
  /** Requests to it carry a query string (search, paging, API filters). */
  readonly query: boolean;
}

/** The site: URLs by rank, and the paths that do not exist. */
export interface SiteMap {
  readonly urls: readonly SiteUrl[];
  readonly missing: readonly string[];
  /** The virtual host name (vhost_combined's first field, referrers to the site itself). */
  readonly vhost: string;
}

const HEAD: readonly SiteUrl[] = [
  { path: '/', kind: 'page', bytes: 38_000, query: false },
  { path: '/static/css/app.3f9a1c.css', kind: 'asset', bytes: 61_000, query: false },
  { path: '/static/js/app.8d2e4b.js', kind: 'asset', bytes: 240_000, query: false },
  { path: '/favicon.ico', kind: 'asset', bytes: 4_286, query: false },
  { path: '/api/v1/session', kind: 'api', bytes: 310, query: false },
  { path: '/search', kind: 'page', bytes: 24_000, query: true },
  { path: '/products', kind: 'page', bytes: 52_000, query: true },
  { path: '/static/js/vendor.c01d7e.js', kind: 'asset', bytes: 410_000, query: false },
  { path: '/blog', kind: 'page', bytes: 31_000, query: false },
  { path: '/login', kind: 'page', bytes: 9_800, query: false },
  { path: '/api/v1/cart', kind: 'api', bytes: 1_200, query: false },
  { path: '/robots.txt', kind: 'asset', bytes: 180, query: false },
];

/** Paths that answer 404: what scanners probe and links that broke. */
const SCANNED: readonly string[] = [
  '/wp-login.php', '/.env', '/.git/config', '/xmlrpc.php', '/phpmyadmin/index.php', '/wp-admin/setup-config.php',
  '/admin/config.php', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', '/cgi-bin/luci', '/owa/auth/logon.aspx',
  '/apple-touch-icon.png', '/apple-touch-icon-precomposed.png', '/ads.txt', '/sitemap.xml.gz', '/old-site/index.html',
  '/%c0%ae%c0%ae/etc/passwd', '/index.php?s=/Index/\\think\\app/invokefunction',
];

const CATEGORIES = ['shoes', 'shirts', 'garden', 'kitchen', 'books', 'toys', 'audio', 'bikes', 'tools', 'lamps'];
const WORDS = ['how', 'we', 'scaled', 'nginx', 'logs', 'release', 'notes', 'winter', 'sale', 'guide', 'to', 'caching', 'our', 'new', 'store', 'faster', 'pages', 'tips', 'field', 'report'];

/** Build a site of `size` URLs (at least the 12 fixed head URLs); throws RangeError outside 12..1,000,000. */
export function buildSiteMap(size: number, seed: number): SiteMap {
  if (!Number.isInteger(size) || size < HEAD.length || size > 1_000_000) throw new RangeError(`site size must be an integer from ${HEAD.length} to 1000000, got ${size}`);
  const rand = mulberry32(seed ^ 0x5173);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const urls: SiteUrl[] = [...HEAD];
  const seen = new Set(urls.map((u) => u.path));
  let n = 0;
  while (urls.length < size) {
    n++;
    const r = rand();
    let url: SiteUrl;
    if (r < 0.35) url = { path: `/products/${pick(CATEGORIES)}/${100_000 + n}`, kind: 'page', bytes: 20_000 + Math.floor(rand() * 60_000), query: rand() < 0.1 };
    else if (r < 0.55) {
      const slug = Array.from({ length: 3 + Math.floor(rand() * 4) }, () => pick(WORDS)).join('-');
      url = { path: `/blog/${2015 + Math.floor(rand() * 11)}/${slug}-${n}`, kind: 'page', bytes: 15_000 + Math.floor(rand() * 45_000), query: false };
    } else if (r < 0.8) {
      const ext = pick(['jpg', 'jpg', 'webp', 'png', 'svg', 'woff2']);
      url = { path: `/images/${pick(CATEGORIES)}/${n.toString(36)}.${ext}`, kind: 'asset', bytes: 2_000 + Math.floor(rand() * 400_000), query: false };
    } else {
      const res = pick(['items', 'reviews', 'stock', 'prices', 'users']);
      url = { path: `/api/v1/${res}/${n}`, kind: 'api', bytes: 150 + Math.floor(rand() * 6_000), query: rand() < 0.5 };
    }
    if (seen.has(url.path)) continue;
    seen.add(url.path);
    urls.push(url);
  }
  const missing = [...SCANNED];
  for (let i = 0; i < 200; i++) missing.push(`/products/${pick(CATEGORIES)}/${90_000 + i}`);
  return { urls, missing, vhost: 'www.example.com' };
}
