/**
 * The fleet-run service on the embedded store, with the hosts' side played by the test through the
 * agent channel: the sliding window, max-errors, results only from the host a task was given to,
 * cancel, and a restart that never runs an interrupted host again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { createAgentChannel, type AgentChannel } from '../agent-channel.js';
import { FleetStore } from '../store/fleet-store.js';
import { testReport } from '../store/store-contract.js';
import { createRunService, startRunSchema, type RunService, type StartRun } from './run-service.js';
import { parseWhere } from './selector.js';
import { freshPgliteStore } from '../../../test/support/pglite.js';
import { waitFor } from '../../../test/support/wait.js';

async function world(n: number) {
  const { store, handle } = await freshPgliteStore();
  const hosts = [];
  for (let i = 0; i < n; i++) hosts.push((await store.enrollHost(`h${i}`, `t${i}`, { role: i % 2 === 0 ? 'db' : 'web' })).host);
  return { fleet: new FleetStore(handle), hosts };
}

const req = (over: Partial<StartRun> = {}): StartRun => ({
  action: 'probe', params: { label: 'x' }, where: {}, all: true, concurrency: '2', max_errors: '0', ramp_up: false, timeout_ms: 60_000, dry_run: false, ...over,
});

/** The task ids queued for every host once the service has written and handed out its dispatches (taken: as the hosts' polls would). */
async function take(runs: RunService, channel: AgentChannel, hostIds: readonly number[]): Promise<Map<number, string>> {
  await runs.settled();
  const out = new Map<number, string>();
  for (const id of hostIds) for (const t of channel.takeTasks(id)) out.set(id, t.id);
  return out;
}

const ok = { status: 'succeeded' as const, exit_code: 0, duration_ms: 5, output: 'fine' };
const bad = { status: 'failed' as const, exit_code: 1, duration_ms: 5, output: 'broken' };

