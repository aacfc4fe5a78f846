/**
 * The time range of a `vigia logs` question, from `--since DURATION|all`, `--from` and `--to`. Pure: the
 * flags and the current time in, a half-open [from, to) range in ms out, or a VIGIA_ERR_CONFIG naming the
 * flag. Every time is UTC (access logs carry their own offset; the store keeps UTC).
 */
import { MAX_QUERY_MS } from '../../core/contracts/logs-query.js';
import { VigiaError } from '../../core/errors.js';
import type { TimeRange } from '../store/log-store.js';

/** What `--since` means when neither it nor `--from` is given. */
export const DEFAULT_SINCE = '24h';

/** The end of time for an open range: the largest ms the operator API accepts. */
export const OPEN_END_MS = MAX_QUERY_MS;

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 });
// Ten years: a longer --since is a typo (use `all`).
const MAX_SINCE_MS = 3650 * 86_400_000;

/** `90s`, `30m`, `24h`, `7d`, `2w` in ms; undefined when the text is not one of them. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,7})([smhdw])$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms > 0 && ms <= MAX_SINCE_MS ? ms : undefined;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
// ISO-8601 date-time, seconds and fraction optional, offset optional (then UTC).
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * `2026-12-07` (UTC midnight; `dateOnly` says so) or an ISO-8601 date-time (`2026-12-07T10:00`,
 * `2026-12-07T10:00:00.250+01:00`; UTC when it has no offset). Undefined when it is neither or names a
 * day that does not exist (2026-02-30).
 */
export function parseInstant(text: string): { ms: number; dateOnly: boolean } | undefined {
  const t = text.trim();
  const d = DATE_ONLY.exec(t);
  if (d) {
    const ms = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]));
    return sameDay(ms, d) ? { ms, dateOnly: true } : undefined;
  }
  const m = DATE_TIME.exec(t);
  if (!m) return undefined;
  const [, y, mo, da, h, mi, s = '0', frac = '', zone] = m;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(da), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0').slice(0, 3)));
  if (!sameDay(utc, [t, y!, mo!, da!])) return undefined;
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    if (Number(z[2]) > 23 || Number(z[3]) > 59) return undefined;
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
  }
  return { ms: utc - offsetMin * 60_000, dateOnly: false };
}

function sameDay(ms: number, ymd: ArrayLike<string>): boolean {
  const d = new Date(ms);
  return d.getUTCFullYear() === Number(ymd[1]) && d.getUTCMonth() + 1 === Number(ymd[2]) && d.getUTCDate() === Number(ymd[3]) && d.getUTCFullYear() >= 1970;
}

/** The flags as commander hands them over (undefined when not given). */
export interface RangeFlags {
  readonly since?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/**
 * The range the flags ask for. `--since D` is [now - D, open end) and `--since all` everything;
 * `--from T` starts at T instead (with --since it is an error: two starts); `--to T` ends before T, and a
 * date-only `--to 2026-12-07` includes that whole day (people mean "up to and including the 7th").
 * Without any of them: the last DEFAULT_SINCE. `describe` is the range in words for messages.
 */
export function resolveRange(flags: RangeFlags, now: number): TimeRange & { readonly describe: string } {
  if (flags.since !== undefined && flags.from !== undefined) {
    throw new VigiaError('VIGIA_ERR_CONFIG', '--since and --from both set a start: give one of them');
  }
  let from: number;
  let describe: string;
  if (flags.from !== undefined) {
    const f = parseInstant(flags.from);
    if (!f) throw new VigiaError('VIGIA_ERR_CONFIG', `--from: expected a date (2026-12-07) or an ISO-8601 time (2026-12-07T10:00:00Z), got "${flags.from.slice(0, 60)}"`);
    from = f.ms;
    describe = `since ${new Date(from).toISOString()}`;
  } else {
    const since = flags.since ?? DEFAULT_SINCE;
    if (since.trim().toLowerCase() === 'all') {
      from = 0;
      describe = 'in all stored lines';
    } else {
      const d = parseDuration(since);
      if (d === undefined) throw new VigiaError('VIGIA_ERR_CONFIG', `--since: expected a duration (90s, 30m, 24h, 7d, 2w; at most 10 years) or "all", got "${since.slice(0, 60)}"`);
      from = Math.max(0, now - d);
      describe = `in the last ${since.trim()}`;
    }
  }
  let to = OPEN_END_MS;
  if (flags.to !== undefined) {
    const t = parseInstant(flags.to);
    if (!t) throw new VigiaError('VIGIA_ERR_CONFIG', `--to: expected a date (2026-12-07) or an ISO-8601 time (2026-12-07T10:00:00Z), got "${flags.to.slice(0, 60)}"`);
    to = t.dateOnly ? t.ms + 86_400_000 : t.ms;
    describe += ` before ${new Date(to).toISOString()}`;
  }
  if (to <= from) throw new VigiaError('VIGIA_ERR_CONFIG', `--to: ${new Date(to).toISOString()} is not after the start ${new Date(from).toISOString()}`);
  return Object.freeze({ from, to, describe });
}
