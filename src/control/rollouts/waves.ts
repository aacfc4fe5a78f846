/**
 * Rollout waves: which hosts move to a new bundle release first.
 *
 * Waves are CUMULATIVE fleet percentages (`1,10,100`: 1 % of hosts, then up to 10 %, then all).
 * Wave indices are 0-based everywhere in code (wave 0 is the canary); renderings show them 1-based.
 *
 * Hosts are ordered by sha256(seed, name): the order is deterministic for a rollout (the seed is
 * usually the rollout id), differs between rollouts (the same hosts are not always the canary), and
 * a host's place relative to another does not change when hosts are added or removed.
 */
import { createHash } from 'node:crypto';
import { VigiaError } from '../../core/errors.js';

/** Waves used when a publish names none: a 1 % canary, then 10 %, then the whole fleet. */
export const DEFAULT_WAVES: readonly number[] = Object.freeze([1, 10, 100]);

/** Most waves a rollout may have (each one is gated on a soak time, so more is never useful). */
export const MAX_WAVES = 20;

function bad(msg: string): VigiaError {
  return new VigiaError('VIGIA_ERR_BAD_REQUEST', msg);
}

/**
 * Checks a list of cumulative wave percentages: 1..MAX_WAVES finite numbers, each in (0, 100],
 * strictly increasing, the last exactly 100. Returns a frozen copy; throws VIGIA_ERR_BAD_REQUEST.
 */
export function validateWaves(waves: readonly number[]): readonly number[] {
  if (waves.length === 0) throw bad('waves: at least one wave is needed (the last must be 100)');
  if (waves.length > MAX_WAVES) throw bad(`waves: at most ${MAX_WAVES} waves, got ${waves.length}`);
  waves.forEach((p, i) => {
    if (!Number.isFinite(p) || p <= 0 || p > 100) throw bad(`waves[${i}]: ${p} is not a percentage in (0, 100]`);
    const prev = waves[i - 1];
    if (prev !== undefined && p <= prev) throw bad(`waves[${i}]: ${p} is not above the previous wave ${prev} (waves are cumulative percentages)`);
  });
  const last = waves[waves.length - 1];
  if (last !== 100) throw bad(`waves: the last wave must be 100 (the whole fleet), got ${last}`);
  return Object.freeze([...waves]);
}

/**
 * Parses `--waves 1,10,100` (spaces and a `%` after each number allowed) into cumulative
 * percentages, validated as validateWaves does. Throws VIGIA_ERR_BAD_REQUEST naming the bad item.
 */
export function parseWaves(text: string): readonly number[] {
  if (text.trim() === '') throw bad('waves: empty; expected cumulative percentages such as 1,10,100');
  const items = text.split(',').map((s) => s.trim());
  const waves = items.map((item, i) => {
    const m = /^(\d{1,3}(?:\.\d{1,3})?)\s*%?$/.exec(item);
    if (!m) throw bad(`waves[${i}]: ${JSON.stringify(item)} is not a percentage (expected e.g. 1,10,100)`);
    return Number(m[1]);
  });
  return validateWaves(waves);
}

function hashHex(name: string, seed: string): string {
  // The NUL separator keeps (seed "ab", host "c") and (seed "a", host "bc") apart.
  return createHash('sha256').update(seed).update('\0').update(name).digest('hex');
}

/**
 * Where a host falls in the rollout's hash order, as a fraction in [0, 1) (the first 52 bits of
 * sha256(seed NUL name)). Depends on the host and the seed only, never on the rest of the fleet.
 */
export function hashPosition(name: string, seed: string): number {
  return parseInt(hashHex(name, seed).slice(0, 13), 16) / 2 ** 52;
}

/**
 * Cumulative host counts per wave for a fleet of `n` hosts: wave k holds the first `cut[k]` hosts of
 * the hash order. Nominally ceil(pct_k / 100 * n), adjusted so that every wave gets at least one new
 * host when n >= waves.length (the 1 % canary of 50 hosts is 1 host, not 0). With fewer hosts than
 * waves the earliest waves get one host each and the later ones none. The last entry is always n.
 */
export function waveCutoffs(n: number, waves: readonly number[]): number[] {
  const w = validateWaves(waves);
  if (!Number.isInteger(n) || n < 0) throw bad(`host count: ${n} is not a non-negative integer`);
  const cuts: number[] = [];
  let prev = 0;
  w.forEach((p, k) => {
    // Percentages like 7/100*... can land a hair above an integer; round off float noise first.
    let cut = Math.max(Math.ceil(Math.round(((p * n) / 100) * 1e9) / 1e9), prev + 1);
    if (n >= w.length) cut = Math.min(cut, n - (w.length - 1 - k)); // leave one host for each later wave
    cut = Math.min(cut, n);
    cuts.push(cut);
    prev = cut;
  });
  return cuts;
}

/**
 * Assigns each host its wave index (0-based) for a rollout: hosts sorted by sha256(seed NUL name)
 * (ties, impossible in practice, by name), cut by waveCutoffs. Duplicate names count once.
 * Deterministic: the same hosts, waves and seed always give the same map.
 */
export function assignWaves(hostNames: readonly string[], waves: readonly number[], seed: string): Map<string, number> {
  const unique = [...new Set(hostNames)];
  const ordered = unique
    .map((name) => ({ name, h: hashHex(name, seed) }))
    .sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const cuts = waveCutoffs(ordered.length, waves);
  const out = new Map<string, number>();
  let k = 0;
  ordered.forEach((host, i) => {
    while (i >= (cuts[k] ?? Infinity)) k++;
    out.set(host.name, k);
  });
  return out;
}

/**
 * The wave of a host enrolled AFTER the rollout started (assignWaves ran without it): the first wave
 * whose cumulative percentage is above the host's hashPosition * 100. So a new host lands in wave k
 * with probability (pct_k - pct_{k-1}) / 100, independently of the others and of when it enrolls,
 * and the assignment of already-enrolled hosts never moves. Whether the host then gets the new
 * release at once depends on the rollout's current wave (see desiredRelease).
 */
export function waveForNewHost(name: string, seed: string, waves: readonly number[]): number {
  const w = validateWaves(waves);
  const at = hashPosition(name, seed) * 100;
  const k = w.findIndex((p) => at < p);
  return k === -1 ? w.length - 1 : k;
}
