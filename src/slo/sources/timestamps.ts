/**
 * Timestamp parsing for the record sources: ISO 8601 (`2025-03-01T12:00:00Z`, `2025-03-01 12:00:00`,
 * with or without a fraction and an offset `Z` / `±HH` / `±HHMM` / `±HH:MM`), a bare date
 * (`2025-03-01`, midnight) and epoch seconds (`1740830400`, `1740830400.25`). A time written
 * without an offset is wall time in the parser's time zone. Results are epoch milliseconds, or null
 * when the text is not a valid timestamp (never NaN, never a silently rolled-over date).
 *
 * Request logs hold tens of millions of timestamps that are mostly in time order, so the parser
 * works on bytes (no string per row) and caches the epoch of the last "YYYY-MM-DDTHH:MM" prefix:
 * a row in the same minute as the one before costs a 16-byte compare and two or three digit pairs.
 */
import { zonedInstant } from '../budget/time-window.js';

/** A timestamp parser bound to the time zone used for naive (offset-less) times. */
export interface TimestampParser {
  /** Epoch ms of `text`, or null. */
  parse(text: string): number | null;
  /** Epoch ms of the ASCII bytes `bytes[start, end)`, or null. Leading/trailing spaces are ignored. */
  parseBytes(bytes: Uint8Array, start: number, end: number): number | null;
}

