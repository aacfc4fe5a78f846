/**
 * Installs signed check-bundle releases on a host. Layout of the state directory:
 *
 *   <dir>/releases/<sha256>/   the extracted files of one archive (dirs 0755, files 0644 or 0755)
 *   <dir>/current              symlink -> releases/<sha256> of the installed release
 *   <dir>/state.json           { release, sha256, bundle, installed_at, expires_at }
 *
 * state.json is the commit point: it is written (tmp + fsync + rename) after `current` was swapped,
 * and a failure before that puts `current` back, so a failed install leaves the last good release
 * in place. One process installs into a directory at a time (the agent); leftovers of a crash
 * (`releases/.tmp-*`) are removed by the next successful install.
 *
 * The directory is not secret (checks run as --actions-user and must read their scripts: 0755/0644),
 * but it is trusted: state.json is the downgrade floor and releases/ holds code the agent runs. So
 * the directory and everything above it, state.json, releases/ and the release about to run must be
 * owned by root or the agent's user and writable by nobody else (core/fs-trust), checked at start
 * and every time state.json is read; otherwise the checks user (or anyone) could lower the floor.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readFile, readdir, rename, rm, stat, symlink, utimes } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { VigiaError } from '../../core/errors.js';
import { pathTrustProblem, treeTrustProblem, type TrustOptions } from '../../core/fs-trust.js';
import { checkReleaseArchive, verifyRelease } from '../../core/contracts/bundle.js';
import type { BundleFile, ReleaseEnvelope, SignedRelease } from '../../core/contracts/bundle.js';

/** How many release directories are kept, the current one included. */
export const KEEP_RELEASES = 3;

const installedStateSchema = z
  .object({
    release: z.number().int().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bundle: z.string().min(1),
    installed_at: z.string().datetime(),
    expires_at: z.string().datetime(),
  })
  .strict();

/** What state.json says is installed. */
export type InstalledState = z.output<typeof installedStateSchema>;

/** What to do with an offered release. */
export type OfferDecision = { action: 'install' } | { action: 'already' } | { action: 'reject'; reason: string };

/**
 * The installed release, or null when nothing was ever installed (no state.json). A state.json
 * that cannot be read or parsed, or that another user could have written (bundleDirProblem), throws
 * BUNDLE_ERR_REJECTED rather than reading as "nothing installed" or as what it says: either would
 * silently drop the downgrade protection, and since the file is only ever replaced atomically, a
 * broken one means someone else touched it and a human should look.
 */
export async function readInstalled(dir: string, trust: TrustOptions = {}): Promise<InstalledState | null> {
  const path = join(dir, 'state.json');
  const problem = await bundleDirProblem(dir, trust);
  if (problem) throw new VigiaError('BUNDLE_ERR_REJECTED', `${problem}: what it says is installed cannot be trusted; fix the ownership and modes, then check state.json and releases/ by hand`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new VigiaError('BUNDLE_ERR_REJECTED', `${path}: unreadable (${(err as Error).message})`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new VigiaError('BUNDLE_ERR_REJECTED', `${path}: corrupt, not JSON; move it away to accept a new release`, { cause: err });
  }
  const r = installedStateSchema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new VigiaError('BUNDLE_ERR_REJECTED', `${path}: corrupt (${problems}); move it away to accept a new release`);
  }
  return r.data;
}

/**
 * Why the bundle directory `dir` cannot be trusted, or undefined: `dir` and every directory above it,
 * `state.json` and `releases/` (those that exist) and, with `release` (a sha256), that release's
 * directory and everything in it must be owned by root or the agent's uid and not group- or
 * world-writable. A missing `dir` is fine (nothing installed yet).
 */
export async function bundleDirProblem(dir: string, opts: TrustOptions & { readonly release?: string } = {}): Promise<string | undefined> {
  const trust = { who: "the agent's", ...opts };
  const check = async (path: string, kind: 'file' | 'dir'): Promise<string | undefined> => {
    try {
      return await pathTrustProblem(path, kind, trust);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const releases = join(dir, 'releases');
  const problem = (await check(dir, 'dir')) ?? (await check(join(dir, 'state.json'), 'file')) ?? (await check(releases, 'dir'));
  if (problem || opts.release === undefined) return problem;
  const release = join(releases, opts.release);
  return (await check(release, 'dir')) ?? (await treeTrustProblem(release, trust).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }));
}

/**
 * Decide about a verified offer. Pure. Rejects a release below the installed one (downgrade), the
 * installed release number with another archive (tampering or a re-used number) and, for anything
 * to install, an expired envelope. The installed release offered again is 'already', even past
 * its expiry (nothing gets installed). A higher release with the installed archive (a pre-signed
 * rollback to identical content) is an 'install'.
 */
