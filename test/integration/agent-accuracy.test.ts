/**
 * Accuracy of `vigia agent` against references no one here wrote: coreutils df and Prometheus'
 * node_exporter (Debian's build), on real ext4 and xfs filesystems on loop devices filled to known
 * levels (the ext4 one mounted on a path with a space), a tmpfs, and a read-only bind mount.
 *
 * What must agree, and how closely:
 * - /v1/devices vs df -B1: size, used, avail, Use%, inodes total/used and IUse% EXACTLY. df and the
 *   agent read statfs at different instants, so df runs before and after the agent's answer and the
 *   comparison is made only when both df runs agree (retried otherwise; the loop filesystems are
 *   idle, so they agree at once).
 * - /metrics vs node_exporter for node_filesystem_{size,free,avail}_bytes, _files, _files_free,
 *   _readonly, _device_error on the test mounts (ext4, xfs, tmpfs, bind): same label sets, EXACT values
 *   (same sandwich: node_exporter before and after the agent). The set of node_filesystem_* series
 *   over every mount of the host must be identical too (same default excludes).
 * - node_cpu_seconds_total, node_cpu_guest_seconds_total and node_disk_*: identical series sets;
 *   values are monotonic counters
 *   read between two node_exporter scrapes, so each agent value v must satisfy
 *   before - eps <= v <= after + eps, eps = 1e-9 * |v| (float rounding of ticks/100 or ms/1000).
 *   No fixed "a few percent" slack: the bracket is the exact bound for a reader that reads /proc
 *   fresh between the two scrapes. Only iowait/idle get eps += 0.05 s, because the kernel's per-CPU
 *   iowait and idle counters can step backwards under NO_HZ (proc(5): "the value in this field may
 *   decrease") and node_exporter clamps them at its last maximum while a raw reader does not.
 *   node_disk_io_now is a gauge (requests in flight): same series set, value checked to be a
 *   non-negative integer only.
 * - Every node_* family node_exporter exposes with the collectors the agent mirrors (filesystem, cpu,
 *   stat, diskstats, meminfo, loadavg) is exposed by the agent with the same label names, and
 *   node_memory_MemTotal_bytes and node_boot_time_seconds are equal (they do not move).
 * - After more data is written, use_pct moves with df (the answer is not a stale cache).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_MOUNT_POINTS_EXCLUDE } from '../../src/agent/collectors/filesystem-filter.js';
import type { DeviceInfo } from '../../src/agent/model.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { createLoopFs, df, type DfRow, type LoopFs } from '../support/loop-fs.js';
import { parseExposition, seriesKey, seriesMap, startNodeExporter, type NodeExporter, type Sample } from '../support/node-exporter.js';
import { tempDir } from '../support/tmp.js';

const FS_VALUE_METRICS = [
  'node_filesystem_size_bytes',
  'node_filesystem_free_bytes',
  'node_filesystem_avail_bytes',
  'node_filesystem_files',
  'node_filesystem_files_free',
  'node_filesystem_readonly',
  'node_filesystem_device_error',
] as const;

let ext4: LoopFs | undefined;
let xfs: LoopFs | undefined;
/** A tmpfs (no block device: name and device are the mount source). */
let tmpfs = '';
const TMPFS_SOURCE = 'vigia-accuracy-tmpfs';
let bindTarget = '';
let agent: AgentProcess | undefined;
let exporter: NodeExporter | undefined;
const dirs: { remove: () => void }[] = [];
let unmountTmpfs = (): void => undefined;

/** Write enough to bring df's Use% of `fs` to about `pct`; returns df's row afterwards. */
function fillTo(fs: LoopFs, pct: number): DfRow {
  const [row] = df([fs.mountpoint]);
  const want = Math.floor((pct / 100) * (row!.used + row!.avail)) - row!.used;
  // Leave 1 % of the filesystem for metadata blocks the write itself allocates (extent trees, xfs log).
  const bytes = want - Math.ceil((row!.used + row!.avail) / 100);
  if (bytes > 0) fs.fill(bytes);
  const [now] = df([fs.mountpoint]);
  assert.ok(now!.pcent !== null && Math.abs(now!.pcent - pct) <= 3, `fill helper: wanted ~${pct}% on ${fs.mountpoint}, df says ${now!.pcent}%`);
  return now!;
}

