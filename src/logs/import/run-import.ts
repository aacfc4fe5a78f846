/**
 * The import loop of `vigia logs import` (I/O): each file read as blocks of whole lines (line-chunks.ts),
 * parsed with the one compiled format (compileLogFormat), rejected lines counted by reason in a ParseTally,
 * records inserted in batches with one insert in flight while the next batch is parsed. A stop signal
 * (Ctrl-C) is honoured between batches: the batch being stored completes, nothing else is started, and
 * the result says how far each count got. Every file is checked before anything is stored.
 */
import { stat } from 'node:fs/promises';
import { VigiaError } from '../../core/errors.js';
import type { LineParser } from '../parse/line-parser.js';
import { ParseTally, parseChunk, type TallySummary } from '../parse/parse-tally.js';
import type { AccessRecord } from '../record.js';
import { readLineChunks } from './line-chunks.js';
import type { ImportProgress } from './import-report.js';

/** Records per insert: large enough that a columnar engine appends efficiently, small enough to stop soon on Ctrl-C. */
export const DEFAULT_IMPORT_BATCH = 20_000;

/** What one import needs. */
export interface ImportJob {
  readonly files: readonly string[];
  readonly parser: LineParser;
  /** The web server the lines came from (`--host`). */
  readonly server: string;
  readonly insert: (records: readonly AccessRecord[]) => Promise<void>;
  readonly batchSize?: number;
  /** Applied to each record's client before it is stored (IP privacy); identity when absent. */
  readonly client?: (ip: string) => string;
  /** Aborted by Ctrl-C: the import stops after the batch being stored. */
  readonly signal?: AbortSignal;
  /** Called after every block read (the caller decides how often to print). */
  readonly onProgress?: (p: ImportProgress) => void;
  readonly now?: () => number;
}

/** How an import ended. `stopped` is set when the signal stopped it (the current file's line count then). */
export interface ImportResult {
  readonly progress: ImportProgress;
  readonly tally: TallySummary;
  readonly stopped: { readonly fileLine: number } | null;
}

/** Sizes of the files, or LOGS_ERR_READ_FAILED naming the first that is missing or not a file. */
export async function checkFiles(files: readonly string[]): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  for (const path of files) {
    let s;
    try {
      s = await stat(path);
    } catch (err) {
      throw new VigiaError('LOGS_ERR_READ_FAILED', `${path}: cannot open (${(err as NodeJS.ErrnoException).code ?? 'error'}); nothing was imported`, { cause: err });
    }
    if (s.isDirectory()) throw new VigiaError('LOGS_ERR_READ_FAILED', `${path}: is a directory (name the files, e.g. ${path}/access.log*); nothing was imported`);
    // A pipe or /dev/stdin has no size: progress then counts lines only.
    out.push({ path, size: s.isFile() ? s.size : 0 });
  }
  return out;
}

/** Import every file of `job`; throws the store's or the reader's error (what was stored before stays stored). */
export async function runImport(job: ImportJob): Promise<ImportResult> {
  const now = job.now ?? Date.now;
  const started = now();
  const files = await checkFiles(job.files);
  const tally = new ParseTally();
  const batchSize = job.batchSize ?? DEFAULT_IMPORT_BATCH;
  let stored = 0;
  let inFlight: Promise<void> | null = null;
  // The in-flight insert's failure, kept until the next flush rethrows it (a rejected promise left
  // unawaited while the next blocks are read would be an unhandled rejection).
  let failure: { err: unknown } | null = null;
  let batch: AccessRecord[] = [];
  let fileIndex = 0;
  let fileBytesRead = 0;
  let stopped: { fileLine: number } | null = null;
  const progress = (): ImportProgress => ({ files, fileIndex, fileBytesRead, lines: tally.parsed + tally.rejected, stored, rejected: tally.rejected, elapsedMs: now() - started });

  const flush = async (): Promise<void> => {
    if (inFlight) await inFlight;
    inFlight = null;
    if (failure) throw failure.err;
    if (batch.length === 0) return;
    let records = batch;
    batch = [];
    if (job.client) {
      const t = job.client;
      records = records.map((r) => ({ ...r, client: t(r.client) }));
    }
    const n = records.length;
    inFlight = job.insert(records).then(
      () => {
        stored += n;
      },
      (err: unknown) => {
        failure = { err };
      },
    );
  };

  outer: for (; fileIndex < files.length; fileIndex++) {
    fileBytesRead = 0;
    const fileStart = tally.parsed + tally.rejected;
    for await (const chunk of readLineChunks(files[fileIndex]!.path)) {
      for (const sample of chunk.overlong) tally.reject('too-long', sample);
      parseChunk(job.parser, chunk.text, job.server, tally, batch);
      fileBytesRead = chunk.fileBytesRead;
      if (batch.length >= batchSize) {
        await flush();
        if (job.signal?.aborted) {
          stopped = { fileLine: tally.parsed + tally.rejected - fileStart };
          break outer;
        }
      }
      job.onProgress?.(progress());
    }
    if (job.signal?.aborted && fileIndex < files.length - 1) {
      stopped = { fileLine: tally.parsed + tally.rejected - fileStart };
      break;
    }
  }
  // The first flush stores what is left of the last batch, the second waits for that insert.
  await flush();
  await flush();
  if (stopped) fileIndex = Math.min(fileIndex, files.length - 1);
  else fileIndex = files.length - 1;
  return { progress: progress(), tally: tally.summary(), stopped };
}
