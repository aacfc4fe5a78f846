/**
 * One web server's access-log stream, line by line: Zipf-distributed URLs over the shared site, clients
 * with a heavy tail (about 10 % IPv6), crawlers with their real user agents, 404s and 5xx at realistic
 * rates, referrers, a few TLS probes and empty requests, a small configurable share of lines that do not
 * parse (truncated, bad time, stray error-log text), rare long query strings, and timestamps advancing with
 * the node's rate (exponential gaps, as independent requests arrive). Pure and deterministic: the same
 * population, node and seed give the same lines, so a test or a benchmark can be replayed exactly.
 *
 * Every line comes with what it is (SimLine), so tests and the simulator know the truth they compare with
 * (e.g. rejected lines = `bad` lines generated).
 */
import { mulberry32 } from '../../core/random.js';
import { lineFormatter, type Flavour, type LineFormatter, type SimFormat, type SimRequest } from './access-line.js';
import { hash32, type Population } from './population.js';
import { BOT_AGENTS } from './user-agents.js';

/** Shares of all lines (each from 0 to 1). */
export interface TrafficShares {
  /** Lines that do not parse in the node's format. */
  readonly bad: number;
  /** Parseable lines whose request line is not a request (TLS handshake, empty, SSH banner). */
  readonly probe: number;
  /** Requests from crawlers. */
  readonly bot: number;
  /** Requests answered 404 (scanners, broken links). */
  readonly notFound: number;
  /** Requests answered 500/502/503/504. */
  readonly serverError: number;
  /** Requests with a 2-12 KB query string (tracking links, search forms gone wrong). */
  readonly long: number;
}

/** Defaults: shares seen on a busy public site (bots 8 %, 404 3 %, 5xx 0.5 %), 0.2 % bad lines. */
export const DEFAULT_SHARES: TrafficShares = Object.freeze({ bad: 0.002, probe: 0.002, bot: 0.08, notFound: 0.03, serverError: 0.005, long: 0.0005 });

/** What kind of line a SimLine is. */
export type LineKind = 'request' | 'bot' | 'probe' | 'bad';

/** One generated line and the truth about it. */
export interface SimLine {
  /** The line, without LF (bytes as latin1 code points where a probe sent raw bytes). */
  readonly text: string;
  readonly kind: LineKind;
  /** ms since the epoch (UTC) the request was logged at. */
  readonly ts: number;
  /** Status logged; for `bad` lines, the status the line had before it was broken. */
  readonly status: number;
  /** The path without query string ('' for probes). */
  readonly path: string;
  /** The path's popularity rank in the site map; -1 for a missing path, a probe, or a bad line. */
  readonly rank: number;
  /** The client address as logged. */
  readonly client: string;
  /** The query string is a long one. */
  readonly long: boolean;
}

/** One node's stream settings. */
export interface TrafficOptions {
  readonly population: Population;
  /** Node number (0-based): seeds its stream and picks its flavour and UTC offset. */
  readonly node: number;
  /** First timestamp, ms since the epoch. */
  readonly startMs: number;
  /** Mean lines per second of this node (timestamps advance by it). */
  readonly ratePerSecond: number;
  readonly format?: SimFormat;
  /** 'mixed' (default): even nodes Apache, odd nodes nginx. */
  readonly flavour?: Flavour | 'mixed';
  /** 'mixed' (default): every 5th node logs at -0700 and every 7th at +0530, the rest at +0000. */
  readonly offsets?: 'utc' | 'mixed';
  readonly shares?: Partial<TrafficShares>;
}

/** A node's stream; `next()` never ends (the caller bounds it). */
export interface Traffic {
  readonly flavour: Flavour;
  readonly offsetMinutes: number;
  next(): SimLine;
}

const TLS_HELLO = '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003';
const EXTERNAL_REFERRERS = ['https://www.google.com/', 'https://www.bing.com/', 'https://duckduckgo.com/', 'https://t.co/x7Rk2', 'android-app://com.google.android.gm/', 'https://news.ycombinator.com/', 'https://www.facebook.com/'];
const ERROR_STATUS = [500, 502, 502, 503, 503, 504];
const USERS = ['alice', 'bob', 'deploy', 'ops-monitor'];

