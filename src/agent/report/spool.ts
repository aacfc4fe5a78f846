/**
 * The report spool: reports the control plane has not taken yet, one file per report, so an outage of the
 * control plane (or of the network, or a restart of the agent in between) loses nothing until the bound.
 *
 * - A file is written atomically (tmp + fsync + rename + fsync of the directory): after a crash a report
 *   is either whole or absent, never half a JSON document.
 * - Names sort by time (`r-<sampled ms, 15 digits>-<seq>.json`): delivery is oldest first.
 * - Bounded by bytes and files; when full the OLDEST are dropped (the newest state of a host is worth more
 *   than its state last week) and counted.
 * - Files left by a previous run are picked up by open(); a file that does not read back as a host report
 *   is deleted with a log line, never a crash.
 */
import { chmod, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseHostReport } from '../../core/contracts/host-report.js';
import type { Logger } from '../../core/log.js';

/** Default bound of the spool's size on disk (`--spool-max-bytes`): 11 days of a typical host at 60 s, see docs/agent.md. */
export const DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;
/** Default bound of the spool's file count (a directory of 100k small files is still fast to list). */
export const DEFAULT_SPOOL_MAX_FILES = 50_000;

const NAME_RE = /^r-(\d{15})-(\d{6})\.json$/;

/**
 * Bytes a file of `size` takes on disk, counted in 4 KiB blocks (ext4's and xfs's default): a 3 KiB report
 * still takes a whole block, and the bound is about disk space, not JSON length.
 */
export function spoolFileBytes(size: number): number {
  return Math.max(1, Math.ceil(size / 4096)) * 4096;
}

/** Options of openSpool. */
export interface SpoolOptions {
  readonly dir: string;
  readonly maxBytes?: number;
  readonly maxFiles?: number;
  readonly log: Logger;
  /** Called with how many reports a bound (or corruption) dropped. */
  readonly onDropped?: (count: number, why: 'full' | 'corrupt') => void;
}

/** One spooled report. */
export interface SpoolEntry {
  readonly name: string;
  readonly bytes: number;
}

/** A spooled report read back: its name (to remove() it once delivered) and its JSON body. */
export interface SpooledReport {
  readonly name: string;
  readonly body: Buffer;
}

/** Open (create 0700 if needed) the spool directory and index the reports already in it. */
export async function openSpool(opts: SpoolOptions): Promise<Spool> {
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  // mkdir's mode does not apply to a directory that already exists; reports name the host's disks and
  // tags, so the spool is the agent's alone.
  await chmod(opts.dir, 0o700).catch((err: unknown) => opts.log.warn({ err, dir: opts.dir }, 'cannot chmod 700 the spool directory'));
  const spool = new Spool(opts);
  await spool.load();
  return spool;
}

/** The on-disk queue of undelivered reports. Not safe for concurrent use: one reporter owns it. */
export class Spool {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly log: Logger;
  private readonly onDropped: (count: number, why: 'full' | 'corrupt') => void;
  /** Sorted oldest first. */
  private entries: SpoolEntry[] = [];
  private totalBytes = 0;
  private seq = 0;
  private lastMs = -1;

  constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    this.maxFiles = opts.maxFiles ?? DEFAULT_SPOOL_MAX_FILES;
    this.log = opts.log;
    this.onDropped = opts.onDropped ?? (() => undefined);
  }

  /** Index the directory: delete leftover tmp files, ignore foreign names, then enforce the bounds. */
  async load(): Promise<void> {
    const names = await readdir(this.dir);
    const found: SpoolEntry[] = [];
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        // A write the previous run did not finish (crash between write and rename): never whole.
        await unlink(join(this.dir, name)).catch(() => undefined);
        continue;
      }
      if (!NAME_RE.test(name)) continue;
      try {
        const s = await stat(join(this.dir, name));
        if (s.isFile()) found.push({ name, bytes: spoolFileBytes(s.size) });
      } catch {
        // removed under us: nothing to deliver
      }
    }
    found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.entries = found;
    this.totalBytes = found.reduce((s, e) => s + e.bytes, 0);
    const last = found.at(-1);
    if (last) {
      const m = NAME_RE.exec(last.name)!;
      this.lastMs = Number(m[1]);
      this.seq = Number(m[2]) + 1;
    }
    if (found.length > 0) this.log.info({ files: found.length, bytes: this.totalBytes, dir: this.dir }, 'report spool holds undelivered reports from a previous run');
    await this.enforceBounds(0);
  }

  /** Number of spooled reports. */
  get files(): number {
    return this.entries.length;
  }

  /** Bytes the spooled reports take on disk (in 4 KiB blocks). */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Write one report (its JSON body) atomically, named by `sampledAtMs`; then drop the oldest until the
   * bounds hold again. A report larger than the whole bound is not kept. Throws on I/O errors (disk full).
   */
  async put(body: Buffer, sampledAtMs: number): Promise<string | null> {
    const bytes = spoolFileBytes(body.length);
    if (bytes > this.maxBytes) {
      this.log.error({ bytes: body.length, maxBytes: this.maxBytes }, 'report larger than the whole spool; dropped');
      this.onDropped(1, 'full');
      return null;
    }
    // Names must sort after everything already spooled even if the clock stepped back, or delivery
    // order would not be the order the reports were made in.
    const ms = Math.max(Math.floor(sampledAtMs), this.lastMs);
    if (ms !== this.lastMs) this.seq = 0;
    if (this.seq > 999_999) throw new Error('spool: more than a million reports in one millisecond');
    const name = `r-${String(ms).padStart(15, '0')}-${String(this.seq).padStart(6, '0')}.json`;
    this.lastMs = ms;
    this.seq++;
    const path = join(this.dir, name);
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(body);
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await rename(tmp, path);
    await syncDir(this.dir);
    this.entries.push({ name, bytes });
    this.totalBytes += bytes;
    await this.enforceBounds(0);
    return name;
  }

  /**
   * The oldest spooled report, or null when empty. A file that cannot be read or is not a valid host
   * report is deleted (logged, counted as dropped) and the next one is tried.
   */
  async oldest(): Promise<SpooledReport | null> {
    for (;;) {
      const e = this.entries[0];
      if (!e) return null;
      const body = await this.readValid(e);
      if (body) return { name: e.name, body };
    }
  }

  /** The body of a spooled report, or null after forgetting (vanished) or deleting (corrupt) it. */
  private async readValid(e: SpoolEntry): Promise<Buffer | null> {
    let body: Buffer;
    try {
      body = await readFile(join(this.dir, e.name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.forget(e.name);
      else await this.discardCorrupt(e, `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return null;
    }
    const problem = checkBody(body);
    if (problem) {
      await this.discardCorrupt(e, problem);
      return null;
    }
    return body;
  }

  /**
   * Up to `max` of the oldest spooled reports, oldest first, whose bodies together stay within
   * `maxBytes` (the first one is always returned, whatever its size): one protocol v2 batch. Corrupt
   * files met on the way are deleted as by oldest(). Empty when the spool is.
   */
  async oldestBatch(max: number, maxBytes: number): Promise<SpooledReport[]> {
    const batch: SpooledReport[] = [];
    let bytes = 0;
    for (let i = 0; i < this.entries.length && batch.length < max; ) {
      const e = this.entries[i]!;
      const body = await this.readValid(e);
      if (!body) continue; // forgotten: entries[i] is now the next one
      if (batch.length > 0 && bytes + body.length > maxBytes) break;
      batch.push({ name: e.name, body });
      bytes += body.length;
      i++;
    }
    return batch;
  }

  /** Remove a report once delivered (or dropped for good); never throws. */
  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch((err: unknown) => {
      // Forgotten anyway: at worst the next run sends it again and the server answers `duplicate`.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.error({ err, file: join(this.dir, name) }, 'cannot delete a delivered report from the spool');
    });
    this.forget(name);
  }

  /** Names of the spooled reports, oldest first (tests, diagnostics). */
  list(): readonly SpoolEntry[] {
    return [...this.entries];
  }

  private forget(name: string): void {
    const i = this.entries.findIndex((x) => x.name === name);
    if (i < 0) return;
    this.totalBytes -= this.entries[i]!.bytes;
    this.entries.splice(i, 1);
  }

  private async discardCorrupt(e: SpoolEntry, why: string): Promise<void> {
    this.log.error({ file: join(this.dir, e.name), why }, 'corrupt report in the spool; deleted');
    await unlink(join(this.dir, e.name)).catch(() => undefined);
    this.forget(e.name);
    this.onDropped(1, 'corrupt');
  }

  private async enforceBounds(extra: number): Promise<void> {
    let dropped = 0;
    while (this.entries.length > 0 && (this.totalBytes + extra > this.maxBytes || this.entries.length > this.maxFiles)) {
      const e = this.entries[0]!;
      await unlink(join(this.dir, e.name)).catch(() => undefined);
      this.forget(e.name);
      dropped++;
    }
    if (dropped > 0) {
      this.log.warn({ dropped, files: this.entries.length, bytes: this.totalBytes, maxBytes: this.maxBytes, maxFiles: this.maxFiles }, 'report spool full: dropped the oldest reports');
      this.onDropped(dropped, 'full');
    }
  }
}

/** Why a spooled body is not a deliverable report, or null when it is. */
function checkBody(body: Buffer): string | null {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  const r = parseHostReport(value);
  return r.ok ? null : `not a host report: ${r.problems.join('; ')}`;
}

/** fsync the directory so the rename itself survives a power cut; not every filesystem allows it. */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // EISDIR/EINVAL on some filesystems: the rename is then as durable as that filesystem makes it
  }
}
