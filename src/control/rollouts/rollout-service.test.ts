/**
 * The rollout service and the bundle service together on the embedded store, with simulated hosts
 * (the agent's side is played by the test): waves in order, the health gate, rollback to the
 * pre-signed release, operator steps, publish refusals, and a restart that resumes where it stood.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARCHIVE_FORMAT, canonicalJson, ENVELOPE_FORMAT, generateSigningKeyPair, keyId, MANIFEST_FILE, packArchive, sha256Hex, signRelease, type SignedRelease } from '../../core/contracts/bundle.js';
import type { Clock } from '../../core/clock.js';
import { isVigiaError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { createAgentChannel } from '../agent-channel.js';
import { createBundleService, type PublishBody } from '../bundles/bundle-service.js';
import { FleetStore } from '../store/fleet-store.js';
import type { SqlControlStore } from '../store/sql-store.js';
import { createRolloutService, STALE_POLL_MS, type RolloutService } from './rollout-service.js';
import { freshPgliteStore } from '../../../test/support/pglite.js';

const keys = generateSigningKeyPair();
const otherKeys = generateSigningKeyPair();

function archive(marker: string): { bytes: Buffer; sha256: string } {
  const manifest = { apiVersion: 'vigia/v1', kind: 'CheckBundle', name: 'fleet', checks: [{ name: 'c', command: 'bin/c.sh' }] };
  return packArchive(manifest, [
    { path: MANIFEST_FILE, executable: false, data: Buffer.from(JSON.stringify(manifest)) },
    { path: 'bin/c.sh', executable: true, data: Buffer.from(`#!/bin/sh\necho ${marker}\n`) },
  ]);
}

function sign(release: number, a: { bytes: Buffer; sha256: string }, over: { reverts?: number; key?: string; pub?: string; expiresAt?: Date } = {}): SignedRelease {
  const now = new Date();
  return signRelease(
    {
      format: ENVELOPE_FORMAT, bundle: 'fleet', release, sha256: a.sha256, size: a.bytes.length, created_at: now.toISOString(),
      expires_at: (over.expiresAt ?? new Date(now.getTime() + 86_400_000)).toISOString(), key_id: keyId(over.pub ?? keys.publicKeyPem),
      ...(over.reverts ? { reverts: over.reverts } : {}),
    },
    over.key ?? keys.privateKeyPem,
  );
}

interface World {
  store: SqlControlStore;
  fleet: FleetStore;
  hosts: Array<{ id: number; name: string }>;
  make(now?: Clock): Promise<{ rollouts: RolloutService; bundles: ReturnType<typeof createBundleService> }>;
}

async function world(n: number, tagsOf: (i: number) => Record<string, string> = () => ({})): Promise<World> {
  const { store, handle } = await freshPgliteStore();
  const hosts = [];
  for (let i = 0; i < n; i++) hosts.push((await store.enrollHost(`h${String(i).padStart(3, '0')}`, `tok${i}`, tagsOf(i))).host);
  const fleet = new FleetStore(handle);
  return {
    store, fleet, hosts,
    make: async (now) => {
      const rollouts = createRolloutService({ store: fleet, channel: createAgentChannel(), log: silentLogger(), now });
      await rollouts.load();
      const bundles = createBundleService({ store: fleet, rollouts, trustedKeys: [keys.publicKeyPem], log: silentLogger(), hostsWhere: (where) => store.hostsWhere(where) });
      return { rollouts, bundles };
    },
  };
}

/** Every host polls once: those offered another release "install" it (and report checks). */
function pollAll(w: World, r: RolloutService, applied: Map<number, { release: number; sha: string }>, checksFailing: (release: number) => number, shaOf: Map<number, string>): number {
  let moved = 0;
  for (const h of w.hosts) {
    const cur = applied.get(h.id) ?? { release: 0, sha: '' };
    r.onPoll(h.id, h.name, cur.release, cur.sha);
    const want = r.desiredFor(h.id, h.name);
    if (want && want.release !== cur.release) {
      const sha = shaOf.get(want.release)!;
      applied.set(h.id, { release: want.release, sha });
      r.onStatus(h.id, h.name, { release: want.release, sha256: sha, status: 'installed', error: null });
      r.onPoll(h.id, h.name, want.release, sha);
      r.onChecks(h.id, want.release, 1, checksFailing(want.release));
      moved++;
    }
  }
  return moved;
}

