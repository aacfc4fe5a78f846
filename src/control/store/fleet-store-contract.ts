/**
 * The FleetStore contract: one suite, run on the embedded store (fleet-store.test.ts) and on a real
 * PostgreSQL (test/integration/control-store-postgres.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import { selectTargets } from '../fleet-runs/run-state.js';
import { parseWhere } from '../fleet-runs/selector.js';
import type { FleetStore, ReleaseRow } from './fleet-store.js';
import type { SqlControlStore } from './sql-store.js';
import { testReport } from './store-contract.js';

/** What the suite needs for one test: a migrated, empty schema. */
export interface OpenedFleetStore {
  readonly store: SqlControlStore;
  readonly fleet: FleetStore;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const sha = (c: string): string => c.repeat(64);

function release(n: number, over: Partial<Omit<ReleaseRow, 'publishedAt'>> = {}): Omit<ReleaseRow, 'publishedAt'> {
  return {
    release: n, bundle: 'fleet', sha256: sha('a'), size: 3, envelope: `{"release":${n}}`, signature: 'sig', reverts: null,
    createdAt: new Date(T0), expiresAt: new Date(T0 + 86_400_000), publishedBy: 'ops', ...over,
  };
}

const rolloutInput = (rel: number, prev: number | null, rev: number | null) => ({
  release: rel, previousRelease: prev, revertRelease: rev, waves: [1, 10, 100], waveStartedAt: new Date(T0), soakMs: 0, waveTimeoutMs: 60_000,
  maxFailureRate: 0.05, autoRollback: true, baselineHosts: 2, baselineFailing: 1, createdBy: 'ops', selector: null, maxStuckRate: null,
});

/** Register the suite under `name`. */
export function runFleetStoreContract(name: string, open: () => Promise<OpenedFleetStore>): void {
  const withStore = (fn: (o: OpenedFleetStore) => Promise<void>) => async () => {
    const o = await open();
    try {
      await fn(o);
    } finally {
      await o.cleanup();
    }
  };

  describe(`FleetStore contract: ${name}`, () => {
    it('stores releases and archives (binary exact); a taken number conflicts and stores nothing of that publish', withStore(async ({ fleet }) => {
      assert.equal(await fleet.latestReleaseNumber(), 0);
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await fleet.addReleases([release(1)], [{ sha256: sha('a'), bytes }]);
      assert.equal(await fleet.latestReleaseNumber(), 1);
      assert.deepEqual(await fleet.archive(sha('a')), bytes);
      assert.equal(await fleet.archive(sha('f')), undefined);
      await assert.rejects(
        fleet.addReleases([release(2, { sha256: sha('b') }), release(1, { sha256: sha('b') })], [{ sha256: sha('b'), bytes: Buffer.from('x') }]),
        (e) => isVigiaError(e, 'CONTROL_ERR_RELEASE_CONFLICT') && /release 1/.test(e.message),
      );
      assert.equal(await fleet.latestReleaseNumber(), 1, 'release 2 of the failed publish was rolled back');
      assert.equal(await fleet.archive(sha('b')), undefined, 'and its archive');
      const r = await fleet.release(1);
      assert.equal(r?.publishedBy, 'ops');
      assert.equal(r?.expiresAt.toISOString(), new Date(T0 + 86_400_000).toISOString());
    }));

    it('publish supersedes an unfinished rollout, records every host wave and an audit line; updates move it on', withStore(async ({ store, fleet }) => {
      const a = (await store.enrollHost('a', 't1')).host;
      const b = (await store.enrollHost('b', 't2')).host;
      const first = await fleet.publish({ releases: [release(1)], archives: [{ sha256: sha('a'), bytes: Buffer.from('1') }], rollout: rolloutInput(1, null, null), hostWaves: new Map([[a.id, 0], [b.id, 2]]), audit: { actor: 'ops', detail: { release: 1 } } });
      assert.equal(first.state, 'running');
      assert.deepEqual(first.waves, [1, 10, 100]);
      assert.deepEqual(await fleet.rolloutHostWaves(first.id), new Map([[a.id, 0], [b.id, 2]]));
      const second = await fleet.publish({
        releases: [release(2, { sha256: sha('b') }), release(3, { reverts: 2 })], archives: [{ sha256: sha('b'), bytes: Buffer.from('2') }],
        rollout: rolloutInput(2, 1, 3), hostWaves: new Map([[a.id, 1]]), audit: { actor: 'ops', detail: { release: 2 } },
      });
      assert.equal((await fleet.rollout(first.id))?.state, 'superseded');
      assert.equal((await fleet.latestRollout())?.id, second.id);
      assert.equal((await fleet.release(3))?.reverts, 2);
      const moved = await fleet.updateRollout(second.id, { currentWave: 1, waveStartedAt: new Date(T0 + 1000), settledAt: new Date(T0 + 2000), reason: 'wave 1 healthy' }, { actor: 'rollout-controller', action: 'rollout.advance', detail: {} });
      assert.equal(moved.currentWave, 1);
      assert.equal(moved.settledAt?.getTime(), T0 + 2000);
      const unsettled = await fleet.updateRollout(second.id, { settledAt: null });
      assert.equal(unsettled.settledAt, null, 'settledAt can be cleared');
      assert.equal(unsettled.reason, 'wave 1 healthy', 'fields not in the patch stay');
      await assert.rejects(fleet.updateRollout(9999, { state: 'paused' }), (e) => isVigiaError(e, 'CONTROL_ERR_NO_ROLLOUT'));
      await fleet.addRolloutHosts(second.id, new Map([[b.id, 2]]));
      assert.equal((await fleet.rolloutHostWaves(second.id)).get(b.id), 2);
      const audit = await fleet.auditLines();
      assert.deepEqual(audit.map((l) => l.action), ['rollout.advance', 'bundle.publish', 'bundle.publish']);
      assert.equal(audit[1]!.detail.rollout, second.id);
    }));

    it('host bundle states upsert, join the newest check results, and vanish with the host', withStore(async ({ store, fleet }) => {
      const a = (await store.enrollHost('a', 't1')).host;
      const b = (await store.enrollHost('b', 't2')).host;
      const t = new Date(T0);
      await fleet.saveHostBundles([
        { hostId: a.id, appliedRelease: 1, appliedSha256: sha('a'), appliedAt: t, lastPollAt: t, failedRelease: null, failedError: null, failedAt: null },
        { hostId: 424242, appliedRelease: 1, appliedSha256: sha('a'), appliedAt: t, lastPollAt: t, failedRelease: null, failedError: null, failedAt: null },
      ]);
      await fleet.saveHostBundles([{ hostId: a.id, appliedRelease: 1, appliedSha256: sha('a'), appliedAt: t, lastPollAt: new Date(T0 + 5000), failedRelease: 2, failedError: 'rejected: downgrade', failedAt: t }]);
      const checks = { release: 1, results: [{ name: 'disk', state: 'CRITICAL' as const, output: 'CRITICAL - 95%', at: new Date(T0).toISOString(), duration_ms: 5 }, { name: 'load', state: 'OK' as const, output: 'OK', at: new Date(T0).toISOString(), duration_ms: 5 }] };
      await store.ingest([{ hostId: a.id, receivedAt: new Date(T0 + 1000), source: 'push', report: testReport('a', T0, { checks }) }]);
      const rows = await fleet.hostBundles();
      assert.deepEqual(rows.map((r) => r.host), ['a', 'b'], 'every enrolled host, a host id without a host row was dropped');
      const ra = rows[0]!;
      assert.equal(ra.appliedRelease, 1);
      assert.equal(ra.lastPollAt?.getTime(), T0 + 5000);
      assert.equal(ra.failedError, 'rejected: downgrade');
      assert.deepEqual([ra.checksRelease, ra.checksTotal, ra.checksFailing], [1, 2, 1]);
      assert.deepEqual([rows[1]!.appliedRelease, rows[1]!.checksRelease, rows[1]!.checksTotal], [0, null, 0]);
      const latest = await fleet.latestChecks();
      assert.equal(latest[0]?.host, 'a');
      assert.equal((latest[0]?.results[0] as { output: string }).output, 'CRITICAL - 95%');
      // An old report (spooled) never replaces the newest results; a newer one without checks clears them.
      await store.ingest([{ hostId: a.id, receivedAt: new Date(T0 + 2000), source: 'push', report: testReport('a', T0 - 60_000, { checks: { release: 1, results: [] } }) }]);
      assert.equal((await fleet.hostBundles())[0]!.checksTotal, 2);
      await store.ingest([{ hostId: a.id, receivedAt: new Date(T0 + 70_000), source: 'push', report: testReport('a', T0 + 60_000) }]);
      assert.equal((await fleet.hostBundles())[0]!.checksRelease, null);
      assert.ok(await store.removeHost('a'));
      assert.deepEqual((await fleet.hostBundles()).map((r) => r.host), ['b']);
      void b;
    }));

    it('targeting: operator tags win over the tags a host reports; reported:KEY selects the host\'s own', withStore(async ({ store, fleet }) => {
      // Security: a host enrolled role=mysql that reports role=web must stay in a role=mysql run
      // (no opting out of a remediation) and out of a role=web one (no opting in).
      const { host } = await store.enrollHost('db-1', 't-db', { role: 'mysql' });
      await store.enrollHost('web-1', 't-web', { role: 'web' });
      await store.ingest([{ hostId: host.id, receivedAt: new Date(T0 + 1000), source: 'push', report: testReport('db-1', T0, { tags: { role: 'web' } }) }]);
      const hosts = await fleet.targetHosts();
      const select = (where: string): string[] => selectTargets(hosts, { where: parseWhere(where), all: false, concurrency: '1', max_errors: '0' }).map((t) => t.name);
      assert.deepEqual(select('role=mysql'), ['db-1'], 'the operator\'s role=mysql still selects it');
      assert.deepEqual(select('role=web'), ['web-1'], 'its reported role=web does not opt it in');
      assert.deepEqual(select('reported:role=web'), ['db-1'], 'reported:role=web matches what the host says');
      assert.throws(() => select('reported:role=mysql'), (e) => isVigiaError(e, 'CONTROL_ERR_NO_TARGETS'));
      assert.deepEqual(hosts.map((h) => [h.name, h.tags, h.reportedTags]), [['db-1', { role: 'mysql' }, { role: 'web' }], ['web-1', { role: 'web' }, {}]]);
      assert.deepEqual((await fleet.hostBundles()).map((h) => [h.host, h.tags, h.reportedTags]), [['db-1', { role: 'mysql' }, { role: 'web' }], ['web-1', { role: 'web' }, {}]]);
    }));

    it('fleet runs: targets in order, per-host outcomes, finish with an audit line, unfinished ones listed', withStore(async ({ store, fleet }) => {
      for (const n of ['c', 'a', 'b']) await store.enrollHost(n, `t-${n}`, n === 'b' ? { role: 'web' } : { role: 'db' });
      const targets = await fleet.targetHosts();
      assert.deepEqual(targets.map((t) => t.name), ['a', 'b', 'c'], 'by name');
      assert.deepEqual(targets[1]!.tags, { role: 'web' });
      const run = await fleet.createRun({ action: 'purge-binlogs', params: { days: 3 }, selector: { role: 'db' }, concurrency: 2, maxErrors: 0, rampUp: false, timeoutMs: 60_000, createdBy: 'runner' }, targets);
      assert.equal(run.state, 'running');
      assert.equal(run.targets, 3);
      assert.deepEqual(run.params, { days: 3 });
      assert.deepEqual((await fleet.unfinishedRuns()).map((r) => r.id), [run.id]);
      const [ta, tb] = targets;
      await fleet.saveRunHosts(run.id, [
        { hostId: ta!.id, state: 'succeeded', startedAt: new Date(T0), finishedAt: new Date(T0 + 100), exitCode: 0, durationMs: 100, output: 'purged 3' },
        { hostId: tb!.id, state: 'in_flight', startedAt: new Date(T0), finishedAt: null, exitCode: null, durationMs: null, output: '' },
      ]);
      const hosts = await fleet.runHosts(run.id);
      assert.deepEqual(hosts.map((h) => [h.host, h.state, h.seq]), [['a', 'succeeded', 0], ['b', 'in_flight', 1], ['c', 'pending', 2]]);
      assert.equal(hosts[0]!.output, 'purged 3');
      await fleet.setRunState(run.id, 'stopping');
      assert.deepEqual((await fleet.unfinishedRuns()).map((r) => r.state), ['stopping']);
      await fleet.finishRun(run.id, 'failed', 'run-service', { succeeded: 1, failed: 1 });
      assert.deepEqual(await fleet.unfinishedRuns(), []);
      const done = await fleet.run(run.id);
      assert.equal(done?.state, 'failed');
      assert.ok(done?.finishedAt);
      assert.deepEqual((await fleet.runs()).map((r) => r.id), [run.id]);
      const audit = await fleet.auditLines();
      assert.deepEqual(audit.map((l) => l.action), ['run.end', 'run.start']);
      assert.equal(audit[1]!.actor, 'runner');
      assert.deepEqual(audit[1]!.detail.params, { days: 3 });
    }));
  });
}
