/**
 * Run one process the safe way: no shell, its own session and process group (spawn detached: the
 * child calls setsid(), so its pid is both its session id and its process group id), a clean
 * environment, a fixed working directory, optional uid/gid, per-stream byte caps, and a timeout that
 * kills everything the run started (SIGTERM, then SIGKILL after a grace).
 *
 * "Everything the run started" is swept from /proc: every process whose session id or process group
 * is the leader's pid, plus every descendant (by parent pid) of those still attached to them. So a
 * child that calls setpgid() (e.g. `bash -c 'set -m; cmd &'`) is killed too, when the leader exits and
 * at the timeout; the sweep repeats until none is left (bounded). The pipes are destroyed when the run
 * finishes, so nothing that escaped can keep descriptors of the agent open.
 *
 * Limit: a descendant that calls setsid() itself leaves the session, and once its parent is gone (it
 * is re-parented to init) nothing in /proc ties it to the run any more. Only a cgroup catches that:
 * run the agent under systemd with KillMode=control-group (the shipped unit does), or in a container.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { splitProcPidStat } from '../collectors/processes.js';

/** The fixed PATH every action gets. */
export const ACTION_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** What to run. `env` is the complete environment (the runner adds nothing). */
export interface ProcessSpec {
  readonly executable: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly outputCapBytes: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Between SIGTERM and SIGKILL on timeout; default 2000 ms. */
  readonly killGraceMs?: number;
  /** Called with each captured (post-cap) piece of output, for live views of long runs. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Called once the process is spawned, with its pid (= its process group id and session id). */
  readonly onSpawn?: (pid: number) => void;
  /** Aborting kills the run at once (SIGKILL to all it started) and resolves without waiting for the pipes. */
  readonly signal?: AbortSignal;
  /** Where /proc is; default `/proc`. */
  readonly procfs?: string;
}

/** How a process ended. */
export interface ProcessResult {
  /** Exit code, or null when killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  /** Set when the process could not be started (spawn error), e.g. `ENOENT`. */
  readonly spawnError?: string;
}

/** A clean environment: the fixed PATH, LANG=C.UTF-8 and the manifest's fixed extra variables. */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: ACTION_PATH, LANG: 'C.UTF-8', ...extra };
}

