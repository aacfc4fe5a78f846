/**
 * What the rollout service knows, and every decision it takes, as pure functions over plain values:
 * a host's bundle state after a poll, an install outcome or a check report; which wave a host is in
 * and which release it should run; the tallies the gate judges; the judgement itself (settle, wait,
 * advance, complete, fail, finish rolling back); the step's database patch and audit line; which
 * parked polls to wake; the status view and the drift report. No clock, store or channel here: the
 * time comes in as an argument, and rollout-service.ts (the I/O shell) applies the results.
 *
 * Host records are immutable values; the shell keeps them in a Map keyed by host id and replaces a
 * record on each event. The Map itself is not copied per event: with 10,000 hosts polling, copying it
 * on every poll would cost more than everything else the service does.
 */
import type { SignedRelease } from '../../core/contracts/bundle.js';
import type { BundleStatus } from '../../core/contracts/agent-poll.js';
import type { HostBundleRow, HostBundleUpdate, ReleaseRow, RolloutPatch, RolloutRow, RolloutStateName } from '../store/fleet-store.js';
import { evaluateWave, type CheckTally, type WaveGateResult } from './gate.js';
import { desiredRelease, transition, type RolloutEvent, type RolloutTarget } from './state.js';
import { assignWaves, waveForNewHost } from './waves.js';
import { plural } from '../../core/plural.js';

/** A host is stale (counted stuck, not waited for) when it has not polled for this long. */
export const STALE_POLL_MS = 3 * 60_000;

/** An unchanged host's poll time is written at most this often (stale detection needs minutes only). */
export const POLL_WRITE_MS = 60_000;

/** Failing upgraded hosts a check failure's reason names (with their failing checks); the rest are counted. */
export const NAMED_FAILING_HOSTS = 5;

/** The seed that orders hosts into a release's waves (hash of seed and host name). */
export function rolloutSeed(release: number): string {
  return `release-${release}`;
}

/** What the service knows of one host's bundle: what it runs, what it failed to install, its checks. */
export interface HostRecord {
  readonly id: number;
  readonly name: string;
  /** 0: no bundle. */
  readonly appliedRelease: number;
  readonly appliedSha256: string;
  readonly appliedAt: Date | null;
  /** null: the host never polled. */
  readonly lastPollAt: Date | null;
  readonly failedRelease: number | null;
  readonly failedError: string | null;
  readonly failedAt: Date | null;
  /** Release of the newest check results; null: none reported. */
  readonly checksRelease: number | null;
  readonly checksTotal: number;
  readonly checksFailing: number;
  /** When the newest check results were sampled; null: unknown (a resume then waits for newer ones). */
  readonly checksAt: Date | null;
  /** The failing checks of the newest results, by name (status names them). */
  readonly failingChecks: readonly string[];
}

/** Per-wave progress for the status view. */
export interface WaveProgress {
  readonly wave: number;
  readonly percent: number;
  readonly hosts: number;
  readonly applied: number;
  readonly failed: number;
  readonly stuck: number;
  /** Hosts of the wave that never polled: counted apart, neither passing nor holding it (in `hosts`). */
  readonly neverPolled: number;
}

/**
 * Which hosts the rollout's counts cover. `counted` is every host the rollout holds a wave for: each
 * host enrolled when it was published (read from the database, so hosts that never polled are in it),
 * plus those enrolled or polling since. `neverPolled` of them have not polled once: the gate counts
 * them apart (they neither pass nor hold a wave: a host enrolled and never started, such as a
 * `vigia simulate` host, says nothing about the release), and the status shows them separately.
 */
