/**
 * `POST /v1/logs/lines`: a shipper's batch of raw access-log lines (the protocol is src/logs/wire.ts).
 * In order: the shipper's token (the mount's authenticator), the batch headers, the queue's room (a
 * full queue is 503 + Retry-After before the body is read, so an overloaded collector spends nothing on
 * batches it cannot take), the body (bounded on the wire and once inflated: a gzip bomb is 413 after one
 * zlib chunk), the line count, the format (compiled once, cached), then every line is parsed: a line that
 * does not parse is counted by reason and the rest go on. The answer comes once the records are stored.
 * The records' `server` is the authenticated host, never a header: a shipper files lines under its own
 * name only.
 */
import { VigiaError } from '../../core/errors.js';
import { readBody, type InflateLimits } from '../../core/http.js';
import type { Authenticate, Mount, Route } from '../../core/http-pipeline.js';
import { ParseTally, parseChunk } from '../parse/parse-tally.js';
import { LINES_HEADERS, LINES_PATH, type LinesAccepted } from '../wire.js';
import type { DroppedTally } from './dropped-tally.js';
import type { DuplicateTracker } from './duplicate-tracker.js';
import type { FormatCache } from './format-cache.js';
import type { LogQueue } from './log-queue.js';
import type { ShipperPrincipal } from './shipper-auth.js';

/** Bounds on one batch. */
export interface LinesLimits {
  /** Body bytes on the wire at most (default 8 MiB). */
  readonly maxBodyBytes: number;
  /** Inflated body bounds (default 64 MiB, ratio 200 above 1 MiB: access logs compress 10-30×). */
  readonly inflate: InflateLimits;
  /** Lines in one batch at most (default 200,000). */
  readonly maxLines: number;
}

/** Defaults for batches from `vigia logs ship` (which sends at most 1 MiB compressed). */
export const DEFAULT_LINES_LIMITS: LinesLimits = Object.freeze({
  maxBodyBytes: 8 * 1024 * 1024,
  inflate: Object.freeze({ maxBytes: 64 * 1024 * 1024, maxRatio: 200, ratioFloorBytes: 1024 * 1024 }),
  maxLines: 200_000,
});

/** What the route needs. */
export interface LinesRouteDeps {
  readonly limits: LinesLimits;
  readonly formats: FormatCache;
  readonly queue: LogQueue;
  readonly duplicates: DuplicateTracker;
  readonly dropped: DroppedTally;
  /** IP privacy at ingest (truncate or keyed hash); absent: addresses are stored as logged. */
  readonly anonymise?: (ip: string) => string;
  /** A batch's lines that did not parse, by reason with a few samples (the collector's tally and metrics). */
  readonly onRejected: (tally: ParseTally) => void;
  /** A batch handled: its counts (for metrics). `received` = lines in the body. */
  readonly onBatch: (b: { readonly received: number; readonly newlyDropped: number } & LinesAccepted) => void;
}

