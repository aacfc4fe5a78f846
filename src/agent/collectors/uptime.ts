/** /proc/uptime: seconds since boot. */
import { join } from 'node:path';
import { readProcFile } from './proc-file.js';
import type { HostRoots } from '../model.js';

/** Time since boot. */
export interface Uptime {
  uptimeSeconds: number;
}

/** Parses /proc/uptime text (pure). Throws when the first field is not a number. */
export function parseUptime(text: string): Uptime {
  const first = text.trim().split(/\s+/)[0];
  const n = Number(first);
  if (first === undefined || first === '' || !Number.isFinite(n)) throw new Error(`malformed uptime: ${JSON.stringify(text.slice(0, 80))}`);
  return { uptimeSeconds: n };
}

/** Reads and parses <procfs>/uptime. */
export async function readUptime(roots: HostRoots): Promise<Uptime> {
  return parseUptime(readProcFile(join(roots.procfs, 'uptime')));
}
