/**
 * `vigia logs pipe`: the target of Apache's `CustomLog "|vigia logs pipe ..."` (or a reader of an nginx
 * FIFO). It must never block or slow the web server: stdin is read continuously whatever the collector
 * does, and lines go memory queue -> spool -> drop with a counter. Each pipe process is its own source
 * (`<host>:pipe-<pid>-<start>`, offsets = bytes of stdin), since Apache starts a new one on each restart.
 * At EOF it sends what it can within --flush-timeout, spools the rest, prints its stats and exits.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { systemClock } from '../../core/clock.js';
import { Lifecycle } from '../../core/lifecycle.js';
import { createLogger } from '../../core/log.js';
import { Batcher, type PendingBatch } from '../ship/batcher.js';
import { cutLines } from '../ship/lines.js';
import { compressBatch, openTransport, statsLine } from '../ship/shipper.js';
import type { PipeConfig } from '../ship/ship-config.js';


/** Run until stdin ends (or SIGTERM), then flush within the deadline. `input` is for tests (default stdin). */
export async function runPipe(config: PipeConfig, input: NodeJS.ReadableStream = process.stdin): Promise<void> {
  const log = createLogger(config.logLevel, { role: 'logs-pipe', host: config.host });
  const life = new Lifecycle(log);
  try {
    const fileId = `pipe-${process.pid}-${systemClock().toString(36)}`;
    const source = `${config.host}:${fileId}`;
    const { sender, outbox, spool } = await openTransport<null>(config, log, life, 0, () => undefined);
    const batcher = new Batcher({ maxLines: config.batchLines, maxBytes: config.batchBytes, maxAgeMs: config.batchAgeMs });
    let pos = 0;
    let carry = Buffer.alloc(0);
    let skipping = false;
    let readLines = 0;
    let compressing = 0;
    // Compression runs on the thread pool, in order; what waits for it is bounded like the queue.
    let chain: Promise<void> = Promise.resolve();
    const offer = (batches: PendingBatch[]): void => {
      for (const b of batches) {
        if (compressing + b.bytes > config.memoryMaxBytes * 4) {
          outbox.countDropped(b.lines, 'compression backlog full');
          continue;
        }
        compressing += b.bytes;
        chain = chain.then(async () => {
          try {
            outbox.offer({ batch: await compressBatch(b, source, config.format), tag: null });
          } catch (err) {
            log.error({ err }, 'cannot compress a batch');
            outbox.countDropped(b.lines, 'compression failed');
          } finally {
            compressing -= b.bytes;
          }
        });
      }
    };
    const take = (data: Buffer, eof: boolean): void => {
      const buf = carry.length ? Buffer.concat([carry, data]) : data;
      const cut = cutLines(buf, skipping, config.maxLineBytes, eof);
      skipping = cut.skipping;
      if (cut.consumed > 0) {
        readLines += cut.lines;
        offer(batcher.add(fileId, pos, pos + cut.consumed, cut.parts.map((p) => Buffer.from(p)), cut.lines, cut.bytes, systemClock()));
        pos += cut.consumed;
      }
      // Copied: a slice would keep the whole read buffer alive.
      carry = Buffer.from(buf.subarray(cut.consumed));
    };
    const ageTimer = setInterval(() => offer(batcher.due(systemClock())), Math.min(config.batchAgeMs, 1000));
    const stats = (): void =>
      statsLine(log, { read: readLines, acked: outbox.stats.acked, spooled: outbox.stats.spooled, dropped: outbox.dropped, duplicates: outbox.stats.duplicates, rejected: outbox.stats.rejected, spoolBatches: spool?.files ?? 0 });
    const statsTimer = config.statsIntervalMs > 0 ? setInterval(stats, config.statsIntervalMs) : undefined;
    outbox.start();
    await new Promise<void>((resolve) => {
      input.on('data', (d: Buffer) => take(d, false));
      input.on('end', resolve);
      input.on('error', (err) => {
        log.error({ err }, 'stdin failed');
        resolve();
      });
      // SIGTERM (Apache stopping): end as at EOF; what is queued is flushed or spooled.
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    clearInterval(ageTimer);
    if (statsTimer) clearInterval(statsTimer);
    if (carry.length) take(Buffer.alloc(0), true);
    offer(batcher.flush());
    await chain;
    await yieldToLoop();
    await outbox.stop(config.flushTimeoutMs, () => sender.close());
    sender.close();
    stats();
  } finally {
    await life.shutdown();
  }
}
