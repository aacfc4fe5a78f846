/**
 * Persistence of fleet changes: bundle releases and archives, rollouts and the wave of each host,
 * what each host runs, fleet runs and their per-host outcomes, and the audit log. Same SQL on
 * PostgreSQL and PGlite (migration 0002). The services keep their working state in memory and write
 * through here, so a restarted control plane reloads where it stood.
 */
import type { Database, Queryable } from '../../core/db/database.js';
import { sqlState, toNumber } from '../../core/db/database.js';
import { VigiaError } from '../../core/errors.js';
import { insertAuditRow } from './audit-log.js';
import { bulkSource, type BulkColumn } from './bulk.js';

/** A stored release. */
export interface ReleaseRow {
  readonly release: number;
  readonly bundle: string;
  readonly sha256: string;
  readonly size: number;
  readonly envelope: string;
  readonly signature: string;
  readonly reverts: number | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly publishedAt: Date;
  readonly publishedBy: string;
}

/** Rollout states (see rollouts/state.ts for the transitions). */
export type RolloutStateName = 'running' | 'paused' | 'rolling_back' | 'rolled_back' | 'completed' | 'superseded';

/** A stored rollout. */
export interface RolloutRow {
  readonly id: number;
  readonly release: number;
  readonly previousRelease: number | null;
  readonly revertRelease: number | null;
  readonly state: RolloutStateName;
  readonly waves: readonly number[];
  readonly currentWave: number;
  readonly waveStartedAt: Date;
  readonly settledAt: Date | null;
  readonly soakMs: number;
  readonly waveTimeoutMs: number;
  readonly maxFailureRate: number;
  readonly autoRollback: boolean;
  readonly baselineHosts: number;
  readonly baselineFailing: number;
  /** The `--where` it was published with (selector.ts WhereClause); null: every enrolled host. */
  readonly selector: Readonly<Record<string, string>> | null;
  /** Share of stuck hosts tolerated before the gate holds; null: maxFailureRate. */
  readonly maxStuckRate: number | null;
  /** Set by a resume: check results sampled before it are not judged; null: all are. */
  readonly checksSince: Date | null;
  readonly reason: string;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The fields of a rollout that move as it progresses. */
export type RolloutPatch = Partial<Pick<RolloutRow, 'state' | 'currentWave' | 'waveStartedAt' | 'settledAt' | 'checksSince' | 'reason'>>;

/** What one host runs and its last install failure, joined with the host. */
export interface HostBundleRow {
  readonly hostId: number;
  readonly host: string;
  /** The operator's tags (enrolment). */
  readonly tags: Readonly<Record<string, string>>;
  /** The tags of the host's newest report, kept apart: the host writes them. */
  readonly reportedTags: Readonly<Record<string, string>>;
  readonly lastSeen: Date | null;
  readonly appliedRelease: number;
  readonly appliedSha256: string;
  readonly appliedAt: Date | null;
  readonly lastPollAt: Date | null;
  readonly failedRelease: number | null;
  readonly failedError: string | null;
  readonly failedAt: Date | null;
  /** From the newest report's check results; null when it carried none. */
  readonly checksRelease: number | null;
  readonly checksTotal: number;
  readonly checksFailing: number;
  /** When the newest check results were sampled (host clock); null when none. */
  readonly checksAt: Date | null;
  /** Names of its CRITICAL or UNKNOWN checks, by name (at most 20). */
  readonly failingChecks: readonly string[];
}

/** One host's bundle state change, written behind the polls. */
export interface HostBundleUpdate {
  readonly hostId: number;
  readonly appliedRelease: number;
  readonly appliedSha256: string;
  readonly appliedAt: Date | null;
  readonly lastPollAt: Date | null;
  readonly failedRelease: number | null;
  readonly failedError: string | null;
  readonly failedAt: Date | null;
}

/** Fleet-run states. */
export type FleetRunState = 'running' | 'stopping' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
/** Per-host outcome of a fleet run. */
export type RunHostState = 'pending' | 'in_flight' | 'succeeded' | 'failed' | 'timed_out' | 'rejected' | 'not_dispatched' | 'interrupted';

/** A stored fleet run. */
export interface FleetRunRow {
  readonly id: number;
  readonly action: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly selector: Readonly<Record<string, unknown>>;
  readonly concurrency: number;
  readonly maxErrors: number;
  readonly rampUp: boolean;
  readonly timeoutMs: number;
  readonly state: FleetRunState;
  readonly targets: number;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

/** One host of a fleet run. */
export interface RunHostRow {
  readonly hostId: number;
  readonly host: string;
  readonly seq: number;
  readonly state: RunHostState;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly exitCode: number | null;
  readonly durationMs: number | null;
  readonly output: string;
}

/** A fleet run's per-host state change. */
export type RunHostUpdate = Pick<RunHostRow, 'hostId' | 'state' | 'startedAt' | 'finishedAt' | 'exitCode' | 'durationMs' | 'output'>;

/**
 * An enrolled host for targeting: the operator's tags and, never merged into them, the tags of its
 * newest report (a host must not be able to move itself in or out of a run).
 */
export interface TargetHost {
  readonly id: number;
  readonly name: string;
  /** The operator's tags (enrolment): what `--where role=...` matches. */
  readonly tags: Readonly<Record<string, string>>;
  /** The tags the host reports: what `--where reported:role=...` matches. */
  readonly reportedTags: Readonly<Record<string, string>>;
  readonly lastSeen: Date | null;
}

type Row = Record<string, unknown>;
const num = (v: unknown): number => toNumber(v) ?? 0;
const numOrNull = (v: unknown): number | null => toNumber(v);
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));
const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const jsonValue = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/**
 * The names of a host's failing checks from latest_checks.results, read only for hosts with a failing
 * one (most hosts have none, so the 5 s refresh of 10,000 hosts reads no results at all).
 */
