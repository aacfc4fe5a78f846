/**
 * `vigia logs import | who | top | visits | series | report` as a user runs them (the built binary) on a
 * real embedded store: a generated combined log (IPv6 clients, a hostile URL and agent, lines that do not
 * parse, a gzip copy not named .gz) is imported, then every question is asked in every format and checked
 * against counts made here from the same lines; ranges (--since, --from, --to), an empty store, and bad
 * flags (one catalogued line, exit 2, nothing imported).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { parseCsv } from '../../src/core/csv.js';
import { isBot } from '../../src/logs/store/bots.js';
import { tempDir } from '../support/tmp.js';
import { VIGIA_BIN } from '../support/vigia-process.js';

const tmp = tempDir('vigia-logs-cli-');
after(() => tmp.remove());
const STORE = join(tmp.dir, 'store');
const vigia = (args: string[]) => spawnSync(process.execPath, [VIGIA_BIN, 'logs', ...args], { encoding: 'utf8', timeout: 60_000, cwd: tmp.dir });
const ok = (args: string[]): string => {
  const r = vigia(args);
  assert.equal(r.status, 0, `vigia logs ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const json = <T = any>(args: string[]): T => JSON.parse(ok([...args, '--format', 'json', '--data-dir', STORE])) as T;

const XSS_URL = '/<script>alert(1)</script>';
// Apache writes a control character in a header as the text \x1b, which the parser keeps as text (as GoAccess
// does); the terminal-escaping of real control characters is render-answer.test.ts's.
const EVIL_AGENT = '=HYPERLINK("http://evil.example","x") \\x1b[2J';
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Day 0 of the generated log: 2026-11-02, long enough ago that the default --since 24h finds nothing. */
const DAY0 = Date.UTC(2026, 10, 2);

interface Hit { ts: number; ip: string; url: string; status: number; agent: string }

