/**
 * Embedded PGlite behind the `Database` interface. PGlite is one in-process Postgres: two processes
 * opening the same data directory corrupt it, so a lock file `<dir>/vigia.lock` holding the owner's
 * pid guards it. A lock whose pid is dead is stale (a crash) and is taken over.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { VigiaError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Database, Queryable } from './database.js';

/** Name of the lock file inside a PGlite data directory. */
export const PGLITE_LOCK_FILE = 'vigia.lock';

/** A held directory lock; `release` removes the file only while it still names this process. */
export interface DirLock {
  readonly path: string;
  release(): void;
}

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

/**
 * Take `<dir>/vigia.lock` exclusively (O_EXCL), writing our pid. Throws CONTROL_ERR_STORE_LOCKED when
 * a live process (this one included: a second open in-process corrupts just the same) holds it;
 * removes and retakes a lock whose pid is gone.
 */
export function acquireDirLock(dir: string, log?: Logger): DirLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, PGLITE_LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        path,
        release: () => {
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
    let text = '';
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch {
      continue; // removed meanwhile: retry
    }
    const pid = Number(text);
    if (text !== '' && pidAlive(pid)) {
      throw new VigiaError('CONTROL_ERR_STORE_LOCKED', `${path} held by pid ${pid}; use --server URL or stop it`);
    }
    // An empty file may be a lock being written right now; only a named dead pid is surely stale.
    if (text === '' && attempt === 0) continue;
    log?.warn({ path, stalePid: text }, 'taking over a stale embedded-store lock');
    rmSync(path, { force: true });
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
  };
}

/**
 * Open PGlite on `dataDir` (created when missing; locked while open), or in memory when `dataDir` is
 * undefined or `memory://` (tests).
 */
export async function openPglite(dataDir?: string, options: { log?: Logger } = {}): Promise<Database> {
  const inMemory = dataDir === undefined || dataDir === '' || dataDir.startsWith('memory://');
  const lock = inMemory ? undefined : acquireDirLock(dataDir, options.log);
  let db: PGlite;
  try {
    db = inMemory ? await PGlite.create() : await PGlite.create(dataDir);
    await db.exec(`SET TimeZone = 'UTC'`);
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
      } finally {
        lock?.release();
      }
    },
  };
}
