/**
 * Log timestamps to ms since the epoch (UTC, the logged offset applied). Lines of one file share their
 * minute, so the reader keeps the last minute it computed (its text and its UTC start) and, on a hit,
 * only reads the seconds: Date.UTC runs once per distinct minute, not once per line.
 * One TimeReader per parser (it holds that cache); every method is otherwise pure.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

import { at, atCodes, codesOf } from './chars.js';

/** Length of `dd/Mon/yyyy:HH:MM:SS +zzzz`. */
export const CLF_TIME_LENGTH = 26;

/** The value of two ASCII digits at i, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** The value of four ASCII digits at i, or -1. */
function four(s: string, i: number): number {
  const a = two(s, i);
  const b = two(s, i + 2);
  return a < 0 || b < 0 ? -1 : a * 100 + b;
}

/** Month index (0-11) of a three-letter English month name at i (case as Apache writes it), or -1. */
function month(s: string, i: number): number {
  for (let m = 0; m < 12; m++) if (at(s, i, MONTHS[m]!, i + 3)) return m;
  return -1;
}

/** Offset in minutes of `+hhmm` / `-hhmm` (colon optional when `colon`), or NaN. */
function zone(s: string, i: number, colon: boolean): number {
  const sign = s.charCodeAt(i);
  if (sign !== 43 && sign !== 45) return NaN;
  const h = two(s, i + 1);
  const m = two(s, colon ? i + 4 : i + 3);
  if (h < 0 || m < 0 || h > 23 || m > 59 || (colon && s.charCodeAt(i + 3) !== 58)) return NaN;
  return (sign === 45 ? -1 : 1) * (h * 60 + m);
}

