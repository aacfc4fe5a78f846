/**
 * Client addresses are personal data. Two optional transforms the collector (or importer) applies at
 * ingest, before anything is stored: truncation (zero the host bits: IPv4 to /24 and IPv6 to /48 by
 * default, as analytics vendors do) and keyed hashing (HMAC-SHA256 under an operator key, shortened:
 * stable for one key, so "which clients visited X" still groups hits, but not reversible by enumerating the
 * IPv4 space without the key). Pure functions; the key is read at the edge and handed in.
 */
import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/** How client addresses are stored. */
export type ClientPrivacy =
  | { readonly mode: 'none' }
  | { readonly mode: 'truncate'; readonly v4Bits: number; readonly v6Bits: number }
  | { readonly mode: 'hash'; readonly key: Buffer; readonly hexChars: number };

/** Default prefixes kept by truncation. */
export const DEFAULT_TRUNCATE = Object.freeze({ v4Bits: 24, v6Bits: 48 });
/** Default length of a keyed hash: 16 hex characters (64 bits: collisions negligible below billions of clients). */
export const DEFAULT_HASH_HEX_CHARS = 16;
/** Shortest key accepted for hashing (bytes): a short key could be guessed, and then every address with it. */
export const MIN_HASH_KEY_BYTES = 16;

function v4Bytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address (a zone `%eth0` dropped), or undefined when it is not one. */
export function ipv6Bytes(ip: string): number[] | undefined {
  const bare = ip.split('%')[0]!;
  if (!isIPv6(bare)) return undefined;
  let text = bare.toLowerCase();
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail.push(...v4Bytes(text.slice(lastColon + 1)));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const r = rest === undefined ? [] : rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? h : [...h, ...new Array<string>(8 - h.length - r.length).fill('0'), ...r];
  const bytes = groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 255];
  });
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** The canonical text of 16 IPv6 bytes (RFC 5952: lower case, longest zero run compressed). */
export function ipv6Text(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not compressed (RFC 5952 4.2.2)
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function keepBits(bytes: readonly number[], bits: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/**
 * `ip` with all but its first `v4Bits` (IPv4) or `v6Bits` (IPv6) bits zeroed, in canonical text. Text that
 * is not an address (a host name logged with HostnameLookups On, '-') is returned unchanged: it cannot be
 * truncated; use hashing for such logs.
 */
export function truncateIp(ip: string, v4Bits: number = DEFAULT_TRUNCATE.v4Bits, v6Bits: number = DEFAULT_TRUNCATE.v6Bits): string {
  if (isIPv4(ip)) return keepBits(v4Bytes(ip), v4Bits).join('.');
  const b6 = ipv6Bytes(ip);
  return b6 ? ipv6Text(keepBits(b6, v6Bits)) : ip;
}

/** An address in one canonical text, so that every spelling of it hashes the same. */
export function canonicalIp(ip: string): string {
  if (isIPv4(ip)) return ip;
  const b6 = ipv6Bytes(ip);
  return b6 ? ipv6Text(b6) : ip;
}

/** HMAC-SHA256(key, canonical address) as its first `hexChars` hex characters: stable for one key. */
export function hashIp(ip: string, key: Buffer, hexChars = DEFAULT_HASH_HEX_CHARS): string {
  return createHmac('sha256', key).update(canonicalIp(ip)).digest('hex').slice(0, hexChars);
}

/** The client transform a privacy setting means; throws RangeError on out-of-range settings (the edge's schema catches them first). */
export function clientTransform(p: ClientPrivacy): (ip: string) => string {
  switch (p.mode) {
    case 'none':
      return (ip) => ip;
    case 'truncate':
      if (!(Number.isInteger(p.v4Bits) && p.v4Bits >= 0 && p.v4Bits <= 32)) throw new RangeError('v4Bits must be 0-32');
      if (!(Number.isInteger(p.v6Bits) && p.v6Bits >= 0 && p.v6Bits <= 128)) throw new RangeError('v6Bits must be 0-128');
      return (ip) => truncateIp(ip, p.v4Bits, p.v6Bits);
    case 'hash':
      if (p.key.length < MIN_HASH_KEY_BYTES) throw new RangeError(`the hash key must have at least ${MIN_HASH_KEY_BYTES} bytes`);
      if (!(Number.isInteger(p.hexChars) && p.hexChars >= 8 && p.hexChars <= 64)) throw new RangeError('hexChars must be 8-64');
      return (ip) => hashIp(ip, p.key, p.hexChars);
  }
}
