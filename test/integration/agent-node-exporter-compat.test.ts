/**
 * The agent's node_exporter-compatible rendering against the real node_exporter (Debian's
 * prometheus-node-exporter), on this machine: the same series from the same /proc, and the same
 * filesystem filter defaults as its --help. Moved out of the unit tests because they run the binary.
 */
import { after, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { requireBinary } from '../support/binaries.js';
import type { HostRoots } from '../../src/agent/model.js';
import { parseExposition, renderNodeMetrics } from '../../src/agent/node-metrics.js';
import { readProcStat } from '../../src/agent/collectors/proc-stat.js';
import { readDiskUdevProperties, readDiskstats } from '../../src/agent/collectors/diskstats.js';
import { readMeminfo } from '../../src/agent/collectors/meminfo.js';
import { readLoadavg } from '../../src/agent/collectors/loadavg.js';
import { DEFAULT_FILESYSTEM_FILTER, DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE } from '../../src/agent/collectors/filesystem-filter.js';

const NODE_EXPORTER = requireBinary('prometheus-node-exporter');

// --- against the real node_exporter, on this machine's /proc -------------------------------------------

let exporter: ChildProcess | undefined;
after(() => {
  exporter?.kill('SIGTERM');
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function scrape(url: string, deadline: number): Promise<string> {
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return await res.text();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const COMPARED = /^node_(cpu_seconds_total|cpu_guest_seconds_total|disk_.*|memory_.*|boot_time_seconds|context_switches_total|intr_total|forks_total|procs_running|procs_blocked|load1|load5|load15)$/;

/**
 * Tolerances between two reads about a scrape apart: counters move while we read them.
 * cpu: 2 s per series; disk counts 5000, bytes 256 MiB, seconds 10 s; memory 5% of MemTotal;
 * context switches/forks 20%; procs_* and load are live gauges, so only their presence is compared.
 */
function tolerance(name: string, memTotal: number): number {
  if (name.startsWith('node_cpu_')) return 2;
  if (name.startsWith('node_disk_')) return /bytes/.test(name) ? 256 * 2 ** 20 : /seconds/.test(name) ? 10 : 5000;
  if (name.startsWith('node_memory_HugePages_')) return 16;
  if (name.startsWith('node_memory_')) return memTotal * 0.05;
  if (name === 'node_boot_time_seconds') return 1;
  return Infinity;
}

test('every node_cpu/node_disk/node_memory/stat/load series of the real node_exporter is rendered by us, and vice versa', { timeout: 30_000 }, async () => {
  const port = await freePort();
  exporter = spawn(NODE_EXPORTER, [
    `--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--web.disable-exporter-metrics',
    '--collector.cpu', '--collector.diskstats', '--collector.meminfo', '--collector.stat', '--collector.loadavg',
  ], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/metrics`;
  await scrape(url, Date.now() + 10_000); // wait until it listens
  const realRoots: HostRoots = { rootfs: '/', procfs: '/proc', sysfs: '/sys', udevData: '/run/udev/data' };
  const [theirs, stat, diskstats, meminfo, loadavg] = await Promise.all([
    scrape(url, Date.now() + 5000), readProcStat(realRoots), readDiskstats(realRoots), readMeminfo(realRoots), readLoadavg(realRoots),
  ]);
  const diskUdev = await readDiskUdevProperties(realRoots, diskstats);
  const ours = renderNodeMetrics({ devices: [], cpu: stat, stat, diskstats, diskUdev, meminfo, loadavg, collectors: [] });
  assert.deepEqual(parseExposition(ours).errors, []);
  const key = (s: { name: string; labels: Record<string, string> }): string => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
  const pick = (text: string): Map<string, { name: string; value: number }> =>
    new Map(parseExposition(text).samples.filter((s) => COMPARED.test(s.name)).map((s) => [key(s), s]));
  const a = pick(theirs);
  const b = pick(ours);
  assert.ok(a.size > 50, `node_exporter gave ${a.size} compared series`);
  assert.deepEqual([...a.keys()].filter((k) => !b.has(k)), [], 'node_exporter series we do not render');
  assert.deepEqual([...b.keys()].filter((k) => !a.has(k)), [], 'series we render that node_exporter does not');
  const memTotal = meminfo.MemTotal ?? 0;
  const off = [...a].filter(([k, s]) => Math.abs(s.value - b.get(k)!.value) > tolerance(s.name, memTotal)).map(([k, s]) => `${k}: ${s.value} vs ${b.get(k)!.value}`);
  assert.deepEqual(off, [], 'values outside tolerance');
});

/**
 * Debian's prometheus-node-exporter patch of the mount-points-exclude default: `run/credentials/.+`
 * becomes `run` and `mnt|media` are added after `sys`. We ship upstream's value; the --help check below
 * undoes exactly this patch, so any other change of node_exporter's default still fails the test.
 */
function debianMountPointsExclude(upstream: string): string {
  return upstream.replace('|run/credentials/.+|sys|', '|run|sys|mnt|media|');
}

describe('DEFAULT_FILESYSTEM_FILTER against node_exporter', () => {
  it('equals the defaults node_exporter prints in --help (mount points: up to Debian\'s run|mnt|media patch)', () => {
    const nodeExporter = NODE_EXPORTER;
    const run = (args: string[]): string => {
      try {
        return execFileSync(nodeExporter, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        // kingpin prints --help/--version to stderr on some versions; be tolerant of either stream.
        const e = err as { stdout?: string; stderr?: string };
        return `${e.stdout ?? ''}${e.stderr ?? ''}`;
      }
    };
    const help = run(['--help']);
    const flag = (name: string): string | undefined => help.match(new RegExp(`--collector\\.filesystem\\.${name}="((?:[^"\\\\]|\\\\.)*)"`))?.[1];
    assert.equal(flag('fs-types-exclude'), DEFAULT_FS_TYPES_EXCLUDE);
    const debian = /debian/i.test(run(['--version']));
    const patched = debianMountPointsExclude(DEFAULT_MOUNT_POINTS_EXCLUDE);
    assert.notEqual(patched, DEFAULT_MOUNT_POINTS_EXCLUDE, 'the Debian patch no longer applies to our default');
    assert.equal(patched, '^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)');
    assert.equal(flag('mount-points-exclude'), debian ? patched : DEFAULT_MOUNT_POINTS_EXCLUDE, `node_exporter (${debian ? 'Debian' : 'upstream'} build) --help`);
    assert.equal(DEFAULT_FILESYSTEM_FILTER.mountPointsExclude.source, new RegExp(DEFAULT_MOUNT_POINTS_EXCLUDE).source);
  });
});
