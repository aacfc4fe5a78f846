/**
 * Fleet services (rollouts, bundles, runs) for a console world (startConsoleWorld's `fleet`), built
 * as `vigia server` builds them, on the world's store, with a signing key, a publish helper and fake
 * agents that speak the real agent API over HTTP (poll, task result) with their own host tokens.
 */
import { hashToken, newToken } from '../../src/core/auth.js';
import { ENVELOPE_FORMAT, generateSigningKeyPair, keyId, MANIFEST_FILE, packArchive, signRelease, type SignedRelease } from '../../src/core/contracts/bundle.js';
import type { TaskResult } from '../../src/core/contracts/agent-poll.js';
import { silentLogger } from '../../src/core/log.js';
import { createAgentChannel } from '../../src/control/agent-channel.js';
import { createBundleService, type BundleService, type PublishBody } from '../../src/control/bundles/bundle-service.js';
import { createRunService, type RunService } from '../../src/control/fleet-runs/run-service.js';
import { createRolloutService, type RolloutService } from '../../src/control/rollouts/rollout-service.js';
import type { FleetApi } from '../../src/control/server.js';
import { FleetStore } from '../../src/control/store/fleet-store.js';
import type { PgliteWorld } from './pglite.js';

/** The services a console world got, filled in by `fleetFor`'s builder. */
export interface FleetHandles {
  rollouts?: RolloutService;
  bundles?: BundleService;
  runs?: RunService;
  /** Close the services (before the world). */
  close(): Promise<void>;
}

const keys = generateSigningKeyPair();

/** A builder for startConsoleWorld's `fleet` that records the services in `out`. */
export function fleetFor(out: FleetHandles): (world: PgliteWorld, now: () => number) => Promise<FleetApi> {
  return async (world, now) => {
    const store = new FleetStore(world.handle);
    const channel = createAgentChannel();
    const log = silentLogger();
    const rollouts = createRolloutService({ store, channel, log, now });
    await rollouts.load();
    const bundles = createBundleService({ store, rollouts, trustedKeys: [keys.publicKeyPem], log, hostsWhere: (where) => world.store.hostsWhere(where) });
    const runs = createRunService({ store, channel, log, flushMs: 20 });
    out.rollouts = rollouts;
    out.bundles = bundles;
    out.runs = runs;
    out.close = async () => {
      await runs.close();
      await rollouts.close();
      channel.close();
    };
    return { channel, rollouts, bundles, runs, audit: (limit) => store.auditLines(limit), checks: () => store.latestChecks(), rolloutHistory: (limit) => store.rollouts(limit) };
  };
}

/** A fresh handles object (close does nothing until the builder ran). */
export function fleetHandles(): FleetHandles {
  return { close: async () => {} };
}

function archive(marker: string): { bytes: Buffer; sha256: string } {
  const manifest = { apiVersion: 'vigia/v1', kind: 'CheckBundle', name: 'fleet', checks: [{ name: 'c', command: 'bin/c.sh' }] };
  return packArchive(manifest, [
    { path: MANIFEST_FILE, executable: false, data: Buffer.from(JSON.stringify(manifest)) },
    { path: 'bin/c.sh', executable: true, data: Buffer.from(`#!/bin/sh\necho ${marker}\n`) },
  ]);
}

function sign(release: number, a: { bytes: Buffer; sha256: string }, reverts?: number): SignedRelease {
  const now = new Date();
  return signRelease(
    { format: ENVELOPE_FORMAT, bundle: 'fleet', release, sha256: a.sha256, size: a.bytes.length, created_at: now.toISOString(), expires_at: new Date(now.getTime() + 86_400_000).toISOString(), key_id: keyId(keys.publicKeyPem), ...(reverts ? { reverts } : {}) },
    keys.privateKeyPem,
  );
}

/**
 * Publish release `release` (content `marker`) with `rollout` settings; from release 2 on, with the
 * pre-signed revert `release + 1` holding `previousMarker`.
 */
export async function publish(bundles: BundleService, release: number, marker: string, rollout: PublishBody['rollout'], previousMarker?: string): Promise<void> {
  const a = archive(marker);
  const body: PublishBody = { release: sign(release, a), archive: a.bytes.toString('base64'), rollout, ...(previousMarker ? { revert: sign(release + 1, archive(previousMarker), release) } : {}) };
  await bundles.publish(body, 'ops');
}

/** A fake agent: an enrolled host with its own token, speaking the agent API. */
export interface FakeAgent {
  readonly name: string;
  /** One poll without waiting: the tasks handed to this host. */
  poll(): Promise<Array<{ id: string; action: string; params: Record<string, unknown> }>>;
  /** Post a task's result; answers whether the server took it. */
  result(taskId: string, result: TaskResult): Promise<boolean>;
}

/** Enrol `name` (tags `tags`) and return its agent. */
export async function fakeAgent(world: PgliteWorld & { base: string }, name: string, tags: Record<string, string>): Promise<FakeAgent> {
  const token = newToken();
  await world.store.enrollHost(name, hashToken(token), tags);
  const auth = { authorization: `Bearer ${token}` };
  return {
    name,
    async poll() {
      const res = await fetch(`${world.base}/v1/agent/poll?wait=0`, { headers: auth });
      if (res.status === 304) return [];
      if (res.status !== 200) throw new Error(`poll of ${name} answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { tasks: Array<{ id: string; action: string; params: Record<string, unknown> }> }).tasks;
    },
    async result(taskId, result) {
      const res = await fetch(`${world.base}/v1/agent/tasks/${taskId}/result`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(result) });
      if (res.status !== 200) throw new Error(`result of ${name} answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { accepted: boolean }).accepted;
    },
  };
}
