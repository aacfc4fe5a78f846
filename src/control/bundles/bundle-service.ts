/**
 * Publishing on the control plane: checks a signed release (and its pre-signed revert) before it
 * reaches any host, stores it and starts its rollout; serves archives to agents from a small cache.
 *
 * The control plane verifies signatures too (with the public keys it is given), but only to refuse
 * junk early: the agents' own verification is what protects the hosts, so a compromised control
 * plane can pause or roll back, never install content nobody signed.
 */
import { z } from 'zod';
import { systemClock, type Clock } from '../../core/clock.js';
import { checkReleaseArchive, MAX_ARCHIVE_BYTES, signedReleaseSchema, verifyRelease, type ReleaseEnvelope } from '../../core/contracts/bundle.js';
import type { JsonShape } from '../../core/contracts/json-shape.js';
import { VigiaError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { rolloutSeed, type RolloutService, type RolloutSettings } from '../rollouts/rollout-service.js';
import { validateWaves } from '../rollouts/waves.js';
import { whereSchema } from '../../core/contracts/tags.js';
import type { WhereClause } from '../fleet-runs/selector.js';
import type { HostIdentity } from '../store/control-store.js';
import type { FleetStore, ReleaseRow } from '../store/fleet-store.js';

/** Default rollout settings (a publish may override each). */
export const DEFAULT_ROLLOUT_SETTINGS: RolloutSettings = Object.freeze({
  waves: Object.freeze([1, 10, 100]),
  soakMs: 10 * 60_000,
  waveTimeoutMs: 15 * 60_000,
  maxFailureRate: 0.05,
  autoRollback: false,
});

/** Most waves a publish may ask for. */
const MAX_PUBLISH_WAVES = 20;
/** Most characters of the base64 archive. */
const MAX_ARCHIVE_BASE64 = Math.ceil((MAX_ARCHIVE_BYTES * 4) / 3) + 4;

const publishRolloutSchema = z
  .object({
    waves: z.array(z.number()).min(1).max(MAX_PUBLISH_WAVES).optional(),
    soak_ms: z.number().int().min(0).max(7 * 86_400_000).optional(),
    wave_timeout_ms: z.number().int().min(1000).max(7 * 86_400_000).optional(),
    max_failure_rate: z.number().min(0).max(1).optional(),
    max_stuck_rate: z.number().min(0).max(1).optional(),
    auto_rollback: z.boolean().optional(),
    // Only the hosts it selects are in the waves; the others stay on their release (rollouts/model.ts outsideWave).
    where: whereSchema.optional(),
  })
  .strict();

/** POST /v1/bundles body. */
export const publishBodySchema = z
  .object({
    release: signedReleaseSchema,
    /** The pre-signed rollback: release + 1, the previous content; absent for the first publish. */
    revert: signedReleaseSchema.optional(),
    /** The archive bytes, base64. */
    archive: z.string().max(MAX_ARCHIVE_BASE64),
    rollout: publishRolloutSchema.default({}),
  })
  .strict();

/** The structural bounds (src/core/contracts/json-shape.ts) of a publish body: body > rollout > waves. */
export const PUBLISH_BODY_SHAPE: JsonShape = Object.freeze({
  maxDepth: 3,
  maxKeys: Math.max(...[publishBodySchema, signedReleaseSchema, publishRolloutSchema].map((s) => Object.keys(s.shape).length)),
  maxItems: MAX_PUBLISH_WAVES,
  maxStringLength: MAX_ARCHIVE_BASE64,
});

/** A publish request. */
export type PublishBody = z.output<typeof publishBodySchema>;

/** GET /v1/bundles: what a publisher needs to number and pre-sign its releases. */
export interface BundleIndex {
  /** Highest release number taken (0: none). */
  readonly latest: number;
  /** The release the fleet settled on (what a new rollout starts from and its revert restores). */
  readonly current: { readonly release: number; readonly sha256: string; readonly size: number } | null;
  /** An unfinished rollout blocks publishing. */
  readonly rolloutInProgress: boolean;
  readonly releases: ReadonlyArray<{ release: number; bundle: string; sha256: string; size: number; reverts: number | null; published_at: string; published_by: string; expires_at: string }>;
}

/** Dependencies. */
export interface BundleServiceDeps {
  readonly store: FleetStore;
  readonly rollouts: RolloutService;
  /** Public keys (PEM) whose signatures the control plane accepts. */
  readonly trustedKeys: readonly string[];
  readonly log: Logger;
  /** The enrolled hosts a `--where` selects (the control store's hostsWhere): a selective publish's population. */
  readonly hostsWhere: (where: WhereClause) => Promise<readonly HostIdentity[]>;
  /** Wall clock (default systemClock). */
  readonly now?: Clock;
}

/** The bundle service. */
export interface BundleService {
  index(): Promise<BundleIndex>;
  publish(body: PublishBody, actor: string): Promise<{ release: number; revert: number | null; rollout: number }>;
  /** Archive bytes by sha256 (cached); undefined when unknown. */
  archive(sha256: string): Promise<Buffer | undefined>;
}

/** Archives kept in memory (each at most MAX_ARCHIVE_BYTES). */
const ARCHIVE_CACHE = 8;

/** Build the bundle service. */
export function createBundleService(deps: BundleServiceDeps): BundleService {
  const { store, rollouts, log } = deps;
  const now = deps.now ?? systemClock;
  /** Archives by sha256, the most recently used last (at most ARCHIVE_CACHE entries). */
  const cache = new Map<string, Buffer>();
  const loads = new Map<string, Promise<Buffer | undefined>>();
  const remember = (sha256: string, bytes: Buffer): void => {
    cache.delete(sha256);
    cache.set(sha256, bytes);
    while (cache.size > ARCHIVE_CACHE) cache.delete(cache.keys().next().value!);
  };

  const settled = async (): Promise<{ release: number; sha256: string; size: number } | null> => {
    const latest = await store.latestRollout();
    if (!latest) return null;
    const n = latest.state === 'completed' ? latest.release : latest.state === 'rolled_back' ? latest.revertRelease : null;
    if (n === null) return null;
    const row = await store.release(n);
    return row ? { release: row.release, sha256: row.sha256, size: row.size } : null;
  };

  const verify = (signed: PublishBody['release'], what: string): ReleaseEnvelope => {
    if (deps.trustedKeys.length === 0) throw new VigiaError('VIGIA_ERR_CONFIG', 'the control plane has no bundle public key (--bundle-public-key): it cannot accept releases');
    try {
      return verifyRelease(signed, deps.trustedKeys);
    } catch (err) {
      if (err instanceof VigiaError) throw new VigiaError(err.code, `${what}: ${err.message}`);
      throw err;
    }
  };

  const service: BundleService = {
    async index() {
      const [latest, current, last, rows] = await Promise.all([store.latestReleaseNumber(), settled(), store.latestRollout(), store.releases(20)]);
      return {
        latest, current,
        // A paused first rollout has nothing to roll back to: a new release may replace it (supersede).
        rolloutInProgress: last !== undefined && (['running', 'rolling_back'].includes(last.state) || (last.state === 'paused' && last.revertRelease !== null)),
        releases: rows.map((r) => ({ release: r.release, bundle: r.bundle, sha256: r.sha256, size: r.size, reverts: r.reverts, published_at: r.publishedAt.toISOString(), published_by: r.publishedBy, expires_at: r.expiresAt.toISOString() })),
      };
    },

    publish(body, actor) {
      // One publish at a time, and never while the tick judges or an operator steps the rollout.
      return rollouts.exclusive(() => publishNow(body, actor));
    },

    async archive(sha256) {
      const hit = cache.get(sha256);
      if (hit) return hit;
      // Single flight: a wave of agents asking for the same new archive costs one database read.
      let loading = loads.get(sha256);
      if (!loading) {
        loading = store.archive(sha256).finally(() => loads.delete(sha256));
        loads.set(sha256, loading);
      }
      const bytes = await loading;
      if (bytes) remember(sha256, bytes);
      return bytes;
    },
  };

  async function publishNow(body: PublishBody, actor: string): Promise<{ release: number; revert: number | null; rollout: number }> {
    const archive = Buffer.from(body.archive, 'base64');
    const env = verify(body.release, 'release');
    if (env.reverts !== undefined) throw new VigiaError('BUNDLE_ERR_INVALID', 'the release must not be a revert');
    // What every agent will check at install (checkReleaseArchive): refused here, it never reaches a host.
    checkReleaseArchive(env, archive, 'BUNDLE_ERR_INVALID');
    const t = new Date(now());
    if (Date.parse(env.expires_at) <= t.getTime()) throw new VigiaError('BUNDLE_ERR_INVALID', `the release expired at ${env.expires_at}`);
    const index = await service.index();
    if (index.rolloutInProgress) throw new VigiaError('CONTROL_ERR_ROLLOUT_STATE', 'a rollout is in progress: let it complete, or roll it back, before publishing');
    if (env.release !== index.latest + 1) throw new VigiaError('CONTROL_ERR_RELEASE_CONFLICT', `signed as release ${env.release}, the next free number is ${index.latest + 1}`);
    const current = index.current;
    let revertEnv: ReleaseEnvelope | undefined;
    if (current) {
      if (!body.revert) throw new VigiaError('BUNDLE_ERR_INVALID', `a release after ${current.release} needs its pre-signed revert (release ${env.release + 1}, content of ${current.release})`);
      revertEnv = verify(body.revert, 'revert');
      if (revertEnv.release !== env.release + 1 || revertEnv.reverts !== env.release || revertEnv.sha256 !== current.sha256 || revertEnv.size !== current.size || revertEnv.bundle !== env.bundle) {
        throw new VigiaError('BUNDLE_ERR_INVALID', `the revert must be release ${env.release + 1}, reverting ${env.release}, with the content of release ${current.release} (${current.sha256.slice(0, 12)})`);
      }
      // A revert that expires first would be refused by the agents exactly when it is needed.
      if (Date.parse(revertEnv.expires_at) < Date.parse(env.expires_at)) {
        throw new VigiaError('BUNDLE_ERR_INVALID', `the revert expires at ${revertEnv.expires_at}, before the release it reverts (${env.expires_at}): sign both with the same expiry`);
      }
    } else if (body.revert) {
      throw new VigiaError('BUNDLE_ERR_INVALID', 'the first release has nothing to revert to');
    }
    const o = body.rollout;
    const settings: RolloutSettings = {
      waves: o.waves ? validateWaves(o.waves) : DEFAULT_ROLLOUT_SETTINGS.waves,
      soakMs: o.soak_ms ?? DEFAULT_ROLLOUT_SETTINGS.soakMs,
      waveTimeoutMs: o.wave_timeout_ms ?? DEFAULT_ROLLOUT_SETTINGS.waveTimeoutMs,
      maxFailureRate: o.max_failure_rate ?? DEFAULT_ROLLOUT_SETTINGS.maxFailureRate,
      autoRollback: o.auto_rollback ?? DEFAULT_ROLLOUT_SETTINGS.autoRollback,
      ...(o.max_stuck_rate !== undefined ? { maxStuckRate: o.max_stuck_rate } : {}),
    };
    const rowOf = (e: ReleaseEnvelope, s: PublishBody['release']): Omit<ReleaseRow, 'publishedAt'> => ({
      release: e.release, bundle: e.bundle, sha256: e.sha256, size: e.size, envelope: s.envelope, signature: s.signature,
      reverts: e.reverts ?? null, createdAt: new Date(e.created_at), expiresAt: new Date(e.expires_at), publishedBy: actor,
    });
    const releases = [rowOf(env, body.release), ...(revertEnv && body.revert ? [rowOf(revertEnv, body.revert)] : [])];
    const seed = rolloutSeed(env.release);
    const where = o.where !== undefined && Object.keys(o.where).length > 0 ? Object.freeze({ ...o.where }) : null;
    let selected: Set<number> | undefined;
    if (where) {
      selected = new Set((await deps.hostsWhere(where)).map((h) => h.id));
      if (selected.size === 0) throw new VigiaError('CONTROL_ERR_NO_TARGETS', `--where ${whereText(where)} selects no enrolled host: nothing would get release ${env.release}`);
    }
    const plan = await rollouts.planHostWaves(seed, settings, selected);
    const rollout = await store.publish({
      releases,
      archives: [{ sha256: env.sha256, bytes: archive }],
      rollout: {
        release: env.release, previousRelease: current?.release ?? null, revertRelease: revertEnv?.release ?? null, waves: settings.waves,
        waveStartedAt: t, soakMs: settings.soakMs, waveTimeoutMs: settings.waveTimeoutMs, maxFailureRate: settings.maxFailureRate,
        autoRollback: settings.autoRollback, baselineHosts: plan.baseline.hosts, baselineFailing: plan.baseline.failing, createdBy: actor,
        selector: where, maxStuckRate: settings.maxStuckRate ?? null,
      },
      hostWaves: plan.hostWaves,
      audit: { actor, detail: { release: env.release, revert: revertEnv?.release ?? null, sha256: env.sha256, bundle: env.bundle, key_id: env.key_id, waves: settings.waves, soak_ms: settings.soakMs, selector: where, selected: selected?.size ?? null } },
    });
    remember(env.sha256, archive);
    const stored = await Promise.all(releases.map((r) => store.release(r.release)));
    const prev = current ? await store.release(current.release) : undefined;
    rollouts.adopt(rollout, plan.hostWaves, [...stored.filter((r): r is ReleaseRow => r !== undefined), ...(prev ? [prev] : [])]);
    log.info({ audit: true, actor, release: env.release, sha256: env.sha256, rollout: rollout.id, waves: settings.waves }, 'bundle published');
    return { release: env.release, revert: revertEnv?.release ?? null, rollout: rollout.id };
  }

  return service;
}

/** `k=v,k2=v2`, as the operator typed it. */
function whereText(where: WhereClause): string {
  return Object.entries(where).map(([k, v]) => `${k}=${v}`).join(',');
}
