/**
 * `vigia server enroll --from FILE`: enrol (or rotate) every host of a file at once, through a running
 * server (`--server`: the bulk form of POST /v1/hosts/enroll, 1000 hosts a request, 429/503 retried
 * after Retry-After) or straight into the store (`--database` / `--data-dir`).
 *
 * Nothing half-done on a bad input: the whole file is checked, and the token directory made and
 * checked, before the first host is enrolled. Tokens go to `DIR/<host>.token` (0600, DIR 0700) with
 * `--write-token-dir` and then never to stdout; without it they are printed as `HOST TOKEN` lines.
 */
import { access, chmod, constants, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { hashToken, newToken } from '../core/auth.js';
import { parseRetryAfter } from '../core/backoff.js';
import { ERROR_CATALOG, VigiaError, type ErrorCode } from '../core/errors.js';
import { serverTarget } from './client.js';
import { openStoreFromOptions } from './command.js';
import { parseEnrollFile, type EnrollEntry } from './enroll-file.js';
import { enrollHosts } from './simulate/enroll.js';
import { plural } from '../core/plural.js';

/** One enrolled host and its new token; `created` false for a rotation, undefined when the server did not say. */
export interface EnrolledToken {
  readonly host: string;
  readonly token: string;
  readonly created?: boolean;
}

/**
 * Make `dir` (0700) for token files, or check an existing one: a directory this user can write that
 * group and others cannot enter (tokens are secrets). VIGIA_ERR_CONFIG naming --write-token-dir.
 */
export async function prepareTokenDir(dir: string): Promise<void> {
  const fail = (why: string, cause?: unknown): never => {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--write-token-dir ${dir}: ${why}`, cause === undefined ? undefined : { cause });
  };
  let existed = true;
  try {
    await stat(dir);
  } catch {
    existed = false;
  }
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // mkdir's mode passes through the umask: make sure of it.
    if (!existed) await chmod(dir, 0o700);
  } catch (err) {
    fail(`cannot create it (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  }
  const s = await stat(dir);
  if (!s.isDirectory()) fail('not a directory');
  if ((s.mode & 0o077) !== 0) fail(`group or others may read it (mode ${(s.mode & 0o777).toString(8)}); use a new directory or chmod 700 it`);
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    fail('not writable', err);
  }
}

/** Write each token to `dir/<host>.token`, mode 0600, atomically (a reader never sees half a token). */
export async function writeTokenFiles(dir: string, tokens: readonly EnrolledToken[]): Promise<void> {
  for (const t of tokens) await writeFileAtomic(join(dir, `${t.host}.token`), `${t.token}\n`, 0o600);
}

/** Enrol `entries` straight into the store; all or nothing (one transaction is not available: host by host, stops at the first error). */
async function enrollIntoStore(opts: Record<string, unknown>, entries: readonly EnrollEntry[]): Promise<EnrolledToken[]> {
  const store = await openStoreFromOptions(opts);
  const out: EnrolledToken[] = [];
  try {
    for (const e of entries) {
      const token = newToken();
      const { created } = await store.enrollHost(e.host, hashToken(token), e.tags);
      out.push({ host: e.host, token, created });
    }
  } catch (err) {
    // The ones already enrolled hold new tokens: hand them over before failing, or they are lost.
    (err as { enrolled?: EnrolledToken[] }).enrolled = out;
    throw err;
  } finally {
    await store.close();
  }
  return out;
}

/** Enrol `entries` through a running server (bulk, retried on 429/503); the tokens of those it took, and the failure if any. */
async function enrollThroughServer(opts: Record<string, unknown>, entries: readonly EnrollEntry[]): Promise<{ tokens: EnrolledToken[]; failure?: VigiaError }> {
  const target = await serverTarget(String(opts.server), opts.tokenFile as string | undefined);
  const r = await enrollHosts({
    hosts: entries,
    post: async (path, payload) => {
      const res = await fetch(`${target.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(120_000),
      });
      return { status: res.status, body: await res.text(), retryAfterMs: parseRetryAfter(res.headers.get('retry-after') ?? undefined, Date.now()) };
    },
    singleConcurrency: 8,
  });
  const tokens = r.tokens.flatMap((token, i) => (token === undefined ? [] : [{ host: entries[i]!.host, token }]));
  if (!r.firstFailure) return { tokens };
  const failed = Object.values(r.errors).reduce((a, b) => a + b, 0);
  const { key, body } = r.firstFailure;
  let code: ErrorCode = 'VIGIA_ERR_CONFIG';
  let detail = key === 'network' ? `--server ${target.url}: cannot reach it` : key === 'retries_exhausted' ? 'the server kept answering 429/503' : `the server answered ${key}`;
  try {
    const e = (JSON.parse(body) as { error?: { code?: string; message?: string } }).error;
    if (e?.code && Object.hasOwn(ERROR_CATALOG, e.code)) code = e.code as ErrorCode;
    if (e?.message) detail += `: ${e.message.slice(0, 300)}`;
  } catch {
    /* not JSON: the status says enough */
  }
  return { tokens, failure: new VigiaError(code, `${detail} (${failed} of ${plural(entries.length, 'host')} not enrolled)`) };
}

/** The `--from` form of `vigia server enroll` (flags already checked against --host, --tag, --write-token-file). */
export async function enrollFromFile(opts: Record<string, unknown>): Promise<void> {
  const file = String(opts.from);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--from ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  const entries = parseEnrollFile(text, file);
  const dir = opts.writeTokenDir === undefined ? undefined : String(opts.writeTokenDir);
  if (dir !== undefined) await prepareTokenDir(dir);

  let tokens: EnrolledToken[];
  let failure: unknown;
  if (opts.server) ({ tokens, failure } = await enrollThroughServer(opts, entries));
  else {
    try {
      tokens = await enrollIntoStore(opts, entries);
    } catch (err) {
      tokens = (err as { enrolled?: EnrolledToken[] }).enrolled ?? [];
      failure = err;
    }
  }
  // Tokens of hosts that were enrolled are handed over even when others failed: their old tokens no longer work.
  if (dir !== undefined) {
    await writeTokenFiles(dir, tokens);
    if (tokens.length > 0) process.stderr.write(`${describe(tokens)}; tokens written to ${join(dir, '<host>.token')} (mode 0600)\n`);
  } else {
    for (const t of tokens) process.stdout.write(`${t.host} ${t.token}\n`);
    if (tokens.length > 0) process.stderr.write(`${describe(tokens)}. Put each token above in a file readable only by that host's agent (--report-token-file), or use --write-token-dir.\n`);
  }
  if (failure !== undefined) throw failure;
}

function describe(tokens: readonly EnrolledToken[]): string {
  const created = tokens.filter((t) => t.created === true).length;
  const rotated = tokens.filter((t) => t.created === false).length;
  return created + rotated === tokens.length ? `enrolled ${plural(created, 'host')}, rotated the token of ${rotated}` : `enrolled or rotated ${plural(tokens.length, 'host')}`;
}
