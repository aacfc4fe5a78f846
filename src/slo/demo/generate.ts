/**
 * The `vigia slo demo` data set: one calendar year (UTC) of a platform team's deploys, outages and
 * tickets, generated from a seed, plus an OpenSLO spec with four objectives over them. The data is
 * calibrated so that, with the default seed, two objectives are met and two are missed, each miss
 * with causes a report can find in the data, and with a few deliberate hygiene problems
 * (duplicates, open tickets, overlapping outages, mixed case, one short CSV row). `facts` says what
 * was injected so tests (and a curious reader) can check the report against the truth.
 *
 * `generateDemo` is pure (no I/O, no clock, no Math.random); `writeDemo` is the only I/O.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { Random, deriveSeed } from './random.js';

/** Seed used when none is given; the calibration (two met, two missed) is checked for it by the tests. */
export const DEFAULT_DEMO_SEED = 2025;
/** Year used when none is given. */
export const DEFAULT_DEMO_YEAR = 2025;

/** Options of the generator. */
export interface DemoOptions {
  readonly seed?: number;
  /** Calendar year (UTC) covered by the data. */
  readonly year?: number;
}

/** Names of the four SLOs in `slos.yaml`. */
export const DEMO_SLO_NAMES = ['deploy-frequency', 'failures-per-deploy', 'availability', 'ticket-resolution'] as const;
/** One of `DEMO_SLO_NAMES`. */
export type DemoSloName = (typeof DEMO_SLO_NAMES)[number];

/** Header of deploys.csv (the default column names of the slo conventions, as are the two below). */
export const DEPLOY_COLUMNS = ['id', 'team', 'area', 'feature', 'status', 'commit_at', 'deploy_at'] as const;
/** Header of outages.csv. */
export const OUTAGE_COLUMNS = ['down', 'up', 'code'] as const;
/** Header of tickets.csv. */
export const TICKET_COLUMNS = ['number', 'caller', 'category', 'subcategory', 'symptom', 'assignment_group', 'state', 'opened_at', 'closed_at'] as const;

/** What the generator injected, for tests and for checking a report against the truth. */
export interface DemoFacts {
  readonly seed: number;
  readonly year: number;
  /** ISO instants of the window [start, end). */
  readonly windowStart: string;
  readonly windowEnd: string;
  /** Data rows per file (header excluded; duplicates and the short row included). */
  readonly rows: { readonly deploys: number; readonly outages: number; readonly tickets: number };
  /** Days (YYYY-MM-DD) with almost no deploys and few tickets. */
  readonly holidays: readonly string[];
  readonly deploys: {
    /** Team whose deploy attempts fail far more often than the others'. */
    readonly failingTeam: string;
    /** Per-attempt failure probability of each team (the streaky area aside). */
    readonly failureProbability: Readonly<Record<string, number>>;
    /** Team and area whose features sometimes fail many times in a row before a success. */
    readonly streakyTeam: string;
    readonly streakyArea: string;
    /** Share of changes in the streaky area that go through a streak, and the streak length range. */
    readonly streakProbability: number;
    readonly streakLength: readonly [number, number];
  };
  readonly outages: {
    /** Error code with the most downtime. */
    readonly dominantCode: string;
    /** Months (YYYY-MM) with an incident cluster of the dominant code. */
    readonly badMonths: readonly string[];
    /** Outages per bad month that belong to the cluster. */
    readonly clusterOutages: Readonly<Record<string, number>>;
  };
  readonly tickets: {
    readonly slowCategory: string;
    readonly slowSubcategory: string;
    readonly slowSymptom: string;
    readonly slowGroup: string;
  };
  readonly hygiene: {
    /** Tickets with an empty closed_at (state "In Progress" or "New") at the end of the year. */
    readonly openTickets: number;
    /** Deploy rows that repeat an earlier row exactly (extra copies). */
    readonly duplicateDeployRows: number;
    /** Ticket rows that repeat an earlier row exactly (extra copies). */
    readonly duplicateTicketRows: number;
    /** Extra outage rows: a second monitor logging an outage already logged, a few minutes off. */
    readonly overlappingOutages: number;
    /** Deploy rows whose status is not spelled in lower case ("Success", "SUCCESS", "Failure"). */
    readonly mixedCaseDeployStatus: number;
    /** Ticket rows whose state is spelled in another case than the usual ("closed", "CLOSED"). */
    readonly mixedCaseTicketState: number;
    /** Ticket rows with a field missing (8 fields instead of 9), and the ticket number of that row. */
    readonly columnCountMismatch: number;
    readonly columnCountMismatchTicket: string;
  };
  /** Which objectives the data is calibrated to meet and to miss. */
  readonly expected: { readonly met: readonly DemoSloName[]; readonly missed: readonly DemoSloName[] };
}

