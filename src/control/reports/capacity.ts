/**
 * The fleet capacity report: which volumes will fill, which hosts went silent. Pure: data and time
 * come in, a report value goes out; the renderers and the email only format it.
 */
import type { CapacityData, CapacityVolumeRow, HostStatusRow, RegressionSums } from '../store/control-store.js';
import type { ReportPolicy } from './policy.js';
import { fitLine, sumsOf, timeUntilFull } from './regression.js';
import { count } from './format.js';
import { plural } from '../../core/plural.js';

/** Status of one volume (or host, as the worst of its volumes). */
export type CapacityStatus = 'critical' | 'warning' | 'unknown' | 'ok';

/** One host that stopped reporting (or never did). Silence is the most dangerous state. */
export interface StaleHost {
  readonly host: string;
  /** ISO time of the last report the server received; null when never. */
  readonly lastSeen: string | null;
  /** Seconds since lastSeen (since enrolment when never reported). */
  readonly silentSeconds: number;
  readonly intervalSeconds: number | null;
  readonly neverReported: boolean;
  /** Host clock minus server clock of the last report, seconds (clock skew shows here); null when never. */
  readonly clockSkewSeconds: number | null;
  /** Why the host's last report was refused (e.g. clock skew), with its time. */
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  /** The worst status of the host's volumes by its last figures (`unknown` when it has none). */
  readonly status: CapacityStatus;
}

/** How much data a volume's trend has and needs (see CapacityRow.trendPending). */
export interface TrendPending {
  /** Time the window's samples span, seconds (see trendSpanSeconds). */
  readonly spanSeconds: number;
  readonly samples: number;
  readonly needSpanSeconds: number;
  readonly needSamples: number;
}

/** One volume of one host in the report. */
export interface CapacityRow {
  readonly host: string;
  readonly role: CapacityVolumeRow['role'];
  readonly mountpoint: string;
  readonly device: string;
  readonly fstype: string;
  /** Latest use %. */
  readonly usePct: number | null;
  /** Highest use % in the trend window (what binlog thresholds apply to). */
  readonly peakUsePct: number | null;
  readonly usedBytes: number | null;
  readonly availBytes: number | null;
  readonly sizeBytes: number | null;
  /** Fitted growth, bytes per day (binlog: through the daily peaks); null when no trend. */
  readonly growthBytesPerDay: number | null;
  /** Days until full; Infinity when flat or shrinking, null when unknown or the trend is pending. */
  readonly daysUntilFull: number | null;
  /**
   * Set when the window holds too little data for a trend (policy daysUntilFull.minSpanHours and
   * minSamples): growth and days until full are then null and the status comes from use % alone.
   */
  readonly trendPending: TrendPending | null;
  readonly status: CapacityStatus;
  /** Which threshold decided the status, for humans. */
  readonly reason: string;
  /** True when the host is stale: these figures are old. */
  readonly stale: boolean;
  readonly error: string | null;
  readonly sampledAt: string;
}

/**
 * Host counts. Every host is counted once by its worst volume: critical + warning + unknown + ok =
 * hosts. A stale host is counted there by its last figures (a volume critical when its host went
 * silent is still critical) AND in `stale`; `criticalStale` and `warningStale` say how many of the
 * critical and warning hosts are stale. A host with no figures (never reported) is unknown;
 * neverReported is part of stale.
 */
export interface CapacityTotals {
  readonly hosts: number;
  readonly critical: number;
  readonly warning: number;
  readonly unknown: number;
  readonly ok: number;
  readonly stale: number;
  readonly criticalStale: number;
  readonly warningStale: number;
  readonly neverReported: number;
  readonly volumes: number;
}

/** The whole capacity report. */
export interface CapacityReport {
  readonly generatedAt: string;
  readonly windowStart: string;
  readonly trendWindowDays: number;
  readonly summary: string;
  readonly totals: CapacityTotals;
  /** Silent hosts first (longest silence first), then never-reported hosts. */
  readonly stale: readonly StaleHost[];
  /** Enrolled hosts that never reported (stale or not yet): an empty table says it waits for them. */
  readonly waitingForFirstReport: number;
  /** Worst first: critical, warning, unknown, ok; within, soonest full, then highest use %. */
  readonly rows: readonly CapacityRow[];
}

const RANK: Record<CapacityStatus, number> = { critical: 0, warning: 1, unknown: 2, ok: 3 };
const DAY_MS = 86_400_000;