export interface RolloutHostCoverage {
  readonly counted: number;
  readonly neverPolled: number;
  /** Hosts outside a selective rollout (`--where`): they stay on their release and are not counted. */
  readonly outside: number;
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
  readonly hosts: RolloutHostCoverage;
  /** The `--where` it was published with; null: every enrolled host. */
  readonly selector: Readonly<Record<string, string>> | null;
  /** True when the rollout counts no host at all: completed, it installed nothing anywhere. */
  readonly empty: boolean;
  readonly installFailureRate: number;
  readonly checkFailureRate: number;
  readonly baselineRate: number;
  readonly soakMs: number;
  readonly maxFailureRate: number;
  /** Share of stuck hosts tolerated before the gate holds (maxFailureRate unless published with --max-stuck-rate). */
  readonly maxStuckRate: number;
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
  /** Share of stuck hosts tolerated before the gate holds; absent: maxFailureRate. */
  readonly maxStuckRate?: number;
  readonly autoRollback: boolean;
}

// ---- hosts ------------------------------------------------------------------------------------

/** A host the service has not heard of yet: no bundle, never polled, no checks. */
export function newHost(id: number, name: string): HostRecord {
  return { id, name, appliedRelease: 0, appliedSha256: '', appliedAt: null, lastPollAt: null, failedRelease: null, failedError: null, failedAt: null, checksRelease: null, checksTotal: 0, checksFailing: 0, checksAt: null, failingChecks: [] };
}

/** A host as the database holds it. */
export function hostFromRow(row: HostBundleRow): HostRecord {
  return {
    id: row.hostId, name: row.host, appliedRelease: row.appliedRelease, appliedSha256: row.appliedSha256, appliedAt: row.appliedAt, lastPollAt: row.lastPollAt,
    failedRelease: row.failedRelease, failedError: row.failedError, failedAt: row.failedAt, checksRelease: row.checksRelease, checksTotal: row.checksTotal, checksFailing: row.checksFailing,
    checksAt: row.checksAt, failingChecks: row.failingChecks,
  };
}

/**
 * A poll said the host runs `release` (`sha256`) at `now`. `write` says whether the database needs
 * the new state: a change of release always, an unchanged host's poll time at most every POLL_WRITE_MS.
 * Running a release at or above a failed one clears the failure.
 */
export function afterPoll(h: HostRecord, release: number, sha256: string, now: Date): { host: HostRecord; write: boolean } {
  if (h.appliedRelease !== release || h.appliedSha256 !== sha256) {
    const clears = h.failedRelease !== null && h.failedRelease <= release;
    return {
      host: { ...h, appliedRelease: release, appliedSha256: sha256, appliedAt: now, lastPollAt: now, ...(clears ? { failedRelease: null, failedError: null, failedAt: null } : {}) },
      write: true,
    };
  }
  const write = h.lastPollAt === null || now.getTime() - h.lastPollAt.getTime() > POLL_WRITE_MS;
  return { host: { ...h, lastPollAt: now }, write };
}

/** An install outcome at `now`: installed moves the host (and clears a failure); anything else records the failure (error cut at 1 KiB). */
export function afterStatus(h: HostRecord, status: BundleStatus, now: Date): HostRecord {
  if (status.status === 'installed') {
    return { ...h, appliedRelease: status.release, appliedSha256: status.sha256, appliedAt: now, failedRelease: null, failedError: null, failedAt: null };
  }
  return { ...h, failedRelease: status.release, failedError: `${status.status}: ${status.error ?? 'no reason given'}`.slice(0, 1024), failedAt: now };
}

/**
 * A host says it runs (or installed) `release` with `sha256`, but the published release of that number
 * has another archive: another signer's release, a number used twice, or a state.json someone edited.
 * It does not run our release, so the claim becomes a rejection naming both hashes (drift and the
 * rollout's failed count show it); null when the content matches or the number is unknown. Pure.
 */
export function otherContent(release: number, sha256: string, releases: ReadonlyMap<number, ReleaseRow>): BundleStatus | null {
  const r = releases.get(release);
  if (release === 0 || r === undefined || r.sha256 === sha256) return null;
  return { release, sha256, status: 'rejected', error: `the host runs release ${release} with sha256 ${sha256.slice(0, 16) || '(none)'}, the published release ${release} is ${r.sha256.slice(0, 16)} (another signer, a reused number or an edited state.json)` };
}

