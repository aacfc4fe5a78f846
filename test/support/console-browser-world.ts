/**
 * The world the console's browser test drives: a control plane with its console (startConsoleWorld:
 * PGlite, the real page registry plus the units a test adds) and everything its pages read, each a
 * real thing: a small fleet with every kind of problem and markup in every host-supplied field,
 * the fleet services with a rollout in progress and three hosts that speak the agent API, a real
 * `vigia logs serve` holding a day of imported access lines, and the SLO demo year reported by
 * `vigia slo report`. Needs the built CLI (dist/).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken, newToken } from '../../src/core/auth.js';
import type { HostReport } from '../../src/core/contracts/host-report.js';
import { writeDemo } from '../../src/slo/demo/generate.js';
import { createLogsClient, type LogsSource } from '../../src/control/console/logs-client.js';
import type { ConsoleDeps } from '../../src/control/console/page.js';
import { createSloRunner, type SloSource } from '../../src/control/console/slo-source.js';
import { startConsoleWorld, type ConsoleWorld } from './console.js';
import { fakeAgent, fleetFor, fleetHandles, publish, type FakeAgent, type FleetHandles } from './console-fleet.js';
import { freePort } from './ports.js';
import { tempDir } from './tmp.js';
import { spawnVigia, VIGIA_BIN, type VigiaChild } from './vigia-process.js';

/** Markup a browser would run if a page let it through: each sets `window.__xss`. */
export const XSS_SCRIPT = '<script>window.__xss=1</script>';
export const XSS_IMG = '<img src=x onerror=window.__xss=1>';
/** A mountpoint holding markup: it reaches the capacity table, the chart's JSON block and uPlot's title. */
export const XSS_MOUNT = `/data/${XSS_IMG}`;
/** A logged URL holding a script. */
export const XSS_URL = `/${XSS_SCRIPT}`;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The running world. */
export interface BrowserWorld {
  readonly w: ConsoleWorld;
  readonly fleet: FleetHandles;
  /** Hosts that speak the agent API (role=runner): fleet runs reach them. */
  readonly agents: readonly FakeAgent[];
  /** The logs page's query for the imported day (`range=custom&from=...&to=...`). */
  readonly logRange: string;
  /** A scratch dir removed at close (token files for the CLI). */
  readonly dir: string;
  close(): Promise<void>;
}

function report(host: string, at: Date, mount: string, usedPct: number, checkState: 'OK' | 'CRITICAL'): HostReport {
  const size = 100e9;
  return {
    v: 1, host, sampled_at: at.toISOString(), interval_seconds: 60, agent: { version: 'test' }, tags: { note: XSS_SCRIPT },
    system: { cpu: { user_pct: 20 + usedPct / 5, system_pct: 5, iowait_pct: 1, steal_pct: 0, idle_pct: 60, cpus: 8 }, load1: 1, load5: 1, load15: 1, mem_total_bytes: 64e9, mem_used_pct: 50, swap_used_pct: 0, uptime_seconds: 86_400, disks: [] },
    devices: [{ mountpoint: mount, device: '/dev/sdb', fstype: 'xfs', role: 'data', read_only: false, size_bytes: size, used_bytes: Math.round(size * usedPct / 100), avail_bytes: Math.round(size * (1 - usedPct / 100)), use_pct: Math.ceil(usedPct), inodes_total: 1000, inodes_used: 10, inode_use_pct: 1, error: null }],
    checks: { release: 1, results: [{ name: 'mysql.replication', state: checkState, output: `lag ${XSS_IMG}`, at: at.toISOString(), duration_ms: 5 }] },
  };
}

/**
 * 233 hosts: db-1 (critical and growing, a failing check), db-2 (critical, a mountpoint holding
 * markup), web-1 and 230 bulk hosts that never reported (silent; three pages of hosts); tags, check
 * output and an audit line holding markup.
 */
async function seedFleet(w: ConsoleWorld): Promise<void> {
  const now = new Date(w.clock.now);
  const week = new Date(now.getTime() - 7 * DAY);
  await w.store.maintainPartitions(now, 90);
  await w.store.enrollHost('db-1', 'sha256:x1', { role: 'mysql', owner: XSS_SCRIPT }, week);
  await w.store.enrollHost('db-2', 'sha256:x2', { role: 'mysql', xss: XSS_IMG }, week);
  await w.store.enrollHost('web-1', 'sha256:x3', { role: 'web' }, week);
  for (let i = 0; i < 230; i++) await w.store.enrollHost(`bulk-${String(i).padStart(3, '0')}`, `sha256:b${i}`, { rack: i % 2 === 0 ? 'a' : 'b' }, week);
  const ids = new Map((await w.handle.query<{ id: number; name: string }>('SELECT id, name FROM hosts')).map((r) => [r.name, r.id]));
  const items = [];
  for (let h = 0; h < 6 * 24; h++) {
    // Hourly for six days, the last one 30 s ago: both hosts report; the bulk hosts never did.
    const at = new Date(now.getTime() - (6 * 24 - 1 - h) * HOUR - 30_000);
    items.push({ hostId: ids.get('db-1')!, receivedAt: at, source: 'push' as const, report: report('db-1', at, '/var/lib/mysql', 80 + h / 10, 'CRITICAL') });
    items.push({ hostId: ids.get('db-2')!, receivedAt: at, source: 'push' as const, report: report('db-2', at, XSS_MOUNT, 85 + h / 20, 'OK') });
  }
  const outcomes = await w.store.ingest(items);
  assert.ok(outcomes.every((o) => o === 'stored'), outcomes.join(','));
  await w.store.audit('ops', 'test.xss', { note: XSS_SCRIPT, img: XSS_IMG });
}

