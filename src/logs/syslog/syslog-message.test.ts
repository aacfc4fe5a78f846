import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSyslog } from './syslog-message.js';

const LINE = '203.0.113.7 - - [07/Dec/2026:03:04:05 +0100] "GET /a?b=1 HTTP/1.1" 200 512 "-" "curl/8.5.0"';
const V6 = '2001:db8::1 - - [07/Dec/2026:03:04:05 +0000] "GET / HTTP/1.1" 404 0 "-" "-"';

// Each sender's bytes as captured from the real program (tcpdump/`nc -lu`), the access-log line swapped for LINE.
const CASES: readonly { what: string; text: string; want: { rfc: 3164 | 5424; hostname: string; app: string; msg: string; facility: number; severity: number } | string }[] = [
  { what: 'nginx access_log syslog:server=... (local7, info)', text: `<190>Dec  7 03:04:05 web-0001 nginx: ${LINE}`, want: { rfc: 3164, hostname: 'web-0001', app: 'nginx', msg: LINE, facility: 23, severity: 6 } },
  { what: 'nginx with tag=www and a two-digit day', text: `<190>Dec 17 03:04:05 web-0001 www: ${LINE}`, want: { rfc: 3164, hostname: 'web-0001', app: 'www', msg: LINE, facility: 23, severity: 6 } },
  { what: 'nginx nohostname', text: `<190>Dec  7 03:04:05 nginx: ${LINE}`, want: { rfc: 3164, hostname: '', app: 'nginx', msg: LINE, facility: 23, severity: 6 } },
  { what: 'nginx, IPv6 client first in the message', text: `<190>Dec  7 03:04:05 web-0001 nginx: ${V6}`, want: { rfc: 3164, hostname: 'web-0001', app: 'nginx', msg: V6, facility: 23, severity: 6 } },
  { what: 'Apache piped to logger --rfc3164 -t apache (user.notice)', text: `<13>Dec  7 03:04:05 web-0002 apache[812]: ${LINE}`, want: { rfc: 3164, hostname: 'web-0002', app: 'apache', msg: LINE, facility: 1, severity: 5 } },
  { what: 'logger --rfc5424 (util-linux default on the network)', text: `<13>1 2026-12-07T03:04:05.123456+01:00 web-0002 apache 812 - [timeQuality tzKnown="1" isSynced="1" syncAccuracy="74000"] ${LINE}`, want: { rfc: 5424, hostname: 'web-0002', app: 'apache', msg: LINE, facility: 1, severity: 5 } },
  { what: 'rsyslog RSYSLOG_SyslogProtocol23Format from imfile', text: `<134>1 2026-12-07T03:04:05.000+00:00 web-0003 access - - - ${LINE}\n`, want: { rfc: 5424, hostname: 'web-0003', app: 'access', msg: LINE, facility: 16, severity: 6 } },
  { what: 'rsyslog RSYSLOG_ForwardFormat (3164 layout, RFC 3339 time)', text: `<134>2026-12-07T03:04:05.000000+00:00 web-0004 access: ${LINE}`, want: { rfc: 3164, hostname: 'web-0004', app: 'access', msg: LINE, facility: 16, severity: 6 } },
  { what: 'rsyslog RSYSLOG_TraditionalForwardFormat', text: `<134>Dec  7 03:04:05 web-0004 access: ${LINE}`, want: { rfc: 3164, hostname: 'web-0004', app: 'access', msg: LINE, facility: 16, severity: 6 } },
  { what: 'syslog-ng syslog() driver, SD with escapes, BOM before MSG', text: `<134>1 2026-12-07T03:04:05+00:00 web-0005 nginx - - [meta@1 x="a\\"b]c\\\\"][b@2 y="z"] \uFEFF${LINE}`, want: { rfc: 5424, hostname: 'web-0005', app: 'nginx', msg: LINE, facility: 16, severity: 6 } },
  { what: 'RFC 5424 with every nil field', text: `<14>1 - - - - - - ${LINE}`, want: { rfc: 5424, hostname: '', app: '', msg: LINE, facility: 1, severity: 6 } },
  { what: 'RFC 5424 without MSG', text: '<14>1 2026-12-07T03:04:05Z h a p m -', want: { rfc: 5424, hostname: 'h', app: 'a', msg: '', facility: 1, severity: 6 } },
  { what: 'syslog-ng traditional with a year', text: `<134>Dec  7 2026 03:04:05 web-0006 nginx: ${LINE}`, want: { rfc: 3164, hostname: 'web-0006', app: 'nginx', msg: LINE, facility: 16, severity: 6 } },
  { what: 'a bare line with a PRI only (no time, no host)', text: `<13>${LINE}`, want: { rfc: 3164, hostname: '', app: '', msg: LINE, facility: 1, severity: 5 } },
  { what: 'CRLF and NUL terminators stripped', text: `<190>Dec  7 03:04:05 web-0001 nginx: ${LINE}\r\n\0`, want: { rfc: 3164, hostname: 'web-0001', app: 'nginx', msg: LINE, facility: 23, severity: 6 } },
  { what: 'no PRI', text: LINE, want: 'no-pri' },
  { what: 'PRI out of range', text: `<192>Dec  7 03:04:05 h t: x`, want: 'no-pri' },
  { what: 'empty', text: '\n', want: 'empty' },
  { what: '5424 with a missing field', text: '<14>1 2026-12-07T03:04:05Z h', want: 'bad-header' },
  { what: '5424 with an unterminated SD', text: '<14>1 2026-12-07T03:04:05Z h a p m [x y="1', want: 'bad-header' },
  { what: '3164 month without a valid time', text: '<14>Dec 7 3:4:5 h t: x', want: 'bad-header' },
];

for (const c of CASES) {
  test(`parseSyslog: ${c.what}`, () => {
    assert.deepEqual(parseSyslog(c.text), c.want);
  });
}
