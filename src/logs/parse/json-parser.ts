/**
 * JSON lines, as nginx writes them with `log_format ... escape=json` (NGINX_JSON_LOG_FORMAT). Keys, first
 * present wins (values may be strings or numbers; `""` and `"-"` mean missing):
 *   ts         time_iso8601 | time_local (`10/Oct/2000:13:55:36 -0700`) | msec (epoch seconds)
 *   client     remote_addr
 *   method, url, query, protocol
 *              request (the request line), else request_method + request_uri (or uri + args) + server_protocol
 *   status     status
 *   bytes      body_bytes_sent | bytes_sent
 *   referrer   http_referer;  agent  http_user_agent;  user  remote_user
 *   vhost      host | server_name | http_host
 *   durationMs request_time (seconds) * 1000
 * Other keys are ignored. A line that is not one JSON object is 'bad-json'.
 */
import type { AccessRecord } from '../record.js';
import type { LineParser, ParseFailure } from './line-parser.js';
import { splitRequest, type RequestParts } from './request-line.js';
import { DEFAULT_MAX_LINE_LENGTH, type ParserOptions } from './text-parser.js';
import { TimeReader, scaledDecimal } from './time-reader.js';

/** A JSON value as text ('' for absent, null, `-`, objects and arrays). */
function text(v: unknown): string {
  if (typeof v === 'string') return v === '-' ? '' : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return '';
}

/** Control characters escape=json wrote as \u00XX, put back as `\xHH` text (as unescape.ts keeps them). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
function safe(v: string): string {
  return v.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The JSON-lines LineParser (format name `json`). */
export class JsonLineParser implements LineParser {
  readonly format = 'json';
  private readonly maxLength: number;
  private readonly time = new TimeReader();
  private readonly parts: RequestParts = { method: '', path: '', query: '', protocol: '' };

  constructor(options: ParserOptions = {}) {
    this.maxLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  }

  /** See LineParser.parse. */
  parse(line: string, server: string): AccessRecord | ParseFailure {
    const n = line.length;
    if (n === 0) return 'empty';
    if (n > this.maxLength) return 'too-long';
    let o: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'bad-json';
      o = v as Record<string, unknown>;
    } catch {
      return 'bad-json';
    }
    // escape=json writes control bytes as \u00XX; only then do values need cleaning.
    const clean = line.includes('\\u00') ? safe : (v: string): string => v;
    const client = clean(text(o.remote_addr));
    if (client === '') return 'missing-field';
    const ts = this.timestamp(o);
    if (typeof ts === 'string') return ts;
    const parts = this.parts;
    const request = clean(text(o.request));
    if (request !== '' || o.request !== undefined) splitRequest(request === '' ? '-' : request, 0, request === '' ? 1 : request.length, parts);
    else {
      const uri = clean(text(o.request_uri));
      const q = uri.indexOf('?');
      parts.method = clean(text(o.request_method));
      parts.path = uri === '' ? clean(text(o.uri)) : q < 0 ? uri : uri.slice(0, q);
      parts.query = uri === '' ? clean(text(o.args)) : q < 0 ? '' : uri.slice(q + 1);
      parts.protocol = clean(text(o.server_protocol));
    }
    const statusText = text(o.status);
    let status = 0;
    if (statusText !== '') {
      status = /^[1-5][0-9][0-9]$/.test(statusText) ? Number(statusText) : -1;
      if (status < 100 || status > 599) return 'bad-status';
    }
    const bytesText = text(o.body_bytes_sent) || text(o.bytes_sent);
    const bytes = bytesText === '' ? 0 : scaledDecimal(bytesText, 0, bytesText.length, 1);
    if (!Number.isInteger(bytes)) return 'bad-number';
    const rt = text(o.request_time);
    const durationMs = rt === '' ? -1 : scaledDecimal(rt, 0, rt.length, 1000);
    if (Number.isNaN(durationMs)) return 'bad-number';
    return {
      ts,
      server,
      client,
      method: parts.method,
      url: parts.path,
      query: parts.query,
      protocol: parts.protocol,
      status,
      bytes,
      referrer: clean(text(o.http_referer)),
      agent: clean(text(o.http_user_agent)),
      vhost: clean(text(o.host) || text(o.server_name) || text(o.http_host)),
      user: clean(text(o.remote_user)),
      durationMs,
    };
  }

  /** The record's time from the first time key present, or the failure. */
  private timestamp(o: Record<string, unknown>): number | ParseFailure {
    const iso = text(o.time_iso8601);
    if (iso !== '') return this.time.iso(iso, 0) === iso.length ? this.time.ts : 'bad-time';
    const local = text(o.time_local);
    if (local !== '') return this.time.clf(local, 0) === local.length ? this.time.ts : 'bad-time';
    const msec = text(o.msec);
    if (msec !== '') return this.time.epoch(msec, 0, msec.length, 1000) === msec.length ? this.time.ts : 'bad-time';
    return 'missing-field';
  }
}
