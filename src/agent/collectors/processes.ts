/**
 * Top processes by CPU, memory or disk I/O, from /proc/<pid>/{stat,status,io} (cmdline only for the winners).
 * Rates are deltas between two scans, like top(1) and iotop(8).
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import type { HostRoots } from '../model.js';
import { USER_HZ } from './proc-stat.js';
import { parsePasswdEntries } from '../passwd.js';
import { redactArgv } from '../../core/redact.js';

/** One process in a top-N answer. Rates are null when /proc/<pid>/io was unreadable (EACCES). */
export interface ProcessSample {
  pid: number;
  /** User name from <rootfs>/etc/passwd, or the numeric uid when unknown. */
  user: string;
  /** Command line joined with spaces, secret values redacted unless asked in full; `[comm]` for kernel threads (empty cmdline). */
  command: string;
  /** The kernel's short name (comm). */
  comm: string;
  /** Percent of ONE CPU over the interval, like top (may exceed 100 for multi-threaded processes). */
  cpu_pct: number;
  rss_bytes: number;
  read_bytes_per_s: number | null;
  write_bytes_per_s: number | null;
  /** Single-letter state from /proc/<pid>/stat (R, S, D, Z, ...). */
  state: string;
  threads: number;
}

/** The fields of /proc/<pid>/stat we use. CPU times are in clock ticks (USER_HZ). */
export interface ProcPidStat {
  pid: number;
  comm: string;
  state: string;
  utimeTicks: number;
  stimeTicks: number;
  threads: number;
  /** Start time after boot in ticks: tells a reused pid from the process seen before. */
  startTicks: number;
  rssPages: number;
}

/**
 * Splits /proc/<pid>/stat (pure): comm may contain spaces and ')' so it spans from the first '(' to the
 * LAST ')'; `fields[0]` is field 3 (state), so field N is `fields[N - 3]`. Undefined when malformed.
 */
export function splitProcPidStat(text: string): { pid: number; comm: string; fields: string[] } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  if (!Number.isInteger(pid)) return undefined;
  return { pid, comm: text.slice(open + 1, close), fields: text.slice(close + 1).trim().split(/\s+/) };
}

/** Parses /proc/<pid>/stat (pure); throws on malformed text. */
export function parseProcPidStat(text: string): ProcPidStat {
  const split = splitProcPidStat(text);
  if (!split) throw new Error('malformed /proc/<pid>/stat');
  const { pid, comm, fields: f } = split;
  const n = (field: number): number => Number(f[field - 3] ?? 'NaN');
  const out: ProcPidStat = {
    pid,
    comm,
    state: f[0] ?? '?',
    utimeTicks: n(14),
    stimeTicks: n(15),
    threads: n(20),
    startTicks: n(22),
    rssPages: n(24),
  };
  if (!Number.isFinite(pid) || !Number.isFinite(out.utimeTicks) || !Number.isFinite(out.startTicks)) {
    throw new Error('malformed /proc/<pid>/stat');
  }
  return out;
}

/** The fields of /proc/<pid>/status we use: real uid, resident set (bytes) and thread count. */
export interface ProcPidStatus {
  uid: number | null;
  rssBytes: number | null;
  threads: number | null;
}

/** Parses /proc/<pid>/status (pure). VmRSS is absent for kernel threads (rssBytes null). */
export function parseProcPidStatus(text: string): ProcPidStatus {
  const uid = /^Uid:\s+(\d+)/m.exec(text);
  const rss = /^VmRSS:\s+(\d+)\s*kB/m.exec(text);
  const threads = /^Threads:\s+(\d+)/m.exec(text);
  return {
    uid: uid ? Number(uid[1]) : null,
    rssBytes: rss ? Number(rss[1]) * 1024 : null,
    threads: threads ? Number(threads[1]) : null,
  };
}

/** Storage I/O of a process from /proc/<pid>/io: bytes actually fetched from / sent to the block layer. */
export interface ProcPidIo {
  readBytes: number;
  writeBytes: number;
}

/** Parses /proc/<pid>/io (pure). Throws when read_bytes/write_bytes are missing. */
export function parseProcPidIo(text: string): ProcPidIo {
  const r = /^read_bytes:\s+(\d+)/m.exec(text);
  const w = /^write_bytes:\s+(\d+)/m.exec(text);
  if (!r || !w) throw new Error('malformed /proc/<pid>/io');
  return { readBytes: Number(r[1]), writeBytes: Number(w[1]) };
}

