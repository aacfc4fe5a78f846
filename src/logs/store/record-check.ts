/**
 * The shape check every engine runs on a batch before it writes anything, so a bad record refuses its whole
 * batch (inserts are atomic) instead of being stored as a default value: ClickHouse turns a JSON null into
 * 0 or '' silently, and a columnar appender may coerce. Pure; cheap enough for the ingest path (a few
 * typeof tests per field).
 */
import { VigiaError } from '../../core/errors.js';
import type { AccessRecord } from '../record.js';

const TEXT_FIELDS = ['server', 'client', 'method', 'url', 'query', 'protocol', 'referrer', 'agent', 'vhost', 'user'] as const;

// String.prototype.isWellFormed is in Node 20 (V8 11.3); the project's tsc lib predates ES2024.
type WellFormed = { isWellFormed(): boolean };

/** Latest time a record may carry (the ECMAScript Date limit, so every time prints as ISO-8601). */
export const MAX_TS = 8.64e15;

/** The first problem with `x` (field and why), or undefined when it has the AccessRecord shape. */
export function recordProblem(x: AccessRecord): string | undefined {
  if (typeof x !== 'object' || x === null) return 'not an object';
  if (typeof x.ts !== 'number' || !Number.isInteger(x.ts) || x.ts < 0 || x.ts > MAX_TS) return 'ts: not an integer ms time from 1970 on';
  for (const f of TEXT_FIELDS) {
    const v = x[f];
    if (typeof v !== 'string') return `${f}: not a string`;
    // A lone surrogate has no UTF-8 form: engines would store U+FFFD and answer a different key than
    // was inserted. Parsers decode bytes with TextDecoder, which never makes one.
    if (!(v as unknown as WellFormed).isWellFormed()) return `${f}: not well-formed Unicode (a lone surrogate)`;
  }
  if (!Number.isInteger(x.status) || x.status < 0 || x.status > 999) return 'status: not an integer 0-999';
  if (!Number.isSafeInteger(x.bytes) || x.bytes < 0) return 'bytes: not a non-negative integer';
  if (typeof x.durationMs !== 'number' || !Number.isFinite(x.durationMs) || x.durationMs < -1) return 'durationMs: not a finite number >= -1';
  return undefined;
}

/** Throws LOGS_ERR_INVALID_RECORD naming the first bad record's index and field; returns when all are good. */
export function checkRecords(records: readonly AccessRecord[]): void {
  for (let i = 0; i < records.length; i++) {
    const problem = recordProblem(records[i]!);
    if (problem) throw new VigiaError('LOGS_ERR_INVALID_RECORD', `record ${i}: ${problem}`);
  }
}
