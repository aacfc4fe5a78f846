/**
 * Follows log files like `tail -F` over globs, and hands out whole lines as chunks with their byte range:
 *
 * - rotation by rename: the old file is read to its end through its open fd (the web server may still
 *   write to it until it reopens its logs), closed after `rotateGraceMs` without growth once all of it is
 *   committed, and the new file at the path is read from its beginning;
 * - copytruncate (the file got shorter, or its first bytes changed): the bytes written after the last
 *   read and before the truncation are read from the copy beside it when one is found (same first bytes,
 *   at least as long: `access.log.1`, `access.log-20250101`); otherwise they are lost, estimated in lines
 *   from the mean line length and reported through `onLost` (counted as dropped, never silent). The
 *   truncated file is then a new source (a new file id) read from 0;
 * - new files matching a glob are read from their beginning; files present at the very first start of a
 *   shipper with no state start at `startAt` (`end`: like tail -F; `beginning`: ship what is there);
 * - `.gz` files matching a glob are read once, whole, when `readGz` is on;
 * - a restart resumes each file at its committed offset (recognised by dev:inode and its first bytes,
 *   even when it was renamed out of the glob meanwhile).
 *
 * Nothing here sends or batches: the shipper commits a chunk's end once the collector acknowledged it,
 * it was spooled, or it was counted as dropped, and only committed offsets are saved.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { FileGlob } from './glob.js';
import { cutLines } from './lines.js';
import { HEAD_BYTES, type FileState, type ShipState } from './ship-state.js';

/** Whole lines read from one file: bytes [start, end) of it (a capped line's skipped rest included). */
export interface Chunk {
  readonly fileId: string;
  readonly path: string;
  readonly start: number;
  readonly end: number;
  readonly parts: readonly Buffer[];
  readonly lines: number;
  readonly bytes: number;
}

/** Options of a FileFollower. */
export interface FollowerOptions {
  readonly globs: readonly FileGlob[];
  /** What the previous run committed (EMPTY_STATE the first time). */
  readonly state: ShipState;
  /** Where files found at the very first start (no state file) begin. */
  readonly startAt: 'beginning' | 'end';
  readonly readGz: boolean;
  /** Lines longer than this are shipped cut to it. */
  readonly maxLineBytes: number;
  /** Most files followed at once (open fds); more matches wait, with a warning. */
  readonly maxFiles: number;
  readonly rotateGraceMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** Lines that could not be read (copytruncate without a copy): to be counted as dropped. */
  readonly onLost: (lines: number, why: string) => void;
}

/** Counters of what the follower met (the periodic stats line). */
export interface FollowerStats {
  files: number;
  capped: number;
  rotations: number;
  truncations: number;
  recoveredFromCopy: number;
}

interface PlainFile {
  readonly kind: 'plain';
  id: string;
  readonly dev: number;
  readonly ino: number;
  path: string;
  readonly fh: FileHandle;
  pos: number;
  committed: number;
  skipping: boolean;
  head: Buffer;
  rotated: boolean;
  lastSize: number;
  lastGrowthMs: number;
}

interface GzFile {
  readonly kind: 'gz';
  readonly id: string;
  readonly key: string;
  readonly path: string;
  readonly iter: AsyncIterator<Buffer>;
  carry: Buffer;
  pos: number;
  committed: number;
  skipping: boolean;
  ended: boolean;
}

type Followed = PlainFile | GzFile;

/** Reads `len` bytes at `pos` (fewer at the end of the file). */
async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return buf.subarray(0, bytesRead);
}

/** A file id for the wire (wire.ts): dev:inode, and the first-read time so a reused inode is another source. */
function newFileId(dev: number, ino: number, nowMs: number): string {
  return `${dev}:${ino}:${nowMs.toString(36)}`;
}

/** The tail -F of a set of globs. poll() reads; commit() records what is safe; snapshot() is what to save. */
export class FileFollower {
  private readonly o: FollowerOptions;
  private readonly files = new Map<string, Followed>();
  private readonly gzDone: Set<string>;
  private firstScan = true;
  private lastIdMs = 0;
  private warnedFull = false;
  /** Mean line length seen, for estimating lines lost to a truncation. */
  private seenBytes = 0;
  private seenLines = 0;
  readonly stats: FollowerStats = { files: 0, capped: 0, rotations: 0, truncations: 0, recoveredFromCopy: 0 };

  constructor(opts: FollowerOptions) {
    this.o = opts;
    this.gzDone = new Set(opts.state.gzDone);
  }