/** Parses an /etc/passwd file (pure) into uid -> user name. The first entry for a uid wins. */
export function parsePasswd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of parsePasswdEntries(text)) if (!out.has(e.uid)) out.set(e.uid, e.name);
  return out;
}

/** How much of a command line an answer shows: `redacted` (secret values replaced, see redactArgv) or `full`. */
export type CommandLineView = 'redacted' | 'full';

/**
 * Turns a /proc/<pid>/cmdline (NUL-separated) into a display string (pure); `[comm]` when empty (kernel
 * thread). Redacted unless `view` is `full`: arguments are redacted one by one before they are joined,
 * so `--password` and its value stay told apart.
 */
export function formatCmdline(raw: string, comm: string, view: CommandLineView = 'redacted'): string {
  const argv = raw.replace(/\0+$/, '').split('\0');
  const s = (view === 'full' ? argv : redactArgv(argv)).join(' ').trim();
  return s === '' ? `[${comm}]` : s;
}

/** One process as seen by one scan. */
export interface ProcessRecord {
  stat: ProcPidStat;
  uid: number | null;
  rssBytes: number;
  io: ProcPidIo | null;
}

/** One scan of every process, with the clock reading (ms) when it finished. */
export interface ProcessScan {
  at: number;
  procs: Map<number, ProcessRecord>;
}

/** How top() orders processes. */
export type ProcessSort = 'cpu' | 'mem' | 'io';

/**
 * Computes per-process rates between two scans and returns the top `limit` (pure, without user/command).
 * A pid missing from `prev` (or reused: other start time) is new since then, so all its counters count.
 * Ties are broken by ascending pid.
 */