const body = (release: SignedRelease, a: { bytes: Buffer }, over: Partial<PublishBody> = {}): PublishBody => ({
  release, archive: a.bytes.toString('base64'), rollout: { soak_ms: 0, auto_rollback: true }, ...over,
});

/** An archive as a hostile or buggy publisher could send it: packArchive's own checks bypassed. */
function rawArchive(name: string, command: string, paths: readonly string[]): { bytes: Buffer; sha256: string } {
  const manifest = { apiVersion: 'vigia/v1', kind: 'CheckBundle', name, checks: [{ name: 'c', command }] };
  const files = [{ path: MANIFEST_FILE, executable: false, data: Buffer.from(JSON.stringify(manifest)) }, ...paths.map((p) => ({ path: p, executable: true, data: Buffer.from('#!/bin/sh\n') }))]
    .sort((a, b) => (a.path < b.path ? -1 : 1))
    .map((f) => ({ path: f.path, executable: f.executable, sha256: sha256Hex(f.data), data: f.data.toString('base64') }));
  const bytes = Buffer.from(canonicalJson({ format: ARCHIVE_FORMAT, manifest, files }));
  return { bytes, sha256: sha256Hex(bytes) };
}

describe('publish refuses what every agent would refuse', () => {
  it('a manifest naming another bundle than the envelope, an empty path segment, a path ending in /', async () => {
    const w = await world(2);
    const { rollouts, bundles } = await w.make();
    const cases: Array<[string, { bytes: Buffer; sha256: string }, RegExp]> = [
      ['manifest name differs from the envelope', rawArchive('other', 'bin/c.sh', ['bin/c.sh']), /holds bundle "other", the release names "fleet"/],
      ['a//b path', rawArchive('fleet', 'bin//c.sh', ['bin//c.sh']), /files\.\d+\.path/],
      ['a path and the same path with //', rawArchive('fleet', 'bin/c.sh', ['bin/c.sh', 'bin//c.sh']), /files\.\d+\.path/],
      ['dir/ path', rawArchive('fleet', 'bin/c.sh', ['bin/c.sh', 'bin/']), /files\.\d+\.path/],
    ];
    for (const [what, a, want] of cases) {
      await assert.rejects(bundles.publish(body(sign(1, a), a), 'ops'), (e) => isVigiaError(e, 'BUNDLE_ERR_INVALID') && want.test(e.message), what);
    }
    assert.equal((await bundles.index()).latest, 0, 'nothing was published');
    await rollouts.close();
  });
});

describe('a host that runs another archive under a published release number', () => {
  it('is marked rejected (drift names both hashes, the wave counts it failed), never counted as running the release', async () => {
    const w = await world(1);
    const { rollouts, bundles } = await w.make();
    const a1 = archive('one');
    const other = archive('other');
    await bundles.publish(body(sign(1, a1), a1, { rollout: { soak_ms: 0, waves: [100] } }), 'ops');
    const h = w.hosts[0]!;
    assert.equal(rollouts.desiredFor(h.id, h.name)?.release, 1);
    // Its agent says it installed release 1, but with another archive, and keeps polling with it.
    rollouts.onStatus(h.id, h.name, { release: 1, sha256: other.sha256, status: 'installed', error: null });
    rollouts.onPoll(h.id, h.name, 1, other.sha256);
    rollouts.onChecks(h.id, 1, 1, 0);
    const stuck = rollouts.drift().flatMap((d) => d.stuck);
    assert.ok(stuck.some((s) => /release 1 not installed: rejected: the host runs release 1 with sha256 [0-9a-f]{16}, the published release 1 is [0-9a-f]{16}/.test(s.reason)), JSON.stringify(rollouts.drift()));
    await rollouts.tick();
    const v = rollouts.view()!;
    assert.notEqual(v.state, 'completed', `the rollout must not complete on a host that runs other content: ${v.reason}`);
    assert.equal(v.perWave[0]!.applied, 0);
    assert.equal(v.perWave[0]!.failed, 1);
    // The real release 1 arrives: the failure clears.
    rollouts.onPoll(h.id, h.name, 1, a1.sha256);
    assert.deepEqual(rollouts.drift().flatMap((d) => d.stuck), []);
    await rollouts.close();
  });
});