const FAILING_NAMES = `CASE WHEN c.failing > 0 THEN (SELECT coalesce(jsonb_agg(x->>'name'), '[]'::jsonb) FROM (SELECT x FROM jsonb_array_elements(c.results) x WHERE x->>'state' IN ('CRITICAL', 'UNKNOWN') LIMIT 20) f) END`;

function failingNames(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  const a = jsonValue<unknown>(v);
  return Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : [];
}

function releaseRow(r: Row): ReleaseRow {
  return {
    release: num(r.release), bundle: String(r.bundle), sha256: String(r.sha256), size: num(r.size), envelope: String(r.envelope),
    signature: String(r.signature), reverts: numOrNull(r.reverts), createdAt: date(r.created_at), expiresAt: date(r.expires_at),
    publishedAt: date(r.published_at), publishedBy: String(r.published_by),
  };
}

function rolloutRow(r: Row): RolloutRow {
  return {
    id: num(r.id), release: num(r.release), previousRelease: numOrNull(r.previous_release), revertRelease: numOrNull(r.revert_release),
    state: String(r.state) as RolloutStateName, waves: jsonValue<number[]>(r.waves), currentWave: num(r.current_wave),
    waveStartedAt: date(r.wave_started_at), settledAt: dateOrNull(r.settled_at), soakMs: num(r.soak_ms), waveTimeoutMs: num(r.wave_timeout_ms),
    maxFailureRate: num(r.max_failure_rate), autoRollback: r.auto_rollback === true, baselineHosts: num(r.baseline_hosts),
    baselineFailing: num(r.baseline_failing), selector: r.selector === null || r.selector === undefined ? null : jsonValue<Record<string, string>>(r.selector),
    maxStuckRate: r.max_stuck_rate === null || r.max_stuck_rate === undefined ? null : num(r.max_stuck_rate), checksSince: dateOrNull(r.checks_since), reason: String(r.reason), createdBy: String(r.created_by), createdAt: date(r.created_at), updatedAt: date(r.updated_at),
  };
}

