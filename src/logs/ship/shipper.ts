/**
 * `vigia logs ship`, wired: follower -> batcher -> gzip -> outbox (queue, spool, drop) -> collector. The
 * committed offset of a file advances over the batches settled in order (acked, spooled or dropped) and
 * is saved at most once a second, so a crash re-sends at most about a second of lines (at-least-once;
 * the collector counts them as duplicates by X-Vigia-Log-Offset) and loses none.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip, constants as zlibConstants } from 'node:zlib';
import { readClientToken, readConfigFile, refuseIfReadableByOthers } from '../../core/config-file.js';
import { systemClock } from '../../core/clock.js';
import { VigiaError } from '../../core/errors.js';
import { Lifecycle } from '../../core/lifecycle.js';
import { createLogger, type Logger } from '../../core/log.js';
import { openBatchSpool, type BatchSpool } from './batch-spool.js';
import { Batcher, type PendingBatch } from './batcher.js';
import { FileFollower } from './follower.js';
import { Outbox, type Offered } from './outbox.js';
import { Sender, type Batch } from './send.js';
import type { PipeConfig, ShipConfig } from './ship-config.js';
import { loadShipState, saveShipState } from './ship-state.js';
import { lockDir } from './state-lock.js';

const gzipAsync = promisify(gzip);

/**
 * gzip level of batches: level 1 costs about a third of the default's CPU on access logs for ~20 %
 * more bytes; the shipper's CPU is what a web server pays for.
 */
const GZIP_LEVEL = 1;