/** Severity order of statuses, lower is worse (for sorting and host roll-ups). */
export function statusRank(s: CapacityStatus): number {
  return RANK[s];
}

function staleInfo(h: HostStatusRow, policy: ReportPolicy, nowMs: number): Omit<StaleHost, 'status'> | null {
  if (h.lastSeen === null) {
    // A host just enrolled has had no chance to report yet: it is stale only once it has missed as
    // many (default) intervals as a reporting host may.
    const sinceEnrolMs = nowMs - h.enrolledAt.getTime();
    if (sinceEnrolMs <= policy.staleAfterIntervals * policy.defaultIntervalSeconds * 1000) return null;
    return {
      host: h.host,
      lastSeen: null,
      silentSeconds: Math.max(0, Math.round((nowMs - h.enrolledAt.getTime()) / 1000)),
      intervalSeconds: null,
      neverReported: true,
      clockSkewSeconds: null,
      lastError: h.lastError,
      lastErrorAt: h.lastErrorAt?.toISOString() ?? null,
    };
  }
  const interval = h.intervalSeconds ?? policy.defaultIntervalSeconds;
  const silentMs = nowMs - h.lastSeen.getTime();
  if (silentMs <= policy.staleAfterIntervals * interval * 1000) return null;
  return {
    host: h.host,
    lastSeen: h.lastSeen.toISOString(),
    silentSeconds: Math.round(silentMs / 1000),
    intervalSeconds: h.intervalSeconds,
    neverReported: false,
    clockSkewSeconds: h.lastSampledAt ? Math.round((h.lastSampledAt.getTime() - h.lastSeen.getTime()) / 1000) : null,
    lastError: h.lastError,
    lastErrorAt: h.lastErrorAt?.toISOString() ?? null,
  };
}

interface Trend {
  growthBytesPerDay: number | null;
  daysUntilFull: number | null;
  peakUsePct: number | null;
  pending?: TrendPending;
}

/**
 * Seconds between the first and last sample of a volume's window, from what the store keeps: the
 * least-squares sums (x = seconds since the window start) and the newest sample's x. The sums hold
 * no minimum, so the span is the one evenly spaced samples with the same spread have (from the
 * variance of x): exact for an agent reporting at a steady interval, never more than the
 * time from the window start to the newest sample. Two minutes of samples span two minutes.
 */
export function trendSpanSeconds(sums: RegressionSums | null, lastX: number): number {
  if (!sums || !(sums.n >= 2)) return 0;
  const mean = sums.sx / sums.n;
  const variance = Math.max(0, sums.sxx / sums.n - mean * mean);
  // n points evenly spaced over S have variance S^2 (n+1) / (12 (n-1)).
  const span = Math.sqrt((12 * variance * (sums.n - 1)) / (sums.n + 1));
  return Number.isFinite(span) ? Math.max(0, Math.min(span, lastX)) : 0;
}

/** The pending marker when a volume's window holds less than the policy's minimum, else null. */
function pendingOf(v: CapacityVolumeRow, windowStartMs: number, policy: ReportPolicy): TrendPending | null {
  const samples = v.trend?.n ?? 0;
  const spanSeconds = Math.round(trendSpanSeconds(v.trend, (v.sampledAt.getTime() - windowStartMs) / 1000));
  const needSpanSeconds = Math.round(policy.daysUntilFull.minSpanHours * 3600);
  const needSamples = policy.daysUntilFull.minSamples;
  return spanSeconds >= needSpanSeconds && samples >= needSamples ? null : { spanSeconds, samples, needSpanSeconds, needSamples };
}

/** Binlog: fit through the daily peaks (x = days), project the peak, not the saw-tooth. */
function binlogTrend(v: CapacityVolumeRow, nowMs: number, todayMs: number, dayMs: (day: string) => number): Trend {
  let peak = peakOf(v);
  const points: [number, number][] = [];
  for (const d of v.daily) {
    if (peak === null || d.maxUsePct > peak) peak = d.maxUsePct;
    const ms = dayMs(d.day);
    if (Number.isFinite(ms)) points.push([(ms - nowMs) / DAY_MS, d.maxUsedBytes]);
  }
  // Today's peak so far is not a full day: fitting it would bend the line down every morning.
  const full = points.filter(([x]) => x * DAY_MS + nowMs < todayMs);
  const use = full.length >= 2 ? full : points;
  const fit = fitLine(sumsOf(use));
  if (!fit) return { growthBytesPerDay: null, daysUntilFull: null, peakUsePct: peak };
  // x is days relative to now, so the projection "now" is the fitted peak at x=0, never below the newest peak seen.
  const lastPeak = use[use.length - 1]?.[1] ?? 0;
  const adjusted = { ...fit, intercept: Math.max(fit.intercept, lastPeak) };
  return { growthBytesPerDay: fit.slope, daysUntilFull: timeUntilFull(adjusted, v.sizeBytes, 0), peakUsePct: peak };
}

