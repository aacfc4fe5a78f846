import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../../core/errors.js';
import type { AccessRecord } from '../record.js';
import { compileLogFormat } from './compile.js';
import { FORMAT_NAMES } from './named-formats.js';

/** A record with the contract's "missing" values, overridden by `r`. */
function rec(r: Partial<AccessRecord>): AccessRecord {
  return {
    ts: 0, server: 'web1', client: '', method: '', url: '', query: '', protocol: '', status: 0, bytes: 0,
    referrer: '', agent: '', vhost: '', user: '', durationMs: -1, ...r,
  };
}

const T = Date.UTC(2000, 9, 10, 20, 55, 36); // 10/Oct/2000:13:55:36 -0700
const UA = 'Mozilla/4.08 [en] (Win98; I ;Nav)';

/** [format, line, expected record] for every named format and a set of LogFormat/log_format strings. */
const GOLDEN: [string, string, AccessRecord][] = [
  ['common', '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
    rec({ ts: T, client: '127.0.0.1', user: 'frank', method: 'GET', url: '/apache_pb.gif', protocol: 'HTTP/1.0', status: 200, bytes: 2326 })],
  ['combined', `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif?x=1&y=2 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "${UA}"`,
    rec({ ts: T, client: '127.0.0.1', user: 'frank', method: 'GET', url: '/a.gif', query: 'x=1&y=2', protocol: 'HTTP/1.0', status: 200, bytes: 2326, referrer: 'http://www.example.com/start.html', agent: UA })],
  ['vhost_combined', `www.example.org:443 2001:db8::7 - - [10/Oct/2000:13:55:36 -0700] "POST /login HTTP/2.0" 302 512 "-" "${UA}"`,
    rec({ ts: T, vhost: 'www.example.org', client: '2001:db8::7', method: 'POST', url: '/login', protocol: 'HTTP/2.0', status: 302, bytes: 512, agent: UA })],
  ['nginx', `10.1.2.3 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 304 0 "-" "${UA}"`,
    rec({ ts: T, client: '10.1.2.3', method: 'GET', url: '/', protocol: 'HTTP/1.1', status: 304, agent: UA })],
  ['main', `10.1.2.3 - bob [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" 200 15 "https://r/" "${UA}" "203.0.113.9, 10.0.0.1"`,
    rec({ ts: T, client: '10.1.2.3', user: 'bob', method: 'GET', url: '/x', protocol: 'HTTP/1.1', status: 200, bytes: 15, referrer: 'https://r/', agent: UA })],
  ['json', '{"time_iso8601":"2000-10-10T13:55:36-07:00","remote_addr":"::1","remote_user":"","request":"GET /j?k=v HTTP/1.1","status":"404","body_bytes_sent":"12","request_time":"0.250","http_referer":"","http_user_agent":"curl/8","host":"h.example"}',
    rec({ ts: T, client: '::1', method: 'GET', url: '/j', query: 'k=v', protocol: 'HTTP/1.1', status: 404, bytes: 12, agent: 'curl/8', vhost: 'h.example', durationMs: 250 })],
  // Apache LogFormat strings: %D (µs), %T, %{ms}T, %v/%{Host}i, %m %U %q %H, %{sec}t, %{msec}t, %{usec}t, strftime.
  ['%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D', `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 - "-" "-" 1500`,
    rec({ ts: T, client: '1.2.3.4', method: 'GET', url: '/', protocol: 'HTTP/1.1', status: 200, durationMs: 1.5 })],
  ['%a %{Host}i %t %m %U%q %H %s %B %T', '1.2.3.4 h.example [10/Oct/2000:13:55:36 -0700] GET /p?q=1 HTTP/1.1 500 77 2',
    rec({ ts: T, client: '1.2.3.4', vhost: 'h.example', method: 'GET', url: '/p', query: 'q=1', protocol: 'HTTP/1.1', status: 500, bytes: 77, durationMs: 2000 })],
  ['%v %h %{sec}t "%r" %s %b %{ms}T', 'v.example 1.2.3.4 971211336 "GET / HTTP/1.1" 200 1 12',
    rec({ ts: T, vhost: 'v.example', client: '1.2.3.4', method: 'GET', url: '/', protocol: 'HTTP/1.1', status: 200, bytes: 1, durationMs: 12 })],
  ['%h %{msec}t "%r" %s %b', '1.2.3.4 971211336123 "GET / HTTP/1.1" 200 1',
    rec({ ts: T + 123, client: '1.2.3.4', method: 'GET', url: '/', protocol: 'HTTP/1.1', status: 200, bytes: 1 })],
  ['%h %{usec}t "%r" %s %b', '1.2.3.4 971211336123456 "GET / HTTP/1.1" 200 1',
    rec({ ts: T + 123, client: '1.2.3.4', method: 'GET', url: '/', protocol: 'HTTP/1.1', status: 200, bytes: 1 })],
  ['%h [%{%d/%b/%Y:%H:%M:%S %z}t] "%r" %>s %b', '1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1',
    rec({ ts: T, client: '1.2.3.4', method: 'GET', url: '/', protocol: 'HTTP/1.1', status: 200, bytes: 1 })],
  ['%h [%{%Y-%m-%dT%H:%M:%S%z}t] "%r" %>s %b', '1.2.3.4 [2000-10-10T13:55:36-0700] "GET / HTTP/1.1" 200 1',
    rec({ ts: T, client: '1.2.3.4', method: 'GET', url: '/', protocol: 'HTTP/1.1', status: 200, bytes: 1 })],
  ['%h %l %u %t \\"%r\\" %>s %O %I %{X-Forwarded-For}i %p %P %k %L %X %{UNIQUE_ID}e %{c}a', '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 99 40 - 443 1234 0 - + abc 5.6.7.8',
    rec({ ts: T, client: '5.6.7.8', method: 'GET', url: '/', protocol: 'HTTP/1.1', status: 200, bytes: 99 })],
  // nginx log_format strings: $request_time, $host, $time_iso8601, $msec, $request_method $request_uri, $uri $args.
  ['$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time $host',
    '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua" 0.004 0.003 h.example',
    rec({ ts: T, client: '1.2.3.4', method: 'GET', url: '/', protocol: 'HTTP/1.1', status: 200, bytes: 5, agent: 'ua', vhost: 'h.example', durationMs: 4 })],
  ['$remote_addr $time_iso8601 $request_method $request_uri $server_protocol $status $bytes_sent $server_name', '1.2.3.4 2000-10-10T20:55:36+00:00 GET /a?b HTTP/1.1 200 300 s.example',
    rec({ ts: T, client: '1.2.3.4', method: 'GET', url: '/a', query: 'b', protocol: 'HTTP/1.1', status: 200, bytes: 300, vhost: 's.example' })],
  ['${remote_addr} $msec "$uri" "$args" $status', '1.2.3.4 971211336.123 "/u" "a=1" 201',
    rec({ ts: T + 123, client: '1.2.3.4', url: '/u', query: 'a=1', status: 201 })],
];

