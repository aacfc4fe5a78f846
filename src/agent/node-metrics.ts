/**
 * node_exporter-compatible Prometheus text exposition (format 0.0.4) of what the agent collects, so
 * existing node_exporter dashboards and alert rules work unchanged. Names, HELP texts, types and labels
 * are copied from node_exporter 1.5; number formatting is JavaScript's (Prometheus parses both).
 */
import { parsePromValue } from '../core/prom-text.js';
import type { DeviceInfo } from './model.js';
import type { CpuTimes, ProcStat } from './collectors/proc-stat.js';
import { DEFAULT_DISKSTATS_DEVICE_EXCLUDE, DISKSTATS_SECTOR_BYTES, type DiskStat } from './collectors/diskstats.js';
import { isMeminfoCount } from './collectors/meminfo.js';
import type { LoadAvg } from './collectors/loadavg.js';

/**
 * Everything one /metrics answer is rendered from, one key per collector of collectors/registry.ts.
 * Absent inputs (a disabled or failed collector) emit no series.
 */
export interface NodeMetricsInput {
  /** The filesystem collector's devices. */
  devices?: readonly DeviceInfo[];
  /** The cpu collector's read of /proc/stat: node_cpu_*. */
  cpu?: ProcStat;
  /** The stat collector's read of /proc/stat: boot time, context switches, interrupts, forks, procs. */
  stat?: ProcStat;
  diskstats?: readonly DiskStat[];
  /** udev properties per block device, keyed `major:minor` (see readDiskUdevProperties). */
  diskUdev?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Devices left out of node_disk_* (default node_exporter 1.5's). */
  diskstatsDeviceExclude?: RegExp;
  meminfo?: Readonly<Record<string, number>>;
  loadavg?: LoadAvg;
  /** One entry per collector run, named like node_exporter's (cpu, diskstats, filesystem, meminfo, loadavg, stat). */
  collectors: readonly { name: string; success: boolean; durationSeconds: number }[];
}

type Labels = Readonly<Record<string, string>>;

interface Family {
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels: Labels; value: number }[];
}