/** The generated tables (each with its header row first) and the facts. */
export interface DemoData {
  readonly deploys: string[][];
  readonly outages: string[][];
  readonly tickets: string[][];
  readonly facts: DemoFacts;
}

/** Paths written by `writeDemo`. */
export interface DemoPaths {
  readonly dir: string;
  readonly spec: string;
  readonly deploys: string;
  readonly outages: string;
  readonly tickets: string;
}

// ---------------------------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------------------------

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MINUTE = 60_000;

interface Calendar {
  readonly year: number;
  readonly start: number;
  readonly end: number;
  readonly days: number;
  readonly holidays: ReadonlySet<number>; // day index within the year
}

/** Easter Sunday (Gregorian, anonymous algorithm) as [month 0-11, day]. */
function easter(year: number): [number, number] {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month - 1, day];
}

function calendar(year: number): Calendar {
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const dayIndex = (month: number, day: number) => Math.round((Date.UTC(year, month, day) - start) / DAY);
  const [em, ed] = easter(year);
  const easterIdx = dayIndex(em, ed);
  const holidays = new Set([
    dayIndex(0, 1), // New Year
    easterIdx - 2, // Good Friday
    easterIdx + 1, // Easter Monday
    dayIndex(4, 1), // Labour Day
    dayIndex(11, 24),
    dayIndex(11, 25),
    dayIndex(11, 26),
    dayIndex(11, 31),
  ]);
  return { year, start, end, days: Math.round((end - start) / DAY), holidays };
}

/** 0 = Sunday ... 6 = Saturday. */
const weekday = (ms: number): number => new Date(ms).getUTCDay();
const isWorkday = (cal: Calendar, ms: number): boolean => {
  const wd = weekday(ms);
  return wd !== 0 && wd !== 6 && !cal.holidays.has(Math.floor((ms - cal.start) / DAY));
};

