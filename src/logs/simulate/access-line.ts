/**
 * Renders one simulated request as an access-log line, the way Apache (`LogFormat ... combined`) or nginx
 * (`log_format combined`) writes it, with each server's own escaping and empty-value habits:
 *
 *   Apache  `"` -> `\"`, `\` -> `\\`, other bytes outside 0x20-0x7e -> `\xhh`; 0 bytes sent -> `-`;
 *           a request without a request line -> `"-"`.
 *   nginx   `"`, `\` and bytes outside 0x20-0x7e -> `\xHH`; 0 bytes sent -> `0`; no request line -> `""`.
 *
 * Pure; strings hold bytes as code points 0-255 (latin1), as a TLS probe arrives on a plain-HTTP port.
 */

/** The line formats the simulator writes. */
export type SimFormat = 'combined' | 'common' | 'vhost_combined';

/** Every SimFormat, for flag validation and --help. */
export const SIM_FORMATS: readonly SimFormat[] = Object.freeze(['combined', 'common', 'vhost_combined']);

/** Which web server's habits a node's lines follow. */
export type Flavour = 'apache' | 'nginx';

/** One request as the web server logged it; '' means the server logged `-`. */
export interface SimRequest {
  readonly ts: number;
  readonly client: string;
  readonly user: string;
  /** The raw request line (bytes as latin1 code points); null when the client sent none. */
  readonly request: string | null;
  readonly status: number;
  readonly bytes: number;
  readonly referrer: string;
  readonly agent: string;
  readonly vhost: string;
  readonly port: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// Every character either server escapes; tested first so most fields are copied as they are.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** Escape a quoted field's content as `flavour` does. */
export function escapeField(text: string, flavour: Flavour): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (flavour === 'apache' && c === 0x22) out += '\\"';
    else if (flavour === 'apache' && c === 0x5c) out += '\\\\';
    else if (c === 0x22 || c === 0x5c || c < 0x20 || c > 0x7e) {
      const hex = (c & 0xff).toString(16).padStart(2, '0');
      out += `\\x${flavour === 'nginx' ? hex.toUpperCase() : hex}`;
    } else out += text[i];
  }
  return out;
}

/** A line renderer for one node; it caches the formatted second (lines arrive many per second). */
export interface LineFormatter {
  readonly format: SimFormat;
  readonly flavour: Flavour;
  /** The `[10/Oct/2000:13:55:36 -0700]` field (with brackets) for `ts` in this node's offset. */
  time(ts: number): string;
  line(r: SimRequest): string;
}

/** A formatter for `format` with `flavour`'s habits, writing times at UTC offset `offsetMinutes`. */
export function lineFormatter(format: SimFormat, flavour: Flavour, offsetMinutes: number): LineFormatter {
  if (format === 'vhost_combined' && flavour !== 'apache') throw new RangeError('vhost_combined is an Apache format');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const zone = `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
  let cachedSecond = NaN;
  let cached = '';
  const time = (ts: number): string => {
    const second = Math.floor(ts / 1000);
    if (second !== cachedSecond) {
      const d = new Date(second * 1000 + offsetMinutes * 60_000);
      cached = `[${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${zone}]`;
      cachedSecond = second;
    }
    return cached;
  };
  const dash = (s: string): string => (s === '' ? '-' : escapeField(s, flavour));
  const noBytes = flavour === 'apache' ? '-' : '0';
  const noRequest = flavour === 'apache' ? '-' : '';
  return {
    format,
    flavour,
    time,
    line(r: SimRequest): string {
      const request = r.request === null ? noRequest : escapeField(r.request, flavour);
      const head = `${r.client} - ${r.user === '' ? '-' : r.user} ${time(r.ts)} "${request}" ${r.status} ${r.bytes === 0 ? noBytes : r.bytes}`;
      if (format === 'common') return head;
      const tail = `${head} "${dash(r.referrer)}" "${dash(r.agent)}"`;
      return format === 'vhost_combined' ? `${r.vhost}:${r.port} ${tail}` : tail;
    },
  };
}