/** The ingest mount: owns /v1/logs/lines; shipper tokens only; its path is public, so it matches first. */
export function linesMount(deps: LinesRouteDeps, authenticate: Authenticate<ShipperPrincipal>): Mount<ShipperPrincipal> {
  const route: Route<ShipperPrincipal> = {
    method: 'POST', name: LINES_PATH, path: /^\/v1\/logs\/lines$/, maxBodyBytes: deps.limits.maxBodyBytes,
    handler: async ({ req, principal }) => {
      const batch = batchHeaders(req.headers, deps.limits.maxLines);
      if (deps.queue.full(batch.lines)) throw new VigiaError('LOGS_ERR_OVERLOADED', 'the ingest queue is full');
      const parser = deps.formats.get(batch.format);
      const body = (await readBody(req, deps.limits.maxBodyBytes, 'text/plain', deps.limits.inflate)) ?? Buffer.alloc(0);
      if (body.length > 0 && body[body.length - 1] !== 10) throw new VigiaError('LOGS_ERR_BAD_BATCH', 'the body must end with a line feed (no partial line)');
      let lines = 0;
      for (let i = body.indexOf(10); i >= 0; i = body.indexOf(10, i + 1)) lines++;
      if (lines !== batch.lines) throw new VigiaError('LOGS_ERR_BAD_BATCH', `${LINES_HEADERS.lines} says ${batch.lines}, the body has ${lines}`);
      const server = principal.name;
      const tally = new ParseTally({ samplesPerReason: 2 });
      const parsed = parseChunk(parser, body.toString('utf8'), server, tally);
      const records = deps.anonymise ? parsed.map((r) => ({ ...r, client: deps.anonymise!(r.client) })) : parsed;
      if (tally.rejected > 0) deps.onRejected(tally);
      const rejected = tally.rejected;
      const duplicates = batch.end > batch.start && deps.duplicates.knows(batch.source) ? deps.duplicates.count(batch.source, lineStarts(body, batch.start)) : 0;
      await deps.queue.submit(records);
      // Only now: a batch refused by a full queue or a failed insert is not stored, so not seen.
      if (batch.end > batch.start) deps.duplicates.add(batch.source, batch.start, batch.end);
      const newlyDropped = deps.dropped.observe(server, batch.source, batch.dropped);
      const answer: LinesAccepted = { stored: records.length, rejected, duplicates };
      deps.onBatch({ ...answer, received: batch.lines, newlyDropped });
      return answer;
    },
  };
  return { name: 'ingest', owns: (path) => path === LINES_PATH, authenticate, credential: 'shipper', order: 'match-first', routes: [route] };
}

/** The batch headers, checked (LOGS_ERR_BAD_BATCH naming the header). */
export interface BatchHeaders {
  readonly format: string;
  readonly source: string;
  readonly start: number;
  readonly end: number;
  readonly dropped: number;
  readonly lines: number;
}

/** Read and check a batch's X-Vigia-Log-* headers (pure). `X-Vigia-Log-Offset` and `-Dropped` may be absent (pipe: no file). */
export function batchHeaders(headers: Readonly<Record<string, string | string[] | undefined>>, maxLines: number): BatchHeaders {
  const one = (name: string): string | undefined => {
    const v = headers[name];
    if (Array.isArray(v)) throw new VigiaError('LOGS_ERR_BAD_BATCH', `${name} given twice`);
    return v;
  };
  const count = (name: string, v: string | undefined, max = Number.MAX_SAFE_INTEGER): number => {
    if (v === undefined || !/^\d{1,16}$/.test(v) || Number(v) > max) throw new VigiaError('LOGS_ERR_BAD_BATCH', `${name}: expected a whole number${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}`);
    return Number(v);
  };
  const format = one(LINES_HEADERS.format);
  if (format === undefined || format.trim() === '' || format.length > 4096) throw new VigiaError('LOGS_ERR_BAD_BATCH', `${LINES_HEADERS.format}: a format name or string of 1-4096 characters is required`);
  const source = one(LINES_HEADERS.source);
  if (source === undefined || !/^[\x21-\x7e]{1,256}$/.test(source)) throw new VigiaError('LOGS_ERR_BAD_BATCH', `${LINES_HEADERS.source}: 1-256 printable characters without spaces are required`);
  const offset = one(LINES_HEADERS.offset);
  let start = 0;
  let end = 0;
  if (offset !== undefined) {
    const m = /^(\d{1,16})-(\d{1,16})$/.exec(offset);
    if (!m || Number(m[1]) > Number(m[2])) throw new VigiaError('LOGS_ERR_BAD_BATCH', `${LINES_HEADERS.offset}: expected <start>-<end> byte offsets, start <= end`);
    start = Number(m[1]);
    end = Number(m[2]);
  }
  const droppedText = one(LINES_HEADERS.dropped);
  const dropped = droppedText === undefined ? 0 : count(LINES_HEADERS.dropped, droppedText);
  const lines = count(LINES_HEADERS.lines, one(LINES_HEADERS.lines), maxLines);
  return { format, source, start, end, dropped, lines };
}

/** Byte offset in its file of each line of `body`, which starts at `start`. */
function lineStarts(body: Buffer, start: number): number[] {
  const out: number[] = [];
  for (let at = 0; at < body.length; ) {
    out.push(start + at);
    at = body.indexOf(10, at) + 1;
  }
  return out;
}
