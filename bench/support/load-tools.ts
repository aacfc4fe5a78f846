/**
 * Load tools (wrk, autocannon, redis-benchmark, anything on PATH) run by the benchmark scripts: each
 * in its own process group, registered for cleanup, with a hard deadline; plus the parsing of their
 * output.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where and how `runTool` runs a tool. */
export interface ToolOptions {
  /** Working directory; the autocannon child resolves the `autocannon` package from here. */
  readonly cwd: string;
  /** The cleanup registry's process groups: the tool's group is in it while it runs. */
  readonly groups: Set<number>;
  /**
   * Measure the tool's CPU time: run it under bash, whose `times` reports its children's user and
   * system time after the tool exits. Without it `ToolRun.cpu` is NaN.
   */
  readonly cpuTimes?: boolean;
  /** Added to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

/** What a finished (or killed) tool left. */
export interface ToolRun {
  /** Exit status; null when killed by a signal. */
  code: number | null;
  stdout: string;
  /** With a `bench: killed after N ms` line appended when the deadline killed it. */
  stderr: string;
  /** CPU seconds (user+sys) of the tool, from bash `times`; NaN unless `cpuTimes`. */
  cpu: number;
}

/**
 * Run `cmd` (argv, no shell) detached in its own process group and resolve once its output is closed;
 * after `timeoutMs` the whole group is SIGKILLed. Never rejects.
 */
export function runTool(cmd: readonly string[], timeoutMs: number, options: ToolOptions): Promise<ToolRun> {
  return new Promise((resolve) => {
    const spawnOptions: SpawnOptions = { cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } };
    const child: ChildProcess = options.cpuTimes
      ? spawn('bash', ['-c', '"$@"; rc=$?; times >&2; exit $rc', 'bench-tool', ...cmd], spawnOptions)
      : spawn(cmd[0]!, cmd.slice(1), spawnOptions);
    const pid = child.pid!;
    options.groups.add(pid);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\nbench: killed after ${timeoutMs} ms`;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      options.groups.delete(pid);
      let cpu = NaN;
      if (options.cpuTimes) {
        // `times` prints the shell's own line, then its children's: the last one is the tool's.
        const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(stderr);
        if (m) {
          cpu = Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
          stderr = stderr.slice(0, m.index).replace(/\d+m[\d.]+s \d+m[\d.]+s\s*$/, '');
        }
      }
      resolve({ code, stdout, stderr, cpu });
    });
  });
}

/** `NAME failed (exit CODE): ` and the last 300 characters of the run's stderr (or stdout when empty). */
export function toolFailure(name: string, run: ToolRun): string {
  return `${name} failed (exit ${run.code}): ${(run.stderr || run.stdout).trim().slice(-300)}`;
}

/** A wrk duration (`812.00us`, `1.20ms`, `2.01s`, `1.00m` split into value and unit) in ms; NaN for an unknown unit. */
export function wrkMs(value: string, unit: string): number {
  const v = Number(value);
  return unit === 'us' ? v / 1000 : unit === 'ms' ? v : unit === 's' ? v * 1000 : unit === 'm' ? v * 60_000 : NaN;
}

/** What `parseWrk` reads from wrk's output; a missing number is NaN, missing error counts are 0. */
export interface WrkResult {
  rps: number;
  /** Latency percentiles in ms (need `--latency`). */
  p50: number;
  p99: number;
  /** Requests completed. */
  total: number;
  non2xx: number;
  /** connect + read + write + timeout socket errors. */
  socketErrors: number;
}

/** Parse the stdout of `wrk --latency`. */
export function parseWrk(out: string): WrkResult {
  const lat = (pct: string): number => {
    const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? wrkMs(m[1]!, m[2]!) : NaN;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = se ? Number(se[1]) + Number(se[2]) + Number(se[3]) + Number(se[4]) : 0;
  return { rps, p50: lat('50'), p99: lat('99'), total, non2xx, socketErrors };
}

/** One wrk run: `wrk -t1 -cN -dSs --latency ARGS... URL`. */
export interface WrkRun {
  run: ToolRun;
  result: WrkResult;
  /** Exit status 0 and a req/s line: otherwise log `toolFailure('wrk', run)`. */
  ok: boolean;
}

/** Run wrk with one thread for `seconds` (deadline `seconds` + 30 s) and parse its output. */
export async function runWrk(
  o: { readonly bin: string; readonly url: string; readonly connections: number; readonly seconds: number; readonly args?: readonly string[] },
  options: ToolOptions,
): Promise<WrkRun> {
  const run = await runTool([o.bin, '-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--latency', ...(o.args ?? []), o.url], (o.seconds + 30) * 1000, options);
  const result = parseWrk(run.stdout);
  return { run, result, ok: run.code === 0 && Number.isFinite(result.rps) };
}

// autocannon runs in a child so it never shares an event loop with a server or with the script.
// Options the caller leaves out stay out of autocannon's options (no `key: undefined` over a default).
const AUTOCANNON_CHILD = `
import autocannon from 'autocannon';
const o = JSON.parse(process.argv[1]);
const opts = { url: o.url, connections: o.connections, pipelining: 1 };
if ('ids' in o) {
  const base = new URL(o.url).pathname;
  opts.requests = o.ids > 1 ? [{ setupRequest: (req) => ({ ...req, path: base + '-' + Math.floor(Math.random() * o.ids) }) }] : undefined;
}
if ('headers' in o) opts.headers = o.headers;
if (o.amount) opts.amount = o.amount; else opts.duration = o.duration;
const r = await autocannon(opts);
process.stdout.write(JSON.stringify({ total: r.requests.total, seconds: r.duration, p50: r.latency.p50, p99: r.latency.p99, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts }));
`;

/** What the autocannon child reports (latencies in whole ms). */
export interface AutocannonResult {
  total: number;
  seconds: number;
  p50: number;
  p99: number;
  /** 2xx answers. */
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** Options of one autocannon run (pipelining 1). */
export interface AutocannonOptions {
  readonly url: string;
  readonly connections: number;
  /** Run for this long, unless `amount` is given. */
  readonly seconds?: number;
  /** Send exactly this many requests and wait for every answer. */
  readonly amount?: number;
  /** With N > 1 each request goes to `<url path>-<k>` for a random k < N. */
  readonly ids?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Run autocannon in a child node process (deadline `seconds` + 30 s, 90 s for an amount); `result`
 * is undefined when it printed no result (log `toolFailure('autocannon', run)`).
 */
export async function runAutocannon(o: AutocannonOptions, options: ToolOptions): Promise<{ run: ToolRun; result: AutocannonResult | undefined }> {
  const args = JSON.stringify({ url: o.url, connections: o.connections, duration: o.seconds, amount: o.amount, ids: o.ids, headers: o.headers });
  const run = await runTool([process.execPath, '--input-type=module', '-e', AUTOCANNON_CHILD, args], ((o.seconds ?? 60) + 30) * 1000, options);
  try {
    return { run, result: JSON.parse(run.stdout) as AutocannonResult };
  } catch {
    return { run, result: undefined };
  }
}

/** The installed autocannon's version, from `<root>/node_modules/autocannon/package.json`. */
export function autocannonVersion(root: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules/autocannon/package.json'), 'utf8')) as { version: string }).version;
}
