import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../../core/errors.js';
import type { ReleaseRow, RolloutRow } from '../store/fleet-store.js';
import {
  afterChecks, afterPoll, afterStatus, desiredNumber, driftOf, hostsToWake, hostWave, judgeRollout, newHost, planTransition, planWaves, rolloutSeed, rolloutView,
  outsideWave, runsRelease, stayRelease, STALE_POLL_MS, tallyRollout, type HostRecord,
} from './model.js';
import { waveForNewHost } from './waves.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(T0 + ms);

function rollout(over: Partial<RolloutRow> = {}): RolloutRow {
  return {
    id: 7, release: 5, previousRelease: 4, revertRelease: 6, state: 'running', waves: [50, 100], currentWave: 0, waveStartedAt: at(0), settledAt: null,
    soakMs: 0, waveTimeoutMs: 15 * 60_000, maxFailureRate: 0.2, autoRollback: true, baselineHosts: 0, baselineFailing: 0, selector: null, maxStuckRate: null, checksSince: null, reason: 'published',
    createdBy: 'ops', createdAt: at(0), updatedAt: at(0), ...over,
  } as RolloutRow;
}

function release(n: number, sha256: string): ReleaseRow {
  return { release: n, bundle: 'fleet', sha256, size: 1, envelope: 'e', signature: 's', reverts: null, createdAt: at(0), expiresAt: at(86_400_000), publishedAt: at(0), publishedBy: 'ops' };
}

const RELEASES = new Map([[4, release(4, 'aaa')], [5, release(5, 'bbb')], [6, release(6, 'aaa')]]);

/** A host that polled at `polledAt` (ms after T0; null: never) running `applied` with `sha`. */
function host(id: number, applied = 4, sha = 'aaa', polledAt: number | null = 0, over: Partial<HostRecord> = {}): HostRecord {
  return { ...newHost(id, `h${id}`), appliedRelease: applied, appliedSha256: sha, lastPollAt: polledAt === null ? null : at(polledAt), ...over };
}

test('afterPoll: what changes and when the database must hear of it', () => {
  const cases: [string, HostRecord, number, string, number, boolean, Partial<HostRecord>][] = [
    ['first poll of a new host', newHost(1, 'a'), 0, '', 0, true, { lastPollAt: at(0) }],
    ['same release within a minute', host(1, 4, 'aaa', 0), 4, 'aaa', 30_000, false, { lastPollAt: at(30_000) }],
    ['same release after a minute', host(1, 4, 'aaa', 0), 4, 'aaa', 61_000, true, { lastPollAt: at(61_000) }],
    ['moved to 5', host(1, 4, 'aaa', 0), 5, 'bbb', 1000, true, { appliedRelease: 5, appliedSha256: 'bbb', appliedAt: at(1000) }],
    ['moved past a failed release clears it', host(1, 4, 'aaa', 0, { failedRelease: 5, failedError: 'x', failedAt: at(0) }), 6, 'aaa', 1000, true, { appliedRelease: 6, failedRelease: null, failedError: null }],
    ['moved below a failed release keeps it', host(1, 3, 'zzz', 0, { failedRelease: 5, failedError: 'x', failedAt: at(0) }), 4, 'aaa', 1000, true, { appliedRelease: 4, failedRelease: 5 }],
  ];
  for (const [name, h, rel, sha, t, write, want] of cases) {
    const out = afterPoll(h, rel, sha, at(t));
    assert.equal(out.write, write, name);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(out.host[k as keyof HostRecord], v, `${name}: ${k}`);
    assert.notEqual(out.host, h, `${name}: a new record, the old one untouched`);
  }
});

test('afterStatus and afterChecks', () => {
  const failed = afterStatus(host(1), { release: 5, sha256: 'bbb', status: 'rejected', error: 'x'.repeat(2000) }, at(5));
  assert.equal(failed.failedRelease, 5);
  assert.equal(failed.failedError!.length, 1024);
  assert.match(failed.failedError!, /^rejected: x/);
  assert.equal(failed.appliedRelease, 4, 'a failure moves nothing');
  assert.equal(afterStatus(host(1), { release: 5, sha256: 'bbb', status: 'failed', error: null }, at(5)).failedError, 'failed: no reason given');
  const ok = afterStatus(failed, { release: 5, sha256: 'bbb', status: 'installed', error: null }, at(9));
  assert.deepEqual([ok.appliedRelease, ok.appliedSha256, ok.appliedAt, ok.failedRelease, ok.failedError], [5, 'bbb', at(9), null, null]);
  assert.deepEqual([afterChecks(host(1), 5, 3, 1).checksRelease, afterChecks(host(1), 5, 3, 1).checksFailing], [5, 1]);
});

