/**
 * SLO time windows: rolling (the last N before a moment) and calendar-aligned (OpenSLO's
 * `isRolling: false` with `calendar.startTime` and `timeZone`: a month in Europe/Madrid starts at
 * local midnight on the 1st, whatever the UTC offset, and DST days are 23 or 25 hours long).
 * Windows are half-open [start, end) in epoch ms. Pure: no clock, no I/O.
 */
import { VigiaError } from '../../core/errors.js';

/** OpenSLO duration units: minutes, hours, days, weeks, months, quarters, years. */
export type WindowUnit = 'm' | 'h' | 'd' | 'w' | 'M' | 'Q' | 'Y';

/** A parsed OpenSLO window duration such as `28d` or `1M`. */
export interface WindowDuration {
  readonly count: number;
  readonly unit: WindowUnit;
}

/** A time window, half-open. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/** Parse an OpenSLO window duration (`30d`, `4w`, `1M`, `1Q`, `1Y`); throws VIGIA_ERR_CONFIG naming the field. */
export function parseWindowDuration(text: string, field: string): WindowDuration {
  const m = /^([1-9][0-9]{0,4})([mhdwMQY])$/.exec(text);
  if (!m) throw new VigiaError('VIGIA_ERR_CONFIG', `${field}: "${text.slice(0, 40)}" is not a window such as 30d, 4w, 1M, 1Q or 1Y`);
  return { count: Number(m[1]), unit: m[2] as WindowUnit };
}

const FIXED_MS: Partial<Record<WindowUnit, number>> = { m: 60_000, h: 3_600_000 };

/** Wall-clock fields of an instant in a time zone. */
interface Wall {
  y: number;
  mo: number; // 1-12
  d: number;
  h: number;
  mi: number;
  s: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    } catch {
      throw new VigiaError('VIGIA_ERR_CONFIG', `unknown time zone ${JSON.stringify(timeZone)}`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock of `at` in `timeZone`. */
export function wallClock(at: number, timeZone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year!, mo: parts.month!, d: parts.day!, h: parts.hour!, mi: parts.minute!, s: parts.second! };
}

/** Offset (ms) of `timeZone` from UTC at instant `at`. */
function offsetAt(at: number, timeZone: string): number {
  const w = wallClock(at, timeZone);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(at / 1000) * 1000;
}

/**
 * The instant of a local wall time in `timeZone` (months and days may overflow: month 13 is next
 * January). A wall time skipped by a DST jump maps to the instant after the jump; an ambiguous one
 * (the repeated hour) to its first occurrence.
 */
export function zonedInstant(y: number, mo: number, d: number, h: number, mi: number, s: number, timeZone: string): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi, s);
  const off1 = offsetAt(guess - 86_400_000 / 2, timeZone);
  const off2 = offsetAt(guess + 86_400_000 / 2, timeZone);
  // Try both offsets around the guess; keep the earliest candidate whose wall clock matches.
  const candidates = [guess - off1, guess - off2].sort((a, b) => a - b);
  for (const c of candidates) if (offsetAt(c, timeZone) === guess - c) return c;
  // Skipped wall time (spring forward): the instant after the jump.
  return guess - Math.min(off1, off2);
}

/** The rolling window ending at `at`. */
export function rollingWindow(at: number, dur: WindowDuration): TimeWindow {
  const fixed = FIXED_MS[dur.unit];
  if (fixed) return { start: at - dur.count * fixed, end: at };
  const day = 86_400_000;
  const days = dur.unit === 'd' ? dur.count : dur.unit === 'w' ? 7 * dur.count : undefined;
  if (days !== undefined) return { start: at - days * day, end: at };
  // Rolling months/quarters/years step back on the UTC calendar; a day the target month lacks is
  // clamped to its last day (one month before March 31 is February 28, not March 3).
  const months = dur.unit === 'M' ? dur.count : dur.unit === 'Q' ? 3 * dur.count : 12 * dur.count;
  const t = new Date(at);
  const lastDay = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() - months + 1, 0)).getUTCDate();
  const dayOfMonth = Math.min(t.getUTCDate(), lastDay);
  return { start: Date.UTC(t.getUTCFullYear(), t.getUTCMonth() - months, dayOfMonth, t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds(), t.getUTCMilliseconds()), end: at };
}