/** Collects at most `cap` bytes and keeps draining the rest so the child never blocks on a full pipe. */
class CappedSink {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  /** Keep what fits; returns the part kept (empty once full). */
  push(chunk: Buffer): Buffer {
    const room = this.cap - this.size;
    if (room <= 0) {
      this.truncated = true;
      return chunk.subarray(0, 0);
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
    return kept;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

/** The fields of `/proc/<pid>/stat` the runner needs. */
export interface ProcStat {
  readonly pid: number;
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
}

/** Parse one `/proc/<pid>/stat` line (comm may hold spaces and parentheses: fields start after the last `)`). Pure. */
export function parseProcStat(text: string): ProcStat | undefined {
  const split = splitProcPidStat(text);
  if (!split) return undefined;
  const [state, ppid, pgrp, session] = [split.fields[0], Number(split.fields[1]), Number(split.fields[2]), Number(split.fields[3])];
  if (!state || !Number.isInteger(ppid) || !Number.isInteger(pgrp) || !Number.isInteger(session)) return undefined;
  return { pid: split.pid, state, ppid, pgrp, session };
}

/**
 * The live (not zombie) processes that belong to the run led by `leader`: session id or process
 * group equal to `leader`, and their descendants by parent pid (which catches a setsid() child while
 * its parent is still alive). Pure.
 */
export function runMembers(stats: readonly ProcStat[], leader: number): number[] {
  const live = stats.filter((s) => s.state !== 'Z' && s.state !== 'X');
  const members = new Set<number>(live.filter((s) => s.session === leader || s.pgrp === leader || s.pid === leader).map((s) => s.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of live) {
      if (!members.has(s.pid) && members.has(s.ppid)) {
        members.add(s.pid);
        grew = true;
      }
    }
  }
  return [...members].sort((a, b) => a - b);
}

function readStats(procfs: string): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync(procfs);
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const n of names) {
    if (!/^[0-9]+$/.test(n)) continue;
    try {
      const st = parseProcStat(readFileSync(`${procfs}/${n}/stat`, 'utf8'));
      if (st) out.push(st);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Send `signal` to the group of `leader` and to every process of its run (see runMembers); returns how many were found. */
export function signalRun(leader: number, signal: NodeJS.Signals, procfs = '/proc'): number {
  // Read first, kill second: killing a parent first would re-parent its setsid() children to init
  // before we could see whose they were.
  const members = runMembers(readStats(procfs), leader);
  killGroup(leader, signal);
  for (const pid of members) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
  return members.length;
}

/**
 * SIGKILL everything of the run led by `leader` (group, session, descendants) and repeat until none
 * is alive or `timeoutMs` passed (a member may fork while we kill). Zombies count as gone.
 */
export async function killRunAndWait(leader: number, timeoutMs = 2000, procfs = '/proc'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (signalRun(leader, 'SIGKILL', procfs) > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Run `spec`; never rejects (spawn failures come back as `spawnError` with exitCode null). */
export function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  const started = performance.now();
  const grace = spec.killGraceMs ?? 2000;
  const out = new CappedSink(spec.outputCapBytes);
  const err = new CappedSink(spec.outputCapBytes);
  return new Promise<ProcessResult>((resolve) => {
    let timedOut = false;
    let exitCode: number | null = null;
    let signal: string | null = null;
    let spawnError: string | undefined;
    let exited = false;
    let done = false;
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      if (pid === undefined || done) return;
      signalRun(pid, 'SIGKILL', procfs);
      if (exited) {
        clearTimeout(closeTimer);
        closeTimer = setTimeout(finish, 100);
      }
    };
    let timer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let closeTimer: NodeJS.Timeout | undefined;
    const procfs = spec.procfs ?? '/proc';
    const child = spawn(spec.executable, [...spec.argv], {
      shell: false,
      detached: true,
      env: { ...spec.env },
      cwd: spec.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
      ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
    });
    const pid = child.pid;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      clearTimeout(closeTimer);
      const result: ProcessResult = {
        exitCode,
        signal,
        timedOut,
        durationMs: Math.round(performance.now() - started),
        stdout: out.text(),
        stderr: err.text(),
        stdoutTruncated: out.truncated,
        stderrTruncated: err.truncated,
        ...(spawnError !== undefined ? { spawnError } : {}),
      };
      spec.signal?.removeEventListener('abort', onAbort);
      // Whatever escaped and still holds the pipes must not keep descriptors of ours open.
      child.stdout?.destroy();
      child.stderr?.destroy();
      // Anything of the run still alive (a grandchild that kept our pipes or not) dies before we answer.
      if (pid === undefined) resolve(result);
      else void killRunAndWait(pid, 2000, procfs).then(() => resolve(result));
    };
    const onOutput = spec.onOutput;
    child.stdout!.on('data', (c: Buffer) => {
      const kept = out.push(c);
      if (onOutput && kept.length > 0) onOutput('stdout', kept);
    });
    child.stderr!.on('data', (c: Buffer) => {
      const kept = err.push(c);
      if (onOutput && kept.length > 0) onOutput('stderr', kept);
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      spawnError = e.code ?? e.message;
      if (pid === undefined || exited) finish();
    });
    child.once('exit', (code, sig) => {
      exited = true;
      exitCode = code;
      signal = sig;
      // The leader is gone; kill the rest of its run (group, session, descendants) so nothing outlives
      // the action, then wait briefly for the pipes to drain (a setsid() escapee could hold them open).
      if (pid !== undefined) signalRun(pid, 'SIGKILL', procfs);
      closeTimer = setTimeout(finish, aborted ? 100 : 1000);
    });
    child.once('close', () => {
      if (exited || pid === undefined) finish();
    });
    if (pid === undefined) return;
    spec.onSpawn?.(pid);
    timer = setTimeout(() => {
      timedOut = true;
      signalRun(pid, 'SIGTERM', procfs);
      killTimer = setTimeout(() => signalRun(pid, 'SIGKILL', procfs), grace);
    }, spec.timeoutMs);
    if (spec.signal?.aborted) onAbort();
    else spec.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
