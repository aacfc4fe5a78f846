/**
 * Time-based availability from outage intervals: intervals are clipped to the window, overlapping
 * or touching ones merged (two monitors reporting the same outage count once), and the downtime is
 * the length of the union. Whether client errors (4xx) count as downtime is the caller's choice and
 * is reported with the result.
 */
import type { TimeWindow } from '../budget/time-window.js';

/** One outage record. */
export interface Outage {
  readonly down: number;
  /** null: still down (open); counted up to the window's end and reported. */
  readonly up: number | null;
  /** Error code as recorded (e.g. 503, 404, "TIMEOUT"). */
  readonly code: string;
}

/** Availability of a window. */
export interface AvailabilityResult {
  readonly windowMs: number;
  readonly downtimeMs: number;
  /** 1 - downtime / window; null for an empty window. */
  readonly availability: number | null;
  /** Outages after merging (within the window). */
  readonly outages: number;
  /** Records that touched the window, before merging. */
  readonly records: number;
  /** Records ignored as client errors (4xx) when those do not count. */
  readonly ignoredClientErrors: number;
  readonly openOutages: number;
  /** Downtime per error code (before merging across codes: overlaps counted once per code). */
  readonly downtimeByCode: ReadonlyMap<string, number>;
  readonly merged: ReadonlyArray<readonly [number, number]>;
}

/** Whether a code is a client error (4xx). */
export const isClientError = (code: string): boolean => /^4\d\d$/.test(code.trim());

function union(spans: Array<[number, number]>): Array<[number, number]> {
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Array<[number, number]> = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else out.push([s[0], s[1]]);
  }
  return out;
}

/** Availability of `window` given outage records. */
export function availability(outages: readonly Outage[], window: TimeWindow, opts: { countClientErrors: boolean }): AvailabilityResult {
  const windowMs = Math.max(0, window.end - window.start);
  const spans: Array<[number, number]> = [];
  const byCode = new Map<string, Array<[number, number]>>();
  let records = 0;
  let ignored = 0;
  let open = 0;
  for (const o of outages) {
    const end = o.up ?? window.end;
    const s = Math.max(o.down, window.start);
    const e = Math.min(end, window.end);
    if (e <= s) continue;
    records++;
    if (!opts.countClientErrors && isClientError(o.code)) {
      ignored++;
      continue;
    }
    if (o.up === null) open++;
    spans.push([s, e]);
    const list = byCode.get(o.code) ?? [];
    list.push([s, e]);
    byCode.set(o.code, list);
  }
  const merged = union(spans);
  let downtimeMs = 0;
  for (const [s, e] of merged) downtimeMs += e - s;
  const downtimeByCode = new Map<string, number>();
  for (const [code, list] of byCode) downtimeByCode.set(code, union(list).reduce((a, [s, e]) => a + (e - s), 0));
  return {
    windowMs, downtimeMs, availability: windowMs > 0 ? 1 - downtimeMs / windowMs : null, outages: merged.length, records,
    ignoredClientErrors: ignored, openOutages: open, downtimeByCode, merged,
  };
}