/** The latest use % or the window's peak, whichever is higher (null when neither is known). */
function peakOf(v: CapacityVolumeRow): number | null {
  const w = v.windowPeakUsePct;
  return v.usePct === null ? w : w === null || v.usePct >= w ? v.usePct : w;
}

function sampleTrend(v: CapacityVolumeRow, windowStartMs: number, nowMs: number): Trend {
  let peak = peakOf(v);
  for (const d of v.daily) if (peak === null || d.maxUsePct > peak) peak = d.maxUsePct;
  const fit = fitLine(v.trend);
  if (!fit) return { growthBytesPerDay: null, daysUntilFull: null, peakUsePct: peak };
  const t = timeUntilFull(fit, v.sizeBytes, (nowMs - windowStartMs) / 1000);
  return { growthBytesPerDay: fit.slope * 86_400, daysUntilFull: t === null || t === Infinity ? t : t / 86_400, peakUsePct: peak };
}

function classify(v: CapacityVolumeRow, t: Trend, policy: ReportPolicy): { status: CapacityStatus; reason: string } {
  if (v.error !== null) return { status: 'unknown', reason: `error: ${v.error}` };
  if (v.usePct === null) return { status: 'unknown', reason: 'no figures' };
  const isBinlog = v.role === 'binlog';
  const th = isBinlog ? policy.thresholds.binlog : v.role === 'data' ? policy.thresholds.data : policy.thresholds.other;
  const basis = isBinlog ? (t.peakUsePct ?? v.usePct) : v.usePct;
  const what = isBinlog ? `${policy.trendWindowDays}-day peak use` : 'use';
  const fullIn = t.daysUntilFull;
  const d = policy.daysUntilFull;
  const fullText = (limit: number, level: string) => `full in ${fullIn!.toFixed(1)} d <= ${level} ${limit} d`;
  if (basis >= th.criticalPct) return { status: 'critical', reason: `${what} ${basis.toFixed(1)}% >= critical ${th.criticalPct}%` };
  if (fullIn !== null && fullIn <= d.criticalDays) return { status: 'critical', reason: fullText(d.criticalDays, 'critical') };
  if (basis >= th.warningPct) return { status: 'warning', reason: `${what} ${basis.toFixed(1)}% >= warning ${th.warningPct}%` };
  if (fullIn !== null && fullIn <= d.warningDays) return { status: 'warning', reason: fullText(d.warningDays, 'warning') };
  return { status: 'ok', reason: '' };
}

/** Sort comparator of rows: worst status, soonest full (unknown and never last), highest use %, then name. */
export function compareRows(a: CapacityRow, b: CapacityRow): number {
  const r = RANK[a.status] - RANK[b.status];
  if (r !== 0) return r;
  const da = a.daysUntilFull ?? Infinity;
  const db = b.daysUntilFull ?? Infinity;
  if (da !== db) return da < db ? -1 : 1;
  const ua = a.role === 'binlog' ? (a.peakUsePct ?? -1) : (a.usePct ?? -1);
  const ub = b.role === 'binlog' ? (b.peakUsePct ?? -1) : (b.usePct ?? -1);
  if (ua !== ub) return ub - ua;
  return a.host < b.host ? -1 : a.host > b.host ? 1 : a.mountpoint < b.mountpoint ? -1 : a.mountpoint > b.mountpoint ? 1 : 0;
}

/**
 * The one-line summary used as email subject and table header, e.g. `capacity: 3 critical (2 stale),
 * 0 warning, 454 stale of 454 hosts`: critical and warning say how many of them are stale.
 */
export function capacitySummary(prefix: string, t: CapacityTotals): string {
  const p = prefix ? `${prefix} ` : '';
  const ofWhich = (n: number) => (n > 0 ? ` (${count(n)} stale)` : '');
  return `${p}capacity: ${count(t.critical)} critical${ofWhich(t.criticalStale)}, ${count(t.warning)} warning${ofWhich(t.warningStale)}, ${count(t.stale)} stale of ${plural(t.hosts, 'host', { shown: count(t.hosts) })}`;
}

