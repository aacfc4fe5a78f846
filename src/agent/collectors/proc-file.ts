/**
 * Reading small kernel-generated files (/proc/stat, /proc/diskstats, /proc/meminfo, ...).
 *
 * Synchronously, on purpose: these files are generated in memory by the kernel and a read takes
 * microseconds, while fs.promises.readFile costs four trips through libuv's thread pool (open, fstat,
 * read, close) plus a 64 KiB buffer per file whose size procfs reports as 0. On /metrics the async reads
 * were most of the agent's CPU per scrape (4.9 ms before, 2.8 ms after: docs/agent-performance.md,
 * "What limits it, and what was done"). Never use this for a path that can block on a
 * disk or a network filesystem (statfs of mounts goes through the worker pool for that reason).
 */
import { readFileSync } from 'node:fs';

/** The whole text of a procfs/sysfs file; throws like readFileSync (ENOENT, EACCES). */
export function readProcFile(path: string): string {
  return readFileSync(path, 'utf8');
}
