/**
 * The agent-side check runner: runs the checks of one installed bundle release on their intervals and
 * keeps the latest result of each for the host report.
 *
 * Processes are started by the actions runner (runProcess): no shell, own process group killed on
 * timeout, output capped. The schedule spreads the fleet (each check first runs after a random delay
 * in [0, interval)), never overlaps a check with itself (a tick that finds it still running or still
 * waiting for a slot is skipped, not queued twice) and runs at most `maxConcurrent` checks at once.
 *
 * One runner serves one release: when a new release is installed the agent creates a new runner and
 * stops the old one (stop() kills what is running and drops results that arrive afterwards).
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import { MAX_CHECK_OUTPUT_BYTES, type CheckSpec } from '../../core/contracts/bundle.js';
import type { ReportCheck } from '../../core/contracts/host-report.js';
import { VigiaError } from '../../core/errors.js';
import { ACTION_PATH, cleanEnv, runProcess, type ProcessResult, type ProcessSpec } from '../actions/runner.js';
import { checksForHost, fillArgs, firstLine, stateFromExit } from './nagios.js';

/** Default for how many checks may run at once. */
export const DEFAULT_MAX_CONCURRENT_CHECKS = 4;
/** Between SIGTERM and SIGKILL when a check times out. */
export const CHECK_KILL_GRACE_MS = 1000;
/** Environment variables a check's `env` may not set (the runner sets them). */
export const RESERVED_CHECK_ENV = ['PATH', 'VIGIA_CHECK_NAME'] as const;

/** What a check runner needs. */
export interface CheckRunnerOptions {
  /** Directory of the installed release: the checks' cwd; relative commands resolve inside it. */
  readonly bundleDir: string;
  /** The release number reported with the results. */
  readonly release: number;
  /** Every check of the bundle; those whose `where` does not match `hostTags` are not run. */
  readonly checks: readonly CheckSpec[];
  readonly hostTags: Readonly<Record<string, string>>;
  /** Run the checks as this user and group (the agent usually runs as root). */
  readonly runAs?: { readonly uid: number; readonly gid: number };
  /** Wall clock (ms since the epoch) for the results' `at`; default Date.now. */
  readonly now?: Clock;
  /** Uniform in [0, 1); picks each check's first delay. Default Math.random. */
  readonly random?: () => number;
  /** Called with every new result (exceptions it throws are ignored so they cannot stop the schedule). */
  readonly onResult?: (r: ReportCheck) => void;
  /** Most checks running at once; default 4. */
  readonly maxConcurrent?: number;
}

/** A running schedule of one release's checks. */
export interface CheckRunner {
  /** The latest result of every check that has finished at least once, in manifest order. */
  results(): { release: number; results: ReportCheck[] };
  /** Stop the schedule, kill the running checks and wait for them; idempotent. */
  stop(): Promise<void>;
}

/** One check ready to run: what to spawn and how often. */
export interface PreparedCheck {
  readonly name: string;
  readonly intervalMs: number;
  /** Everything runProcess needs except the abort signal. */
  readonly process: Omit<ProcessSpec, 'signal'>;
  /** Set for a command that is a file of the bundle: the run refuses it if it resolves outside. */
  readonly insideBundle: boolean;
}

function invalid(detail: string): VigiaError {
  return new VigiaError('BUNDLE_ERR_INVALID', detail);
}

/**
 * Resolve `command` as the check will run it: an absolute path as it is, a relative one inside
 * `bundleDir` (throws BUNDLE_ERR_INVALID, naming `where`, when it would leave it). Pure.
 */
export function resolveCheckCommand(bundleDir: string, command: string, where = 'command'): { executable: string; insideBundle: boolean } {
  if (command === '' || command.includes('\u0000')) throw invalid(`${where}: empty or contains NUL`);
  if (isAbsolute(command)) return { executable: command, insideBundle: false };
  const executable = resolve(bundleDir, command);
  const rel = relative(bundleDir, executable);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw invalid(`${where}: ${JSON.stringify(command)} escapes the bundle directory`);
  return { executable, insideBundle: true };
}

/**
 * Validate every check of the bundle (placeholders, command paths, durations, reserved env, unique
 * names; throws BUNDLE_ERR_INVALID naming the check) and return the ones this host runs, ready to
 * spawn. Validation covers checks of other hosts too, so a bad bundle is refused everywhere. Pure.
 */
export function prepareChecks(opts: Pick<CheckRunnerOptions, 'bundleDir' | 'checks' | 'hostTags' | 'runAs'>): PreparedCheck[] {
  const bundleDir = resolve(opts.bundleDir);
  const seen = new Set<string>();
  const prepared = new Map<CheckSpec, PreparedCheck>();
  for (const c of opts.checks) {
    const at = `checks[${c.name}]`;
    if (seen.has(c.name)) throw invalid(`${at}: declared twice`);
    seen.add(c.name);
    if (!Number.isFinite(c.interval) || c.interval <= 0) throw invalid(`${at}.interval: must be a positive duration`);
    if (!Number.isFinite(c.timeout) || c.timeout <= 0) throw invalid(`${at}.timeout: must be a positive duration`);
    for (const k of RESERVED_CHECK_ENV) if (Object.hasOwn(c.env, k)) throw invalid(`${at}.env.${k}: reserved (set by the agent)`);
    const argv = fillArgs(c.args, c.thresholds, `${at}.args`);
    const { executable, insideBundle } = resolveCheckCommand(bundleDir, c.command, `${at}.command`);
    prepared.set(c, {
      name: c.name,
      intervalMs: c.interval,
      insideBundle,
      process: {
        executable,
        argv,
        env: { ...cleanEnv(c.env), PATH: ACTION_PATH, VIGIA_CHECK_NAME: c.name },
        cwd: bundleDir,
        timeoutMs: c.timeout,
        outputCapBytes: MAX_CHECK_OUTPUT_BYTES,
        killGraceMs: Math.min(CHECK_KILL_GRACE_MS, c.timeout),
        ...(opts.runAs ? { uid: opts.runAs.uid, gid: opts.runAs.gid } : {}),
      },
    });
  }
  return checksForHost(opts.checks, opts.hostTags).map((c) => prepared.get(c)!);
}

