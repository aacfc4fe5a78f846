/**
 * The file store's single-writer lock: `<journal>.lock` names its holder as
 * `<pid> <start time> <pid namespace> <boot id>`, and the holder touches the file every second (a lease).
 *
 * A lock left behind is taken over when its holder is provably gone: same boot and pid namespace, and
 * the pid is dead or now belongs to another process (start time differs). When the holder cannot be
 * checked (another container's pid namespace, another host on a shared volume, another boot), the
 * lease decides: a lock not touched for LEASE_MS is stale. Two live writers would hand out the same
 * numbers, so "cannot tell" waits for the lease rather than guessing.
 */
import { closeSync, openSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { VigiaError } from '../../core/errors.js';

/** A holder that stops touching its lock for this long is considered gone. */
export const LEASE_MS = 5000;
const HEARTBEAT_MS = 1000;

/** Who holds (or wants) a lock. */
export interface LockHolder {
  readonly pid: number;
  readonly start: string;
  readonly pidNs: string;
  readonly bootId: string;
}

/** What to do with an existing lock file. Pure, so every case is table-tested. */
export function lockVerdict(holder: LockHolder | undefined, self: LockHolder, ageMs: number, probe: { alive: (pid: number) => boolean; startOf: (pid: number) => string | undefined }): 'held' | 'stale' | 'wait' {
  if (!holder) return ageMs > LEASE_MS ? 'stale' : 'wait'; // unreadable or being written
  const sameHost = holder.bootId !== '' && holder.bootId === self.bootId && holder.pidNs !== '' && holder.pidNs === self.pidNs;
  if (sameHost) {
    if (holder.pid === self.pid && holder.start === self.start) return 'held'; // this very process
    return probe.alive(holder.pid) && probe.startOf(holder.pid) === holder.start ? 'held' : 'stale';
  }
  return ageMs > LEASE_MS ? 'stale' : 'wait';
}

/** Parse a lock file's text (undefined when it is not a complete record). */
export function parseLockRecord(text: string): LockHolder | undefined {
  const m = /^(\d+) (\S*) (\S*) (\S*)\n$/.exec(text);
  return m ? { pid: Number(m[1]), start: m[2]!, pidNs: m[3]!, bootId: m[4]! } : undefined;
}

/** This process as a lock holder. */
export function currentHolder(): LockHolder {
  return { pid: process.pid, start: processStartTime(process.pid) ?? '', pidNs: readOr(() => readlinkSync('/proc/self/ns/pid')), bootId: readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()) };
}

const held = new Map<string, NodeJS.Timeout>();

/**
 * Take `lockPath`, waiting up to a lease when its holder cannot be checked. Throws
 * TURNO_ERR_STORE_LOCKED when another live process holds it.
 */
export function takeLock(lockPath: string): void {
  if (held.has(lockPath)) throw new VigiaError('TURNO_ERR_STORE_LOCKED', `${lockPath} is already open in this process`);
  const self = currentHolder();
  const record = `${self.pid} ${self.start} ${self.pidNs} ${self.bootId}\n`;
  const deadline = Date.now() + LEASE_MS + 2 * HEARTBEAT_MS;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeFileSync(fd, record);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let text = '';
    let ageMs = 0;
    try {
      text = readFileSync(lockPath, 'utf8');
      ageMs = Date.now() - statSync(lockPath).mtimeMs;
    } catch {
      continue; // removed meanwhile: try to create it again
    }
    const holder = parseLockRecord(text);
    const verdict = lockVerdict(holder, self, ageMs, { alive: isAlive, startOf: processStartTime });
    if (verdict === 'held') throw new VigiaError('TURNO_ERR_STORE_LOCKED', `${lockPath} is held by pid ${holder?.pid} (a live process)`);
    if (verdict === 'wait') {
      if (Date.now() > deadline) throw new VigiaError('TURNO_ERR_STORE_LOCKED', `${lockPath} is held by pid ${holder?.pid ?? '?'} in another pid namespace or host, and its lease is fresh`);
      sleepSync(250);
      continue;
    }
    // Stale: replace it atomically, then make sure nobody else replaced it at the same moment.
    const tmp = `${lockPath}.${process.pid}`;
    writeFileSync(tmp, record, { mode: 0o600 });
    renameSync(tmp, lockPath);
    sleepSync(50);
    if (readOr(() => readFileSync(lockPath, 'utf8')) === record) break;
  }
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(lockPath, now, now);
    } catch {
      // the lock file vanished: the next open by anyone will take it; nothing to do here
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  held.set(lockPath, heartbeat);
}

/** Release a lock this process took (no-op otherwise). */
export function releaseLock(lockPath: string): void {
  const heartbeat = held.get(lockPath);
  if (!heartbeat) return;
  clearInterval(heartbeat);
  held.delete(lockPath);
  try {
    unlinkSync(lockPath);
  } catch {
    // already gone
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined off Linux. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOr(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
