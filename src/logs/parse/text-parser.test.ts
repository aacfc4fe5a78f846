import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessRecord } from '../record.js';
import type { ParseFailure } from './line-parser.js';
import { compileLogFormat } from './compile.js';

const combined = compileLogFormat('combined');
const TIME = '[10/Oct/2000:13:55:36 -0700]';
const T = Date.UTC(2000, 9, 10, 20, 55, 36);
const line = (request: string, rest = '200 1 "-" "-"', client = '1.2.3.4'): string => `${client} - - ${TIME} "${request}" ${rest}`;
const parse = (l: string, p = combined): AccessRecord => {
  const r = p.parse(l, 'w');
  assert.equal(typeof r, 'object', `expected a record for ${l}, got ${String(r)}`);
  return r as AccessRecord;
};

test('request lines that are not requests keep their raw text as url with method ""', () => {
  const cases: [string, Partial<AccessRecord>][] = [
    ['\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03', { method: '', url: '\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03', protocol: '' }],
    ['-', { method: '', url: '-' }],
    ['', { method: '', url: '' }],
    ['garbage with spaces', { method: '', url: 'garbage with spaces' }],
    ['get / HTTP/1.1', { method: '', url: 'get / HTTP/1.1' }],
    ['GET', { method: '', url: 'GET' }],
    ['GET /a b HTTP/1.1', { method: 'GET', url: '/a b', protocol: 'HTTP/1.1' }],
    ['GET /only', { method: 'GET', url: '/only', protocol: '' }],
    ['GET /x?a=1?b HTTP/1.0', { method: 'GET', url: '/x', query: 'a=1?b', protocol: 'HTTP/1.0' }],
    ['PROPFIND /dav/ HTTP/1.1', { method: 'PROPFIND', url: '/dav/' }],
    ['CONNECT example.com:443 HTTP/1.1', { method: 'CONNECT', url: 'example.com:443' }],
  ];
  for (const [request, expected] of cases) {
    const r = parse(line(request));
    for (const [k, v] of Object.entries(expected)) assert.equal(r[k as keyof AccessRecord], v, `${request}: ${k}`);
  }
});

test('escapes inside quoted fields: \\" and \\\\ decoded, \\xhh of printable and UTF-8 decoded, control bytes kept', () => {
  const r = parse(line('GET /a\\"b\\\\c HTTP/1.1', '200 1 "http://r/\\x22q\\x22" "ua \\"x\\" \\xd0\\x9f\\xd1\\x80 \\x1b[31m"'));
  assert.equal(r.url, '/a"b\\c');
  assert.equal(r.referrer, 'http://r/"q"');
  assert.equal(r.agent, 'ua "x" Пр \\x1b[31m');
  // A quoted field ending in an escaped backslash: the quote after it closes the field.
  assert.equal(parse(line('GET /a HTTP/1.1', '200 1 "-" "ends\\\\"')).agent, 'ends\\');
});

test('raw (unescaped) quotes inside a value: the closing quote is the one the format continues after', () => {
  assert.equal(parse(line('GET / HTTP/1.1', '200 1 "-" "a "quoted" agent"')).agent, 'a "quoted" agent');
  assert.equal(parse(line('GET / HTTP/1.1', '200 1 "r"x" "ua"')).referrer, 'r"x');
});

test('IPv6 clients, bracketed or not; hostnames are kept', () => {
  assert.equal(parse(line('GET / HTTP/1.1', undefined, '2001:db8:85a3::8a2e:370:7334')).client, '2001:db8:85a3::8a2e:370:7334');
  assert.equal(parse(line('GET / HTTP/1.1', undefined, '[::ffff:192.0.2.1]')).client, '::ffff:192.0.2.1');
  assert.equal(parse(line('GET / HTTP/1.1', undefined, 'crawl-66-249-66-1.googlebot.com')).client, 'crawl-66-249-66-1.googlebot.com');
});

test('- for missing values: user, bytes, referrer, agent, status', () => {
  const r = parse(`1.2.3.4 - - ${TIME} "GET / HTTP/1.1" - - "-" "-"`);
  assert.deepEqual([r.user, r.status, r.bytes, r.referrer, r.agent], ['', 0, 0, '', '']);
});