/** Compress a batch's lines into the wire's body. */
export async function compressBatch(b: PendingBatch, source: string, format: string): Promise<Batch> {
  const body = await gzipAsync(b.parts.length === 1 ? b.parts[0]! : Buffer.concat(b.parts), { level: GZIP_LEVEL, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
  return { source, format, start: b.start, end: b.end, lines: b.lines, body };
}

/** The host token from `--token-file` (mode 600 enforced: it lets anyone ship as this host). */
export async function readShipToken(path: string): Promise<string> {
  await readConfigFile(path, '--token-file');
  await refuseIfReadableByOthers(path, '--token-file');
  return readClientToken(path, '--token-file');
}

/** Parts shared by ship and pipe: sender, spool (with its lock) and outbox. */
export async function openTransport<T>(
  config: ShipConfig | PipeConfig,
  log: Logger,
  life: Lifecycle,
  initialDropped: number,
  onSettled: (item: Offered<T>, how: 'acked' | 'spooled' | 'dropped') => void,
): Promise<{ sender: Sender; outbox: Outbox<T>; spool: BatchSpool | null }> {
  const token = await readShipToken(config.tokenFile);
  const ca = config.ca ? Buffer.from(await readConfigFile(config.ca, '--ca')) : undefined;
  const sender = new Sender({ url: config.server, token, timeoutMs: config.requestTimeoutMs, ...(ca ? { ca } : {}) });
  let spool: BatchSpool | null = null;
  let outbox: Outbox<T> | undefined;
  let earlyDropped = 0;
  if (config.spoolDir) {
    await mkdir(config.spoolDir, { recursive: true, mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      throw new VigiaError('VIGIA_ERR_CONFIG', `--spool-dir: cannot create ${config.spoolDir} (${err.code ?? 'error'})`);
    });
    const lock = await lockDir(config.spoolDir);
    if (typeof lock === 'string') throw new VigiaError('VIGIA_ERR_CONFIG', `--spool-dir: ${lock}; give each shipper its own`);
    life.defer('spool lock', lock.release);
    spool = await openBatchSpool({
      dir: config.spoolDir,
      maxBytes: config.spoolMaxBytes,
      maxFiles: 100_000,
      log,
      onDropped: (lines) => (outbox ? outbox.spoolDropped(lines) : (earlyDropped += lines)),
    });
  }
  outbox = new Outbox<T>({
    send: (batch, dropped) => sender.send(batch, dropped, systemClock),
    spool,
    memoryMaxBytes: config.memoryMaxBytes,
    initialDropped: initialDropped + earlyDropped,
    backoffBaseMs: 500,
    backoffCapMs: 60_000,
    maxRetryAfterMs: 600_000,
    clock: systemClock,
    random: Math.random,
    log,
    onSettled,
  });
  return { sender, outbox, spool };
}

/** The periodic one-line stats log. */
export function statsLine(log: Logger, what: Record<string, number>): void {
  log.info(what, 'stats');
}

/** Settles offsets in order: a file's offset moves over the prefix of its batches that are settled. */
class OffsetLedger {
  private readonly pending = new Map<string, { end: number; done: boolean }[]>();

  constructor(private readonly commit: (fileId: string, end: number) => void) {}

  add(fileId: string, end: number): { end: number; done: boolean } {
    const e = { end, done: false };
    let q = this.pending.get(fileId);
    if (!q) this.pending.set(fileId, (q = []));
    q.push(e);
    return e;
  }

  settle(fileId: string, e: { end: number; done: boolean }): void {
    e.done = true;
    const q = this.pending.get(fileId);
    if (!q) return;
    while (q.length > 0 && q[0]!.done) this.commit(fileId, q.shift()!.end);
    if (q.length === 0) this.pending.delete(fileId);
  }
}

/** Run `vigia logs ship` until SIGINT/SIGTERM. */
export async function runShipper(config: ShipConfig): Promise<void> {
  const log = createLogger(config.logLevel, { role: 'logs-ship', host: config.host });
  const life = new Lifecycle(log);
  let stop: (() => void) | undefined;
  const stopped = new Promise<void>((r) => (stop = r));
  // Signals end the loop; the loop's own shutdown drains, saves offsets and releases the stack.
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => stop!());
  try {
    await mkdir(config.stateDir, { recursive: true, mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      throw new VigiaError('VIGIA_ERR_CONFIG', `--state-dir: cannot create ${config.stateDir} (${err.code ?? 'error'})`);
    });
    const lock = await lockDir(config.stateDir);
    if (typeof lock === 'string') throw new VigiaError('VIGIA_ERR_CONFIG', `--state-dir: ${lock}; give each shipper its own`);
    life.defer('state lock', lock.release);
    const statePath = join(config.stateDir, 'state.json');
    const state = await loadShipState(statePath, (problem) => log.error({ path: statePath, problem }, 'state file unreadable; starting over (what is sent twice is counted as duplicates)'));
    const follower = new FileFollower({
      globs: config.globs,
      state,
      startAt: config.startAt,
      readGz: config.readGz,
      maxLineBytes: config.maxLineBytes,
      maxFiles: config.maxFiles,
      rotateGraceMs: config.rotateGraceMs,
      clock: systemClock,
      log,
      onLost: (lines, why) => outbox.countDropped(lines, why),
    });
    life.defer('files', () => follower.close());
    let dirty = false;
    const ledger = new OffsetLedger((fileId, end) => {
      follower.commit(fileId, end);
      dirty = true;
    });
    type Tag = { fileId: string; entry: { end: number; done: boolean } };
    const { sender, outbox, spool } = await openTransport<Tag>(config, log, life, state.dropped, (item) => ledger.settle(item.tag.fileId, item.tag.entry));
    const batcher = new Batcher({ maxLines: config.batchLines, maxBytes: config.batchBytes, maxAgeMs: config.batchAgeMs });
    let readLines = 0;
    let lastDropped = outbox.dropped;
    const offer = async (batches: PendingBatch[]): Promise<void> => {
      for (const b of batches) {
        const entry = ledger.add(b.fileId, b.end);
        const batch = await compressBatch(b, `${config.host}:${b.fileId}`, config.format);
        outbox.offer({ batch, tag: { fileId: b.fileId, entry } });
      }
    };
    const save = async (): Promise<void> => {
      dirty = false;
      lastDropped = outbox.dropped;
      await saveShipState(statePath, follower.snapshot(outbox.dropped)).catch((err: unknown) => log.error({ err, path: statePath }, 'cannot save offsets'));
    };
    const stats = (): void =>
      statsLine(log, {
        read: readLines,
        acked: outbox.stats.acked,
        spooled: outbox.stats.spooled,
        dropped: outbox.dropped,
        duplicates: outbox.stats.duplicates,
        rejected: outbox.stats.rejected,
        files: follower.stats.files,
        capped: follower.stats.capped,
        rotations: follower.stats.rotations,
        truncations: follower.stats.truncations,
        spoolBatches: spool?.files ?? 0,
        spoolBytes: spool?.bytes ?? 0,
      });
    outbox.start();
    log.info({ globs: config.globs.map((g) => g.pattern), server: config.server, format: config.format }, 'shipping');
    let lastSave = systemClock();
    let lastStats = systemClock();
    let stopping = false;
    void stopped.then(() => (stopping = true));
    while (!stopping) {
      const started = systemClock();
      // Backpressure while the collector is merely slow; while it is away, read on and spool.
      if (outbox.memoryBytes < config.memoryMaxBytes / 2 || outbox.backingOff) {
        const chunks = await follower.poll(config.readBudgetBytes);
        const now = systemClock();
        const cut: PendingBatch[] = [];
        for (const c of chunks) {
          readLines += c.lines;
          cut.push(...batcher.add(c.fileId, c.start, c.end, c.parts, c.lines, c.bytes, now));
        }
        cut.push(...batcher.due(now));
        await offer(cut);
      }
      const now = systemClock();
      if ((dirty || outbox.dropped !== lastDropped) && now - lastSave >= 1000) {
        lastSave = now;
        await save();
      }
      if (config.statsIntervalMs > 0 && now - lastStats >= config.statsIntervalMs) {
        lastStats = now;
        stats();
      }
      const wait = config.pollMs - (systemClock() - started);
      if (wait > 0 && !stopping) await Promise.race([new Promise((r) => setTimeout(r, wait)), stopped]);
    }
    log.info('shutting down: sending what was read');
    const hard = setTimeout(() => {
      log.error({ deadlineMs: config.shutdownTimeoutMs }, 'shutdown deadline passed, exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 2000);
    hard.unref();
    await offer(batcher.flush());
    await outbox.stop(config.shutdownTimeoutMs, () => sender.close());
    sender.close();
    await save();
    stats();
  } finally {
    await life.shutdown();
  }
}