/** Parse a calendar start time `YYYY-MM-DD HH:MM:SS` (or `YYYY-MM-DD`). */
export function parseWallTime(text: string, field: string): Wall {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (!m) throw new VigiaError('VIGIA_ERR_CONFIG', `${field}: "${text.slice(0, 40)}" is not a local time such as 2025-01-01 00:00:00`);
  const w = { y: Number(m[1]), mo: Number(m[2]), d: Number(m[3]), h: Number(m[4] ?? 0), mi: Number(m[5] ?? 0), s: Number(m[6] ?? 0) };
  if (w.mo < 1 || w.mo > 12 || w.d < 1 || w.d > 31 || w.h > 23 || w.mi > 59 || w.s > 59) throw new VigiaError('VIGIA_ERR_CONFIG', `${field}: "${text}" is out of range`);
  return w;
}

/** The start of the k-th calendar window after `origin` (k may be negative). */
function calendarBoundary(origin: Wall, dur: WindowDuration, k: number, timeZone: string): number {
  const n = dur.count * k;
  const o = origin;
  switch (dur.unit) {
    case 'm':
    case 'h':
      return zonedInstant(o.y, o.mo, o.d, o.h, o.mi, o.s, timeZone) + n * FIXED_MS[dur.unit]!;
    case 'd':
      return zonedInstant(o.y, o.mo, o.d + n, o.h, o.mi, o.s, timeZone);
    case 'w':
      return zonedInstant(o.y, o.mo, o.d + 7 * n, o.h, o.mi, o.s, timeZone);
    case 'M':
      return zonedInstant(o.y, o.mo + n, o.d, o.h, o.mi, o.s, timeZone);
    case 'Q':
      return zonedInstant(o.y, o.mo + 3 * n, o.d, o.h, o.mi, o.s, timeZone);
    case 'Y':
      return zonedInstant(o.y + n, o.mo, o.d, o.h, o.mi, o.s, timeZone);
  }
}

/** Approximate length of one window in ms (to find k quickly; corrected exactly afterwards). */
function approxMs(dur: WindowDuration): number {
  const day = 86_400_000;
  const per: Record<WindowUnit, number> = { m: 60_000, h: 3_600_000, d: day, w: 7 * day, M: 30.44 * day, Q: 91.31 * day, Y: 365.25 * day };
  return dur.count * per[dur.unit];
}

/** The calendar window containing `at`, aligned on `origin` (local wall time in `timeZone`). */
export function calendarWindow(at: number, dur: WindowDuration, origin: Wall, timeZone: string): TimeWindow {
  const zero = calendarBoundary(origin, dur, 0, timeZone);
  let k = Math.floor((at - zero) / approxMs(dur));
  while (calendarBoundary(origin, dur, k, timeZone) > at) k--;
  while (calendarBoundary(origin, dur, k + 1, timeZone) <= at) k++;
  return { start: calendarBoundary(origin, dur, k, timeZone), end: calendarBoundary(origin, dur, k + 1, timeZone) };
}

/** Consecutive calendar windows covering [from, to): e.g. the 12 months of a year, in a time zone. */
export function calendarWindows(from: number, to: number, dur: WindowDuration, origin: Wall, timeZone: string): TimeWindow[] {
  const out: TimeWindow[] = [];
  let w = calendarWindow(from, dur, origin, timeZone);
  while (w.start < to && out.length < 100_000) {
    out.push(w);
    w = calendarWindow(w.end, dur, origin, timeZone);
  }
  return out;
}