async function devices(): Promise<DeviceInfo[]> {
  const res = await agent!.fetch('/v1/devices');
  assert.equal(res.status, 200, `/v1/devices: ${res.text}`);
  return (res.body as { devices: DeviceInfo[] }).devices;
}

async function agentMetrics(): Promise<Sample[]> {
  const res = await agent!.fetch('/metrics');
  assert.equal(res.status, 200, `/metrics: ${res.text.slice(0, 500)}`);
  return parseExposition(res.text);
}

/** df before and after /v1/devices; retried until both df runs agree. */
async function dfSandwich(paths: readonly string[]): Promise<{ rows: DfRow[]; devs: DeviceInfo[] }> {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = df(paths);
    const devs = await devices();
    const after = df(paths);
    try {
      assert.deepEqual(after, before);
      return { rows: before, devs };
    } catch {
      last = `${JSON.stringify(before)} vs ${JSON.stringify(after)}`;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`df never stable across an agent request: ${last}`);
}

/** node_exporter, agent, node_exporter: three scrapes back to back. */
async function scrapeSandwich(): Promise<{ before: Sample[]; agent: Sample[]; after: Sample[]; wallMs: number }> {
  const t0 = performance.now();
  const before = await exporter!.scrape();
  const a = await agentMetrics();
  const after = await exporter!.scrape();
  return { before, agent: a, after, wallMs: performance.now() - t0 };
}

/** The mounts under test, as df and mountinfo name them. */
interface Mount {
  readonly mountpoint: string;
  readonly source: string;
  readonly name: string;
  readonly fstype: string;
}

function mounts(): Mount[] {
  return [
    { mountpoint: ext4!.mountpoint, source: ext4!.device, name: ext4!.name, fstype: 'ext4' },
    { mountpoint: xfs!.mountpoint, source: xfs!.device, name: xfs!.name, fstype: 'xfs' },
    { mountpoint: tmpfs, source: TMPFS_SOURCE, name: TMPFS_SOURCE, fstype: 'tmpfs' },
  ];
}

function loopMountpoints(): string[] {
  return [...mounts().map((m) => m.mountpoint), bindTarget];
}

function fsSeries(samples: readonly Sample[], mountpoints: readonly string[] | null): Map<string, number> {
  return seriesMap(samples, (s) => (FS_VALUE_METRICS as readonly string[]).includes(s.name) && (mountpoints === null || mountpoints.includes(s.labels.mountpoint ?? '')));
}

const mapObj = (m: Map<string, number>): Record<string, number> => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));

/** Check `df` rows against /v1/devices entries, field by field, exactly. */
function assertDevicesMatchDf(rows: readonly DfRow[], devs: readonly DeviceInfo[], fss: readonly Mount[]): void {
  for (const fs of fss) {
    const row = rows.find((r) => r.target === fs.mountpoint);
    assert.ok(row, `df has no row for ${fs.mountpoint}`);
    const dev = devs.find((d) => d.mountpoint === fs.mountpoint);
    assert.ok(dev, `/v1/devices lists no device with mountpoint ${fs.mountpoint}: ${JSON.stringify(devs.map((d) => d.mountpoint))}`);
    const got = {
      device: dev.device,
      name: dev.name,
      fstype: dev.fstype,
      major_minor: dev.major_minor,
      size_bytes: dev.size_bytes,
      used_bytes: dev.used_bytes,
      free_bytes: dev.free_bytes,
      avail_bytes: dev.avail_bytes,
      use_pct: dev.use_pct,
      inodes_total: dev.inodes_total,
      inodes_used: dev.inodes_used,
      inodes_free: dev.inodes_free,
      inode_use_pct: dev.inode_use_pct,
      error: dev.error,
    };
    const want = {
      device: row.source,
      name: fs.name,
      fstype: fs.fstype,
      major_minor: spawnSync('findmnt', ['-no', 'MAJ:MIN', '--mountpoint', fs.mountpoint], { encoding: 'utf8' }).stdout.trim(),
      size_bytes: row.size,
      used_bytes: row.used,
      // df's used is size - free (f_blocks - f_bfree)
      free_bytes: row.size - row.used,
      avail_bytes: row.avail,
      use_pct: row.pcent,
      inodes_total: row.itotal,
      inodes_used: row.iused,
      inodes_free: row.itotal - row.iused,
      inode_use_pct: row.ipcent,
      error: null,
    };
    assert.deepEqual(got, want, `/v1/devices vs df -B1 for ${fs.fstype} on ${fs.mountpoint}`);
  }
}

