/**
 * The parser contract of `vigia logs`: a compiled log format turns one line into an AccessRecord or a
 * failure reason. A line that does not parse never stops ingestion: callers count it by reason (and keep a
 * few samples) in a ParseTally (parse-tally.ts) and go on.
 */
import type { AccessRecord } from '../record.js';

/** Why a line did not parse; stable names, used as the `reason` label of the rejected-lines metric. */
export type ParseFailure =
  | 'empty'
  | 'too-long'
  | 'missing-field'
  | 'unterminated-quote'
  | 'bad-time'
  | 'bad-status'
  | 'bad-number'
  | 'bad-json'
  | 'trailing-garbage';

/** A compiled format. `parse` is pure and allocation-light: it runs a million times a second. */
export interface LineParser {
  /** The format as given (`combined`, or the LogFormat / log_format string). */
  readonly format: string;
  /** Parse one line (without its LF). `server` is the web server the line came from. */
  parse(line: string, server: string): AccessRecord | ParseFailure;
}