/** Escapes a label value for the text format: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes a HELP text for the text format: backslash and newline. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Formats a sample value: NaN, +Inf, -Inf, else the shortest round-trip decimal. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function renderLabels(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k]!)}"`).join(',')}}`;
}

class Exposition {
  private readonly families = new Map<string, Family>();

  add(name: string, type: Family['type'], help: string, labels: Labels, value: number): void {
    let f = this.families.get(name);
    if (!f) {
      f = { help, type, samples: [] };
      this.families.set(name, f);
    }
    f.samples.push({ labels, value });
  }

  render(): string {
    const out: string[] = [];
    for (const name of [...this.families.keys()].sort()) {
      const f = this.families.get(name)!;
      out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`);
      const seen = new Set<string>();
      const lines = f.samples
        .map((s) => ({ labels: renderLabels(s.labels), value: s.value }))
        .filter((s) => (seen.has(s.labels) ? false : (seen.add(s.labels), true)))
        .sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
      for (const s of lines) out.push(`${name}${s.labels} ${formatValue(s.value)}`);
    }
    return out.length ? `${out.join('\n')}\n` : '';
  }
}

const CPU_MODES: readonly (keyof Omit<CpuTimes, 'cpu' | 'guest' | 'guestNice'>)[] = [
  'idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user',
];

function addCpu(x: Exposition, stat: ProcStat): void {
  for (const c of stat.cpus) {
    for (const mode of CPU_MODES) {
      x.add('node_cpu_seconds_total', 'counter', 'Seconds the CPUs spent in each mode.', { cpu: c.cpu, mode }, c[mode]);
    }
    const guestHelp = 'Seconds the CPUs spent in guests (VMs) for each mode.';
    x.add('node_cpu_guest_seconds_total', 'counter', guestHelp, { cpu: c.cpu, mode: 'user' }, c.guest);
    x.add('node_cpu_guest_seconds_total', 'counter', guestHelp, { cpu: c.cpu, mode: 'nice' }, c.guestNice);
  }
}

function addStat(x: Exposition, stat: ProcStat): void {
  x.add('node_boot_time_seconds', 'gauge', 'Node boot time, in unixtime.', {}, stat.bootTimeSeconds);
  x.add('node_context_switches_total', 'counter', 'Total number of context switches.', {}, stat.contextSwitches);
  if (stat.interrupts !== undefined) x.add('node_intr_total', 'counter', 'Total number of interrupts serviced.', {}, stat.interrupts);
  x.add('node_forks_total', 'counter', 'Total number of forks.', {}, stat.forks);
  x.add('node_procs_running', 'gauge', 'Number of processes in runnable state.', {}, stat.procsRunning);
  x.add('node_procs_blocked', 'gauge', 'Number of processes blocked waiting for I/O to complete.', {}, stat.procsBlocked);
}

/** node_exporter's node_disk_* families from /proc/diskstats, in column order. */
const DISK_FAMILIES: readonly { name: string; type: Family['type']; help: string; value: (d: DiskStat) => number | undefined }[] = [
  { name: 'reads_completed_total', type: 'counter', help: 'The total number of reads completed successfully.', value: (d) => d.readsCompleted },
  { name: 'reads_merged_total', type: 'counter', help: 'The total number of reads merged.', value: (d) => d.readsMerged },
  { name: 'read_bytes_total', type: 'counter', help: 'The total number of bytes read successfully.', value: (d) => d.sectorsRead * DISKSTATS_SECTOR_BYTES },
  { name: 'read_time_seconds_total', type: 'counter', help: 'The total number of seconds spent by all reads.', value: (d) => d.readTimeMs / 1000 },
  { name: 'writes_completed_total', type: 'counter', help: 'The total number of writes completed successfully.', value: (d) => d.writesCompleted },
  { name: 'writes_merged_total', type: 'counter', help: 'The number of writes merged.', value: (d) => d.writesMerged },
  { name: 'written_bytes_total', type: 'counter', help: 'The total number of bytes written successfully.', value: (d) => d.sectorsWritten * DISKSTATS_SECTOR_BYTES },
  { name: 'write_time_seconds_total', type: 'counter', help: 'This is the total number of seconds spent by all writes.', value: (d) => d.writeTimeMs / 1000 },
  { name: 'io_now', type: 'gauge', help: 'The number of I/Os currently in progress.', value: (d) => d.ioInProgress },
  { name: 'io_time_seconds_total', type: 'counter', help: 'Total seconds spent doing I/Os.', value: (d) => d.ioTimeMs / 1000 },
  { name: 'io_time_weighted_seconds_total', type: 'counter', help: 'The weighted # of seconds spent doing I/Os.', value: (d) => d.weightedIoTimeMs / 1000 },
  { name: 'discards_completed_total', type: 'counter', help: 'The total number of discards completed successfully.', value: (d) => d.discardsCompleted },
  { name: 'discards_merged_total', type: 'counter', help: 'The total number of discards merged.', value: (d) => d.discardsMerged },
  { name: 'discarded_sectors_total', type: 'counter', help: 'The total number of sectors discarded successfully.', value: (d) => d.sectorsDiscarded },
  {
    name: 'discard_time_seconds_total', type: 'counter', help: 'This is the total number of seconds spent by all discards.',
    value: (d) => (d.discardTimeMs === undefined ? undefined : d.discardTimeMs / 1000),
  },
  { name: 'flush_requests_total', type: 'counter', help: 'The total number of flush requests completed successfully', value: (d) => d.flushRequests },
  {
    name: 'flush_requests_time_seconds_total', type: 'counter', help: 'This is the total number of seconds spent by all flush requests.',
    value: (d) => (d.flushTimeMs === undefined ? undefined : d.flushTimeMs / 1000),
  },
];

const ATA_FAMILIES: readonly { key: string; name: string; help: string }[] = [
  { key: 'ID_ATA_WRITE_CACHE', name: 'node_disk_ata_write_cache', help: 'ATA disk has a write cache.' },
  { key: 'ID_ATA_WRITE_CACHE_ENABLED', name: 'node_disk_ata_write_cache_enabled', help: 'ATA disk has its write cache enabled.' },
  { key: 'ID_ATA_ROTATION_RATE_RPM', name: 'node_disk_ata_rotation_rate_rpm', help: 'ATA disk rotation rate in RPMs (0 for SSDs).' },
];

