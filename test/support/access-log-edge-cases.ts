/**
 * Deterministic (seeded) access-log files holding every edge case `vigia logs` parsing must handle, for
 * the GoAccess parity test and the parse benchmark: IPv4 and IPv6 clients (bracketed too), `-` for missing
 * user/bytes/referrer/agent, escaped quotes and backslashes and `\xhh` bytes in referrers and agents,
 * percent-encoded paths, query strings, request lines that are not requests (TLS probes, `-`, empty,
 * garbage, HTTP/0.9 `GET /x`), times in several UTC offsets across two days, lines over the 16 KiB cap,
 * hostnames as clients, `-` as status, lines cut short in the client or time, garbage lines, empty and `#` comment lines, CRLF line
 * ends, and a last line without LF. Same seed, same text.
 */
import { mulberry32 } from '../../src/core/random.js';

/** The layouts the generator writes (the Apache LogFormat of each is in EDGE_CASE_FORMATS). */
export type EdgeCaseLayout = 'combined' | 'vhost_combined' | 'combined_duration';

/** The Apache LogFormat string of each layout (what `compileLogFormat` gets). */
export const EDGE_CASE_FORMATS: Readonly<Record<EdgeCaseLayout, string>> = Object.freeze({
  combined: 'combined',
  vhost_combined: 'vhost_combined',
  combined_duration: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D',
});

/** What to generate. */
export interface EdgeCaseOptions {
  readonly layout: EdgeCaseLayout;
  readonly lines: number;
  readonly seed?: number;
  /** Share of lines that are edge cases rather than ordinary requests (default 0.3). */
  readonly edgeShare?: number;
  /** Include lines over the 16 KiB cap (default true; a benchmark of realistic traffic leaves them out). */
  readonly longLines?: boolean;
  /**
   * Realistic traffic rather than an edge-case catalogue (for benchmarks): one UTC offset for the whole
   * file (one server's clock) and ordinary agents, with escaped and control-byte agents among the edge
   * cases only. Default false.
   */
  readonly realistic?: boolean;
}


const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const OFFSETS = [0, -7 * 60, 330, 60, -5 * 60];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
const PROTOCOLS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0'];
const STATUSES = [200, 200, 200, 200, 200, 304, 301, 302, 404, 404, 403, 500, 502, 206, 201, 204, 400, 401, 499, 503];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'curl/8.5.0',
  'python-requests/2.31.0',
  'agent with \\"escaped quotes\\" and a \\\\ backslash',
  'UTF-8 agent \\xd0\\x9f\\xd1\\x80\\xd0\\xb8\\xd0\\xb2\\xd0\\xb5\\xd1\\x82',
  'control \\x1b[31m byte',
  '-',
];
/** The ordinary agents (no escapes): AGENTS less its escape cases. */
const PLAIN_AGENTS = AGENTS.filter((a) => !a.includes('\\'));
const REFERRERS = ['-', '-', '-', 'https://www.google.com/', 'https://example.com/start.html', 'https://example.com/q?a=\\"x\\"', 'android-app://com.example'];
const PATHS = ['/', '/index.html', '/about', '/products/42', '/img/logo.png', '/css/site.css', '/js/app.js', '/api/v1/items', '/search', '/a%20b', '/caf%C3%A9', '/wp-login.php', '/.env', '/favicon.ico', '/blog/2023/12/post-title'];

/** Two-digit zero pad. */
const pad = (n: number): string => String(n).padStart(2, '0');

