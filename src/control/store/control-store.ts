/**
 * The control plane's store: one interface, two implementations over the same SQL and migrations
 * (PostgreSQL via `postgres`, embedded PGlite). Every report-building query lives behind it so the
 * report code is pure and the two databases run one shared contract test suite.
 */
import type { HostReport, ReportDevice } from '../../core/contracts/host-report.js';
import type { WhereClause } from '../fleet-runs/selector.js';

/** How a report reached the control plane. */
export type ReportSource = 'push' | 'pull-agent' | 'pull-node-exporter';

/** An enrolled host as the ingest path needs it. */
export interface HostIdentity {
  readonly id: number;
  readonly name: string;
}

/** One validated report with the server's receive time (last_seen is server time, never the host clock). */
export interface IngestItem {
  readonly hostId: number;
  readonly receivedAt: Date;
  readonly source: ReportSource;
  readonly report: HostReport;
}

/**
 * What became of one ingested report: `stored`; `duplicate` (same host and sampled_at already stored:
 * nothing changed); `expired` (sampled_at older than the retention window: only last_seen moved).
 */
export type IngestOutcome = 'stored' | 'duplicate' | 'expired';

/** A host's identity, tags and freshness, for stale detection and fleet views. */
export interface HostStatusRow {
  readonly host: string;
  /** The operator's tags (enrolment); a report never changes them. */
  readonly tags: Readonly<Record<string, string>>;
  /** The tags of the host's newest report, kept apart: the host writes them ({} before its first). */
  readonly reportedTags: Readonly<Record<string, string>>;
  readonly enrolledAt: Date;
  /** Server receive time of the newest report; null when the host never reported. */
  readonly lastSeen: Date | null;
  /** Host-clock time of the newest report (for clock-skew display); null when never. */
  readonly lastSampledAt: Date | null;
  /** The interval the host's newest report announced, seconds; null when never reported. */
  readonly intervalSeconds: number | null;
  readonly source: ReportSource | null;
  /** The last reason a report from this host was refused (e.g. clock skew), with its time; null when none. */
  readonly lastError: string | null;
  readonly lastErrorAt: Date | null;
}

/**
 * Least-squares sums of (x, y) points of one volume over the window, x = seconds since `windowStart`
 * and y = used bytes. slope = (n*sxy - sx*sy) / (n*sxx - sx*sx). Kept as sums so the store can
 * maintain them incrementally per day and add days together.
 */
export interface RegressionSums {
  readonly n: number;
  readonly sx: number;
  readonly sy: number;
  readonly sxx: number;
  readonly sxy: number;
}

/** One day of one volume: the day (UTC, YYYY-MM-DD) and its highest and lowest used bytes. */
export interface DailyExtremes {
  readonly day: string;
  readonly maxUsedBytes: number;
  readonly minUsedBytes: number;
  readonly maxUsePct: number;
}

/** One volume of one host, as the capacity report needs it: the latest figures plus its trend. */
export interface CapacityVolumeRow {
  readonly host: string;
  readonly mountpoint: string;
  readonly device: string;
  readonly fstype: string;
  readonly role: ReportDevice['role'];
  readonly readOnly: boolean;
  readonly sizeBytes: number | null;
  readonly usedBytes: number | null;
  readonly availBytes: number | null;
  readonly usePct: number | null;
  readonly inodeUsePct: number | null;
  readonly error: string | null;
  /** Host-clock time of the latest figures. */
  readonly sampledAt: Date;
  /** Sums over [windowStart, now]; null when the window holds no sample. */
  readonly trend: RegressionSums | null;
  /** The highest use % of the window's days (a day without use % counts 0); null when the window holds no sample. */
  readonly windowPeakUsePct: number | null;
  /**
   * Binlog volumes (whose trend is fitted through daily peaks): one entry per UTC day in the window
   * that has samples, oldest first. Empty for other roles.
   */
  readonly daily: readonly DailyExtremes[];
}

/** Everything the capacity report is built from. */
export interface CapacityData {
  readonly now: Date;
  /**
   * The x origin of every volume's `trend`: 00:00Z of the UTC day of now - windowDays. The store keeps
   * per-day sums and adds whole days, so the trend covers [windowStart, now], up to a day more than
   * windowDays; every point has x >= 0.
   */
  readonly windowStart: Date;
  readonly hosts: readonly HostStatusRow[];
  readonly volumes: readonly CapacityVolumeRow[];
}

/** avg / p95 / max of one figure over a day. */
export interface Stat3 {
  readonly avg: number;
  readonly p95: number;
  readonly max: number;
}

/** One host's day: CPU shares, load and memory from every sample of the day. */
export interface PerformanceHostRow {
  readonly host: string;
  readonly samples: number;
  readonly cpus: number;
  readonly user: Stat3;
  readonly system: Stat3;
  readonly iowait: Stat3;
  readonly steal: Stat3;
  readonly load1: Stat3;
  readonly memUsedPct: Stat3;
  /** CPU busy, user + system of each sample, then avg / p95 / max (the p95 of the sum, not the sum of the p95s). */
  readonly busy: Stat3;
}