test('golden records: every named format, Apache LogFormat strings and nginx log_format strings', () => {
  for (const [format, line, expected] of GOLDEN) {
    const parser = compileLogFormat(format);
    assert.equal(parser.format, format);
    assert.deepEqual(parser.parse(line, 'web1'), expected, `${format}\n${line}`);
  }
});

test('every name in FORMAT_NAMES compiles', () => {
  for (const name of FORMAT_NAMES) assert.equal(compileLogFormat(name).format, name);
});

test('an unknown directive, name or time conversion is LOGS_ERR_FORMAT naming it', () => {
  const cases: [string, RegExp][] = [
    ['%h %t %Z', /unknown Apache directive %Z/],
    ['%h %t %{foo}T', /unknown unit in %\{foo\}T/],
    ['%h %{%d %j}t', /unsupported time conversion %j/],
    ['%h %{Referer', /unclosed %\{/],
    ['%h %t %', /lone %/],
    ['%l %t', /no client address field/],
    ['$remote_addr $status', /no time field/],
    ['combinedd', /unknown format name/],
    ['x'.repeat(5000), /longer than 4096/],
  ];
  for (const [spec, message] of cases) {
    assert.throws(() => compileLogFormat(spec), (e: unknown) => isVigiaError(e, 'LOGS_ERR_FORMAT') && message.test(e.message), spec.slice(0, 40));
  }
});

test('unknown nginx variables are read and ignored, %% is a literal percent', () => {
  const p = compileLogFormat('$remote_addr [$time_local] $ssl_protocol $status 100%%');
  assert.equal((p.parse('1.2.3.4 [10/Oct/2000:13:55:36 -0700] TLSv1.3 200 100%%', 'w') as AccessRecord).status, 200);
  const a = compileLogFormat('%h %t 100%% %>s');
  assert.equal((a.parse('1.2.3.4 [10/Oct/2000:13:55:36 -0700] 100% 200', 'w') as AccessRecord).status, 200);
});

test('a parser is independent of others (its time cache is its own)', () => {
  const a = compileLogFormat('combined');
  const b = compileLogFormat('combined');
  const line = (t: string): string => `1.2.3.4 - - [${t}] "GET / HTTP/1.1" 200 1 "-" "-"`;
  assert.equal((a.parse(line('10/Oct/2000:13:55:36 -0700'), 'w') as AccessRecord).ts, T);
  assert.equal((b.parse(line('10/Oct/2000:13:55:36 +0000'), 'w') as AccessRecord).ts, T - 7 * 3600_000);
  assert.equal((a.parse(line('10/Oct/2000:13:55:37 -0700'), 'w') as AccessRecord).ts, T + 1000);
});