/** The loop mounts' node_filesystem_* series: agent == node_exporter exactly (when node_exporter is stable). */
async function assertFilesystemMetricsMatch(mountpoints: readonly string[]): Promise<Map<string, number>> {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const s = await scrapeSandwich();
    const b = fsSeries(s.before, mountpoints);
    const a = fsSeries(s.after, mountpoints);
    if (JSON.stringify(mapObj(a)) !== JSON.stringify(mapObj(b))) {
      last = `${JSON.stringify(mapObj(b))} vs ${JSON.stringify(mapObj(a))}`;
      continue;
    }
    // every mount has all seven families in node_exporter's answer, so the comparison is not vacuous
    assert.equal(b.size, mountpoints.length * FS_VALUE_METRICS.length, `node_exporter series for ${mountpoints.join(', ')}: ${JSON.stringify(mapObj(b))}`);
    assert.deepEqual(mapObj(fsSeries(s.agent, mountpoints)), mapObj(b), 'node_filesystem_* on the loop mounts: agent (actual) vs node_exporter (expected)');
    return b;
  }
  throw new Error(`node_exporter's node_filesystem_* never stable across an agent scrape: ${last}`);
}

describe('vigia agent accuracy against df and node_exporter', { timeout: 300_000 }, () => {
  before(async () => {
    const base = tempDir('vigia-accuracy-');
    dirs.push(base);
    // a space in the mountpoint: mountinfo escapes it (\040), df, node_exporter and the agent must not
    ext4 = createLoopFs({ fstype: 'ext4', sizeMiB: 64, mountpoint: join(base.dir, 'ext4 data') });
    xfs = createLoopFs({ fstype: 'xfs', sizeMiB: 320 });
    tmpfs = join(base.dir, 'tmpfs');
    mkdirSync(tmpfs);
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', TMPFS_SOURCE, tmpfs], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mount tmpfs: ${r.stderr}`);
    unmountTmpfs = () => {
      if (spawnSync('umount', [tmpfs]).status !== 0) spawnSync('umount', ['-l', tmpfs]);
    };
    writeFileSync(join(tmpfs, 'five-mib'), Buffer.alloc(5 << 20, 1));
    fillTo(ext4, 25);
    fillTo(xfs, 70);
    // 2000 inodes of ext4's 16384: IUse% well above the empty filesystem's 1 %.
    ext4.touchFiles(2000);
    const bindDir = tempDir('vigia-loopfs-bind-');
    dirs.push(bindDir);
    bindTarget = ext4.bindMount(join(bindDir.dir, 'ro-view'), { readOnly: true });
    // our default mount-points-exclude (upstream's), not Debian's patched one, so both list the same mounts
    exporter = await startNodeExporter({
      collectors: ['filesystem', 'cpu', 'stat', 'diskstats', 'meminfo', 'loadavg'],
      args: [`--collector.filesystem.mount-points-exclude=${DEFAULT_MOUNT_POINTS_EXCLUDE}`],
    });
    // a test makes a few dozen requests in bursts; the production limit (20/s) is not what is tested here
    agent = await startAgent(['--rate-limit', '1000/1000']);
  });

  after(async () => {
    const errors: unknown[] = [];
    for (const step of [() => agent?.stop(), () => exporter?.stop(), () => xfs?.cleanup(), () => ext4?.cleanup(), () => unmountTmpfs(), () => dirs.forEach((d) => d.remove())]) {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) throw errors[0];
  });

  test('/v1/devices equals df -B1 exactly for ext4 and xfs loop filesystems and a tmpfs', async () => {
    const { rows, devs } = await dfSandwich(mounts().map((m) => m.mountpoint));
    // the known fill levels, and ext4's inode use, made it through to df (sanity of the fixture)
    assert.ok(rows[0]!.ipcent! >= 10, `ext4 IUse% ${rows[0]!.ipcent}`);
    assertDevicesMatchDf(rows, devs, mounts());
  });

  test('a bind mount is one device with an alias in /v1/devices', async () => {
    const devs = await devices();
    const holding = devs.filter((d) => d.mountpoint === bindTarget || d.aliases.some((a) => a.mountpoint === bindTarget) || d.device === ext4!.device);
    assert.equal(holding.length, 1, `ext4 device listed ${holding.length} times: ${JSON.stringify(holding)}`);
    const dev = holding[0]!;
    // the filesystem's own mount (first in mountinfo) is the primary; the bind is its alias
    assert.equal(dev.mountpoint, ext4!.mountpoint);
    assert.equal(dev.read_only, false);
    assert.deepEqual(dev.aliases, [{ mountpoint: bindTarget, read_only: true }]);
  });

  test('node_filesystem_* equals node_exporter exactly on the test mounts (bind mount: its own series)', async () => {
    const series = await assertFilesystemMetricsMatch(loopMountpoints());
    // like node_exporter, the bind mount is a series of its own, read-only, with the same sizes
    const bindSize = series.get(seriesKey({ name: 'node_filesystem_size_bytes', labels: { device: ext4!.device, fstype: 'ext4', mountpoint: bindTarget } }));
    const ownSize = series.get(seriesKey({ name: 'node_filesystem_size_bytes', labels: { device: ext4!.device, fstype: 'ext4', mountpoint: ext4!.mountpoint } }));
    assert.ok(bindSize !== undefined && bindSize === ownSize, `bind mount size series ${bindSize} vs ${ownSize}`);
    assert.equal(series.get(seriesKey({ name: 'node_filesystem_readonly', labels: { device: ext4!.device, fstype: 'ext4', mountpoint: bindTarget } })), 1);
    assert.equal(series.get(seriesKey({ name: 'node_filesystem_readonly', labels: { device: ext4!.device, fstype: 'ext4', mountpoint: ext4!.mountpoint } })), 0);
    assert.ok(series.has(seriesKey({ name: 'node_filesystem_avail_bytes', labels: { device: xfs!.device, fstype: 'xfs', mountpoint: xfs!.mountpoint } })));
  });

  test('the set of node_filesystem_* series over every mount equals node_exporter (same default excludes)', async () => {
    let last = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const s = await scrapeSandwich();
      const keys = (xs: Sample[]): string[] => [...fsSeries(xs, null).keys()].sort();
      const b = keys(s.before);
      if (JSON.stringify(b) !== JSON.stringify(keys(s.after))) {
        last = 'mounts changed between node_exporter scrapes';
        continue; // another test mounted or unmounted something meanwhile
      }
      assert.deepEqual(keys(s.agent), b);
      return;
    }
    throw new Error(`node_exporter's mount set never stable: ${last}`);
  });

  test('node_cpu_seconds_total: same series, each agent value between two node_exporter scrapes', async (t) => {
    const s = await scrapeSandwich();
    const pick = (xs: Sample[]): Map<string, number> => seriesMap(xs, (x) => x.name === 'node_cpu_seconds_total' || x.name === 'node_cpu_guest_seconds_total');
    const before = pick(s.before);
    const after = pick(s.after);
    const got = pick(s.agent);
    assert.deepEqual([...got.keys()].sort(), [...before.keys()].sort(), 'node_cpu_seconds_total series set');
    assert.ok(got.size >= 10, `expected >= 10 cpu series (8 modes + 2 guest modes per cpu), got ${got.size}`);
    const bad: string[] = [];
    let maxDev = 0;
    for (const [k, v] of got) {
      const lo = before.get(k)!;
      const hi = after.get(k)!;
      const slack = 1e-9 * Math.abs(v) + (/mode="(iowait|idle)"/.test(k) ? 0.05 : 0);
      maxDev = Math.max(maxDev, Math.abs(v - (lo + hi) / 2));
      if (!(v >= lo - slack && v <= hi + slack)) bad.push(`${k}: agent ${v} outside [${lo}, ${hi}] (slack ${slack})`);
    }
    assert.deepEqual(bad, [], `node_cpu_seconds_total outside the node_exporter bracket (scrapes took ${s.wallMs.toFixed(0)} ms)`);
    assert.ok(maxDev <= s.wallMs / 1000 + 0.05, `largest deviation ${maxDev} s over a ${s.wallMs} ms window`);
    t.diagnostic(`${got.size} cpu series inside the bracket; largest |agent - midpoint| ${maxDev.toFixed(3)} s over a ${s.wallMs.toFixed(0)} ms window`);
  });

  test('node_disk_*: same series, counters between two node_exporter scrapes', async (t) => {
    const s = await scrapeSandwich();
    const pick = (xs: Sample[]): Map<string, number> => seriesMap(xs, (x) => x.name.startsWith('node_disk_'));
    const before = pick(s.before);
    const after = pick(s.after);
    const got = pick(s.agent);
    assert.deepEqual([...got.keys()].sort(), [...before.keys()].sort(), 'node_disk_* series set');
    assert.ok([...got.keys()].some((k) => k.startsWith('node_disk_reads_completed_total{')), 'no node_disk_reads_completed_total series');
    const bad: string[] = [];
    for (const [k, v] of got) {
      const lo = before.get(k)!;
      const hi = after.get(k)!;
      if (k.startsWith('node_disk_io_now{')) {
        if (!(Number.isInteger(v) && v >= 0)) bad.push(`${k}: ${v} is not a request count`);
        continue;
      }
      if (k.startsWith('node_disk_info{')) {
        if (v !== 1) bad.push(`${k}: ${v}, expected 1`);
        continue;
      }
      const slack = 1e-9 * Math.abs(v);
      if (!(v >= lo - slack && v <= hi + slack)) bad.push(`${k}: agent ${v} outside [${lo}, ${hi}]`);
    }
    assert.deepEqual(bad, [], `node_disk_* outside the node_exporter bracket (scrapes took ${s.wallMs.toFixed(0)} ms)`);
    t.diagnostic(`${got.size} node_disk_* series compared over a ${s.wallMs.toFixed(0)} ms window`);
  });

  test('every node_* family of node_exporter is in the agent with the same label names', async () => {
    const s = await scrapeSandwich();
    // node_exporter's own scrape bookkeeping and build info are not host metrics
    const own = /^node_(exporter_build_info|scrape_collector_.*|textfile_.*)$/;
    const families = (xs: Sample[]): Map<string, string> => {
      const m = new Map<string, string>();
      for (const x of xs) if (x.name.startsWith('node_') && !own.test(x.name)) m.set(x.name, Object.keys(x.labels).sort().join(','));
      return m;
    };
    const ne = families(s.before);
    const agentFamilies = families(s.agent);
    const missing = [...ne.keys()].filter((n) => !agentFamilies.has(n));
    assert.deepEqual(missing, [], 'families node_exporter has and the agent lacks');
    const labelDiffs = [...ne].filter(([n, l]) => agentFamilies.get(n) !== l).map(([n, l]) => `${n}: node_exporter {${l}} agent {${agentFamilies.get(n)}}`);
    assert.deepEqual(labelDiffs, [], 'label names per family');
    const value = (xs: Sample[], name: string): number | undefined => xs.find((x) => x.name === name)?.value;
    for (const name of ['node_memory_MemTotal_bytes', 'node_boot_time_seconds']) {
      assert.equal(value(s.agent, name), value(s.before, name), name);
    }
  });

  test('use_pct follows df after more data is written (no stale cache)', async () => {
    const first = await devices();
    const was = first.find((d) => d.mountpoint === ext4!.mountpoint)!.use_pct;
    const wasXfs = first.find((d) => d.mountpoint === xfs!.mountpoint)!.use_pct;
    const rowExt4 = fillTo(ext4!, 60);
    const rowXfs = fillTo(xfs!, 85);
    assert.ok(rowExt4.pcent! > was! + 20 && rowXfs.pcent! > wasXfs! + 10, `df did not move: ext4 ${was}->${rowExt4.pcent}, xfs ${wasXfs}->${rowXfs.pcent}`);
    const { rows, devs } = await dfSandwich(mounts().map((m) => m.mountpoint));
    assertDevicesMatchDf(rows, devs, mounts());
    await assertFilesystemMetricsMatch(loopMountpoints());
  });
});
