/**
 * The pure side of a fleet run on the control plane: which hosts a request targets and with which
 * limits, the task each host is handed, the row and the result line a host's outcome becomes, what a
 * restart does with the rows a dead process left, and the views of a run read back from the
 * database. No clock, store or channel here (times come in as arguments); run-service.ts is the I/O
 * shell and engine.ts the dispatcher.
 */
import type { AgentTask, TaskResult } from '../../core/contracts/agent-poll.js';
import { VigiaError } from '../../core/errors.js';
import type { FleetRunRow, FleetRunState, RunHostRow, RunHostState, RunHostUpdate, TargetHost } from '../store/fleet-store.js';
import type { HostOutcome, RunCounts, RunState } from './engine.js';
import { matchesWhere, parseLimit, resolveLimit, type ParamValue } from './selector.js';

/** One streamed result. */
export interface RunResultLine {
  readonly seq: number;
  readonly host: string;
  readonly state: RunHostState;
  readonly exit_code: number | null;
  readonly duration_ms: number | null;
  readonly output: string;
}

/** `GET /v1/runs/:id`. */
export interface RunView {
  readonly id: number;
  readonly action: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly selector: Readonly<Record<string, unknown>>;
  readonly state: FleetRunState;
  readonly concurrency: number;
  readonly max_errors: number;
  readonly counts: RunCounts;
  readonly created_by: string;
  readonly created_at: string;
  readonly finished_at: string | null;
}

/** What selectTargets and planLimits need of a run request (POST /v1/runs). */
export interface RunRequest {
  readonly where: Readonly<Record<string, string>>;
  readonly all: boolean;
  readonly concurrency: string;
  readonly max_errors: string;
}

/** Most result lines one read of a run's results returns. */
export const RESULT_PAGE = 1000;

/**
 * The enrolled hosts a request targets (host order kept): plain keys match the operator's tags,
 * `reported:KEY` the host's own (selector.ts matchesWhere). A request without `where` must say `all`
 * (VIGIA_ERR_BAD_REQUEST otherwise); a selector matching no host is CONTROL_ERR_NO_TARGETS.
 */
export function selectTargets(hosts: readonly TargetHost[], req: RunRequest): TargetHost[] {
  if (Object.keys(req.where).length === 0 && !req.all) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'no --where given: a run on the whole fleet needs --all spelled out');
  const targets = hosts.filter((h) => matchesWhere(req.where, h));
  if (targets.length === 0) throw new VigiaError('CONTROL_ERR_NO_TARGETS', JSON.stringify(req.where).slice(0, 300));
  return targets;
}

/** A request's concurrency (at least 1) and max-errors resolved against the number of targets (`10%` of 50 = 5), and the selector stored with the run. */
export function planLimits(req: RunRequest, targets: number): { concurrency: number; maxErrors: number; selector: Record<string, unknown> } {
  return {
    concurrency: resolveLimit(parseLimit(req.concurrency, '--concurrency', { min: 1 }), targets, { minOne: true }),
    maxErrors: resolveLimit(parseLimit(req.max_errors, '--max-errors'), targets, { minOne: false }),
    selector: req.all && Object.keys(req.where).length === 0 ? { all: true } : { ...req.where },
  };
}

/** The task handed to host `hostId` for run `row`; its id `<run>-<host>` says which run a result belongs to. */
export function taskFor(row: FleetRunRow, hostId: number): AgentTask {
  return { id: `${row.id}-${hostId}`, run_id: row.id, action: row.action, params: { ...row.params }, timeout_ms: row.timeoutMs };
}

/** The run a task id belongs to (NaN for a malformed id). */
export function runIdOfTask(taskId: string): number {
  return Number(taskId.split('-')[0]);
}

/** Whether a host state is an end (a result line is streamed for it). */
export function isFinishedHostState(state: RunHostState): boolean {
  return state !== 'in_flight' && state !== 'pending';
}

/**
 * The row a host's new state becomes at `now` (ms): finished states get a finish time, a duration
 * (the agent's, else measured from `startedAt`) and the result's exit code and output.
 */
export function hostUpdate(hostId: number, state: RunHostState, startedAt: Date | null, now: number, result?: TaskResult): RunHostUpdate {
  const finishedAt = isFinishedHostState(state) ? new Date(now) : null;
  return {
    hostId, state, startedAt, finishedAt, exitCode: result?.exit_code ?? null,
    durationMs: result?.duration_ms ?? (startedAt && finishedAt ? finishedAt.getTime() - startedAt.getTime() : null), output: result?.output ?? '',
  };
}