describe('fleet runs', () => {
  it('keeps at most --concurrency hosts in flight, accepts a result only from its host, stops after max-errors', async () => {
    const { fleet, hosts } = await world(6);
    const channel = createAgentChannel();
    const runs = createRunService({ store: fleet, channel, log: silentLogger(), flushMs: 20 });
    const ids = hosts.map((h) => h.id);
    await assert.rejects(runs.start(req({ all: false }), 'runner'), (e) => isVigiaError(e, 'VIGIA_ERR_BAD_REQUEST') && /--all/.test(e.message));
    await assert.rejects(runs.start(req({ all: false, where: { role: 'nope' } }), 'runner'), (e) => isVigiaError(e, 'CONTROL_ERR_NO_TARGETS'));
    const dry = await runs.start(req({ all: false, where: { role: 'db' }, dry_run: true }), 'runner');
    assert.deepEqual([dry.dry_run, dry.targets, dry.hosts], [true, 3, ['h0', 'h2', 'h4']]);

    const started = await runs.start(req({ max_errors: '1' }), 'runner');
    const runId = started.run!.id;
    let tasks = await take(runs, channel, ids);
    assert.deepEqual([...tasks.keys()], [ids[0], ids[1]], 'two in flight, in name order');
    // A result for h0's task posted with h1's identity is refused; h0's own is taken.
    assert.equal(await runs.onResult(ids[1]!, tasks.get(ids[0]!)!, ok), false);
    assert.equal(await runs.onResult(ids[0]!, tasks.get(ids[0]!)!, ok), true);
    assert.equal(await runs.onResult(ids[0]!, tasks.get(ids[0]!)!, ok), false, 'a second result for the same task is ignored');
    tasks = await take(runs, channel, ids);
    assert.deepEqual([...tasks.keys()], [ids[2]], 'the window slid by one');
    await runs.onResult(ids[1]!, `${runId}-${ids[1]}`, bad);
    await runs.onResult(ids[2]!, tasks.get(ids[2]!)!, bad);
    // Two errors > max-errors 1: nothing more is dispatched.
    const after2 = await take(runs, channel, ids);
    assert.ok(after2.size <= 1, 'at most the host dispatched before the second error');
    for (const [id, t] of after2) await runs.onResult(id, t, ok);
    assert.equal((await take(runs, channel, ids)).size, 0);
    const page = await runs.results(runId, 0, 2000);
    assert.ok(page.results.length >= 3);
    await waitFor('the run to end', async () => (await runs.view(runId)).state !== 'running' && (await runs.view(runId)).state !== 'stopping', 5000);
    const v = await runs.view(runId);
    assert.equal(v.state, 'failed');
    assert.equal(v.counts.failed, 2);
    assert.equal(v.counts.notDispatched, 6 - 2 - 1 - after2.size);
    const stored = await fleet.runHosts(runId);
    assert.deepEqual(stored.filter((h) => h.state === 'failed').map((h) => h.output), ['broken', 'broken']);
    assert.equal(stored.filter((h) => h.state === 'not_dispatched').length, v.counts.notDispatched);
    const audit = (await fleet.auditLines()).map((l) => l.action);
    assert.deepEqual(audit.filter((a) => a.startsWith('run.')).sort(), ['run.dry_run', 'run.end', 'run.start']);
    await runs.close();
  });

  it('a host\'s report cannot move it in or out of a run: --where role=... is the operator\'s tag, reported:role=... the host\'s', async () => {
    const { store, handle } = await freshPgliteStore();
    const { host } = await store.enrollHost('db-1', 't1', { role: 'mysql' });
    await store.enrollHost('web-1', 't2', { role: 'web' });
    const at = Date.parse('2026-12-01T10:00:00.000Z');
    await store.ingest([{ hostId: host.id, receivedAt: new Date(at + 1000), source: 'push', report: testReport('db-1', at, { tags: { role: 'web' } }) }]);
    const runs = createRunService({ store: new FleetStore(handle), channel: createAgentChannel(), log: silentLogger(), flushMs: 20 });
    // As the HTTP route does: the body through the wire schema, the selector as `vigia run --where` sends it.
    const dry = async (where: string) => (await runs.start(startRunSchema.parse({ action: 'probe', where: parseWhere(where), dry_run: true }), 'runner')).hosts;
    assert.deepEqual(await dry('role=mysql'), ['db-1']);
    assert.deepEqual(await dry('role=web'), ['web-1']);
    assert.deepEqual(await dry('reported:role=web'), ['db-1']);
    await assert.rejects(dry('reported:role=mysql'), (e) => isVigiaError(e, 'CONTROL_ERR_NO_TARGETS'));
    assert.throws(() => startRunSchema.parse({ action: 'probe', where: { 'other:role': 'web' } }), /where/);
    await runs.close();
    await store.close();
  });

  it('after a restart, hosts that were in flight are marked interrupted and never run again; pending ones are dispatched', async () => {
    const { fleet, hosts } = await world(5);
    const ids = hosts.map((h) => h.id);
    const channel1 = createAgentChannel();
    const first = createRunService({ store: fleet, channel: channel1, log: silentLogger(), flushMs: 20 });
    const started = await first.start(req({ concurrency: '2', max_errors: '5' }), 'runner');
    const runId = started.run!.id;
    const t1 = await take(first, channel1, ids);
    await first.onResult(ids[0]!, t1.get(ids[0]!)!, ok);
    await take(first, channel1, ids); // h2 now in flight too, with h1
    await first.close();

    const channel2 = createAgentChannel();
    const second = createRunService({ store: fleet, channel: channel2, log: silentLogger(), flushMs: 20 });
    await second.resume();
    const t2 = await take(second, channel2, ids);
    assert.deepEqual([...t2.keys()], [ids[3], ids[4]], 'only the hosts never dispatched');
    // The interrupted host answers late (it did run): its task belongs to no live dispatch.
    assert.equal(await second.onResult(ids[1]!, `${runId}-${ids[1]}`, ok), false);
    for (const [id, t] of t2) await second.onResult(id, t, ok);
    await waitFor('the run to fail', async () => (await fleet.run(runId))?.state === 'failed', 5000);
    const byHost = new Map((await fleet.runHosts(runId)).map((h) => [h.host, h.state]));
    assert.deepEqual(Object.fromEntries(byHost), { h0: 'succeeded', h1: 'interrupted', h2: 'interrupted', h3: 'succeeded', h4: 'succeeded' });
    assert.ok((await fleet.auditLines()).some((l) => l.action === 'run.resume' && l.detail.interrupted === 2));
    await second.close();
  });

  it('cancel withdraws tasks no host picked up and dispatches nothing more', async () => {
    const { fleet, hosts } = await world(4);
    const ids = hosts.map((h) => h.id);
    const channel = createAgentChannel();
    const runs = createRunService({ store: fleet, channel, log: silentLogger(), flushMs: 20 });
    const started = await runs.start(req({ concurrency: '2', max_errors: '4' }), 'runner');
    const runId = started.run!.id;
    await runs.settled();
    const picked = channel.takeTasks(ids[0]!);
    assert.equal(picked.length, 1, 'h0 picked its task; h1 did not yet');
    await runs.cancel(runId, 'runner');
    assert.equal(channel.hasTasks(ids[1]!), false, 'the task h1 never picked up was withdrawn');
    await runs.onResult(ids[0]!, picked[0]!.id, ok);
    await waitFor('the run cancelled', async () => (await runs.view(runId)).state === 'cancelled', 5000);
    const v = await runs.view(runId);
    assert.deepEqual([v.counts.succeeded, v.counts.notDispatched], [1, 2]);
    await assert.rejects(runs.cancel(runId, 'runner'), (e) => isVigiaError(e, 'CONTROL_ERR_ROLLOUT_STATE'));
    await assert.rejects(runs.view(9999), (e) => isVigiaError(e, 'CONTROL_ERR_UNKNOWN_RUN'));
    await runs.close();
  });

  it('a task reaches its host only once its in_flight row is written; a failed write loses nothing and is retried', async () => {
    const { fleet, hosts } = await world(2);
    const ids = hosts.map((h) => h.id);
    let failWrites = 2;
    const save = fleet.saveRunHosts.bind(fleet);
    fleet.saveRunHosts = async (runId, updates) => {
      if (failWrites > 0 && updates.length > 0) {
        failWrites--;
        throw new Error('database unavailable');
      }
      return save(runId, updates);
    };
    const channel = createAgentChannel();
    const runs = createRunService({ store: fleet, channel, log: silentLogger(), flushMs: 20 });
    const runId = (await runs.start(req({ concurrency: '2' }), 'runner')).run!.id;
    await runs.settled();
    assert.equal(channel.hasTasks(ids[0]!), false, 'not handed out while its row could not be written');
    assert.deepEqual((await fleet.runHosts(runId)).map((h) => h.state), ['pending', 'pending']);
    await waitFor('a task for both hosts', async () => channel.hasTasks(ids[0]!) && channel.hasTasks(ids[1]!), 5000);
    assert.deepEqual((await fleet.runHosts(runId)).map((h) => h.state), ['in_flight', 'in_flight'], 'on disk before the hosts have them');
    for (const id of ids) for (const t of channel.takeTasks(id)) await runs.onResult(id, t.id, ok);
    await waitFor('the run to succeed', async () => (await fleet.run(runId))?.state === 'succeeded', 5000);
    assert.deepEqual((await fleet.runHosts(runId)).map((h) => h.state), ['succeeded', 'succeeded']);
    await runs.close();
  });
});

