/**
 * The console's read queries over the control store's tables: one query (or a few) per view, paged
 * and filtered in SQL, so a page of 10,000 hosts reads 100 rows, never the fleet. Works in every
 * worker of `--workers N` (it reads the database, not the leader's memory).
 */
import type { Database } from '../../core/db/database.js';
import { toNumber } from '../../core/db/database.js';

type Row = Record<string, unknown>;
const num = (v: unknown): number => toNumber(v) ?? 0;
const numOrNull = (v: unknown): number | null => toNumber(v);
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/** Most rows one page shows. */
export const PAGE_SIZE = 100;

/** What the hosts list is asked for. */
export interface HostQuery {
  /** Substring of the host name (case-insensitive); empty: every host. */
  readonly name: string;
  /** `key=value` an operator or reported tag must hold; undefined: any. */
  readonly tag?: { readonly key: string; readonly value: string };
  readonly sort: 'name' | 'last_seen';
  readonly offset: number;
}

/** One row of the hosts list. */
export interface HostListItem {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly reportedTags: Readonly<Record<string, string>>;
  readonly lastSeen: Date | null;
  readonly intervalSeconds: number | null;
  readonly source: string | null;
  readonly worstUsePct: number | null;
  readonly failingChecks: number;
  readonly totalChecks: number;
}

/** Everything the host detail page shows. */
export interface HostDetail {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly reportedTags: Readonly<Record<string, string>>;
  readonly enrolledAt: Date;
  readonly lastSeen: Date | null;
  readonly lastSampledAt: Date | null;
  readonly intervalSeconds: number | null;
  readonly source: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: Date | null;
  readonly system: Readonly<Record<string, number>> | null;
  readonly devices: ReadonlyArray<{ mountpoint: string; device: string; fstype: string; role: string; readOnly: boolean; sizeBytes: number | null; usedBytes: number | null; usePct: number | null; inodeUsePct: number | null; error: string | null }>;
  readonly checks: { readonly release: number; readonly sampledAt: Date; readonly results: ReadonlyArray<{ name: string; state: string; output: string; at: string }> } | null;
  readonly runs: ReadonlyArray<{ runId: number; action: string; state: string; exitCode: number | null; finishedAt: Date | null; output: string }>;
  readonly bundle: { readonly appliedRelease: number; readonly failedRelease: number | null; readonly failedError: string | null } | null;
  /** The newest report's top processes by CPU (null: its agent sends none). */
  readonly processes: { readonly sampledAt: Date; readonly list: ReadonlyArray<{ pid: number; name: string; user: string; cpu_pct: number; rss_bytes: number }> } | null;
}

/** The newest rollout, as the overview names it. */
export interface RolloutSummary {
  readonly id: number;
  readonly release: number;
  readonly state: string;
  /** 0-based index of the wave in progress, and how many there are. */
  readonly currentWave: number;
  readonly waves: number;
  readonly reason: string;
  readonly updatedAt: Date;
}

