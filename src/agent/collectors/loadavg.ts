/** /proc/loadavg: the 1, 5 and 15 minute load averages. */
import { join } from 'node:path';
import { readProcFile } from './proc-file.js';
import type { HostRoots } from '../model.js';

/** Load averages as the kernel reports them. */
export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
}

/** Parses /proc/loadavg text (pure). Throws when the first three fields are not numbers. */
export function parseLoadavg(text: string): LoadAvg {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (a === undefined || b === undefined || c === undefined || [a, b, c].some((n) => !Number.isFinite(n))) {
    throw new Error(`malformed loadavg: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return { load1: a, load5: b, load15: c };
}

/** Reads and parses <procfs>/loadavg. */
export async function readLoadavg(roots: HostRoots): Promise<LoadAvg> {
  return parseLoadavg(readProcFile(join(roots.procfs, 'loadavg')));
}
