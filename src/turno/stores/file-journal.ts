/**
 * The file store's journal format, pure (no I/O) so it is tested line by line.
 *
 * One record per line: `<id> <value> <crc32 hex>\n`, where the CRC covers `<id> <value>`. The
 * journal only ever grows until compaction rewrites it as one record per id. Replay takes, per id,
 * the largest value seen: a higher value is always safe (a gap), a lower one would re-issue numbers.
 */
import { crc32 } from 'node:zlib';

/** Encode one record. `id` must already be a valid turno id (no spaces or newlines). */
export function encodeRecord(id: string, value: number): string {
  const body = id + ' ' + value;
  return body + ' ' + crc32(body).toString(16) + '\n';
}

/** What replay found. */
export interface ReplayResult {
  readonly counters: Map<string, number>;
  /** Valid records read. */
  readonly records: number;
  /** Byte length of the valid prefix: everything after it is a torn tail to truncate. */
  readonly validBytes: number;
  /** Invalid lines in the tail (after the last valid record), dropped. */
  readonly tornTailLines: number;
  /** 1-based line numbers of invalid records followed by valid ones: real corruption. */
  readonly corruptLines: readonly number[];
}

/** Parse a whole journal. Never throws; the caller decides what corruption means. */
export function replayJournal(text: string): ReplayResult {
  const counters = new Map<string, number>();
  let records = 0;
  let validBytes = 0;
  let offset = 0;
  let lineNo = 0;
  const invalidSinceLastValid: number[] = [];
  const corruptLines: number[] = [];
  while (offset < text.length) {
    const nl = text.indexOf('\n', offset);
    const end = nl === -1 ? text.length : nl;
    const line = text.slice(offset, end);
    lineNo++;
    const parsed = nl === -1 ? undefined : decodeRecord(line);
    offset = nl === -1 ? text.length : nl + 1;
    if (parsed === undefined) {
      invalidSinceLastValid.push(lineNo);
      continue;
    }
    corruptLines.push(...invalidSinceLastValid);
    invalidSinceLastValid.length = 0;
    records++;
    validBytes = offset;
    const prev = counters.get(parsed.id);
    if (prev === undefined || parsed.value > prev) counters.set(parsed.id, parsed.value);
  }
  return { counters, records, validBytes, tornTailLines: invalidSinceLastValid.length, corruptLines };
}

function decodeRecord(line: string): { id: string; value: number } | undefined {
  const a = line.indexOf(' ');
  const b = line.lastIndexOf(' ');
  if (a <= 0 || b <= a) return undefined;
  const body = line.slice(0, b);
  if (crc32(body).toString(16) !== line.slice(b + 1)) return undefined;
  const id = line.slice(0, a);
  const valueText = line.slice(a + 1, b);
  if (!/^[1-9][0-9]{0,15}$/.test(valueText)) return undefined;
  const value = Number(valueText);
  if (!Number.isSafeInteger(value)) return undefined;
  return { id, value };
}