test('times carry their UTC offset; the minute cache follows offset and minute changes', () => {
  const at = (t: string): number => parse(`1.2.3.4 - - [${t}] "GET / HTTP/1.1" 200 1 "-" "-"`).ts;
  assert.equal(at('10/Oct/2000:13:55:36 -0700'), T);
  assert.equal(at('10/Oct/2000:13:55:36 +0000'), T - 7 * 3600_000);
  assert.equal(at('10/Oct/2000:13:55:36 +0530'), T - 7 * 3600_000 - 330 * 60_000);
  assert.equal(at('10/Oct/2000:13:56:36 +0530'), T - 7 * 3600_000 - 330 * 60_000 + 60_000);
  assert.equal(at('10/Oct/2000:13:56:59 +0530'), T - 7 * 3600_000 - 330 * 60_000 + 83_000);
  assert.equal(at('29/Feb/2024:23:59:60 +0000'), Date.UTC(2024, 1, 29, 23, 59, 60));
});

test('failures by reason; a failure never throws', () => {
  const fail: [string, ParseFailure][] = [
    ['', 'empty'],
    [line('GET / HTTP/1.1', `200 1 "-" "${'a'.repeat(16 * 1024)}"`), 'too-long'],
    ['garbage', 'missing-field'],
    ['1.2.3.4 - -', 'missing-field'],
    [`- - - ${TIME} "GET / HTTP/1.1" 200 1 "-" "-"`, 'missing-field'],
    [`1.2.3.4 - - [10/Oct/2000:13:55:36] "GET / HTTP/1.1" 200 1 "-" "-"`, 'bad-time'],
    [`1.2.3.4 - - [31/Feb/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-"`, 'bad-time'],
    [`1.2.3.4 - - [29/Feb/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-"`, 'bad-time'],
    [`1.2.3.4 - - [10/Foo/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-"`, 'bad-time'],
    [`1.2.3.4 - - [10/Oct/2000:24:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-"`, 'bad-time'],
    [`1.2.3.4 - - ${TIME} "GET / HTTP/1.1`, 'unterminated-quote'],
    [line('GET / HTTP/1.1', '999 1 "-" "-"'), 'bad-status'],
    [line('GET / HTTP/1.1', '20x 1 "-" "-"'), 'bad-status'],
    [line('GET / HTTP/1.1', '2000 1 "-" "-"'), 'bad-status'],
    [line('GET / HTTP/1.1', '200 12k "-" "-"'), 'bad-number'],
    [line('GET / HTTP/1.1', '200 1 "-" "-"x'), 'trailing-garbage'],
  ];
  for (const [l, reason] of fail) assert.equal(combined.parse(l, 'w'), reason, l.slice(0, 100));
});

test('extra fields after a format that ends in a literal are tolerated (combined + %D logged as combined)', () => {
  assert.equal(parse(line('GET / HTTP/1.1', '200 1 "-" "ua" 1234 "x"')).agent, 'ua');
});

test('the line cap is an option; the cap is inclusive', () => {
  const p = compileLogFormat('combined', { maxLineLength: 80 });
  const l = line('GET / HTTP/1.1');
  assert.equal(typeof p.parse(l + ' '.repeat(80 - l.length), 'w'), 'object');
  assert.equal(p.parse(l + ' '.repeat(81 - l.length), 'w'), 'too-long');
});

test('vhost: %v wins over %{Host}i; %{Host}i fills it when the format has no %v', () => {
  const both = compileLogFormat('%v %h %t "%r" %>s %b "%{Host}i"');
  assert.equal(parse(`v.example 1.2.3.4 ${TIME} "GET / HTTP/1.1" 200 1 "h.example"`, both).vhost, 'v.example');
  const host = compileLogFormat('%h %t "%r" %>s %b "%{Host}i"');
  assert.equal(parse(`1.2.3.4 ${TIME} "GET / HTTP/1.1" 200 1 "h.example"`, host).vhost, 'h.example');
});

test('the last field of a format without a final literal takes the rest of the line', () => {
  const p = compileLogFormat('%h %t %>s %{User-Agent}i');
  assert.equal(parse(`1.2.3.4 ${TIME} 200 Mozilla/5.0 (X11; Linux)`, p).agent, 'Mozilla/5.0 (X11; Linux)');
});

test('a request line that is not a request is kept exactly as logged, even escapes that would decode', () => {
  const probe = '\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xc3\\xa9\\x22';
  assert.equal(parse(line(probe)).url, probe);
});