  /** A file id never handed out before by this process (two files first read in the same ms differ). */
  private idFor(dev: number, ino: number): string {
    const ms = Math.max(this.o.clock(), this.lastIdMs + 1);
    this.lastIdMs = ms;
    return newFileId(dev, ino, ms);
  }

  /** Look for new and rotated files, then read up to `budgetBytes` of whole lines across the files. */
  async poll(budgetBytes: number): Promise<Chunk[]> {
    await this.scan();
    const chunks: Chunk[] = [];
    let budget = budgetBytes;
    for (const f of [...this.files.values()]) {
      if (budget <= 0) break;
      const got = f.kind === 'plain' ? await this.readPlain(f, budget, chunks) : await this.readGz(f, budget, chunks);
      budget -= got;
    }
    for (const c of chunks) {
      this.seenBytes += c.bytes;
      this.seenLines += c.lines;
    }
    return chunks;
  }

  /** Everything of `fileId` before `end` is acknowledged, spooled or counted as dropped. */
  commit(fileId: string, end: number): void {
    const f = this.files.get(fileId);
    if (f && end > f.committed) f.committed = end;
  }

  /** The state to save: committed offsets of the files followed now, and the cumulative `dropped`. */
  snapshot(dropped: number): ShipState {
    const files: FileState[] = [];
    for (const f of this.files.values()) {
      if (f.kind === 'plain') files.push({ id: f.id, dev: f.dev, ino: f.ino, path: f.path, offset: f.committed, head: f.head.toString('base64') });
    }
    // Keep only the .gz files still there to be met again (bounded by what the globs match).
    return { version: 1, dropped, files, gzDone: [...this.gzDone].slice(-10_000) };
  }

  /** True when every byte read so far is committed (nothing in flight). */
  get settled(): boolean {
    for (const f of this.files.values()) if (f.committed < f.pos) return false;
    return true;
  }

  /** Close every file. */
  async close(): Promise<void> {
    for (const f of this.files.values()) {
      if (f.kind === 'plain') await f.fh.close().catch(() => undefined);
      else await f.iter.return?.().catch(() => undefined);
    }
    this.files.clear();
  }

  private async scan(): Promise<void> {
    const seen = new Map<string, { dev: number; ino: number; size: number }>();
    for (const g of this.o.globs) {
      let names: string[];
      try {
        names = await readdir(g.dir);
      } catch {
        continue; // not there (yet): a glob for a directory created later is fine
      }
      for (const name of names) {
        if (!g.test(name)) continue;
        const path = join(g.dir, name);
        try {
          const st = await stat(path);
          if (st.isFile()) seen.set(path, { dev: st.dev, ino: st.ino, size: st.size });
        } catch {
          // gone between readdir and stat
        }
      }
    }
    const byInode = new Map<string, Followed>();
    for (const f of this.files.values()) {
      if (f.kind === 'plain') {
        byInode.set(`${f.dev}:${f.ino}`, f);
        const st = seen.get(f.path);
        if (!f.rotated && (!st || st.dev !== f.dev || st.ino !== f.ino)) {
          f.rotated = true;
          f.lastGrowthMs = this.o.clock();
          this.stats.rotations++;
          this.o.log.info({ path: f.path, file: f.id }, 'log rotated (renamed or deleted): reading the old file to its end');
        }
      }
    }
    const noState = this.o.state.files.length === 0 && this.o.state.gzDone.length === 0;
    const saved = new Map(this.o.state.files.map((s) => [`${s.dev}:${s.ino}`, s]));
    for (const [path, st] of seen) {
      const key = `${st.dev}:${st.ino}`;
      if (byInode.has(key)) continue;
      if (this.files.size >= this.o.maxFiles) {
        if (!this.warnedFull) this.o.log.warn({ maxFiles: this.o.maxFiles, path }, 'more files match the globs than --max-files; the rest wait');
        this.warnedFull = true;
        break;
      }
      if (path.endsWith('.gz')) {
        const gzKey = `${key}:${st.size}`;
        if (this.o.readGz && !this.gzDone.has(gzKey)) this.openGz(path, gzKey, st.dev, st.ino);
        continue;
      }
      const startAtEnd = this.firstScan && noState && this.o.startAt === 'end';
      const f = await this.openPlain(path, saved.get(key), startAtEnd);
      if (f) byInode.set(key, f);
    }
    if (this.firstScan) {
      this.firstScan = false;
      await this.resumeRenamed(saved, byInode);
    }
    this.stats.files = this.files.size;
  }

