/**
 * Calendar days as users type them (`?day=`, `--day`, `--period 2025-01-01..2025-07-01`): the one
 * definition of their syntax and of the range every role accepts. Outside the range, days break things
 * below the parser: Date.UTC reads years 0-99 as 1900-1999, PostgreSQL has no year 0, and the day after
 * 9999-12-31 is `+010000-01-01` in ISO form (neither a partition name nor a literal SQL takes). Nothing
 * Vigía keeps predates 1970, and a day in the year 3000 is a typo.
 */

/** The first day accepted. */
export const MIN_DAY = '1970-01-01';
/** The last day accepted. */
export const MAX_DAY = '2999-12-31';
/** The first and last year accepted (periods of a year, quarter or month). */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2999;
/** The accepted days in words, for messages that name what is wrong. */
export const DAY_RULE = `a UTC day YYYY-MM-DD from ${MIN_DAY}..${MAX_DAY}`;

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** True when `day` is a real calendar day written YYYY-MM-DD (2026-02-30 is not), whatever its year. */
export function isCalendarDay(day: string): boolean {
  if (!DAY_RE.test(day)) return false;
  const t = Date.parse(`${day}T00:00:00.000Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === day;
}

/** True when `day` is a real calendar day within MIN_DAY..MAX_DAY: what every `day` parameter accepts. */
export function isAcceptedDay(day: string): boolean {
  // Fixed-width YYYY-MM-DD strings compare as the days they name.
  return isCalendarDay(day) && day >= MIN_DAY && day <= MAX_DAY;
}

/**
 * The message for a refused day, naming the parameter as the user typed it (`day`, `--day`,
 * `--period`) and the accepted range; the value is cut to 40 characters.
 */
export function dayProblem(param: string, day: string): string {
  return `${param}: ${JSON.stringify(day.slice(0, 40))} is not ${DAY_RULE}`;
}