/**
 * A report carried `total` check results of `release`, `failing` of them CRITICAL or UNKNOWN (named in
 * `detail.failingChecks`), sampled at `detail.sampledAt`.
 */
export function afterChecks(h: HostRecord, release: number | null, total: number, failing: number, detail: { sampledAt?: Date | null; failingChecks?: readonly string[] } = {}): HostRecord {
  return { ...h, checksRelease: release, checksTotal: total, checksFailing: failing, checksAt: detail.sampledAt ?? null, failingChecks: detail.failingChecks ?? [] };
}

/** The row the database keeps of a host's bundle state. */
export function bundleUpdate(h: HostRecord): HostBundleUpdate {
  return { hostId: h.id, appliedRelease: h.appliedRelease, appliedSha256: h.appliedSha256, appliedAt: h.appliedAt, lastPollAt: h.lastPollAt, failedRelease: h.failedRelease, failedError: h.failedError, failedAt: h.failedAt };
}

/** A host is stale when it never polled or has not polled for STALE_POLL_MS at time `t` (ms). */
export function isStale(h: HostRecord, t: number): boolean {
  return h.lastPollAt === null || t - h.lastPollAt.getTime() > STALE_POLL_MS;
}

/** Whether a host runs release n (same number and content, or the same content under a newer number); null = no bundle. */
export function runsRelease(h: HostRecord, n: number | null, releases: ReadonlyMap<number, ReleaseRow>): boolean {
  if (n === null) return h.appliedRelease === 0;
  const r = releases.get(n);
  // The same number with other content is not this release (otherContent).
  if (h.appliedRelease === n) return r === undefined || h.appliedSha256 === r.sha256;
  return r !== undefined && h.appliedRelease > n && h.appliedSha256 === r.sha256;
}

/** The signed envelope agents verify, from a stored release. */
export function signedOf(row: ReleaseRow): SignedRelease {
  return { envelope: row.envelope, signature: row.signature };
}

// ---- waves and desired releases ---------------------------------------------------------------

/**
 * A host outside a selective rollout (`bundle publish --where`) is stored with a negative wave that
 * holds the release it stays on: -1 for no bundle, -(n + 1) for release n. One number per host keeps
 * the waves table, its writes and every lookup as they are for the hosts inside.
 */
export function outsideWave(stay: number | null): number {
  return stay === null ? -1 : -(stay + 1);
}

/** The release a host outside the rollout stays on (null: no bundle); undefined for a host inside it (wave >= 0). */
export function stayRelease(wave: number): number | null | undefined {
  if (wave >= 0) return undefined;
  return wave === -1 ? null : -wave - 1;
}

/**
 * A host's wave in rollout `r`: the one stored for it, else the one a host enrolled after the
 * publish gets (waveForNewHost: depends on the host's name and the release only). Under a selective
 * rollout a host enrolled after the publish is outside it and stays on the release before it: the
 * poll path does not read tags, and the next publish includes it. `assigned` is true when the wave
 * was not stored yet (the shell stores it).
 */
export function hostWave(r: RolloutRow, waves: ReadonlyMap<number, number>, h: { readonly id: number; readonly name: string }): { wave: number; assigned: boolean } {
  const w = waves.get(h.id);
  if (w !== undefined) return { wave: w, assigned: false };
  if (r.selector !== null) return { wave: outsideWave(r.previousRelease), assigned: true };
  return { wave: waveForNewHost(h.name, rolloutSeed(r.release), r.waves), assigned: true };
}

/** What desiredRelease needs of a rollout row. */
export function targetOf(r: RolloutRow): RolloutTarget {
  return { state: r.state, currentWave: r.currentWave, release: r.release, previousRelease: r.previousRelease, revertRelease: r.revertRelease };
}