/** Check shares and fill the defaults; throws RangeError naming the share. */
export function resolveShares(shares: Partial<TrafficShares> = {}): TrafficShares {
  const s = { ...DEFAULT_SHARES, ...shares };
  for (const [k, v] of Object.entries(s)) if (!(v >= 0 && v <= 1)) throw new RangeError(`${k} share must be from 0 to 1, got ${v}`);
  if (s.bad + s.probe > 1) throw new RangeError('bad + probe shares exceed 1');
  if (s.notFound + s.serverError > 1) throw new RangeError('notFound + serverError shares exceed 1');
  return Object.freeze(s);
}

/** Create node `node`'s stream. */
export function createTraffic(o: TrafficOptions): Traffic {
  const pop = o.population;
  const shares = resolveShares(o.shares);
  if (!(o.ratePerSecond > 0 && Number.isFinite(o.ratePerSecond))) throw new RangeError(`rate must be > 0, got ${o.ratePerSecond}`);
  const flavour: Flavour = o.flavour === 'apache' || o.flavour === 'nginx' ? o.flavour : o.node % 2 === 0 ? 'apache' : 'nginx';
  const format = o.format ?? 'combined';
  // nginx has no vhost_combined; such a node writes combined with Apache's habits instead.
  const fmt: LineFormatter = lineFormatter(format, format === 'vhost_combined' ? 'apache' : flavour, 0);
  const offsetMinutes = (o.offsets ?? 'mixed') === 'utc' ? 0 : o.node % 5 === 4 ? -420 : o.node % 7 === 6 ? 330 : 0;
  const fmtAt: LineFormatter = offsetMinutes === 0 ? fmt : lineFormatter(format, fmt.flavour, offsetMinutes);
  const rand = mulberry32(hash32(o.node, pop.seed ^ 0x7ea1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const meanGap = 1000 / o.ratePerSecond;
  const { site } = pop;
  const badCut = shares.bad;
  const probeCut = shares.bad + shares.probe;
  let t = o.startMs;

  const longQuery = (): string => {
    const n = 2000 + Math.floor(rand() * 10_000);
    let q = 'utm_source=newsletter&utm_medium=email&q=';
    while (q.length < n) q += pick(['summer', 'sale', 'shoes', '%20', 'red', 'size+42', '%C3%A9t%C3%A9', 'x']);
    return q;
  };

  const request = (ts: number): { req: SimRequest; path: string; rank: number; kind: LineKind; long: boolean } => {
    const bot = rand() < shares.bot;
    let client: string;
    let agent: string;
    let rank: number;
    let referrer = '';
    if (bot) {
      const b = Math.floor(Math.pow(rand(), 2) * BOT_AGENTS.length); // Googlebot and bingbot crawl most
      agent = BOT_AGENTS[b]!;
      client = pop.botAddress(b, rand());
      // Crawlers walk the whole site, the tail included; they fetch robots.txt often.
      rank = rand() < 0.03 ? 11 : Math.floor(rand() * site.urls.length);
    } else {
      const c = pop.clients.rank(rand());
      client = pop.clientAddress(c);
      agent = pop.clientAgent(c);
      rank = pop.urls.rank(rand());
      const r = rand();
      if (r < 0.45) referrer = `https://${site.vhost}${site.urls[pop.urls.rank(rand())]!.path}`;
      else if (r < 0.6) referrer = pick(EXTERNAL_REFERRERS);
    }
    const url = site.urls[rank]!;
    let path = url.path;
    let status = 200;
    let bytes = Math.max(0, Math.round(url.bytes * (0.8 + rand() * 0.4)));
    let method = 'GET';
    const s = rand();
    if (s < shares.notFound) {
      path = pick(site.missing);
      rank = -1;
      status = 404;
      bytes = 196 + Math.floor(rand() * 300);
    } else if (s < shares.notFound + shares.serverError) {
      status = pick(ERROR_STATUS);
      bytes = status === 504 ? 0 : 160 + Math.floor(rand() * 400);
    } else if (url.kind === 'asset' && rand() < 0.15) {
      status = 304;
      bytes = 0;
    } else if (url.kind === 'api' && rand() < 0.12) {
      method = 'POST';
      status = rand() < 0.9 ? 201 : 400;
    } else if (rand() < 0.01) {
      status = 301;
      bytes = 0;
    }
    if (bot && rand() < 0.05) {
      method = 'HEAD';
      bytes = 0;
    }
    const long = rand() < shares.long;
    let query = '';
    if (long) query = longQuery();
    else if (url.query && rank >= 0) query = rand() < 0.5 ? `page=${1 + Math.floor(rand() * 20)}&sort=${pick(['price', 'new', 'rating'])}` : `q=${pick(['red+shoes', 'caf%C3%A9', 'nginx%20logs', 'size%3D42', 'a%22b'])}`;
    const protocol = bot ? 'HTTP/1.1' : rand() < 0.35 ? 'HTTP/2.0' : 'HTTP/1.1';
    const user = rand() < 0.002 ? pick(USERS) : '';
    const line = `${method} ${path}${query === '' ? '' : `?${query}`} ${protocol}`;
    // A scanner's path may carry its own query string; the truth reported is the path alone.
    const q = path.indexOf('?');
    if (q >= 0) path = path.slice(0, q);
    return { req: { ts, client, user, request: line, status, bytes, referrer, agent, vhost: site.vhost, port: 443 }, path, rank, kind: bot ? 'bot' : 'request', long };
  };

  const probe = (ts: number): SimRequest => {
    const client = pop.clientAddress(pop.clients.rank(rand()));
    const r = rand();
    if (r < 0.5) {
      let hello = TLS_HELLO;
      for (let i = 0; i < 6; i++) hello += String.fromCharCode(Math.floor(rand() * 256));
      return { ts, client, user: '', request: hello, status: 400, bytes: fmt.flavour === 'apache' ? 226 : 157, referrer: '', agent: '', vhost: site.vhost, port: 443 };
    }
    if (r < 0.8) return { ts, client, user: '', request: null, status: fmt.flavour === 'apache' ? 408 : 400, bytes: 0, referrer: '', agent: '', vhost: site.vhost, port: 443 };
    return { ts, client, user: '', request: 'SSH-2.0-Go', status: 400, bytes: 226, referrer: '', agent: '', vhost: site.vhost, port: 443 };
  };

  const breakLine = (text: string, ts: number): string => {
    const r = rand();
    if (r < 0.5) {
      // Cut before the last quote: a line torn by a crash or a full disk; never parses in any format here.
      const last = text.lastIndexOf('"');
      return text.slice(0, 8 + Math.floor(rand() * Math.max(1, last - 8)));
    }
    if (r < 0.75) return text.replace(fmtAt.time(ts), `[${32 + Math.floor(rand() * 60)}/Foo/2026:99:99:99 +0000]`);
    return `[${new Date(ts).toUTCString()}] [core:error] [pid ${1000 + Math.floor(rand() * 30000)}] AH00126: Invalid URI in request GET /%%7 HTTP/1.1`;
  };

  return {
    flavour: fmt.flavour,
    offsetMinutes,
    next(): SimLine {
      t += -Math.log(1 - rand()) * meanGap;
      const ts = Math.floor(t);
      const u = rand();
      if (u < probeCut && u >= badCut) {
        const req = probe(ts);
        return { text: fmtAt.line(req), kind: 'probe', ts, status: req.status, path: '', rank: -1, client: req.client, long: false };
      }
      const g = request(ts);
      const text = fmtAt.line(g.req);
      if (u < badCut) return { text: breakLine(text, ts), kind: 'bad', ts, status: g.req.status, path: g.path, rank: -1, client: g.req.client, long: g.long };
      return { text, kind: g.kind, ts, status: g.req.status, path: g.path, rank: g.rank, client: g.req.client, long: g.long };
    },
  };
}
