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

/**
 * What a token may do. `read`: every GET API; `actions`: run agent actions (agent API); `run`: dispatch
 * fleet runs through the control plane; `admin`: change the control plane's state (enrol and remove
 * hosts, publish bundles, steer rollouts); `ingest`: post report batches for any enrolled host
 * (`POST /v2/reports`: a relay such as the simulator or a puller). `admin` does not imply `run`:
 * running commands on the fleet is granted on its own. `ingest` neither implies nor is implied by any
 * other scope: a relay's token reads nothing, and an operator's token writes no reports. `cmdline`
 * (agent API): see whole command lines in `GET /v1/processes`, which every other token gets with secret
 * values redacted (passwords passed as arguments are common on database hosts).
 */
export type Scope = 'read' | 'actions' | 'run' | 'admin' | 'ingest' | 'cmdline';

/** The scopes a line without `scopes=` gets: read only (least privilege). */
export const DEFAULT_SCOPES: readonly Scope[] = Object.freeze(['read']);

/** One token file entry: the hash, what it may do, and a name for logs and audit lines. */
export interface TokenEntry {
  readonly hash: Buffer;
  readonly scopes: readonly Scope[];
  /** `name=` from the line, else `token-<first 8 hex of the hash>` (never the token itself). */
  readonly name: string;
}

/** Every scope a token file line may name (see Scope). */
export const SCOPES: readonly Scope[] = Object.freeze(['read', 'actions', 'run', 'admin', 'ingest', 'cmdline']);
/** Scopes that imply `read` (whoever may start a run may read the run it started; whoever may see whole command lines may list processes). */
const IMPLY_READ: readonly string[] = ['actions', 'run', 'admin', 'cmdline'];

/**
 * Parse a token file: one `sha256:<64 hex> [scopes=read,actions] [name=<label>]` per line; `#` comments
 * and blank lines ignored. A line without `scopes=` may only read.
 */
export function parseTokenEntries(text: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [hashField, ...rest] = line.split(/\s+/);
    const m = /^sha256:([0-9a-f]{64})$/.exec(hashField ?? '');
    if (!m) throw new VigiaError('VIGIA_ERR_CONFIG', `token file line ${i + 1}: expected sha256:<64 hex digits> (use "vigia token new")`);
    let scopes: readonly Scope[] = DEFAULT_SCOPES;
    let name = `token-${m[1]!.slice(0, 8)}`;
    for (const field of rest) {
      const kv = /^(scopes|name)=(.+)$/.exec(field);
      if (!kv) throw new VigiaError('VIGIA_ERR_CONFIG', `token file line ${i + 1}: unknown field "${field.slice(0, 40)}" (expected scopes=... or name=...)`);
      if (kv[1] === 'name') {
        if (!/^[A-Za-z0-9._@-]{1,64}$/.test(kv[2]!)) throw new VigiaError('VIGIA_ERR_CONFIG', `token file line ${i + 1}: name must be 1-64 of A-Z a-z 0-9 . _ @ -`);
        name = kv[2]!;
      } else {
        const list = kv[2]!.split(',');
        const bad = list.find((s) => !(SCOPES as readonly string[]).includes(s));
        if (bad !== undefined) throw new VigiaError('VIGIA_ERR_CONFIG', `token file line ${i + 1}: unknown scope "${bad.slice(0, 40)}" (scopes: ${SCOPES.join(', ')})`);
        // `actions`, `run`, `admin` and `cmdline` imply `read`: a token that may start a run may also read the run it started.
        scopes = Object.freeze([...new Set(list.some((s) => IMPLY_READ.includes(s)) ? ['read', ...list] : list)] as Scope[]);
      }
    }
    if (entries.some((e) => e.hash.toString('hex') === m[1])) throw new VigiaError('VIGIA_ERR_CONFIG', `token file line ${i + 1}: the same token hash appears twice`);
    if (entries.some((e) => e.name === name)) throw new VigiaError('VIGIA_ERR_CONFIG', `token file line ${i + 1}: name "${name}" is used twice (names identify clients in audit lines)`);
    entries.push(Object.freeze({ hash: Buffer.from(m[1]!, 'hex'), scopes, name }));
  });
  if (entries.length === 0) throw new VigiaError('VIGIA_ERR_CONFIG', 'token file holds no token hash');
  return entries;
}

/** Parse a token file into its hashes only (see parseTokenEntries for the line format). */
export function parseTokenFile(text: string): Buffer[] {
  return parseTokenEntries(text).map((e) => e.hash);
}

/**
 * Find the entry whose token is in `Authorization: Bearer <token>`; undefined when none. Every entry
 * is compared, in constant time, so timing reveals neither which entry matched nor how much of it.
 */
export function matchBearer(entries: readonly TokenEntry[], authorization: string | undefined): TokenEntry | undefined {
  // The scheme name is case-insensitive (RFC 7235); the token is not.
  if (!authorization || !/^bearer /i.test(authorization)) return undefined;
  const digest = createHash('sha256').update(authorization.slice(7), 'utf8').digest();
  let found: TokenEntry | undefined;
  for (const e of entries) if (timingSafeEqual(e.hash, digest)) found ??= e;
  return found;
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
