/**
 * `--ip-privacy none|truncate|hash [--ip-hash-key-file F]`, the flags `vigia logs serve` and `vigia logs
 * import` share: the client transform of privacy.ts they ask for, read at the edge. One reading for both,
 * so imported lines are stored exactly as the collector stores them and a store never mixes raw and
 * hashed addresses.
 */
import { readConfigFile } from '../core/config-file.js';
import { VigiaError } from '../core/errors.js';
import { clientTransform, DEFAULT_HASH_HEX_CHARS, DEFAULT_TRUNCATE, MIN_HASH_KEY_BYTES } from './privacy.js';

/** Modes of --ip-privacy. */
export const IP_PRIVACY_MODES = Object.freeze(['none', 'truncate', 'hash'] as const);

/** The transform the flags ask for, undefined for `none`; VIGIA_ERR_CONFIG naming the flag otherwise. */
export async function privacyFromFlags(mode: string, keyFile: string | undefined): Promise<((ip: string) => string) | undefined> {
  if (mode !== 'hash' && keyFile !== undefined) throw new VigiaError('VIGIA_ERR_CONFIG', '--ip-hash-key-file: only with --ip-privacy hash');
  if (mode === 'none') return undefined;
  if (mode === 'truncate') return clientTransform({ mode: 'truncate', ...DEFAULT_TRUNCATE });
  if (keyFile === undefined) throw new VigiaError('VIGIA_ERR_CONFIG', '--ip-hash-key-file: --ip-privacy hash needs --ip-hash-key-file FILE');
  // Trimmed as the collector reads it, so a key file gives the same hashes to both.
  const key = Buffer.from((await readConfigFile(keyFile, '--ip-hash-key-file')).trim(), 'utf8');
  if (key.length < MIN_HASH_KEY_BYTES) throw new VigiaError('VIGIA_ERR_CONFIG', `--ip-hash-key-file: the key must have at least ${MIN_HASH_KEY_BYTES} bytes`);
  return clientTransform({ mode: 'hash', key, hexChars: DEFAULT_HASH_HEX_CHARS });
}