test('runsRelease: same number, or the same content under a newer number', () => {
  const cases: [string, HostRecord, number | null, boolean][] = [
    ['no bundle wanted, none run', host(1, 0, ''), null, true],
    ['no bundle wanted, one run', host(1, 4), null, false],
    ['same number', host(1, 5, 'bbb'), 5, true],
    ['revert 6 carries the content of 4', host(1, 6, 'aaa'), 4, true],
    ['older number', host(1, 4, 'aaa'), 5, false],
    ['newer number, other content', host(1, 6, 'aaa'), 5, false],
  ];
  for (const [name, h, n, want] of cases) assert.equal(runsRelease(h, n, RELEASES), want, name);
});

test('hostWave: the stored wave, else the one a late host gets', () => {
  const r = rollout();
  assert.deepEqual(hostWave(r, new Map([[1, 1]]), { id: 1, name: 'h1' }), { wave: 1, assigned: false });
  assert.deepEqual(hostWave(r, new Map(), { id: 2, name: 'h2' }), { wave: waveForNewHost('h2', rolloutSeed(5), [50, 100]), assigned: true });
});

test('tallyRollout: applied, failed, stuck, pending; who counts and who never polled', () => {
  const t = 60_000;
  const waves = new Map([[1, 0], [2, 0], [3, 0], [4, 0], [5, 1]]);
  const hosts = [
    host(1, 5, 'bbb', t, { checksRelease: 5, checksTotal: 1, checksFailing: 0 }), // applied, upgraded, reporting
    host(2, 4, 'aaa', t, { failedRelease: 5, failedError: 'x' }), // failed
    host(3, 4, 'aaa', null), // never polled: counted apart
    host(4, 4, 'aaa', t - STALE_POLL_MS - 1, { checksRelease: 4, checksTotal: 2, checksFailing: 1 }), // silent: stuck, failing baseline
    host(5, 4, 'aaa', null), // wave 2, not reached: pending, never polled
  ];
  const s = tallyRollout(rollout(), hosts, waves, RELEASES, T0 + t);
  assert.deepEqual(s.perWave, [
    { wave: 0, percent: 50, hosts: 4, applied: 1, failed: 1, stuck: 1, neverPolled: 1 },
    { wave: 1, percent: 100, hosts: 1, applied: 0, failed: 0, stuck: 0, neverPolled: 1 },
  ]);
  assert.deepEqual([s.hostsInWave, s.applied, s.failed, s.stuck, s.neverPolled], [3, 1, 1, 1, 1]);
  assert.deepEqual(s.upgraded, { hosts: 1, failing: 0, examples: [] });
  assert.deepEqual(s.baseline, { hosts: 1, failing: 1 });
  assert.deepEqual(s.coverage, { counted: 5, neverPolled: 2, outside: 0 });
  // The wave timeout makes every unmoved host of a reached wave stuck; the measured baseline stands in when no host is left on the old release.
  const late = tallyRollout(rollout({ baselineHosts: 9, baselineFailing: 3 }), [host(1, 4, 'aaa', 16 * 60_000)], new Map([[1, 0]]), RELEASES, T0 + 16 * 60_000);
  assert.equal(late.stuck, 1);
  assert.deepEqual(late.baseline, { hosts: 9, failing: 3 });
  // Rolling back: the target is the revert release.
  const back = tallyRollout(rollout({ state: 'rolling_back' }), [host(1, 6, 'aaa', t)], new Map([[1, 0]]), RELEASES, T0 + t);
  assert.equal(back.applied, 1);
});