/** `dd/Mon/yyyy:HH:MM:SS +zzzz` of a UTC instant shown in an offset (minutes east of UTC). */
export function clfTime(utcMs: number, offsetMin: number): string {
  const d = new Date(utcMs + offsetMin * 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const off = Math.abs(offsetMin);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${sign}${pad(Math.floor(off / 60))}${pad(off % 60)}`;
}

/** Generates the file text (LF ends, some CRLF, no LF after the last line). */
export function edgeCaseLog(options: EdgeCaseOptions): string {
  const rnd = mulberry32(options.seed ?? 15);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const edgeShare = options.edgeShare ?? 0.3;
  const start = Date.UTC(2024, 2, 9, 18, 0, 0); // two days spanning midnight in every offset
  const span = 2 * 86_400_000;
  const ipv4 = (): string => `${1 + Math.floor(rnd() * 223)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
  const ipv6 = (): string => `2001:db8:${Math.floor(rnd() * 65536).toString(16)}::${Math.floor(rnd() * 65536).toString(16)}`;
  // A small client population so unique visitors and "who" repeat.
  const clients = Array.from({ length: 300 }, (_, i) => (i % 5 === 0 ? ipv6() : i % 17 === 0 ? `::ffff:${ipv4()}` : ipv4()));
  const lines: string[] = [];
  for (let i = 0; i < options.lines; i++) {
    const ts = start + Math.floor((i / options.lines) * span) + Math.floor(rnd() * 1000);
    const time = clfTime(ts, options.realistic ? 60 : pick(OFFSETS));
    let client = clients[Math.floor(Math.pow(rnd(), 2) * clients.length)]!;
    const user = rnd() < 0.05 ? 'alice' : '-';
    const path = PATHS[Math.floor(Math.pow(rnd(), 1.5) * PATHS.length)]!;
    let request = `${pick(METHODS)} ${path}${rnd() < 0.2 ? `?id=${Math.floor(rnd() * 50)}&q=x%2Fy` : ''} ${pick(PROTOCOLS)}`;
    let status = String(pick(STATUSES));
    let bytes = rnd() < 0.1 ? '-' : String(Math.floor(rnd() * 100_000));
    let agent = options.realistic ? pick(PLAIN_AGENTS) : pick(AGENTS);
    let special = '';
    if (rnd() < edgeShare) {
      const kind = Math.floor(rnd() * 14);
      if (kind === 0) request = `\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03${Math.floor(rnd() * 1e6).toString(16)}`;
      else if (kind === 1) request = '-';
      else if (kind === 2) request = '';
      else if (kind === 3) request = `garbage ${Math.floor(rnd() * 100)} here`;
      else if (kind === 4) request = `GET /only/${Math.floor(rnd() * 10)}`;
      else if (kind === 5) client = `[${ipv6()}]`;
      else if (kind === 6 && options.longLines !== false) agent = `Mozilla/5.0 ${'x'.repeat(17_000)}`;
      else if (kind === 7) client = `host-${Math.floor(rnd() * 10)}.example.net`;
      else if (kind === 8) status = '-';
      else if (kind === 9) special = 'truncated';
      else if (kind === 10) special = rnd() < 0.5 ? 'empty' : 'comment';
      else if (kind === 11) special = 'garbage';
      else if (kind === 12) special = 'crlf';
      else if (options.realistic) agent = pick(AGENTS);
      else bytes = '-';
    }
    const vhost = options.layout === 'vhost_combined' ? `${pick(['www.example.com', 'api.example.com', 'static.example.com'])}:${pick(['80', '443'])} ` : '';
    const duration = options.layout === 'combined_duration' ? ` ${Math.floor(rnd() * 2_000_000)}` : '';
    let line = `${vhost}${client} - ${user} [${time}] "${request}" ${status} ${bytes} "${pick(REFERRERS)}" "${agent}"${duration}`;
    // Cut inside the client or the time (a writer killed mid-line): every parser must reject these. (A cut
    // after the request is rejected by us but accepted by GoAccess; see logs-goaccess.test.ts D8.)
    if (special === 'truncated') line = line.slice(0, 1 + Math.floor(rnd() * (line.indexOf(']') - 1)));
    else if (special === 'empty') line = '';
    else if (special === 'comment') line = `#Fields: ${line}`;
    else if (special === 'garbage') line = `\u00ff\u00fe garbage ${Math.floor(rnd() * 1e9)}`;
    else if (special === 'crlf') line += '\r';
    lines.push(line);
  }
  return lines.join('\n');
}