/** The streamed line of a finished host row (`seq` 1-based). */
export function resultLine(seq: number, host: string, u: Pick<RunHostUpdate, 'state' | 'exitCode' | 'durationMs' | 'output'>): RunResultLine {
  return { seq, host, state: u.state, exit_code: u.exitCode, duration_ms: u.durationMs, output: u.output };
}

/** What a host that never answered within the run's timeout reports. */
export function timedOutResult(timeoutMs: number): TaskResult {
  return { status: 'timed_out', exit_code: null, duration_ms: timeoutMs, output: `no result within ${Math.round(timeoutMs / 1000)} s` };
}

/** What a host whose task was withdrawn by a cancel, before it picked the task up, reports. */
export const CANCELLED_RESULT: TaskResult = Object.freeze({ status: 'rejected', exit_code: null, duration_ms: 0, output: 'cancelled before the host picked it up' });

/** The state a run ends in, from the engine's: anything not final when it is written ends `failed`. */
export function finalRunState(st: RunState): FleetRunState {
  return st === 'succeeded' || st === 'failed' || st === 'cancelled' ? st : 'failed';
}

/**
 * What a restarted control plane does with an unfinished run's rows at `now` (ms): finished hosts
 * stay done; hosts that were in flight (or already marked interrupted) count as errors and are never
 * run again (the action may not be idempotent), and the in-flight ones are written `interrupted`.
 * Pending hosts are left to dispatch.
 */
export function resumePlan(rows: readonly RunHostRow[], now: number): { done: Map<number, HostOutcome>; interrupted: number; updates: RunHostUpdate[] } {
  const done = new Map<number, HostOutcome>();
  const updates: RunHostUpdate[] = [];
  let interrupted = 0;
  for (const h of rows) {
    if (h.state === 'succeeded' || h.state === 'failed' || h.state === 'timed_out' || h.state === 'rejected') done.set(h.hostId, h.state);
    else if (h.state === 'in_flight' || h.state === 'interrupted') {
      done.set(h.hostId, 'timed_out');
      interrupted++;
      if (h.state === 'in_flight') updates.push({ hostId: h.hostId, state: 'interrupted', startedAt: h.startedAt, finishedAt: new Date(now), exitCode: null, durationMs: null, output: 'the control plane restarted while this host was running the action; it was not run again' });
    }
  }
  return { done, interrupted, updates };
}

/** The tallies of a stored run from its host rows (interrupted counts as timed out). */
export function countsOfRows(rows: readonly RunHostRow[], maxErrors: number): RunCounts {
  const c = { targets: rows.length, pending: 0, inFlight: 0, succeeded: 0, failed: 0, timedOut: 0, rejected: 0, notDispatched: 0, errors: 0, maxErrors };
  for (const h of rows) {
    if (h.state === 'succeeded') c.succeeded++;
    else if (h.state === 'failed') c.failed++;
    else if (h.state === 'timed_out' || h.state === 'interrupted') c.timedOut++;
    else if (h.state === 'rejected') c.rejected++;
    else if (h.state === 'not_dispatched') c.notDispatched++;
    else if (h.state === 'in_flight') c.inFlight++;
    else c.pending++;
  }
  c.errors = c.failed + c.timedOut + c.rejected;
  return c;
}

/**
 * The result lines of a stored run after `after` (at most RESULT_PAGE): finished hosts in the order
 * they finished (then dispatch order), and whether the stream is over (all read and the run ended).
 */
export function resultsOfRows(row: FleetRunRow, rows: readonly RunHostRow[], after: number): { results: RunResultLine[]; next: number; done: boolean } {
  const finished = rows.filter((h) => isFinishedHostState(h.state));
  finished.sort((a, b) => (a.finishedAt?.getTime() ?? 0) - (b.finishedAt?.getTime() ?? 0) || a.seq - b.seq);
  const lines = finished.map((h, i) => resultLine(i + 1, h.host, h));
  return {
    results: lines.slice(after, after + RESULT_PAGE),
    next: Math.min(lines.length, after + RESULT_PAGE),
    done: after + RESULT_PAGE >= lines.length && row.state !== 'running' && row.state !== 'stopping',
  };
}

/** The API view of a run with its tallies. */
export function runView(row: FleetRunRow, counts: RunCounts): RunView {
  return {
    id: row.id, action: row.action, params: row.params, selector: row.selector, state: row.state, concurrency: row.concurrency, max_errors: row.maxErrors,
    counts, created_by: row.createdBy, created_at: row.createdAt.toISOString(), finished_at: row.finishedAt?.toISOString() ?? null,
  };
}
