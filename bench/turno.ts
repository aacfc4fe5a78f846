/**
 * `npm run bench:turno`: throughput and latency of `vigia turno` against baselines on this machine,
 * interleaved in rounds so that noise from other work hits every target alike; ratios are taken per
 * round and reported as medians.
 *
 *   (a) bare node:http, constant body            bench/baselines/bare-http.ts
 *   (b) naive Express 5 + ioredis (defaults)     bench/baselines/naive-express-redis.ts, Redis AOF always
 *   (c) vigia turno --store redis://             Redis AOF appendfsync always
 *   (d) vigia turno --store file:                group-commit fdatasync journal
 *   (e) redis-benchmark -t incr -c 50 -P 1 / 16  Redis AOF appendfsync always (same config as c)
 *
 * Every HTTP target is loaded by wrk (-t1) and by autocannon (in a child process). CPU time of the
 * server, its Redis and the load tool is measured per run (/proc/PID/stat, bash `times`).
 *
 * Flags: --rounds N (3) --duration S (10) --connections N (100) --quick (1 round of 2 s)
 *        --strict (exit 1 on a MISS) --only a,b,c,d,e --cpu-prof DIR (profiles of the turno processes)
 * Prints one table on stdout, progress on stderr. Loopback only; every process and temp dir it
 * starts is removed on exit, on Ctrl-C and on SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { requireBinary } from '../test/support/binaries.js';
import { freePort } from '../test/support/ports.js';
import { startRedis, type TestRedis } from '../test/support/redis.js';
import { tempDir } from '../test/support/tmp.js';
import { VIGIA_BIN } from '../test/support/vigia-process.js';
import { waitFor } from '../test/support/wait.js';
import { installCleanup } from './support/cleanup.js';
import { intFlag, parseBenchArgs, progress } from './support/cli.js';
import { autocannonVersion, runAutocannon, runTool, runWrk, toolFailure, type ToolOptions } from './support/load-tools.js';
import { hostCpu, memTotalGiB, procCpu } from './support/proc.js';
import { fmtInt, fmtMs, fmtPct, fmtRatio, median, table, verdict, version } from './support/report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// ---------------------------------------------------------------------------------------------
// options

const { flags, rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS } = parseBenchArgs({
  usage: 'usage: npm run bench:turno -- [--rounds N] [--duration S] [--connections N] [--quick] [--strict] [--only a,b,c,d,e] [--ids N] [--cpu-prof DIR]',
  options: {
    only: { type: 'string' },
    ids: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
  connections: { default: 100, max: 10_000 },
});
const EXACT_AMOUNT = flags.quick ? 1000 : 2000;
/** Ids per run: 1 = one hot id (the default); N = each request picks one of N ids at random. */
const IDS = intFlag('ids', flags.ids, 1, 100_000);
const P99_TARGET_MS = 15;
type TargetKey = 'a' | 'b' | 'c' | 'd' | 'e';
const ONLY = new Set<TargetKey>(((flags.only ?? 'a,b,c,d,e').split(',').map((s) => s.trim()) as TargetKey[]).filter((k) => ['a', 'b', 'c', 'd', 'e'].includes(k)));
const CPU_PROF_DIR = flags['cpu-prof'];

// ---------------------------------------------------------------------------------------------
// everything started here, so that exit (normal, Ctrl-C, SIGTERM, exception) removes it

