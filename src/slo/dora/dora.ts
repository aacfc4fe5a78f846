/**
 * DORA's four keys from deploy and incident records, with the performance bands of the 2023
 * Accelerate State of DevOps report:
 *
 * - deployment frequency: successful production deploys per day over the span the deploy records
 *   cover (an export that stops in December says nothing about deploys in March);
 * - lead time for changes: commit -> successful deploy, median;
 * - change failure rate: distinct failed deploys / distinct deploys (a deploy id counted once
 *   however many rows repeat it);
 * - time to restore: incident opened -> closed, median (open incidents are counted, not measured).
 *
 * Pure: records in, numbers and bands out.
 */
import { summarize, type Summary } from '../sli/stats.js';

/** One deploy record (times in epoch ms). */
export interface DeployRecord {
  readonly id: string;
  readonly team: string;
  readonly status: 'success' | 'failure';
  readonly commitAt: number;
  readonly deployAt: number;
}

/** One incident record. */
export interface IncidentRecord {
  readonly openedAt: number;
  /** null while open. */
  readonly closedAt: number | null;
}

/** DORA band. */
export type DoraBand = 'elite' | 'high' | 'medium' | 'low';

/** The four keys. */
export interface DoraMetrics {
  readonly deploys: number;
  readonly successfulDeploys: number;
  readonly failedDeploys: number;
  /** Null when the records cover no time. */
  readonly deploysPerDay: number | null;
  /** Days the per-day figures are taken over: the span the records cover, within the period. */
  readonly spanDays: number;
  readonly deploymentFrequencyBand: DoraBand | null;
  /** Lead times of successful deploys, hours. */
  readonly leadTimeHours: Summary;
  readonly leadTimeBand: DoraBand | null;
  readonly changeFailureRate: number | null;
  readonly changeFailureRateBand: DoraBand | null;
  /** Restore times of closed incidents, hours. */
  readonly timeToRestoreHours: Summary;
  readonly timeToRestoreBand: DoraBand | null;
  readonly openIncidents: number;
  /** Rows repeating a deploy id already seen (reported, counted once). */
  readonly duplicateDeployRows: number;
}

const DAY_H = 24;

/** Deployment frequency band from deploys per day. */
export function frequencyBand(perDay: number): DoraBand {
  if (perDay >= 1) return 'elite'; // on demand: daily or more
  if (perDay >= 1 / 7) return 'high'; // between once per day and once per week
  if (perDay >= 1 / 30) return 'medium'; // between once per week and once per month
  return 'low';
}

/** Lead time band from the median in hours. */
export function leadTimeBand(hours: number): DoraBand {
  if (hours < DAY_H) return 'elite';
  if (hours <= 7 * DAY_H) return 'high';
  if (hours <= 30 * DAY_H) return 'medium';
  return 'low';
}

/** Change failure rate band. */
export function changeFailureBand(rate: number): DoraBand {
  if (rate <= 0.05) return 'elite';
  if (rate <= 0.1) return 'high';
  if (rate <= 0.15) return 'medium';
  return 'low';
}

/** Time to restore band from the median in hours. */
export function restoreBand(hours: number): DoraBand {
  if (hours < 1) return 'elite';
  if (hours < DAY_H) return 'high';
  if (hours <= 7 * DAY_H) return 'medium';
  return 'low';
}

/**
 * The four keys over `spanMs`: the time the records cover, not the report period (callers clip the
 * records' span to the period). Without deploys every deploy figure is null ("no deploys"), never a
 * mean or a rate over nothing.
 */
export function doraMetrics(deploys: readonly DeployRecord[], incidents: readonly IncidentRecord[], spanMs: number): DoraMetrics {
  const byId = new Map<string, DeployRecord>();
  let duplicates = 0;
  for (const d of deploys) {
    if (byId.has(d.id)) duplicates++;
    else byId.set(d.id, d);
  }
  const unique = [...byId.values()];
  const ok = unique.filter((d) => d.status === 'success');
  const failed = unique.length - ok.length;
  const lead = summarize(ok.map((d) => (d.deployAt - d.commitAt) / 3_600_000).filter((h) => h >= 0));
  const closed = incidents.filter((i) => i.closedAt !== null && i.closedAt >= i.openedAt);
  const restore = summarize(closed.map((i) => (i.closedAt! - i.openedAt) / 3_600_000));
  const days = Math.max(0, spanMs) / 86_400_000;
  const perDay = days > 0 && unique.length > 0 ? ok.length / days : null;
  const cfr = unique.length > 0 ? failed / unique.length : null;
  return {
    deploys: unique.length, successfulDeploys: ok.length, failedDeploys: failed,
    deploysPerDay: perDay, spanDays: days, deploymentFrequencyBand: perDay === null ? null : frequencyBand(perDay),
    leadTimeHours: lead, leadTimeBand: lead.median === null ? null : leadTimeBand(lead.median),
    changeFailureRate: cfr, changeFailureRateBand: cfr === null ? null : changeFailureBand(cfr),
    timeToRestoreHours: restore, timeToRestoreBand: restore.median === null ? null : restoreBand(restore.median),
    openIncidents: incidents.filter((i) => i.closedAt === null).length,
    duplicateDeployRows: duplicates,
  };
}
