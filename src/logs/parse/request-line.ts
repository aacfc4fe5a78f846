/**
 * Splitting an HTTP request line (`GET /a?b=1 HTTP/1.1`) into method, path, query and protocol without
 * building the line as a string first. A line that is not a request (a TLS probe, `-`, an empty string,
 * garbage) becomes method '' with the raw text as path, as the AccessRecord contract says.
 */

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
      if (s.startsWith('GET', p)) return 'GET';
      if (s.startsWith('PUT', p)) return 'PUT';
      break;
    case 4:
      if (s.startsWith('POST', p)) return 'POST';
      if (s.startsWith('HEAD', p)) return 'HEAD';
      break;
    case 5:
      if (s.startsWith('PATCH', p)) return 'PATCH';
      break;
    case 6:
      if (s.startsWith('DELETE', p)) return 'DELETE';
      break;
    case 7:
      if (s.startsWith('OPTIONS', p)) return 'OPTIONS';
      break;
  }
  return s.substring(p, m);
}

/** Interned common protocols. */
function protocol(s: string, p: number, e: number): string {
  if (e - p === 8) {
    if (s.startsWith('HTTP/1.1', p)) return 'HTTP/1.1';
    if (s.startsWith('HTTP/1.0', p)) return 'HTTP/1.0';
    if (s.startsWith('HTTP/2.0', p)) return 'HTTP/2.0';
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
    const last = s.lastIndexOf(' ', e - 1);
    let targetEnd = -1;
    let proto = '';
    if (last > m + 1 && s.startsWith('HTTP/', last + 1)) {
      targetEnd = last;
      proto = protocol(s, last + 1, e);
    } else if (last === m) {
      targetEnd = e; // HTTP/0.9 style: `GET /`
    }
    if (targetEnd > m + 1) {
      out.method = method(s, p, m);
      out.protocol = proto;
      const q = s.indexOf('?', m + 1);
      if (q >= 0 && q < targetEnd) {
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