/**
 * Build the capacity report. Linear in hosts + volumes apart from one sort of the rows; `now` is
 * passed in (the report never reads the clock).
 */
export function buildCapacityReport(data: CapacityData, policy: ReportPolicy, now: Date): CapacityReport {
  const nowMs = now.getTime();
  const windowStartMs = data.windowStart.getTime();
  const silent: Omit<StaleHost, 'status'>[] = [];
  const staleSet = new Set<string>();
  const worst = new Map<string, CapacityStatus>();
  for (const h of data.hosts) {
    const s = staleInfo(h, policy, nowMs);
    if (s) {
      silent.push(s);
      staleSet.add(h.host);
    }
  }
  const todayMs = Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`);
  // A window has a handful of distinct days; parse each once, not once per volume.
  const dayCache = new Map<string, number>();
  const dayMs = (day: string): number => {
    let ms = dayCache.get(day);
    if (ms === undefined) dayCache.set(day, (ms = Date.parse(`${day}T00:00:00Z`)));
    return ms;
  };
  const rows: CapacityRow[] = new Array(data.volumes.length);
  let i = 0;
  for (const v of data.volumes) {
    const fitted = v.role === 'binlog' ? binlogTrend(v, nowMs, todayMs, dayMs) : sampleTrend(v, windowStartMs, nowMs);
    // Too little data: keep the peak, drop the projection (a status never rests on a date it lacks).
    const pending = pendingOf(v, windowStartMs, policy);
    const t: Trend = pending ? { growthBytesPerDay: null, daysUntilFull: null, peakUsePct: fitted.peakUsePct, pending } : fitted;
    const { status, reason } = classify(v, t, policy);
    const prev = worst.get(v.host);
    if (prev === undefined || RANK[status] < RANK[prev]) worst.set(v.host, status);
    rows[i++] = {
      host: v.host,
      role: v.role,
      mountpoint: v.mountpoint,
      device: v.device,
      fstype: v.fstype,
      usePct: v.usePct,
      peakUsePct: t.peakUsePct,
      usedBytes: v.usedBytes,
      availBytes: v.availBytes,
      sizeBytes: v.sizeBytes,
      growthBytesPerDay: t.growthBytesPerDay,
      daysUntilFull: t.daysUntilFull,
      trendPending: pending,
      status,
      reason,
      stale: staleSet.has(v.host),
      error: v.error,
      sampledAt: v.sampledAt.toISOString(),
    };
  }
  rows.sort(compareRows);
  const staleList: StaleHost[] = silent.map((s) => ({ ...s, status: worst.get(s.host) ?? (s.neverReported ? 'unknown' : 'ok') }));
  staleList.sort((a, b) =>
    a.neverReported !== b.neverReported ? (a.neverReported ? 1 : -1) : b.silentSeconds - a.silentSeconds || (a.host < b.host ? -1 : 1),
  );
  const totals = { hosts: 0, critical: 0, warning: 0, unknown: 0, ok: 0, stale: staleList.length, criticalStale: 0, warningStale: 0, neverReported: 0, volumes: rows.length };
  const known = new Set<string>();
  for (const h of data.hosts) known.add(h.host);
  for (const h of worst.keys()) known.add(h);
  totals.hosts = known.size;
  for (const s of staleList) if (s.neverReported) totals.neverReported++;
  const neverReported = new Set<string>();
  for (const h of data.hosts) if (h.lastSeen === null) neverReported.add(h.host);
  for (const h of known) {
    // A host with no volume rows yet has nothing to warn about; one that never reported has no figures
    // at all: unknown, not ok. A stale host keeps the status of its last figures: a volume critical
    // when its host went silent must not vanish from the critical count (it is marked stale instead).
    const status = worst.get(h) ?? (neverReported.has(h) ? 'unknown' : 'ok');
    totals[status]++;
    if (staleSet.has(h) && status === 'critical') totals.criticalStale++;
    if (staleSet.has(h) && status === 'warning') totals.warningStale++;
  }
  return {
    generatedAt: now.toISOString(),
    windowStart: data.windowStart.toISOString(),
    trendWindowDays: policy.trendWindowDays,
    summary: capacitySummary(policy.subjectPrefix, totals),
    totals,
    stale: staleList,
    waitingForFirstReport: neverReported.size,
    rows,
  };
}
