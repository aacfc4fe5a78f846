/**
 * `npm run bench:agent`: throughput and latency of `vigia agent`'s /v1/devices and /metrics against
 * Prometheus' node_exporter /metrics on the same machine, with N extra mounts (default 50 ext4 loop
 * filesystems), plus the agent's idle CPU and RSS.
 *
 *   (a) vigia agent GET /v1/devices            JSON, one entry per device
 *   (m) vigia agent GET /metrics               node_exporter-compatible exposition + vigia_agent_*
 *   (n) node_exporter GET /metrics             Debian's prometheus-node-exporter, collectors
 *                                              filesystem, cpu, stat, diskstats, meminfo, loadavg
 *
 * Each target is loaded by wrk (-t1, latency to the microsecond) and autocannon (child process,
 * whole-ms latency) at fixed connections, interleaved in rounds with the order rotating; ratios are
 * taken per round and reported as medians. Idle: with nobody scraping, CPU time (utime+stime from
 * /proc/PID/stat) over --idle-seconds in % of one core, and VmRSS, of the agent and node_exporter.
 *
 * Targets: p99 of (a) < 5 ms with 50 mounts (wrk, median over rounds); agent idle CPU < 0.5 % of a
 * core; agent RSS < 80 MB (idle, before and after the load).
 *
 * Flags: --rounds N (3) --duration S (10) --connections N (10) --mounts N (50) --mount-kind ext4|tmpfs
 *        --idle-seconds S (30) --quick (1 round x 2 s, idle 10 s) --strict (exit 1 on a MISS)
 *        --node-options TEXT (the agent's NODE_OPTIONS; default the shipped "--max-semi-space-size=1",
 *        '' for node's defaults)
 * One table on stdout, progress on stderr. Loopback only; every mount, loop device, process and temp
 * dir it creates is removed on exit, on an exception, on Ctrl-C and on SIGTERM.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MOUNT_POINTS_EXCLUDE } from '../src/agent/collectors/filesystem-filter.js';
import { startAgent, type AgentProcess } from '../test/support/agent-process.js';
import { requireBinary } from '../test/support/binaries.js';
import { cleanupAllLoopFs, createLoopFs, type LoopFs } from '../test/support/loop-fs.js';
import { NODE_EXPORTER_BIN, parseExposition, startNodeExporter, type NodeExporter } from '../test/support/node-exporter.js';
import { tempDir } from '../test/support/tmp.js';
import { installCleanup } from './support/cleanup.js';
import { intFlag, parseBenchArgs, progress } from './support/cli.js';
import { autocannonVersion, runAutocannon, runTool, runWrk, toolFailure, type ToolOptions } from './support/load-tools.js';
import { memTotalGiB, procCpu, procMem } from './support/proc.js';
import { fmtFixed, fmtInt, fmtMs, fmtPct, fmtRatio, median, table, verdict, version } from './support/report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// ---------------------------------------------------------------------------------------------
// options

const { flags, rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS } = parseBenchArgs({
  usage: 'usage: npm run bench:agent -- [--rounds N] [--duration S] [--connections N] [--mounts N] [--mount-kind ext4|tmpfs] [--idle-seconds S] [--node-options TEXT] [--quick] [--strict]',
  options: {
    mounts: { type: 'string' },
    'mount-kind': { type: 'string' },
    'idle-seconds': { type: 'string' },
    'node-options': { type: 'string' },
  },
  connections: { default: 10, max: 1000 },
});
const MOUNTS = intFlag('mounts', flags.mounts, 50, 200, 0);
const IDLE_SECONDS = intFlag('idle-seconds', flags['idle-seconds'], flags.quick ? 10 : 30, 3600);
const MOUNT_KIND = flags['mount-kind'] ?? 'ext4';
if (MOUNT_KIND !== 'ext4' && MOUNT_KIND !== 'tmpfs') {
  process.stderr.write(`bench: --mount-kind must be ext4 or tmpfs, got "${MOUNT_KIND}"\n`);
  process.exit(2);
}
/** NODE_OPTIONS for the agent: by default what deploy/agent (Dockerfile, systemd unit) ships. */
const NODE_OPTIONS = flags['node-options'] ?? '--max-semi-space-size=1';
const P99_TARGET_MS = 5;
const IDLE_CPU_TARGET_PCT = 0.5;
const RSS_TARGET_MB = 80;
/** node_exporter collectors covering what the agent's /metrics exposes (its node_* part). */
const NE_COLLECTORS = ['filesystem', 'cpu', 'stat', 'diskstats', 'meminfo', 'loadavg'];