test('judgeRollout: table', () => {
  const t = 60_000;
  const w0 = (...ids: number[]) => new Map(ids.map((id) => [id, 0]));
  const judge = (r: RolloutRow, hosts: HostRecord[], waves: Map<number, number>) => judgeRollout(r, tallyRollout(r, hosts, waves, RELEASES, T0 + t), T0 + t);
  const on5 = (id: number) => host(id, 5, 'bbb', t, { checksRelease: 5, checksTotal: 1, checksFailing: 0 });

  let j = judge(rollout(), [on5(1), host(2, 4, 'aaa', t)], new Map([[1, 0], [2, 1]]));
  assert.equal(j.kind, 'gate');
  assert.ok(j.kind === 'gate' && j.settledChanged && j.settledAt?.getTime() === T0 + t && j.gate.verdict === 'advance');
  assert.deepEqual(j.step?.extra, { currentWave: 1, waveStartedAt: at(t), settledAt: null });

  j = judge(rollout({ settledAt: at(0) }), [host(1, 4, 'aaa', t)], w0(1));
  assert.ok(j.kind === 'gate' && j.settledChanged && j.settledAt === null && j.gate.verdict === 'wait' && j.step === undefined, 'a host pending again unsettles the wave');

  j = judge(rollout({ currentWave: 1 }), [on5(1), on5(2)], new Map([[1, 0], [2, 1]]));
  assert.ok(j.kind === 'gate' && j.step?.event.type === 'complete' && /rollout complete/.test(j.step.reason));

  j = judge(rollout({ maxFailureRate: 0 }), [host(1, 4, 'aaa', t, { failedRelease: 5 })], w0(1));
  assert.deepEqual(j.kind === 'gate' && j.step?.event, { type: 'fail', autoRollback: true, hasRevert: true });

  assert.equal(judge(rollout({ state: 'paused' }), [on5(1)], w0(1)).kind, 'idle');
  assert.deepEqual(judge(rollout({ state: 'rolling_back' }), [host(1, 6, 'aaa', t)], w0(1)), { kind: 'rolling_back', step: { event: { type: 'rolled_back' }, reason: '1 host back on the previous content', extra: {} } });
  assert.deepEqual(judge(rollout({ state: 'rolling_back' }), [host(1, 5, 'bbb', t)], w0(1)), { kind: 'rolling_back', step: undefined });
});

test('judgeRollout: enrolled hosts that never polled do not hold the rollout, which says it installed nothing; an empty one completes saying so', () => {
  const t = 1000;
  const fresh = [1, 2, 3, 4].map((id) => host(id, 0, '', null));
  const r = rollout({ previousRelease: null, revertRelease: null, waves: [100], maxFailureRate: 0.05 });
  const tally = tallyRollout(r, fresh, new Map(fresh.map((h) => [h.id, 0])), RELEASES, T0 + t);
  assert.deepEqual(tally.coverage, { counted: 4, neverPolled: 4, outside: 0 });
  const held = judgeRollout(r, tally, T0 + t);
  assert.ok(held.kind === 'gate' && held.step?.event.type === 'complete');
  assert.equal(held.step!.reason, 'completed without installing release 5 anywhere: 0 of 0 hosts applied (0 stuck, 0 failed; 4 never polled, not counted); they get it when they poll');

  const empty = tallyRollout(r, [], new Map(), RELEASES, T0 + t);
  const done = judgeRollout(r, empty, T0 + t);
  assert.ok(done.kind === 'gate' && done.step?.event.type === 'complete');
  assert.match(done.step!.reason, /^completed with no host: no enrolled host was counted when release 5 was published, so it was installed nowhere/);
  assert.doesNotMatch(done.step!.reason, /0 of 0 hosts applied/);
  // Every host stuck and a threshold of 100 %: it completes, and says nothing was installed.
  const lax = { ...r, maxFailureRate: 1 };
  const silent = fresh.map((h) => ({ ...h, lastPollAt: at(t - STALE_POLL_MS - 1) }));
  const allStuck = judgeRollout(lax, tallyRollout(lax, silent, new Map(fresh.map((h) => [h.id, 0])), RELEASES, T0 + t), T0 + t);
  assert.ok(allStuck.kind === 'gate' && allStuck.step?.event.type === 'complete');
  assert.equal(allStuck.step!.reason, 'completed without installing release 5 anywhere: 0 of 4 hosts applied (4 stuck, 0 failed); they get it when they poll');
  const v = rolloutView({ ...r, state: 'completed', reason: done.step!.reason }, empty, done.gate, 'fleet');
  assert.equal(v.empty, true);
  assert.deepEqual(v.hosts, { counted: 0, neverPolled: 0, outside: 0 });
  assert.equal(rolloutView(r, tally, held.gate, 'fleet').empty, false);
});