describe('a selective publish (bundle publish --where)', () => {
  it('moves only the selected hosts, through completion and a restart; the others stay on their release; the next full publish moves everyone', async () => {
    // 10 hosts: 4 are role=db; 2 of the others are simulated hosts that never poll.
    const w = await world(10, (i): Record<string, string> => (i < 4 ? { role: 'db' } : i >= 8 ? { simulated: 'true' } : { role: 'web' }));
    const silent = new Set(w.hosts.slice(8).map((h) => h.id));
    let { rollouts, bundles } = await w.make();
    const a1 = archive('one'), a2 = archive('two'), a3 = archive('three');
    const shaOf = new Map<number, string>([[1, a1.sha256], [2, a2.sha256], [3, a1.sha256], [4, a3.sha256], [5, a2.sha256]]);
    const applied = new Map<number, { release: number; sha: string }>();
    const live = { ...w, hosts: w.hosts.filter((h) => !silent.has(h.id)) };
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 10 && rollouts.view()!.state === 'running'; i++) {
        pollAll(live, rollouts, applied, () => 0, shaOf);
        await rollouts.tick();
      }
    };
    await bundles.publish(body(sign(1, a1), a1, { rollout: { soak_ms: 0, waves: [100], max_stuck_rate: 0.25 } }), 'ops');
    await settle();
    assert.equal(rollouts.view()!.state, 'completed', rollouts.view()!.reason);

    await assert.rejects(
      bundles.publish(body(sign(2, a2), a2, { revert: sign(3, a1, { reverts: 2 }), rollout: { soak_ms: 0, where: { role: 'nosuch' } } }), 'ops'),
      (e) => isVigiaError(e, 'CONTROL_ERR_NO_TARGETS') && /--where role=nosuch selects no enrolled host/.test(e.message),
    );
    await bundles.publish(body(sign(2, a2), a2, { revert: sign(3, a1, { reverts: 2 }), rollout: { soak_ms: 0, waves: [50, 100], where: { role: 'db' } } }), 'ops');
    let v = rollouts.view()!;
    assert.deepEqual(v.selector, { role: 'db' });
    assert.deepEqual({ counted: v.hosts.counted, outside: v.hosts.outside }, { counted: 4, outside: 6 }, 'only the 4 db hosts are counted; the silent simulated hosts cannot hold it');
    await settle();
    v = rollouts.view()!;
    assert.equal(v.state, 'completed', v.reason);
    const runs = (i: number): number | undefined => applied.get(w.hosts[i]!.id)?.release;
    assert.deepEqual([0, 1, 2, 3].map(runs), [2, 2, 2, 2], 'the db hosts run release 2');
    assert.deepEqual([4, 5, 6, 7].map(runs), [1, 1, 1, 1], 'the web hosts stay on release 1 after completion');
    assert.equal(rollouts.desiredFor(w.hosts[9]!.id, w.hosts[9]!.name)?.release, 1, 'a host outside that never polled is meant to run release 1 too');
    // A restart reads the same waves back from the database.
    await rollouts.close();
    ({ rollouts, bundles } = await w.make());
    assert.equal(rollouts.desiredFor(w.hosts[5]!.id, w.hosts[5]!.name)?.release, 1, 'after a restart, still release 1 outside the selection');
    assert.equal(rollouts.desiredFor(w.hosts[1]!.id, w.hosts[1]!.name)?.release, 2);
    // A host enrolled after a selective publish stays outside it, on the release before it.
    const late = (await w.store.enrollHost('late', 'tok-late', { role: 'db' })).host;
    assert.equal(rollouts.desiredFor(late.id, late.name)?.release, 1);
    assert.ok(!rollouts.drift().some((d) => d.stuck.some((s) => s.host === 'h005')), 'a web host on release 1 is not drift');

    // The next publish without --where: everyone moves to release 4.
    await bundles.publish(body(sign(4, a3), a3, { revert: sign(5, a2, { reverts: 4 }), rollout: { soak_ms: 0, waves: [100], max_stuck_rate: 0.25 } }), 'ops');
    assert.equal(rollouts.view()!.hosts.outside, 0);
    await settle();
    assert.equal(rollouts.view()!.state, 'completed', rollouts.view()!.reason);
    assert.deepEqual([0, 4, 7].map(runs), [4, 4, 4]);
    const audit = (await w.fleet.auditLines(100)).filter((l) => l.action === 'bundle.publish').map((l) => l.detail);
    assert.ok(audit.some((d) => JSON.stringify(d).includes('"selector":{"role":"db"}') && JSON.stringify(d).includes('"selected":4')), JSON.stringify(audit));
    await rollouts.close();
  });
});

