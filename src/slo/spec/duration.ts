/**
 * Prometheus durations (`5m`, `1h30m`, `28d`, `4w`, `1y`): parsed to milliseconds and printed the
 * way Prometheus (and so Sloth) prints them: years and weeks only when exact (28d -> `4w`, 30d ->
 * `30d`), then days, hours, minutes, seconds, milliseconds.
 */
import { VigiaError } from '../../core/errors.js';

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 86_400_000],
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Parse a Prometheus duration to ms; throws VIGIA_ERR_CONFIG naming `field` on anything else (or zero). */
export function parseDuration(text: string, field = 'duration'): number {
  const m = DURATION_RE.exec(text);
  if (!m || text === '') throw new VigiaError('VIGIA_ERR_CONFIG', `${field}: "${text.slice(0, 40)}" is not a duration such as 5m, 1h, 28d or 4w`);
  let ms = 0;
  UNITS.forEach(([, mult], i) => {
    if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * mult;
  });
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new VigiaError('VIGIA_ERR_CONFIG', `${field}: "${text.slice(0, 40)}" must be a positive duration`);
  return ms;
}

/** Format ms as Prometheus does (model.Duration.String). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, mult] of UNITS) {
    // Years and weeks only when exact: 90d reads better than 12w6d.
    if ((unit === 'y' || unit === 'w') && rest % mult !== 0) continue;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  }
  return out;
}