function addDisks(x: Exposition, input: NodeMetricsInput, disks: readonly DiskStat[]): void {
  const exclude = input.diskstatsDeviceExclude ?? DEFAULT_DISKSTATS_DEVICE_EXCLUDE;
  for (const d of disks) {
    if (exclude.test(d.device)) continue;
    const device = d.device;
    const info = input.diskUdev?.get(`${d.major}:${d.minor}`) ?? {};
    const p = (k: string): string => info[k] ?? '';
    x.add('node_disk_info', 'gauge', 'Info of /sys/block/<block_device>.', {
      device, major: String(d.major), minor: String(d.minor),
      path: p('ID_PATH'), wwn: p('ID_WWN'), model: p('ID_MODEL'),
      serial: p('ID_SERIAL_SHORT'), revision: p('ID_REVISION'),
    }, 1);
    for (const f of DISK_FAMILIES) {
      const v = f.value(d);
      if (v !== undefined && Number.isFinite(v)) x.add(`node_disk_${f.name}`, f.type, f.help, { device }, v);
    }
    if (p('ID_FS_TYPE')) {
      x.add('node_disk_filesystem_info', 'gauge', 'Info about disk filesystem.', {
        device, type: p('ID_FS_TYPE'), usage: p('ID_FS_USAGE'), uuid: p('ID_FS_UUID'), version: p('ID_FS_VERSION'),
      }, 1);
    }
    if (p('DM_NAME')) {
      x.add('node_disk_device_mapper_info', 'gauge', 'Info about disk device mapper.', {
        device, name: p('DM_NAME'), uuid: p('DM_UUID'), vg_name: p('DM_VG_NAME'), lv_name: p('DM_LV_NAME'), lv_layer: p('DM_LV_LAYER'),
      }, 1);
    }
    if (p('ID_ATA')) {
      for (const a of ATA_FAMILIES) {
        const v = info[a.key] === undefined ? NaN : Number(info[a.key]);
        if (Number.isFinite(v)) x.add(a.name, 'gauge', a.help, { device }, v);
      }
    }
  }
}

/** node_exporter's meminfo metric name: `Active(anon)` -> `node_memory_Active_anon_bytes`, counts keep no unit. */
export function meminfoMetricName(key: string): string {
  const base = key.replace(/\((.*)\)/, '_$1');
  return `node_memory_${base}${isMeminfoCount(key) ? '' : '_bytes'}`;
}

function addMeminfo(x: Exposition, meminfo: Readonly<Record<string, number>>): void {
  for (const [key, value] of Object.entries(meminfo)) {
    const name = meminfoMetricName(key);
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) continue;
    x.add(name, 'gauge', `Memory information field ${name.slice('node_memory_'.length)}.`, {}, value);
  }
}

function addFilesystems(x: Exposition, devices: readonly DeviceInfo[]): void {
  const fs = (suffix: string, help: string, labels: Labels, value: number): void =>
    x.add(`node_filesystem_${suffix}`, 'gauge', help, labels, value);
  for (const d of devices) {
    const mounts = [{ mountpoint: d.mountpoint, read_only: d.read_only }, ...d.aliases];
    for (const m of mounts) {
      const labels = { device: d.device, fstype: d.fstype, mountpoint: m.mountpoint };
      const failed = d.error !== null || d.size_bytes === null;
      fs('device_error', 'Whether an error occurred while getting statistics for the given device.', labels, failed ? 1 : 0);
      // like node_exporter: a mount whose statfs failed gets only device_error
      if (failed) continue;
      fs('size_bytes', 'Filesystem size in bytes.', labels, d.size_bytes ?? 0);
      fs('free_bytes', 'Filesystem free space in bytes.', labels, d.free_bytes ?? 0);
      fs('avail_bytes', 'Filesystem space available to non-root users in bytes.', labels, d.avail_bytes ?? 0);
      fs('files', 'Filesystem total file nodes.', labels, d.inodes_total ?? 0);
      fs('files_free', 'Filesystem total free file nodes.', labels, d.inodes_free ?? 0);
      fs('readonly', 'Filesystem read-only status.', labels, m.read_only ? 1 : 0);
    }
  }
}

/**
 * Renders node_exporter-compatible metrics (pure). Families are sorted by name and series by their
 * rendered label set; a series listed twice (same labels) is emitted once, the first one winning.
 */
