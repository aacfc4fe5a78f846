import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Logger } from '../../core/log.js';
import type { DeviceInfo, HostRoots } from '../model.js';
import { parseExposition } from '../node-metrics.js';
import { scrapeNodeMetrics } from '../run.js';
import { COLLECTOR_NAMES, COLLECTORS, metricsCollectors, resolveCollectors, runCollectors, type CollectorName } from './registry.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/host-a', import.meta.url));
const roots: HostRoots = { rootfs: FIXTURE, procfs: `${FIXTURE}/proc`, sysfs: `${FIXTURE}/sys`, udevData: `${FIXTURE}/run/udev/data` };

/** One mounted filesystem, enough for node_filesystem_* series. */
const DEVICE: DeviceInfo = {
  name: 'sda1', device: '/dev/sda1', major_minor: '8:1', mountpoint: '/', fstype: 'ext4', read_only: false, aliases: [], dm_name: null, lvm: null, role: 'other',
  size_bytes: 100, used_bytes: 40, free_bytes: 60, avail_bytes: 50, use_pct: 44, inodes_total: 10, inodes_used: 1, inodes_free: 9, inode_use_pct: 10, error: null,
};
const sources = { roots, devices: async (): Promise<readonly DeviceInfo[]> => [DEVICE] };

/** A logger whose JSON lines are kept for assertions. */
function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

test('the registry: node_exporter names, in name order, each once; all on by default', () => {
  assert.deepEqual(COLLECTOR_NAMES, ['cpu', 'diskstats', 'filesystem', 'loadavg', 'meminfo', 'stat', 'uptime']);
  assert.deepEqual(metricsCollectors(COLLECTOR_NAMES), ['cpu', 'diskstats', 'filesystem', 'loadavg', 'meminfo', 'stat'], 'uptime has no /metrics series (node_exporter has no such collector)');
  for (const c of COLLECTORS) {
    assert.ok(c.defaultEnabled, c.name);
    assert.ok(c.description.length > 10, c.name);
    assert.ok(c.contributes.metrics.length + c.contributes.system.length + c.contributes.report.length > 0, `${c.name} contributes something`);
  }
  const systemKeys = COLLECTORS.flatMap((c) => c.contributes.system);
  assert.equal(new Set(systemKeys).size, systemKeys.length, 'each /v1/system section has one collector');
});

const selections: { name: string; disableDefaults?: boolean; set?: Record<string, boolean>; want: readonly CollectorName[] | { unknown: string[] } }[] = [
  { name: 'nothing given: every default', want: COLLECTOR_NAMES },
  { name: '--no-collector.meminfo', set: { meminfo: false }, want: ['cpu', 'diskstats', 'filesystem', 'loadavg', 'stat', 'uptime'] },
  { name: '--collector.cpu changes nothing (already on)', set: { cpu: true }, want: COLLECTOR_NAMES },
  { name: '--collector.disable-defaults --collector.loadavg --collector.cpu: registry order', disableDefaults: true, set: { loadavg: true, cpu: true }, want: ['cpu', 'loadavg'] },
  { name: '--collector.disable-defaults alone: none', disableDefaults: true, want: [] },
  { name: 'an unknown name is refused, every one of them', set: { cpu: false, cpus: true, netdev: false }, want: { unknown: ['cpus', 'netdev'] } },
];
for (const c of selections) {
  test(`resolveCollectors: ${c.name}`, () => {
    const r = resolveCollectors({ disableDefaults: c.disableDefaults ?? false, set: c.set ?? {} });
    if (Array.isArray(c.want)) assert.deepEqual(r, { ok: true, enabled: c.want });
    else assert.deepEqual(r, { ok: false, unknown: (c.want as { unknown: string[] }).unknown });
  });
}

/** The metric families (scrape lines aside) of an exposition. */
function families(text: string): Set<string> {
  const { samples, errors } = parseExposition(text);
  assert.deepEqual(errors, []);
  return new Set(samples.map((s) => s.name).filter((n) => !n.startsWith('node_scrape_collector_')));
}
const claims = (family: string, prefixes: readonly string[]): boolean => prefixes.some((p) => (p.endsWith('_') ? family.startsWith(p) : family === p));
function scrapeLines(text: string): Record<string, number> {
  return Object.fromEntries(parseExposition(text).samples.filter((s) => s.name === 'node_scrape_collector_success').map((s) => [s.labels.collector, s.value]));
}

