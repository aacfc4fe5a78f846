/**
 * The span of time a data source's records cover. A record log (deploys, outages, tickets,
 * requests) says nothing about time after its last record or before its first: an export cut short
 * looks exactly like a quiet month. So coverage, "no data" months and DORA's per-day figures come
 * from this span, never from the report period alone. Pure.
 */
import type { TimeWindow } from '../budget/time-window.js';
import type { SliData } from './evaluate.js';

/**
 * First and last record time over every table of a source (deploys: deploy time; outages: down and
 * up; tickets: opened and closed; requests: the first and last bucket with a request). An open
 * outage (no "up") reaches to the end of any window: the log says the service is still down, and
 * the availability SLI counts it down until the period ends.
 * Null when the source has no record at all, and for sources that report their own coverage
 * (Prometheus: `data.coverage`).
 */
export function recordSpan(data: SliData): TimeWindow | null {
  if (data.coverage !== undefined) return null;
  let first = Infinity;
  let last = -Infinity;
  const see = (t: number | null | undefined): void => {
    if (t === null || t === undefined || !Number.isFinite(t)) return;
    if (t < first) first = t;
    if (t > last) last = t;
  };
  for (const d of data.deploys ?? []) see(d.deployAt);
  for (const o of data.outages ?? []) {
    see(o.down);
    if (o.up === null) last = Infinity;
    else see(o.up);
  }
  for (const x of data.tickets ?? []) {
    see(x.openedAt);
    see(x.closedAt);
  }
  const r = data.requests;
  if (r) {
    for (let i = 0; i < r.total.length; i++) if (r.total[i]! > 0) { see(r.startMs + i * r.bucketMs); break; }
    for (let i = r.total.length - 1; i >= 0; i--) if (r.total[i]! > 0) { see(r.startMs + (i + 1) * r.bucketMs); break; }
  }
  return first <= last ? { start: first, end: last } : null;
}

/** "last record on 2025-12-31": the span's end is a finite record time (an open outage is not). */
export function spanEndsBefore(span: TimeWindow | null, at: number): boolean {
  return span !== null && Number.isFinite(span.end) && span.end < at;
}

/** The part of `w` a span covers (null when they do not meet). */
export function coveredPart(w: TimeWindow, span: TimeWindow | null): TimeWindow | null {
  if (!span) return null;
  const start = Math.max(w.start, span.start);
  const end = Math.min(w.end, span.end);
  return end > start ? { start, end } : null;
}

/** Share of `w` a span covers, 0..1. */
export function coveredShare(w: TimeWindow, span: TimeWindow | null): number {
  const c = coveredPart(w, span);
  return c && w.end > w.start ? (c.end - c.start) / (w.end - w.start) : 0;
}