/** ISO 8601 UTC, whole seconds: 2025-03-01T12:00:00Z. */
function iso(ms: number): string {
  return new Date(Math.round(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Relative weight of each UTC hour on a working day, for deploys and for tickets. */
const DEPLOY_HOURS = [0.01, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.2, 0.6, 1.0, 1.2, 1.1, 0.6, 0.9, 1.1, 1.2, 1.0, 0.7, 0.35, 0.15, 0.08, 0.04, 0.02, 0.01];
const TICKET_HOURS = [0.05, 0.04, 0.03, 0.03, 0.04, 0.08, 0.2, 0.5, 1.0, 1.2, 1.2, 1.1, 0.8, 1.0, 1.1, 1.0, 0.9, 0.6, 0.35, 0.2, 0.15, 0.1, 0.08, 0.06];

/**
 * Draws event times from a non-homogeneous Poisson process: the expected count in hour h is
 * `expected × weight(h) / Σ weight`. Returns sorted epoch ms.
 */
function poissonTimes(rng: Random, cal: Calendar, expected: number, weight: (hourStart: number) => number): number[] {
  const hours = cal.days * 24;
  const weights = new Float64Array(hours);
  let sum = 0;
  for (let h = 0; h < hours; h++) {
    const w = weight(cal.start + h * HOUR);
    weights[h] = w;
    sum += w;
  }
  const times: number[] = [];
  for (let h = 0; h < hours; h++) {
    const n = rng.poisson((expected * (weights[h] as number)) / sum);
    for (let i = 0; i < n; i++) times.push(cal.start + h * HOUR + Math.floor(rng.next() * HOUR));
  }
  return times.sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// Deploys
// ---------------------------------------------------------------------------------------------

interface TeamModel {
  readonly team: string;
  readonly weight: number;
  readonly pFail: number;
  readonly areas: Readonly<Record<string, readonly string[]>>;
}

const TEAMS: readonly TeamModel[] = [
  { team: 'payments', weight: 0.2, pFail: 0.45, areas: { checkout: ['apple-pay', 'card-form', 'promo-codes'], billing: ['invoices', 'dunning', 'tax-rates'], ledger: ['settlement', 'refunds', 'fx-rates'] } },
  { team: 'search', weight: 0.2, pFail: 0.1, areas: { indexing: ['crawler', 'incremental-index', 'schema-v2'], ranking: ['learning-to-rank', 'boosts', 'synonyms'], query: ['autocomplete', 'spellcheck', 'facets'] } },
  { team: 'identity', weight: 0.15, pFail: 0.1, areas: { auth: ['login', 'password-reset', 'mfa'], sso: ['saml', 'oidc', 'scim'], profiles: ['avatars', 'preferences', 'gdpr-export'] } },
  { team: 'platform', weight: 0.25, pFail: 0.08, areas: { ci: ['runners', 'cache', 'pipelines'], k8s: ['ingress', 'autoscaler', 'node-pools'], observability: ['dashboards', 'alerting', 'tracing'] } },
  { team: 'mobile', weight: 0.2, pFail: 0.12, areas: { ios: ['onboarding', 'wallet', 'widgets'], android: ['onboarding', 'wallet', 'offline-mode'], push: ['campaigns', 'quiet-hours', 'deep-links'] } },
];
const FAILING_TEAM = 'payments';
const STREAK = { team: 'search', area: 'indexing', probability: 0.06, min: 6, max: 14 } as const;
/** Expected successful changes per year: ~8760 h / 2050 ≈ 4.3 h mean gap, a visible miss of 3.5 h. */
const CHANGES_PER_YEAR = 2050;

function deployWeight(cal: Calendar, t: number): number {
  const date = new Date(t);
  const hour = date.getUTCHours();
  const month = date.getUTCMonth();
  const wd = date.getUTCDay();
  let w = DEPLOY_HOURS[hour] as number;
  if (cal.holidays.has(Math.floor((t - cal.start) / DAY))) w *= 0.04;
  else if (wd === 0 || wd === 6) w *= 0.05;
  else if (wd === 5 && hour >= 15) w *= 0.3; // no deploys on Friday afternoon, mostly
  if (month === 7) w *= 0.75; // summer holidays
  if (month === 11 && date.getUTCDate() >= 19) w *= 0.5; // year-end change freeze, loosely kept
  return w;
}

interface DeployEvent {
  readonly team: string;
  readonly area: string;
  readonly feature: string;
  readonly success: boolean;
  readonly commitAt: number;
  readonly deployAt: number;
}

function generateDeploys(rng: Random, cal: Calendar): DeployEvent[] {
  const starts = poissonTimes(rng, cal, CHANGES_PER_YEAR, (t) => deployWeight(cal, t));
  const events: DeployEvent[] = [];
  const teamWeights = TEAMS.map((t) => t.weight);
  for (const t0 of starts) {
    const team = rng.weightedPick(TEAMS, teamWeights);
    const area = rng.pick(Object.keys(team.areas));
    const feature = rng.pick(team.areas[area] as readonly string[]);
    const streaky = team.team === STREAK.team && area === STREAK.area && rng.chance(STREAK.probability);
    const failures = streaky ? rng.int(STREAK.min, STREAK.max) : rng.geometric(team.pFail);
    // lead time commit -> first attempt: log-normal, median 6 h, from an hour to several days
    let lead = rng.lognormalMedian(6, 1.1) * HOUR;
    if (t0 - lead < cal.start) lead = (t0 - cal.start) * rng.uniform(0.2, 0.9);
    const commitAt = t0 - lead;
    let at = t0;
    const attempts: DeployEvent[] = [];
    for (let i = 0; i <= failures; i++) {
      if (i > 0) at += rng.lognormalMedian(streaky ? 50 : 25, 0.7) * MINUTE; // retry after a fix
      attempts.push({ team: team.team, area, feature, success: i === failures, commitAt, deployAt: at });
    }
    if (at >= cal.end) continue; // would finish next year: not part of this year's log
    events.push(...attempts);
  }
  return events.sort((a, b) => a.deployAt - b.deployAt);
}

// ---------------------------------------------------------------------------------------------
// Outages
// ---------------------------------------------------------------------------------------------

interface OutageModel {
  readonly code: string;
  readonly weight: number;
  /** Log-normal duration: median minutes, sigma. */
  readonly median: number;
  readonly sigma: number;
}

const OUTAGE_CODES: readonly OutageModel[] = [
  { code: '500', weight: 0.18, median: 45, sigma: 1.0 },
  { code: '502', weight: 0.14, median: 35, sigma: 1.0 },
  { code: '503', weight: 0.22, median: 60, sigma: 1.0 },
  { code: '504', weight: 0.12, median: 40, sigma: 1.0 },
  { code: 'TIMEOUT', weight: 0.1, median: 25, sigma: 0.9 },
  { code: '404', weight: 0.14, median: 50, sigma: 1.0 },
  { code: '429', weight: 0.1, median: 20, sigma: 0.8 },
];
const BACKGROUND_OUTAGES = 250;
const DOMINANT_CODE = '503';
/** Incident clusters: month (0-11), first day, expected outages, median hours down, mean hours up between them. */
const CLUSTERS = [
  { month: 2, fromDay: 4, expected: 24, medianHours: 8, meanGapHours: 10 },
  { month: 10, fromDay: 10, expected: 20, medianHours: 8, meanGapHours: 10 },
] as const;
const OVERLAPPING_OUTAGES = 5;

interface OutageEvent {
  readonly down: number;
  readonly up: number;
  readonly code: string;
  readonly cluster: string | null;
}

function generateOutages(rng: Random, cal: Calendar): { rows: OutageEvent[]; clusterOutages: Record<string, number> } {
  const candidates: OutageEvent[] = [];
  // outages follow change: more in working hours, when deploys happen
  const starts = poissonTimes(rng, cal, BACKGROUND_OUTAGES, (t) => (isWorkday(cal, t) ? 0.6 + (DEPLOY_HOURS[new Date(t).getUTCHours()] as number) : 0.6));
  const weights = OUTAGE_CODES.map((c) => c.weight);
  for (const down of starts) {
    const m = rng.weightedPick(OUTAGE_CODES, weights);
    candidates.push({ down, up: down + Math.max(1, rng.lognormalMedian(m.median, m.sigma)) * MINUTE, code: m.code, cluster: null });
  }
  // incident clusters: one outage of the dominant code after another, none overlapping
  const clusters: OutageEvent[] = [];
  for (const c of CLUSTERS) {
    const label = `${cal.year}-${String(c.month + 1).padStart(2, '0')}`;
    const to = Date.UTC(cal.year, c.month + 1, 1);
    const n = rng.poisson(c.expected);
    let t = Date.UTC(cal.year, c.month, c.fromDay) + rng.uniform(0, DAY);
    for (let i = 0; i < n && t < to; i++) {
      const up = t + rng.lognormalMedian(c.medianHours, 0.5) * HOUR;
      clusters.push({ down: t, up, code: rng.chance(0.9) ? DOMINANT_CODE : '502', cluster: label });
      t = up + (0.5 + rng.exponential(c.meanGapHours)) * HOUR;
    }
  }
  const clear = (o: OutageEvent) => clusters.every((c) => o.up + 10 * MINUTE < c.down || o.down > c.up + 10 * MINUTE);
  candidates.sort((a, b) => a.down - b.down);
  // one log of distinct outages: a candidate starting within 10 minutes of the previous end is dropped
  const kept: OutageEvent[] = [];
  let lastUp = -Infinity;
  for (const o of candidates) {
    if (o.down < lastUp + 10 * MINUTE || o.up > cal.end - HOUR || !clear(o)) continue;
    kept.push(o);
    lastUp = o.up;
  }
  const rows: OutageEvent[] = [...kept, ...clusters.filter((o) => o.up < cal.end - HOUR)]
    .map((o) => ({ ...o, down: Math.round(o.down / 1000) * 1000, up: Math.round(o.up / 1000) * 1000 }))
    .sort((a, b) => a.down - b.down);
  const clusterOutages: Record<string, number> = {};
  for (const c of CLUSTERS) clusterOutages[`${cal.year}-${String(c.month + 1).padStart(2, '0')}`] = 0;
  for (const o of rows) if (o.cluster !== null) clusterOutages[o.cluster] = (clusterOutages[o.cluster] ?? 0) + 1;
  // a second monitor logs a few server-side outages again, a few minutes off (still overlapping)
  const serverSide = rows.map((o, i) => [o, i] as const).filter(([o]) => !/^4/.test(o.code) && o.up - o.down > 20 * MINUTE);
  const picked = rng.sampleIndices(serverSide.length, OVERLAPPING_OUTAGES).map((i) => (serverSide[i] as readonly [OutageEvent, number])[0]);
  for (const o of picked) {
    const down = o.down + rng.int(-180, 180) * 1000;
    const up = o.up + rng.int(-180, 180) * 1000;
    rows.push({ down, up, code: o.code, cluster: o.cluster });
  }
  rows.sort((a, b) => a.down - b.down || a.up - b.up);
  return { rows, clusterOutages };
}

// ---------------------------------------------------------------------------------------------
// Tickets
// ---------------------------------------------------------------------------------------------

type GroupWeights = ReadonlyArray<readonly [string, number]>;
interface TicketKind {
  readonly category: string;
  readonly subcategory: string;
  readonly symptom: string;
  readonly weight: number;
  readonly groups: GroupWeights;
  /** Extra factor on the group's resolution effort. */
  readonly effort?: number;
}

const L1 = 'Service Desk L1';
const NET = 'Network L2';
const DESK = 'Desktop Support';
const APP = 'App Support';
const IAM = 'IAM Team';
const DBA = 'DBA Team';

const kind = (category: string, subcategory: string, symptom: string, weight: number, groups: GroupWeights, effort?: number): TicketKind =>
  effort === undefined ? { category, subcategory, symptom, weight, groups } : { category, subcategory, symptom, weight, groups, effort };

const TICKET_KINDS: readonly TicketKind[] = [
  kind('Network', 'VPN', 'VPN drops', 5.5, [[NET, 0.9], [L1, 0.1]], 2.2),
  kind('Network', 'VPN', 'VPN cannot connect', 2.5, [[NET, 0.6], [L1, 0.4]], 1.2),
  kind('Network', 'Wi-Fi', 'Wi-Fi slow', 2, [[L1, 0.6], [NET, 0.4]]),
  kind('Network', 'DNS', 'Name does not resolve', 1, [[NET, 1]]),
  kind('Network', 'Firewall', 'Port blocked', 1, [[NET, 1]]),
  kind('Software', 'Email', 'Cannot send email', 6, [[L1, 0.7], [APP, 0.3]]),
  kind('Software', 'Email', 'Mailbox full', 4, [[L1, 1]]),
  kind('Software', 'Office', 'Excel crashes', 5, [[DESK, 0.5], [L1, 0.5]]),
  kind('Software', 'Office', 'Teams, Outlook out of sync', 4, [[L1, 0.7], [DESK, 0.3]]),
  kind('Software', 'ERP', 'Invoice export fails', 3, [[APP, 1]]),
  kind('Software', 'ERP', 'Report "Sales Q" empty', 2, [[APP, 1]]),
  kind('Hardware', 'Laptop', 'Battery drains fast', 3, [[DESK, 1]]),
  kind('Hardware', 'Laptop', 'Will not boot', 3, [[DESK, 1]]),
  kind('Hardware', 'Printer', 'Printer offline', 4, [[DESK, 0.6], [L1, 0.4]]),
  kind('Hardware', 'Monitor', 'No display', 2, [[DESK, 1]]),
  kind('Access', 'Password', 'Password reset', 10, [[L1, 0.8], [IAM, 0.2]]),
  kind('Access', 'Password', 'Account locked', 6, [[L1, 0.6], [IAM, 0.4]]),
  kind('Access', 'MFA', 'MFA token lost', 4, [[IAM, 1]]),
  kind('Access', 'Permissions', 'Need access to shared drive', 5, [[IAM, 1]]),
  kind('Database', 'Performance', 'Query slow', 3, [[DBA, 1]]),
  kind('Database', 'Replication', 'Replica lag', 1.5, [[DBA, 1]]),
  kind('Application', 'Web portal', 'Page returns 503', 3, [[APP, 1]]),
  kind('Application', 'Web portal', 'Login loop', 2, [[APP, 0.5], [IAM, 0.5]]),
  kind('Application', 'API', 'Partner API timeouts', 2, [[APP, 1]]),
];
/** Resolution effort per group, in business hours: log-normal median, sigma. */
const GROUP_EFFORT: Readonly<Record<string, readonly [number, number]>> = {
  [L1]: [1.5, 1.0],
  [IAM]: [2.5, 1.0],
  [DESK]: [6, 0.9],
  [APP]: [7, 1.0],
  [DBA]: [6, 1.0],
  [NET]: [14, 0.9],
};
const SLOW = { category: 'Network', subcategory: 'VPN', symptom: 'VPN drops', group: NET } as const;
const TICKETS_PER_YEAR = 4300;
const DUPLICATE_TICKET_ROWS = 3;
const DUPLICATE_DEPLOY_ROWS = 4;
const MIXED_CASE_TICKET_STATES = 12;
const MIXED_CASE_DEPLOY_STATUSES = 9;

const FIRST_NAMES = ['Ana', 'Lucas', 'María', 'Jonas', 'Chloé', 'Wei', 'Fatima', 'Noah', 'Sofia', 'Ibrahim', 'Emma', 'Mateo', 'Aiko', 'Oliver', 'Lena', 'Rahul', 'Zoë', 'Pedro', 'Ingrid', 'Kwame', 'Marta', 'Tomás', 'Yuki', 'Amira'];
const LAST_NAMES = ['García', 'Müller', 'Rossi', 'Dubois', 'Nowak', 'Silva', 'Okafor', 'Jensen', 'Kowalski', 'Fernández', 'Chen', 'Novak', 'Haddad', 'Tanaka', 'Smith', 'Moreau', "O'Brien", 'Petrov', 'Lindqvist', 'Romero'];

/** Advances `from` by `hours` of business time (Mon-Fri 08:00-18:00 UTC, holidays off). */
function addBusinessHours(cal: Calendar, from: number, hours: number): number {
  let t = from;
  let rest = hours * HOUR;
  for (;;) {
    const day = Math.floor(t / DAY) * DAY;
    const open = day + 8 * HOUR;
    const close = day + 18 * HOUR;
    if (!isWorkday(cal, day) || t >= close) {
      t = day + DAY + 8 * HOUR;
      continue;
    }
    if (t < open) t = open;
    if (rest <= close - t) return t + rest;
    rest -= close - t;
    t = day + DAY + 8 * HOUR;
  }
}

function ticketWeight(cal: Calendar, t: number): number {
  const hour = new Date(t).getUTCHours();
  const base = TICKET_HOURS[hour] as number;
  if (cal.holidays.has(Math.floor((t - cal.start) / DAY))) return base * 0.15;
  const wd = weekday(t);
  return wd === 0 || wd === 6 ? base * 0.15 : base;
}

interface TicketEvent {
  readonly caller: string;
  readonly kind: TicketKind;
  readonly group: string;
  readonly openedAt: number;
  /** null: still open at the end of the year. */
  readonly closedAt: number | null;
}

function generateTickets(rng: Random, cal: Calendar): TicketEvent[] {
  // a few hundred callers; some call far more often than others
  const callers: string[] = [];
  const callerWeights: number[] = [];
  for (let i = 0; i < 320; i++) {
    callers.push(`${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`);
    callerWeights.push(1 / (1 + i * 0.05));
  }
  const badMonths = new Set<number>(CLUSTERS.map((c) => c.month));
  const times = poissonTimes(rng, cal, TICKETS_PER_YEAR, (t) => ticketWeight(cal, t));
  const baseWeights = TICKET_KINDS.map((k) => k.weight);
  // during the incident clusters users report the portal's 503s
  const badWeights = TICKET_KINDS.map((k) => (k.symptom === 'Page returns 503' ? k.weight * 5 : k.weight));
  const tickets: TicketEvent[] = [];
  for (const openedAt of times) {
    const k = rng.weightedPick(TICKET_KINDS, badMonths.has(new Date(openedAt).getUTCMonth()) ? badWeights : baseWeights);
    const group = rng.weightedPick(
      k.groups.map(([g]) => g),
      k.groups.map(([, w]) => w),
    );
    const [median, sigma] = GROUP_EFFORT[group] as readonly [number, number];
    const effort = rng.lognormalMedian(median * (k.effort ?? 1), sigma);
    const closedAt = Math.round(addBusinessHours(cal, openedAt, effort) / 1000) * 1000;
    const caller = rng.weightedPick(callers, callerWeights);
    tickets.push({ caller, kind: k, group, openedAt, closedAt: closedAt >= cal.end ? null : closedAt });
  }
  return tickets;
}

// ---------------------------------------------------------------------------------------------
// Assembly
// ---------------------------------------------------------------------------------------------

/** Repeats the rows at `indices` right after themselves (an exact duplicate each). */
function duplicateRows(rows: string[][], indices: readonly number[]): string[][] {
  const set = new Set(indices);
  const out: string[][] = [];
  rows.forEach((r, i) => {
    out.push(r);
    if (set.has(i)) out.push([...r]);
  });
  return out;
}

/**
 * Generates the demo year. Pure and deterministic: the same options give the same rows, byte for
 * byte. Rows are string cells, header first; the tickets table holds one deliberately short row.
 */
export function generateDemo(opts: DemoOptions = {}): DemoData {
  const seed = (opts.seed ?? DEFAULT_DEMO_SEED) >>> 0;
  const year = opts.year ?? DEFAULT_DEMO_YEAR;
  if (!Number.isInteger(year) || year < 1970 || year > 9999) throw new RangeError(`generateDemo: year must be an integer in 1970..9999, got ${year}`);
  const cal = calendar(year);
  const rng = (label: string) => new Random(deriveSeed(seed, label));

  // --- deploys
  const deployRng = rng('deploys');
  const deployEvents = generateDeploys(deployRng, cal);
  let deployData = deployEvents.map((e, i) => [
    `DEP-${String(i + 1).padStart(5, '0')}`,
    e.team,
    e.area,
    e.feature,
    e.success ? 'success' : 'failure',
    iso(e.commitAt),
    iso(e.deployAt),
  ]);
  const hygieneRng = rng('hygiene');
  for (const i of hygieneRng.sampleIndices(deployData.length, MIXED_CASE_DEPLOY_STATUSES)) {
    const row = deployData[i] as string[];
    row[4] = row[4] === 'success' ? hygieneRng.pick(['Success', 'SUCCESS']) : 'Failure';
  }
  // duplicates are taken among lower-case rows so each problem keeps its stated count
  const deployDupCandidates = deployData.flatMap((r, i) => (r[4] === 'success' || r[4] === 'failure' ? [i] : []));
  const deployDupIdx = hygieneRng.sampleIndices(deployDupCandidates.length, DUPLICATE_DEPLOY_ROWS).map((i) => deployDupCandidates[i] as number);
  deployData = duplicateRows(deployData, deployDupIdx);

  // --- outages
  const { rows: outageEvents, clusterOutages } = generateOutages(rng('outages'), cal);
  const outageData = outageEvents.map((o) => [iso(o.down), iso(o.up), o.code]);

  // --- tickets
  const ticketEvents = generateTickets(rng('tickets'), cal);
  let ticketData = ticketEvents.map((t, i) => {
    let state: string;
    if (t.closedAt === null) state = t.openedAt > cal.end - DAY && hygieneRng.chance(0.5) ? 'New' : 'In Progress';
    else state = t.closedAt > cal.end - 3 * DAY || hygieneRng.chance(0.05) ? 'Resolved' : 'Closed';
    return [
      `INC${String(1000 + i).padStart(7, '0')}`,
      t.caller,
      t.kind.category,
      t.kind.subcategory,
      t.kind.symptom,
      t.group,
      state,
      iso(t.openedAt),
      t.closedAt === null ? '' : iso(t.closedAt),
    ];
  });
  const openTickets = ticketData.filter((r) => r[8] === '').length;
  const closedIdx = ticketData.flatMap((r, i) => (r[6] === 'Closed' ? [i] : []));
  const stateIdx = hygieneRng.sampleIndices(closedIdx.length, MIXED_CASE_TICKET_STATES + 1).map((i) => closedIdx[i] as number);
  const shortIdx = stateIdx.pop() as number; // one more closed ticket: it loses a field below
  for (const i of stateIdx) (ticketData[i] as string[])[6] = hygieneRng.pick(['closed', 'CLOSED']);
  const shortRow = ticketData[shortIdx] as string[];
  const shortTicket = shortRow[0] as string;
  ticketData[shortIdx] = shortRow.filter((_, c) => c !== 4); // the symptom went missing in an export
  const dupCandidates = ticketData.flatMap((r, i) => (r.length === TICKET_COLUMNS.length && (r[6] === 'Closed' || r[6] === 'Resolved') ? [i] : []));
  const dupIdx = hygieneRng.sampleIndices(dupCandidates.length, DUPLICATE_TICKET_ROWS).map((i) => dupCandidates[i] as number);
  ticketData = duplicateRows(ticketData, dupIdx);

  const facts: DemoFacts = {
    seed,
    year,
    windowStart: iso(cal.start),
    windowEnd: iso(cal.end),
    rows: { deploys: deployData.length, outages: outageData.length, tickets: ticketData.length },
    holidays: [...cal.holidays].sort((a, b) => a - b).map((d) => iso(cal.start + d * DAY).slice(0, 10)),
    deploys: {
      failingTeam: FAILING_TEAM,
      failureProbability: Object.fromEntries(TEAMS.map((t) => [t.team, t.pFail])),
      streakyTeam: STREAK.team,
      streakyArea: STREAK.area,
      streakProbability: STREAK.probability,
      streakLength: [STREAK.min, STREAK.max],
    },
    outages: { dominantCode: DOMINANT_CODE, badMonths: Object.keys(clusterOutages), clusterOutages },
    tickets: { slowCategory: SLOW.category, slowSubcategory: SLOW.subcategory, slowSymptom: SLOW.symptom, slowGroup: SLOW.group },
    hygiene: {
      openTickets,
      duplicateDeployRows: DUPLICATE_DEPLOY_ROWS,
      duplicateTicketRows: DUPLICATE_TICKET_ROWS,
      overlappingOutages: OVERLAPPING_OUTAGES,
      mixedCaseDeployStatus: MIXED_CASE_DEPLOY_STATUSES,
      mixedCaseTicketState: MIXED_CASE_TICKET_STATES,
      columnCountMismatch: 1,
      columnCountMismatchTicket: shortTicket,
    },
    expected: { met: ['failures-per-deploy', 'ticket-resolution'], missed: ['deploy-frequency', 'availability'] },
  };
  return {
    deploys: [[...DEPLOY_COLUMNS], ...deployData],
    outages: [[...OUTAGE_COLUMNS], ...outageData],
    tickets: [[...TICKET_COLUMNS], ...ticketData],
    facts,
  };
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/** RFC 4180 CSV: fields with a comma, quote, CR or LF are quoted (quotes doubled); LF line ends, trailing LF. */
export function toCsv(rows: readonly (readonly string[])[]): string {
  const field = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return rows.map((r) => r.map(field).join(',')).join('\n') + '\n';
}

/** The OpenSLO spec of the demo (one multi-document YAML file): the `records` CSV DataSource and the four SLOs. */
export function demoSpecYaml(opts: DemoOptions = {}): string {
  const seed = (opts.seed ?? DEFAULT_DEMO_SEED) >>> 0;
  const year = opts.year ?? DEFAULT_DEMO_YEAR;
  const window = `  budgetingMethod: Occurrences
  timeWindow:
    - duration: 1Y
      isRolling: false
      calendar:
        startTime: "${year}-01-01 00:00:00"
        timeZone: UTC`;
  const threshold = (name: string, displayName: string, statistic: string, description: string, sli: string, event: string, objective: string, value: number, target: number) => `apiVersion: openslo/v1
kind: SLO
metadata:
  name: ${name}
  displayName: ${displayName}
  annotations:
    vigia.dev/statistic: ${statistic}
spec:
  service: platform
  description: ${description}
${window}
  indicator:
    metadata:
      name: ${sli}
    spec:
      thresholdMetric:
        metricSource:
          metricSourceRef: records
          type: CSV
          spec:
            event: ${event}
  objectives:
    - displayName: ${objective}
      op: lte
      value: ${value}
      target: ${target}
`;
  return `# Vigía demo SLOs (generated by \`vigia slo demo\`, seed ${seed}, year ${year}).
# Data: deploys.csv, outages.csv, tickets.csv beside this file.
apiVersion: openslo/v1
kind: DataSource
metadata:
  name: records
spec:
  type: CSV
  connectionDetails:
    files:
      deploys: deploys.csv
      outages: outages.csv
      tickets: tickets.csv
    timeZone: UTC
---
${threshold('deploy-frequency', 'A deploy at least every 3.5 hours', 'mean', 'Hours between consecutive successful production deploys.', 'deploy-gap', 'deploy_gap_hours', 'gap <= 3.5 h', 3.5, 0.9)}---
${threshold('failures-per-deploy', 'At most 4.5 failures per deploy', 'mean', 'Failed deploys of a feature before each successful deploy of it.', 'failures-per-deploy', 'failures_per_deploy', 'failures <= 4.5', 4.5, 0.9)}---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
  displayName: At least 94 % availability
spec:
  service: platform
  description: Share of the year without an outage; client errors (4xx) are not downtime.
${window}
  indicator:
    metadata:
      name: outage-availability
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            metricSourceRef: records
            type: CSV
            spec:
              sli: availability
              countClientErrors: false
        total:
          metricSource:
            metricSourceRef: records
            type: CSV
            spec:
              sli: availability
  objectives:
    - displayName: availability >= 94 %
      target: 0.94
---
${threshold('ticket-resolution', 'Errors answered within 1.5 days', 'mean', 'Hours from opening to closing of each closed incident ticket.', 'ticket-resolution', 'ticket_resolution_hours', 'resolution <= 36 h', 36, 0.9)}`;
}


/**
 * Writes deploys.csv, outages.csv, tickets.csv and slos.yaml into `dir` (created if missing), each
 * through a temporary file renamed into place, so a reader never sees half a file. Returns the paths.
 * Made-up demo data, not private: the directory and files follow the umask (0755/0644 at most).
 */
export async function writeDemo(dir: string, opts: DemoOptions = {}): Promise<DemoPaths> {
  const data = generateDemo(opts);
  await mkdir(dir, { recursive: true });
  const paths: DemoPaths = {
    dir,
    spec: join(dir, 'slos.yaml'),
    deploys: join(dir, 'deploys.csv'),
    outages: join(dir, 'outages.csv'),
    tickets: join(dir, 'tickets.csv'),
  };
  await writeFileAtomic(paths.deploys, toCsv(data.deploys), 0o644);
  await writeFileAtomic(paths.outages, toCsv(data.outages), 0o644);
  await writeFileAtomic(paths.tickets, toCsv(data.tickets), 0o644);
  await writeFileAtomic(paths.spec, demoSpecYaml(opts), 0o644);
  return paths;
}