test('planTransition: the patch and audit line of a step; refused steps throw', () => {
  const r = rollout({ state: 'running', currentWave: 1 });
  const adv = planTransition(r, { event: { type: 'advance' }, reason: 'ok', extra: { currentWave: 2 } }, 'ctl', at(5));
  assert.deepEqual(adv, { state: 'running', patch: { state: 'running', reason: 'ok', currentWave: 2 }, audit: { actor: 'ctl', action: 'rollout.advance', detail: { release: 5, from: 'running', to: 'running', wave: 2, reason: 'ok' } } });
  const back = planTransition(r, { event: { type: 'rollback', hasRevert: true }, reason: 'ops', extra: {} }, 'ops', at(5));
  assert.deepEqual(back.patch, { state: 'rolling_back', reason: 'ops', waveStartedAt: at(5) }, 'a rollback restarts the wave timeout');
  const resume = planTransition(rollout({ state: 'paused' }), { event: { type: 'resume' }, reason: 'r', extra: { settledAt: null } }, 'ops', at(7));
  assert.deepEqual(resume.patch, { state: 'running', reason: 'r', waveStartedAt: at(7), checksSince: at(7), settledAt: null });
  assert.throws(() => planTransition(rollout({ state: 'completed' }), { event: { type: 'pause' }, reason: '', extra: {} }, 'ops', at(0)), (e: unknown) => isVigiaError(e, 'CONTROL_ERR_ROLLOUT_STATE'));
});

test('hostsToWake: only the hosts whose desired release changed', () => {
  const waves = new Map([[1, 0], [2, 1], [3, 2], [4, 2]]);
  const cases: [string, Partial<RolloutRow>, number, number[]][] = [
    ['advance to wave 2', { state: 'running', currentWave: 1 }, 0, [2]],
    ['rollback at wave 2 moves every host that had moved', { state: 'rolling_back', currentWave: 1 }, 1, [1, 2]],
    ['completion from wave 2 wakes the rest', { state: 'completed', currentWave: 1 }, 1, [3, 4]],
    ['a pause wakes nobody', { state: 'paused', currentWave: 1 }, 1, []],
  ];
  for (const [name, over, prev, want] of cases) assert.deepEqual(hostsToWake(rollout({ waves: [10, 50, 100], ...over }), waves, prev).sort(), want, name);
});

test('planWaves: every host gets a wave; the baseline counts hosts with results', () => {
  const hosts = [1, 2, 3, 4].map((id) => host(id, 4, 'aaa', 0, id <= 2 ? { checksRelease: 4, checksTotal: 1, checksFailing: id - 1 } : {}));
  const plan = planWaves(hosts, { waves: [25, 100] }, rolloutSeed(5));
  assert.equal(plan.hostWaves.size, 4);
  assert.deepEqual([...plan.hostWaves.values()].sort(), [0, 1, 1, 1]);
  assert.deepEqual(plan.baseline, { hosts: 2, failing: 1 });
});

test('driftOf: why each host is not on its desired release', () => {
  const t = 10 * 60_000;
  const r = rollout({ waves: [100], currentWave: 0 });
  const hosts = [
    host(1, 5, 'bbb', t),
    host(2, 4, 'aaa', t, { failedRelease: 5, failedError: 'rejected: expired' }),
    host(3, 0, '', null),
    host(4, 4, 'aaa', t - 5 * 60_000),
    host(5, 4, 'aaa', t),
  ];
  const rows = driftOf(hosts, r, new Map(hosts.map((h) => [h.id, 0])), RELEASES, T0 + t);
  assert.deepEqual(rows.map((x) => [x.release, x.hosts]), [[5, 1], [4, 3], [null, 1]]);
  assert.deepEqual(rows.flatMap((x) => x.stuck.map((s) => [s.host, s.reason])), [
    ['h2', 'release 5 not installed: rejected: expired'],
    ['h4', 'has not polled for 5 min'],
    ['h5', 'should run 5, still on 4'],
    ['h3', 'never polled'],
  ]);
  assert.deepEqual(driftOf(hosts, undefined, new Map(), RELEASES, T0 + t).flatMap((x) => x.stuck), [], 'no rollout: nobody is stuck');
});