  /** Files the previous run followed that were renamed out of the globs while it was down: read their rest. */
  private async resumeRenamed(saved: Map<string, FileState>, open: Map<string, Followed>): Promise<void> {
    for (const [key, s] of saved) {
      if (open.has(key)) continue;
      let names: string[];
      try {
        names = await readdir(dirname(s.path));
      } catch {
        continue;
      }
      for (const name of names) {
        const path = join(dirname(s.path), name);
        const st = await stat(path).catch(() => null);
        if (!st?.isFile() || st.dev !== s.dev || st.ino !== s.ino) continue;
        const f = await this.openPlain(path, s, false);
        if (f) {
          f.rotated = true;
          this.o.log.info({ path, was: s.path }, 'resuming a file renamed while the shipper was down');
        }
        break;
      }
    }
  }

  private async openPlain(path: string, saved: FileState | undefined, startAtEnd: boolean): Promise<PlainFile | null> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      this.o.log.warn({ path, code: (err as NodeJS.ErrnoException).code }, 'cannot open a log file; will try again');
      return null;
    }
    const st = await fh.stat();
    const head = await readAt(fh, 0, HEAD_BYTES);
    const now = this.o.clock();
    let id: string;
    let pos = 0;
    let skipping = false;
    const savedHead = saved ? Buffer.from(saved.head, 'base64') : null;
    if (saved && savedHead && saved.offset <= st.size && head.subarray(0, savedHead.length).equals(savedHead)) {
      id = saved.id;
      pos = saved.offset;
    } else {
      id = this.idFor(st.dev, st.ino);
      if (startAtEnd && st.size > 0) {
        pos = st.size;
        // Mid-line when a line is being written: its rest is not a line of its own.
        skipping = (await readAt(fh, st.size - 1, 1))[0] !== 0x0a;
      }
    }
    const f: PlainFile = { kind: 'plain', id, dev: st.dev, ino: st.ino, path, fh, pos, committed: pos, skipping, head, rotated: false, lastSize: st.size, lastGrowthMs: now };
    this.files.set(id, f);
    this.o.log.info({ path, file: id, offset: pos }, 'following');
    return f;
  }

  private openGz(path: string, key: string, dev: number, ino: number): void {
    const stream = createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(createGunzip({ chunkSize: 256 * 1024 }));
    const id = this.idFor(dev, ino);
    const f: GzFile = { kind: 'gz', id, key, path, iter: stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>, carry: Buffer.alloc(0), pos: 0, committed: 0, skipping: false, ended: false };
    this.files.set(id, f);
    this.o.log.info({ path, file: id }, 'reading a compressed log once');
  }

  /** Bytes read from `f` (at most about `budget`), chunks appended. */
  private async readPlain(f: PlainFile, budget: number, out: Chunk[]): Promise<number> {
    let size: number;
    try {
      size = (await f.fh.stat()).size;
    } catch {
      return 0;
    }
    const now = this.o.clock();
    if (size < f.pos || (size !== f.lastSize && (await this.headChanged(f, size)))) {
      await this.truncated(f, out);
      size = (await f.fh.stat()).size;
    }
    if (size !== f.lastSize) {
      f.lastSize = size;
      f.lastGrowthMs = now;
    }
    if (f.head.length < HEAD_BYTES && size > f.head.length) f.head = await readAt(f.fh, 0, HEAD_BYTES);
    let read = 0;
    if (size > f.pos) {
      const len = Math.min(size - f.pos, Math.max(budget, this.o.maxLineBytes + 1));
      const buf = await readAt(f.fh, f.pos, len);
      read = buf.length;
      // A rotated file that stopped growing will get no LF for its last partial line: ship it.
      const eof = f.rotated && now - f.lastGrowthMs >= this.o.rotateGraceMs && f.pos + buf.length >= size;
      this.emit(f, buf, eof, out);
    }
    if (f.rotated && f.pos >= size && f.committed >= f.pos && now - f.lastGrowthMs >= this.o.rotateGraceMs) {
      this.files.delete(f.id);
      await f.fh.close().catch(() => undefined);
      this.o.log.info({ path: f.path, file: f.id, offset: f.pos }, 'finished a rotated file');
    }
    return read;
  }

  private emit(f: PlainFile | GzFile, buf: Buffer, eof: boolean, out: Chunk[]): number {
    const cut = cutLines(buf, f.skipping, this.o.maxLineBytes, eof);
    f.skipping = cut.skipping;
    this.stats.capped += cut.capped;
    if (cut.consumed > 0) {
      out.push({ fileId: f.id, path: f.path, start: f.pos, end: f.pos + cut.consumed, parts: cut.parts, lines: cut.lines, bytes: cut.bytes });
      f.pos += cut.consumed;
    }
    return cut.consumed;
  }

  private async headChanged(f: PlainFile, size: number): Promise<boolean> {
    const n = Math.min(f.head.length, size);
    const now = await readAt(f.fh, 0, n);
    return !now.equals(f.head.subarray(0, n));
  }

  /** Copytruncate: recover the unread rest from the copy when there is one, then start the file over. */
  private async truncated(f: PlainFile, out: Chunk[]): Promise<void> {
    this.stats.truncations++;
    const copy = await this.findCopy(f);
    if (copy) {
      this.stats.recoveredFromCopy++;
      try {
        for (;;) {
          const buf = await readAt(copy.fh, f.pos, Math.max(4 * 1024 * 1024, this.o.maxLineBytes + 1));
          const last = f.pos + buf.length >= copy.size;
          this.emit(f, buf, last, out);
          if (last || buf.length === 0) break;
        }
      } finally {
        await copy.fh.close().catch(() => undefined);
      }
      this.o.log.info({ path: f.path, copy: copy.path }, 'log truncated in place (copytruncate): read its unread rest from the copy');
    } else if (f.lastSize > f.pos) {
      const lines = Math.max(1, Math.round((f.lastSize - f.pos) / Math.max(1, this.seenLines ? this.seenBytes / this.seenLines : 200)));
      this.o.onLost(lines, 'copytruncate');
      this.o.log.warn({ path: f.path, bytes: f.lastSize - f.pos, lines }, 'log truncated in place (copytruncate) before its end was read, and no copy was found beside it: lines lost (estimated from the mean line length) and counted as dropped');
    } else {
      this.o.log.info({ path: f.path }, 'log truncated in place (copytruncate) after it was read whole');
    }
    // Whatever is still in flight for the old content commits against the old id, which is forgotten:
    // the new content is a new source, so its offsets from 0 are not taken for duplicates.
    this.files.delete(f.id);
    f.id = this.idFor(f.dev, f.ino);
    f.pos = 0;
    f.committed = 0;
    f.skipping = false;
    f.lastSize = 0;
    f.head = await readAt(f.fh, 0, HEAD_BYTES);
    this.files.set(f.id, f);
  }

  /** The copy a copytruncate left beside `f`: a name starting with its name, its first bytes, at least its read length. */
  private async findCopy(f: PlainFile): Promise<{ path: string; fh: FileHandle; size: number } | null> {
    const dir = dirname(f.path);
    const base = basename(f.path);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return null;
    }
    let best: { path: string; size: number; mtimeMs: number } | null = null;
    for (const name of names) {
      if (name === base || !name.startsWith(base) || name.endsWith('.gz')) continue;
      const path = join(dir, name);
      const st = await stat(path).catch(() => null);
      if (!st?.isFile() || st.ino === f.ino || st.size < f.pos) continue;
      if (!best || st.mtimeMs > best.mtimeMs) best = { path, size: st.size, mtimeMs: st.mtimeMs };
    }
    if (!best) return null;
    const fh = await open(best.path, 'r').catch(() => null);
    if (!fh) return null;
    const head = await readAt(fh, 0, f.head.length);
    if (!head.equals(f.head)) {
      await fh.close();
      return null;
    }
    return { path: best.path, fh, size: best.size };
  }

  private async readGz(f: GzFile, budget: number, out: Chunk[]): Promise<number> {
    let read = 0;
    while (!f.ended && read < budget) {
      let r: IteratorResult<Buffer>;
      try {
        r = await f.iter.next();
      } catch (err) {
        this.o.log.error({ path: f.path, err }, 'cannot read a compressed log (corrupt?); its unread rest is skipped');
        r = { done: true, value: undefined };
      }
      if (r.done) f.ended = true;
      const buf = r.done ? f.carry : f.carry.length ? Buffer.concat([f.carry, r.value]) : r.value;
      read += r.done ? 0 : r.value.length;
      const consumed = this.emit(f, buf, f.ended, out);
      f.carry = buf.subarray(consumed);
    }
    if (f.ended && f.committed >= f.pos) {
      this.files.delete(f.id);
      this.gzDone.add(f.key);
      this.o.log.info({ path: f.path }, 'finished a compressed log');
    }
    return read;
  }
}
