/**
 * Who the processes the agent starts (actions, bundle checks) run as, decided once at start.
 *
 * They run code the agent did not write, so they must never share its uid: a process with the
 * agent's uid can truncate or forge the audit log (the agent writes it), read the token files and the
 * TLS key (the agent reads them) and SIGKILL the agent. No file mode prevents that, so such a
 * deployment is refused at start rather than warned about: the agent must be able to switch users
 * (CAP_SETUID and CAP_SETGID effective: root, or the shipped systemd unit) and the user must not be
 * its own. A non-root agent, like the container image, runs with --no-actions and no --bundle-key.
 *
 * A different uid is not enough on its own: the files must keep it out too. The user must not be
 * able to write the audit log, the directory holding it (it could replace the file) or the API token
 * file (it could add a token), nor read a secret the agent holds (the report token, the TLS key).
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { VigiaError } from '../../core/errors.js';
import { mayAccess, unreachableAncestor, type Identity } from '../bundle/reachable.js';

/** Capability numbers (linux/capability.h). */
const CAP_SETGID = 6;
const CAP_SETUID = 7;

/**
 * Whether a process with this `/proc/<pid>/status` text can switch its children to another uid and
 * gid: CAP_SETUID and CAP_SETGID in CapEff. Root without them (a container with --cap-drop ALL) cannot.
 * Pure; false when the field is missing or malformed.
 */
export function canSwitchUsers(procStatus: string): boolean {
  const hex = /^CapEff:\s*([0-9a-fA-F]{1,16})\s*$/m.exec(procStatus)?.[1];
  if (hex === undefined) return false;
  const eff = BigInt(`0x${hex}`);
  const need = (1n << BigInt(CAP_SETGID)) | (1n << BigInt(CAP_SETUID));
  return (eff & need) === need;
}

/** What childIdentity decides from. */
export interface ChildIdentityInput {
  /** The agent's own uid. */
  readonly agentUid: number;
  /** canSwitchUsers of the agent's own status. */
  readonly canSwitch: boolean;
  /** `--actions-user` as typed, and its ids (undefined: no such user in passwd). */
  readonly userName: string;
  readonly user: Identity | undefined;
  /** The flags that start child processes in this configuration (`--actions-dir`, `--bundle-key`), for the message. */
  readonly startedBy: readonly string[];
}

/**
 * The identity actions and checks run as by default: `--actions-user`. Throws VIGIA_ERR_CONFIG when
 * the agent cannot switch users, when the user does not exist, or when it is the agent's own uid or
 * root (the manifest's explicit `"runAs": "root"` is the only way to root). Pure.
 */
export function childIdentity(input: ChildIdentityInput): Identity {
  const by = input.startedBy.join(' and ');
  const off = 'pass --no-actions (and no --bundle-key)';
  if (!input.canSwitch) {
    throw new VigiaError(
      'VIGIA_ERR_CONFIG',
      `${by}: the agent (uid ${input.agentUid}) cannot switch to --actions-user (it lacks CAP_SETUID/CAP_SETGID), and a child running as the agent's own uid could rewrite the audit log, read its token files and kill it; run the agent as root with those capabilities (deploy/agent/vigia-agent.service) or ${off}`,
    );
  }
  if (!input.user) throw new VigiaError('VIGIA_ERR_CONFIG', `--actions-user: user "${input.userName}" not found in /etc/passwd`);
  if (input.user.uid === input.agentUid) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--actions-user ${input.userName} is uid ${input.user.uid}, the agent's own: children running as it could rewrite the audit log, read the token files and kill the agent; choose a user of their own (default nobody) or ${off}`);
  }
  if (input.user.uid === 0) throw new VigiaError('VIGIA_ERR_CONFIG', `--actions-user ${input.userName} is uid 0: choose an unprivileged user (default nobody); a manifest may still say "runAs": "root" explicitly`);
  return input.user;
}

/** A file the agent holds that its children must not reach, and how. */
export interface GuardedFile {
  /** The flag that names it, for the message (`--audit-log`). */
  readonly flag: string;
  readonly path: string;
  /** `write`: the user must not modify it (or, for a directory, add, remove or rename entries); `read`: it holds a secret. */
  readonly guard: 'write' | 'read';
}

/** Owner, group, mode of a file and whether every directory above it is searchable by the identity. */
export interface GuardedStat {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  readonly isDirectory: boolean;
  readonly reachable: boolean;
}

/**
 * Why `id` could reach a guarded file (one line), or undefined. Owning it counts (chmod). A directory with the sticky bit does
 * not let others remove or rename our entries, so it only counts as writable for its owner. Pure.
 */
export function exposure(file: GuardedFile, st: GuardedStat, id: Identity): string | undefined {
  if (!st.reachable) return undefined;
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  const what = `${st.isDirectory ? 'directory ' : ''}${file.path} (uid ${st.uid}, gid ${st.gid}, mode ${mode})`;
  // Its owner may chmod it, whatever the bits say now.
  if (st.uid === id.uid) return `${file.flag}: uid ${id.uid} owns ${what}`;
  if (file.guard === 'read') return mayAccess(st, id, 4) ? `${file.flag}: uid ${id.uid} can read ${what}` : undefined;
  if (!mayAccess(st, id, 2)) return undefined;
  if (st.isDirectory && st.mode & 0o1000) return undefined;
  return `${file.flag}: uid ${id.uid} can write ${what}`;
}

/**
 * Throw VIGIA_ERR_CONFIG naming every guarded file one of `ids` could reach (see exposure). A path
 * that does not exist is skipped (the agent creates nothing there for a child to find later: it is
 * checked after the audit log is opened). Ancestors are checked for search permission.
 */
export async function refuseExposedFiles(files: readonly GuardedFile[], ids: readonly Identity[], explain: string): Promise<void> {
  const problems: string[] = [];
  for (const id of ids) {
    for (const f of files) {
      let st;
      try {
        st = await stat(f.path);
      } catch {
        continue;
      }
      const reachable = (await unreachableAncestor(st.isDirectory() ? f.path : dirname(f.path), id)) === null;
      const p = exposure(f, { uid: st.uid, gid: st.gid, mode: st.mode, isDirectory: st.isDirectory(), reachable }, id);
      if (p) problems.push(p);
    }
  }
  if (problems.length) throw new VigiaError('VIGIA_ERR_CONFIG', `${problems.join('; ')}: ${explain}`);
}
