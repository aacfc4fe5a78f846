/**
 * The action service behind `/v1/actions`: an allow-list loaded from disk at start, parameter
 * validation, a per-action concurrency limit, safe process execution (see runner.ts), a bounded
 * store of recent runs and an audit line for every call, rejected ones included.
 *
 * Identity: when the agent can switch users (root, or CAP_SETUID and CAP_SETGID), an action runs as
 * its manifest's `runAs` user, else as the service's default (`opts.runAs`, else `nobody` from
 * /etc/passwd). It runs as root only when its manifest says `"runAs": "root"` explicitly, and never as
 * the agent's own uid otherwise. An agent that cannot switch users runs actions as its own user:
 * tests only; the agent refuses that configuration at start (identity.ts says why).
 *
 * Memory: at most `maxRuns` runs are kept, and at most `maxOutputBytes` of finished runs' output;
 * beyond that the oldest finished runs lose their stdout/stderr (`output_dropped: true`).
 *
 * Shutdown: close() refuses new runs (also those whose start line was being written when it was
 * called), kills everything running runs started, and resolves once each has written its end line.
 */
import { VigiaError } from '../../core/errors.js';
import type { AuditEntry, AuditLog } from './audit.js';
import type { ActionManifest, ParamSpec } from './manifest.js';
import { buildArgv, validateParams, type ParamValue } from './params.js';
import { agentNodeModules, loadActions, lookupUser, type LoadedAction, type UserIds } from './registry.js';
import { cleanEnv, runProcess, type ProcessResult } from './runner.js';
import { createRunStore, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MAX_RUNS } from './runs.js';

/** What `GET /v1/actions` shows for one action. */
export interface ActionSummary {
  readonly name: string;
  readonly description: string;
  /** A JSON-Schema view of the parameters (`type: object`, `properties`, `required`, no extra keys). */
  readonly parameters: {
    readonly type: 'object';
    readonly properties: Record<string, Record<string, unknown>>;
    readonly required: readonly string[];
    readonly additionalProperties: false;
  };
  readonly timeout_ms: number;
  readonly output_cap_bytes: number;
  readonly concurrency: number;
  readonly async: boolean;
}

/** One run of an action, as `POST /v1/actions/:name` and `GET /v1/actions/runs/:id` answer it. */
export interface RunRecord {
  readonly id: string;
  readonly action: string;
  readonly status: 'running' | 'succeeded' | 'failed' | 'timed_out';
  readonly client: string;
  readonly params: Record<string, ParamValue>;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly duration_ms: number | null;
  readonly exit_code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdout_truncated: boolean;
  readonly stderr_truncated: boolean;
  /** True once stdout/stderr were dropped to keep the store within its byte budget (metadata stays). */
  readonly output_dropped: boolean;
}

/** The action service. */
export interface ActionService {
  /** The allowed actions, sorted by name. */
  list(): ActionSummary[];
  /**
   * Validate and run action `name` with the JSON `body` on behalf of `client`. Throws
   * AGENT_ERR_UNKNOWN_ACTION, AGENT_ERR_INVALID_PARAMS or AGENT_ERR_ACTION_BUSY (each audit-logged).
   * Resolves when the run finished, or at once with status `running` for async actions (`wait`
   * overrides the manifest's choice).
   */
  start(name: string, body: unknown, client: string, opts?: { wait?: boolean }): Promise<RunRecord>;
  /** A run by id; throws AGENT_ERR_UNKNOWN_RUN. */
  get(id: string): RunRecord;
  /** The distinct identities actions run as, root (an explicit `"runAs": "root"`) left out; empty when users are not switched. */
  identities(): UserIds[];
  /** Refuse new runs, kill the process groups of running ones and wait for them to end. */
  close(): Promise<void>;
}

