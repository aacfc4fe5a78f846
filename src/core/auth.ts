/**
 * Bearer-token authentication. Tokens are stored only as SHA-256 hashes (`sha256:<hex>` per line in a
 * token file) and compared in constant time, so the file leaking does not leak the tokens and the
 * comparison does not leak how many bytes matched.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { VigiaError } from './errors.js';

/** Decides whether an Authorization header value carries a known token. */
export type Authenticator = (authorization: string | undefined) => boolean;

/** SHA-256 of a token, in the `sha256:<hex>` form token files hold. */
export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** A new random token (256 bits, base64url). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Parse a token file: one `sha256:<64 hex>` per line; `#` comments and blank lines ignored. */
export function parseTokenFile(text: string): Buffer[] {
  const hashes: Buffer[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^sha256:([0-9a-f]{64})$/.exec(line);
    if (!m) throw new VigiaError('VIGIA_ERR_CONFIG', `token file line ${i + 1}: expected sha256:<64 hex digits> (use "vigia token new")`);
    hashes.push(Buffer.from(m[1]!, 'hex'));
  });
  if (hashes.length === 0) throw new VigiaError('VIGIA_ERR_CONFIG', 'token file holds no token hash');
  return hashes;
}

/** An authenticator accepting `Authorization: Bearer <token>` for any token whose hash is in `hashes`. */
export function bearerAuthenticator(hashes: readonly Buffer[]): Authenticator {
  return (authorization) => {
    if (!authorization || !authorization.startsWith('Bearer ')) return false;
    const digest = createHash('sha256').update(authorization.slice(7), 'utf8').digest();
    let ok = false;
    for (const h of hashes) ok = timingSafeEqual(h, digest) || ok; // check all: no early exit
    return ok;
  };
}