function runRow(r: Row): FleetRunRow {
  return {
    id: num(r.id), action: String(r.action), params: jsonValue(r.params), selector: jsonValue(r.selector), concurrency: num(r.concurrency),
    maxErrors: num(r.max_errors), rampUp: r.ramp_up === true, timeoutMs: num(r.timeout_ms), state: String(r.state) as FleetRunState,
    targets: num(r.targets), createdBy: String(r.created_by), createdAt: date(r.created_at), finishedAt: dateOrNull(r.finished_at),
  };
}

function runHostRow(r: Row): RunHostRow {
  return {
    hostId: num(r.host_id), host: String(r.host), seq: num(r.seq), state: String(r.state) as RunHostState, startedAt: dateOrNull(r.started_at),
    finishedAt: dateOrNull(r.finished_at), exitCode: numOrNull(r.exit_code), durationMs: numOrNull(r.duration_ms), output: String(r.output ?? ''),
  };
}

/** `INSERT ... SELECT FROM unnest(...)` helper: columns as `name type` pairs. */
function bulk(spec: string, rows: ReadonlyArray<Record<string, unknown>>): { from: string; params: string[] } {
  const columns = spec.split(',').map((c): BulkColumn => {
    const [key, ...type] = c.trim().split(/\s+/);
    return [key!, type.join(' ')];
  });
  return bulkSource(columns, rows);
}

