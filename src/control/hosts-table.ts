/**
 * `vigia server hosts` for a person: one row per host (name, operator tags, reported tags, last seen as
 * an age, status). Pure: rows and `now` in, text out; `--json` keeps the API's JSON for scripts.
 */
import { alignTable } from './reports/format.js';
import { sanitiseText } from '../core/sanitise.js';

/** A host as GET /v1/hosts answers it (dates as ISO strings) or as the store returns it (Date). */
export interface HostListRow {
  readonly host: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly reportedTags: Readonly<Record<string, string>>;
  readonly lastSeen: string | Date | null;
  readonly intervalSeconds: number | null;
  readonly lastError: string | null;
}

/** What the freshness policy needs (the server's reports policy: staleAfterIntervals, defaultIntervalSeconds). */
export interface FreshnessPolicy {
  readonly staleAfterIntervals: number;
  readonly defaultIntervalSeconds: number;
}

/** `never` (no report yet), `stale` (no report for staleAfterIntervals of its own intervals) or `ok`. */
export function hostFreshness(h: HostListRow, nowMs: number, policy: FreshnessPolicy): 'ok' | 'stale' | 'never' {
  if (h.lastSeen === null) return 'never';
  const interval = h.intervalSeconds ?? policy.defaultIntervalSeconds;
  return nowMs - new Date(h.lastSeen).getTime() > policy.staleAfterIntervals * interval * 1000 ? 'stale' : 'ok';
}

/** An age as people say it: "12s", "5m", "3h", "2d" ago; "never" for null; "now" within a second or in the future (clock skew). */
export function formatAge(since: string | Date | null, nowMs: number): string {
  if (since === null) return 'never';
  const s = Math.floor((nowMs - new Date(since).getTime()) / 1000);
  if (s < 1) return 'now';
  if (s < 120) return `${s}s ago`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 2 * 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

const tagText = (tags: Readonly<Record<string, string>>): string => {
  const entries = Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v}`).join(',');
};

/**
 * The table, header first, sorted by host name, ending in a newline; "no hosts enrolled" with the
 * command that enrols one when empty. Tags and errors are the hosts' text: every cell goes through
 * core/sanitise (alignTable), so a tag cannot move the cursor or fake a line.
 */
export function renderHostsTable(rows: readonly HostListRow[], nowMs: number, policy: FreshnessPolicy): string {
  if (rows.length === 0) return 'no hosts enrolled (vigia server enroll --host NAME ...)\n';
  const sorted = [...rows].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const table: string[][] = [['HOST', 'TAGS', 'REPORTED TAGS', 'LAST SEEN', 'STATUS']];
  for (const h of sorted) {
    const status = hostFreshness(h, nowMs, policy);
    const err = h.lastError === null ? '' : ` (last refused: ${sanitiseText(h.lastError.replace(/\s+/g, ' ').slice(0, 80))})`;
    table.push([h.host, tagText(h.tags), tagText(h.reportedTags), formatAge(h.lastSeen, nowMs), `${status}${err}`]);
  }
  return `${alignTable(table)}\n`;
}
