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
  const c0 = s.charCodeAt(p);
  switch (m - p) {
    case 3:
      if (c0 === 71 && s.charCodeAt(p + 1) === 69 && s.charCodeAt(p + 2) === 84) return 'GET';
      if (c0 === 80 && s.charCodeAt(p + 1) === 85 && s.charCodeAt(p + 2) === 84) return 'PUT';
      break;
    case 4:
      if (c0 === 80 && at(s, p, 'POST', m)) return 'POST';
      if (c0 === 72 && at(s, p, 'HEAD', m)) return 'HEAD';
      break;
    case 5:
      if (at(s, p, 'PATCH', m)) return 'PATCH';
      break;
    case 6:
      if (at(s, p, 'DELETE', m)) return 'DELETE';
      break;
    case 7:
      if (at(s, p, 'OPTIONS', m)) return 'OPTIONS';
      break;
  }
  return s.substring(p, m);
}

/** Interned common protocols; [p, e) is known to start with `HTTP/`. */
function protocol(s: string, p: number, e: number): string {
  if (e - p === 8 && s.charCodeAt(p + 6) === 46) {
    const major = s.charCodeAt(p + 5);
    const minor = s.charCodeAt(p + 7);
    if (major === 49 && minor === 49) return 'HTTP/1.1';
    if (major === 49 && minor === 48) return 'HTTP/1.0';
    if (major === 50 && minor === 48) return 'HTTP/2.0';
  }
  return s.substring(p, e);
}

/** True when `HTTP/` is at p, ending by e. */
function http(s: string, p: number, e: number): boolean {
  return p + 5 <= e && s.charCodeAt(p) === 72 && s.charCodeAt(p + 1) === 84 && s.charCodeAt(p + 2) === 84 && s.charCodeAt(p + 3) === 80 && s.charCodeAt(p + 4) === 47;
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
    if (last > m + 1 && http(s, last + 1, e)) {
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
