/** /proc/meminfo, as node_exporter's meminfo collector reads it. */
import { join } from 'node:path';
import { readProcFile } from './proc-file.js';
import type { HostRoots } from '../model.js';

/**
 * Parses /proc/meminfo text (pure) into values keyed exactly as in the file (`MemTotal`, `Active(anon)`).
 * Values with a `kB` unit are converted to bytes (*1024); unitless ones (`HugePages_Total`) are counts.
 * Malformed lines are skipped.
 */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([^:\s]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!m) continue;
    const value = Number(m[2]);
    out[m[1]!] = m[3] ? value * 1024 : value;
  }
  return out;
}

/**
 * Whether a meminfo key is a count rather than bytes. The kernel prints no unit only for the
 * HugePages_{Total,Free,Rsvd,Surp} counters; node_exporter names those without `_bytes`.
 */
export function isMeminfoCount(key: string): boolean {
  return key.startsWith('HugePages_');
}

/** Reads and parses <procfs>/meminfo. */
export async function readMeminfo(roots: HostRoots): Promise<Record<string, number>> {
  return parseMeminfo(readProcFile(join(roots.procfs, 'meminfo')));
}
