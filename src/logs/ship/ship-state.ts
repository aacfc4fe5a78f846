/**
 * What `vigia logs ship` remembers across restarts (`<state-dir>/state.json`): per followed file its
 * identity and the offset up to which every byte was acknowledged by the collector, spooled, or counted
 * as dropped; and the shipper's cumulative dropped-line count (sent as X-Vigia-Log-Dropped, so it stays
 * cumulative across restarts). Parsing and printing are pure; the file is replaced atomically.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../../core/atomic-file.js';

/** Bytes of a file's beginning kept to recognise it (an inode is reused after a delete; copytruncate keeps it). */
export const HEAD_BYTES = 64;

/** One followed file as remembered. */
export interface FileState {
  /** The source's file id (wire.ts): `dev:inode:<first read, ms base 36>`. */
  readonly id: string;
  readonly dev: number;
  readonly ino: number;
  /** The path it was last followed under. */
  readonly path: string;
  /** Every byte before this was acknowledged, spooled or counted as dropped. */
  readonly offset: number;
  /** The file's first bytes (up to HEAD_BYTES), base64: the same dev:inode with other first bytes is another file. */
  readonly head: string;
}

/** The whole state file. */
export interface ShipState {
  readonly version: 1;
  /** Lines this shipper dropped since its state began (cumulative). */
  readonly dropped: number;
  readonly files: readonly FileState[];
  /** `.gz` files read whole already (`dev:inode:size`), so a restart does not ship them again. */
  readonly gzDone: readonly string[];
}

const fileSchema = z.object({
  id: z.string().min(1).max(200),
  dev: z.number().int().nonnegative(),
  ino: z.number().int().nonnegative(),
  path: z.string().min(1).max(4096),
  offset: z.number().int().nonnegative(),
  head: z.string().max(200),
}).strict();

const stateSchema = z.object({
  version: z.literal(1),
  dropped: z.number().int().nonnegative(),
  files: z.array(fileSchema).max(100_000),
  gzDone: z.array(z.string().max(200)).max(100_000),
}).strict();

/** The state of a shipper that never ran. */
export const EMPTY_STATE: ShipState = Object.freeze({ version: 1, dropped: 0, files: Object.freeze([]), gzDone: Object.freeze([]) });

/** Parse a state file's text (pure); a sentence saying what is wrong when it is not one. */
export function parseShipState(text: string): ShipState | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const r = stateSchema.safeParse(value);
  return r.success ? r.data : r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).slice(0, 3).join('; ');
}

/**
 * Read `path`; EMPTY_STATE when it does not exist. A corrupt file is not fatal (the shipper starts over
 * and the collector counts what it gets twice as duplicates): it is reported through `onCorrupt`.
 */
export async function loadShipState(path: string, onCorrupt: (problem: string) => void): Promise<ShipState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_STATE;
    throw err;
  }
  const s = parseShipState(text);
  if (typeof s === 'string') {
    onCorrupt(s);
    return EMPTY_STATE;
  }
  return s;
}

/** Replace the state file atomically (mode 0600: it names the logs the host has). */
export async function saveShipState(path: string, state: ShipState): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(state)}\n`, 0o600);
}
