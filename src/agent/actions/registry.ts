/**
 * The action registry: loads every `<actionsDir>/<name>/manifest.json` once, at start, resolves the
 * host placeholders and checks the files it will execute. Nothing is loaded later, so the allow-list
 * is exactly what was on disk when the agent started.
 *
 * Host placeholders (in `executable`, argv elements before `--`, and `env` values):
 * - `${node}`        the absolute path of the Node.js binary running the agent (process.execPath);
 * - `${actionDir}`   the absolute path of the action's own directory (where its script lives);
 * - `${nodeModules}` the node_modules directory the agent resolves its own packages from (so a
 *                    script can load mysql2 via NODE_PATH / createRequire wherever the actions live).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { VigiaError } from '../../core/errors.js';
import { pathTrustProblem, trustProblem as coreTrustProblem, type TrustOptions } from '../../core/fs-trust.js';
import { parseManifest, type ActionManifest } from './manifest.js';
import { parsePasswdEntries } from '../passwd.js';

/** The file name of a manifest inside an action's directory. */
export const MANIFEST_FILE = 'manifest.json';

/** Values for the host placeholders. */
export interface HostPlaceholders {
  readonly node: string;
  readonly nodeModules: string | null;
  /** The host's root as the agent sees it (`--path.rootfs`); `${rootfs}` is it without a trailing slash ('' for '/'). */
  readonly rootfs?: string;
}

/** One loaded action: its manifest with host placeholders resolved, and where it came from. */
export interface LoadedAction {
  readonly manifest: ActionManifest;
  readonly dir: string;
  readonly file: string;
}

/** The node_modules directory this module's packages resolve from (the one holding mysql2), or null. */
export function agentNodeModules(): string | null {
  try {
    const p = createRequire(import.meta.url).resolve('mysql2');
    const i = p.lastIndexOf(`${sep}node_modules${sep}`);
    return i === -1 ? null : p.slice(0, i + `${sep}node_modules`.length);
  } catch {
    return null;
  }
}

/** Replace `${node}`, `${actionDir}`, `${nodeModules}`, `${rootfs}` in `text`; throws on any other `${...}`. Pure. */
export function resolvePlaceholders(text: string, vars: Readonly<Record<string, string | null>>, where: string): string {
  return text.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    const v = Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined;
    if (v === undefined) throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${where}: unknown placeholder \${${name}} (known: \${node}, \${actionDir}, \${nodeModules}, \${rootfs})`);
    if (v === null) throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${where}: \${${name}} cannot be resolved on this host`);
    return v;
  });
}

/** Resolve host placeholders throughout a manifest. Pure. */
export function resolveManifest(m: ActionManifest, dir: string, host: HostPlaceholders, file: string): ActionManifest {
  const vars = { node: host.node, actionDir: dir, nodeModules: host.nodeModules, rootfs: (host.rootfs ?? '/').replace(/\/+$/, '') };
  const sepAt = m.argv.indexOf('--');
  return {
    ...m,
    executable: resolvePlaceholders(m.executable, vars, `${file}: executable`),
    argv: m.argv.map((a, i) => (sepAt === -1 || i < sepAt ? resolvePlaceholders(a, vars, `${file}: argv.${i}`) : a)),
    env: Object.fromEntries(Object.entries(m.env).map(([k, v]) => [k, resolvePlaceholders(v, vars, `${file}: env.${k}`)])),
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Who may own the files the agent trusts: root and the agent's own user. */
export type { TrustOptions } from '../../core/fs-trust.js';

/** core/fs-trust's trustProblem, worded for the agent ("must be root or the agent's uid N"). Pure. */
export function trustProblem(st: { uid: number; mode: number }, isDir: boolean, agent: number): string | undefined {
  return coreTrustProblem(st, isDir, agent, AGENT);
}

const AGENT = "the agent's";

/**
 * Throw unless `path` is absolute, exists, is a regular file (after symlinks) and is trusted like
 * sshd's StrictModes (core/fs-trust): the file and every directory from it up to `/` (along the path
 * as written and along its real path) are owned by root or the agent's uid and not group- or
 * world-writable, except root-owned sticky directories such as /tmp.
 */
export async function checkTrustedFile(path: string, where: string, opts: TrustOptions = {}): Promise<void> {
  if (!isAbsolute(path)) throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${where}: must be an absolute path, got "${path}"`);
  let problem: string | undefined;
  try {
    problem = await pathTrustProblem(path, 'file', { who: AGENT, ...opts });
  } catch (err) {
    throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${where}: ${path} does not exist`, { cause: err });
  }
  if (problem) throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${where}: ${problem}`);
}

/**
 * Load every action under `actionsDir` (one sub-directory per action holding `manifest.json`;
 * hidden entries and plain files are ignored). The directory name must equal the manifest's name.
 * The manifest, the executable and the scripts named before `--` must pass checkTrustedFile.
 * Throws AGENT_ERR_ACTION_MANIFEST naming the file and field of the first bad manifest.
 */
export async function loadActions(actionsDir: string, host: HostPlaceholders, trust: TrustOptions = {}): Promise<LoadedAction[]> {
  const root = resolve(actionsDir);
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${root}: cannot read actions directory (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  const actions: LoadedAction[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.') || !e.isDirectory()) continue;
    const dir = join(root, e.name);
    const file = join(dir, MANIFEST_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
    }
    await checkTrustedFile(file, file, trust);
    const parsed = parseManifest(text, file);
    if (parsed.name !== e.name) throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `${file}: name: "${parsed.name}" must equal its directory name "${e.name}"`);
    const manifest = resolveManifest(parsed, dir, host, file);
    await checkTrustedFile(manifest.executable, `${file}: executable`, trust);
    // Scripts are code we run too: files named before `--` get the same checks (those inside the
    // action's directory must exist; other absolute paths are checked when they are files).
    const sepAt = manifest.argv.indexOf('--');
    for (const [i, a] of manifest.argv.entries()) {
      if (sepAt !== -1 && i >= sepAt) break;
      if (a.startsWith(dir + sep) || (isAbsolute(a) && (await isFile(a)))) await checkTrustedFile(a, `${file}: argv.${i}`, trust);
    }
    actions.push({ manifest, dir, file });
  }
  return actions;
}

/** A user's numeric identity. */
export interface UserIds {
  readonly uid: number;
  readonly gid: number;
}

/** Look `name` up in passwd(5) text. Pure; returns undefined when absent. */
export function parsePasswd(text: string, name: string): UserIds | undefined {
  for (const e of parsePasswdEntries(text)) if (e.name === name && e.gid !== null) return { uid: e.uid, gid: e.gid };
  return undefined;
}

/** Resolve a user name from `passwdPath` (no shell-out, no NSS); throws AGENT_ERR_ACTION_MANIFEST when unknown. */
export async function lookupUser(name: string, passwdPath = '/etc/passwd'): Promise<UserIds> {
  const ids = parsePasswd(await readFile(passwdPath, 'utf8'), name);
  if (!ids) throw new VigiaError('AGENT_ERR_ACTION_MANIFEST', `runAs: user "${name}" not found in ${passwdPath}`);
  return ids;
}
