/**
 * The health gate of one rollout wave: given what the hosts of waves <= current reported, decide
 * whether to wait, move to the next wave, finish, or fail. Pure: counts and the time come in.
 *
 * Order of the rules (the first that applies wins):
 * 1. install failure rate (installFailed / hostsInWave) > maxFailureRate -> fail, at any time (a
 *    bad signature or a broken archive shows in the canary long before the wave settles);
 * 2. once at least minHostsForRate upgraded hosts reported checks: upgraded check failure rate minus
 *    baseline rate > maxFailureRate -> fail, at any time (during the soak too);
 * 3. not settled (settledAt null) -> wait;
 * Hosts that never polled are not in hostsInWave: they neither pass nor hold a wave (neverPolled is
 * only named in the reason).
 * 4. stuck rate (stuck / hostsInWave) > maxStuckRate -> wait (HOLD). Stuck hosts are counted as
 *    settled (a dead host must not block a wave forever) and never fail a wave (a host that was down
 *    before the rollout says nothing about the release), but too many of them means we cannot tell
 *    a broken release (agents that stop reporting after the install) from dead hosts, so the
 *    rollout holds until hosts come back or an operator raises maxStuckRate (1 = never hold). The
 *    stuck hosts are listed in the drift view either way;
 * 5. soak not elapsed since settledAt -> wait;
 * 6. fewer than min(minHostsForRate, applied) upgraded hosts reported checks -> wait (never advance
 *    blind; a host with no applicable check reports zero checks and counts as reporting);
 * 7. otherwise advance, or complete when this is the last wave.
 * Rates compare with a 1e-9 slack so that exactly-at-threshold is never a failure by float noise.
 */