/** The release a host in wave `wave` should run under `r` (null: no bundle; no rollout: null; outside the rollout: the one it stays on). */
export function desiredNumber(r: RolloutRow | undefined, wave: number): number | null {
  const stay = stayRelease(wave);
  if (stay !== undefined) return stay;
  if (!r) return null;
  return desiredRelease({ rollout: targetOf(r), hostWave: wave });
}

/**
 * The waves of a new rollout over `hosts` (the hash order of `seed`), and the baseline the gate
 * compares with when no host is left on the old release: of the hosts with check results, how many
 * had a failing one.
 */
export function planWaves(
  hosts: Iterable<HostRecord>,
  settings: Pick<RolloutSettings, 'waves'>,
  seed: string,
  selection?: { readonly selected: ReadonlySet<number>; readonly stayOn: (h: HostRecord) => number | null },
): { hostWaves: Map<number, number>; baseline: CheckTally } {
  const every = [...hosts];
  const all = selection ? every.filter((h) => selection.selected.has(h.id)) : every;
  const byName = assignWaves(all.map((h) => h.name), settings.waves, seed);
  const hostWaves = new Map(all.map((h) => [h.id, byName.get(h.name)!]));
  if (selection) for (const h of every) if (!selection.selected.has(h.id)) hostWaves.set(h.id, outsideWave(selection.stayOn(h)));
  let withChecks = 0, failing = 0;
  for (const h of all) {
    if (h.checksRelease !== null && h.checksTotal > 0) {
      withChecks++;
      if (h.checksFailing > 0) failing++;
    }
  }
  return { hostWaves, baseline: { hosts: withChecks, failing } };
}

/** Hosts whose polls must be woken when a new rollout is adopted: the first wave (the rest wait for theirs). */
export function firstWaveHosts(waves: ReadonlyMap<number, number>): number[] {
  const ids: number[] = [];
  for (const [id, w] of waves) if (w === 0) ids.push(id);
  return ids;
}

/**
 * The hosts whose desired release changed when `r` (as it is after a step) came from `previousWave`:
 * a new wave's hosts on an advance, every host that had moved on a rollback, every host not reached
 * yet on completion. Waking only those matters: a woken poll with nothing new costs a 304, and waking
 * the whole fleet on every step would cost 10,000 answers for nothing.
 */
export function hostsToWake(r: RolloutRow, waves: ReadonlyMap<number, number>, previousWave: number): number[] {
  const ids: number[] = [];
  for (const [id, w] of waves) {
    if (w < 0) continue; // outside the rollout: its release never changes with the rollout's steps
    if (r.state === 'rolling_back' ? w <= r.currentWave : w > previousWave && w <= r.currentWave) ids.push(id);
  }
  if (r.state === 'completed') for (const [id, w] of waves) if (w > previousWave) ids.push(id);
  return ids;
}

// ---- tallies and the judgement ----------------------------------------------------------------

/** What the gate and the view count of a rollout at one moment. Sums cover waves <= current. */
export interface RolloutTally {
  readonly perWave: readonly WaveProgress[];
  readonly hostsInWave: number;
  readonly applied: number;
  readonly failed: number;
  readonly stuck: number;
  /** Hosts of waves <= current that never polled; not in hostsInWave. */
  readonly neverPolled: number;
  readonly upgraded: CheckTally;
  readonly baseline: CheckTally;
  readonly coverage: RolloutHostCoverage;
}

/**
 * Count every host of `hosts` into its wave of `r` at time `t` (ms): applied (runs the target
 * release: the new one, or the revert while rolling back), failed (refused or failed to install the
 * target), never polled (counted apart: not in hostsInWave), stuck (in a reached wave, and stale
 * or past the wave timeout), else pending. Check
 * results: hosts on the new release that reported for it (upgraded), and the rest with results
 * (baseline; the one measured at publish when none is left).
 */