/** Null when `executable` really lies inside `bundleDir` (symlinks followed), else why not. */
async function escapesBundle(bundleDir: string, executable: string): Promise<string | null> {
  let dir: string;
  let exe: string;
  try {
    [dir, exe] = await Promise.all([realpath(bundleDir), realpath(executable)]);
  } catch {
    return null; // missing: the spawn reports it (ENOENT)
  }
  const rel = relative(dir, exe);
  return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? 'UNKNOWN: command resolves outside the bundle' : null;
}

interface Slot {
  readonly check: PreparedCheck;
  running: boolean;
  queued: boolean;
  last: ReportCheck | undefined;
  timers: NodeJS.Timeout[];
}

/**
 * Validate the bundle's checks (throws BUNDLE_ERR_INVALID before anything runs) and start running
 * the ones `hostTags` selects: first after a random delay in [0, interval), then every interval.
 */
export function createCheckRunner(opts: CheckRunnerOptions): CheckRunner {
  const maxConcurrent = opts.maxConcurrent ?? DEFAULT_MAX_CONCURRENT_CHECKS;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new RangeError('maxConcurrent must be an integer >= 1');
  const slots: Slot[] = prepareChecks(opts).map((check) => ({ check, running: false, queued: false, last: undefined, timers: [] }));
  const now = opts.now ?? systemClock;
  const random = opts.random ?? Math.random;
  const bundleDir = resolve(opts.bundleDir);
  const waiting: Slot[] = [];
  const inFlight = new Set<Promise<void>>();
  const abort = new AbortController();
  let active = 0;
  let stopped = false;
  let stopping: Promise<void> | undefined;

  const record = (slot: Slot, state: ReportCheck['state'], output: string, durationMs: number): void => {
    const r: ReportCheck = {
      name: slot.check.name,
      state,
      output: firstLine(output),
      at: new Date(now()).toISOString(),
      duration_ms: Math.min(3_600_000, Math.max(0, Math.round(durationMs))),
    };
    slot.last = r;
    try {
      opts.onResult?.(r);
    } catch {
      // a listener's failure must not stop the schedule
    }
  };

  const runOnce = async (slot: Slot): Promise<void> => {
    const p = slot.check.process;
    const escaped = slot.check.insideBundle ? await escapesBundle(bundleDir, p.executable) : null;
    if (stopped) return;
    if (escaped !== null) {
      record(slot, 'UNKNOWN', escaped, 0);
      return;
    }
    const result: ProcessResult = await runProcess({ ...p, signal: abort.signal });
    if (stopped) return; // killed by stop(): the release is being replaced, its result means nothing
    const { state, output } = stateFromExit(result, p.timeoutMs);
    record(slot, state, output, result.durationMs);
  };

  const start = (slot: Slot): void => {
    slot.running = true;
    active += 1;
    const run: Promise<void> = runOnce(slot)
      .catch(() => {
        // runProcess never rejects; anything else is a bug we must not let kill the schedule
      })
      .finally(() => {
        slot.running = false;
        active -= 1;
        inFlight.delete(run);
        pump();
      });
    inFlight.add(run);
  };

  const pump = (): void => {
    while (!stopped && active < maxConcurrent && waiting.length > 0) {
      const next = waiting.shift()!;
      next.queued = false;
      start(next);
    }
  };

  const due = (slot: Slot): void => {
    if (stopped || slot.running || slot.queued) return; // never overlap a check with itself: skip this tick
    if (active < maxConcurrent) start(slot);
    else {
      slot.queued = true;
      waiting.push(slot);
    }
  };

  for (const slot of slots) {
    const interval = slot.check.intervalMs;
    const r = random();
    const delay = Math.floor(interval * (Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0));
    const first = setTimeout(() => {
      if (stopped) return;
      const every = setInterval(() => due(slot), interval);
      every.unref();
      slot.timers.push(every);
      due(slot);
    }, delay);
    first.unref();
    slot.timers.push(first);
  }

  return {
    results() {
      return { release: opts.release, results: slots.flatMap((s) => (s.last ? [{ ...s.last }] : [])) };
    },
    stop() {
      if (stopping) return stopping;
      stopped = true;
      for (const s of slots) for (const t of s.timers) clearTimeout(t);
      for (const s of waiting) s.queued = false;
      waiting.length = 0;
      abort.abort();
      stopping = Promise.all([...inFlight]).then(() => undefined);
      return stopping;
    },
  };
}