function clf(ms: number, offsetMin: number): string {
  const d = new Date(ms + offsetMin * 60_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  const sign = offsetMin < 0 ? '-' : '+';
  const o = Math.abs(offsetMin);
  return `${p(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${sign}${p(Math.floor(o / 60))}${p(o % 60)}`;
}

/** The generated hits (what the store must hold) and the log text (with lines that must be rejected). */
function generate(): { hits: Hit[]; text: string; bad: number } {
  const ips = ['203.0.113.7', '198.51.100.20', '2001:db8::1', '10.1.2.3', '192.0.2.99'];
  const urls = ['/', '/download/report.pdf', '/api/items', '/api/users', XSS_URL];
  const agents = ['Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', 'curl/8.5.0', 'Googlebot/2.1 (+http://www.google.com/bot.html)', EVIL_AGENT];
  const hits: Hit[] = [];
  const lines: string[] = [];
  let bad = 0;
  for (let i = 0; i < 600; i++) {
    // Two days, one hit every 4.8 minutes; the offset varies so times are converted to UTC, not read as UTC.
    const ts = DAY0 + i * 288_000;
    const ip = ips[(i * 7) % ips.length]!;
    const url = urls[i % 11 === 0 ? 4 : (i * 3) % 4]!;
    const status = i % 10 === 0 ? 404 : i % 17 === 0 ? 503 : 200;
    const agent = agents[i % agents.length]!;
    hits.push({ ts, ip, url, status, agent });
    const logged = agent.replace(/"/g, '\\"');
    lines.push(`${ip} - - [${clf(ts, i % 2 === 0 ? 60 : -300)}] "GET ${url}?n=${i} HTTP/1.1" ${status} ${100 + i} "-" "${logged}"`);
    if (i % 100 === 50) {
      lines.push('this is not an access log line');
      bad++;
    }
  }
  return { hits, text: `${lines.join('\n')}\n`, bad };
}

const { hits, text, bad } = generate();
const count = <K>(key: (h: Hit) => K, of: Hit[] = hits): Map<K, number> => {
  const m = new Map<K, number>();
  for (const h of of) m.set(key(h), (m.get(key(h)) ?? 0) + 1);
  return m;
};

before(() => {
  writeFileSync(join(tmp.dir, 'access.log'), text);
  // The same lines again, gzip-compressed under a name without .gz: told by content. Half the lines, so both files count.
  writeFileSync(join(tmp.dir, 'access.log.1'), gzipSync(text.split('\n').slice(0, 300).join('\n') + '\n'));
});

test('an empty store says so (and a question creates no store); json still prints the empty answer', () => {
  const empty = join(tmp.dir, 'nothing-here');
  const r = vigia(['who', '--url', '/', '--data-dir', empty]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `no log lines stored yet in ${empty}; import some with vigia logs import FILE... --data-dir ${empty}\n`);
  assert.equal(existsSync(empty), false);
  const j = vigia(['top', 'urls', '--data-dir', empty, '--format', 'json']);
  assert.deepEqual(JSON.parse(j.stdout), { by: 'urls', rows: [] });
  assert.match(j.stderr, /no log lines stored yet/);
});

test('import: plain and gzip (by content), lines read = stored + rejected by reason with samples', () => {
  const r = vigia(['import', 'access.log', 'access.log.1', '--data-dir', STORE, '--host', 'web-042']);
  assert.equal(r.status, 0, r.stderr);
  const gzLines = 300;
  const gzBad = text.split('\n').slice(0, 300).filter((l) => l.startsWith('this is')).length;
  const read = hits.length + bad + gzLines;
  assert.match(r.stdout, new RegExp(`^imported 2 files in [\\d.]+ s: read ${read.toLocaleString('en-US')} lines \\(.*\\), stored ${(hits.length + gzLines - gzBad).toLocaleString('en-US')}, rejected ${bad + gzBad}\\n`));
  assert.match(r.stdout, /rejected missing-field: \d+, e\.g\. "this is not an access log line"/);
  // Progress goes to stderr only off a terminal every few seconds; the summary is the whole of stdout.
  assert.equal(r.stdout.trim().split('\n').length, 2, r.stdout);
});

test('who --url: the clients with hits, first and last seen, status mix, exactly as counted here', () => {
  const all = whatIsStored();
  const url = '/download/report.pdf';
  const mine = all.filter((h) => h.url === url);
  const r = json<{ url: string; clients: Array<{ ip: string; hits: number; first_seen: string; last_seen: string; status: Record<string, number> }> }>(['who', '--url', url, '--since', 'all']);
  assert.equal(r.url, url);
  const want = [...count((h) => h.ip, mine)].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  assert.deepEqual(r.clients.map((c) => [c.ip, c.hits]), want);
  for (const c of r.clients) {
    const ts = mine.filter((h) => h.ip === c.ip).map((h) => h.ts);
    assert.equal(c.first_seen, new Date(Math.min(...ts)).toISOString());
    assert.equal(c.last_seen, new Date(Math.max(...ts)).toISOString());
    assert.equal(c.status['4xx'], mine.filter((h) => h.ip === c.ip && h.status === 404).length);
  }
  // A pasted link asks about its path; --prefix takes every URL under it.
  const link = vigia(['who', '--url', `https://shop.example${url}?x=1`, '--since', 'all', '--data-dir', STORE, '--format', 'json']);
  assert.deepEqual(JSON.parse(link.stdout), r);
  assert.match(link.stderr, /asking about \/download\/report\.pdf/);
  const api = json<{ clients: Array<{ hits: number }> }>(['who', '--url', '/api/', '--prefix', '--since', 'all', '--limit', '10000']);
  assert.equal(api.clients.reduce((n, c) => n + c.hits, 0), all.filter((h) => h.url.startsWith('/api/')).length);
  // The table: a header, one row per client, the total line.
  const table = ok(['who', '--url', url, '--since', 'all', '--data-dir', STORE]);
  assert.match(table.split('\n')[0]!, /^CLIENT\s+HITS\s+FIRST SEEN \(UTC\)/);
  assert.match(table, new RegExp(`${want.length} clients visited /download/report\\.pdf in all stored lines \\(${mine.length} hits shown\\)`));
  const csv = parseCsv(ok(['who', '--url', url, '--since', 'all', '--data-dir', STORE, '--format', 'csv']));
  assert.deepEqual(csv.slice(1).map((row) => [row[0], Number(row[1])]), want);
});

/** What the store holds after the import test: access.log's hits, plus the hits among the gzip copy's first 300 lines. */
function whatIsStored(): Hit[] {
  const firstLines = text.split('\n').slice(0, 300);
  const goodInCopy = firstLines.filter((l) => !l.startsWith('this is')).length;
  return [...hits, ...hits.slice(0, goodInCopy)];
}

test('top ips | urls | status | hosts | agents: keys by hits; the a formula agent is guarded in CSV', () => {
  const all = whatIsStored();
  const top = (by: string, key: (h: Hit) => string): void => {
    const r = json<{ by: string; rows: Array<{ key: string; hits: number }> }>(['top', by, '--since', 'all', '--limit', '100']);
    const want = [...count(key, all)].sort((a, b) => b[1] - a[1] || (Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])))).map(([k, hitCount]) => ({ key: k, hits: hitCount }));
    assert.deepEqual(r, { by, rows: want }, by);
  };
  top('ips', (h) => h.ip);
  top('urls', (h) => h.url);
  top('status', (h) => String(h.status));
  top('hosts', () => 'web-042');
  top('agents', (h) => h.agent);
  const limited = json<{ rows: unknown[] }>(['top', 'urls', '--since', 'all', '--limit', '2']);
  assert.equal(limited.rows.length, 2);
  const csv = parseCsv(ok(['top', 'agents', '--since', 'all', '--data-dir', STORE, '--format', 'csv']));
  const evil = csv.find((row) => row[0]!.includes('HYPERLINK'))!;
  assert.equal(evil[0], `'${EVIL_AGENT}`);
  const table = ok(['top', 'agents', '--since', 'all', '--data-dir', STORE]);
  assert.ok(table.includes(EVIL_AGENT));
});

