/**
 * `file:PATH`: the embedded default store. Counters live in memory; every increment is appended to a
 * journal and the answer waits until the journal is fsynced (fdatasync). Increments that arrive while
 * one fsync runs are written and synced together (group commit), so throughput grows with
 * concurrency instead of being capped at one fsync per request.
 *
 * Crash behaviour (kill -9, power loss): an answered number is on disk, so a restart never re-issues
 * it. Numbers incremented but not yet synced were never answered; after a restart they may be issued
 * again to later callers, which is not a duplicate because nobody received them. One process owns the
 * journal (a lock file with its pid); --workers needs Redis.
 */
import { closeSync, fchmodSync, fdatasync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { VigiaError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { isValidId } from '../id.js';
import { MAX_TURNO, type TurnoStore } from '../store.js';
import { encodeRecord, replayJournal } from './file-journal.js';
import { releaseLock, takeLock } from './file-lock.js';
import { GroupCommit } from './group-commit.js';

const fdatasyncAsync = promisify(fdatasync);

/** Tuning knobs (tests shrink compactBytes to exercise compaction). */
export interface FileStoreOptions {
  /** Rewrite the journal as a snapshot once it grows past this many bytes (default 64 MiB). */
  readonly compactBytes?: number;
}

interface JournalEntry {
  readonly id: string;
  readonly value: number;
}

/** The durable single-process journal store. */
export class FileStore implements TurnoStore {
  readonly kind = 'file';
  readonly description: string;
  /**
   * One fdatasync at a time, on purpose: Linux reports a writeback error to only one of several
   * concurrent fsync callers on the same file, so with two in flight the other one could confirm a
   * batch that never reached the disk (and its numbers would be issued again after a restart).
   */
  private readonly journal = new GroupCommit<JournalEntry, number>((entries) => this.writeBatch(entries), { maxInFlight: 1 });
  /** Journal size that triggers the next compaction (grows with the snapshot, so it never loops). */
  private compactAt: number;
  /** Batches syncing per fd: an fd replaced by compaction is closed only when its last sync ends. */
  private readonly fdUsers = new Map<number, number>();
  private closed = false;
  private failed: unknown;

  private constructor(
    private readonly path: string,
    private fd: number,
    private size: number,
    private readonly counters: Map<string, number>,
    private readonly log: Logger,
    private readonly compactBytes: number,
  ) {
    this.description = `file:${path}`;
    this.compactAt = compactBytes;
  }

  /** Open (creating if needed) and replay the journal at `path`, taking its lock. */
  static open(path: string, log: Logger, options: FileStoreOptions = {}): FileStore {
    const abs = resolve(path);
    // The journal (and its lock) are the store's alone: 0600, in a 0700 directory when we create one
    // (an existing directory is the operator's choice and is left as it is).
    mkdirSync(dirname(abs), { recursive: true, mode: 0o700 });
    takeLock(`${abs}.lock`);
    try {
      let text = '';
      try {
        text = readFileSync(abs, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const replay = replayJournal(text);
      if (replay.corruptLines.length > 0) {
        throw new VigiaError('TURNO_ERR_STORE_CORRUPT', `${abs}: invalid records at lines ${replay.corruptLines.slice(0, 10).join(', ')}; refusing to start (a lost record could re-issue numbers). See docs/turno.md#file-store-recovery`);
      }
      const fd = openSync(abs, 'a', JOURNAL_MODE);
      keepPrivate(fd, abs, log);
      if (replay.tornTailLines > 0) {
        log.warn({ path: abs, lines: replay.tornTailLines }, 'dropping torn journal tail left by a crash (those numbers were never answered)');
        ftruncateSync(fd, Buffer.byteLength(text.slice(0, replay.validBytes)));
        fsyncSync(fd);
      }
      fsyncDir(dirname(abs));
      const size = statSync(abs).size;
      log.info({ path: abs, ids: replay.counters.size, records: replay.records }, 'file store opened');
      return new FileStore(abs, fd, size, replay.counters, log, options.compactBytes ?? 64 * 1024 * 1024);
    } catch (err) {
      releaseLock(`${abs}.lock`);
      throw err;
    }
  }

  next(id: string): Promise<number> {
    const refused = this.refusal(id);
    if (refused) return Promise.reject(refused);
    if (this.journal.full) return Promise.reject(new VigiaError('TURNO_ERR_STORE_UNAVAILABLE', 'too many increments waiting for the disk'));
    const value = (this.counters.get(id) ?? 0) + 1;
    if (value > MAX_TURNO) return Promise.reject(new VigiaError('TURNO_ERR_COUNTER_EXHAUSTED', id));
    this.counters.set(id, value);
    return this.journal.submit({ id, value });
  }

  current(id: string): Promise<number> {
    return Promise.resolve(this.counters.get(id) ?? 0);
  }

  async advance(id: string, value: number): Promise<void> {
    const refused = this.refusal(id);
    if (refused) throw refused;
    if (!Number.isSafeInteger(value) || value < 0) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'value must be a safe non-negative integer');
    if ((this.counters.get(id) ?? 0) >= value) return;
    this.counters.set(id, value);
    await this.journal.submit({ id, value });
  }

  ping(): Promise<void> {
    const refused = this.refusal('ping');
    return refused ? Promise.reject(refused) : Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.journal.idle();
    closeSync(this.fd);
    releaseLock(`${this.path}.lock`);
  }

  private refusal(id: string): VigiaError | undefined {
    if (this.closed) return new VigiaError('TURNO_ERR_STORE_UNAVAILABLE', 'store is closed');
    if (this.failed) return new VigiaError('TURNO_ERR_STORE_UNAVAILABLE', 'journal write failed; restart needed', { cause: this.failed });
    // The journal is line-based: an id with a space or newline would corrupt it.
    if (!isValidId(id)) return new VigiaError('TURNO_ERR_INVALID_ID');
    return undefined;
  }

  /**
   * Append one batch (synchronously, so batches reach the file in order) and fdatasync it; on failure
   * refuse every later increment (disk state unknown). Replay keeps the largest value per id, so a
   * batch writes one record per id: its last value.
   */
  private writeBatch(entries: readonly JournalEntry[]): Promise<number[]> {
    const fd = this.fd;
    try {
      const last = new Map<string, number>();
      for (const e of entries) last.set(e.id, e.value); // values of an id only grow within a batch
      let text = '';
      for (const [id, value] of last) text += encodeRecord(id, value);
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      this.size += buf.length;
    } catch (err) {
      return Promise.reject(this.fail(err));
    }
    this.fdUsers.set(fd, (this.fdUsers.get(fd) ?? 0) + 1);
    return fdatasyncAsync(fd).then(
      () => {
        this.releaseFd(fd);
        if (this.size > this.compactAt && fd === this.fd) this.compactSafely();
        return entries.map((e) => e.value);
      },
      (err: unknown) => {
        this.releaseFd(fd);
        throw this.fail(err);
      },
    );
  }

  private releaseFd(fd: number): void {
    const users = (this.fdUsers.get(fd) ?? 1) - 1;
    if (users > 0) return void this.fdUsers.set(fd, users);
    this.fdUsers.delete(fd);
    if (fd !== this.fd) closeSync(fd);
  }

  private fail(err: unknown): VigiaError {
    this.failed ??= err;
    this.log.error({ err, path: this.path }, 'journal write failed; store refuses further increments');
    const e = new VigiaError('TURNO_ERR_STORE_UNAVAILABLE', 'journal write failed', { cause: err });
    this.journal.failQueued(e);
    return e;
  }

  /**
   * Rewrite the journal as one record per id (current in-memory values, which are >= everything on
   * disk), atomically: write a temp file, fsync it, rename it over the journal, fsync the directory.
   * Synchronous on purpose: nothing else may touch the journal meanwhile, and it is rare. Its failure
   * never rejects the batch that triggered it (that batch is on disk): before the rename nothing
   * changed, so log and retry after more growth; after it the journal's state is unknown, so refuse
   * further increments.
   */
  private compactSafely(): void {
    const started = Date.now();
    const tmp = `${this.path}.compact`;
    let text: string;
    try {
      text = this.writeSnapshot(tmp);
    } catch (err) {
      this.log.error({ err, path: this.path }, 'journal compaction failed; will retry after more growth');
      rmSync(tmp, { force: true });
      this.compactAt = this.size + this.compactBytes;
      return;
    }
    try {
      renameSync(tmp, this.path);
      fsyncDir(dirname(this.path));
      const old = this.fd;
      this.fd = openSync(this.path, 'a', JOURNAL_MODE);
      if (!this.fdUsers.has(old)) closeSync(old); // else closed by releaseFd when its last sync ends
    } catch (err) {
      this.fail(err);
      return;
    }
    this.size = Buffer.byteLength(text);
    // Next compaction once the journal doubled past the snapshot: with many ids the snapshot alone can
    // exceed compactBytes, and compacting after every batch would stall the event loop.
    this.compactAt = Math.max(this.compactBytes, 2 * this.size);
    this.log.info({ path: this.path, ids: this.counters.size, bytes: this.size, ms: Date.now() - started }, 'journal compacted');
  }

  /** Write every counter to `tmp` and fsync it; returns the text written. */
  private writeSnapshot(tmp: string): string {
    const parts: string[] = [];
    for (const [id, v] of this.counters) parts.push(encodeRecord(id, v));
    const text = parts.join('');
    writeFileSync(tmp, text, { mode: JOURNAL_MODE });
    const tfd = openSync(tmp, 'r+');
    try {
      // A temp file left by a crash keeps its old mode through writeFileSync.
      fchmodSync(tfd, JOURNAL_MODE);
      fsyncSync(tfd);
    } finally {
      closeSync(tfd);
    }
    return text;
  }
}

/** Mode of the journal and its temp files: the counters are this store's alone. */
const JOURNAL_MODE = 0o600;

/** Take group and other bits off an open journal (one left 0644 by an older version); a failure is logged, not fatal. */
function keepPrivate(fd: number, path: string, log: Logger): void {
  try {
    const mode = fstatSync(fd).mode & 0o7777;
    if (mode & 0o077) fchmodSync(fd, mode & 0o7700);
  } catch (err) {
    log.warn({ err, path }, 'cannot make the journal private (chmod 600 it)');
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
