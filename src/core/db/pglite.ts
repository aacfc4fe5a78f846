/**
 * Embedded PGlite behind the `Database` interface. PGlite is one in-process Postgres: two processes
 * opening the same data directory corrupt it, so a lock file `<dir>/vigia.lock` holding the owner's
 * pid guards it. A lock whose pid is dead is stale (a crash) and is taken over, as is one naming our
 * own pid that this process did not take (a restarted container's PID 1).
 *
 * The data directory holds host-token hashes, the audit log and archives, so it is private: the
 * directory 0700 and everything in it 0600/0700. PGlite does not do that itself: its Emscripten file
 * system chmods every file it creates to the mode asked for, bypassing the umask, and its initdb asks
 * for 0666 (measured with 0.5.16: 968 of 1,058 files 0666 after a first open, under umask 022 and 077
 * alike; so a process umask around the open would not help, and none is set). Hence: the directory is
 * created 0700 (tightened when it exists), a directory others could change is refused before anything
 * is written, and a chmod pass after the open and after the close takes group and other bits off every
 * entry. Between open and close, Postgres creates files 0600 itself (measured: tables, indexes, WAL
 * segments, checkpoints); and whatever it creates sits inside the 0700 directory that others cannot enter.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { VigiaError } from '../errors.js';
import { pathTrustProblem } from '../fs-trust.js';
import type { Logger } from '../log.js';
import type { Database, Queryable } from './database.js';

/** Name of the lock file inside a PGlite data directory. */
export const PGLITE_LOCK_FILE = 'vigia.lock';

/** A held directory lock; `release` removes the file only while it still names this process. */
export interface DirLock {
  readonly path: string;
  release(): void;
}

// Lock files this process holds (real paths). A lock file naming our own pid that is not in here
// was left by an earlier process that had the same pid (a container's PID 1 after a crash): stale.
const HELD = new Set<string>();
// An empty lock file younger than this may be one being written right now (O_EXCL create, then write).
const EMPTY_LOCK_GRACE_MS = 10_000;

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else; still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Take a stale lock whose content we read as `seen` out of the way atomically: rename it to a name
 * only we know, then look at what we actually moved. When it is still the stale lock, delete it;
 * when another process took the lock over meanwhile (its fresh lock is what we moved), put it back
 * without overwriting anything. Two processes that both saw the same dead pid can no longer delete
 * each other's fresh lock: only one rename of the stale file succeeds.
 */
function moveStaleAside(path: string, seen: string, log?: Logger): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else moved it: retry
    throw err;
  }
  let moved: string | undefined;
  try {
    moved = readLock(aside);
  } catch {
    moved = undefined;
  }
  if (moved === seen) {
    rmSync(aside, { force: true });
    return;
  }
  // Not the file we judged stale: a fresh lock of another process. link() refuses to overwrite, so a
  // lock created at `path` in between is never clobbered.
  try {
    linkSync(aside, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      // A third process created a lock in the instant `path` was empty: two processes now believe they
      // hold it and nothing here can revoke either. Needs three starts within microseconds on a lock
      // whose owner died; say so loudly rather than silently.
      log?.error({ path, moved, aside }, 'embedded-store lock takeover collided with two other processes; stop one of them');
    } else if (code === 'ENOENT') {
      // nothing to put back
    } else {
      renameSync(aside, path); // a filesystem without hard links
      return;
    }
  }
  rmSync(aside, { force: true });
}

/**
 * Take `<dir>/vigia.lock` exclusively (O_EXCL), writing our pid. Throws CONTROL_ERR_STORE_LOCKED when
 * a live process (this one included, when it already holds this directory: a second open in-process
 * corrupts just the same) holds it; takes over a lock whose pid is gone, or that names our pid but was
 * not taken by this process (left by an earlier process with the same pid, e.g. PID 1 in a container).
 */