/** One audit line. */
export interface AuditItem {
  readonly id: number;
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** One day of one volume (device_daily): the points a volume's chart draws. */
export interface VolumeDay {
  readonly day: string;
  readonly firstAt: Date;
  readonly firstUsed: number;
  readonly lastAt: Date;
  readonly lastUsed: number;
  readonly minUsed: number;
  readonly maxUsed: number;
  readonly sizeBytes: number | null;
}

/** LIKE pattern matching `s` anywhere, with LIKE's own wildcards in `s` taken literally. */
export function containsPattern(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The console's queries. */
export class ConsoleData {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** A page of hosts (PAGE_SIZE) matching `q`, and how many match in all. */
  async hosts(q: HostQuery): Promise<{ total: number; rows: HostListItem[] }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.name !== '') {
      params.push(containsPattern(q.name));
      where.push(`h.name ILIKE $${params.length}`);
    }
    if (q.tag) {
      params.push(JSON.stringify({ [q.tag.key]: q.tag.value }));
      where.push(`(h.tags @> $${params.length}::text::jsonb OR h.report_tags @> $${params.length}::text::jsonb)`);
    }
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const order = q.sort === 'last_seen' ? 'h.last_seen DESC NULLS LAST, h.name' : 'h.name';
    const [count] = await this.#db.query<Row>(`SELECT count(*) AS n FROM hosts h ${filter}`, params);
    params.push(PAGE_SIZE, q.offset);
    const rows = await this.#db.query<Row>(
      `WITH page AS (SELECT h.id, h.name, h.tags, h.report_tags, h.last_seen, h.interval_seconds, h.source FROM hosts h ${filter} ORDER BY ${order} LIMIT $${params.length - 1} OFFSET $${params.length})
       SELECT p.*, (SELECT max(d.use_pct) FROM latest_devices d WHERE d.host_id = p.id) AS worst_use_pct, c.failing, c.total
       FROM page p LEFT JOIN latest_checks c ON c.host_id = p.id ORDER BY ${order.replaceAll('h.', 'p.')}`,
      params,
    );
    return {
      total: num(count?.n),
      rows: rows.map((r) => ({
        name: String(r.name), tags: json(r.tags), reportedTags: json(r.report_tags ?? {}), lastSeen: dateOrNull(r.last_seen),
        intervalSeconds: numOrNull(r.interval_seconds), source: r.source === null ? null : String(r.source),
        worstUsePct: numOrNull(r.worst_use_pct), failingChecks: num(r.failing), totalChecks: num(r.total),
      })),
    };
  }

  /** Everything about one host, or undefined when it is not enrolled. */
  async host(name: string): Promise<HostDetail | undefined> {
    const [h] = await this.#db.query<Row>('SELECT id, name, tags, report_tags, enrolled_at, last_seen, last_sampled_at, interval_seconds, source, last_error, last_error_at FROM hosts WHERE name = $1', [name]);
    if (!h) return undefined;
    const id = num(h.id);
    const [sys, devices, checks, runs, bundle, procs] = await Promise.all([
      this.#db.query<Row>('SELECT cpu_user, cpu_system, cpu_iowait, cpu_steal, cpu_idle, cpus, load1, load5, load15, mem_total_bytes, mem_used_pct, swap_used_pct, uptime_seconds FROM latest_system WHERE host_id = $1', [id]),
      this.#db.query<Row>('SELECT mountpoint, device, fstype, role, read_only, size_bytes, used_bytes, use_pct, inode_use_pct, error FROM latest_devices WHERE host_id = $1 ORDER BY mountpoint', [id]),
      this.#db.query<Row>('SELECT release, sampled_at, results FROM latest_checks WHERE host_id = $1', [id]),
      this.#db.query<Row>(
        `SELECT r.id, r.action, h.state, h.exit_code, h.finished_at, left(h.output, 2000) AS output FROM fleet_run_hosts h JOIN fleet_runs r ON r.id = h.run_id WHERE h.host_id = $1 ORDER BY r.id DESC LIMIT 20`,
        [id],
      ),
      this.#db.query<Row>('SELECT applied_release, failed_release, failed_error FROM host_bundles WHERE host_id = $1', [id]),
      this.#db.query<Row>('SELECT sampled_at, processes FROM latest_processes WHERE host_id = $1', [id]),
    ]);
    const s = sys[0];
    const c = checks[0];
    const b = bundle[0];
    const p = procs[0];
    return {
      name: String(h.name), tags: json(h.tags), reportedTags: json(h.report_tags ?? {}), enrolledAt: dateOrNull(h.enrolled_at)!, lastSeen: dateOrNull(h.last_seen),
      lastSampledAt: dateOrNull(h.last_sampled_at), intervalSeconds: numOrNull(h.interval_seconds), source: h.source === null ? null : String(h.source),
      lastError: h.last_error === null ? null : String(h.last_error), lastErrorAt: dateOrNull(h.last_error_at),
      system: s ? Object.fromEntries(Object.entries(s).map(([k, v]) => [k, num(v)])) : null,
      devices: devices.map((d) => ({
        mountpoint: String(d.mountpoint), device: String(d.device), fstype: String(d.fstype), role: String(d.role), readOnly: Boolean(d.read_only),
        sizeBytes: numOrNull(d.size_bytes), usedBytes: numOrNull(d.used_bytes), usePct: numOrNull(d.use_pct), inodeUsePct: numOrNull(d.inode_use_pct), error: d.error === null ? null : String(d.error),
      })),
      checks: c ? { release: num(c.release), sampledAt: dateOrNull(c.sampled_at)!, results: json(c.results) } : null,
      runs: runs.map((r) => ({ runId: num(r.id), action: String(r.action), state: String(r.state), exitCode: numOrNull(r.exit_code), finishedAt: dateOrNull(r.finished_at), output: String(r.output ?? '') })),
      bundle: b ? { appliedRelease: num(b.applied_release), failedRelease: numOrNull(b.failed_release), failedError: b.failed_error === null ? null : String(b.failed_error) } : null,
      processes: p ? { sampledAt: dateOrNull(p.sampled_at)!, list: json(p.processes) } : null,
    };
  }

  /** Hosts whose newest check results hold a failure, most failures first (at most `limit`), and how many in all. */
  async failingChecks(limit: number): Promise<{ total: number; hosts: Array<{ host: string; failing: number; total: number; names: string[] }> }> {
    const [count] = await this.#db.query<Row>('SELECT count(*) AS n FROM latest_checks WHERE failing > 0');
    const rows = await this.#db.query<Row>(
      `SELECT h.name, c.failing, c.total, c.results FROM latest_checks c JOIN hosts h ON h.id = c.host_id WHERE c.failing > 0 ORDER BY c.failing DESC, h.name LIMIT $1`,
      [limit],
    );
    return {
      total: num(count?.n),
      hosts: rows.map((r) => ({
        host: String(r.name), failing: num(r.failing), total: num(r.total),
        names: json<Array<{ name: string; state: string }>>(r.results).filter((x) => x.state !== 'OK').map((x) => x.name).slice(0, 5),
      })),
    };
  }

  /** The newest rollout, or undefined when nothing was ever published. */
  async latestRollout(): Promise<RolloutSummary | undefined> {
    const [r] = await this.#db.query<Row>('SELECT id, release, state, waves, current_wave, reason, updated_at FROM rollouts ORDER BY id DESC LIMIT 1');
    if (!r) return undefined;
    return { id: num(r.id), release: num(r.release), state: String(r.state), currentWave: num(r.current_wave), waves: json<unknown[]>(r.waves).length, reason: String(r.reason), updatedAt: dateOrNull(r.updated_at)! };
  }

  /** Up to PAGE_SIZE audit lines older than id `before` (newest first; undefined: from the newest). */
  async audit(before: number | undefined): Promise<AuditItem[]> {
    const rows = before === undefined
      ? await this.#db.query<Row>('SELECT id, at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT $1', [PAGE_SIZE])
      : await this.#db.query<Row>('SELECT id, at, actor, action, detail FROM audit_log WHERE id < $2 ORDER BY id DESC LIMIT $1', [PAGE_SIZE, before]);
    return rows.map((r) => ({ id: num(r.id), at: dateOrNull(r.at)!, actor: String(r.actor), action: String(r.action), detail: json(r.detail) }));
  }

  /** The days of one volume since `since` (device_daily), oldest first; empty when unknown. */
  async volumeDays(host: string, mountpoint: string, since: Date): Promise<VolumeDay[]> {
    const rows = await this.#db.query<Row>(
      `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d.first_at, d.first_used, d.last_at, d.last_used, d.min_used, d.max_used, d.size_bytes
       FROM device_daily d JOIN hosts h ON h.id = d.host_id WHERE h.name = $1 AND d.mountpoint = $2 AND d.day >= $3::date ORDER BY d.day`,
      [host, mountpoint, since.toISOString().slice(0, 10)],
    );
    return rows.map((r) => ({
      day: String(r.day), firstAt: dateOrNull(r.first_at)!, firstUsed: num(r.first_used), lastAt: dateOrNull(r.last_at)!, lastUsed: num(r.last_used),
      minUsed: num(r.min_used), maxUsed: num(r.max_used), sizeBytes: numOrNull(r.size_bytes),
    }));
  }

  /** Enrolled hosts, and those that reported within `freshMs` of `now`. */
  async hostCounts(now: Date, freshMs: number): Promise<{ hosts: number; fresh: number }> {
    const [r] = await this.#db.query<Row>('SELECT count(*) AS n, count(*) FILTER (WHERE last_seen > $1) AS fresh FROM hosts', [new Date(now.getTime() - freshMs)]);
    return { hosts: num(r?.n), fresh: num(r?.fresh) };
  }
}