/** Options of the action service. */
export interface ActionServiceOptions {
  readonly actionsDir: string;
  readonly audit: AuditLog;
  /** Default identity for actions without `runAs` when users are switched; default: `nobody`. */
  readonly runAs?: UserIds | null;
  /** Whether the agent can switch users (identity.ts canSwitchUsers); default: whether it runs as root. */
  readonly canSwitchUsers?: boolean;
  /** The agent's uid, which no action may run as (bar an explicit root); default process.getuid(). */
  readonly agentUid?: number;
  /** Working directory of every action; default `/`. */
  readonly workDir?: string;
  /** passwd(5) file for `runAs` names; default /etc/passwd. */
  readonly passwdPath?: string;
  /** Grace between SIGTERM and SIGKILL on timeout; default 2000 ms. */
  readonly killGraceMs?: number;
  /** Runs kept for `get`; default 1000. */
  readonly maxRuns?: number;
  /** Bytes of stdout+stderr kept across finished runs before the oldest lose theirs; default 16 MiB. */
  readonly maxOutputBytes?: number;
  /**
   * Called when an audit line could not be written after the fact (action.end, action.rejected),
   * where failing the call would hide what happened; default: one JSON line on stderr.
   */
  readonly onAuditError?: (entry: AuditEntry, err: unknown) => void;
  /** `${node}`; default process.execPath. */
  readonly node?: string;
  /** `${nodeModules}`; default the node_modules the agent loads mysql2 from. */
  readonly nodeModules?: string | null;
  /** `${rootfs}`: where the host's root is mounted (`--path.rootfs`); default `/`. */
  readonly rootfs?: string;
}

type MutableRun = { -readonly [K in keyof RunRecord]: RunRecord[K] };

interface InFlight {
  pgid: number | undefined;
  /** Aborted by close(): the runner kills the run at once. */
  readonly abort: AbortController;
  done: Promise<void>;
  /** Output captured so far, shown by `get` while the run is still going. */
  readonly out: Buffer[];
  readonly err: Buffer[];
}

interface Prepared {
  readonly loaded: LoadedAction;
  readonly ids: UserIds | undefined;
  readonly summary: ActionSummary;
  running: number;
}

function paramView(spec: ParamSpec): Record<string, unknown> {
  const { type, description } = spec;
  const view: Record<string, unknown> = { type };
  if (description !== undefined) view.description = description;
  if (spec.type === 'integer') Object.assign(view, { minimum: spec.minimum, maximum: spec.maximum });
  if (spec.type === 'string') {
    view.maxLength = spec.maxLength;
    if (spec.pattern !== undefined) view.pattern = spec.pattern;
    if (spec.enum !== undefined) view.enum = [...spec.enum];
  }
  if (spec.default !== undefined) view.default = spec.default;
  return view;
}

/** The public view of a manifest. Pure. */
export function summarize(m: ActionManifest): ActionSummary {
  return {
    name: m.name,
    description: m.description,
    parameters: {
      type: 'object',
      properties: Object.fromEntries(Object.entries(m.parameters).map(([k, v]) => [k, paramView(v)])),
      required: [...m.required],
      additionalProperties: false,
    },
    timeout_ms: m.timeoutMs,
    output_cap_bytes: m.outputCapBytes,
    concurrency: m.concurrency,
    async: m.async,
  };
}

/** The default onAuditError: one JSON line on stderr (the agent's logger is not reachable from here). */
export function auditErrorToStderr(entry: AuditEntry, err: unknown): void {
  process.stderr.write(JSON.stringify({ level: 'error', msg: 'audit log write failed', event: entry.event, run_id: entry.run_id ?? null, action: entry.action, client: entry.client, status: entry.status, error: err instanceof Error ? err.message : String(err) }) + '\n');
}

function statusOf(r: ProcessResult): RunRecord['status'] {
  if (r.timedOut) return 'timed_out';
  return r.exitCode === 0 ? 'succeeded' : 'failed';
}