import { VigiaError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';

/** Check results of a group of hosts: how many reported, and how many had a CRITICAL or UNKNOWN check. */
export interface CheckTally {
  readonly hosts: number;
  readonly failing: number;
  /**
   * Some of the failing hosts with their failing checks (`db-7 (disk_free)`), named in a check
   * failure's reason so that the operator knows which check on which host; `failing` counts them all.
   */
  readonly examples?: readonly string[];
}

/** What the gate looks at for the current wave (all counts cumulative over waves <= wave). */
export interface WaveGateInput {
  /** Current wave index, 0-based. */
  readonly wave: number;
  /** Number of waves of the rollout (the last one completes instead of advancing). */
  readonly waveCount: number;
  /** Hosts of waves <= wave. */
  readonly hostsInWave: number;
  /** Of those, hosts running the new release. */
  readonly applied: number;
  /** Of those, hosts that reported an install failure of the new release. */
  readonly installFailed: number;
  /** Of those, hosts that did not report within the wave timeout, or are stale. */
  readonly stuck: number;
  /**
   * Hosts of waves <= wave that never polled, not part of hostsInWave: they neither pass nor hold a
   * wave, and are only named in the reason (default 0).
   */
  readonly neverPolled?: number;
  /** Hosts on the new release with check results. */
  readonly upgradedCheck: CheckTally;
  /** Hosts on the old release (or the baseline measured at rollout start when none is left). */
  readonly baselineCheck: CheckTally;
  /** When every host of the wave had applied, failed or been declared stuck (ms); null until then. */
  readonly settledAt: number | null;
  /** Now (ms). */
  readonly now: number;
  /** How long the wave must stay healthy after settling (ms). */
  readonly soakMs: number;
  /** Largest tolerated failure rate, in [0, 1] (0.05 = 5 %). */
  readonly maxFailureRate: number;
  /** Upgraded hosts with check results needed before the check rate is judged (default 1). */
  readonly minHostsForRate?: number;
  /** Largest stuck rate before the gate holds (default maxFailureRate; 1 never holds). */
  readonly maxStuckRate?: number;
}

/** What the gate decided. */
export type WaveVerdict = 'wait' | 'advance' | 'complete' | 'fail';

/** The gate's answer: the verdict, a one-line reason for humans, and the rates it compared. */
export interface WaveGateResult {
  readonly verdict: WaveVerdict;
  readonly reason: string;
  /** installFailed / hostsInWave (0 for an empty wave). */
  readonly installFailureRate: number;
  /** upgradedCheck.failing / upgradedCheck.hosts (0 when none reported). */
  readonly checkFailureRate: number;
  /** baselineCheck.failing / baselineCheck.hosts (0 when none reported). */
  readonly baselineRate: number;
  /** stuck / hostsInWave (0 for an empty wave). */
  readonly stuckRate: number;
}

const EPS = 1e-9;

function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

/** A rate as a percentage with one decimal (`2.5 %`). */
function pc(r: number): string {
  return `${(r * 100).toFixed(1)} %`;
}

/** `: h1 (a, b), h2 (c) and 3 more hosts`, or nothing when no host is named. */
function named(t: CheckTally): string {
  const ex = t.examples ?? [];
  if (ex.length === 0) return '';
  const more = t.failing > ex.length ? ` and ${t.failing - ex.length} more hosts` : '';
  return `: ${ex.join(', ')}${more}`;
}

function minutes(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}

function checkInput(i: WaveGateInput): void {
  const counts: [string, number][] = [
    ['wave', i.wave],
    ['waveCount', i.waveCount],
    ['hostsInWave', i.hostsInWave],
    ['applied', i.applied],
    ['installFailed', i.installFailed],
    ['stuck', i.stuck],
    ['neverPolled', i.neverPolled ?? 0],
    ['upgradedCheck.hosts', i.upgradedCheck.hosts],
    ['upgradedCheck.failing', i.upgradedCheck.failing],
    ['baselineCheck.hosts', i.baselineCheck.hosts],
    ['baselineCheck.failing', i.baselineCheck.failing],
    ['minHostsForRate', i.minHostsForRate ?? 1],
  ];
  for (const [name, v] of counts) {
    if (!Number.isInteger(v) || v < 0) throw new VigiaError('VIGIA_ERR_INTERNAL', `wave gate: ${name} = ${v} is not a non-negative integer`);
  }
  if (i.wave >= i.waveCount) throw new VigiaError('VIGIA_ERR_INTERNAL', `wave gate: wave ${i.wave} is not below waveCount ${i.waveCount}`);
  for (const [name, v] of [['maxFailureRate', i.maxFailureRate], ['maxStuckRate', i.maxStuckRate ?? 0]] as const) {
    if (!(v >= 0 && v <= 1)) throw new VigiaError('VIGIA_ERR_INTERNAL', `wave gate: ${name} = ${v} is not in [0, 1]`);
  }
  if (!(i.soakMs >= 0) || !Number.isFinite(i.now)) throw new VigiaError('VIGIA_ERR_INTERNAL', 'wave gate: soakMs and now must be finite, soakMs >= 0');
}

/** Decides the fate of the current wave; rules in the file header. Throws VIGIA_ERR_INTERNAL on nonsense input. */
export function evaluateWave(input: WaveGateInput): WaveGateResult {
  checkInput(input);
  const { hostsInWave: n, maxFailureRate: max } = input;
  const minHosts = Math.max(1, input.minHostsForRate ?? 1);
  const maxStuck = input.maxStuckRate ?? max;
  const rates = {
    installFailureRate: ratio(input.installFailed, n),
    checkFailureRate: ratio(input.upgradedCheck.failing, input.upgradedCheck.hosts),
    baselineRate: ratio(input.baselineCheck.failing, input.baselineCheck.hosts),
    stuckRate: ratio(input.stuck, n),
  };
  const done = (verdict: WaveVerdict, reason: string): WaveGateResult => ({ verdict, reason, ...rates });
  const label = `wave ${input.wave + 1}/${input.waveCount}`;
  const never = input.neverPolled ? `; ${input.neverPolled} never polled (not counted)` : '';

  if (rates.installFailureRate > max + EPS) {
    return done('fail', `${label}: install failed on ${input.installFailed} of ${plural(n, 'host')} (${pc(rates.installFailureRate)} > ${pc(max)})`);
  }
  const excess = rates.checkFailureRate - rates.baselineRate;
  if (input.upgradedCheck.hosts >= minHosts && excess > max + EPS) {
    return done(
      'fail',
      `${label}: checks failing on ${input.upgradedCheck.failing} of ${input.upgradedCheck.hosts} upgraded hosts (${pc(rates.checkFailureRate)}) ` +
        `vs baseline ${pc(rates.baselineRate)}: +${pc(excess)} > ${pc(max)}${named(input.upgradedCheck)}`,
    );
  }
  if (input.settledAt === null) {
    const pending = Math.max(0, n - input.applied - input.installFailed - input.stuck);
    return done('wait', `${label}: waiting for ${pending} of ${plural(n, 'host')} (${input.applied} applied, ${input.installFailed} failed, ${input.stuck} stuck${never})`);
  }
  if (rates.stuckRate > maxStuck + EPS) {
    return done('wait', `${label}: holding: ${input.stuck} of ${plural(n, 'host')} stuck (${pc(rates.stuckRate)} > ${pc(maxStuck)}); see drift${never}`);
  }
  const left = input.settledAt + input.soakMs - input.now;
  if (left > 0) return done('wait', `${label}: soaking, ${minutes(left)} left`);
  const needChecks = Math.min(minHosts, input.applied);
  if (input.upgradedCheck.hosts < needChecks) {
    return done('wait', `${label}: waiting for check results (${input.upgradedCheck.hosts} of ${needChecks} upgraded hosts reported)`);
  }
  const stuckNote = input.stuck > 0 ? `, ${input.stuck} stuck` : '';
  const health = `${input.applied} of ${plural(n, 'host')} applied${stuckNote}, checks ${pc(rates.checkFailureRate)} vs baseline ${pc(rates.baselineRate)}${never}`;
  if (input.wave === input.waveCount - 1) return done('complete', `${label} healthy: ${health}; rollout complete`);
  return done('advance', `${label} healthy: ${health}; next wave`);
}