export function tallyRollout(r: RolloutRow, hosts: Iterable<HostRecord>, waves: ReadonlyMap<number, number>, releases: ReadonlyMap<number, ReleaseRow>, t: number): RolloutTally {
  const perWave = r.waves.map((pct, i) => ({ wave: i, percent: pct, hosts: 0, applied: 0, failed: 0, stuck: 0, neverPolled: 0 }));
  const examples: string[] = [];
  let upgradedHosts = 0, upgradedFailing = 0, restHosts = 0, restFailing = 0, counted = 0, neverPolled = 0, outside = 0;
  const target = r.state === 'rolling_back' || r.state === 'rolled_back' ? r.revertRelease : r.release;
  const waveTimedOut = t - r.waveStartedAt.getTime() > r.waveTimeoutMs;
  for (const h of hosts) {
    const w = hostWave(r, waves, h).wave;
    if (w < 0) {
      outside++;
      continue;
    }
    const pw = perWave[w]!;
    pw.hosts++;
    counted++;
    if (h.lastPollAt === null) neverPolled++;
    const onNew = target !== null && runsRelease(h, target, releases);
    if (onNew) pw.applied++;
    else if (target !== null && h.failedRelease === target) pw.failed++;
    else if (h.lastPollAt === null) pw.neverPolled++;
    else if (w <= r.currentWave && (isStale(h, t) || waveTimedOut)) pw.stuck++;
    // An upgraded host that reported results of the new release counts as reporting even when none
    // of its checks applies to it (no check selects it): it has nothing more to say.
    const onRelease = runsRelease(h, r.release, releases);
    // After a resume, results sampled before it are the ones that caused the pause: not judged again.
    const fresh = r.checksSince === null || (h.checksAt !== null && h.checksAt.getTime() >= r.checksSince.getTime());
    if (h.checksRelease === r.release && onRelease && fresh) {
      upgradedHosts++;
      if (h.checksFailing > 0) {
        upgradedFailing++;
        if (examples.length < NAMED_FAILING_HOSTS) examples.push(`${h.name} (${h.failingChecks.length > 0 ? h.failingChecks.join(', ') : plural(h.checksFailing, 'check')})`);
      }
    } else if (h.checksRelease !== null && h.checksTotal > 0 && !onRelease) {
      restHosts++;
      if (h.checksFailing > 0) restFailing++;
    }
  }
  const upTo = perWave.slice(0, r.currentWave + 1);
  const sum = (k: 'hosts' | 'applied' | 'failed' | 'stuck' | 'neverPolled'): number => upTo.reduce((a, w) => a + w[k], 0);
  return {
    perWave,
    hostsInWave: sum('hosts') - sum('neverPolled'), applied: sum('applied'), failed: sum('failed'), stuck: sum('stuck'), neverPolled: sum('neverPolled'),
    upgraded: { hosts: upgradedHosts, failing: upgradedFailing, examples },
    baseline: restHosts > 0 ? { hosts: restHosts, failing: restFailing } : { hosts: r.baselineHosts, failing: r.baselineFailing },
    coverage: { counted, neverPolled, outside },
  };
}

/** A step the judgement asks for: the event, who takes it, why, and what else the row changes. */
export interface PlannedStep {
  readonly event: RolloutEvent;
  readonly reason: string;
  readonly extra: RolloutPatch;
}

/**
 * What the tick does with a rollout: nothing (`idle`: not running or rolling back), finish a
 * rollback, or judge a running wave. For a running wave, `settledAt` is the value the row must hold
 * (`settledChanged`: it differs from the stored one), `gate` the gate's answer and `step` the
 * transition it asks for, if any.
 */
export type Judgement =
  | { readonly kind: 'idle' }
  | { readonly kind: 'rolling_back'; readonly step: PlannedStep | undefined }
  | { readonly kind: 'gate'; readonly settledAt: Date | null; readonly settledChanged: boolean; readonly gate: WaveGateResult; readonly step: PlannedStep | undefined };

