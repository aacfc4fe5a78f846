/**
 * The one interpreter of compiled text formats (format-steps.ts): a hand-written scanner over charCodeAt,
 * indexOf and startsWith, no regular expression per line, substrings only for the values a record keeps,
 * interned methods and protocols, and a per-minute time cache (time-reader.ts). Escapes are decoded only
 * in fields that hold a backslash (one indexOf per line finds the first).
 */
import type { AccessRecord } from '../record.js';
import type { LineParser, ParseFailure } from './line-parser.js';
import { FIELD, type FormatStep } from './format-steps.js';
import { splitRequest, type RequestParts } from './request-line.js';
import { TimeReader, scaledDecimal } from './time-reader.js';
import { unescapeField } from './unescape.js';
import { atCodes, codesOf } from './chars.js';
import { dash, integer, quotedEnd } from './scan.js';

// Module-local copies of the FIELD kinds: the hot loop compares against plain constants (an imported
// binding compiles to a getter call per access under tsx: the profile showed it as a quarter of parse time).
const K_agent = FIELD.agent;
const K_args = FIELD.args;
const K_bytes = FIELD.bytes;
const K_bytesSent = FIELD.bytesSent;
const K_client = FIELD.client;
const K_durationMs = FIELD.durationMs;
const K_durationSec = FIELD.durationSec;
const K_durationUs = FIELD.durationUs;
const K_hostHeader = FIELD.hostHeader;
const K_method = FIELD.method;
const K_path = FIELD.path;
const K_pathAndQuery = FIELD.pathAndQuery;
const K_protocol = FIELD.protocol;
const K_queryWithMark = FIELD.queryWithMark;
const K_referrer = FIELD.referrer;
const K_request = FIELD.request;
const K_skip = FIELD.skip;
const K_status = FIELD.status;
const K_timeClf = FIELD.timeClf;
const K_timeIso = FIELD.timeIso;
const K_timeMsec = FIELD.timeMsec;
const K_timeSec = FIELD.timeSec;
const K_timeStrftime = FIELD.timeStrftime;
const K_timeUsec = FIELD.timeUsec;
const K_user = FIELD.user;
const K_vhost = FIELD.vhost;

/** Default cap on a line's length (UTF-16 units, i.e. characters): longer lines are 'too-long'. */
export const DEFAULT_MAX_LINE_LENGTH = 16 * 1024;

/** Options of a compiled parser. */
export interface ParserOptions {
  /** Lines longer than this are rejected as 'too-long' (default DEFAULT_MAX_LINE_LENGTH). */
  readonly maxLineLength?: number;
}

/** A step with its stop character resolved at construction (what ends an unquoted field). */
interface RunStep extends FormatStep {
  /**
   * The character code ending an unquoted field: the next literal's first; -1 (end of line) for a last
   * field with no literal after it; `?` for a path directly followed by its query (`%U%q`).
   */
  readonly stopCode: number;
  /** A second stop (a space for `%U%q`, else stopCode again). */
  readonly stopCode2: number;
  /** The literal before this field, as character codes. */
  readonly literalCodes: Int32Array;
  /** The literal after this field (for checking a quoted field's closing quote), as character codes. */
  readonly after: Int32Array;
  /** True when `after` is the format's final literal (then it must end the line or be followed by a space). */
  readonly afterIsLast: boolean;
}

/** A LineParser running compiled steps. */
export class TextLineParser implements LineParser {
  readonly format: string;
  private readonly steps: readonly RunStep[];
  private readonly maxLength: number;
  private readonly time = new TimeReader();
  private readonly parts: RequestParts = { method: '', path: '', query: '', protocol: '' };
  /** The next backslash of the text being parsed (-1: none left; -2: not searched yet). */
  private backslash = -2;

  constructor(format: string, steps: readonly FormatStep[], options: ParserOptions = {}) {
    this.format = format;
    this.maxLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    this.steps = steps.map((st, i) => {
      const next = steps[i + 1];
      const after = next?.literal ?? '';
      const pathThenQuery = after === '' && next?.kind === K_queryWithMark;
      const stopCode = after.length > 0 ? after.charCodeAt(0) : pathThenQuery ? 63 : next?.last === true ? -1 : 32;
      return { ...st, literalCodes: codesOf(st.literal), after: codesOf(after), afterIsLast: next?.last === true, stopCode, stopCode2: pathThenQuery ? 32 : stopCode };
    });
  }

  /** See LineParser.parse. */
  parse(line: string, server: string): AccessRecord | ParseFailure {
    this.beginText();
    return this.parseRange(line, 0, line.length, server);
  }

  /** Starts a new text for parseRange (its ranges must then come in increasing order). */
  beginText(): void {
    this.backslash = -2;
  }

  /** Position of the first backslash at or after p in the current text (one forward scan per chunk), or -1. */
  private backslashFrom(s: string, p: number): number {
    if (this.backslash !== -1 && this.backslash < p) this.backslash = s.indexOf('\\', p);
    return this.backslash;
  }

