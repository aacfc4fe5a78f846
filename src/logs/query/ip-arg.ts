/**
 * The `--ip` a user typed. Stored clients are addresses as logged (IPv4, IPv6) or their privacy form (a
 * truncated address, or a keyed hash: privacy.ts), so anything short and printable is accepted; what is
 * checked is only what can never match (blanks, controls, over 64 characters: the operator API's bound).
 * Pure.
 */
import { VigiaError } from '../../core/errors.js';

/** The client to ask about, trimmed; VIGIA_ERR_CONFIG naming `flag` when it cannot be a stored client. */
export function parseIpArg(typed: string, flag = '--ip'): string {
  const ip = typed.trim();
  if (!/^[\x21-\x7e]{1,64}$/.test(ip)) throw new VigiaError('VIGIA_ERR_CONFIG', `${flag}: expected a client address such as 203.0.113.7 or 2001:db8::1 (at most 64 printable characters), got "${ip.slice(0, 70).replace(/[^\x20-\x7e]/g, '?')}"`);
  return ip;
}