/**
 * Judge rollout `r` from its tally at time `t` (ms). Rolling back: finished once every host that had
 * moved runs the revert again, failed, or is stuck. Running: the wave is settled when every host of
 * waves <= current applied, failed or is stuck; the gate (gate.ts) decides; an advance opens the next
 * wave now. A rollout that completes without counting a single host, or without any host applying
 * it, says so in its reason: it installed nothing anywhere, which is not the success "healthy: 0 of
 * 0 hosts applied" reads as.
 */
export function judgeRollout(r: RolloutRow, s: RolloutTally, t: number): Judgement {
  const settled = s.applied + s.failed + s.stuck >= s.hostsInWave;
  if (r.state === 'rolling_back') {
    return { kind: 'rolling_back', step: settled ? { event: { type: 'rolled_back' }, reason: `${plural(s.applied, 'host')} back on the previous content`, extra: {} } : undefined };
  }
  if (r.state !== 'running') return { kind: 'idle' };
  const settledAt = settled ? (r.settledAt ?? new Date(t)) : null;
  const settledChanged = (settledAt === null) !== (r.settledAt === null);
  const gate = evaluateWave({
    wave: r.currentWave, waveCount: r.waves.length, hostsInWave: s.hostsInWave, applied: s.applied, installFailed: s.failed, stuck: s.stuck, neverPolled: s.neverPolled,
    upgradedCheck: s.upgraded, baselineCheck: s.baseline, settledAt: settledAt?.getTime() ?? null, now: t, soakMs: r.soakMs,
    // Stuck hosts (silent, or not moved within the wave timeout) settle a wave, but more of them
    // than maxStuckRate (--max-stuck-rate; default the failure threshold) hold it: they look like a
    // release that stops agents.
    maxFailureRate: r.maxFailureRate,
    ...(r.maxStuckRate !== null ? { maxStuckRate: r.maxStuckRate } : {}),
  });
  let step: PlannedStep | undefined;
  if (gate.verdict === 'advance') {
    step = { event: { type: 'advance' }, reason: gate.reason, extra: { currentWave: r.currentWave + 1, waveStartedAt: new Date(t), settledAt: null } };
  } else if (gate.verdict === 'complete') {
    step = { event: { type: 'complete' }, reason: completionReason(r, s) ?? gate.reason, extra: {} };
  } else if (gate.verdict === 'fail') {
    step = { event: { type: 'fail', autoRollback: r.autoRollback, hasRevert: r.revertRelease !== null }, reason: gate.reason, extra: {} };
  }
  return { kind: 'gate', settledAt, settledChanged, gate, step };
}

/**
 * The reason of a completion that installed nothing, which the gate's "healthy: 0 of N hosts
 * applied" would pass off as a success: no host counted at all, or every counted host stuck (a
 * maxFailureRate of 1 lets that complete). Undefined when some host applied the release.
 */
function completionReason(r: RolloutRow, s: RolloutTally): string | undefined {
  if (s.coverage.counted === 0) {
    return `completed with no host: no enrolled host was counted when release ${r.release} was published, so it was installed nowhere; hosts that enrol from now on get it at their first poll`;
  }
  if (s.applied > 0) return undefined;
  const never = s.coverage.neverPolled > 0 ? `; ${s.coverage.neverPolled} never polled, not counted` : '';
  return `completed without installing release ${r.release} anywhere: 0 of ${plural(s.hostsInWave, 'host')} applied (${s.stuck} stuck, ${s.failed} failed${never}); they get it when they poll`;
}

/**
 * The database side of a step on `r` at `now`: the new state (throws CONTROL_ERR_ROLLOUT_STATE for a
 * transition state.ts refuses), the row patch and the audit line. The wave timeout counts from when
 * hosts were asked to move, so a rollback or a resume restarts it; a resume also sets checksSince.
 */