/** The fleet-changes store over a migrated control-plane database. */
export class FleetStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  // ---- releases -------------------------------------------------------------------------------

  /** The highest release number stored (0 when none). */
  async latestReleaseNumber(): Promise<number> {
    const rows = await this.#db.query<Row>(`SELECT coalesce(max(release), 0) AS n FROM bundle_releases`);
    return num(rows[0]?.n);
  }

  /**
   * Store releases (a new one and its pre-signed revert) and their archives in one transaction.
   * A release number already taken is CONTROL_ERR_RELEASE_CONFLICT and nothing is stored.
   */
  async addReleases(releases: ReadonlyArray<Omit<ReleaseRow, 'publishedAt'>>, archives: ReadonlyArray<{ sha256: string; bytes: Buffer }>, tx?: Queryable): Promise<void> {
    const run = async (q: Queryable): Promise<void> => {
      for (const a of archives) {
        await q.query(`INSERT INTO bundle_archives (sha256, bytes) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING`, [a.sha256, a.bytes]);
      }
      for (const r of releases) {
        try {
          await q.query(
            `INSERT INTO bundle_releases (release, bundle, sha256, size, envelope, signature, reverts, created_at, expires_at, published_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9::timestamptz, $10)`,
            [r.release, r.bundle, r.sha256, r.size, r.envelope, r.signature, r.reverts, r.createdAt.toISOString(), r.expiresAt.toISOString(), r.publishedBy],
          );
        } catch (err) {
          if (sqlState(err) === '23505') throw new VigiaError('CONTROL_ERR_RELEASE_CONFLICT', `release ${r.release}`);
          throw err;
        }
      }
    };
    if (tx) return run(tx);
    await this.#db.transaction(run);
  }

  /** One release, or undefined. */
  async release(n: number): Promise<ReleaseRow | undefined> {
    const rows = await this.#db.query<Row>(`SELECT * FROM bundle_releases WHERE release = $1`, [n]);
    return rows[0] ? releaseRow(rows[0]) : undefined;
  }

  /** The newest releases first. */
  async releases(limit = 50): Promise<ReleaseRow[]> {
    return (await this.#db.query<Row>(`SELECT * FROM bundle_releases ORDER BY release DESC LIMIT $1`, [limit])).map(releaseRow);
  }

  /** An archive's bytes by sha256, or undefined. */
  async archive(sha256: string): Promise<Buffer | undefined> {
    const rows = await this.#db.query<Row>(`SELECT bytes FROM bundle_archives WHERE sha256 = $1`, [sha256]);
    const b = rows[0]?.bytes;
    if (b === undefined) return undefined;
    return Buffer.isBuffer(b) ? b : Buffer.from(b as Uint8Array);
  }

  // ---- rollouts -------------------------------------------------------------------------------

  /**
   * Publish atomically: store the releases and archives, mark any unfinished rollout superseded and
   * create the new rollout with every host's wave.
   */
  async publish(input: {
    readonly releases: ReadonlyArray<Omit<ReleaseRow, 'publishedAt'>>;
    readonly archives: ReadonlyArray<{ sha256: string; bytes: Buffer }>;
    readonly rollout: Omit<RolloutRow, 'id' | 'createdAt' | 'updatedAt' | 'settledAt' | 'currentWave' | 'reason' | 'state' | 'checksSince'>;
    readonly hostWaves: ReadonlyMap<number, number>;
    readonly audit: { actor: string; detail: Record<string, unknown> };
  }): Promise<RolloutRow> {
    return this.#db.transaction(async (tx) => {
      await this.addReleases(input.releases, input.archives, tx);
      await tx.query(`UPDATE rollouts SET state = 'superseded', updated_at = now(), reason = 'a newer release was published' WHERE state IN ('running', 'paused', 'rolling_back')`);
      const r = input.rollout;
      const rows = await tx.query<Row>(
        `INSERT INTO rollouts (release, previous_release, revert_release, state, waves, current_wave, wave_started_at, soak_ms, wave_timeout_ms, max_failure_rate, auto_rollback, baseline_hosts, baseline_failing, created_by, selector, max_stuck_rate)
         VALUES ($1, $2, $3, 'running', $4::text::jsonb, 0, $5::timestamptz, $6, $7, $8, $9, $10, $11, $12, $13::text::jsonb, $14) RETURNING *`,
        [r.release, r.previousRelease, r.revertRelease, JSON.stringify(r.waves), r.waveStartedAt.toISOString(), r.soakMs, r.waveTimeoutMs, r.maxFailureRate, r.autoRollback, r.baselineHosts, r.baselineFailing, r.createdBy,
          r.selector === null ? null : JSON.stringify(r.selector), r.maxStuckRate],
      );
      const rollout = rolloutRow(rows[0]!);
      await this.#insertHostWaves(tx, rollout.id, input.hostWaves);
      await this.#audit(tx, input.audit.actor, 'bundle.publish', { ...input.audit.detail, rollout: rollout.id });
      return rollout;
    });
  }

  async #insertHostWaves(q: Queryable, rolloutId: number, hostWaves: ReadonlyMap<number, number>): Promise<void> {
    const rows = [...hostWaves].map(([h, w]) => ({ h, w }));
    for (let i = 0; i < rows.length; i += 5000) {
      const chunk = rows.slice(i, i + 5000);
      const src = bulk('h int, w int', chunk);
      // A host removed meanwhile has no hosts row: the join drops it instead of failing the batch.
      await q.query(`INSERT INTO rollout_hosts (rollout_id, host_id, wave) SELECT ${rolloutId}, r.h, r.w FROM ${src.from} JOIN hosts ON hosts.id = r.h ON CONFLICT DO NOTHING`, src.params);
    }
  }

  /** Give hosts enrolled after a rollout started their wave. */
  async addRolloutHosts(rolloutId: number, hostWaves: ReadonlyMap<number, number>): Promise<void> {
    await this.#insertHostWaves(this.#db, rolloutId, hostWaves);
  }

  /** The newest rollout, or undefined. */
  async latestRollout(): Promise<RolloutRow | undefined> {
    const rows = await this.#db.query<Row>(`SELECT * FROM rollouts ORDER BY id DESC LIMIT 1`);
    return rows[0] ? rolloutRow(rows[0]) : undefined;
  }

  /** One rollout, or undefined. */
  async rollout(id: number): Promise<RolloutRow | undefined> {
    const rows = await this.#db.query<Row>(`SELECT * FROM rollouts WHERE id = $1`, [id]);
    return rows[0] ? rolloutRow(rows[0]) : undefined;
  }

  /** The newest rollouts first. */
  async rollouts(limit = 20): Promise<RolloutRow[]> {
    return (await this.#db.query<Row>(`SELECT * FROM rollouts ORDER BY id DESC LIMIT $1`, [limit])).map(rolloutRow);
  }

  /** host id -> wave of a rollout. */
  async rolloutHostWaves(rolloutId: number): Promise<Map<number, number>> {
    const rows = await this.#db.query<Row>(`SELECT host_id, wave FROM rollout_hosts WHERE rollout_id = $1`, [rolloutId]);
    return new Map(rows.map((r) => [num(r.host_id), num(r.wave)]));
  }

  /** Move a rollout on, with an audit line in the same transaction. */
  async updateRollout(id: number, patch: RolloutPatch, audit?: { actor: string; action: string; detail: Record<string, unknown> }): Promise<RolloutRow> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.query<Row>(
        `UPDATE rollouts SET state = coalesce($2, state), current_wave = coalesce($3, current_wave),
           wave_started_at = coalesce($4::timestamptz, wave_started_at),
           settled_at = CASE WHEN $5 THEN $6::timestamptz ELSE settled_at END,
           reason = coalesce($7, reason), checks_since = coalesce($8::timestamptz, checks_since), updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, patch.state ?? null, patch.currentWave ?? null, iso(patch.waveStartedAt ?? null), 'settledAt' in patch, iso(patch.settledAt ?? null), patch.reason ?? null, iso(patch.checksSince ?? null)],
      );
      if (!rows[0]) throw new VigiaError('CONTROL_ERR_NO_ROLLOUT', String(id));
      if (audit) await this.#audit(tx, audit.actor, audit.action, { rollout: id, ...audit.detail });
      return rolloutRow(rows[0]);
    });
  }

  // ---- host bundle state ----------------------------------------------------------------------

  /** Every enrolled host with what it runs and its newest check summary. */
  async hostBundles(): Promise<HostBundleRow[]> {
    const rows = await this.#db.query<Row>(
      `SELECT h.id, h.name, h.tags, coalesce(h.report_tags, '{}'::jsonb) AS report_tags, h.last_seen,
              coalesce(b.applied_release, 0) AS applied_release, coalesce(b.applied_sha256, '') AS applied_sha256, b.applied_at, b.last_poll_at,
              b.failed_release, b.failed_error, b.failed_at, c.release AS checks_release, coalesce(c.total, 0) AS checks_total, coalesce(c.failing, 0) AS checks_failing, c.sampled_at AS checks_at, ${FAILING_NAMES} AS failing_checks
         FROM hosts h LEFT JOIN host_bundles b ON b.host_id = h.id LEFT JOIN latest_checks c ON c.host_id = h.id
        ORDER BY h.id`,
    );
    return rows.map((r) => ({
      hostId: num(r.id), host: String(r.name), tags: jsonValue(r.tags), reportedTags: jsonValue(r.report_tags), lastSeen: dateOrNull(r.last_seen),
      appliedRelease: num(r.applied_release), appliedSha256: String(r.applied_sha256), appliedAt: dateOrNull(r.applied_at), lastPollAt: dateOrNull(r.last_poll_at),
      failedRelease: numOrNull(r.failed_release), failedError: r.failed_error === null || r.failed_error === undefined ? null : String(r.failed_error),
      failedAt: dateOrNull(r.failed_at), checksRelease: numOrNull(r.checks_release), checksTotal: num(r.checks_total), checksFailing: num(r.checks_failing),
      checksAt: dateOrNull(r.checks_at), failingChecks: failingNames(r.failing_checks),
    }));
  }

  /** Write hosts' bundle states (upsert, one statement). */
  async saveHostBundles(updates: readonly HostBundleUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const rows = updates.map((u) => ({
      h: u.hostId, r: u.appliedRelease, s: u.appliedSha256, a: iso(u.appliedAt), p: iso(u.lastPollAt), fr: u.failedRelease, fe: u.failedError, fa: iso(u.failedAt),
    }));
    const src = bulk('h int, r int, s text, a timestamptz, p timestamptz, fr int, fe text, fa timestamptz', rows);
    // A host removed meanwhile has no hosts row: the join drops its update instead of failing the batch.
    await this.#db.query(
      `INSERT INTO host_bundles AS b (host_id, applied_release, applied_sha256, applied_at, last_poll_at, failed_release, failed_error, failed_at)
       SELECT r.h, r.r, r.s, r.a, r.p, r.fr, r.fe, r.fa FROM ${src.from} JOIN hosts ON hosts.id = r.h ORDER BY r.h
       ON CONFLICT (host_id) DO UPDATE SET applied_release = excluded.applied_release, applied_sha256 = excluded.applied_sha256,
         applied_at = excluded.applied_at, last_poll_at = excluded.last_poll_at, failed_release = excluded.failed_release,
         failed_error = excluded.failed_error, failed_at = excluded.failed_at`,
      src.params,
    );
  }

  /**
   * Every enrolled host with the release and failing/total counts of its newest check results
   * (release null when it reported none); a host missing here was removed.
   */
  async checkSummaries(): Promise<Array<{ hostId: number; host: string; release: number | null; total: number; failing: number; sampledAt: Date | null; failingChecks: readonly string[] }>> {
    const rows = await this.#db.query<Row>(`SELECT h.id AS host_id, h.name, c.release, c.total, c.failing, c.sampled_at, ${FAILING_NAMES} AS failing_checks FROM hosts h LEFT JOIN latest_checks c ON c.host_id = h.id`);
    return rows.map((r) => ({
      hostId: num(r.host_id), host: String(r.name), release: r.release === null ? null : num(r.release), total: r.total === null ? 0 : num(r.total), failing: r.failing === null ? 0 : num(r.failing),
      sampledAt: dateOrNull(r.sampled_at), failingChecks: failingNames(r.failing_checks),
    }));
  }

  /** The newest check results of every host that reported some, hosts with failing checks first. */
  async latestChecks(): Promise<Array<{ host: string; release: number; sampledAt: Date; total: number; failing: number; results: unknown[] }>> {
    const rows = await this.#db.query<Row>(
      `SELECT h.name, c.release, c.sampled_at, c.total, c.failing, c.results FROM latest_checks c JOIN hosts h ON h.id = c.host_id ORDER BY c.failing DESC, h.name`,
    );
    return rows.map((r) => ({ host: String(r.name), release: num(r.release), sampledAt: date(r.sampled_at), total: num(r.total), failing: num(r.failing), results: jsonValue(r.results) }));
  }

  // ---- fleet runs -----------------------------------------------------------------------------

  /** Every enrolled host (id order) for target selection. */
  async targetHosts(): Promise<TargetHost[]> {
    const rows = await this.#db.query<Row>(`SELECT id, name, tags, coalesce(report_tags, '{}'::jsonb) AS report_tags, last_seen FROM hosts ORDER BY name`);
    return rows.map((r) => ({ id: num(r.id), name: String(r.name), tags: jsonValue(r.tags), reportedTags: jsonValue(r.report_tags), lastSeen: dateOrNull(r.last_seen) }));
  }

  /** Create a run with its targets (all `pending`, in dispatch order) and its audit line. */
  async createRun(run: Omit<FleetRunRow, 'id' | 'createdAt' | 'finishedAt' | 'state' | 'targets'>, targets: readonly TargetHost[]): Promise<FleetRunRow> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.query<Row>(
        `INSERT INTO fleet_runs (action, params, selector, concurrency, max_errors, ramp_up, timeout_ms, state, targets, created_by)
         VALUES ($1, $2::text::jsonb, $3::text::jsonb, $4, $5, $6, $7, 'running', $8, $9) RETURNING *`,
        [run.action, JSON.stringify(run.params), JSON.stringify(run.selector), run.concurrency, run.maxErrors, run.rampUp, run.timeoutMs, targets.length, run.createdBy],
      );
      const created = runRow(rows[0]!);
      const hostRows = targets.map((t, i) => ({ h: t.id, n: t.name, q: i }));
      for (let i = 0; i < hostRows.length; i += 5000) {
        const src = bulk('h int, n text, q int', hostRows.slice(i, i + 5000));
        await tx.query(`INSERT INTO fleet_run_hosts (run_id, host_id, host, seq, state) SELECT ${created.id}, h, n, q, 'pending' FROM ${src.from}`, src.params);
      }
      await this.#audit(tx, run.createdBy, 'run.start', {
        run: created.id, action: run.action, params: run.params, selector: run.selector, targets: targets.length,
        concurrency: run.concurrency, max_errors: run.maxErrors, ramp_up: run.rampUp, timeout_ms: run.timeoutMs,
      });
      return created;
    });
  }

  /** Write per-host changes of a run (one statement). */
  async saveRunHosts(runId: number, updates: readonly RunHostUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const rows = updates.map((u) => ({ h: u.hostId, s: u.state, a: iso(u.startedAt), f: iso(u.finishedAt), e: u.exitCode, d: u.durationMs, o: u.output }));
    const src = bulk('h int, s text, a timestamptz, f timestamptz, e int, d int, o text', rows);
    await this.#db.query(
      `UPDATE fleet_run_hosts t SET state = r.s, started_at = r.a, finished_at = r.f, exit_code = r.e, duration_ms = r.d, output = r.o
         FROM ${src.from} WHERE t.run_id = ${Number(runId)} AND t.host_id = r.h`,
      src.params,
    );
  }

  /** Finish a run (state, time) with its audit line. */
  async finishRun(runId: number, state: FleetRunState, actor: string, counts: Record<string, number>): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query(`UPDATE fleet_runs SET state = $2, finished_at = now() WHERE id = $1`, [runId, state]);
      await this.#audit(tx, actor, 'run.end', { run: runId, state, ...counts });
    });
  }

  /** Set a run's state without finishing it (stopping). */
  async setRunState(runId: number, state: FleetRunState): Promise<void> {
    await this.#db.query(`UPDATE fleet_runs SET state = $2 WHERE id = $1`, [runId, state]);
  }

  /** One run, or undefined. */
  async run(id: number): Promise<FleetRunRow | undefined> {
    const rows = await this.#db.query<Row>(`SELECT * FROM fleet_runs WHERE id = $1`, [id]);
    return rows[0] ? runRow(rows[0]) : undefined;
  }

  /** The newest runs first. */
  async runs(limit = 20): Promise<FleetRunRow[]> {
    return (await this.#db.query<Row>(`SELECT * FROM fleet_runs ORDER BY id DESC LIMIT $1`, [limit])).map(runRow);
  }

  /** Runs a previous process left unfinished. */
  async unfinishedRuns(): Promise<FleetRunRow[]> {
    return (await this.#db.query<Row>(`SELECT * FROM fleet_runs WHERE state IN ('running', 'stopping') ORDER BY id`)).map(runRow);
  }

  /** A run's hosts in dispatch order. */
  async runHosts(runId: number): Promise<RunHostRow[]> {
    return (await this.#db.query<Row>(`SELECT * FROM fleet_run_hosts WHERE run_id = $1 ORDER BY seq`, [runId])).map(runHostRow);
  }

  // ---- audit ----------------------------------------------------------------------------------

  /** Append one audit line. */
  async audit(actor: string, action: string, detail: Record<string, unknown>): Promise<void> {
    await this.#audit(this.#db, actor, action, detail);
  }

  /** The newest audit lines first. */
  async auditLines(limit = 100): Promise<Array<{ at: Date; actor: string; action: string; detail: Record<string, unknown> }>> {
    const rows = await this.#db.query<Row>(`SELECT at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT $1`, [limit]);
    return rows.map((r) => ({ at: date(r.at), actor: String(r.actor), action: String(r.action), detail: jsonValue(r.detail) }));
  }

  async #audit(q: Queryable, actor: string, action: string, detail: Record<string, unknown>): Promise<void> {
    await insertAuditRow(q, actor, action, detail);
  }
}
