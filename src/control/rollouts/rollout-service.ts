/**
 * The rollout service: the I/O shell around the pure wave, gate and state logic. It keeps what the
 * polls need in memory (the active rollout, each host's wave and what each host runs), answers
 * "which release should this host run?" without a query, writes host states behind the polls in
 * batches, and moves the rollout on a tick: settle the wave, judge it, advance, complete, pause or
 * roll back, waking the polls of the hosts whose desired release changed.
 *
 * One process drives rollouts (see docs/fleet-changes.md, "Replicas"). Everything that matters is in
 * the database at each step, so a restarted control plane resumes where it stood: hosts that already
 * run the new release are not touched again (their desired release has not changed).
 */
import type { SignedRelease } from '../../core/contracts/bundle.js';
import type { BundleStatus } from '../../core/contracts/agent-poll.js';
import { VigiaError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { AgentChannel } from '../agent-channel.js';
import type { FleetStore, HostBundleRow, HostBundleUpdate, ReleaseRow, RolloutRow, RolloutStateName } from '../store/fleet-store.js';
import { evaluateWave, type WaveGateResult } from './gate.js';
import { desiredRelease, transition, type RolloutEvent } from './state.js';
import { assignWaves, waveForNewHost } from './waves.js';

/** A host is stale (counted stuck, not waited for) when it has not polled for this long. */
export const STALE_POLL_MS = 3 * 60_000;
/** How often the rollout is judged and host states are written. */
export const TICK_MS = 250;
/**
 * How often check summaries are re-read from the database during a rollout: reports may reach
 * another (--no-fleet) replica, whose ingest stores them but cannot tell this process.
 */
export const CHECKS_REFRESH_MS = 5000;

/** The seed that orders hosts into a release's waves (hash of seed and host name). */
export function rolloutSeed(release: number): string {
  return `release-${release}`;
}

/** What the service knows of one host. */
interface HostState {
  readonly id: number;
  name: string;
  appliedRelease: number;
  appliedSha256: string;
  appliedAt: Date | null;
  lastPollAt: Date | null;
  failedRelease: number | null;
  failedError: string | null;
  failedAt: Date | null;
  checksRelease: number | null;
  checksTotal: number;
  checksFailing: number;
}

/** Per-wave progress for the status view. */
export interface WaveProgress {
  readonly wave: number;
  readonly percent: number;
  readonly hosts: number;
  readonly applied: number;
  readonly failed: number;
  readonly stuck: number;
}

/** `GET /v1/rollouts/current` and `vigia rollout status`. */
export interface RolloutView {
  readonly id: number;
  readonly bundle: string;
  readonly release: number;
  readonly previousRelease: number | null;
  readonly revertRelease: number | null;
  readonly state: RolloutStateName;
  readonly waves: readonly number[];
  readonly currentWave: number;
  readonly perWave: readonly WaveProgress[];
  readonly installFailureRate: number;
  readonly checkFailureRate: number;
  readonly baselineRate: number;
  readonly soakMs: number;
  readonly maxFailureRate: number;
  readonly autoRollback: boolean;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly settledAt: string | null;
  readonly reason: string;
}

/** One line of the drift report. */
export interface DriftRow {
  readonly release: number | null;
  readonly hosts: number;
  readonly stuck: ReadonlyArray<{ host: string; reason: string; lastSeen: string | null }>;
}

/** Settings of a new rollout. */
export interface RolloutSettings {
  readonly waves: readonly number[];
  readonly soakMs: number;
  readonly waveTimeoutMs: number;
  readonly maxFailureRate: number;
  readonly autoRollback: boolean;
}

/** Dependencies. */
export interface RolloutServiceDeps {
  readonly store: FleetStore;
  readonly channel: AgentChannel;
  readonly log: Logger;
  readonly now?: () => Date;
  readonly onTransition?: (state: RolloutStateName) => void;
}

/** The rollout service. */
export interface RolloutService {
  /** Load state from the database (at start). */
  load(): Promise<void>;
  /** Start ticking. */
  start(): void;
  /** The desired release of a host with its signed envelope; null when none. */
  desiredFor(hostId: number, hostName: string): { release: number; signed: SignedRelease } | null;
  /** A poll said what the host runs. */
  onPoll(hostId: number, hostName: string, release: number, sha256: string): void;
  /** An install outcome. */
  onStatus(hostId: number, hostName: string, status: BundleStatus): void;
  /** A report carried check results. */
  onChecks(hostId: number, release: number, total: number, failing: number): void;
  /** A host was removed. */
  onHostRemoved(hostId: number): void;
  /** Start a rollout of a just-published release (called by the bundle service inside publish). */
  planHostWaves(rolloutSeed: string, settings: RolloutSettings): Promise<{ hostWaves: Map<number, number>; baseline: { hosts: number; failing: number } }>;
  /** The bundle service stored a new rollout: adopt it. */
  adopt(rollout: RolloutRow, hostWaves: Map<number, number>, releases: readonly ReleaseRow[]): void;
  /** Operator steps. */
  pause(actor: string): Promise<RolloutView>;
  resume(actor: string): Promise<RolloutView>;
  rollback(actor: string): Promise<RolloutView>;
  /** The current rollout's view; undefined when there was never one. */
  view(): RolloutView | undefined;
  /** Which release runs where, and which hosts are stuck and why. */
  drift(): DriftRow[];
  /** The store (for read-only views such as the latest check results). */
  readonly store: FleetStore;
  /**
   * Run fn alone among the steps that change the rollout (the tick's judgement, pause, resume,
   * rollback, a publish adopting a new rollout), so none acts on a rollout another just replaced.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Judge now (tests, and the tick). */
  tick(): Promise<void>;
  /** Stop ticking and write what is pending. */
  close(): Promise<void>;
}

/** Build the service (call load() before use). */
export function createRolloutService(deps: RolloutServiceDeps): RolloutService {
  const { store, channel, log } = deps;
  const now = deps.now ?? (() => new Date());
  const hosts = new Map<number, HostState>();
  const releases = new Map<number, { row: ReleaseRow; signed: SignedRelease }>();
  let rollout: RolloutRow | undefined;
  let waves = new Map<number, number>();
  const newHostWaves = new Map<number, number>();
  const dirty = new Set<number>();
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let lastGate: WaveGateResult | undefined;
  let checksReadAt = 0;
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn);
    lock = run.catch(() => {});
    return run;
  };

  /** Re-read check summaries, and forget hosts removed through another replica (they would hold a wave as stuck). */
  const refreshChecks = async (): Promise<void> => {
    const before = [...hosts.keys()];
    const enrolled = new Set<number>();
    for (const c of await store.checkSummaries()) {
      enrolled.add(c.hostId);
      const h = hosts.get(c.hostId);
      if (!h || c.release === null) continue;
      h.checksRelease = c.release;
      h.checksTotal = c.total;
      h.checksFailing = c.failing;
    }
    // Only hosts known before the read: one that enrolled during it is not in the answer yet.
    for (const id of before) if (!enrolled.has(id)) forget(id);
  };

  const forget = (id: number): void => {
    hosts.delete(id);
    waves.delete(id);
    dirty.delete(id);
    newHostWaves.delete(id);
  };

  const hostState = (id: number, name: string): HostState => {
    let h = hosts.get(id);
    if (!h) {
      h = { id, name, appliedRelease: 0, appliedSha256: '', appliedAt: null, lastPollAt: null, failedRelease: null, failedError: null, failedAt: null, checksRelease: null, checksTotal: 0, checksFailing: 0 };
      hosts.set(id, h);
    }
    return h;
  };

  /** The seed of a rollout's host order (the bundle service plans the waves with the same one). */
  const seedOf = (r: RolloutRow): string => rolloutSeed(r.release);

  const waveOf = (id: number, name: string): number => {
    if (!rollout) return 0;
    const w = waves.get(id);
    if (w !== undefined) return w;
    const nw = waveForNewHost(name, seedOf(rollout), rollout.waves);
    waves.set(id, nw);
    newHostWaves.set(id, nw);
    return nw;
  };

  const cacheRelease = (row: ReleaseRow): void => {
    releases.set(row.release, { row, signed: { envelope: row.envelope, signature: row.signature } });
  };

  const ensureRelease = async (n: number | null): Promise<void> => {
    if (n === null || releases.has(n)) return;
    const row = await store.release(n);
    if (row) cacheRelease(row);
  };

  const desiredNumber = (id: number, name: string): number | null => {
    if (!rollout) return null;
    return desiredRelease({
      rollout: { state: rollout.state, currentWave: rollout.currentWave, release: rollout.release, previousRelease: rollout.previousRelease, revertRelease: rollout.revertRelease },
      hostWave: waveOf(id, name),
    });
  };

  /** Whether a host runs release n (same number, or the same content under a newer number). */
  const runs = (h: HostState, n: number | null): boolean => {
    if (n === null) return h.appliedRelease === 0;
    if (h.appliedRelease === n) return true;
    const r = releases.get(n);
    return r !== undefined && h.appliedRelease > n && h.appliedSha256 === r.row.sha256;
  };

  const isStale = (h: HostState, t: number): boolean => h.lastPollAt === null || t - h.lastPollAt.getTime() > STALE_POLL_MS;

  /** Tallies of waves <= current for the gate and the view. */
  const tally = (t: number) => {
    const r = rollout!;
    const perWave = r.waves.map((pct, i) => ({ wave: i, percent: pct, hosts: 0, applied: 0, failed: 0, stuck: 0 }));
    let upgradedHosts = 0, upgradedFailing = 0, restHosts = 0, restFailing = 0;
    const target = r.state === 'rolling_back' || r.state === 'rolled_back' ? r.revertRelease : r.release;
    const waveTimedOut = t - r.waveStartedAt.getTime() > r.waveTimeoutMs;
    for (const h of hosts.values()) {
      const w = waveOf(h.id, h.name);
      const pw = perWave[w]!;
      pw.hosts++;
      const onNew = target !== null && runs(h, target);
      if (onNew) pw.applied++;
      else if (target !== null && h.failedRelease === target) pw.failed++;
      else if (w <= r.currentWave && (isStale(h, t) || waveTimedOut)) pw.stuck++;
      // An upgraded host that reported results of the new release counts as reporting even when none
      // of its checks applies to it (no check selects it): it has nothing more to say.
      if (h.checksRelease === r.release && runs(h, r.release)) {
        upgradedHosts++;
        if (h.checksFailing > 0) upgradedFailing++;
      } else if (h.checksRelease !== null && h.checksTotal > 0) {
        if (!runs(h, r.release)) {
          restHosts++;
          if (h.checksFailing > 0) restFailing++;
        }
      }
    }
    const upTo = perWave.slice(0, r.currentWave + 1);
    const sum = (k: 'hosts' | 'applied' | 'failed' | 'stuck'): number => upTo.reduce((a, w) => a + w[k], 0);
    return {
      perWave,
      hostsInWave: sum('hosts'), applied: sum('applied'), failed: sum('failed'), stuck: sum('stuck'),
      upgraded: { hosts: upgradedHosts, failing: upgradedFailing },
      baseline: restHosts > 0 ? { hosts: restHosts, failing: restFailing } : { hosts: r.baselineHosts, failing: r.baselineFailing },
    };
  };

  const applyEvent = async (event: RolloutEvent, actor: string, reason: string, extra: Partial<RolloutRow> = {}): Promise<void> => {
    const r = rollout!;
    const before = { state: r.state, currentWave: r.currentWave };
    const state = transition(r.state, event);
    // The wave timeout counts from when hosts were asked to move: a rollback or a resume asks anew.
    const restart = (state === 'rolling_back' && before.state !== 'rolling_back') || event.type === 'resume' ? { waveStartedAt: now() } : {};
    rollout = await store.updateRollout(r.id, { state, reason, ...restart, ...extra }, { actor, action: `rollout.${event.type}`, detail: { release: r.release, from: before.state, to: state, wave: extra.currentWave ?? r.currentWave, reason } });
    log.info({ audit: true, actor, rollout: r.id, from: before.state, to: state, wave: rollout.currentWave, reason }, 'rollout step');
    deps.onTransition?.(state);
    wakeChanged(before.currentWave);
  };

  /**
   * Wake the parked polls of the hosts whose desired release just changed: a new wave's hosts on an
   * advance, every host that had moved on a rollback. A woken poll with nothing new costs a 304, so
   * waking the whole fleet on every step would cost 10,000 answers for nothing.
   */
  const wakeChanged = (previousWave: number): void => {
    const r = rollout!;
    const ids: number[] = [];
    for (const [id, w] of waves) {
      if (r.state === 'rolling_back' ? w <= r.currentWave : w > previousWave && w <= r.currentWave) ids.push(id);
    }
    if (r.state === 'completed') for (const [id, w] of waves) if (w > previousWave) ids.push(id);
    channel.wake(ids);
  };

  const flush = async (): Promise<void> => {
    if (dirty.size > 0) {
      const updates: HostBundleUpdate[] = [];
      for (const id of dirty) {
        const h = hosts.get(id);
        if (h) updates.push({ hostId: id, appliedRelease: h.appliedRelease, appliedSha256: h.appliedSha256, appliedAt: h.appliedAt, lastPollAt: h.lastPollAt, failedRelease: h.failedRelease, failedError: h.failedError, failedAt: h.failedAt });
      }
      dirty.clear();
      try {
        await store.saveHostBundles(updates);
      } catch (err) {
        for (const u of updates) dirty.add(u.hostId);
        throw err;
      }
    }
    if (newHostWaves.size > 0 && rollout) {
      const batch = new Map(newHostWaves);
      newHostWaves.clear();
      await store.addRolloutHosts(rollout.id, batch);
    }
  };

  const judge = async (): Promise<void> => {
    const r = rollout;
    if (!r) return;
    const t = now().getTime();
    if (r.state === 'rolling_back') {
      const s = tally(t);
      // Rolled back once every host that had moved runs the revert release again (or is stuck).
      if (s.applied + s.failed + s.stuck >= s.hostsInWave) await applyEvent({ type: 'rolled_back' }, 'rollout-controller', `${s.applied} hosts back on the previous content`);
      return;
    }
    if (r.state !== 'running') return;
    const s = tally(t);
    const settled = s.applied + s.failed + s.stuck >= s.hostsInWave;
    if (settled && r.settledAt === null) rollout = await store.updateRollout(r.id, { settledAt: new Date(t) });
    if (!settled && r.settledAt !== null) rollout = await store.updateRollout(r.id, { settledAt: null });
    const cur = rollout!;
    const gate = evaluateWave({
      wave: cur.currentWave, waveCount: cur.waves.length, hostsInWave: s.hostsInWave, applied: s.applied, installFailed: s.failed, stuck: s.stuck,
      upgradedCheck: s.upgraded, baselineCheck: s.baseline, settledAt: cur.settledAt?.getTime() ?? null, now: t, soakMs: cur.soakMs,
      // Stuck hosts (silent, or not moved within the wave timeout) settle a wave, but more of them
      // than the failure threshold holds it: they look like a release that stops agents.
      maxFailureRate: cur.maxFailureRate,
    });
    lastGate = gate;
    if (gate.verdict === 'advance') {
      await applyEvent({ type: 'advance' }, 'rollout-controller', gate.reason, { currentWave: cur.currentWave + 1, waveStartedAt: new Date(t), settledAt: null });
    } else if (gate.verdict === 'complete') {
      await applyEvent({ type: 'complete' }, 'rollout-controller', gate.reason);
    } else if (gate.verdict === 'fail') {
      await applyEvent({ type: 'fail', autoRollback: cur.autoRollback, hasRevert: cur.revertRelease !== null }, 'rollout-controller', gate.reason);
    }
  };

  const tick = async (): Promise<void> => {
    if (ticking) return ticking;
    ticking = exclusive(async () => {
      try {
        await flush();
        const t = now().getTime();
        if (rollout && (rollout.state === 'running' || rollout.state === 'rolling_back') && t - checksReadAt >= CHECKS_REFRESH_MS) {
          checksReadAt = t;
          await refreshChecks();
        }
        await judge();
      } finally {
        ticking = undefined;
      }
    });
    return ticking;
  };

  const viewOf = (r: RolloutRow): RolloutView => {
    const s = tally(now().getTime());
    const rel = releases.get(r.release);
    return {
      id: r.id, bundle: rel?.row.bundle ?? '', release: r.release, previousRelease: r.previousRelease, revertRelease: r.revertRelease, state: r.state,
      waves: r.waves, currentWave: r.currentWave, perWave: s.perWave,
      installFailureRate: lastGate?.installFailureRate ?? (s.hostsInWave > 0 ? s.failed / s.hostsInWave : 0),
      checkFailureRate: lastGate?.checkFailureRate ?? (s.upgraded.hosts > 0 ? s.upgraded.failing / s.upgraded.hosts : 0),
      baselineRate: lastGate?.baselineRate ?? (s.baseline.hosts > 0 ? s.baseline.failing / s.baseline.hosts : 0),
      soakMs: r.soakMs, maxFailureRate: r.maxFailureRate, autoRollback: r.autoRollback,
      startedAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(), settledAt: r.settledAt?.toISOString() ?? null,
      // While a running wave waits, what it waits for says more than the last step taken.
      reason: r.state === 'running' && lastGate?.verdict === 'wait' ? lastGate.reason : r.reason,
    };
  };

  const requireRollout = (): RolloutRow => {
    if (!rollout) throw new VigiaError('CONTROL_ERR_NO_ROLLOUT', 'nothing was published yet');
    return rollout;
  };

  return {
    async load() {
      const rows: HostBundleRow[] = await store.hostBundles();
      for (const row of rows) {
        hosts.set(row.hostId, {
          id: row.hostId, name: row.host, appliedRelease: row.appliedRelease, appliedSha256: row.appliedSha256, appliedAt: row.appliedAt, lastPollAt: row.lastPollAt,
          failedRelease: row.failedRelease, failedError: row.failedError, failedAt: row.failedAt, checksRelease: row.checksRelease, checksTotal: row.checksTotal, checksFailing: row.checksFailing,
        });
      }
      rollout = await store.latestRollout();
      if (rollout) {
        waves = await store.rolloutHostWaves(rollout.id);
        await Promise.all([rollout.release, rollout.previousRelease, rollout.revertRelease].map((n) => ensureRelease(n)));
      }
    },
    start() {
      timer ??= setInterval(() => void tick().catch((err: unknown) => log.error({ err }, 'rollout tick failed')), TICK_MS);
      timer.unref();
    },
    desiredFor(id, name) {
      const n = desiredNumber(id, name);
      if (n === null) return null;
      const r = releases.get(n);
      return r ? { release: n, signed: r.signed } : null;
    },
    onPoll(id, name, release, sha256) {
      const h = hostState(id, name);
      const t = now();
      if (h.appliedRelease !== release || h.appliedSha256 !== sha256) {
        h.appliedRelease = release;
        h.appliedSha256 = sha256;
        h.appliedAt = t;
        if (h.failedRelease !== null && h.failedRelease <= release) {
          h.failedRelease = null;
          h.failedError = null;
          h.failedAt = null;
        }
        dirty.add(id);
      } else if (h.lastPollAt === null || t.getTime() - h.lastPollAt.getTime() > 60_000) {
        // Poll times matter at minute precision (stale detection): write them at most once a minute.
        dirty.add(id);
      }
      h.lastPollAt = t;
    },
    onStatus(id, name, status) {
      const h = hostState(id, name);
      const t = now();
      if (status.status === 'installed') {
        h.appliedRelease = status.release;
        h.appliedSha256 = status.sha256;
        h.appliedAt = t;
        h.failedRelease = null;
        h.failedError = null;
        h.failedAt = null;
      } else {
        h.failedRelease = status.release;
        h.failedError = `${status.status}: ${status.error ?? 'no reason given'}`.slice(0, 1024);
        h.failedAt = t;
        log.warn({ host: name, release: status.release, status: status.status, error: status.error }, 'bundle not installed');
      }
      dirty.add(id);
    },
    onChecks(id, release, total, failing) {
      const h = hosts.get(id);
      if (!h) return;
      h.checksRelease = release;
      h.checksTotal = total;
      h.checksFailing = failing;
    },
    onHostRemoved: forget,
    async planHostWaves(seed, settings) {
      const all = [...hosts.values()];
      const byName = assignWaves(all.map((h) => h.name), settings.waves, seed);
      const hostWaves = new Map(all.map((h) => [h.id, byName.get(h.name)!]));
      let withChecks = 0, failing = 0;
      for (const h of all) {
        if (h.checksRelease !== null && h.checksTotal > 0) {
          withChecks++;
          if (h.checksFailing > 0) failing++;
        }
      }
      return { hostWaves, baseline: { hosts: withChecks, failing } };
    },
    adopt(r, hostWaves, rels) {
      for (const row of rels) cacheRelease(row);
      rollout = r;
      waves = new Map(hostWaves);
      newHostWaves.clear();
      lastGate = undefined;
      // Only the first wave's desired release changed; the rest keep theirs until their wave opens.
      const first: number[] = [];
      for (const [id, w] of waves) if (w === 0) first.push(id);
      channel.wake(first);
    },
    pause: (actor) =>
      exclusive(async () => {
        requireRollout();
        await applyEvent({ type: 'pause' }, actor, `paused by ${actor}`);
        return viewOf(rollout!);
      }),
    resume: (actor) =>
      exclusive(async () => {
        requireRollout();
        await applyEvent({ type: 'resume' }, actor, `resumed by ${actor}`, { settledAt: null });
        return viewOf(rollout!);
      }),
    rollback: (actor) =>
      exclusive(async () => {
        const r = requireRollout();
        await applyEvent({ type: 'rollback', hasRevert: r.revertRelease !== null }, actor, `rollback requested by ${actor}`);
        return viewOf(rollout!);
      }),
    exclusive,
    view: () => (rollout ? viewOf(rollout) : undefined),
    store,
    drift() {
      const t = now().getTime();
      const groups = new Map<number | null, { hosts: number; stuck: Array<{ host: string; reason: string; lastSeen: string | null }> }>();
      for (const h of hosts.values()) {
        const key = h.appliedRelease === 0 ? null : h.appliedRelease;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { hosts: 0, stuck: [] }));
        g.hosts++;
        const want = desiredNumber(h.id, h.name);
        if (want === null || runs(h, want)) continue;
        const lastSeen = h.lastPollAt?.toISOString() ?? null;
        let reason: string;
        if (h.failedRelease === want) reason = `release ${want} not installed: ${h.failedError ?? ''}`;
        else if (isStale(h, t)) reason = h.lastPollAt ? `has not polled for ${Math.round((t - h.lastPollAt.getTime()) / 60_000)} min` : 'never polled';
        else reason = `should run ${want}, still on ${h.appliedRelease === 0 ? 'no bundle' : h.appliedRelease}`;
        g.stuck.push({ host: h.name, reason, lastSeen });
      }
      return [...groups].sort((a, b) => (b[0] ?? 0) - (a[0] ?? 0)).map(([release, g]) => ({ release, hosts: g.hosts, stuck: g.stuck.sort((a, b) => a.host.localeCompare(b.host)) }));
    },
    tick,
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await ticking;
      await flush().catch((err: unknown) => log.error({ err }, 'could not write host bundle states at close'));
    },
  };
}