test('visits --ip (IPv6) and series: what one client visited, hits per minute in a --from/--to window', () => {
  const all = whatIsStored();
  const v = json<{ ip: string; urls: Array<{ url: string; hits: number }> }>(['visits', '--ip', '2001:db8::1', '--since', 'all']);
  assert.equal(v.ip, '2001:db8::1');
  const mine = all.filter((h) => h.ip === '2001:db8::1');
  assert.deepEqual(Object.fromEntries(v.urls.map((u) => [u.url, u.hits])), Object.fromEntries(count((h) => h.url, mine)));
  // Day two, 10:00 to 12:00 UTC (exclusive): the series counts per minute, narrowed by status.
  const from = DAY0 + 86_400_000 + 10 * 3_600_000;
  const to = from + 2 * 3_600_000;
  const args = ['series', '--from', new Date(from).toISOString(), '--to', new Date(to).toISOString()];
  const s = json<{ step_seconds: number; points: Array<{ t: string; hits: number }> }>(args);
  const inWindow = all.filter((h) => h.ts >= from && h.ts < to);
  assert.equal(s.step_seconds, 60);
  assert.equal(s.points.reduce((n, p) => n + p.hits, 0), inWindow.length);
  assert.deepEqual(s.points.map((p) => p.t), [...new Set(inWindow.map((h) => new Date(Math.floor(h.ts / 60_000) * 60_000).toISOString()))].sort());
  const s404 = json<{ points: Array<{ hits: number }> }>([...args, '--status', '404']);
  assert.equal(s404.points.reduce((n, p) => n + p.hits, 0), inWindow.filter((h) => h.status === 404).length);
  // A date-only --to includes its day: day 0 alone.
  const day0 = json<{ points: Array<{ hits: number }> }>(['series', '--from', '2026-11-02', '--to', '2026-11-02', '--limit', '10000']);
  assert.equal(day0.points.reduce((n, p) => n + p.hits, 0), all.filter((h) => h.ts < DAY0 + 86_400_000).length);
});