/** One block device of one host over a day. */
export interface PerformanceDiskRow {
  readonly host: string;
  readonly device: string;
  readonly samples: number;
  readonly readBytesPerS: Stat3;
  readonly writeBytesPerS: Stat3;
  readonly readsPerS: Stat3;
  readonly writesPerS: Stat3;
  readonly awaitMs: Stat3;
  readonly utilPct: Stat3;
}

/** One mounted filesystem of one host over a day (every mount, not only data/binlog). */
export interface PerformanceFilesystemRow {
  readonly host: string;
  readonly mountpoint: string;
  readonly device: string;
  readonly fstype: string;
  readonly role: ReportDevice['role'];
  readonly sizeBytes: number | null;
  readonly maxUsedBytes: number | null;
  readonly maxUsePct: number | null;
  /** Used bytes at the end of the day minus at its start (negative after purges). */
  readonly growthBytes: number | null;
}

/** Everything the daily performance report is built from, for [dayStart, dayStart + 24 h). */
export interface PerformanceData {
  readonly day: string;
  readonly hosts: readonly PerformanceHostRow[];
  readonly disks: readonly PerformanceDiskRow[];
  readonly filesystems: readonly PerformanceFilesystemRow[];
  /** Enrolled hosts with no report that day. */
  readonly silentHosts: readonly string[];
  /**
   * Hosts that reported that day, but never with system figures (`system: null`, e.g. a node_exporter
   * without the cpu collector): not in `hosts`, not silent. hosts + hostsWithoutSystem + silentHosts
   * is every host enrolled by the day's end. The store always sets it (optional for hand-built data).
   */
  readonly hostsWithoutSystem: readonly string[];
}

/** What partition maintenance did. */
export interface PartitionMaintenance {
  readonly created: readonly string[];
  readonly dropped: readonly string[];
}

/** Who made a change, for its audit row. */
export interface AuditBy {
  /** The operator token's name. */
  readonly actor: string;
}

/** The control plane's persistent state. Every method is safe to call concurrently. */
export interface ControlStore {
  /** `postgres` or `pglite`, for logs and metrics. */
  readonly kind: 'postgres' | 'pglite';
  /** Apply pending numbered migrations (idempotent; refuses a schema newer than this build). */
  migrate(): Promise<void>;
  /**
   * Enrol a host (or rotate its token when it exists): store only the token hash. Returns whether the
   * host was new. Tags are the operator's; report tags are merged over them at ingest. `now` is the
   * enrolment time of a new host (a rotation keeps the first one). With `by`: a `host.enroll` or
   * `host.rotate` audit row (host, tags; never the token) in the same transaction.
   */
  enrollHost(name: string, tokenHash: string, tags?: Readonly<Record<string, string>>, now?: Date, by?: AuditBy): Promise<{ created: boolean; host: HostIdentity }>;
  /** Forget a host and everything about it. Returns false when unknown. With `by`: a `host.remove` audit row in the same transaction. */
  removeHost(name: string, by?: AuditBy): Promise<boolean>;
  /** The hosts a `--where` clause selects (fleet-runs/selector.ts matchesWhere), by name. */
  hostsWhere(where: WhereClause): Promise<HostIdentity[]>;
  /**
   * Remove every host `where` selects, in one transaction, with one `host.remove` audit row per host
   * (with `by`). `by.expect`: the count the operator confirmed; another count removes nothing and
   * throws VIGIA_ERR_BAD_REQUEST. Returns the hosts removed.
   */
  removeHostsWhere(where: WhereClause, by?: AuditBy & { readonly expect?: number }): Promise<HostIdentity[]>;
  /** Append one `audit_log` row (see store/audit-log.ts), for events that change nothing else (refusals). */
  audit(actor: string, action: string, detail: Record<string, unknown>): Promise<void>;
  /** The host a token hash belongs to, or undefined. */
  hostByTokenHash(tokenHash: string): Promise<HostIdentity | undefined>;
  /** The host by name (for pulled targets, which have no token), or undefined. */
  hostByName(name: string): Promise<HostIdentity | undefined>;
  /**
   * Store a batch of reports in one transaction; outcome i belongs to items[i]. Idempotent: a report
   * whose (host, sampled_at) is already stored changes nothing. Latest state only moves forward
   * (an old spooled report fills history but never overwrites newer latest figures).
   */
  ingest(items: readonly IngestItem[]): Promise<IngestOutcome[]>;
  /** Record why a host's report was refused (shown in reports beside the host). */
  recordHostError(hostId: number, at: Date, message: string): Promise<void>;
  /** Enrolled hosts with their freshness. */
  hostStatuses(): Promise<HostStatusRow[]>;
  /**
   * Latest figures and trend of every volume of every host. The trend sums whole UTC days, from the day
   * of now - windowDays through today: x = seconds since `windowStart`, that first day's 00:00Z.
   */
  capacityData(now: Date, windowDays: number): Promise<CapacityData>;
  /** Aggregates of one UTC day (YYYY-MM-DD). */
  performanceData(day: string): Promise<PerformanceData>;
  /**
   * Create the partitions for the next days and drop whole partitions older than retentionDays
   * (never DELETE). Safe to run often and from several replicas at once.
   */
  maintainPartitions(now: Date, retentionDays: number): Promise<PartitionMaintenance>;
  /** Names of the history partitions that exist, oldest first (for tests and `vigia server status`). */
  listPartitions(): Promise<string[]>;
  close(): Promise<void>;
}