test('tallyRollout/judgeRollout: hosts that never polled are counted apart: they neither pass nor hold a wave', () => {
  const t = 1000;
  // The first poll of h1 was a minute ago; ten simulated hosts were enrolled and never polled.
  const real = host(1, 5, 'bbb', t, { checksRelease: 5, checksTotal: 1, checksFailing: 0 });
  const ghosts = Array.from({ length: 10 }, (_, i) => host(10 + i, 0, '', null));
  const all = [real, ...ghosts];
  const r = rollout({ waves: [100], maxFailureRate: 0.05 });
  const waves = new Map(all.map((h) => [h.id, 0]));
  const s = tallyRollout(r, all, waves, RELEASES, T0 + t);
  assert.deepEqual(s.perWave, [{ wave: 0, percent: 100, hosts: 11, applied: 1, failed: 0, stuck: 0, neverPolled: 10 }]);
  assert.deepEqual([s.hostsInWave, s.applied, s.stuck, s.neverPolled], [1, 1, 0, 10]);
  const j = judgeRollout(r, s, T0 + t);
  assert.ok(j.kind === 'gate' && j.step?.event.type === 'complete', j.kind === 'gate' ? j.gate.reason : j.kind);
  assert.doesNotMatch(j.gate.reason, /holding/);
  assert.match(j.gate.reason, /1 of 1 host applied.*10 never polled \(not counted\)/);
  // A host that polled once and went silent is still stuck (it may be a host the release broke).
  const silent = host(2, 4, 'aaa', t - STALE_POLL_MS - 1);
  const held = judgeRollout(r, tallyRollout(r, [real, silent, ...ghosts], new Map([...waves, [2, 0]]), RELEASES, T0 + t), T0 + t);
  assert.ok(held.kind === 'gate' && held.step === undefined);
  assert.match(held.gate.reason, /holding: 1 of 2 hosts stuck .*; 10 never polled \(not counted\)/);
});

test('resume waits for fresh check results: those sampled before the resume neither fail nor pass the wave', () => {
  const t = 60_000;
  const paused = rollout({ state: 'paused', waves: [100], maxFailureRate: 0.05, autoRollback: false, reason: 'checks failing' });
  const resumed = planTransition(paused, { event: { type: 'resume' }, reason: 'resumed by ops', extra: { settledAt: null } }, 'ops', at(t));
  assert.deepEqual(resumed.patch.checksSince, at(t), 'the resume marks when fresh results start');
  const r = { ...paused, ...resumed.patch } as RolloutRow;
  // The result that caused the pause was sampled before the resume; the tick 17 ms later must not re-pause on it.
  const failingBefore = host(1, 5, 'bbb', t, { checksRelease: 5, checksTotal: 2, checksFailing: 1, checksAt: at(t - 1000), failingChecks: ['disk_free'] });
  const j = judgeRollout(r, tallyRollout(r, [failingBefore], new Map([[1, 0]]), RELEASES, T0 + t + 17), T0 + t + 17);
  assert.ok(j.kind === 'gate' && j.step === undefined, j.kind === 'gate' ? j.gate.reason : j.kind);
  assert.match(j.gate.reason, /waiting for check results/);
  // A fresh failing result fails it again; a fresh passing one lets it go on.
  const failingAfter = { ...failingBefore, checksAt: at(t + 500) };
  const again = judgeRollout(r, tallyRollout(r, [failingAfter], new Map([[1, 0]]), RELEASES, T0 + t + 600), T0 + t + 600);
  assert.ok(again.kind === 'gate' && again.step?.event.type === 'fail');
  const passing = { ...failingAfter, checksFailing: 0, failingChecks: [] };
  const ok = judgeRollout(r, tallyRollout(r, [passing], new Map([[1, 0]]), RELEASES, T0 + t + 600), T0 + t + 600);
  assert.ok(ok.kind === 'gate' && ok.step?.event.type === 'complete');
});

