/**
 * Files named by flags (token files, TLS keys, bundle keys, passwords): read once at the edge, with
 * errors that name the flag and the path, the same wording in every role.
 */
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { VigiaError } from './errors.js';
import type { Logger } from './log.js';

/** Reads a file named by `flag` as UTF-8. Throws VIGIA_ERR_CONFIG `--flag: cannot read PATH (ENOENT)`. */
export async function readConfigFile(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${flag}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
}

/** `--flag: PATH is readable by group or others (mode 644); chmod 600 it`, or null when only its owner can read it. */
async function readableByOthers(path: string, flag: string): Promise<string | null> {
  const mode = (await stat(path)).mode & 0o777;
  return (mode & 0o077) === 0 ? null : `${flag}: ${path} is readable by group or others (mode ${mode.toString(8)}); chmod 600 it`;
}

/**
 * Logs a warning when a file others may read holds something they should not (a token file of hashes:
 * not a secret by itself, but a list of who may do what). `flag` names it in the message.
 */
export async function warnIfReadableByOthers(path: string, log: Logger, flag = 'token file'): Promise<void> {
  const problem = await readableByOthers(path, flag);
  if (problem) log.warn({ path }, problem);
}

/** Throws VIGIA_ERR_CONFIG when group or others can read the file (it holds a secret itself, e.g. a bearer token). */
export async function refuseIfReadableByOthers(path: string, flag: string): Promise<void> {
  const problem = await readableByOthers(path, flag);
  if (problem) throw new VigiaError('VIGIA_ERR_CONFIG', problem);
}

/** `--tls-cert`, `--tls-key` and the optional `--tls-client-ca` (paths) of a server role, as its config schema holds them. */
export const tlsFilesSchema = z.object({ cert: z.string().min(1), key: z.string().min(1), clientCa: z.string().min(1).optional() }).strict();

/** The TLS file paths of a server role. */
export type TlsFiles = z.infer<typeof tlsFilesSchema>;

/**
 * Reads a server's certificate, key and optional client CA (PEM) named by --tls-cert, --tls-key and
 * --tls-client-ca; undefined when TLS is off. `ca` present means clients must show a certificate.
 */
export async function readTlsFiles(tls: TlsFiles | undefined): Promise<{ cert: Buffer; key: Buffer; ca?: Buffer } | undefined> {
  if (!tls) return undefined;
  return {
    cert: Buffer.from(await readConfigFile(tls.cert, '--tls-cert')),
    key: Buffer.from(await readConfigFile(tls.key, '--tls-key')),
    ...(tls.clientCa ? { ca: Buffer.from(await readConfigFile(tls.clientCa, '--tls-client-ca')) } : {}),
  };
}

/**
 * The bearer token from a token file's text: the first line that is not blank or a `#` comment, with
 * an optional `token:` prefix (the line `vigia token new` prints). Throws VIGIA_ERR_CONFIG when there
 * is none, or when the file holds a hash (that belongs in the server's --auth-token-file).
 */
export function parseClientToken(text: string, source: string): string {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const token = line.replace(/^token:\s*/, '');
    if (/^sha256:[0-9a-f]{64}$/.test(token)) {
      throw new VigiaError('VIGIA_ERR_CONFIG', `${source}: holds a token hash; the client needs the token itself (the "token:" line of "vigia token new")`);
    }
    if (!/^[\x21-\x7e]+$/.test(token)) throw new VigiaError('VIGIA_ERR_CONFIG', `${source}: the token must be printable ASCII without spaces`);
    return token;
  }
  throw new VigiaError('VIGIA_ERR_CONFIG', `${source}: holds no token`);
}

/**
 * The bearer token in a client's token file named by `flag` (`--token-file`, `--admin-token-file`, ...):
 * readConfigFile's errors when it cannot be read, parseClientToken's (naming the flag and the path) when
 * it holds no usable token. One rule for every client command.
 */
export async function readClientToken(path: string, flag: string): Promise<string> {
  return parseClientToken(await readConfigFile(path, flag), `${flag} ${path}`);
}