/** UTC ms of a calendar minute, or NaN when the date does not exist (31 Feb, month 13, hour 24). */
function minuteUtc(y: number, mo: number, d: number, h: number, mi: number, offsetMin: number): number {
  if (y < 0 || mo < 0 || mo > 11 || d < 1 || d > DAYS_IN_MONTH[mo]! || h < 0 || h > 23 || mi < 0 || mi > 59) return NaN;
  if (mo === 1 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return NaN;
  return Date.UTC(y, mo, d, h, mi) - offsetMin * 60_000;
}

/** Parses the time formats of access logs; see the module comment for its cache. */
export class TimeReader {
  /** The last result (ms since the epoch), valid after a method returned a position >= 0. */
  ts = NaN;
  // The cached minute: the text `dd/Mon/yyyy:HH:MM` and the zone `+zzzz` as character codes, and that
  // minute's UTC start.
  private clfMinute: Int32Array = new Int32Array(0);
  private clfZone: Int32Array = new Int32Array(0);
  private clfBase = NaN;
  private isoMinute: Int32Array = new Int32Array(0);
  private isoZone: Int32Array = new Int32Array(0);
  private isoBase = NaN;

  /** Reads `dd/Mon/yyyy:HH:MM:SS +zzzz` at p, ending by `end`; returns the position after it, or -1. */
  clf(s: string, p: number, end: number = s.length): number {
    if (p + CLF_TIME_LENGTH > end) return -1;
    const sec = two(s, p + 18);
    if (sec < 0 || sec > 60 || s.charCodeAt(p + 17) !== 58) return -1;
    if (this.clfMinute.length === 0 || !atCodes(s, p, this.clfMinute, end) || !atCodes(s, p + 21, this.clfZone, end)) {
      if (s.charCodeAt(p + 2) !== 47 || s.charCodeAt(p + 6) !== 47 || s.charCodeAt(p + 11) !== 58 || s.charCodeAt(p + 14) !== 58 || s.charCodeAt(p + 20) !== 32) return -1;
      const base = minuteUtc(four(s, p + 7), month(s, p + 3), two(s, p), two(s, p + 12), two(s, p + 15), zone(s, p + 21, false));
      if (Number.isNaN(base)) return -1;
      this.clfMinute = codesOf(s.substring(p, p + 17));
      this.clfZone = codesOf(s.substring(p + 21, p + 26));
      this.clfBase = base;
    }
    this.ts = this.clfBase + sec * 1000;
    return p + CLF_TIME_LENGTH;
  }

  /** Reads `yyyy-mm-ddTHH:MM:SS` then `+hh:mm`, `-hh:mm` or `Z` at p; returns the position after it, or -1. */
  iso(s: string, p: number, end: number = s.length): number {
    if (p + 20 > end || (s.charCodeAt(p + 19) !== 90 && p + 25 > end)) return -1;
    const sec = two(s, p + 17);
    if (sec < 0 || sec > 60 || s.charCodeAt(p + 16) !== 58) return -1;
    const z = s.charCodeAt(p + 19) === 90; // 'Z'
    const zoneLength = z ? 1 : 6;
    if (this.isoMinute.length === 0 || !atCodes(s, p, this.isoMinute, end) || !atCodes(s, p + 19, this.isoZone, end)) {
      if (s.charCodeAt(p + 4) !== 45 || s.charCodeAt(p + 7) !== 45 || s.charCodeAt(p + 10) !== 84 || s.charCodeAt(p + 13) !== 58) return -1;
      const offset = z ? 0 : zone(s, p + 19, true);
      const base = minuteUtc(four(s, p), two(s, p + 5) - 1, two(s, p + 8), two(s, p + 11), two(s, p + 14), offset);
      if (Number.isNaN(base)) return -1;
      this.isoMinute = codesOf(s.substring(p, p + 16));
      this.isoZone = codesOf(s.substring(p + 19, p + 19 + zoneLength));
      this.isoBase = base;
    }
    this.ts = this.isoBase + sec * 1000;
    return p + 19 + zoneLength;
  }

  /**
   * Reads an epoch number in [p, e) (digits with an optional `.fraction`), scaled to ms by `msPerUnit`
   * (1000 for seconds, 1 for ms, 0.001 for µs). Returns e, or -1.
   */
  epoch(s: string, p: number, e: number, msPerUnit: number): number {
    const v = scaledDecimal(s, p, e, msPerUnit);
    if (Number.isNaN(v)) return -1;
    this.ts = Math.floor(v);
    return e;
  }

  /**
   * Reads a strftime pattern at p (expanded by expandStrftime): %d %e %m %b %y (20yy) %Y %H %M %S %z and
   * literal text, ending by `end`. Without %z the time is taken as UTC (the log carries no offset).
   * Returns the position after it, or -1.
   */
  strftime(s: string, p: number, pattern: string, end: number = s.length): number {
    const r = this.strftimeUnbounded(s, p, pattern);
    return r > end ? -1 : r;
  }

  private strftimeUnbounded(s: string, p: number, pattern: string): number {
    let y = 1970, mo = 0, d = 1, h = 0, mi = 0, sec = 0, off = 0;
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c !== '%') {
        if (s[p] !== c) return -1;
        p++;
        continue;
      }
      const spec = pattern[++i];
      let v = 0;
      switch (spec) {
        case 'd': case 'm': case 'H': case 'M': case 'S': case 'y':
          v = two(s, p);
          if (v < 0) return -1;
          p += 2;
          if (spec === 'd') d = v; else if (spec === 'm') mo = v - 1; else if (spec === 'H') h = v; else if (spec === 'M') mi = v; else if (spec === 'S') sec = v; else y = 2000 + v;
          break;
        case 'e': {
          // %e pads the day with a space: ' 5' or '15'.
          const lead = s.charCodeAt(p) === 32;
          v = lead ? s.charCodeAt(p + 1) - 48 : two(s, p);
          if (v < 0 || (lead && v > 9)) return -1;
          d = v;
          p += 2;
          break;
        }
        case 'Y':
          y = four(s, p);
          if (y < 0) return -1;
          p += 4;
          break;
        case 'b':
          mo = month(s, p);
          if (mo < 0) return -1;
          p += 3;
          break;
        case 'z': {
          const colon = s.charCodeAt(p + 3) === 58;
          off = zone(s, p, colon);
          if (Number.isNaN(off)) return -1;
          p += colon ? 6 : 5;
          break;
        }
        case '%':
          if (s[p] !== '%') return -1;
          p++;
          break;
        default:
          return -1;
      }
    }
    if (sec > 60) return -1;
    const base = minuteUtc(y, mo, d, h, mi, off);
    if (Number.isNaN(base)) return -1;
    this.ts = base + sec * 1000;
    return p;
  }
}

/** The strftime conversions TimeReader.strftime understands, after expandStrftime (compilers reject others). */
export const STRFTIME_CONVERSIONS = 'demHMSyYbz%';

/** Rewrites the composite conversions %T, %F, %D, %R into the simple ones TimeReader.strftime reads. */
export function expandStrftime(pattern: string): string {
  return pattern.replace(/%([TFDR%])/g, (all, c: string) =>
    c === 'T' ? '%H:%M:%S' : c === 'F' ? '%Y-%m-%d' : c === 'D' ? '%m/%d/%y' : c === 'R' ? '%H:%M' : all);
}

/**
 * A non-negative decimal number in [p, e) (`12`, `0.123`; no sign, no exponent) times `unit`, or NaN.
 * The fraction is scaled as an integer (123 * 1000 / 10^3) so `0.123` s is exactly 123 ms.
 */
export function scaledDecimal(s: string, p: number, e: number, unit: number): number {
  if (p >= e) return NaN;
  let whole = 0;
  let i = p;
  for (; i < e; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
  }
  if (i === e) return whole * unit;
  if (s.charCodeAt(i) !== 46 || i + 1 === e || (i === p && i + 1 === e)) return NaN;
  let frac = 0;
  let div = 1;
  for (i++; i < e; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    if (div < 1e9) {
      frac = frac * 10 + c;
      div *= 10;
    }
  }
  return whole * unit + (frac * unit) / div;
}