export function planTransition(r: RolloutRow, step: PlannedStep, actor: string, now: Date): { state: RolloutStateName; patch: RolloutPatch; audit: { actor: string; action: string; detail: Record<string, unknown> } } {
  const state = transition(r.state, step.event);
  const restart = (state === 'rolling_back' && r.state !== 'rolling_back') || step.event.type === 'resume' ? { waveStartedAt: now } : {};
  // A resume judges only results sampled after it: the gate would otherwise fail again, within one
  // tick, on the very results that paused it, before any host could report anew.
  const fresh = step.event.type === 'resume' ? { checksSince: now } : {};
  return {
    state,
    patch: { state, reason: step.reason, ...restart, ...fresh, ...step.extra },
    audit: { actor, action: `rollout.${step.event.type}`, detail: { release: r.release, from: r.state, to: state, wave: step.extra.currentWave ?? r.currentWave, reason: step.reason } },
  };
}

// ---- views ------------------------------------------------------------------------------------

/**
 * The status view of `r`. The rates are the gate's last ones when it judged, else computed from the
 * tally; while a running wave waits, what it waits for says more than the last step taken.
 */
export function rolloutView(r: RolloutRow, s: RolloutTally, lastGate: WaveGateResult | undefined, bundle: string): RolloutView {
  return {
    id: r.id, bundle, release: r.release, previousRelease: r.previousRelease, revertRelease: r.revertRelease, state: r.state,
    waves: r.waves, currentWave: r.currentWave, perWave: s.perWave, hosts: s.coverage, selector: r.selector, empty: s.coverage.counted === 0,
    installFailureRate: lastGate?.installFailureRate ?? (s.hostsInWave > 0 ? s.failed / s.hostsInWave : 0),
    checkFailureRate: lastGate?.checkFailureRate ?? (s.upgraded.hosts > 0 ? s.upgraded.failing / s.upgraded.hosts : 0),
    baselineRate: lastGate?.baselineRate ?? (s.baseline.hosts > 0 ? s.baseline.failing / s.baseline.hosts : 0),
    soakMs: r.soakMs, maxFailureRate: r.maxFailureRate, maxStuckRate: r.maxStuckRate ?? r.maxFailureRate, autoRollback: r.autoRollback,
    startedAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(), settledAt: r.settledAt?.toISOString() ?? null,
    reason: r.state === 'running' && lastGate?.verdict === 'wait' ? lastGate.reason : r.reason,
  };
}

/**
 * Which release runs where (newest first, `null` = no bundle), and every host that does not run
 * its desired release under `r` with why: its install failed, it is silent (or never polled), or it
 * has simply not moved yet. Stuck hosts by name.
 */
export function driftOf(hosts: Iterable<HostRecord>, r: RolloutRow | undefined, waves: ReadonlyMap<number, number>, releases: ReadonlyMap<number, ReleaseRow>, t: number): DriftRow[] {
  const groups = new Map<number | null, { hosts: number; stuck: Array<{ host: string; reason: string; lastSeen: string | null }> }>();
  for (const h of hosts) {
    const key = h.appliedRelease === 0 ? null : h.appliedRelease;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { hosts: 0, stuck: [] }));
    g.hosts++;
    const want = r ? desiredNumber(r, hostWave(r, waves, h).wave) : null;
    if (want === null || runsRelease(h, want, releases)) continue;
    const lastSeen = h.lastPollAt?.toISOString() ?? null;
    let reason: string;
    if (h.failedRelease === want) reason = `release ${want} not installed: ${h.failedError ?? ''}`;
    else if (isStale(h, t)) reason = h.lastPollAt ? `has not polled for ${Math.round((t - h.lastPollAt.getTime()) / 60_000)} min` : 'never polled';
    else reason = `should run ${want}, still on ${h.appliedRelease === 0 ? 'no bundle' : h.appliedRelease}`;
    g.stuck.push({ host: h.name, reason, lastSeen });
  }
  return [...groups].sort((a, b) => (b[0] ?? 0) - (a[0] ?? 0)).map(([release, g]) => ({ release, hosts: g.hosts, stuck: g.stuck.sort((a, b) => a.host.localeCompare(b.host)) }));
}
