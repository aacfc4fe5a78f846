/**
 * Readers over commander's parsed options for the pure `parse...Flags` functions: each names the flag as
 * typed in its one-line VIGIA_ERR_CONFIG (`--nodes: must be from 1 to 100000, got 0`). Absent: undefined.
 */
import { VigiaError } from './errors.js';

/** The readers of one options object. `flag` is the name as typed (without `--`), `key` commander's key. */
export interface FlagReader {
  fail(flag: string, why: string): never;
  str(key: string): string | undefined;
  /** A non-negative integer in [lo, hi]. */
  int(flag: string, key: string, lo: number, hi: number): number | undefined;
  /** A finite number in [lo, hi]. */
  num(flag: string, key: string, lo: number, hi: number): number | undefined;
}

/** Readers over `opts`. */
export function flagReader(opts: Record<string, unknown>): FlagReader {
  const fail = (flag: string, why: string): never => {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--${flag}: ${why}`);
  };
  const str = (k: string): string | undefined => (opts[k] === undefined ? undefined : String(opts[k]));
  const inRange = (flag: string, n: number, lo: number, hi: number): number => {
    if (n < lo || n > hi) fail(flag, `must be from ${lo} to ${hi}, got ${n}`);
    return n;
  };
  return {
    fail,
    str,
    int(flag, key, lo, hi) {
      const raw = str(key);
      if (raw === undefined) return undefined;
      if (!/^[0-9]+$/.test(raw)) fail(flag, `expected an integer, got ${JSON.stringify(raw)}`);
      return inRange(flag, Number(raw), lo, hi);
    },
    num(flag, key, lo, hi) {
      const raw = str(key);
      if (raw === undefined) return undefined;
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) fail(flag, `expected a number, got ${JSON.stringify(raw)}`);
      return inRange(flag, n, lo, hi);
    },
  };
}