/** Load the allow-list from `opts.actionsDir` and return the service. Throws AGENT_ERR_ACTION_MANIFEST. */
export async function createActionService(opts: ActionServiceOptions): Promise<ActionService> {
  const loaded = await loadActions(opts.actionsDir, {
    node: opts.node ?? process.execPath,
    nodeModules: opts.nodeModules === undefined ? agentNodeModules() : opts.nodeModules,
    rootfs: opts.rootfs ?? '/',
  });
  const agentUid = opts.agentUid ?? process.getuid?.() ?? 0;
  const switchUsers = opts.canSwitchUsers ?? agentUid === 0;
  const passwd = opts.passwdPath ?? '/etc/passwd';
  let defaultIds: UserIds | undefined;
  const actions = new Map<string, Prepared>();
  for (const l of loaded) {
    let ids: UserIds | undefined;
    if (switchUsers) {
      const m = l.manifest;
      if (m.runAs === 'root') ids = { uid: 0, gid: 0 };
      else if (m.runAs !== undefined) ids = await lookupUser(m.runAs, passwd).catch((err: unknown) => {
        throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${l.file}: ${(err as Error).message}`, { cause: err });
      });
      else ids = defaultIds ??= opts.runAs ?? (await lookupUser('nobody', passwd));
      if (ids.uid === 0 && m.runAs !== 'root') throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${l.file}: runAs: would run as uid 0; say "runAs": "root" explicitly to allow it`);
      // The agent's own uid could rewrite the audit log, read its token files and kill it (identity.ts).
      if (ids.uid === agentUid && ids.uid !== 0) throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${l.file}: runAs: would run as uid ${ids.uid}, the agent's own; name a user of its own`);
    }
    actions.set(l.manifest.name, { loaded: l, ids, summary: summarize(l.manifest), running: 0 });
  }
  const store = createRunStore<MutableRun>((r) => r.status !== 'running', opts.maxRuns ?? DEFAULT_MAX_RUNS, {
    maxBytes: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    sizeOf: (r) => Buffer.byteLength(r.stdout) + Buffer.byteLength(r.stderr),
    drop: (r) => Object.assign(r, { stdout: '', stderr: '', output_dropped: true }),
  });
  const inFlight = new Map<string, InFlight>();
  /** start() calls between their reservation and their registration in inFlight (or refusal). */
  const starting = new Set<Promise<void>>();
  const onAuditError = opts.onAuditError ?? auditErrorToStderr;
  /** Write an audit line whose failure must not fail the call: report it instead of dropping it. */
  const auditAfterTheFact = (entry: AuditEntry): Promise<void> => opts.audit.write(entry).catch((err: unknown) => onAuditError(entry, err));
  const workDir = opts.workDir ?? '/';
  let closed = false;

  const snapshot = (r: MutableRun): RunRecord => {
    const live = r.status === 'running' ? inFlight.get(r.id) : undefined;
    if (!live) return { ...r, params: { ...r.params } };
    return { ...r, params: { ...r.params }, stdout: Buffer.concat(live.out).toString('utf8'), stderr: Buffer.concat(live.err).toString('utf8') };
  };

  const rejectCall = async (err: VigiaError, action: string, client: string, body: unknown): Promise<never> => {
    // Nothing ran; a failing audit file must not turn a 4xx into a 500, so its error is reported, not thrown.
    await auditAfterTheFact({
      event: 'action.rejected',
      run_id: null,
      client,
      action: action.slice(0, 128),
      params: auditableBody(body),
      reason: `${err.code}: ${err.message}`.slice(0, 1000),
    });
    throw err;
  };

  const execute = async (p: Prepared, run: MutableRun, params: Record<string, ParamValue>, abort: AbortSignal): Promise<void> => {
    const m = p.loaded.manifest;
    let result: ProcessResult;
    try {
      result = await runProcess({
        executable: m.executable,
        argv: buildArgv(m, params),
        env: cleanEnv(m.env),
        cwd: workDir,
        timeoutMs: m.timeoutMs,
        outputCapBytes: m.outputCapBytes,
        ...(p.ids ? { uid: p.ids.uid, gid: p.ids.gid } : {}),
        ...(opts.killGraceMs !== undefined ? { killGraceMs: opts.killGraceMs } : {}),
        signal: abort,
        onSpawn: (pid) => {
          const f = inFlight.get(run.id);
          if (f) f.pgid = pid;
        },
        onOutput: (stream, chunk) => {
          const f = inFlight.get(run.id);
          if (f) (stream === 'stdout' ? f.out : f.err).push(chunk);
        },
      });
    } catch (err) {
      result = { exitCode: null, signal: null, timedOut: false, durationMs: 0, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, spawnError: (err as NodeJS.ErrnoException).code ?? String(err) };
    } finally {
      p.running--;
    }
    Object.assign(run, {
      status: statusOf(result),
      finished_at: new Date().toISOString(),
      duration_ms: result.durationMs,
      exit_code: result.exitCode,
      signal: result.signal,
      stdout: result.stdout,
      stderr: result.spawnError ? `${result.stderr}cannot start ${m.executable}: ${result.spawnError}\n` : result.stderr,
      stdout_truncated: result.stdoutTruncated,
      stderr_truncated: result.stderrTruncated,
    } satisfies Partial<MutableRun>);
    store.put(run); // count its output against the byte budget now that it is final
    // The run already happened; a failing audit file must not hide its result (reported instead).
    // The start line (written before the run, and required) is the record that the call was made.
    await auditAfterTheFact({
        event: 'action.end',
        run_id: run.id,
        client: run.client,
        action: run.action,
        params: run.params,
        status: run.status,
        exit_code: run.exit_code,
        signal: run.signal,
        timed_out: result.timedOut,
        duration_ms: run.duration_ms,
      });
  };

  return {
    list: () => [...actions.values()].map((p) => p.summary).sort((a, b) => a.name.localeCompare(b.name)),

    async start(name, body, client, startOpts) {
      // Everything up to the reservation is synchronous, so N parallel calls can never exceed the limit.
      if (closed) throw new VigiaError('VIGIA_ERR_SHUTTING_DOWN');
      const p = typeof name === 'string' ? actions.get(name) : undefined;
      if (!p) return rejectCall(new VigiaError('AGENT_ERR_UNKNOWN_ACTION', String(name).slice(0, 64)), String(name), client, body);
      const m = p.loaded.manifest;
      let params: Record<string, ParamValue>;
      try {
        params = { ...validateParams(m, body) };
      } catch (err) {
        return rejectCall(err as VigiaError, name, client, body);
      }
      if (p.running >= m.concurrency) return rejectCall(new VigiaError('AGENT_ERR_ACTION_BUSY', `${name} allows ${m.concurrency} concurrent run(s)`), name, client, params);
      p.running++;
      const run: MutableRun = {
        id: store.newId(),
        action: name,
        status: 'running',
        client,
        params,
        started_at: new Date().toISOString(),
        finished_at: null,
        duration_ms: null,
        exit_code: null,
        signal: null,
        stdout: '',
        stderr: '',
        stdout_truncated: false,
        stderr_truncated: false,
        output_dropped: false,
      };
      let admitted!: () => void;
      const gate = new Promise<void>((r) => (admitted = r));
      starting.add(gate);
      const entry: InFlight = { pgid: undefined, abort: new AbortController(), done: Promise.resolve(), out: [], err: [] };
      try {
        try {
          await opts.audit.write({ event: 'action.start', run_id: run.id, client, action: name, params });
        } catch (err) {
          p.running--;
          throw err; // no audit line, no run
        }
        // close() may have begun while the start line was being written: nothing may start now.
        if (closed) {
          p.running--;
          const refused = new VigiaError('VIGIA_ERR_SHUTTING_DOWN');
          await auditAfterTheFact({ event: 'action.rejected', run_id: run.id, client, action: name, params, reason: `${refused.code}: ${refused.message}`.slice(0, 1000) });
          throw refused;
        }
        store.put(run);
        inFlight.set(run.id, entry);
        entry.done = execute(p, run, params, entry.abort.signal).finally(() => inFlight.delete(run.id));
      } finally {
        starting.delete(gate);
        admitted();
      }
      const wait = startOpts?.wait ?? !m.async;
      if (wait) await entry.done;
      return snapshot(run);
    },

    get(id) {
      const r = typeof id === 'string' ? store.get(id) : undefined;
      if (!r) throw new VigiaError('AGENT_ERR_UNKNOWN_RUN', typeof id === 'string' ? id.slice(0, 64) : undefined);
      return snapshot(r);
    },

    identities() {
      const seen = new Map<string, UserIds>();
      for (const p of actions.values()) if (p.ids && p.ids.uid !== 0) seen.set(`${p.ids.uid}:${p.ids.gid}`, p.ids);
      return [...seen.values()];
    },

    async close() {
      closed = true;
      // Kill what runs (the runner sweeps group, session and descendants, and stops waiting for pipes),
      // let starts caught mid-way refuse themselves, then wait for every end line.
      for (const f of inFlight.values()) f.abort.abort();
      await Promise.allSettled([...starting]);
      await Promise.allSettled([...inFlight.values()].map((f) => f.done));
    },
  };
}

/** What of a rejected body goes into the audit log: scalars as given, long values cut. */
function auditableBody(body: unknown): unknown {
  const text = (() => {
    try {
      return JSON.stringify(body) ?? null;
    } catch {
      return null;
    }
  })();
  if (text === null) return null;
  return text.length <= 2048 ? body : { truncated_json: text.slice(0, 2048) };
}
