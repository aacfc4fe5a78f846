/**
 * Reads an access-log file as blocks of whole lines, streamed: plain or gzip (told by the magic bytes
 * 1f 8b, not the name: rotated files are not always named .gz, and a .gz may have been unpacked), never
 * the whole file in memory. A line longer than `maxLineBytes` is not kept whole: its first bytes become a
 * too-long sample and the rest is skipped up to the next LF, so one endless line cannot exhaust memory.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { VigiaError } from '../../core/errors.js';

/** Longest line kept whole (the parser's own cap, 16 KiB by default, decides too-long below this). */
export const MAX_LINE_BYTES = 64 * 1024;
/** Bytes of an over-long line kept as its sample. */
const SAMPLE_BYTES = 512;

/** One block: whole lines (the last one ends with LF, except at the end of the file), and how far the file was read. */
export interface LineChunk {
  readonly text: string;
  /** Bytes of the file (compressed bytes for gzip) read so far: progress against the file's size. */
  readonly fileBytesRead: number;
  /** Lines over maxLineBytes that ended in this block: their first bytes, one per line. */
  readonly overlong: readonly string[];
}

/** True when the file starts with the gzip magic bytes. */
export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * The file's lines in blocks of roughly `highWaterMark` bytes. A read or gzip failure is
 * LOGS_ERR_READ_FAILED naming the file and the bytes read until then.
 */
export async function* readLineChunks(path: string, opts: { maxLineBytes?: number; highWaterMark?: number } = {}): AsyncGenerator<LineChunk> {
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  let gzip: boolean;
  try {
    gzip = await isGzipFile(path);
  } catch (err) {
    throw new VigiaError('LOGS_ERR_READ_FAILED', `${path}: cannot open (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  const raw = createReadStream(path, { highWaterMark: opts.highWaterMark ?? 256 * 1024 });
  const source: AsyncIterable<Buffer> = gzip ? raw.pipe(createGunzip({ chunkSize: opts.highWaterMark ?? 256 * 1024 })) : raw;
  // A gunzip error (corrupt or cut-short file) surfaces on the gunzip stream; a read error on `raw`,
  // which pipe() does not forward: forward it so the loop below sees it.
  if (gzip) raw.on('error', (err) => (source as NodeJS.ReadableStream & { destroy(e?: Error): void }).destroy(err));
  let carry: Buffer | null = null;
  let skipping = false;
  let overlong: string[] = [];
  try {
    for await (const piece of source) {
      let buf: Buffer = piece;
      if (skipping) {
        const lf = buf.indexOf(0x0a);
        if (lf < 0) continue;
        skipping = false;
        buf = buf.subarray(lf + 1);
      }
      const lastLf = buf.lastIndexOf(0x0a);
      if (lastLf < 0) {
        carry = carry ? Buffer.concat([carry, buf]) : buf;
        if (carry.length > maxLine) {
          overlong.push(carry.subarray(0, SAMPLE_BYTES).toString('utf8'));
          carry = null;
          skipping = true;
        }
        continue;
      }
      const head = carry ? Buffer.concat([carry, buf.subarray(0, lastLf + 1)]) : buf.subarray(0, lastLf + 1);
      carry = lastLf + 1 < buf.length ? Buffer.from(buf.subarray(lastLf + 1)) : null;
      // LF bytes never occur inside a UTF-8 sequence, so a block cut at LF decodes on its own.
      yield { text: head.toString('utf8'), fileBytesRead: raw.bytesRead, overlong };
      overlong = [];
    }
  } catch (err) {
    if (err instanceof VigiaError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new VigiaError('LOGS_ERR_READ_FAILED', `${path}: ${gzip ? 'gzip data is corrupt or cut short' : 'read failed'} after ${raw.bytesRead} bytes (${e.code ?? e.message})`, { cause: err });
  } finally {
    raw.destroy();
  }
  if (carry || overlong.length > 0) yield { text: carry ? carry.toString('utf8') : '', fileBytesRead: raw.bytesRead, overlong };
}