test('the default range is the last 24h: old lines are not shown, and the table says where they are', () => {
  const r = vigia(['top', 'urls', '--data-dir', STORE]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^no hits in the last 24h\n\(the store holds [\d,]+ lines logged from 2026-11-02T.* to 2026-11-0\dT.*: widen the range, e\.g\. --since all\)\n$/);
});

test('report: html escapes the logged <script> URL and has its charts; json is the overview', () => {
  const out = join(tmp.dir, 'report.html');
  const r = vigia(['report', '--since', 'all', '--data-dir', STORE, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.ok(!html.includes(XSS_URL) && !/<script/i.test(html));
  assert.ok(html.includes('/&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('Requests by hour of the day') && html.includes('Requests by status code'));
  const o = json<{ requests: number; not_found: Array<{ hits: number }>; hourly: number[]; bots: Array<{ key: string; hits: number }> }>(['report', '--since', 'all']);
  const all = whatIsStored();
  assert.equal(o.requests, all.length);
  assert.equal(o.hourly.reduce((a, b) => a + b, 0), all.length);
  assert.equal(o.not_found.reduce((n, x) => n + x.hits, 0), all.filter((h) => h.status === 404).length);
  const bots = count((h) => h.agent, all.filter((h) => isBot(h.agent)));
  assert.ok(bots.size >= 1);
  assert.deepEqual(Object.fromEntries(o.bots.map((b) => [b.key, b.hits])), Object.fromEntries(bots));
});

test('bad flags and files: one catalogued line, exit 2, nothing imported', () => {
  const cases: Array<[string[], RegExp]> = [
    [['top', 'urls', '--since', '1y', '--data-dir', STORE], /^vigia: VIGIA_ERR_CONFIG: .*--since: expected a duration/],
    [['top', 'urls', '--limit', '0', '--data-dir', STORE], /^vigia: VIGIA_ERR_CONFIG: .*--limit: expected a whole number from 1 to 10000/],
    [['top', 'browsers', '--data-dir', STORE], /^vigia: VIGIA_ERR_CONFIG: .*Allowed choices are ips, urls, status, referrers, agents, hosts/],
    [['who', '--data-dir', STORE], /^vigia: VIGIA_ERR_CONFIG: .*--url/],
    [['who', '--url', '/', '--from', 'yesterday', '--data-dir', STORE], /^vigia: VIGIA_ERR_CONFIG: .*--from: expected a date/],
    [['who', '--url', '/', '--since', '1h', '--from', '2026-11-01', '--data-dir', STORE], /^vigia: VIGIA_ERR_CONFIG: .*--since and --from/],
    [['series', '--status', 'bad', '--data-dir', STORE], /^vigia: VIGIA_ERR_CONFIG: .*--status/],
    [['top', 'urls', '--format', 'xml', '--data-dir', STORE], /^vigia: VIGIA_ERR_CONFIG: .*table, json, csv/],
    [['top', 'urls', '--store', 'mongodb://db/x'], /^vigia: LOGS_ERR_STORE_URL: /],
    [['top', 'urls', '--server', 'http://127.0.0.1:9', '--token-file', 'missing.token'], /^vigia: VIGIA_ERR_CONFIG: .*--token-file: cannot read/],
    [['import', 'access.log', '--log-format', '%h %Z', '--data-dir', join(tmp.dir, 'not-created')], /^vigia: LOGS_ERR_FORMAT: /],
    [['import', 'access.log', 'missing.log', '--data-dir', join(tmp.dir, 'not-created-2')], /^vigia: LOGS_ERR_READ_FAILED: .*missing\.log: cannot open \(ENOENT\); nothing was imported/],
  ];
  for (const [args, re] of cases) {
    const r = vigia(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.equal(existsSync(join(tmp.dir, 'not-created')), false);
});