export function rankProcesses(
  prev: ProcessScan,
  cur: ProcessScan,
  sort: ProcessSort,
  limit: number,
): (Omit<ProcessSample, 'user' | 'command'> & { uid: number | null })[] {
  const seconds = Math.max((cur.at - prev.at) / 1000, 1e-3);
  const rows = [...cur.procs.values()].map((p) => {
    const before = prev.procs.get(p.stat.pid);
    const same = before !== undefined && before.stat.startTicks === p.stat.startTicks;
    const ticks = p.stat.utimeTicks + p.stat.stimeTicks - (same ? before.stat.utimeTicks + before.stat.stimeTicks : 0);
    const rate = (now: number | undefined, then: number | undefined): number | null =>
      now === undefined ? null : Math.max(0, now - (same ? (then ?? now) : 0)) / seconds;
    const ioKnown = p.io !== null && (!same || before.io !== null);
    return {
      pid: p.stat.pid,
      uid: p.uid,
      comm: p.stat.comm,
      cpu_pct: round2((Math.max(0, ticks) / USER_HZ / seconds) * 100),
      rss_bytes: p.rssBytes,
      read_bytes_per_s: ioKnown ? round2(rate(p.io?.readBytes, before?.io?.readBytes)!) : null,
      write_bytes_per_s: ioKnown ? round2(rate(p.io?.writeBytes, before?.io?.writeBytes)!) : null,
      state: p.stat.state,
      threads: p.stat.threads,
    };
  });
  const key = (r: (typeof rows)[number]): number =>
    sort === 'cpu' ? r.cpu_pct : sort === 'mem' ? r.rss_bytes : r.read_bytes_per_s === null ? -1 : r.read_bytes_per_s + (r.write_bytes_per_s ?? 0);
  rows.sort((a, b) => key(b) - key(a) || a.pid - b.pid);
  return rows.slice(0, Math.max(0, limit));
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

const PAGE_BYTES = 4096;
const CONCURRENCY = 64;
const PASSWD_TTL_MS = 60_000;
/** A process list younger than this is shared with callers instead of scanning again. */
const FRESH_MS = 500;

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** Runs `fn` over items with at most `limit` in flight. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Options of a ProcessSampler. */
export interface ProcessSamplerOptions {
  roots: HostRoots;
  /** Milliseconds; defaults to Date.now. */
  clock?: Clock;
  /** Waits between two scans when no recent scan exists; defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Gap between two fresh scans, ms (default 500). */
  gapMs?: number;
}

/**
 * Answers "which processes use the most CPU / memory / I/O right now". Keeps the last scan and reuses it
 * as the baseline when it is 0.5-60 s old; otherwise scans twice, gapMs apart. Calls are serialized.
 * Processes that vanish mid-scan are skipped; an unreadable /proc/<pid>/io gives null rates.
 */
export class ProcessSampler {
  private readonly roots: HostRoots;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly gapMs: number;
  private pair: { prev: ProcessScan; cur: ProcessScan } | undefined;
  private inflight: Promise<{ prev: ProcessScan; cur: ProcessScan }> | undefined;
  private users: { map: Map<number, string>; at: number } | undefined;

  constructor(opts: ProcessSamplerOptions) {
    this.roots = opts.roots;
    this.clock = opts.clock ?? systemClock;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.gapMs = opts.gapMs ?? 500;
  }

  /**
   * The top `limit` processes by `sort`, with rates over the interval between two scans. Callers share
   * work: an answer less than FRESH_MS old is reused, and callers arriving while scans run wait for
   * them, so a client polling as fast as its rate limit allows costs at most one scan per FRESH_MS.
   * Command lines are redacted unless `commandLines` is `full` (the caller checked that it may).
   */
  async top(opts: { sort: ProcessSort; limit: number; commandLines?: CommandLineView }): Promise<ProcessSample[]> {
    const { prev, cur } = await this.currentPair();
    const ranked = rankProcesses(prev, cur, opts.sort, opts.limit);
    const users = await this.userNames(ranked.map((r) => r.uid));
    return Promise.all(
      ranked.map(async ({ uid, ...r }) => {
        const raw = await readOptional(join(this.roots.procfs, String(r.pid), 'cmdline'));
        return { ...r, user: uid === null ? '?' : (users.get(uid) ?? String(uid)), command: formatCmdline(raw ?? '', r.comm, opts.commandLines ?? 'redacted') };
      }),
    );
  }

  private currentPair(): Promise<{ prev: ProcessScan; cur: ProcessScan }> {
    if (this.pair && this.clock() - this.pair.cur.at < FRESH_MS) return Promise.resolve(this.pair);
    this.inflight ??= this.nextPair().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** A new scan, against the previous one when it is 0.5-60 s old, else against a scan gapMs earlier. */
  private async nextPair(): Promise<{ prev: ProcessScan; cur: ProcessScan }> {
    let prev = this.pair?.cur;
    const age = prev ? this.clock() - prev.at : Infinity;
    if (!prev || age < FRESH_MS || age > 60_000) {
      prev = await this.scan();
      await this.sleep(this.gapMs);
    }
    const cur = await this.scan();
    this.pair = { prev, cur };
    return this.pair;
  }

  /** Scans every numeric entry of procfs once. */
  async scan(): Promise<ProcessScan> {
    const names = (await readdir(this.roots.procfs)).filter((n) => /^\d+$/.test(n));
    const records = await mapLimit(names, CONCURRENCY, (name) => this.readProcess(name));
    const procs = new Map<number, ProcessRecord>();
    for (const r of records) if (r) procs.set(r.stat.pid, r);
    return { at: this.clock(), procs };
  }

  private async readProcess(name: string): Promise<ProcessRecord | null> {
    const dir = join(this.roots.procfs, name);
    const [statText, statusText, ioText] = await Promise.all([
      readOptional(join(dir, 'stat')),
      readOptional(join(dir, 'status')),
      readOptional(join(dir, 'io')),
    ]);
    if (statText === null) return null; // vanished
    let stat: ProcPidStat;
    try {
      stat = parseProcPidStat(statText);
    } catch {
      return null;
    }
    const status = statusText === null ? null : parseProcPidStatus(statusText);
    let io: ProcPidIo | null = null;
    if (ioText !== null) {
      try {
        io = parseProcPidIo(ioText);
      } catch {
        io = null;
      }
    }
    return { stat, uid: status?.uid ?? null, rssBytes: status?.rssBytes ?? stat.rssPages * PAGE_BYTES, io };
  }

  private async userNames(uids: readonly (number | null)[]): Promise<Map<number, string>> {
    const now = this.clock();
    const missing = uids.some((u) => u !== null && !this.users?.map.has(u));
    if (!this.users || (missing && now - this.users.at > PASSWD_TTL_MS)) {
      const text = await readOptional(join(this.roots.rootfs, 'etc', 'passwd'));
      this.users = { map: text === null ? new Map() : parsePasswd(text), at: now };
    }
    return this.users.map;
  }
}
