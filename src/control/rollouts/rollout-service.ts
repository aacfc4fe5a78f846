/**
 * The rollout service: the I/O shell around the pure model (model.ts: hosts, waves, tallies, the
 * judgement, views; with gate.ts, state.ts and waves.ts). It keeps what the polls need in memory (the
 * active rollout, each host's wave and what each host runs), answers "which release should this host
 * run?" without a query, writes host states behind the polls in batches, and moves the rollout on a
 * tick: settle the wave, judge it, advance, complete, pause or roll back, waking the polls of the
 * hosts whose desired release changed. The shell owns the timer, the store and the channel; every
 * decision it applies comes from a pure function.
 *
 * One process drives rollouts (see docs/fleet-changes.md, "Replicas"). Everything that matters is in
 * the database at each step, so a restarted control plane resumes where it stood: hosts that already
 * run the new release are not touched again (their desired release has not changed).
 */
import { systemClock, type Clock } from '../../core/clock.js';
import type { SignedRelease } from '../../core/contracts/bundle.js';
import type { BundleStatus } from '../../core/contracts/agent-poll.js';
import { VigiaError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { AgentChannel } from '../agent-channel.js';
import type { FleetStore, ReleaseRow, RolloutRow, RolloutStateName } from '../store/fleet-store.js';
import type { WaveGateResult } from './gate.js';
import {
  afterChecks, afterPoll, afterStatus, bundleUpdate, desiredNumber, driftOf, firstWaveHosts, hostFromRow, hostWave, hostsToWake, judgeRollout, newHost, otherContent,
  planTransition, planWaves, rolloutView, signedOf, tallyRollout, type DriftRow, type HostRecord, type PlannedStep, type RolloutSettings, type RolloutView,
} from './model.js';

export { rolloutSeed, STALE_POLL_MS } from './model.js';
export type { DriftRow, RolloutHostCoverage, RolloutSettings, RolloutView, WaveProgress } from './model.js';

/** How often the rollout is judged and host states are written. */
export const TICK_MS = 250;
/**
 * How often check summaries (and the list of enrolled hosts) are re-read from the database during a
 * rollout: reports may reach another replica, whose ingest stores them but cannot tell this process,
 * and hosts may be enrolled through another worker.
 */
export const CHECKS_REFRESH_MS = 5000;

/** Dependencies. */
export interface RolloutServiceDeps {
  readonly store: FleetStore;
  readonly channel: AgentChannel;
  readonly log: Logger;
  readonly now?: Clock;
  readonly onTransition?: (state: RolloutStateName) => void;
}

/**
 * The rollout service. It does not hand out its store: read-only views that are not the rollout's
 * (the audit log, the latest check results) are read from the FleetStore by whoever serves them.
 */
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
  /** A report carried check results (sampled at `detail.sampledAt`, the failing ones named). */
  onChecks(hostId: number, release: number, total: number, failing: number, detail?: { sampledAt?: Date; failingChecks?: readonly string[] }): void;
  /** A host was removed. */
  onHostRemoved(hostId: number): void;
  /**
   * Plan the waves of a just-published release (called by the bundle service inside publish) over
   * every enrolled host, read from the database: a host enrolled through another worker, or that never
   * polled, is counted (as stuck until it polls), never silently left out. With `selected` (the ids a
   * `--where` picked), only those are in the waves; every other host stays on the release it was meant
   * to run until now (model.ts outsideWave).
   */
  planHostWaves(rolloutSeed: string, settings: RolloutSettings, selected?: ReadonlySet<number>): Promise<{ hostWaves: Map<number, number>; baseline: { hosts: number; failing: number } }>;
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
  const now = deps.now ?? systemClock;
  /** What the service knows. Host records are replaced on each event, never changed in place (see model.ts). */
  const mem = {
    hosts: new Map<number, HostRecord>(),
    releases: new Map<number, ReleaseRow>(),
    rollout: undefined as RolloutRow | undefined,
    waves: new Map<number, number>(),
    lastGate: undefined as WaveGateResult | undefined,
  };
  /** Waiting for the database: host waves assigned since the publish, hosts whose bundle state changed. */
  const pending = { waves: new Map<number, number>(), hosts: new Set<number>() };
  const io = { timer: undefined as NodeJS.Timeout | undefined, ticking: undefined as Promise<void> | undefined, checksReadAt: 0, lock: Promise.resolve() as Promise<unknown> };

  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = io.lock.then(fn);
    io.lock = run.catch(() => {});
    return run;
  };

  const forget = (id: number): void => {
    mem.hosts.delete(id);
    mem.waves.delete(id);
    pending.hosts.delete(id);
    pending.waves.delete(id);
  };

  const put = (h: HostRecord, write: boolean): void => {
    mem.hosts.set(h.id, h);
    if (write) pending.hosts.add(h.id);
  };

  /** The host's wave in the current rollout, storing it when the host had none yet. */
  const waveOf = (h: { id: number; name: string }): number => {
    const r = mem.rollout;
    if (!r) return 0;
    const { wave, assigned } = hostWave(r, mem.waves, h);
    if (assigned) {
      mem.waves.set(h.id, wave);
      pending.waves.set(h.id, wave);
    }
    return wave;
  };

  const ensureRelease = async (n: number | null): Promise<void> => {
    if (n === null || mem.releases.has(n)) return;
    const row = await store.release(n);
    if (row) mem.releases.set(n, row);
  };

  /**
   * Re-read check summaries and the enrolled hosts: hosts enrolled elsewhere join (they count), hosts
   * removed through another replica are forgotten (they would hold a wave as stuck).
   */
  const refreshHosts = async (): Promise<void> => {
    const before = [...mem.hosts.keys()];
    const enrolled = new Set<number>();
    for (const c of await store.checkSummaries()) {
      enrolled.add(c.hostId);
      const h = mem.hosts.get(c.hostId);
      const detail = { sampledAt: c.sampledAt, failingChecks: c.failingChecks };
      if (!h) mem.hosts.set(c.hostId, c.release === null ? newHost(c.hostId, c.host) : afterChecks(newHost(c.hostId, c.host), c.release, c.total, c.failing, detail));
      else if (c.release !== null) mem.hosts.set(c.hostId, afterChecks(h, c.release, c.total, c.failing, detail));
    }
    // Only hosts known before the read: one that enrolled during it is not in the answer yet.
    for (const id of before) if (!enrolled.has(id)) forget(id);
  };

  const flush = async (): Promise<void> => {
    if (pending.hosts.size > 0) {
      const ids = [...pending.hosts];
      pending.hosts.clear();
      const updates = ids.flatMap((id) => {
        const h = mem.hosts.get(id);
        return h ? [bundleUpdate(h)] : [];
      });
      try {
        await store.saveHostBundles(updates);
      } catch (err) {
        for (const u of updates) pending.hosts.add(u.hostId);
        throw err;
      }
    }
    if (pending.waves.size > 0 && mem.rollout) {
      const batch = new Map(pending.waves);
      pending.waves.clear();
      await store.addRolloutHosts(mem.rollout.id, batch);
    }
  };

  const tally = (r: RolloutRow) => tallyRollout(r, mem.hosts.values(), mem.waves, mem.releases, now());

  /** Apply a step to the current rollout: write it with its audit line, then wake the hosts it moved. */
  const applyStep = async (step: PlannedStep, actor: string): Promise<void> => {
    const r = mem.rollout!;
    const plan = planTransition(r, step, actor, new Date(now()));
    mem.rollout = await store.updateRollout(r.id, plan.patch, plan.audit);
    log.info({ audit: true, actor, rollout: r.id, from: r.state, to: plan.state, wave: mem.rollout.currentWave, reason: step.reason }, 'rollout step');
    deps.onTransition?.(plan.state);
    channel.wake(hostsToWake(mem.rollout, mem.waves, r.currentWave));
  };

  const judge = async (): Promise<void> => {
    const r = mem.rollout;
    if (!r) return;
    const j = judgeRollout(r, tally(r), now());
    if (j.kind === 'idle') return;
    if (j.kind === 'gate') {
      if (j.settledChanged) mem.rollout = await store.updateRollout(r.id, { settledAt: j.settledAt });
      mem.lastGate = j.gate;
    }
    if (j.step) await applyStep(j.step, 'rollout-controller');
  };

  const tick = async (): Promise<void> => {
    if (io.ticking) return io.ticking;
    io.ticking = exclusive(async () => {
      try {
        const r = mem.rollout;
        if (r) for (const h of mem.hosts.values()) waveOf(h);
        await flush();
        const t = now();
        if (r && (r.state === 'running' || r.state === 'rolling_back') && t - io.checksReadAt >= CHECKS_REFRESH_MS) {
          io.checksReadAt = t;
          await refreshHosts();
        }
        await judge();
      } finally {
        io.ticking = undefined;
      }
    });
    return io.ticking;
  };

  const viewOf = (r: RolloutRow): RolloutView => rolloutView(r, tally(r), mem.lastGate, mem.releases.get(r.release)?.bundle ?? '');

  const requireRollout = (): RolloutRow => {
    if (!mem.rollout) throw new VigiaError('CONTROL_ERR_NO_ROLLOUT', 'nothing was published yet');
    return mem.rollout;
  };

  const operatorStep = (actor: string, step: (r: RolloutRow) => PlannedStep): Promise<RolloutView> =>
    exclusive(async () => {
      await applyStep(step(requireRollout()), actor);
      return viewOf(mem.rollout!);
    });

  return {
    async load() {
      for (const row of await store.hostBundles()) mem.hosts.set(row.hostId, hostFromRow(row));
      mem.rollout = await store.latestRollout();
      if (mem.rollout) {
        mem.waves = await store.rolloutHostWaves(mem.rollout.id);
        await Promise.all([mem.rollout.release, mem.rollout.previousRelease, mem.rollout.revertRelease].map((n) => ensureRelease(n)));
      }
    },
    start() {
      io.timer ??= setInterval(() => void tick().catch((err: unknown) => log.error({ err }, 'rollout tick failed')), TICK_MS);
      io.timer.unref();
    },
    desiredFor(id, name) {
      const n = desiredNumber(mem.rollout, waveOf({ id, name }));
      if (n === null) return null;
      const row = mem.releases.get(n);
      return row ? { release: n, signed: signedOf(row) } : null;
    },
    onPoll(id, name, release, sha256) {
      const at = new Date(now());
      let { host, write } = afterPoll(mem.hosts.get(id) ?? newHost(id, name), release, sha256, at);
      const bad = otherContent(release, sha256, mem.releases);
      if (bad) {
        const rejected = afterStatus(host, bad, at);
        // Recorded once, not at every poll.
        if (host.failedRelease !== rejected.failedRelease || host.failedError !== rejected.failedError) {
          log.warn({ host: name, release, sha256, error: bad.error }, 'host runs another archive under a published release number');
          host = rejected;
          write = true;
        }
      }
      put(host, write);
    },
    onStatus(id, name, reported) {
      const status = reported.status === 'installed' ? (otherContent(reported.release, reported.sha256, mem.releases) ?? reported) : reported;
      const host = afterStatus(mem.hosts.get(id) ?? newHost(id, name), status, new Date(now()));
      if (status.status !== 'installed') log.warn({ host: name, release: status.release, status: status.status, error: status.error }, 'bundle not installed');
      put(host, true);
    },
    onChecks(id, release, total, failing, detail) {
      const h = mem.hosts.get(id);
      // Without a sample time (an older caller), the time it arrived: never earlier than its sampling.
      if (h) mem.hosts.set(id, afterChecks(h, release, total, failing, { sampledAt: detail?.sampledAt ?? new Date(now()), failingChecks: detail?.failingChecks ?? [] }));
    },
    onHostRemoved: forget,
    async planHostWaves(seed, settings, selected) {
      const before = [...mem.hosts.keys()];
      const enrolled = new Set<number>();
      for (const row of await store.hostBundles()) {
        enrolled.add(row.hostId);
        // What this process heard since its load is newer than the database: keep it.
        if (!mem.hosts.has(row.hostId)) mem.hosts.set(row.hostId, hostFromRow(row));
      }
      for (const id of before) if (!enrolled.has(id)) forget(id);
      const previous = mem.rollout;
      const stayOn = (h: HostRecord): number | null => (previous ? desiredNumber(previous, hostWave(previous, mem.waves, h).wave) : null);
      return planWaves(mem.hosts.values(), settings, seed, selected ? { selected, stayOn } : undefined);
    },
    adopt(r, hostWaves, rels) {
      for (const row of rels) mem.releases.set(row.release, row);
      mem.rollout = r;
      mem.waves = new Map(hostWaves);
      pending.waves.clear();
      mem.lastGate = undefined;
      // Only the first wave's desired release changed; the rest keep theirs until their wave opens.
      channel.wake(firstWaveHosts(mem.waves));
    },
    pause: (actor) => operatorStep(actor, () => ({ event: { type: 'pause' }, reason: `paused by ${actor}`, extra: {} })),
    resume: (actor) => operatorStep(actor, () => ({ event: { type: 'resume' }, reason: `resumed by ${actor}`, extra: { settledAt: null } })),
    rollback: (actor) => operatorStep(actor, (r) => ({ event: { type: 'rollback', hasRevert: r.revertRelease !== null }, reason: `rollback requested by ${actor}`, extra: {} })),
    exclusive,
    view: () => (mem.rollout ? viewOf(mem.rollout) : undefined),
    drift() {
      const r = mem.rollout;
      if (r) for (const h of mem.hosts.values()) waveOf(h);
      return driftOf(mem.hosts.values(), r, mem.waves, mem.releases, now());
    },
    tick,
    async close() {
      if (io.timer) clearInterval(io.timer);
      io.timer = undefined;
      await io.ticking;
      await flush().catch((err: unknown) => log.error({ err }, 'could not write host bundle states at close'));
    },
  };
}
