/**
 * The shipper's spool: compressed batches the collector has not taken yet, one file per batch, so a
 * collector outage (or a shipper restart during one) loses nothing up to the bound.
 *
 * - A file is one JSON header line (source, format, range, lines) and the gzip body, written atomically
 *   (tmp + fsync + rename): after a crash a batch is whole or absent.
 * - Names sort in spooling order (`b-<16-digit sequence>.batch`): delivery is oldest first.
 * - Bounded by bytes and files; when full the OLDEST batches are dropped and their lines reported
 *   through `onDropped` (never silently), except the one being sent.
 * - A file that does not read back as a batch is deleted and reported; `lines` of it unknown -> 0.
 */
import { mkdir, open, readdir, readFile, rename, unlink, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import type { Batch } from './send.js';

const NAME_RE = /^b-(\d{16})\.batch$/;

/** Options of openBatchSpool. */
export interface BatchSpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly maxFiles: number;
  readonly log: Logger;
  /** Lines of batches dropped from the spool (full, or unreadable). */
  readonly onDropped: (lines: number, why: 'spool-full' | 'spool-corrupt') => void;
}

interface Entry {
  readonly name: string;
  readonly bytes: number;
  readonly lines: number;
}

/** Open (create 0700) the spool directory and index the batches a previous run left. */
export async function openBatchSpool(opts: BatchSpoolOptions): Promise<BatchSpool> {
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  // Log lines name clients (personal data): the spool is the shipper's alone.
  await chmod(opts.dir, 0o700).catch(() => undefined);
  const s = new BatchSpool(opts);
  await s.load();
  return s;
}

/** The on-disk queue of undelivered batches. One owner (the outbox); single-threaded use. */
export class BatchSpool {
  private entries: Entry[] = [];
  private total = 0;
  private seq = 0;
  /** The batch being sent: never dropped by the bound under the sender's feet. */
  private busy: string | undefined;

  constructor(private readonly o: BatchSpoolOptions) {}

  /** Index the directory (tmp leftovers deleted, foreign names ignored), then enforce the bounds. */
  async load(): Promise<void> {
    for (const name of (await readdir(this.o.dir)).sort()) {
      if (name.includes('.tmp')) {
        await unlink(join(this.o.dir, name)).catch(() => undefined);
        continue;
      }
      const m = NAME_RE.exec(name);
      if (!m) continue;
      const read = await this.read(name);
      if (!read) continue;
      this.entries.push({ name, bytes: read.size, lines: read.batch.lines });
      this.total += read.size;
      this.seq = Number(m[1]) + 1;
    }
    if (this.entries.length) this.o.log.info({ batches: this.entries.length, bytes: this.total, dir: this.o.dir }, 'spool holds batches from a previous run');
    await this.enforce();
  }

  /** Spooled batches. */
  get files(): number {
    return this.entries.length;
  }

  /** Bytes of spooled batches. */
  get bytes(): number {
    return this.total;
  }

  /** Lines in spooled batches. */
  get lines(): number {
    let n = 0;
    for (const e of this.entries) n += e.lines;
    return n;
  }

  /** Write one batch; then drop the oldest until the bounds hold. False when it alone exceeds the bound (dropped, reported). */
  async put(batch: Batch): Promise<boolean> {
    const header = Buffer.from(`${JSON.stringify({ source: batch.source, format: batch.format, start: batch.start, end: batch.end, lines: batch.lines })}\n`);
    const size = header.length + batch.body.length;
    if (size > this.o.maxBytes) {
      this.o.onDropped(batch.lines, 'spool-full');
      return false;
    }
    const name = `b-${String(this.seq++).padStart(16, '0')}.batch`;
    const path = join(this.o.dir, name);
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writev([header, batch.body]);
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    } finally {
      await fh.close().catch(() => undefined);
    }
    await rename(tmp, path);
    this.entries.push({ name, bytes: size, lines: batch.lines });
    this.total += size;
    await this.enforce();
    return true;
  }

  /** The oldest batch (marked busy until remove()), or null. Unreadable files met are dropped and reported. */
  async oldest(): Promise<{ name: string; batch: Batch } | null> {
    for (;;) {
      const e = this.entries[0];
      if (!e) return null;
      const read = await this.read(e.name);
      if (read) {
        this.busy = e.name;
        return { name: e.name, batch: read.batch };
      }
      this.forget(e.name);
      this.o.onDropped(e.lines, 'spool-corrupt');
    }
  }

  /** Remove a batch once acknowledged or dropped for good; never throws. */
  async remove(name: string): Promise<void> {
    if (this.busy === name) this.busy = undefined;
    await unlink(join(this.o.dir, name)).catch(() => undefined);
    this.forget(name);
  }

  /** The batch is no longer being sent (kept for a later try). */
  release(): void {
    this.busy = undefined;
  }

  private async read(name: string): Promise<{ batch: Batch; size: number } | null> {
    let data: Buffer;
    try {
      data = await readFile(join(this.o.dir, name));
    } catch {
      return null;
    }
    const nl = data.indexOf(0x0a);
    try {
      const h = JSON.parse(data.subarray(0, nl).toString('utf8')) as { source?: unknown; format?: unknown; start?: unknown; end?: unknown; lines?: unknown };
      if (nl < 0 || typeof h.source !== 'string' || typeof h.format !== 'string' || typeof h.start !== 'number' || typeof h.end !== 'number' || typeof h.lines !== 'number') throw new Error('bad header');
      return { batch: { source: h.source, format: h.format, start: h.start, end: h.end, lines: h.lines, body: data.subarray(nl + 1) }, size: data.length };
    } catch {
      this.o.log.error({ file: join(this.o.dir, name) }, 'unreadable batch in the spool; deleted');
      await unlink(join(this.o.dir, name)).catch(() => undefined);
      return null;
    }
  }

  private forget(name: string): void {
    const i = this.entries.findIndex((e) => e.name === name);
    if (i < 0) return;
    this.total -= this.entries[i]!.bytes;
    this.entries.splice(i, 1);
  }

  private async enforce(): Promise<void> {
    let lines = 0;
    let batches = 0;
    while (this.total > this.o.maxBytes || this.entries.length > this.o.maxFiles) {
      const victim = this.entries.find((e) => e.name !== this.busy);
      if (!victim) break;
      await unlink(join(this.o.dir, victim.name)).catch(() => undefined);
      this.forget(victim.name);
      lines += victim.lines;
      batches++;
    }
    if (batches > 0) {
      this.o.log.warn({ batches, lines, maxBytes: this.o.maxBytes, dir: this.o.dir }, 'spool full: dropped the oldest batches');
      this.o.onDropped(lines, 'spool-full');
    }
  }
}