export function acquireDirLock(dir: string, log?: Logger): DirLock {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, PGLITE_LOCK_FILE);
  const key = join(realpathSync(dir), PGLITE_LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (!HELD.has(key)) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        try {
          writeSync(fd, `${process.pid}\n`);
        } finally {
          closeSync(fd);
        }
        HELD.add(key);
        let released = false;
        return {
          path,
          release: () => {
            if (released) return;
            released = true;
            HELD.delete(key);
            try {
              if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
            } catch {
              // already gone
            }
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const text = readLock(path);
    if (text === undefined) continue; // removed meanwhile: retry
    const pid = Number(text);
    const ours = pid === process.pid;
    if ((ours && HELD.has(key)) || (!ours && text !== '' && pidAlive(pid))) {
      throw new VigiaError('CONTROL_ERR_STORE_LOCKED', `${path} held by pid ${pid}; use --server URL or stop it`);
    }
    if (text === '') {
      // An empty file may be a lock being written right now; only an old one is surely stale.
      let ageMs = 0;
      try {
        ageMs = Date.now() - statSync(path).mtimeMs;
      } catch {
        continue;
      }
      if (ageMs < EMPTY_LOCK_GRACE_MS) throw new VigiaError('CONTROL_ERR_STORE_LOCKED', `${path} is being taken by another process; retry`);
    }
    log?.warn({ path, stalePid: text }, 'taking over a stale embedded-store lock');
    moveStaleAside(path, text, log);
  }
  throw new VigiaError('CONTROL_ERR_STORE_LOCKED', `${path}: could not take the lock`);
}

function queryable(db: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      const r = await db.query<T>(text, params as unknown[]);
      return r.rows;
    },
    async exec(text: string): Promise<void> {
      await db.exec(text);
    },
    async copyFrom(target: string, data: string): Promise<void> {
      // PGlite reads COPY input from the virtual file /dev/blob.
      await db.query(`COPY ${target} FROM '/dev/blob'`, [], { blob: new Blob([data]) });
    },
  };
}

/**
 * Create `dir` (0700, parents too) when missing; throw VIGIA_ERR_UNSAFE_PATH, naming `flag`, when it or
 * a directory above it is owned by another non-root user or writable by group or others (someone else
 * may have changed the store, or may swap it); take group and other bits off `dir` itself (an older
 * version left it 0755). Nothing is written into `dir` before it passed.
 */
export async function preparePrivateDir(dir: string, flag: string): Promise<void> {
  const unsafe = (detail: string, cause?: unknown): VigiaError => new VigiaError('VIGIA_ERR_UNSAFE_PATH', `${flag} ${dir}: ${detail}`, { cause });
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${flag} ${dir}: cannot create it (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  const problem = await pathTrustProblem(dir, 'dir');
  if (problem) throw unsafe(problem);
  const st = await stat(dir);
  if (st.mode & 0o077) await chmod(dir, st.mode & 0o7700).catch((err: unknown) => {
    throw unsafe(`cannot make it private (chmod: ${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  });
}

/**
 * Take group and other permission bits off every directory and file below `dir` (symlinks are left
 * alone: chmod would follow them). Returns how many entries changed. Entries that vanish meanwhile
 * (a running store removes files) are skipped.
 */
export async function makeTreePrivate(dir: string): Promise<number> {
  let changed = 0;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  for (const name of names) {
    const p = join(dir, name);
    try {
      const st = await lstat(p);
      if (st.isSymbolicLink()) continue;
      if (st.mode & 0o077) {
        await chmod(p, st.mode & 0o7700);
        changed++;
      }
      if (st.isDirectory()) changed += await makeTreePrivate(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return changed;
}

/**
 * Open PGlite on `dataDir` (created 0700 when missing, refused with VIGIA_ERR_UNSAFE_PATH naming
 * `flag` when others could change it, locked while open, kept private: see the top of this file), or
 * in memory when `dataDir` is undefined or `memory://` (tests).
 */
export async function openPglite(dataDir?: string, options: { log?: Logger; flag?: string } = {}): Promise<Database> {
  const inMemory = dataDir === undefined || dataDir === '' || dataDir.startsWith('memory://');
  if (!inMemory) await preparePrivateDir(dataDir, options.flag ?? 'data directory');
  const lock = inMemory ? undefined : acquireDirLock(dataDir, options.log);
  let db: PGlite;
  try {
    db = inMemory ? await PGlite.create() : await PGlite.create(dataDir);
    await db.exec(`SET TimeZone = 'UTC'`);
    if (!inMemory) {
      const changed = await makeTreePrivate(dataDir);
      if (changed > 0) options.log?.debug({ dataDir, changed }, 'embedded store: group and other permissions removed');
    }
  } catch (err) {
    lock?.release();
    throw new VigiaError('CONTROL_ERR_STORE_UNAVAILABLE', `embedded store at ${dataDir ?? 'memory'} did not open`, { cause: err });
  }
  const q = queryable(db);
  let closed = false;
  return {
    kind: 'pglite',
    query: q.query,
    exec: q.exec,
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction((tx) => fn(queryable(tx)));
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        await db.close();
        if (!inMemory) await makeTreePrivate(dataDir);
      } finally {
        lock?.release();
      }
    },
  };
}
