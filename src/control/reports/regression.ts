/**
 * Least-squares trend of a volume, the way Prometheus' predict_linear does it: fit used bytes
 * against time, then project. Kept pure and separate so the guards (too few points, no spread in
 * time, cancellation in the sums) are tested by table.
 */
import type { RegressionSums } from '../store/control-store.js';

/** A fitted line y = intercept + slope * x (x in the unit of the sums, usually seconds). */
export interface LinearFit {
  readonly slope: number;
  readonly intercept: number;
  readonly n: number;
}

/** Relative size below which a difference of two large sums is rounding noise, not signal. */
const CANCELLATION_EPS = 1e-12;

/**
 * Fit a line from least-squares sums. Returns null when no line is defined: fewer than 2 points,
 * non-finite sums, or (almost) no spread in x (all samples at one instant). A numerator lost to
 * cancellation counts as a flat line: the data cannot show growth, so none is claimed.
 */
export function fitLine(s: RegressionSums | null | undefined): LinearFit | null {
  if (!s || !(s.n >= 2)) return null;
  const { n, sx, sy, sxx, sxy } = s;
  if (![n, sx, sy, sxx, sxy].every(Number.isFinite)) return null;
  const nsxx = n * sxx;
  const denom = nsxx - sx * sx;
  // n*sxx - sx^2 = n^2 var(x) >= 0; anything at rounding level of n*sxx is zero variance.
  if (!(denom > CANCELLATION_EPS * Math.abs(nsxx))) return null;
  const nsxy = n * sxy;
  const sxsy = sx * sy;
  let num = nsxy - sxsy;
  if (Math.abs(num) <= CANCELLATION_EPS * Math.max(Math.abs(nsxy), Math.abs(sxsy))) num = 0;
  const slope = num / denom;
  const intercept = (sy - slope * sx) / n;
  if (!Number.isFinite(slope) || !Number.isFinite(intercept)) return null;
  return { slope, intercept, n };
}

/** Least-squares sums of a list of points (for fits the store does not pre-aggregate, e.g. daily peaks). */
export function sumsOf(points: readonly (readonly [number, number])[]): RegressionSums {
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  return { n: points.length, sx, sy, sxx, sxy };
}

/** The fitted value at x. */
export function predictAt(fit: LinearFit, x: number): number {
  return fit.intercept + fit.slope * x;
}

/**
 * Time until `sizeBytes` is reached, in the unit of the fit's x, from `xNow`: 0 when the projection
 * is already at or above size, Infinity when the line is flat or falling, null when unknown (no fit
 * or no size).
 */
export function timeUntilFull(fit: LinearFit | null, sizeBytes: number | null, xNow: number): number | null {
  if (!fit || sizeBytes === null || !Number.isFinite(sizeBytes) || sizeBytes <= 0) return null;
  if (!(fit.slope > 0)) return Infinity;
  const usedNow = predictAt(fit, xNow);
  const left = sizeBytes - usedNow;
  if (left <= 0) return 0;
  return left / fit.slope;
}

/**
 * Days until full from sums over x = seconds since the window start (the store's convention):
 * (size - predicted used now) / slope, converted to days. Same null/Infinity contract as timeUntilFull.
 */
export function daysUntilFull(sums: RegressionSums | null, sizeBytes: number | null, secondsSinceWindowStart: number): number | null {
  const t = timeUntilFull(fitLine(sums), sizeBytes, secondsSinceWindowStart);
  return t === null || t === Infinity ? t : t / 86_400;
}
