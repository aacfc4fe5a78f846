/**
 * Syslog messages as web servers and relays send them, parsed (pure): RFC 5424 (`<PRI>1 TIMESTAMP
 * HOSTNAME APP PROCID MSGID SD MSG`: rsyslog's RFC5424 templates, syslog-ng's `syslog()` driver,
 * util-linux `logger --rfc5424`) and RFC 3164 (`<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG`: nginx's
 * `access_log syslog:server=...`, rsyslog's and syslog-ng's traditional forwarding, `logger --rfc3164`).
 * The HOSTNAME names the web server; the MSG is one access-log line, parsed afterwards with the
 * collector's `--syslog-log-format`. A message that is not syslog is a failure reason, never an exception.
 */

/** Why a datagram or frame is not a syslog message (the `reason` label of the rejected-messages metric). */
export type SyslogFailure = 'empty' | 'no-pri' | 'bad-header';

/** One syslog message. */
export interface SyslogMessage {
  /** 0-23. */
  readonly facility: number;
  /** 0-7. */
  readonly severity: number;
  /** 5424 or 3164. */
  readonly rfc: 5424 | 3164;
  /** The sending host as the message names it; '' when it names none (nginx `nohostname`, 5424 `-`). */
  readonly hostname: string;
  /** APP-NAME (5424) or TAG without `[pid]` (3164); '' when absent. */
  readonly app: string;
  /** The message text (the access-log line), without a UTF-8 BOM or trailing CR/LF. */
  readonly msg: string;
}

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec';
/**
 * `Mmm dd hh:mm:ss` with a space-padded day (RFC 3164 4.1.2), or zero-padded or unpadded (some senders),
 * optionally with a year before the time (`Dec  7 2026 03:04:05`: Cisco-style, some syslog-ng templates).
 */
const BSD_TIME = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}\d{1,2}( \d{4})? \d\d:\d\d:\d\d /;
/**
 * A 3164 TAG: alphanumerics and a few punctuation characters, optionally `[pid]`, then `:` and a space
 * (or the end): an IPv6 client at the start of the MSG (`2001:db8::1 - - [...`) is not a tag.
 */
const TAG = /^([A-Za-z0-9_./-]{1,48})(\[[^\]\s]{0,32}\])?:(?= |$)/;

/** Parse one message (a datagram's text, or one TCP frame). */
export function parseSyslog(text: string): SyslogMessage | SyslogFailure {
  let s = text;
  while (s.length > 0 && (s.endsWith('\n') || s.endsWith('\r') || s.endsWith('\0'))) s = s.slice(0, -1);
  if (s.length === 0) return 'empty';
  const pri = /^<(\d{1,3})>/.exec(s);
  if (!pri) return 'no-pri';
  const prival = Number(pri[1]);
  if (prival > 191) return 'no-pri';
  const facility = prival >> 3;
  const severity = prival & 7;
  const rest = s.slice(pri[0].length);
  if (/^[1-9]\d{0,2} /.test(rest)) return parse5424(rest.slice(rest.indexOf(' ') + 1), facility, severity);
  return parse3164(rest, facility, severity);
}

function parse5424(s: string, facility: number, severity: number): SyslogMessage | SyslogFailure {
  // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID: five space-separated fields, none of them empty.
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < 5; i++) {
    const sp = s.indexOf(' ', at);
    if (sp <= at) return 'bad-header';
    fields.push(s.slice(at, sp));
    at = sp + 1;
  }
  const sdEnd = structuredDataEnd(s, at);
  if (sdEnd < 0) return 'bad-header';
  let msg = sdEnd >= s.length ? '' : s[sdEnd] === ' ' ? s.slice(sdEnd + 1) : undefined;
  if (msg === undefined) return 'bad-header';
  if (msg.startsWith('\uFEFF')) msg = msg.slice(1);
  const nil = (v: string): string => (v === '-' ? '' : v);
  return { facility, severity, rfc: 5424, hostname: nil(fields[1]!), app: nil(fields[2]!), msg };
}

/** Index just past STRUCTURED-DATA starting at `at` (`-` or `[...]...`, with `\"`, `\\`, `\]` escapes), or -1. */
function structuredDataEnd(s: string, at: number): number {
  if (s[at] === '-') return at + 1;
  let i = at;
  if (s[i] !== '[') return -1;
  while (s[i] === '[') {
    i++;
    let quoted = false;
    for (;;) {
      if (i >= s.length) return -1;
      const c = s[i]!;
      if (quoted && c === '\\') i += 2;
      else {
        if (c === '"') quoted = !quoted;
        else if (c === ']' && !quoted) break;
        i++;
      }
    }
    i++;
  }
  return i;
}

function parse3164(s: string, facility: number, severity: number): SyslogMessage | SyslogFailure {
  let rest = s;
  const time = BSD_TIME.exec(rest);
  if (time) {
    rest = rest.slice(time[0].length);
  } else if (/^\d{4}-\d\d-\d\dT/.test(rest)) {
    // rsyslog's RSYSLOG_ForwardFormat: a 3164 layout with an RFC 3339 time.
    const sp = rest.indexOf(' ');
    if (sp < 0) return 'bad-header';
    rest = rest.slice(sp + 1);
  } else if (MONTHS.includes(rest.slice(0, 3)) && rest[3] === ' ') {
    return 'bad-header';
  }
  // With a time, the next word is HOSTNAME unless it is already the TAG (nginx `nohostname`).
  let hostname = '';
  if (time || rest !== s) {
    const tag = TAG.exec(rest);
    const sp = rest.indexOf(' ');
    if (!tag || sp < tag[0].length) {
      if (sp <= 0) return 'bad-header';
      hostname = rest.slice(0, sp);
      rest = rest.slice(sp + 1);
    }
  }
  let app = '';
  const tag = TAG.exec(rest);
  if (tag) {
    app = tag[1]!;
    rest = rest.slice(tag[0].length);
    if (rest.startsWith(' ')) rest = rest.slice(1);
  }
  if (rest.startsWith('\uFEFF')) rest = rest.slice(1);
  return { facility, severity, rfc: 3164, hostname, app, msg: rest };
}