describe('rollouts', () => {
  it('moves 200 hosts wave by wave (1 %, 10 %, 100 %) and completes; a bad next release is stopped at the canary and rolled back', async () => {
    const w = await world(200);
    const { rollouts, bundles } = await w.make();
    const a1 = archive('one');
    const shaOf = new Map<number, string>();
    const applied = new Map<number, { release: number; sha: string }>();
    const r1 = await bundles.publish(body(sign(1, a1), a1), 'ops');
    shaOf.set(1, a1.sha256);
    assert.deepEqual(r1, { release: 1, revert: null, rollout: 1 });
    const perStep: number[] = [];
    for (let i = 0; i < 10 && rollouts.view()!.state === 'running'; i++) {
      perStep.push(pollAll(w, rollouts, applied, () => 0, shaOf));
      await rollouts.tick();
    }
    assert.equal(rollouts.view()!.state, 'completed');
    // 1 % of 200 = 2 hosts, then up to 10 % = 20 (18 more), then the other 180.
    assert.deepEqual(perStep.filter((n) => n > 0), [2, 18, 180]);

    // Release 2 makes its check fail: the canary wave fails and is rolled back to release 3 (= content of 1).
    const a2 = archive('two');
    const idx = await bundles.index();
    assert.deepEqual(idx.current, { release: 1, sha256: a1.sha256, size: a1.bytes.length });
    await assert.rejects(bundles.publish(body(sign(2, a2), a2), 'ops'), (e) => isVigiaError(e, 'BUNDLE_ERR_INVALID') && /pre-signed revert/.test(e.message));
    await assert.rejects(bundles.publish(body(sign(2, a2), a2, { revert: sign(3, a2, { reverts: 2 }) }), 'ops'), (e) => isVigiaError(e, 'BUNDLE_ERR_INVALID') && /content of release 1/.test(e.message));
    await assert.rejects(bundles.publish(body(sign(5, a2), a2, { revert: sign(6, a1, { reverts: 5 }) }), 'ops'), (e) => isVigiaError(e, 'CONTROL_ERR_RELEASE_CONFLICT'));
    await assert.rejects(bundles.publish(body(sign(2, a2, { key: otherKeys.privateKeyPem, pub: otherKeys.publicKeyPem }), a2), 'ops'), (e) => isVigiaError(e, 'BUNDLE_ERR_SIGNATURE'));
    await assert.rejects(bundles.publish(body(sign(2, a1), a2, { revert: sign(3, a1, { reverts: 2 }) }), 'ops'), (e) => isVigiaError(e, 'BUNDLE_ERR_INVALID') && /does not match/.test(e.message));
    const r2 = await bundles.publish(body(sign(2, a2), a2, { revert: sign(3, a1, { reverts: 2 }) }), 'ops');
    shaOf.set(2, a2.sha256);
    shaOf.set(3, a1.sha256);
    assert.deepEqual(r2, { release: 2, revert: 3, rollout: 2 });
    await assert.rejects(bundles.publish(body(sign(4, a1), a1, { revert: sign(5, a1, { reverts: 4 }) }), 'ops'), (e) => isVigiaError(e, 'CONTROL_ERR_ROLLOUT_STATE'));
    const everOn2 = new Set<number>();
    for (let i = 0; i < 10 && !['rolled_back', 'paused', 'completed'].includes(rollouts.view()!.state); i++) {
      pollAll(w, rollouts, applied, (rel) => (rel === 2 ? 1 : 0), shaOf);
      for (const [id, a] of applied) if (a.release === 2) everOn2.add(id);
      await rollouts.tick();
    }
    const v = rollouts.view()!;
    assert.equal(v.state, 'rolled_back', v.reason);
    assert.equal(everOn2.size, 2, 'only the 2 canary hosts ever ran release 2');
    const releases = new Map<number, number>();
    for (const a of applied.values()) releases.set(a.release, (releases.get(a.release) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(releases), { 1: 198, 3: 2 }, 'the canaries run the pre-signed rollback; the rest never moved');
    const audit = (await w.fleet.auditLines(100)).map((l) => l.action);
    assert.ok(audit.includes('rollout.fail') && audit.includes('rollout.rolled_back'), audit.join(','));
    // The fleet settled on release 3 (content of 1): the next publish starts from it.
    assert.deepEqual((await bundles.index()).current?.release, 3);
    await rollouts.close();
  });

  it('pause, resume and rollback by the operator; illegal steps are refused; a restart resumes without moving hosts that already moved', async () => {
    const w = await world(50);
    let { rollouts, bundles } = await w.make();
    await assert.rejects(rollouts.pause('ops'), (e) => isVigiaError(e, 'CONTROL_ERR_NO_ROLLOUT'));
    const a1 = archive('one');
    const shaOf = new Map<number, string>([[1, a1.sha256]]);
    const applied = new Map<number, { release: number; sha: string }>();
    await bundles.publish(body(sign(1, a1), a1, { rollout: { soak_ms: 0, waves: [10, 50, 100] } }), 'ops');
    await rollouts.pause('ops');
    assert.equal(rollouts.view()!.state, 'paused');
    // Paused: the first wave (5 hosts) may still be offered what it was offered, nothing advances.
    pollAll(w, rollouts, applied, () => 0, shaOf);
    await rollouts.tick();
    assert.equal(rollouts.view()!.currentWave, 0);
    assert.equal(applied.size, 5);
    await rollouts.resume('ops');
    await rollouts.tick();
    assert.equal(rollouts.view()!.currentWave, 0, 'resumed: results sampled before the resume are not judged');
    assert.match(rollouts.view()!.reason, /waiting for check results/);
    for (const [id, a] of applied) rollouts.onChecks(id, a.release, 1, 0);
    await rollouts.tick();
    assert.equal(rollouts.view()!.currentWave, 1, 'resumed: with fresh results the settled first wave advances');
    pollAll(w, rollouts, applied, () => 0, shaOf);
    assert.equal(applied.size, 25);
    // Restart: a new service over the same database (the hosts' next reports bring their check results).
    await rollouts.close();
    ({ rollouts, bundles } = await w.make());
    for (const [id, a] of applied) rollouts.onChecks(id, a.release, 1, 0);
    assert.equal(rollouts.view()!.currentWave, 1);
    for (const h of w.hosts) {
      const want = rollouts.desiredFor(h.id, h.name);
      assert.equal(want?.release ?? null, applied.has(h.id) ? 1 : null, `${h.name} keeps its desired release across the restart`);
    }
    assert.equal(pollAll(w, rollouts, applied, () => 0, shaOf), 0, 'no host is moved again by the restart');
    await rollouts.tick();
    pollAll(w, rollouts, applied, () => 0, shaOf);
    await rollouts.tick();
    assert.equal(rollouts.view()!.state, 'completed');
    await assert.rejects(rollouts.resume('ops'), (e) => isVigiaError(e, 'CONTROL_ERR_ROLLOUT_STATE'));
    await assert.rejects(rollouts.rollback('ops'), (e) => isVigiaError(e, 'CONTROL_ERR_ROLLOUT_STATE'));
    // A first release has nothing to roll back to: a failing wave pauses.
    await rollouts.close();
  });

  it('drift names hosts that did not move and why; silent hosts hold a wave, install failures fail it', async () => {
    const w = await world(20);
    let skew = 0;
    const { rollouts, bundles } = await w.make(() => Date.now() + skew);
    // Every host polled once (hosts that never polled are counted apart and hold nothing).
    for (const h of w.hosts) rollouts.onPoll(h.id, h.name, 0, '');
    const a1 = archive('one');
    await bundles.publish(body(sign(1, a1), a1, { rollout: { soak_ms: 0, waves: [50, 100], max_failure_rate: 0.2 } }), 'ops');
    // Wave 1 = 10 hosts: 2 refuse (20 % = the threshold: tolerated), 1 goes silent (stuck, 10 %), 7 install.
    const wave = w.hosts.filter((h) => rollouts.desiredFor(h.id, h.name) !== null);
    assert.equal(wave.length, 10);
    skew = STALE_POLL_MS + 1000;
    wave.forEach((h, i) => {
      if (i === 9) return;
      rollouts.onPoll(h.id, h.name, 0, '');
      if (i < 2) return rollouts.onStatus(h.id, h.name, { release: 1, sha256: a1.sha256, status: 'rejected', error: 'release 1 expired' });
      rollouts.onPoll(h.id, h.name, 1, a1.sha256);
      rollouts.onChecks(h.id, 1, 1, 0);
    });
    const stuck = rollouts.drift().flatMap((d) => d.stuck);
    assert.ok(stuck.some((s) => /not installed: rejected: release 1 expired/.test(s.reason)), JSON.stringify(stuck));
    assert.ok(stuck.some((s) => /^has not polled for \d+ min$/.test(s.reason)), JSON.stringify(stuck));
    await rollouts.tick();
    assert.equal(rollouts.view()!.currentWave, 1, 'wave 1 settled within the thresholds and advanced');
    // Wave 2: the other 10 hosts are silent: 11 of 20 stuck (55 % > 20 %) holds the rollout.
    await rollouts.tick();
    let v = rollouts.view()!;
    assert.equal(v.state, 'running');
    assert.equal(v.currentWave, 1);
    assert.match(v.reason, /holding.*11 of 20/, v.reason);
    // Three wave-2 hosts fail to install: 5 of 20 (25 % > 20 %): the wave fails; a first release
    // has nothing to roll back to, so it pauses.
    w.hosts.filter((h) => !wave.includes(h)).slice(0, 3).forEach((h) => rollouts.onStatus(h.id, h.name, { release: 1, sha256: a1.sha256, status: 'failed', error: 'ENOSPC' }));
    await rollouts.tick();
    v = rollouts.view()!;
    assert.equal(v.state, 'paused');
    assert.match(v.reason, /install/);
    await rollouts.close();
  });
  it('operator steps wait for the judgement in progress; a revert that expires before its release is refused; a host removed elsewhere stops holding a wave', async () => {
    const w = await world(10);
    let skew = 0;
    const { rollouts, bundles } = await w.make(() => Date.now() + skew);
    const a1 = archive('one');
    const a2 = archive('two');
    const shaOf = new Map<number, string>([[1, a1.sha256], [2, a2.sha256], [3, a1.sha256]]);
    const applied = new Map<number, { release: number; sha: string }>();
    await bundles.publish(body(sign(1, a1), a1, { rollout: { soak_ms: 0, waves: [100] } }), 'ops');
    pollAll(w, rollouts, applied, () => 0, shaOf);
    await rollouts.tick();
    assert.equal(rollouts.view()!.state, 'completed');

    const soon = new Date(Date.now() + 3_600_000);
    await assert.rejects(
      bundles.publish(body(sign(2, a2), a2, { revert: sign(3, a1, { reverts: 2, expiresAt: soon }) }), 'ops'),
      (e) => isVigiaError(e, 'BUNDLE_ERR_INVALID') && /revert expires at .* before the release/.test(e.message),
    );
    await bundles.publish(body(sign(2, a2), a2, { revert: sign(3, a1, { reverts: 2 }), rollout: { soak_ms: 0, waves: [50, 100] } }), 'ops');
    pollAll(w, rollouts, applied, () => 0, shaOf);
    // Slow rollout writes widen the window in which a tick's advance and a pause could interleave.
    const update = w.fleet.updateRollout.bind(w.fleet);
    w.fleet.updateRollout = async (...args) => {
      await new Promise((r) => setTimeout(r, 30));
      return update(...args);
    };
    await Promise.all([rollouts.tick(), rollouts.pause('ops')]);
    const stored = (await w.fleet.latestRollout())!;
    assert.equal(stored.state, 'paused', 'the pause came after the advance, not lost under it');
    assert.equal(rollouts.view()!.state, stored.state, 'memory and database agree');
    assert.equal(rollouts.view()!.currentWave, stored.currentWave);
    w.fleet.updateRollout = update;

    // A wave-2 host is removed through another replica: the next check refresh forgets it.
    await rollouts.resume('ops');
    const gone = w.hosts.find((h) => rollouts.desiredFor(h.id, h.name)?.release === 2 && applied.get(h.id)?.release !== 2)!;
    assert.ok(gone, 'a host of the second wave that has not moved yet');
    assert.equal(await w.store.removeHost(gone.name), true);
    w.hosts = w.hosts.filter((h) => h !== gone);
    pollAll(w, rollouts, applied, () => 0, shaOf);
    skew = 60_000; // past the check refresh interval
    await rollouts.tick();
    assert.ok(!rollouts.drift().some((d) => d.stuck.some((x) => x.host === gone.name)), 'the removed host is not reported stuck');
    await rollouts.tick();
    assert.equal(rollouts.view()!.state, 'completed', rollouts.view()!.reason);
    await rollouts.close();
  });

  it('counts hosts enrolled after it started that never polled apart (they do not hold it, and it says it installed nothing); an empty fleet completes saying it installed nothing', async () => {
    const w = await world(0);
    const { rollouts, bundles } = await w.make();
    // Hosts enrolled through the API (or another worker) after the service loaded, not polled yet.
    for (let i = 0; i < 6; i++) w.hosts.push((await w.store.enrollHost(`late${i}`, `late-tok${i}`)).host);
    const a1 = archive('one');
    await bundles.publish(body(sign(1, a1), a1, { rollout: { soak_ms: 0, waves: [100] } }), 'ops');
    await rollouts.tick();
    let v = rollouts.view()!;
    assert.equal(v.state, 'completed', v.reason);
    assert.deepEqual(v.hosts, { counted: 6, neverPolled: 6, outside: 0 });
    assert.equal(v.empty, false);
    assert.match(v.reason, /^completed without installing release 1 anywhere: .*6 never polled, not counted/);
    assert.equal(rollouts.drift().flatMap((d) => d.stuck).filter((s) => s.reason === 'never polled').length, 6);
    // They poll: they get the release at their first poll.
    const applied = new Map<number, { release: number; sha: string }>();
    pollAll(w, rollouts, applied, () => 0, new Map([[1, a1.sha256]]));
    await rollouts.tick();
    await rollouts.tick();
    v = rollouts.view()!;
    assert.equal(v.state, 'completed', v.reason);
    assert.deepEqual([v.perWave[0]!.applied, v.hosts.neverPolled], [6, 0]);
    await rollouts.close();

    // No host enrolled at all: the rollout completes, and says it covered nobody.
    const e = await world(0);
    const empty = await e.make();
    await empty.bundles.publish(body(sign(1, a1), a1, { rollout: { soak_ms: 0 } }), 'ops');
    for (let i = 0; i < 3; i++) await empty.rollouts.tick();
    v = empty.rollouts.view()!;
    assert.equal(v.state, 'completed');
    assert.equal(v.empty, true);
    assert.match(v.reason, /^completed with no host/);
    assert.doesNotMatch(v.reason, /0 of 0 hosts applied/);
    await empty.rollouts.close();
  });
});