test('judgeRollout: a check failure names the failing check(s) and host(s)', () => {
  const t = 60_000;
  const r = rollout({ waves: [100], maxFailureRate: 0.05, autoRollback: false });
  const bad = host(1, 5, 'bbb', t, { checksRelease: 5, checksTotal: 3, checksFailing: 2, checksAt: at(t), failingChecks: ['disk_free', 'mysql.replication'] });
  const j = judgeRollout(r, tallyRollout(r, [bad], new Map([[1, 0]]), RELEASES, T0 + t), T0 + t);
  assert.ok(j.kind === 'gate' && j.step?.event.type === 'fail');
  assert.match(j.step!.reason, /checks failing on 1 of 1 upgraded hosts .*: h1 \(disk_free, mysql\.replication\)$/);
  // Many hosts: the first few by name, and how many more.
  const many = Array.from({ length: 8 }, (_, i) => ({ ...bad, id: 10 + i, name: `db-${i}`, failingChecks: ['disk_free'] }));
  const m = judgeRollout(r, tallyRollout(r, many, new Map(many.map((h) => [h.id, 0])), RELEASES, T0 + t), T0 + t);
  assert.match(m.kind === 'gate' ? m.step!.reason : '', /: db-0 \(disk_free\), db-1 \(disk_free\), db-2 \(disk_free\), db-3 \(disk_free\), db-4 \(disk_free\) and 3 more hosts$/);
});

test('judgeRollout: maxStuckRate (publish --max-stuck-rate) is the share of stuck hosts the gate tolerates before it holds', () => {
  const t = 60_000;
  const on5 = host(1, 5, 'bbb', t, { checksRelease: 5, checksTotal: 1, checksFailing: 0, checksAt: at(t) });
  const silent = host(2, 4, 'aaa', t - STALE_POLL_MS - 1);
  const waves = new Map([[1, 0], [2, 0]]);
  const judge = (r: RolloutRow) => judgeRollout(r, tallyRollout(r, [on5, silent], waves, RELEASES, T0 + t), T0 + t);
  const strict = judge(rollout({ waves: [100], maxFailureRate: 0.05 }));
  assert.ok(strict.kind === 'gate' && /holding: 1 of 2 hosts stuck \(50\.0 % > 5\.0 %\)/.test(strict.gate.reason));
  const lax = judge(rollout({ waves: [100], maxFailureRate: 0.05, maxStuckRate: 0.5 }));
  assert.ok(lax.kind === 'gate' && lax.step?.event.type === 'complete', lax.kind === 'gate' ? lax.gate.reason : '');
});

test('a selective rollout (--where): hosts outside stay on their release through every step, are not counted, and never woken', () => {
  // Release numbers start at 1, so -1 (no bundle) never collides with a release.
  assert.deepEqual([outsideWave(null), outsideWave(1), outsideWave(4)], [-1, -2, -5]);
  assert.deepEqual([stayRelease(-1), stayRelease(-5), stayRelease(0), stayRelease(2)], [null, 4, undefined, undefined]);
  const hosts = [1, 2, 3, 4].map((id) => host(id, 4, 'aaa', 60_000));
  const plan = planWaves(hosts, { waves: [50, 100] }, rolloutSeed(5), { selected: new Set([1, 2]), stayOn: (h) => (h.id === 3 ? 4 : null) });
  assert.deepEqual([plan.hostWaves.get(3), plan.hostWaves.get(4)], [outsideWave(4), outsideWave(null)]);
  assert.ok([1, 2].every((id) => plan.hostWaves.get(id)! >= 0), 'the selected hosts are in the waves');
  for (const state of ['running', 'paused', 'completed', 'rolling_back', 'rolled_back'] as const) {
    const r = rollout({ state, currentWave: 1, selector: { role: 'db' } });
    assert.equal(desiredNumber(r, outsideWave(4)), 4, `${state}: outside stays on 4`);
    assert.equal(desiredNumber(r, outsideWave(null)), null, `${state}: outside with no bundle keeps none`);
    assert.ok(!hostsToWake(r, plan.hostWaves, 0).some((id) => id === 3 || id === 4), `${state}: outside hosts are never woken`);
  }
  const r = rollout({ selector: { role: 'db' } });
  assert.deepEqual(hostWave(r, new Map(), { id: 9, name: 'late' }), { wave: outsideWave(4), assigned: true }, 'a host enrolled later stays outside, on the release before');
  const tally = tallyRollout(r, hosts, plan.hostWaves, RELEASES, 60_000);
  assert.deepEqual(tally.coverage, { counted: 2, neverPolled: 0, outside: 2 });
  assert.equal(tally.perWave.reduce((a, w) => a + w.hosts, 0), 2);
});
