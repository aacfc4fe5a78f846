/**
 * What drives a miss: the groups of events (a team, a ticket category, an assignment group, the
 * weekday a deploy gap starts ...) that hold more bad events than their share, ranked by their
 * excess (bad events beyond what the rest's rate would give them), each with a what-if: the SLO's
 * value had that group performed like the rest. Pure.
 */
import { compare, type ValueEvent } from '../sli/events.js';
import { summarize, type StatisticName } from '../sli/stats.js';

/** One driver of a miss. */
export interface Driver {
  /** What was grouped by ("assignment group", "error code", "team"). */
  readonly dimension: string;
  readonly value: string;
  /** Events in the group (records, for error codes). */
  readonly events: number;
  /** The group's share of all events; null where it means nothing (downtime). */
  readonly eventShare: number | null;
  /** The group's share of the bad events (or of the downtime). */
  readonly badShare: number;
  /** The group's own figure: its statistic (threshold SLIs), minutes down, requests. */
  readonly statistic: number | null;
  readonly statisticLabel: string;
  /** The SLO's value had the group performed like the rest (or without it, for error codes). */
  readonly whatIf: number | null;
  readonly whatIfMet: boolean | null;
}

/** How events are judged. */
export interface JudgeOptions {
  readonly op: 'lt' | 'lte' | 'gt' | 'gte';
  readonly threshold: number;
  /** The statistic the objective is judged by; null: the share of good events (against `target`). */
  readonly statistic: StatisticName | null;
  readonly unit: string;
  /** Compliance target when `statistic` is null. */
  readonly target?: number;
}

const MAX_DRIVERS = 8;

/** Ranked drivers over every attribute of the events. */
export function findDrivers(events: readonly ValueEvent[], o: JudgeOptions): Driver[] {
  const n = events.length;
  if (n === 0) return [];
  const good = (e: ValueEvent): boolean => compare(e.value, o.op, o.threshold);
  const totalBad = events.filter((e) => !good(e)).length;
  if (totalBad === 0) return [];
  const minGroup = Math.max(3, Math.ceil(n * 0.01));
  const dims = new Set<string>();
  for (const e of events) for (const k of Object.keys(e.attrs)) dims.add(k);
  const found: Array<{ dim: string; value: string; group: ValueEvent[]; bad: number; restRate: number; excess: number }> = [];
  for (const dim of dims) {
    const groups = new Map<string, ValueEvent[]>();
    for (const e of events) {
      const v = e.attrs[dim];
      if (v === undefined) continue;
      let g = groups.get(v);
      if (!g) groups.set(v, (g = []));
      g.push(e);
    }
    if (groups.size < 2) continue;
    for (const [value, g] of groups) {
      if (g.length < minGroup || g.length === n) continue;
      const bad = g.filter((e) => !good(e)).length;
      const restN = n - g.length;
      const restRate = restN > 0 ? (totalBad - bad) / restN : 0;
      const excess = bad - g.length * restRate;
      const lift = bad / g.length / (totalBad / n);
      if (excess <= 0 || lift < 1.2) continue;
      found.push({ dim, value, group: g, bad, restRate, excess });
    }
  }
  found.sort((a, b) => b.excess - a.excess || (a.dim + a.value < b.dim + b.value ? -1 : 1));
  // The what-if (a statistic of all the other events) only for the drivers shown.
  return found.slice(0, MAX_DRIVERS).map((f) => {
    const rest = events.filter((e) => e.attrs[f.dim] !== f.value);
    const whatIf = o.statistic ? summarize(rest.map((e) => e.value))[o.statistic] : rest.length > 0 ? 1 - f.restRate : null;
    const whatIfMet = whatIf === null ? null : o.statistic ? compare(whatIf, o.op, o.threshold) : o.target === undefined ? null : whatIf >= o.target;
    return {
      dimension: f.dim, value: f.value, events: f.group.length, eventShare: f.group.length / n, badShare: f.bad / totalBad,
      statistic: summarize(f.group.map((e) => e.value))[o.statistic ?? 'mean'], statisticLabel: `${o.statistic ?? 'mean'} ${o.unit}`,
      whatIf, whatIfMet,
    };
  });
}