export function renderNodeMetrics(input: NodeMetricsInput): string {
  const x = new Exposition();
  if (input.devices) addFilesystems(x, input.devices);
  if (input.cpu) addCpu(x, input.cpu);
  if (input.stat) addStat(x, input.stat);
  if (input.diskstats) addDisks(x, input, input.diskstats);
  if (input.meminfo) addMeminfo(x, input.meminfo);
  if (input.loadavg) {
    x.add('node_load1', 'gauge', '1m load average.', {}, input.loadavg.load1);
    x.add('node_load5', 'gauge', '5m load average.', {}, input.loadavg.load5);
    x.add('node_load15', 'gauge', '15m load average.', {}, input.loadavg.load15);
  }
  for (const c of input.collectors) {
    const labels = { collector: c.name };
    x.add('node_scrape_collector_duration_seconds', 'gauge', 'node_exporter: Duration of a collector scrape.', labels, c.durationSeconds);
    x.add('node_scrape_collector_success', 'gauge', 'node_exporter: Whether a collector succeeded.', labels, c.success ? 1 : 0);
  }
  return x.render();
}

/** One parsed sample of a text exposition. */
export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL_RE = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseLabelSet(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  LABEL_RE.lastIndex = 0;
  while (LABEL_RE.lastIndex < text.length) {
    const m = LABEL_RE.exec(text);
    if (!m) return null;
    if (m[1]! in out) return null;
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    if (m[3] === '') break;
  }
  return out;
}

/**
 * Parses and checks a text exposition (0.0.4) (pure): every sample line parses, HELP/TYPE come before a
 * family's samples, at most one TYPE per family, no family split in two, no duplicate series. Returns the
 * samples and the problems found (empty when valid). A histogram's `_bucket`/`_sum`/`_count` samples and a
 * summary's `_sum`/`_count` samples belong to the family TYPEd under the base name.
 */
export function parseExposition(text: string): { samples: ExpositionSample[]; errors: string[] } {
  const errors: string[] = [];
  const samples: ExpositionSample[] = [];
  const typed = new Map<string, string>();
  const helped = new Set<string>();
  const finished = new Set<string>();
  const series = new Set<string>();
  const sampled = new Set<string>();
  let current: string | undefined;
  /** The family a sample name belongs to: itself, or a histogram/summary base name it is a suffix of. */
  const familyOf = (name: string): string => {
    if (typed.has(name)) return name;
    const m = /^(.*)_(bucket|sum|count)$/.exec(name);
    const type = m ? typed.get(m[1]!) : undefined;
    if (m && (type === 'histogram' || (type === 'summary' && m[2] !== 'bucket'))) return m[1]!;
    return name;
  };
  const lines = text.split('\n');
  if (text !== '' && !text.endsWith('\n')) errors.push('exposition does not end with a newline');
  lines.forEach((line, i) => {
    const at = `line ${i + 1}`;
    if (line === '') return;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name] = meta as unknown as [string, string, string, string | undefined];
      if (current !== name) {
        if (current) finished.add(current);
        if (finished.has(name)) errors.push(`${at}: family ${name} appears twice`);
        current = name;
      }
      if (kind === 'TYPE') {
        if (typed.has(name)) errors.push(`${at}: second TYPE for ${name}`);
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(meta[3] ?? '')) errors.push(`${at}: bad type ${meta[3]}`);
        if (sampled.has(name)) errors.push(`${at}: TYPE for ${name} after its samples`);
        typed.set(name, meta[3] ?? '');
      } else {
        if (helped.has(name)) errors.push(`${at}: second HELP for ${name}`);
        helped.add(name);
      }
      return;
    }
    if (line.startsWith('#')) return;
    const m = SAMPLE_RE.exec(line);
    if (!m) {
      errors.push(`${at}: unparsable sample: ${line}`);
      return;
    }
    const name = m[1]!;
    const labels = parseLabelSet(m[2] ?? '');
    const value = parsePromValue(m[3]!);
    if (labels === null || value === null) {
      errors.push(`${at}: unparsable sample: ${line}`);
      return;
    }
    const family = familyOf(name);
    sampled.add(family);
    if (current !== family) {
      if (current) finished.add(current);
      if (finished.has(family)) errors.push(`${at}: family ${family} appears twice`);
      current = family;
    }
    if (!typed.has(family) || !helped.has(family)) errors.push(`${at}: sample of ${name} without HELP and TYPE before it`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) errors.push(`${at}: duplicate series ${name}${m[2] ? `{${m[2]}}` : ''}`);
    series.add(key);
    samples.push({ name, labels, value });
  });
  return { samples, errors };
}