  /**
   * Parses the line text[start, end) (no LF in it) as parse() would parse that substring. parseChunk calls
   * this on the whole chunk so no line is copied out (measured: one allocation fewer per line). Call
   * beginText() before the first range of a text; ranges then come in increasing order.
   */
  parseRange(line: string, start: number, n: number, server: string): AccessRecord | ParseFailure {
    if (n === start) return 'empty';
    if (n - start > this.maxLength) return 'too-long';
    const steps = this.steps;
    const time = this.time;
    let p = start;
    let ts = NaN;
    let client = '', user = '', method = '', path = '', query = '', protocol = '';
    let referrer = '', agent = '', vhost = '', hostHeader = '';
    let status = 0, bytes = -1, bytesSent = -1, durationMs = -1;
    for (let i = 0; ; i++) {
      const st = steps[i]!;
      const lit = st.literalCodes;
      if (lit.length !== 0) {
        if (!atCodes(line, p, lit, n)) return 'missing-field';
        p += lit.length;
      }
      if (st.last) break;
      const kind = st.kind;
      if (kind === K_timeClf || kind === K_timeIso || kind === K_timeStrftime) {
        p = kind === K_timeClf ? time.clf(line, p, n) : kind === K_timeIso ? time.iso(line, p, n) : time.strftime(line, p, st.pattern, n);
        if (p < 0) return 'bad-time';
        ts = time.ts;
        continue;
      }
      const s = p;
      let e: number;
      const backslash = this.backslashFrom(line, s);
      if (st.quoted) {
        e = quotedEnd(line, s, n, backslash, st.after, st.afterIsLast);
        if (e < 0) return 'unterminated-quote';
      } else {
        // Unquoted fields are short (an address, a number): a loop beats an indexOf call.
        const stop = st.stopCode;
        const stop2 = st.stopCode2;
        e = s;
        for (; e < n; e++) {
          const c = line.charCodeAt(e);
          if (c === stop || c === stop2) break;
        }
      }
      p = e;
      const esc = backslash >= 0 && backslash < e;
      switch (kind) {
        case K_skip:
          break;
        case K_client:
          if (e - s > 2 && line.charCodeAt(s) === 91 && line.charCodeAt(e - 1) === 93) client = line.substring(s + 1, e - 1);
          else if (s < e && !dash(line, s, e)) client = line.substring(s, e);
          else return 'missing-field';
          break;
        case K_request:
          if (esc) {
            const text = unescapeField(line, s, e);
            splitRequest(text, 0, text.length, this.parts);
            // Not a request (a TLS probe): keep the text exactly as logged, escapes and all.
            if (this.parts.method === '') this.parts.path = line.substring(s, e);
          } else splitRequest(line, s, e, this.parts);
          method = this.parts.method;
          path = this.parts.path;
          query = this.parts.query;
          protocol = this.parts.protocol;
          break;
        case K_status:
          if (dash(line, s, e)) status = 0;
          else {
            status = e - s === 3 ? integer(line, s, e) : -1;
            if (status < 100 || status > 599) return 'bad-status';
          }
          break;
        case K_bytes:
        case K_bytesSent: {
          const v = dash(line, s, e) ? 0 : integer(line, s, e);
          if (v < 0) return 'bad-number';
          if (kind === K_bytes) bytes = v;
          else bytesSent = v;
          break;
        }
        case K_durationUs:
        case K_durationMs:
        case K_durationSec:
          if (!dash(line, s, e)) {
            durationMs = scaledDecimal(line, s, e, kind === K_durationUs ? 0.001 : kind === K_durationMs ? 1 : 1000);
            if (Number.isNaN(durationMs)) return 'bad-number';
          }
          break;
        case K_timeSec:
        case K_timeMsec:
        case K_timeUsec:
          if (time.epoch(line, s, e, kind === K_timeSec ? 1000 : kind === K_timeMsec ? 1 : 0.001) < 0) return 'bad-time';
          ts = time.ts;
          break;
        default: {
          const v = dash(line, s, e) || s === e ? '' : esc ? unescapeField(line, s, e) : line.substring(s, e);
          switch (kind) {
            case K_user: user = v; break;
            case K_referrer: referrer = v; break;
            case K_agent: agent = v; break;
            case K_vhost: vhost = v; break;
            case K_hostHeader: hostHeader = v; break;
            case K_method: method = v; break;
            case K_protocol: protocol = v; break;
            case K_path: path = v; break;
            case K_queryWithMark: query = v.charCodeAt(0) === 63 ? v.substring(1) : v; break;
            case K_args: query = v; break;
            case K_pathAndQuery: {
              const q = v.indexOf('?');
              path = q < 0 ? v : v.substring(0, q);
              query = q < 0 ? '' : v.substring(q + 1);
              break;
            }
          }
        }
      }
    }
    if (p < n && line.charCodeAt(p) !== 32) return 'trailing-garbage';
    if (Number.isNaN(ts)) return 'bad-time';
    return {
      ts,
      server,
      client,
      method,
      url: path,
      query,
      protocol,
      status,
      bytes: bytes >= 0 ? bytes : bytesSent >= 0 ? bytesSent : 0,
      referrer,
      agent,
      vhost: vhost !== '' ? vhost : hostHeader,
      user,
      durationMs,
    };
  }
}