test('every family of a full scrape is claimed by exactly one collector, and each collector yields one', async () => {
  const text = await scrapeNodeMetrics(COLLECTOR_NAMES, sources);
  const fams = families(text);
  for (const f of fams) assert.equal(COLLECTORS.filter((c) => claims(f, c.contributes.metrics)).length, 1, f);
  for (const c of COLLECTORS) if (c.contributes.metrics.length > 0) assert.ok([...fams].some((f) => claims(f, c.contributes.metrics)), `${c.name} yields a family`);
  assert.deepEqual(scrapeLines(text), { cpu: 1, diskstats: 1, filesystem: 1, loadavg: 1, meminfo: 1, stat: 1 });
});

for (const name of metricsCollectors(COLLECTOR_NAMES)) {
  test(`--no-collector.${name} removes its families and scrape line from /metrics, and nothing else`, async () => {
    const full = families(await scrapeNodeMetrics(COLLECTOR_NAMES, sources));
    const text = await scrapeNodeMetrics(COLLECTOR_NAMES.filter((n) => n !== name), sources);
    const without = families(text);
    const mine = collectorSpecMetrics(name);
    assert.deepEqual([...without].filter((f) => claims(f, mine)), [], 'none of its families left');
    assert.deepEqual([...full].filter((f) => !claims(f, mine) && !without.has(f)), [], 'every other family still there');
    assert.ok(!(name in scrapeLines(text)));
  });
}
function collectorSpecMetrics(name: CollectorName): readonly string[] {
  return COLLECTORS.find((c) => c.name === name)!.contributes.metrics;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('a failing collector is logged with its name and error and scrapes success 0; the others still answer', async () => {
  // A procfs without stat: the cpu and stat collectors fail, meminfo, loadavg and diskstats do not.
  const procfs = mkdtempSync(join(tmpdir(), 'vigia-registry-'));
  dirs.push(procfs);
  for (const f of ['meminfo', 'loadavg', 'diskstats', 'uptime']) copyFileSync(join(roots.procfs, f), join(procfs, f));
  const { log, lines } = capturingLogger();
  const text = await scrapeNodeMetrics(COLLECTOR_NAMES, { ...sources, roots: { ...roots, procfs } }, { log });
  assert.deepEqual(scrapeLines(text), { cpu: 0, diskstats: 1, filesystem: 1, loadavg: 1, meminfo: 1, stat: 0 });
  const fams = families(text);
  assert.ok(fams.has('node_memory_MemTotal_bytes') && fams.has('node_load1') && fams.has('node_filesystem_size_bytes'));
  assert.ok(![...fams].some((f) => f.startsWith('node_cpu_') || f === 'node_boot_time_seconds'));
  const failed = lines.filter((l) => l.level === 40);
  assert.deepEqual(failed.map((l) => l.collector).sort(), ['cpu', 'stat']);
  for (const l of failed) {
    assert.match(String(l.msg), new RegExp(`^collector ${String(l.collector)} failed: ENOENT`));
    assert.equal((l.err as { code?: string }).code, 'ENOENT');
  }
});

test('runCollectors: cpu and stat share one /proc/stat read per round', async () => {
  const { collected, results } = await runCollectors(['stat', 'cpu'], { roots });
  assert.equal(collected.cpu, collected.stat, 'the same parsed value');
  assert.deepEqual(results.map((r) => [r.name, r.success]), [['cpu', true], ['stat', true]], 'registry order');
});

test('runCollectors: the filesystem collector without a device source fails alone', async () => {
  const { collected, results } = await runCollectors(['filesystem', 'loadavg'], { roots });
  assert.deepEqual(results.map((r) => [r.name, r.success]), [['filesystem', false], ['loadavg', true]]);
  assert.equal(collected.filesystem, undefined);
  assert.deepEqual(collected.loadavg, { load1: 2.31, load5: 1.87, load15: 1.52 });
});
