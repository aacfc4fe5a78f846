/**
 * The append-only audit log of action calls: one JSON line per event, in a file opened with
 * O_APPEND|O_CREAT and mode 0600 (an existing file with group/other bits is fixed to 0600 when
 * opened), each line written with a single write() so lines from concurrent calls never interleave.
 * The agent never truncates or rewrites it. Rotation is logrotate's job without copytruncate: before
 * each write the log checks that its path still names the file it holds open (same device and inode)
 * and reopens the path when it was renamed or removed.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';

/** One audit event. `ts` is added by the log when absent. */
export interface AuditEntry {
  readonly ts?: string;
  readonly event: 'action.start' | 'action.end' | 'action.rejected' | 'request.rejected';
  readonly run_id?: string | null;
  readonly client: string;
  /** The caller's address, for refusals made before a token was accepted. */
  readonly address?: string;
  /** The action's name; absent from a `request.rejected` line (a path that names no action). */
  readonly action?: string;
  /** HTTP-level refusals: the request's method and path (as sent, no query). */
  readonly method?: string;
  readonly path?: string;
  readonly params?: unknown;
  readonly exit_code?: number | null;
  readonly signal?: string | null;
  readonly timed_out?: boolean;
  readonly duration_ms?: number | null;
  readonly status?: string;
  readonly reason?: string;
}

/** A state-changing request the HTTP layer refused (the agent server's onRequestRefused). */
export interface HttpRefusal {
  readonly method: string;
  /** The path as sent, without the query, at most 200 characters. */
  readonly path: string;
  /** The action's name (percent-decoded) when the path names one (`/v1/actions/<name>`), else undefined. */
  readonly action: string | undefined;
  /** Token name, or null when the request carried no valid token. */
  readonly client: string | null;
  readonly address: string;
  readonly status: number;
  readonly code: string;
}

/**
 * The audit line of a request the HTTP layer refused: `action.rejected` when its path names an
 * action, `request.rejected` otherwise (a trailing or doubled slash, another route); `client` is `-`
 * without a valid token. Pure.
 */
export function refusalAuditEntry(r: HttpRefusal): AuditEntry {
  return {
    event: r.action === undefined ? 'request.rejected' : 'action.rejected',
    client: r.client ?? '-',
    address: r.address,
    ...(r.action === undefined ? {} : { action: r.action.slice(0, 100) }),
    method: r.method,
    path: r.path,
    status: String(r.status),
    reason: r.code,
  };
}

/** Where audit events go. */
export interface AuditLog {
  /** Append one entry as one JSON line; resolves once written to the file. */
  write(entry: AuditEntry): Promise<void>;
  /** Close the file; later writes reject. */
  close(): Promise<void>;
}

/** Serialise one entry as exactly one line (JSON escapes any newline inside values). Pure. */
export function formatAuditLine(entry: AuditEntry, now: Date = new Date()): string {
  return JSON.stringify({ ts: now.toISOString(), ...entry }) + '\n';
}

async function openFile(path: string): Promise<{ fh: FileHandle; dev: number; ino: number }> {
  const fh = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
  try {
    const st = await fh.stat();
    // O_CREAT's mode only applies to a new file; an older one may be readable by others.
    if (st.mode & 0o077) await fh.chmod(0o600);
    return { fh, dev: st.dev, ino: st.ino };
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Open (creating with mode 0600, fixing an existing file to 0600) the audit log at `path` for
 * appending. Writes are serialised; each first reopens the path if logrotate moved the file away.
 */
export async function openAuditLog(path: string): Promise<AuditLog> {
  let cur = await openFile(path);
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const reopenIfMoved = async (): Promise<void> => {
    let moved: boolean;
    try {
      const st = await stat(path);
      moved = st.dev !== cur.dev || st.ino !== cur.ino;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      moved = true;
    }
    if (!moved) return;
    const next = await openFile(path);
    const old = cur;
    cur = next;
    await old.fh.close().catch(() => undefined);
  };
  const writeLine = async (entry: AuditEntry): Promise<void> => {
    if (closed) throw new Error('audit log is closed');
    await reopenIfMoved();
    const buf = Buffer.from(formatAuditLine(entry), 'utf8');
    const { bytesWritten } = await cur.fh.write(buf, 0, buf.length);
    if (bytesWritten !== buf.length) throw new Error(`audit log: short write (${bytesWritten} of ${buf.length} bytes)`);
  };
  return {
    write(entry) {
      if (closed) return Promise.reject(new Error('audit log is closed'));
      const p = queue.then(() => writeLine(entry));
      queue = p.catch(() => undefined);
      return p;
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      await cur.fh.close();
    },
  };
}

/** An audit log kept in memory (for callers that have no file); `lines` holds what was written. */
export function memoryAuditLog(): AuditLog & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    async write(entry) {
      lines.push(formatAuditLine(entry));
    },
    async close() {},
  };
}