// ---------------------------------------------------------------------------------------------
// everything started here, so that exit (normal, Ctrl-C, SIGTERM, exception) removes it

const cleanup = installCleanup({ signalMessage: 'stopping every process, unmounting, removing temp dirs', log: progress });
const children = cleanup.children;
const tmpfsMounts = cleanup.mounts;
cleanup.onKill(cleanupAllLoopFs);
const dirs = cleanup.dirs;
/** Load tools run from the repository root; the servers' CPU comes from /proc, not from the tool. */
const TOOL: ToolOptions = { cwd: ROOT, groups: cleanup.groups };

const NCPU = availableParallelism();
const fmt1 = (n: number): string => fmtFixed(n, 1);
/** Idle CPU is a fraction of a percent of a core: two decimals. */
const fmtPct2 = (n: number): string => fmtPct(n, 2);

// ---------------------------------------------------------------------------------------------
// load runs

/** One measured load run. */
interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  bad: number;
  /** Server CPU in % of one core during the run. */
  cpu: number;
}

const authHeader = (token: string | undefined): string[] => (token ? ['-H', `Authorization: Bearer ${token}`] : []);

async function measureWrk(url: string, token: string | undefined, pid: number, connections: number): Promise<LoadResult> {
  const t0 = performance.now();
  const c0 = procCpu(pid);
  const { run, result: w, ok } = await runWrk({ bin: requireBinary('wrk'), url, connections, seconds: DURATION, args: authHeader(token) }, TOOL);
  const cpu = ((procCpu(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
  if (!ok) progress(toolFailure('wrk', run));
  return { rps: w.rps, p50: w.p50, p99: w.p99, bad: w.non2xx + w.socketErrors, cpu };
}

async function measureAutocannon(url: string, token: string | undefined, pid: number): Promise<LoadResult> {
  const t0 = performance.now();
  const c0 = procCpu(pid);
  const { run, result: j } = await runAutocannon({ url, connections: CONNECTIONS, seconds: DURATION, headers: token ? { authorization: `Bearer ${token}` } : {} }, TOOL);
  const cpu = ((procCpu(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
  if (!j) {
    progress(toolFailure('autocannon', run));
    return { rps: NaN, p50: NaN, p99: NaN, bad: NaN, cpu };
  }
  return { rps: j.total / j.seconds, p50: j.p50, p99: j.p99, bad: j.non2xx + j.errors + j.timeouts, cpu };
}

// ---------------------------------------------------------------------------------------------
// mounts

async function createMounts(n: number): Promise<string[]> {
  const base = tempDir('vigia-bench-mounts-');
  dirs.push(base);
  const points: string[] = [];
  for (let i = 0; i < n; i++) {
    const mp = join(base.dir, `m${String(i).padStart(3, '0')}`);
    if (MOUNT_KIND === 'tmpfs') {
      mkdirSync(mp);
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', `vigia-bench-${i}`, mp], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mount tmpfs on ${mp}: ${r.stderr.trim()}`);
      tmpfsMounts.push(mp);
    } else {
      const fs: LoopFs = createLoopFs({ fstype: 'ext4', sizeMiB: 8, mountpoint: mp });
      // a few different fill levels, so values differ between devices
      if (i % 5) fs.fill((i % 5) * 1024 * 1024);
    }
    points.push(mp);
    if ((i + 1) % 10 === 0) progress(`created ${i + 1}/${n} ${MOUNT_KIND} mounts`);
    await sleep(0);
  }
  return points;
}

// ---------------------------------------------------------------------------------------------
// main

type Key = 'a' | 'm' | 'n';
type Tool = 'wrk' | 'autocannon' | 'wrk-c1';
/** wrk and autocannon at --connections; wrk-c1: one connection, the latency of a lone client (a Prometheus scrape, a dashboard). */
const TOOLS: readonly Tool[] = ['wrk', 'autocannon', 'wrk-c1'];
const LABELS: Record<Key, string> = {
  a: '(a) vigia agent /v1/devices',
  m: '(m) vigia agent /metrics',
  n: '(n) node_exporter /metrics',
};

interface Target {
  key: Key;
  url: string;
  token: string | undefined;
  pid: number;
}

interface Idle {
  cpuPct: number;
  rssMin: number;
  rssMax: number;
  anonMax: number;
}

/** CPU (% of one core) and VmRSS of `pids` over `seconds` with nobody scraping; RSS: min and max of 1 s samples. */
async function measureIdle(pids: readonly number[], seconds: number): Promise<Idle[]> {
  const t0 = performance.now();
  const c0 = pids.map((p) => procCpu(p));
  const samples = pids.map(() => [] as { rss: number; anon: number }[]);
  for (let s = 0; s < seconds; s++) {
    await sleep(1000);
    pids.forEach((p, i) => samples[i]!.push(procMem(p)));
  }
  const wall = (performance.now() - t0) / 1000;
  return pids.map((p, i) => ({
    cpuPct: ((procCpu(p) - c0[i]!) / wall) * 100,
    rssMin: Math.min(...samples[i]!.map((x) => x.rss)),
    rssMax: Math.max(...samples[i]!.map((x) => x.rss)),
    anonMax: Math.max(...samples[i]!.map((x) => x.anon)),
  }));
}

async function main(): Promise<void> {
  const wrkBin = requireBinary('wrk');
  const started = new Date();
  const machine = [
    `date        ${started.toISOString()}`,
    `machine     ${NCPU} CPUs, ${cpus()[0]?.model ?? '?'}, ${memTotalGiB()} GiB, Linux ${release()}, load avg ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `software    node ${process.version}, ${version(NODE_EXPORTER_BIN, ['--version'], /(node_exporter, version \S+)/)}, ${version(wrkBin, ['--version'], /(wrk \S+)/)}, autocannon ${autocannonVersion(ROOT)}`,
    `settings    ${MOUNTS} extra ${MOUNT_KIND} mounts; ${ROUNDS} round(s) x ${DURATION} s per run per tool, ${CONNECTIONS} connections; wrk -t1 --latency; autocannon pipelining 1 in a child process; idle window ${IDLE_SECONDS} s; agent NODE_OPTIONS="${NODE_OPTIONS}"; node_exporter collectors ${NE_COLLECTORS.join(',')}`,
  ];
  progress(machine.join('\n              '));

  const mountpoints = await createMounts(MOUNTS);
  // our default mount-points-exclude (upstream's), not Debian's patched one, so both list the same mounts
  const exporter: NodeExporter = await startNodeExporter({ collectors: NE_COLLECTORS, args: [`--collector.filesystem.mount-points-exclude=${DEFAULT_MOUNT_POINTS_EXCLUDE}`] });
  children.add(exporter.child);
  // The production rate limit (20/s per client) would answer the load with 429s: lift it for the bench.
  const agent: AgentProcess = await startAgent(['--rate-limit', '1000000/1000000'], { env: { NODE_OPTIONS } });
  children.add(agent.child);
  dirs.push({ dir: agent.dir, remove: () => rmSync(agent.dir, { recursive: true, force: true }) });
  const agentPid = agent.child.pid!;
  await sleep(1000);
  const memFresh = procMem(agentPid);
  progress(`agent pid ${agentPid} on ${agent.url}, node_exporter pid ${exporter.pid} on ${exporter.url}`);

  // What each endpoint answers: the bench mounts must all be there, or the numbers mean little.
  const devRes = await agent.fetch('/v1/devices');
  const devs = (devRes.body as { devices?: { mountpoint: string; aliases?: { mountpoint: string }[] }[] }).devices ?? [];
  const listed = new Set(devs.flatMap((d) => [d.mountpoint, ...(d.aliases ?? []).map((a) => a.mountpoint)]));
  const missing = mountpoints.filter((m) => !listed.has(m));
  const agentMetrics = await agent.fetch('/metrics');
  const neText = await exporter.scrapeText();
  const fsSeriesCount = (text: string): number => parseExposition(text).filter((s) => s.name === 'node_filesystem_size_bytes').length;
  const sizes = [
    `answers     (a) ${devRes.status}, ${devs.length} devices, ${devRes.text.length.toLocaleString('en-US')} bytes; ` +
      `(m) ${agentMetrics.status}, ${parseExposition(agentMetrics.text).length} samples (${fsSeriesCount(agentMetrics.text)} filesystems), ${agentMetrics.text.length.toLocaleString('en-US')} bytes; ` +
      `(n) ${parseExposition(neText).length} samples (${fsSeriesCount(neText)} filesystems), ${neText.length.toLocaleString('en-US')} bytes`,
  ];
  progress(sizes[0]!);

  // Idle first: nobody has scraped yet except the three requests above. Settle 15 s first: start-up and
  // those requests leave a few seconds of JIT and GC work and idle statfs threads that stop after 10 s;
  // "idle" is what the agent costs between scrapes, after that.
  progress(`idle: settling 15 s, then measuring ${IDLE_SECONDS} s`);
  await sleep(15_000);
  const [idleAgent, idleNe] = await measureIdle([agentPid, exporter.pid], IDLE_SECONDS);
  progress(`idle: agent cpu ${fmtPct2(idleAgent!.cpuPct)} % of a core, rss ${fmt1(idleAgent!.rssMin)}..${fmt1(idleAgent!.rssMax)} MB; node_exporter cpu ${fmtPct2(idleNe!.cpuPct)} %, rss ${fmt1(idleNe!.rssMax)} MB`);

  const targets: Target[] = [
    { key: 'a', url: `${agent.url}/v1/devices`, token: agent.readToken, pid: agentPid },
    { key: 'm', url: `${agent.url}/metrics`, token: agent.readToken, pid: agentPid },
    { key: 'n', url: `${exporter.url}/metrics`, token: undefined, pid: exporter.pid },
  ];

  // Warm-up (JIT), not measured.
  for (const t of targets) await runTool([wrkBin, '-t1', `-c${CONNECTIONS}`, `-d${flags.quick ? 1 : 2}s`, ...authHeader(t.token), t.url], 40_000, TOOL);

  const results: Record<Key, Record<Tool, LoadResult[]>> = {
    a: { wrk: [], autocannon: [], 'wrk-c1': [] },
    m: { wrk: [], autocannon: [], 'wrk-c1': [] },
    n: { wrk: [], autocannon: [], 'wrk-c1': [] },
  };
  for (let round = 1; round <= ROUNDS; round++) {
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]!);
    const tools = round % 2 ? TOOLS : [...TOOLS].reverse();
    for (const t of order) {
      for (const tool of tools) {
        const r = tool === 'autocannon' ? await measureAutocannon(t.url, t.token, t.pid) : await measureWrk(t.url, t.token, t.pid, tool === 'wrk' ? CONNECTIONS : 1);
        results[t.key][tool].push(r);
        progress(`round ${round}/${ROUNDS} ${LABELS[t.key]} ${tool}: ${fmtInt(r.rps)} req/s p50 ${fmtMs(r.p50)} ms p99 ${fmtMs(r.p99)} ms, non-2xx/errors ${fmtInt(r.bad)}, server cpu ${fmt1(r.cpu)} %`);
        await sleep(500);
      }
    }
  }
  await sleep(2000);
  const memAfter = procMem(agentPid);
  const neMemAfter = procMem(exporter.pid);
  // V8 gives the heap grown under load back after ~10 s of quiet (its memory reducer): read it again.
  progress('after the load: waiting 15 s for the heap to settle');
  await sleep(15_000);
  const memSettled = procMem(agentPid);

  // ------------------------------------------------------------------------------------------
  // report

  const misses: string[] = [];
  const rows: string[][] = [['target', 'tool', 'req/s', 'p50 ms', 'p99 ms', 'target', 'verdict', 'srv cpu%', 'cpu us/req', 'non-2xx+err']];
  for (const t of targets) {
    for (const tool of TOOLS) {
      const rs = results[t.key][tool];
      const p99 = median(rs.map((r) => r.p99));
      let tgt = '-';
      let v = '-';
      if (t.key === 'a') {
        // the verdict is wrk's (microsecond resolution); autocannon's whole-ms p99 is a cross-check
        tgt = `p99 < ${P99_TARGET_MS} ms`;
        const ok = Number.isFinite(p99) ? p99 < P99_TARGET_MS : false;
        v = tool === 'wrk' ? verdict(ok) : `(${verdict(ok)})`;
        if (tool === 'wrk-c1') tgt = `(p99 < ${P99_TARGET_MS} ms)`;
        if (tool === 'wrk' && !ok) misses.push('p99 /v1/devices');
      }
      const bad = rs.reduce((s, r) => s + r.bad, 0);
      if (!(bad === 0)) misses.push(`${t.key} ${tool} non-2xx/errors`);
      rows.push([LABELS[t.key], tool === 'wrk-c1' ? 'wrk c=1' : tool, fmtInt(median(rs.map((r) => r.rps))), fmtMs(median(rs.map((r) => r.p50))), fmtMs(p99), tgt, v, fmt1(median(rs.map((r) => r.cpu))), fmtMs(median(rs.map((r) => (r.cpu / 100 / r.rps) * 1e6))), fmtInt(bad)]);
    }
  }
  rows.push(['ratio (median of per-round ratios)', 'tool', 'ratio', '', '', '', '', '', '', '']);
  for (const [name, num, den] of [
    ['m/n: agent /metrics vs node_exporter /metrics, req/s', 'm', 'n'],
    ['a/n: agent /v1/devices vs node_exporter /metrics, req/s', 'a', 'n'],
  ] as const) {
    for (const tool of TOOLS) {
      const per = Array.from({ length: ROUNDS }, (_, r) => (results[num][tool][r]?.rps ?? NaN) / (results[den][tool][r]?.rps ?? NaN));
      rows.push([`${name} (per round: ${per.map(fmtRatio).join(' ')})`, tool, fmtRatio(median(per)), '', '', '', '', '', '', '']);
    }
  }
  rows.push(['idle (no scrapes)', 'process', 'value', '', '', 'target', 'verdict', '', '', '']);
  const idleCpuOk = idleAgent!.cpuPct < IDLE_CPU_TARGET_PCT;
  if (!idleCpuOk) misses.push('idle CPU');
  rows.push([`CPU over ${IDLE_SECONDS} s, % of one core`, 'agent', fmtPct2(idleAgent!.cpuPct), '', '', `< ${IDLE_CPU_TARGET_PCT} %`, verdict(idleCpuOk), '', '', '']);
  rows.push([`CPU over ${IDLE_SECONDS} s, % of one core`, 'node_exp', fmtPct2(idleNe!.cpuPct), '', '', '', '', '', '', '']);
  const rssIdleOk = idleAgent!.rssMax < RSS_TARGET_MB;
  const rssAfterOk = memAfter.rss < RSS_TARGET_MB;
  const rssSettledOk = memSettled.rss < RSS_TARGET_MB;
  if (!rssIdleOk) misses.push('RSS idle');
  if (!rssAfterOk) misses.push('RSS 2 s after load (transient)');
  if (!rssSettledOk) misses.push('RSS 17 s after load');
  rows.push(['VmRSS MB fresh, before any request (RssAnon)', 'agent', `${fmt1(memFresh.rss)} (${fmt1(memFresh.anon)})`, '', '', '', '', '', '', '']);
  rows.push([`VmRSS MB while idle, min..max (RssAnon max)`, 'agent', `${fmt1(idleAgent!.rssMin)}..${fmt1(idleAgent!.rssMax)} (${fmt1(idleAgent!.anonMax)})`, '', '', `< ${RSS_TARGET_MB} MB`, verdict(rssIdleOk), '', '', '']);
  rows.push([`VmRSS MB 2 s after the load (RssAnon; peak VmHWM)`, 'agent', `${fmt1(memAfter.rss)} (${fmt1(memAfter.anon)}; ${fmt1(memAfter.hwm)})`, '', '', `< ${RSS_TARGET_MB} MB`, verdict(rssAfterOk), '', '', '']);
  rows.push([`VmRSS MB 17 s after the load (RssAnon)`, 'agent', `${fmt1(memSettled.rss)} (${fmt1(memSettled.anon)})`, '', '', `< ${RSS_TARGET_MB} MB`, verdict(rssSettledOk), '', '', '']);
  rows.push([`VmRSS MB idle max / after the load (peak VmHWM)`, 'node_exp', `${fmt1(idleNe!.rssMax)} / ${fmt1(neMemAfter.rss)} (${fmt1(neMemAfter.hwm)})`, '', '', '', '', '', '', '']);
  if (missing.length > 0) misses.push(`${missing.length} bench mounts missing from /v1/devices`);

  const out = [
    `vigia agent benchmark`,
    ...machine,
    ...sizes,
    '',
    table(rows, [false, false, true, true, true, false, false, true, true, true]),
    '',
    `bench mounts listed by /v1/devices: ${mountpoints.length - missing.length}/${mountpoints.length}${missing.length ? ` (missing e.g. ${missing.slice(0, 3).join(', ')})` : ''}`,
    `req/s, p50, p99, srv cpu% (server process, % of one core during the run, of ${NCPU * 100}) and cpu us/req (server CPU per answer) are medians over rounds. autocannon reports whole ms.`,
    `MB = 10^6 bytes. VmRSS counts the mapped node binary and libraries (RssFile, shared with other node processes); RssAnon is the agent's own memory. Load tool and servers share ${NCPU} cores: compare ratios, not absolute numbers.`,
    misses.length ? `MISS: ${misses.join(', ')}` : 'all targets PASS',
  ];
  process.stdout.write(out.join('\n') + '\n');

  progress('stopping');
  await agent.stop();
  await exporter.stop();
  children.clear();
  cleanup.killAllSync();
  if (flags.strict && misses.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  cleanup.killAllSync();
  process.exit(1);
});
