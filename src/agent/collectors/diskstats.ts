/**
 * /proc/diskstats (per block device I/O counters) and the udev properties node_exporter's
 * diskstats collector attaches to node_disk_info.
 */
import { join } from 'node:path';
import { readProcFile } from './proc-file.js';
import { parseUdevProperties } from './udev.js';
import type { HostRoots } from '../model.js';

/**
 * One /proc/diskstats line. Times are milliseconds, sizes are 512-byte sectors, as the kernel counts them.
 * Discard fields exist from Linux 4.18 (18 columns), flush fields from 5.5 (20 columns); older kernels
 * leave them undefined, and node_exporter then emits no series for them.
 */
export interface DiskStat {
  major: number;
  minor: number;
  device: string;
  readsCompleted: number;
  readsMerged: number;
  sectorsRead: number;
  readTimeMs: number;
  writesCompleted: number;
  writesMerged: number;
  sectorsWritten: number;
  writeTimeMs: number;
  ioInProgress: number;
  ioTimeMs: number;
  weightedIoTimeMs: number;
  discardsCompleted?: number;
  discardsMerged?: number;
  sectorsDiscarded?: number;
  discardTimeMs?: number;
  flushRequests?: number;
  flushTimeMs?: number;
}

/** node_exporter 1.5's --collector.diskstats.device-exclude default: partitions, loop, ram and floppy devices. */
export const DEFAULT_DISKSTATS_DEVICE_EXCLUDE: RegExp = /^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** The kernel's sector unit for /proc/diskstats, whatever the device's block size. */
export const DISKSTATS_SECTOR_BYTES = 512;

const OPTIONAL: readonly (keyof DiskStat)[] = [
  'discardsCompleted',
  'discardsMerged',
  'sectorsDiscarded',
  'discardTimeMs',
  'flushRequests',
  'flushTimeMs',
];

/** Parses /proc/diskstats text (pure), in file order. Lines with fewer than 14 columns are skipped. */
export function parseDiskstats(text: string): DiskStat[] {
  const out: DiskStat[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const n = (i: number): number => Number(f[i]);
    const stat: DiskStat = {
      major: n(0),
      minor: n(1),
      device: f[2]!,
      readsCompleted: n(3),
      readsMerged: n(4),
      sectorsRead: n(5),
      readTimeMs: n(6),
      writesCompleted: n(7),
      writesMerged: n(8),
      sectorsWritten: n(9),
      writeTimeMs: n(10),
      ioInProgress: n(11),
      ioTimeMs: n(12),
      weightedIoTimeMs: n(13),
    };
    if ([stat.major, stat.minor, stat.readsCompleted, stat.weightedIoTimeMs].some((x) => !Number.isFinite(x))) continue;
    OPTIONAL.forEach((key, i) => {
      if (f.length > 14 + i) (stat as unknown as Record<string, number>)[key] = n(14 + i);
    });
    out.push(stat);
  }
  return out;
}

/** Reads and parses <procfs>/diskstats. */
export async function readDiskstats(roots: HostRoots): Promise<DiskStat[]> {
  return parseDiskstats(readProcFile(join(roots.procfs, 'diskstats')));
}


/**
 * Reads the udev properties of each block device (<udevData>/b<major>:<minor>), keyed `major:minor`.
 * Devices without a readable file are left out (node_exporter then prints empty info labels).
 */
export async function readDiskUdevProperties(
  roots: HostRoots,
  disks: readonly Pick<DiskStat, 'major' | 'minor'>[],
): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  await Promise.all(
    disks.map(async (d) => {
      try {
        const text = readProcFile(join(roots.udevData, `b${d.major}:${d.minor}`));
        out.set(`${d.major}:${d.minor}`, Object.fromEntries(parseUdevProperties(text)));
      } catch {
        // no udev database entry: not an error, node_exporter treats it the same way
      }
    }),
  );
  return out;
}