const cleanup = installCleanup({ signalMessage: 'stopping every process and removing temp dirs', log: progress });
const servers = cleanup.children;
const redises: TestRedis[] = [];
cleanup.onKill(() => {
  for (const r of redises) {
    try {
      if (r.pid > 0) process.kill(r.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(r.dir, { recursive: true, force: true });
  }
  redises.length = 0;
});
const dirs = cleanup.dirs;
/** Load tools run from the repository root, their CPU time measured (bash `times`). */
const TOOL: ToolOptions = { cwd: ROOT, groups: cleanup.groups, cpuTimes: true };

// ---------------------------------------------------------------------------------------------
// CPU accounting

const NCPU = availableParallelism();

/** CPU used during one run, in % of one core (200 % = both cores of this machine). */
interface CpuUse {
  server: number;
  redis: number;
  load: number;
  host: number;
  steal: number;
  /** host minus server, redis and load tool: unattributed kernel work (softirq) and other sessions. */
  rest: number;
}

function cpuMeter(serverPid: number | undefined, redisPid: number | undefined): (loadCpuSeconds: number) => CpuUse {
  const t0 = process.hrtime.bigint();
  const s0 = procCpu(serverPid);
  const r0 = procCpu(redisPid);
  const h0 = hostCpu();
  return (loadCpuSeconds) => {
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const h1 = hostCpu();
    const dt = h1.total - h0.total || 1;
    const use = {
      server: ((procCpu(serverPid) - s0) / wall) * 100,
      redis: ((procCpu(redisPid) - r0) / wall) * 100,
      load: (loadCpuSeconds / wall) * 100,
      host: ((h1.busy - h0.busy) / dt) * NCPU * 100,
      steal: ((h1.steal - h0.steal) / dt) * NCPU * 100,
      rest: 0,
    };
    use.rest = use.host - (use.server || 0) - (use.redis || 0) - (use.load || 0);
    return use;
  };
}

// ---------------------------------------------------------------------------------------------
// load runs

/** One measured load run. */
interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  /** 2xx answers. */
  ok: number;
  bad: number;
  cpu: CpuUse;
}

const failed = (cpu: CpuUse): LoadResult => ({ rps: NaN, p50: NaN, p99: NaN, ok: 0, bad: NaN, cpu });

/** With --ids N, wrk picks `<path>-<k>` for a random k < N per request (the URL's path is the prefix). */
let wrkScript: string | undefined;
function wrkIdsScript(): string[] {
  if (IDS === 1) return [];
  if (!wrkScript) {
    const dir = tempDir('vigia-bench-wrk-');
    process.on('exit', dir.remove);
    wrkScript = join(dir.dir, 'ids.lua');
    writeFileSync(wrkScript, `local n = ${IDS}\nrequest = function() return wrk.format("GET", wrk.path .. "-" .. math.random(0, n - 1)) end\n`);
  }
  return ['-s', wrkScript];
}

async function measureWrk(url: string, seconds: number, meter: ReturnType<typeof cpuMeter>): Promise<LoadResult> {
  const { run, result: w, ok } = await runWrk({ bin: requireBinary('wrk'), url, connections: CONNECTIONS, seconds, args: wrkIdsScript() }, TOOL);
  const cpu = meter(run.cpu);
  if (!ok) {
    progress(toolFailure('wrk', run));
    return failed(cpu);
  }
  return { rps: w.rps, p50: w.p50, p99: w.p99, ok: w.total - w.non2xx, bad: w.non2xx + w.socketErrors, cpu };
}

async function measureAutocannon(url: string, opts: { seconds?: number; amount?: number }, meter: ReturnType<typeof cpuMeter>): Promise<LoadResult> {
  const { run, result: j } = await runAutocannon({ url, connections: CONNECTIONS, seconds: opts.seconds, amount: opts.amount, ids: IDS }, TOOL);
  const cpu = meter(run.cpu);
  if (!j) {
    progress(toolFailure('autocannon', run));
    return failed(cpu);
  }
  return { rps: j.total / j.seconds, p50: j.p50, p99: j.p99, ok: j.ok, bad: j.non2xx + j.errors + j.timeouts, cpu };
}

// ---------------------------------------------------------------------------------------------
// targets

interface Server {
  url: string;
  pid: () => number | undefined;
  stop: () => Promise<void>;
}

/** Spawn a node script (`node NODE_ARGS... SCRIPT ARGS...`) and wait until it prints its URL. */
async function startNode(nodeArgs: readonly string[], script: string, args: (port: number) => readonly string[]): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, script, ...args(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(`${script} on ${port}`, () => {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}: ${err}`);
    return out.includes('listening on');
  }, 20_000);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: () => child.pid,
    stop: () => stopChild(child),
  };
}

const startBaseline = (script: string, args: readonly string[]): Promise<Server> => startNode(['--import', 'tsx'], script, (port) => ['--port', String(port), ...args]);

/**
 * The built binary, as test/support/turno-process.ts runs it, plus node flags (startTurno takes none,
 * and node refuses --cpu-prof in NODE_OPTIONS).
 */
const startVigiaTurno = (store: string): Promise<Server> =>
  startNode(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [], VIGIA_BIN, (port) => ['turno', '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', '--store', store]);

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
  servers.delete(child);
}

async function newRedis(): Promise<TestRedis> {
  const r = await startRedis({ appendfsync: 'always' });
  redises.push(r);
  return r;
}

async function stopRedis(r: TestRedis): Promise<void> {
  await r.stop();
  redises.splice(redises.indexOf(r), 1);
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

// ---------------------------------------------------------------------------------------------
// main

type HttpKey = 'a' | 'b' | 'c' | 'd';
type Tool = 'wrk' | 'autocannon';
const TOOLS: readonly Tool[] = ['wrk', 'autocannon'];
const LABELS: Record<HttpKey, string> = {
  a: '(a) bare node:http, constant body',
  b: '(b) naive express5+ioredis, AOF always',
  c: '(c) vigia turno redis://, AOF always',
  d: '(d) vigia turno file:, group fdatasync',
};

interface HttpTarget {
  key: HttpKey;
  server: Server;
  redis?: TestRedis;
  /** Check counters against 200 answers after each run. */
  check: boolean;
}

interface CheckRecord {
  key: HttpKey;
  what: string;
  counter: number;
  ok: number;
  /** counter - ok: requests the server counted but the tool did not (in flight when it stopped). */
  diff: number;
  exact: boolean;
  pass: boolean;
}

async function main(): Promise<void> {
  const wrkBin = requireBinary('wrk');
  const benchBin = requireBinary('redis-benchmark');
  const started = new Date();
  const machine = [
    `date        ${started.toISOString()}`,
    `machine     ${NCPU} CPUs (nproc ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()}), ${cpus()[0]?.model ?? '?'}, ${memTotalGiB()} GiB, Linux ${release()}, load avg ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `software    node ${process.version}, redis-server ${version('redis-server', ['--version'], /v=(\S+)/)}, ${version(wrkBin, ['--version'], /(wrk \S+)/)}, autocannon ${autocannonVersion(ROOT)}`,
    `settings    ${ROUNDS} round(s) x ${DURATION} s per run, ${CONNECTIONS} connections, ${IDS === 1 ? 'one id per run (hot id)' : `${IDS} ids per run, picked at random per request`}; wrk -t1 -c${CONNECTIONS} -d${DURATION}s --latency; autocannon pipelining 1 in a child process; redis-benchmark -t incr -c 50 -q --csv`,
  ];
  progress(machine.join('\n              '));

  // Start every target once; they idle while another one is measured.
  const targets: HttpTarget[] = [];
  let redisE: TestRedis | undefined;
  if (ONLY.has('a')) targets.push({ key: 'a', server: await startBaseline('bench/baselines/bare-http.ts', []), check: false });
  if (ONLY.has('b')) {
    const redis = await newRedis();
    targets.push({ key: 'b', server: await startBaseline('bench/baselines/naive-express-redis.ts', ['--redis', redis.url]), redis, check: false });
  }
  if (ONLY.has('c')) {
    const redis = await newRedis();
    targets.push({ key: 'c', server: await startVigiaTurno(redis.url), redis, check: true });
  }
  if (ONLY.has('d')) {
    const dir = tempDir('vigia-bench-file-');
    dirs.push(dir);
    targets.push({ key: 'd', server: await startVigiaTurno(`file:${dir.dir}/turno.journal`), check: true });
  }
  if (ONLY.has('e')) redisE = await newRedis();
  progress(`started ${targets.map((t) => t.key).join(', ')}${redisE ? ', e' : ''}`);

  // Warm-up (JIT, connection pools), not measured.
  for (const t of targets) {
    await runTool([wrkBin, '-t1', `-c${CONNECTIONS}`, `-d${flags.quick ? 1 : 2}s`, `${t.server.url}/turno/warmup`], 40_000, TOOL);
  }

  // redis-benchmark has no duration: size -n from the last measured rate to last about DURATION s.
  const benchRate: Record<'1' | '16', number> = { '1': 20_000, '16': 200_000 };
  if (redisE) {
    for (const p of ['1', '16'] as const) {
      const r = await runTool([benchBin, '-p', String(redisE.port), '-t', 'incr', '-c', '50', '-n', String(p === '1' ? 20_000 : 200_000), '-q', '--csv', '-P', p], 60_000, TOOL);
      const rps = Number(/"INCR","([\d.]+)"/.exec(r.stdout)?.[1]);
      if (Number.isFinite(rps) && rps > 0) benchRate[p] = rps;
    }
  }

  const http: Record<HttpKey, Record<Tool, LoadResult[]>> = {
    a: { wrk: [], autocannon: [] },
    b: { wrk: [], autocannon: [] },
    c: { wrk: [], autocannon: [] },
    d: { wrk: [], autocannon: [] },
  };
  const bench: Record<'1' | '16', { rps: number; p50: number; p99: number; cpu: CpuUse }[]> = { '1': [], '16': [] };
  const checks: CheckRecord[] = [];

  const runHttp = async (t: HttpTarget, tool: Tool, round: number): Promise<void> => {
    const id = `${t.key}-r${round}-${tool}`;
    const url = `${t.server.url}/turno/${id}`;
    const meter = cpuMeter(t.server.pid(), t.redis?.pid);
    const r = tool === 'wrk' ? await measureWrk(url, DURATION, meter) : await measureAutocannon(url, { seconds: DURATION }, meter);
    http[t.key][tool].push(r);
    progress(
      `round ${round}/${ROUNDS} ${LABELS[t.key]} ${tool}: ${fmtInt(r.rps)} req/s p50 ${fmtMs(r.p50)} ms p99 ${fmtMs(r.p99)} ms, non-2xx/errors ${fmtInt(r.bad)}; ` +
        `cpu % server ${fmtPct(r.cpu.server)} redis ${fmtPct(r.cpu.redis)} ${tool} ${fmtPct(r.cpu.load)} host ${fmtPct(r.cpu.host)}/${NCPU * 100} (rest ${fmtPct(r.cpu.rest)}) steal ${fmtPct(r.cpu.steal)}`,
    );
    if (t.check) await check(t, id, r.ok, false);
  };

  const check = async (t: HttpTarget, id: string, ok: number, exact: boolean): Promise<void> => {
    // One more GET per id: it answers counter+1, so the counter before it is turno-1.
    let counter = 0;
    for (const name of IDS === 1 ? [id] : Array.from({ length: IDS }, (_, k) => `${id}-${k}`)) {
      const res = await getJson(`${t.server.url}/turno/${name}`);
      const turno = (res.body as { turno?: number } | undefined)?.turno;
      counter += res.status === 200 && typeof turno === 'number' ? turno - 1 : NaN;
    }
    const diff = counter - ok;
    // A duration-bound tool stops with up to one request per connection in flight: the server counts
    // it, the tool does not. An amount-bound run waits for every answer, so the two must be equal.
    const pass = exact ? diff === 0 : diff >= 0 && diff <= CONNECTIONS;
    checks.push({ key: t.key, what: id, counter, ok, diff, exact, pass });
    progress(`check ${id}: counter ${counter}, 200 answers ${ok}, difference ${diff} (${exact ? 'must be 0' : `0..${CONNECTIONS} in flight at stop`}) ${pass ? 'OK' : 'FAIL'}`);
  };

  const runBench = async (p: '1' | '16', round: number): Promise<void> => {
    const n = Math.max(10_000, Math.min(100_000_000, Math.round(benchRate[p] * DURATION)));
    const meter = cpuMeter(undefined, redisE!.pid);
    const r = await runTool([benchBin, '-p', String(redisE!.port), '-t', 'incr', '-c', '50', '-n', String(n), '-q', '--csv', '-P', p], (DURATION * 5 + 60) * 1000, TOOL);
    const cpu = meter(r.cpu);
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    const m = /"INCR","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)"/.exec(r.stdout);
    const res = m ? { rps: Number(m[1]), p50: Number(m[4]), p99: Number(m[6]), cpu } : { rps: NaN, p50: NaN, p99: NaN, cpu };
    if (!m) progress(toolFailure('redis-benchmark', r));
    if (Number.isFinite(res.rps) && res.rps > 0) benchRate[p] = res.rps;
    bench[p].push(res);
    progress(
      `round ${round}/${ROUNDS} (e) redis-benchmark INCR -c 50 -P ${p} -n ${n}: ${fmtInt(res.rps)} req/s p50 ${fmtMs(res.p50)} ms p99 ${fmtMs(res.p99)} ms; ` +
        `cpu % redis ${fmtPct(cpu.redis)} redis-benchmark ${fmtPct(cpu.load)} host ${fmtPct(cpu.host)}/${NCPU * 100} (rest ${fmtPct(cpu.rest)}) steal ${fmtPct(cpu.steal)}`,
    );
  };

  // Interleave: every round runs every target once per tool; the order rotates between rounds and
  // the tool order alternates, so a noisy minute does not always hit the same target.
  const order: TargetKey[] = [...targets.map((t) => t.key), ...(redisE ? (['e'] as const) : [])];
  for (let round = 1; round <= ROUNDS; round++) {
    const rotated = order.map((_, i) => order[(i + round - 1) % order.length]!);
    const tools = round % 2 ? TOOLS : [...TOOLS].reverse();
    for (const key of rotated) {
      if (key === 'e') {
        for (const p of round % 2 ? (['1', '16'] as const) : (['16', '1'] as const)) {
          await runBench(p, round);
          await sleep(500);
        }
        continue;
      }
      const t = targets.find((x) => x.key === key)!;
      for (const tool of tools) {
        await runHttp(t, tool, round);
        await sleep(500);
      }
      if (t.check) {
        // Exact check: a fixed number of requests, every answer awaited.
        const id = `${t.key}-r${round}-exact`;
        const r = await measureAutocannon(`${t.server.url}/turno/${id}`, { amount: EXACT_AMOUNT }, cpuMeter(undefined, undefined));
        await check(t, id, r.ok, true);
        if (r.ok !== EXACT_AMOUNT) progress(`check ${id}: autocannon got ${r.ok} 2xx of ${EXACT_AMOUNT} (non-2xx/errors ${r.bad})`);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // report

  const rows: string[][] = [['target', 'tool', 'req/s', 'p50 ms', 'p99 ms', `p99<=${P99_TARGET_MS}ms`, 'cpu% srv/redis/tool/rest', 'cpu us/req', 'non-2xx+err']];
  // CPU time the server (or, for e, redis-server) spends per answered request: the capacity model's input.
  const usPerReq = (rs: readonly LoadResult[] | readonly { rps: number; cpu: CpuUse }[], f: 'server' | 'redis'): string =>
    fmtMs(median(rs.map((r) => (r.cpu[f] / 100 / r.rps) * 1e6)));
  const misses: string[] = [];
  for (const t of targets) {
    for (const tool of TOOLS) {
      const rs = http[t.key][tool];
      const p99 = median(rs.map((r) => r.p99));
      const ok = Number.isFinite(p99) ? p99 <= P99_TARGET_MS : false;
      // The latency target is vigia's; baselines show theirs in parentheses and never count as a miss.
      const baseline = t.key === 'a' || t.key === 'b';
      if (!ok && !baseline) misses.push(`${t.key} p99 ${tool}`);
      const cpu = (f: keyof CpuUse): string => fmtPct(median(rs.map((r) => r.cpu[f])));
      rows.push([LABELS[t.key], tool, fmtInt(median(rs.map((r) => r.rps))), fmtMs(median(rs.map((r) => r.p50))), fmtMs(p99), baseline ? `(${verdict(ok)})` : verdict(ok), `${cpu('server')}/${t.redis ? cpu('redis') : '-'}/${cpu('load')}/${cpu('rest')}`, usPerReq(rs, 'server'), fmtInt(rs.reduce((s, r) => s + r.bad, 0))]);
    }
  }
  for (const p of ['1', '16'] as const) {
    const rs = bench[p];
    if (rs.length === 0) continue;
    const cpu = (f: keyof CpuUse): string => fmtPct(median(rs.map((r) => r.cpu[f])));
    rows.push([`(e) redis-benchmark INCR -c50 -P${p}, AOF always`, 'redis-bench', fmtInt(median(rs.map((r) => r.rps))), fmtMs(median(rs.map((r) => r.p50))), fmtMs(median(rs.map((r) => r.p99))), '-', `-/${cpu('redis')}/${cpu('load')}/${cpu('rest')}`, `${usPerReq(rs, 'redis')} redis`, '-']);
  }
  rows.push(['ratio (median of per-round ratios)', 'tool', 'ratio', 'target', '', 'verdict', '', '', '']);
  const ratio = (name: string, num: (r: number, tool: Tool) => number, den: (r: number, tool: Tool) => number, min: number): void => {
    for (const tool of TOOLS) {
      const per = Array.from({ length: ROUNDS }, (_, r) => num(r, tool) / den(r, tool));
      if (!per.some((x) => Number.isFinite(x))) return; // a target left out with --only
      const v = median(per);
      const ok = Number.isFinite(v) ? v >= min : undefined;
      if (ok !== true) misses.push(`${name} ${tool}`);
      rows.push([`${name}  (per round: ${per.map(fmtRatio).join(' ')})`, tool, fmtRatio(v), `>= ${min}`, '', verdict(ok), '', '', '']);
    }
  };
  const rps = (k: HttpKey) => (r: number, tool: Tool): number => http[k][tool][r]?.rps ?? NaN;
  ratio('c/a', rps('c'), rps('a'), 0.9);
  ratio('c/b', rps('c'), rps('b'), 4);
  ratio('d/a', rps('d'), rps('a'), 0.9);
  ratio('e16/c', (r) => bench['16'][r]?.rps ?? NaN, rps('c'), 10);

  const checkLines: string[] = [];
  for (const key of ['c', 'd'] as const) {
    const cs = checks.filter((c) => c.key === key);
    if (cs.length === 0) continue;
    const timed = cs.filter((c) => !c.exact);
    const exact = cs.filter((c) => c.exact);
    const pass = cs.every((c) => c.pass);
    if (!pass) misses.push(`correctness ${key}`);
    const diffs = timed.map((c) => c.diff);
    checkLines.push(
      `correctness (${key}): ${pass ? 'PASS' : 'FAIL'}  ${timed.length} timed runs: counter - 200 answers in [${Math.min(...diffs)}, ${Math.max(...diffs)}] (allowed 0..${CONNECTIONS}: in flight when the tool stopped); ` +
        `${exact.length} runs of exactly ${EXACT_AMOUNT} requests: counter == 200 answers ${exact.filter((c) => c.pass).length}/${exact.length}`,
    );
  }

  const out = [
    `vigia turno benchmark`,
    ...machine,
    '',
    table(rows, [false, false, true, true, true, false, true, true, true]),
    '',
    ...checkLines,
    `cpu% = % of one core during the run (of ${NCPU * 100}); rest = host busy minus server, redis and tool: kernel softirq and other sessions; cpu us/req = server (for e: redis-server) CPU time per answer; all medians over rounds.`,
    `(b), (c) and (e) each use their own redis-server with the same config: --appendonly yes --appendfsync always. autocannon reports latency in whole ms.`,
    misses.length ? `MISS: ${misses.join(', ')}` : 'all targets PASS',
  ];
  process.stdout.write(out.join('\n') + '\n');

  progress('stopping');
  for (const t of targets) await t.server.stop();
  for (const r of [...redises]) await stopRedis(r);
  for (const d of dirs.splice(0)) d.remove();
  if (flags.strict && misses.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  cleanup.killAllSync();
  process.exit(1);
});