/**
 * A real log collector holding 600 lines of one day (`logDay`, UTC midnight), every fiftieth for
 * XSS_URL; answers the client the logs page asks, as `--logs-server` wires it.
 */
async function startCollector(dir: string, logDay: number): Promise<{ source: LogsSource; child: VigiaChild }> {
  const lines: string[] = [];
  for (let i = 0; i < 600; i++) {
    const ts = new Date(logDay + HOUR + i * 30_000);
    const t = `${String(ts.getUTCDate()).padStart(2, '0')}/${MON[ts.getUTCMonth()]}/${ts.getUTCFullYear()}:${ts.toISOString().slice(11, 19)} +0000`;
    const url = i % 50 === 0 ? XSS_URL : `/shop/${i % 4}`;
    lines.push(`192.0.2.${i % 7} - - [${t}] "GET ${url} HTTP/1.1" ${i % 10 === 0 ? 404 : 200} ${i} "-" "agent"`);
  }
  writeFileSync(join(dir, 'access.log'), `${lines.join('\n')}\n`);
  const imp = spawnSync(process.execPath, [VIGIA_BIN, 'logs', 'import', 'access.log', '--data-dir', 'logs', '--host', 'web-1'], { encoding: 'utf8', timeout: 60_000, cwd: dir });
  assert.equal(imp.status, 0, imp.stderr);
  const token = newToken();
  writeFileSync(join(dir, 'tokens'), `${hashToken(token)} scopes=read name=console\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'shippers'), `${hashToken(newToken())} name=web-1\n`, { mode: 0o600 });
  const port = await freePort();
  const child = await spawnVigia('vigia logs serve', ['logs', 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', 'logs', '--tokens', 'tokens', '--shipper-tokens', 'shippers'], {
    cwd: dir, ready: (c) => c.stderr().includes('log collector listening'), timeoutMs: 60_000,
  });
  return { source: createLogsClient({ url: `http://127.0.0.1:${port}`, token }), child };
}

/** The SLO demo year's specs (one SLO renamed to markup), reported by `vigia slo report` as `--slo-spec` wires it. */
async function sloSource(dir: string): Promise<SloSource> {
  const slos = join(dir, 'slos');
  await writeDemo(slos, { seed: 3 });
  const spec = readFileSync(join(slos, 'slos.yaml'), 'utf8');
  const renamed = spec.replace('displayName: A deploy at least every 3.5 hours', `displayName: "${XSS_IMG} deploys"`);
  assert.notEqual(renamed, spec, 'the demo spec still has the SLO this world renames');
  writeFileSync(join(slos, 'slos.yaml'), renamed);
  return createSloRunner({ command: [process.execPath, VIGIA_BIN], specPaths: [slos], period: '2025' });
}

/** Start the world; `units` as ConsoleDeps.units (the real registry plus a test's own). */
export async function startBrowserWorld(units: NonNullable<ConsoleDeps['units']>): Promise<BrowserWorld> {
  const tmp = tempDir('vigia-console-browser-');
  // The logged day: two days ago, UTC midnight (inside the collector's retention, which runs at its start).
  const logDay = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
  const utcMinute = (t: number): string => new Date(t).toISOString().slice(0, 16);
  const fleet = fleetHandles();
  let collector: VigiaChild | undefined;
  let w: ConsoleWorld | undefined;
  try {
    const [logs, slo] = await Promise.all([startCollector(tmp.dir, logDay), sloSource(tmp.dir)]);
    collector = logs.child;
    w = await startConsoleWorld({ units, logs: logs.source, slo }, undefined, fleetFor(fleet));
    // Release 1 completes at once on the empty fleet; after the hosts, release 2 rolls out in two
    // waves with a soak the frozen clock never reaches, so it stays in progress, in wave 1.
    await publish(fleet.bundles!, 1, 'one', { soak_ms: 0, waves: [100] });
    await fleet.rollouts!.tick();
    await seedFleet(w);
    const agents: FakeAgent[] = [];
    for (let i = 0; i < 3; i++) agents.push(await fakeAgent(w, `runner-${i}`, { role: 'runner' }));
    await publish(fleet.bundles!, 2, 'two', { soak_ms: 3_600_000, waves: [50, 100], auto_rollback: false }, 'one');
    await fleet.rollouts!.tick();
    const world = w;
    const child = collector;
    return {
      w: world, fleet, agents, dir: tmp.dir,
      logRange: `range=custom&from=${encodeURIComponent(utcMinute(logDay))}&to=${encodeURIComponent(utcMinute(logDay + DAY))}`,
      close: async () => {
        await fleet.close();
        await world.close();
        await child.stop();
        tmp.remove();
      },
    };
  } catch (err) {
    await fleet.close().catch(() => {});
    await w?.close().catch(() => {});
    await collector?.stop().catch(() => {});
    tmp.remove();
    throw err;
  }
}