const D0 = 0x30;
const SPACE = 0x20;
const TAB = 0x09;
const MINUTE_MS = 60_000;
/** Epoch seconds beyond this (year 5138) are almost surely milliseconds or garbage: reported, not guessed. */
const MAX_EPOCH_SECONDS = 1e11;

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Two digits at b[i], b[i+1] as a number, or -1. */
function two(b: Uint8Array, i: number): number {
  const x = (b[i] ?? 0) - D0;
  const y = (b[i + 1] ?? 0) - D0;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

/** Create a parser; `timeZone` (IANA name, default UTC) applies to times without an offset. */
export function createTimestampParser(timeZone = 'UTC'): TimestampParser {
  const utc = timeZone === 'UTC' || timeZone === 'Etc/UTC' || timeZone === 'Z';
  if (!utc) zonedInstant(2000, 1, 1, 0, 0, 0, timeZone); // throws VIGIA_ERR_CONFIG for an unknown zone
  // Cache of the last minute prefix (16 bytes, 'T' or space at index 10 normalised to 'T').
  const cachedPrefix = new Uint8Array(16);
  let cacheValid = false;
  let cachedUtcMinute = 0; // the prefix read as UTC
  let cachedZonedMinute = 0; // the prefix read as wall time in timeZone

  function minuteEpoch(b: Uint8Array, s: number): boolean {
    // Compare with the cache first: the common case for time-ordered logs.
    if (cacheValid) {
      let same = true;
      for (let k = 0; k < 16; k++) {
        let c = b[s + k]!;
        if (k === 10 && (c === SPACE || c === 0x74)) c = 0x54;
        if (c !== cachedPrefix[k]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    if (b[s + 4] !== 0x2d || b[s + 7] !== 0x2d || b[s + 13] !== 0x3a) return false;
    const sep = b[s + 10];
    if (sep !== 0x54 && sep !== SPACE && sep !== 0x74) return false;
    const yHi = two(b, s);
    const yLo = two(b, s + 2);
    const mo = two(b, s + 5);
    const d = two(b, s + 8);
    const h = two(b, s + 11);
    const mi = two(b, s + 14);
    if (yHi < 0 || yLo < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59) return false;
    const y = yHi * 100 + yLo;
    if (d > daysInMonth(y, mo)) return false;
    // Date.UTC maps years 0-99 to 1900+; setUTCFullYear does not.
    const dt = new Date(Date.UTC(2000, mo - 1, d, h, mi));
    dt.setUTCFullYear(y);
    cachedUtcMinute = dt.getTime();
    cachedZonedMinute = utc ? cachedUtcMinute : zonedInstant(y, mo, d, h, mi, 0, timeZone);
    for (let k = 0; k < 16; k++) cachedPrefix[k] = b[s + k]!;
    cachedPrefix[10] = 0x54;
    cacheValid = true;
    return true;
  }

  function parseEpochSeconds(b: Uint8Array, s: number, e: number): number | null {
    let i = s;
    let neg = false;
    if (b[i] === 0x2d) {
      neg = true;
      i++;
    }
    let whole = 0;
    let digits = 0;
    while (i < e && isDigit(b[i])) {
      whole = whole * 10 + (b[i]! - D0);
      digits++;
      i++;
    }
    if (digits === 0) return null;
    let ms = 0;
    if (i < e && b[i] === 0x2e) {
      i++;
      let scale = 100;
      let fd = 0;
      while (i < e && isDigit(b[i])) {
        ms += (b[i]! - D0) * scale; // truncated to whole ms
        scale /= 10;
        fd++;
        i++;
      }
      if (fd === 0) return null;
      ms = Math.floor(ms);
    }
    if (i !== e || whole > MAX_EPOCH_SECONDS) return null;
    const v = whole * 1000 + ms;
    return neg ? -v : v;
  }

  function parseBytes(b: Uint8Array, start: number, end: number): number | null {
    let s = start;
    let e = end;
    while (s < e && (b[s] === SPACE || b[s] === TAB)) s++;
    while (e > s && (b[e - 1] === SPACE || b[e - 1] === TAB)) e--;
    const n = e - s;
    if (n === 0) return null;
    if (n >= 5 && b[s + 4] === 0x2d) {
      if (n === 10) {
        // Bare date: midnight.
        const yHi = two(b, s);
        const yLo = two(b, s + 2);
        const mo = two(b, s + 5);
        const d = two(b, s + 8);
        if (b[s + 7] !== 0x2d || yHi < 0 || yLo < 0 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(yHi * 100 + yLo, mo)) return null;
        const y = yHi * 100 + yLo;
        if (utc) {
          const dt = new Date(Date.UTC(2000, mo - 1, d));
          dt.setUTCFullYear(y);
          return dt.getTime();
        }
        return zonedInstant(y, mo, d, 0, 0, 0, timeZone);
      }
      if (n < 16 || !minuteEpoch(b, s)) return null;
      let i = s + 16;
      let ms = 0;
      if (i < e && b[i] === 0x3a) {
        const sec = two(b, i + 1);
        if (sec < 0 || sec > 59) return null;
        ms = sec * 1000;
        i += 3;
        if (i < e && (b[i] === 0x2e || b[i] === 0x2c)) {
          i++;
          let scale = 100;
          let fd = 0;
          while (i < e && isDigit(b[i])) {
            ms += (b[i]! - D0) * scale;
            scale /= 10;
            fd++;
            i++;
          }
          if (fd === 0) return null;
          ms = Math.floor(ms);
        }
      }
      if (i === e) return cachedZonedMinute + ms;
      const c = b[i];
      if ((c === 0x5a || c === 0x7a) && i + 1 === e) return cachedUtcMinute + ms;
      if (c === 0x2b || c === 0x2d) {
        const oh = two(b, i + 1);
        if (oh < 0 || oh > 23) return null;
        let om = 0;
        const rest = e - (i + 3);
        if (rest === 3 && b[i + 3] === 0x3a) om = two(b, i + 4);
        else if (rest === 2) om = two(b, i + 3);
        else if (rest !== 0) return null;
        if (om < 0 || om > 59) return null;
        const off = (oh * 60 + om) * MINUTE_MS;
        return cachedUtcMinute + ms - (c === 0x2b ? off : -off);
      }
      return null;
    }
    return parseEpochSeconds(b, s, e);
  }

  return {
    parseBytes,
    parse(text: string): number | null {
      // UTF-8: a non-ASCII character becomes bytes >= 0x80, which never pass as digits or separators.
      const b = Buffer.from(text, 'utf8');
      return parseBytes(b, 0, b.length);
    },
  };
}

/** One-off parse (builds a parser: use createTimestampParser in loops). */
export function parseTimestamp(text: string, timeZone = 'UTC'): number | null {
  return createTimestampParser(timeZone).parse(text);
}
