/**
 * The report period from `--period 2025 | 2025-Q3 | 2025-03 | 2025-01-01..2025-07-01` or
 * `--last 365d` (ending at `now`), in a time zone. Pure: the clock is a parameter.
 */
import { dayProblem, isAcceptedDay, MAX_DAY, MAX_YEAR, MIN_DAY, MIN_YEAR } from '../../core/contracts/day.js';
import { VigiaError } from '../../core/errors.js';
import { zonedInstant } from '../budget/time-window.js';
import { parseDuration } from '../spec/duration.js';
import type { ReportPeriod } from '../evaluate/evaluate.js';

const MAX_SPAN_MS = 5 * 366 * 86_400_000;

/** The year of a `--period`, within the accepted days (Date.UTC would read 0-99 as 1900-1999). */
function year(text: string, t: string): number {
  const y = Number(text);
  if (y < MIN_YEAR || y > MAX_YEAR) throw new VigiaError('VIGIA_ERR_CONFIG', `--period: "${t.slice(0, 40)}": years from ${MIN_YEAR} to ${MAX_YEAR} (days from ${MIN_DAY}..${MAX_DAY})`);
  return y;
}

/**
 * Parse `--period`. Years are MIN_YEAR..MAX_YEAR and range ends are accepted days (src/core/contracts/day.ts):
 * a day that does not exist (2025-02-30) is refused, never rolled over into the next month.
 */
export function parsePeriod(text: string, timeZone: string): ReportPeriod {
  const t = text.trim();
  let m = /^(\d{4})$/.exec(t);
  if (m) {
    const y = year(m[1]!, t);
    return { from: zonedInstant(y, 1, 1, 0, 0, 0, timeZone), to: zonedInstant(y + 1, 1, 1, 0, 0, 0, timeZone), label: t, timeZone };
  }
  m = /^(\d{4})-Q([1-4])$/i.exec(t);
  if (m) {
    const y = year(m[1]!, t);
    const q = Number(m[2]);
    return { from: zonedInstant(y, 3 * q - 2, 1, 0, 0, 0, timeZone), to: zonedInstant(y, 3 * q + 1, 1, 0, 0, 0, timeZone), label: `${y}-Q${q}`, timeZone };
  }
  m = /^(\d{4})-(\d{2})$/.exec(t);
  if (m && Number(m[2]) >= 1 && Number(m[2]) <= 12) {
    const y = year(m[1]!, t);
    const mo = Number(m[2]);
    return { from: zonedInstant(y, mo, 1, 0, 0, 0, timeZone), to: zonedInstant(y, mo + 1, 1, 0, 0, 0, timeZone), label: t, timeZone };
  }
  m = /^(\d{4})-(\d{2})-(\d{2})\.\.(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (m) {
    for (const day of t.split('..')) if (!isAcceptedDay(day)) throw new VigiaError('VIGIA_ERR_CONFIG', dayProblem('--period', day));
    const from = zonedInstant(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0, 0, timeZone);
    const to = zonedInstant(Number(m[4]), Number(m[5]), Number(m[6]), 0, 0, 0, timeZone);
    return checked({ from, to, label: t, timeZone }, '--period');
  }
  throw new VigiaError('VIGIA_ERR_CONFIG', `--period: "${t.slice(0, 40)}" is not a year (2025), a quarter (2025-Q3), a month (2025-03) or a range (2025-01-01..2025-07-01)`);
}

/** Parse `--last 365d` ending at `now`. */
export function parseLast(text: string, now: number, timeZone: string): ReportPeriod {
  let ms: number;
  try {
    ms = parseDuration(text.trim(), '--last');
  } catch {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--last: "${text.slice(0, 40)}" is not a duration such as 30d, 12w or 365d`);
  }
  return checked({ from: now - ms, to: now, label: `last ${text.trim()}`, timeZone }, '--last');
}

function checked(p: ReportPeriod, flag: string): ReportPeriod {
  if (!(p.to > p.from)) throw new VigiaError('VIGIA_ERR_CONFIG', `${flag}: the period is empty`);
  if (p.to - p.from > MAX_SPAN_MS) throw new VigiaError('VIGIA_ERR_CONFIG', `${flag}: periods are limited to 5 years`);
  return p;
}