export function decideOffer(offer: ReleaseEnvelope, installed: InstalledState | null, now: Date): OfferDecision {
  if (installed) {
    if (offer.release < installed.release) return { action: 'reject', reason: `release ${offer.release} is below the installed release ${installed.release} (downgrade)` };
    if (offer.release === installed.release) {
      return offer.sha256 === installed.sha256
        ? { action: 'already' }
        : { action: 'reject', reason: `release ${offer.release} is installed with sha256 ${installed.sha256}, the offer names ${offer.sha256}` };
    }
  }
  if (now.getTime() > Date.parse(offer.expires_at)) return { action: 'reject', reason: `release ${offer.release} expired at ${offer.expires_at}` };
  return { action: 'install' };
}

/**
 * Verify, check and install a release into `dir`; returns the new state (or the installed one when
 * the offer is what runs already). Throws BUNDLE_ERR_SIGNATURE (verification), BUNDLE_ERR_REJECTED
 * (decideOffer, an archive whose size, sha256 or bundle name differ from the envelope),
 * BUNDLE_ERR_INVALID (parseArchive) or an I/O error; in every case `current` and state.json still
 * name the last good release. An archive already extracted (same sha256) is reused.
 */
export async function installRelease(dir: string, signed: SignedRelease, archive: Buffer, trustedKeys: readonly string[], now: Date): Promise<InstalledState> {
  const envelope = verifyRelease(signed, trustedKeys);
  const installed = await readInstalled(dir);
  const decision = decideOffer(envelope, installed, now);
  if (decision.action === 'reject') throw new VigiaError('BUNDLE_ERR_REJECTED', decision.reason);
  if (decision.action === 'already' && installed) return installed;
  // The control plane applied the same checks at publish (checkReleaseArchive); a host checks again.
  const { files } = checkReleaseArchive(envelope, archive, 'BUNDLE_ERR_REJECTED');

  const releases = join(dir, 'releases');
  await mkdir(releases, { recursive: true, mode: 0o755 });
  const target = join(releases, envelope.sha256);
  // A directory left from before that others could have changed is extracted again.
  if (await isDir(target)) {
    if (await bundleDirProblem(dir, { release: envelope.sha256 })) await rm(target, { recursive: true, force: true });
  }
  if (!(await isDir(target))) await extract(releases, target, files);
  // Pruning keeps the most recently installed; a reused directory counts as new.
  await utimes(target, now, now);

  const state: InstalledState = {
    release: envelope.release,
    sha256: envelope.sha256,
    bundle: envelope.bundle,
    installed_at: now.toISOString(),
    expires_at: envelope.expires_at,
  };
  await pointCurrent(dir, envelope.sha256);
  try {
    await writeState(dir, state);
  } catch (err) {
    await (installed ? pointCurrent(dir, installed.sha256) : rm(join(dir, 'current'), { force: true })).catch(() => undefined);
    throw err;
  }
  // Pruning is housekeeping: the install has succeeded whether or not it works.
  await prune(releases, envelope.sha256).catch(() => undefined);
  return state;
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Extract into a fresh `.tmp-*` directory, then rename it to `target` in one step. */
async function extract(releases: string, target: string, files: readonly BundleFile[]): Promise<void> {
  const tmp = await mkdtemp(join(releases, '.tmp-'));
  try {
    const dirs = new Set<string>([tmp]);
    for (const f of files) {
      const path = resolve(tmp, f.path);
      // BUNDLE_PATH_RE already forbids this; an installer writing as root checks again.
      if (!path.startsWith(tmp + sep)) throw new VigiaError('BUNDLE_ERR_INVALID', `archive: "${f.path}" escapes the release directory`);
      for (let d = dirname(path); d !== tmp && !dirs.has(d); d = dirname(d)) dirs.add(d);
      await mkdir(dirname(path), { recursive: true });
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(f.data);
        await fh.chmod(f.executable ? 0o755 : 0o644);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    for (const d of dirs) await chmod(d, 0o755);
    await rename(tmp, target);
    await syncDir(releases);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Point `<dir>/current` at `releases/<sha>` atomically (a new symlink renamed over the old one). */
async function pointCurrent(dir: string, sha: string): Promise<void> {
  const tmp = join(dir, `current.tmp-${randomBytes(6).toString('hex')}`);
  await symlink(join('releases', sha), tmp);
  try {
    await rename(tmp, join(dir, 'current'));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function writeState(dir: string, state: InstalledState): Promise<void> {
  const tmp = join(dir, 'state.json.tmp');
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, 'state.json'));
  await syncDir(dir);
}

/** Remove crash leftovers and all but the KEEP_RELEASES most recently installed releases, never `current`. */
async function prune(releases: string, current: string): Promise<void> {
  const names = await readdir(releases);
  for (const n of names.filter((n) => n.startsWith('.tmp-'))) await rm(join(releases, n), { recursive: true, force: true });
  const others = await Promise.all(
    names.filter((n) => /^[0-9a-f]{64}$/.test(n) && n !== current).map(async (n) => ({ n, mtime: (await stat(join(releases, n))).mtimeMs })),
  );
  others.sort((a, b) => b.mtime - a.mtime || (a.n < b.n ? -1 : 1));
  for (const { n } of others.slice(KEEP_RELEASES - 1)) await rm(join(releases, n), { recursive: true, force: true });
}
