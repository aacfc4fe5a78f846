/**
 * Splitting an HTTP request line (`GET /a?b=1 HTTP/1.1`) into method, path, query and protocol without
 * building the line as a string first. A line that is not a request (a TLS probe, `-`, an empty string,
 * garbage) becomes method '' with the raw text as path, as the AccessRecord contract says.
 */
import { at } from './chars.js';

/** The four parts of a request line; filled in place by splitRequest (one scratch object per parser). */
export interface RequestParts {
  method: string;
  path: string;
  query: string;
  protocol: string;
}

/** Longest method accepted (WebDAV's `VERSION-CONTROL` is 15). */
const MAX_METHOD = 20;

/** Interned common methods, so the hot path allocates no string for them. */
function method(s: string, p: number, m: number): string {
  switch (m - p) {
    case 3:
      if (at(s, p, 'GET', p + 3)) return 'GET';
      if (at(s, p, 'PUT', p + 3)) return 'PUT';
      break;
    case 4:
      if (at(s, p, 'POST', p + 4)) return 'POST';
      if (at(s, p, 'HEAD', p + 4)) return 'HEAD';
      break;
    case 5:
      if (at(s, p, 'PATCH', p + 5)) return 'PATCH';
      break;
    case 6:
      if (at(s, p, 'DELETE', p + 6)) return 'DELETE';
      break;
    case 7:
      if (at(s, p, 'OPTIONS', p + 7)) return 'OPTIONS';
      break;
  }
  return s.substring(p, m);
}

/** Interned common protocols. */
function protocol(s: string, p: number, e: number): string {
  if (e - p === 8) {
    if (at(s, p, 'HTTP/1.1', p + 8)) return 'HTTP/1.1';
    if (at(s, p, 'HTTP/1.0', p + 8)) return 'HTTP/1.0';
    if (at(s, p, 'HTTP/2.0', p + 8)) return 'HTTP/2.0';
  }
  return s.substring(p, e);
}

/**
 * Split the request line in [p, e) of s into `out`. A request is `METHOD SP target [SP HTTP/x]` with METHOD
 * of A-Z and `-`; the target's query starts at its first `?`. Anything else is not a request.
 */
export function splitRequest(s: string, p: number, e: number, out: RequestParts): void {
  let m = p;
  while (m < e && m - p <= MAX_METHOD) {
    const c = s.charCodeAt(m);
    if (c === 32) break;
    if ((c < 65 || c > 90) && c !== 45) {
      m = -1;
      break;
    }
    m++;
  }
  if (m > p && m < e && s.charCodeAt(m) === 32 && m + 1 < e) {
    let last = e - 1;
    while (last > m && s.charCodeAt(last) !== 32) last--;
    let targetEnd = -1;
    let proto = '';
    if (last > m + 1 && at(s, last + 1, 'HTTP/', e)) {
      targetEnd = last;
      proto = protocol(s, last + 1, e);
    } else if (last === m) {
      targetEnd = e; // HTTP/0.9 style: `GET /`
    }
    if (targetEnd > m + 1) {
      out.method = method(s, p, m);
      out.protocol = proto;
      // A bounded scan: indexOf would run on past the line (into the rest of a chunk) when there is no '?'.
      let q = m + 1;
      while (q < targetEnd && s.charCodeAt(q) !== 63) q++;
      if (q < targetEnd) {
        out.path = s.substring(m + 1, q);
        out.query = s.substring(q + 1, targetEnd);
      } else {
        out.path = s.substring(m + 1, targetEnd);
        out.query = '';
      }
      return;
    }
  }
  out.method = '';
  out.path = s.substring(p, e);
  out.query = '';
  out.protocol = '';
}
