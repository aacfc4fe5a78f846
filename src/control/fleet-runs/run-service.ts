/**
 * Fleet runs on the control plane: select the targets, drive the dispatcher (engine.ts) with real
 * time, hand tasks to the agents' long-polls, collect their results, stream them to the operator
 * and write every step to the database (per-host outcomes in batches, the run and its audit lines).
 *
 * Delivery is at most once: a task is handed to a host once; a host whose result does not come back
 * within the per-host timeout counts as timed out (an error). After a control-plane restart, hosts
 * that were in flight are marked `interrupted` (never re-run: the action may not be idempotent) and
 * the run goes on with the hosts still pending.
 *
 * This file is the I/O shell: the timer, the store, the channel and the result streams. Which hosts
 * a request targets, the rows and lines an outcome becomes, what a restart does with a dead process's
 * rows and the views of stored runs are pure functions in run-state.ts; dispatch is engine.ts.
 */
import { z } from 'zod';
import { systemClock, type Clock } from '../../core/clock.js';
import { ACTION_NAME_RE, actionParamValueSchema, MAX_ACTION_PARAM_LENGTH, MAX_ACTION_PARAMS, PARAM_NAME_RE, type AgentTask, type TaskResult } from '../../core/contracts/agent-poll.js';
import type { JsonShape } from '../../core/contracts/json-shape.js';
import { MAX_TAG_VALUE_LENGTH, whereSchema } from '../../core/contracts/tags.js';
import { VigiaError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { AgentChannel } from '../agent-channel.js';
import type { FleetRunRow, FleetStore, RunHostRow, RunHostState, RunHostUpdate } from '../store/fleet-store.js';
import { createRunEngine, type HostOutcome, type RunEngine } from './engine.js';
import {
  CANCELLED_RESULT, countsOfRows, finalRunState, hostUpdate, isFinishedHostState, planLimits, RESULT_PAGE, resultLine, resultsOfRows, resumePlan, runIdOfTask,
  runView, selectTargets, taskFor, timedOutResult, type RunResultLine, type RunView,
} from './run-state.js';

export type { RunResultLine, RunView } from './run-state.js';

/** Most `where` pairs of a run. */
export const MAX_RUN_WHERE = 16;

const startRunFields = z
  .object({
    action: z.string().regex(ACTION_NAME_RE, 'an action name: a lower-case letter, then lower-case letters, digits, -'),
    params: z.record(z.string().regex(PARAM_NAME_RE, 'a parameter name: a lower-case letter, then lower-case letters, digits, _'), actionParamValueSchema).default({}),
    // Keys: `role` (operator tag), `reported:role` (a tag the host reports), `host` (the host name).
    where: whereSchema.default({}),
    all: z.boolean().default(false),
    concurrency: z.string().max(16).default('10'),
    max_errors: z.string().max(16).default('0'),
    ramp_up: z.boolean().default(false),
    timeout_ms: z.number().int().min(1000).max(3_600_000).default(600_000),
    dry_run: z.boolean().default(false),
  })
  .strict();

/** POST /v1/runs body. */
export const startRunSchema = startRunFields
  .refine((b) => Object.keys(b.where).length <= MAX_RUN_WHERE, `at most ${MAX_RUN_WHERE} where pairs`)
  .refine((b) => Object.keys(b.params).length <= MAX_ACTION_PARAMS, `at most ${MAX_ACTION_PARAMS} params`);

/** The structural bounds (src/core/contracts/json-shape.ts) of a POST /v1/runs body: params and where are flat. */
export const START_RUN_SHAPE: JsonShape = Object.freeze({
  maxDepth: 2,
  maxKeys: Math.max(MAX_ACTION_PARAMS, MAX_RUN_WHERE, Object.keys(startRunFields.shape).length),
  maxItems: 0,
  maxStringLength: Math.max(MAX_ACTION_PARAM_LENGTH, MAX_TAG_VALUE_LENGTH),
});

/** A run request. */
export type StartRun = z.output<typeof startRunSchema>;

/** Dependencies. */
export interface RunServiceDeps {
  readonly store: FleetStore;
  readonly channel: AgentChannel;
  readonly log: Logger;
  readonly now?: Clock;
  /** How often per-host outcomes are written (ms); default 200. */
  readonly flushMs?: number;
  readonly onDispatch?: (n: number) => void;
}

/** The run service. */
export interface RunService {
  /** Resume runs a previous process left unfinished. */
  resume(): Promise<void>;
  start(req: StartRun, actor: string): Promise<{ run: RunView | null; targets: number; dry_run: boolean; hosts?: string[] }>;
  onResult(hostId: number, taskId: string, result: TaskResult): Promise<boolean>;
  view(id: number): Promise<RunView>;
  /** Results after `after` (a count of lines already seen), waiting up to waitMs for new ones. */
  results(id: number, after: number, waitMs: number, signal?: AbortSignal): Promise<{ results: RunResultLine[]; next: number; done: boolean }>;
  hosts(id: number): Promise<RunHostRow[]>;
  list(): Promise<RunView[]>;
  cancel(id: number, actor: string): Promise<RunView>;
  /** Resolves once every dispatch so far is written and handed to the channel (for tests and shutdown). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

interface ActiveRun {
  row: FleetRunRow;
  readonly engine: RunEngine;
  readonly names: Map<number, string>;
  readonly tasks: Map<number, AgentTask>;
  readonly started: Map<number, Date>;
  readonly lines: RunResultLine[];
  readonly dirty: Map<number, RunHostUpdate>;
  /** Tasks dispatched but not yet handed to their host: they go out once their in_flight row is written. */
  readonly toPush: Map<number, AgentTask>;
  /** The run's database writes, one after the other. */
  writeChain: Promise<void>;
  waiters: Array<() => void>;
  finishing: boolean;
  flushQueued: boolean;
  /** The never-dispatched hosts have been recorded (once, even if finalize is retried). */
  stopRecorded: boolean;
  readonly preCounts: { interrupted: number };
}

/** Finished runs kept in memory (each holds up to one result line per host). */
const RECENT_RUNS = 3;

/** Build the service. */
export function createRunService(deps: RunServiceDeps): RunService {
  const { store, channel, log } = deps;
  const now = deps.now ?? systemClock;
  const active = new Map<number, ActiveRun>();
  /** Runs finished by this process, kept in memory for their result streams (older ones are read from the database). */
  const recent = new Map<number, ActiveRun>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;

  const viewOf = (run: ActiveRun): RunView => runView(run.row, run.engine.counts());

  const notify = (run: ActiveRun): void => {
    const w = run.waiters;
    run.waiters = [];
    for (const fn of w) fn();
  };

  const record = (run: ActiveRun, hostId: number, state: RunHostState, result?: TaskResult): void => {
    const u = hostUpdate(hostId, state, run.started.get(hostId) ?? null, now(), result);
    run.dirty.set(hostId, u);
    if (isFinishedHostState(state)) {
      run.toPush.delete(hostId);
      run.lines.push(resultLine(run.lines.length + 1, run.names.get(hostId) ?? String(hostId), u));
      notify(run);
    }
  };

  const dispatch = (run: ActiveRun): void => {
    const ids = run.engine.next();
    for (const id of ids) {
      const task = taskFor(run.row, id);
      run.tasks.set(id, task);
      run.started.set(id, new Date(now()));
      record(run, id, 'in_flight');
      run.toPush.set(id, task);
    }
    if (ids.length > 0) {
      deps.onDispatch?.(ids.length);
      flushSoon(run);
    }
  };

  /**
   * Write the run's pending rows, then hand the tasks whose in_flight row is now on disk to their
   * hosts. A task never reaches a host before the database knows it is in flight, so a restart marks
   * it interrupted instead of running it a second time. Writes of one run are serialized.
   */
  const flushRun = (run: ActiveRun): Promise<void> => {
    const next = run.writeChain.then(async () => {
      if (run.dirty.size === 0 && run.toPush.size === 0) return;
      const updates = [...run.dirty.values()];
      const push = [...run.toPush];
      run.dirty.clear();
      run.toPush.clear();
      try {
        if (updates.length > 0) await store.saveRunHosts(run.row.id, updates);
      } catch (err) {
        // Nothing is lost: the rows go back (unless a newer state replaced them) and the tasks wait.
        for (const u of updates) if (!run.dirty.has(u.hostId)) run.dirty.set(u.hostId, u);
        for (const [id, t] of push) if (run.tasks.get(id) === t && run.engine.statusOf(id) === 'in_flight') run.toPush.set(id, t);
        throw err;
      }
      for (const [id, t] of push) if (run.tasks.get(id) === t && run.engine.statusOf(id) === 'in_flight') channel.pushTask(id, t);
    });
    run.writeChain = next.catch(() => {});
    return next;
  };

  const flushSoon = (run: ActiveRun): void => {
    if (run.flushQueued) return;
    run.flushQueued = true;
    setImmediate(() => {
      run.flushQueued = false;
      flushRun(run).catch((err: unknown) => log.error({ err, run: run.row.id }, 'could not write fleet-run state; retrying'));
    });
  };

  const finalize = async (run: ActiveRun): Promise<void> => {
    if (run.finishing) return;
    run.finishing = true;
    const st = run.engine.state();
    // Hosts never dispatched because the run stopped.
    if (!run.stopRecorded) {
      run.stopRecorded = true;
      for (const [id, s] of run.engine.outcomes()) if (s === 'not_dispatched') record(run, id, 'not_dispatched');
    }
    const counts = run.engine.counts();
    const final = finalRunState(st);
    try {
      await flushRun(run);
      await store.finishRun(run.row.id, final, 'run-service', { ...counts, interrupted: run.preCounts.interrupted });
    } catch (err) {
      // The next step tries again; the run stays active (and resumable) until its end is on disk.
      run.finishing = false;
      throw err;
    }
    run.row = { ...run.row, state: final, finishedAt: new Date(now()) };
    log.info({ audit: true, run: run.row.id, action: run.row.action, state: final, ...counts }, 'fleet run finished');
    active.delete(run.row.id);
    recent.set(run.row.id, run);
    if (recent.size > RECENT_RUNS) recent.delete(recent.keys().next().value!);
    notify(run);
  };

  const step = async (): Promise<void> => {
    for (const run of [...active.values()]) {
      if (run.finishing) continue;
      for (const id of run.engine.expire()) {
        const t = run.tasks.get(id);
        if (t) channel.dropTask(id, t.id);
        record(run, id, 'timed_out', timedOutResult(run.row.timeoutMs));
      }
      dispatch(run);
      const st = run.engine.state();
      if (st === 'stopping' && run.row.state !== 'stopping') {
        run.row = { ...run.row, state: 'stopping' };
        await store.setRunState(run.row.id, 'stopping');
      }
      if (st === 'succeeded' || st === 'failed' || st === 'cancelled') await finalize(run);
    }
  };

  const ensureTimer = (): void => {
    if (timer) return;
    timer = setInterval(() => {
      if (flushing) return;
      flushing = (async () => {
        try {
          await step();
          for (const run of active.values()) await flushRun(run);
        } catch (err) {
          log.error({ err }, 'fleet run step failed');
        } finally {
          flushing = undefined;
        }
      })();
    }, deps.flushMs ?? 200);
    timer.unref();
  };

  const activate = (row: FleetRunRow, targets: ReadonlyArray<{ id: number; name: string }>, alreadyDone?: Map<number, HostOutcome>, interrupted = 0, cancelled = false): ActiveRun => {
    const hostIds = targets.map((t) => t.id);
    const concurrency = row.concurrency;
    const engine = createRunEngine({ hosts: hostIds, concurrency, maxErrors: row.maxErrors, rampUp: row.rampUp, timeoutMs: row.timeoutMs, now, alreadyDone });
    const run: ActiveRun = {
      row, engine, names: new Map(targets.map((t) => [t.id, t.name])), tasks: new Map(), started: new Map(), lines: [], dirty: new Map(), toPush: new Map(),
      writeChain: Promise.resolve(), waiters: [], finishing: false, flushQueued: false, stopRecorded: false, preCounts: { interrupted },
    };
    // A run that was stopping when the process died dispatches nothing more.
    if (cancelled) engine.cancel();
    active.set(row.id, run);
    ensureTimer();
    dispatch(run);
    return run;
  };

  return {
    async resume() {
      for (const row of await store.unfinishedRuns()) {
        const rows = await store.runHosts(row.id);
        const { done, interrupted, updates } = resumePlan(rows, now());
        await store.saveRunHosts(row.id, updates);
        log.warn({ run: row.id, interrupted, done: done.size, targets: rows.length }, 'resuming a fleet run after a restart');
        await store.audit('run-service', 'run.resume', { run: row.id, interrupted, done: done.size });
        activate(row, rows.map((h) => ({ id: h.hostId, name: h.host })), done, interrupted, row.state === 'stopping');
      }
    },

    async start(req, actor) {
      const targets = selectTargets(await store.targetHosts(), req);
      const { concurrency, maxErrors, selector } = planLimits(req, targets.length);
      if (req.dry_run) {
        await store.audit(actor, 'run.dry_run', { action: req.action, params: req.params, selector: req.where, targets: targets.length, concurrency, max_errors: maxErrors });
        return { run: null, targets: targets.length, dry_run: true, hosts: targets.slice(0, 1000).map((t) => t.name) };
      }
      const row = await store.createRun(
        { action: req.action, params: req.params, selector, concurrency, maxErrors, rampUp: req.ramp_up, timeoutMs: req.timeout_ms, createdBy: actor },
        targets,
      );
      log.info({ audit: true, actor, run: row.id, action: req.action, params: req.params, where: req.where, targets: targets.length, concurrency, max_errors: maxErrors }, 'fleet run started');
      const run = activate(row, targets);
      return { run: viewOf(run), targets: targets.length, dry_run: false };
    },

    async onResult(hostId, taskId, result) {
      const run = active.get(runIdOfTask(taskId));
      if (!run || run.tasks.get(hostId)?.id !== taskId) return false;
      const outcome: HostOutcome = result.status;
      if (!run.engine.complete(hostId, outcome)) return false;
      record(run, hostId, outcome, result);
      dispatch(run);
      return true;
    },

    async view(id) {
      const run = active.get(id) ?? recent.get(id);
      if (run) return viewOf(run);
      const row = await store.run(id);
      if (!row) throw new VigiaError('CONTROL_ERR_UNKNOWN_RUN', String(id));
      return runView(row, countsOfRows(await store.runHosts(id), row.maxErrors));
    },

    async results(id, after, waitMs, signal) {
      const run = active.get(id) ?? recent.get(id);
      if (!run) {
        const row = await store.run(id);
        if (!row) throw new VigiaError('CONTROL_ERR_UNKNOWN_RUN', String(id));
        return resultsOfRows(row, await store.runHosts(id), after);
      }
      if (run.lines.length <= after && waitMs > 0 && active.has(id)) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, waitMs);
          const done = (): void => {
            clearTimeout(t);
            resolve();
          };
          run.waiters.push(done);
          signal?.addEventListener('abort', done, { once: true });
        });
      }
      const lines = run.lines.slice(after, after + RESULT_PAGE);
      return { results: lines, next: after + lines.length, done: !active.has(id) && after + lines.length >= run.lines.length };
    },

    hosts: (id) => store.runHosts(id),

    async list() {
      const rows = await store.runs(20);
      return Promise.all(rows.map((r) => this.view(r.id)));
    },

    async cancel(id, actor) {
      const run = active.get(id);
      if (!run) {
        if (!(await store.run(id))) throw new VigiaError('CONTROL_ERR_UNKNOWN_RUN', String(id));
        throw new VigiaError('CONTROL_ERR_ROLLOUT_STATE', `run ${id} has already finished`);
      }
      run.engine.cancel();
      // Tasks not yet picked up by their host are withdrawn; the rest finish.
      for (const [hostId, task] of run.tasks) {
        if (run.engine.statusOf(hostId) !== 'in_flight') continue;
        if (run.toPush.get(hostId) === task || channel.dropTask(hostId, task.id)) {
          run.engine.complete(hostId, 'rejected');
          record(run, hostId, 'rejected', CANCELLED_RESULT);
        }
      }
      await store.audit(actor, 'run.cancel', { run: id });
      log.info({ audit: true, actor, run: id }, 'fleet run cancelled');
      return viewOf(run);
    },

    async settled() {
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (const run of [...active.values(), ...recent.values()]) await run.writeChain;
    },

    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flushing;
      for (const run of active.values()) {
        await flushRun(run).catch((err: unknown) => log.error({ err, run: run.row.id }, 'could not write fleet-run state at close'));
        notify(run);
      }
    },
  };
}
