/**
 * The shipper -> collector protocol (`vigia logs ship` and `vigia logs pipe` send, `vigia logs serve`
 * receives). Shippers send raw lines, not parsed records: parsing is the collector's job (one fast parser,
 * one place to fix it), and a web server's CPU is spent only on reading, batching and gzip.
 *
 *   POST /v1/logs/lines
 *   Authorization: Bearer <the host's enrolment token, or a shipper token>
 *   Content-Type: text/plain; charset=utf-8      one log line per LF; no trailing partial line
 *   Content-Encoding: gzip                        (or identity)
 *   X-Vigia-Log-Format: combined                  a format name or an Apache LogFormat / nginx log_format string
 *   X-Vigia-Log-Source: <shipper id>:<file id>    stable per followed file (file id = dev:inode at first read)
 *   X-Vigia-Log-Offset: <start>-<end>             byte range of this batch in that file, for duplicate counting
 *   X-Vigia-Log-Dropped: <n>                      lines this shipper dropped since it started (cumulative)
 *   X-Vigia-Log-Lines: <n>                        lines in this batch (checked against the body)
 *
 * Answers: 200 `LinesAccepted`; 401/403; 413 (body or inflated body over the limit); 429/503 with
 * Retry-After (the shipper keeps the batch and retries after that many seconds, spooling meanwhile).
 * A batch the collector has already stored (same source and an overlapping offset range) is stored again
 * and counted in `duplicates` (duplicates are tolerated, never silent).
 */

/** Path of the ingest endpoint. */
export const LINES_PATH = '/v1/logs/lines';

/** Request headers of a batch (lower case, as node:http presents them). */
export const LINES_HEADERS = Object.freeze({
  format: 'x-vigia-log-format',
  source: 'x-vigia-log-source',
  offset: 'x-vigia-log-offset',
  dropped: 'x-vigia-log-dropped',
  lines: 'x-vigia-log-lines',
});

/** The collector's 200 answer to a batch. */
export interface LinesAccepted {
  /** Lines parsed and stored. */
  readonly stored: number;
  /** Lines that did not parse (counted by reason on the collector; see /metrics). */
  readonly rejected: number;
  /** Lines of this batch already stored before (same source, overlapping offsets). */
  readonly duplicates: number;
}
