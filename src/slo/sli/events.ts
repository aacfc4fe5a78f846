/**
 * Per-event values for threshold SLIs, from the records: each event has the moment it counts at,
 * its value in the event's natural unit, and the attributes a recommendation can group by (team,
 * ticket category, weekday ...). Pure: rows in, events out.
 *
 * - deploy_gap_hours: hours between consecutive successful deploys (distinct ids); the event counts
 *   at the later deploy; attributes: weekday and hour (UTC) of the gap's start, whether it spans a weekend.
 * - failures_per_deploy: for each successful deploy of a feature (team/area/feature), the failed
 *   deploys of that feature since its previous successful deploy; failures after the last success
 *   are not an event yet (`pendingFailures`).
 * - ticket_resolution_hours: opened -> closed of each closed ticket; open tickets are counted apart.
 * - lead_time_hours: commit -> deploy of each successful deploy.
 */
import type { DeployRow, ThresholdEvent, TicketRow } from '../model.js';

/** One event of a threshold SLI. */
export interface ValueEvent {
  readonly at: number;
  readonly value: number;
  readonly attrs: Readonly<Record<string, string>>;
}

/** Events of a threshold SLI and what could not become one. */
export interface EventSet {
  readonly events: readonly ValueEvent[];
  /** Open tickets (resolution) or failures after a feature's last success (failures per deploy). */
  readonly pending: number;
  /** Rows repeating an id already seen (counted once). */
  readonly duplicates: number;
}

const H = 3_600_000;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Deploys with distinct ids (the first row of an id wins), sorted by deploy time then id. */
export function distinctDeploys(deploys: readonly DeployRow[]): { rows: DeployRow[]; duplicates: number } {
  const byId = new Map<string, DeployRow>();
  let duplicates = 0;
  for (const d of deploys) {
    if (byId.has(d.id)) duplicates++;
    else byId.set(d.id, d);
  }
  const rows = [...byId.values()].sort((a, b) => a.deployAt - b.deployAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { rows, duplicates };
}

/** Tickets with distinct numbers (the first row wins). */
export function distinctTickets(tickets: readonly TicketRow[]): { rows: TicketRow[]; duplicates: number } {
  const byNo = new Map<string, TicketRow>();
  let duplicates = 0;
  for (const t of tickets) {
    if (byNo.has(t.number)) duplicates++;
    else byNo.set(t.number, t);
  }
  return { rows: [...byNo.values()], duplicates };
}

function deployGaps(deploys: readonly DeployRow[]): EventSet {
  const { rows, duplicates } = distinctDeploys(deploys);
  const ok = rows.filter((d) => d.status === 'success');
  const events: ValueEvent[] = [];
  for (let i = 1; i < ok.length; i++) {
    const from = ok[i - 1]!.deployAt;
    const to = ok[i]!.deployAt;
    const start = new Date(from);
    const spansWeekend = to - from >= 7 * 24 * H || [0, 6].some((wd) => touchesWeekday(from, to, wd));
    events.push({
      at: to,
      value: (to - from) / H,
      attrs: {
        'gaps starting on': WEEKDAYS[start.getUTCDay()]!,
        'gaps starting at': `${String(start.getUTCHours()).padStart(2, '0')}:00-${String(start.getUTCHours()).padStart(2, '0')}:59 UTC`,
        gaps: spansWeekend ? 'spanning a weekend' : 'within the week',
      },
    });
  }
  return { events, pending: 0, duplicates };
}

function touchesWeekday(from: number, to: number, weekday: number): boolean {
  for (let t = Math.floor(from / (24 * H)) * 24 * H; t < to; t += 24 * H) if (new Date(t).getUTCDay() === weekday) return true;
  return false;
}

function failuresPerDeploy(deploys: readonly DeployRow[]): EventSet {
  const { rows, duplicates } = distinctDeploys(deploys);
  const failuresSince = new Map<string, number>();
  const events: ValueEvent[] = [];
  for (const d of rows) {
    const key = `${d.team}/${d.area}/${d.feature}`;
    if (d.status === 'failure') {
      failuresSince.set(key, (failuresSince.get(key) ?? 0) + 1);
      continue;
    }
    events.push({ at: d.deployAt, value: failuresSince.get(key) ?? 0, attrs: { team: d.team, area: d.area, feature: key } });
    failuresSince.set(key, 0);
  }
  let pending = 0;
  for (const n of failuresSince.values()) pending += n;
  return { events, pending, duplicates };
}

function resolution(tickets: readonly TicketRow[]): EventSet {
  const { rows, duplicates } = distinctTickets(tickets);
  const events: ValueEvent[] = [];
  let pending = 0;
  for (const t of rows) {
    if (t.closedAt === null) {
      pending++;
      continue;
    }
    events.push({
      at: t.openedAt,
      value: (t.closedAt - t.openedAt) / H,
      attrs: { category: t.category, subcategory: `${t.category} / ${t.subcategory}`, symptom: t.symptom, 'assignment group': t.assignmentGroup },
    });
  }
  return { events, pending, duplicates };
}

function leadTimes(deploys: readonly DeployRow[]): EventSet {
  const { rows, duplicates } = distinctDeploys(deploys);
  const events = rows
    .filter((d) => d.status === 'success')
    .map((d) => ({ at: d.deployAt, value: (d.deployAt - d.commitAt) / H, attrs: { team: d.team, area: d.area } }));
  return { events, pending: 0, duplicates };
}

/** The events of a threshold SLI from the records it needs (absent tables give no events). */
export function thresholdEvents(event: ThresholdEvent, data: { deploys?: readonly DeployRow[]; tickets?: readonly TicketRow[] }): EventSet {
  switch (event) {
    case 'deploy_gap_hours':
      return deployGaps(data.deploys ?? []);
    case 'failures_per_deploy':
      return failuresPerDeploy(data.deploys ?? []);
    case 'ticket_resolution_hours':
      return resolution(data.tickets ?? []);
    case 'lead_time_hours':
      return leadTimes(data.deploys ?? []);
  }
}

/** The table a threshold event reads. */
export const EVENT_TABLE: Readonly<Record<ThresholdEvent, 'deploys' | 'tickets'>> = Object.freeze({
  deploy_gap_hours: 'deploys',
  failures_per_deploy: 'deploys',
  ticket_resolution_hours: 'tickets',
  lead_time_hours: 'deploys',
});

/** Whether a value meets `op threshold`. */
export function compare(value: number, op: 'lt' | 'lte' | 'gt' | 'gte', threshold: number): boolean {
  switch (op) {
    case 'lt':
      return value < threshold;
    case 'lte':
      return value <= threshold;
    case 'gt':
      return value > threshold;
    case 'gte':
      return value >= threshold;
  }
}
