/**
 * What each volume is for on a MySQL host. Explicit rules win over detection from MySQL's paths.
 *
 * Rules: a rule matches a device when its path equals the device's source (`/dev/mapper/vg0-data`)
 * or is a path prefix of the device's mountpoint or of one of its aliases (`/srv` matches `/srv` and
 * `/srv/mysql`, not `/srvx`). Among matching rules the longest path wins; on equal length the later rule.
 *
 * Detection: the datadir (binlog) lives on the device whose mountpoint or alias is the longest path
 * prefix of it, across all devices. That device gets 'data' ('binlog'); when one device holds both,
 * it gets 'data' (the datadir is what fills up and what operators look for first).
 */
import type { VolumeRole } from './model.js';

/** An explicit role assignment from configuration. */
export interface RoleRule {
  readonly role: VolumeRole;
  /** A path prefix of a mountpoint, or a device source such as /dev/mapper/vg0-data. */
  readonly path: string;
}

/** Where MySQL keeps its data directory and binary logs (absolute host paths), when known. */
export interface MysqlPaths {
  readonly datadir?: string;
  readonly binlog?: string;
}

/** One device as role assignment sees it. */
export interface RoleCandidate {
  /** Mount source, e.g. /dev/mapper/vg0-data. */
  readonly device?: string;
  /** The device's mountpoint first, then its aliases. */
  readonly mountpoints: readonly string[];
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** True when `prefix` is `path` or a directory above it. */
export function isPathPrefix(prefix: string, path: string): boolean {
  const a = trimSlash(prefix);
  const b = trimSlash(path);
  if (a === '/') return b.startsWith('/');
  return b === a || b.startsWith(a + '/');
}

/** Length of the longest of `mountpoints` that is a path prefix of `target`, or -1. */
function longestPrefix(mountpoints: readonly string[], target: string): number {
  let best = -1;
  for (const mp of mountpoints) if (isPathPrefix(mp, target)) best = Math.max(best, trimSlash(mp).length);
  return best;
}

function ruleRole(c: RoleCandidate, rules: readonly RoleRule[]): VolumeRole | null {
  let best: RoleRule | null = null;
  for (const r of rules) {
    const hit = (c.device !== undefined && r.path === c.device) || c.mountpoints.some((mp) => isPathPrefix(r.path, mp));
    if (hit && (best === null || r.path.length >= best.path.length)) best = r;
  }
  return best?.role ?? null;
}

/**
 * The role of one device. `others` are the mountpoints of every other device: detection gives this
 * device a MySQL role only when none of them is a longer prefix of the MySQL path.
 */
export function assignRole(
  mountpoints: readonly string[],
  rules: readonly RoleRule[],
  mysqlPaths: MysqlPaths | null | undefined,
  context: { device?: string; others?: readonly string[] } = {},
): VolumeRole {
  const explicit = ruleRole({ device: context.device, mountpoints }, rules);
  if (explicit) return explicit;
  const holds = (target: string | undefined): boolean => {
    if (!target) return false;
    const mine = longestPrefix(mountpoints, target);
    return mine >= 0 && mine > longestPrefix(context.others ?? [], target);
  };
  if (holds(mysqlPaths?.datadir)) return 'data';
  if (holds(mysqlPaths?.binlog)) return 'binlog';
  return 'other';
}

/** Roles for a whole device list, in order (each device compared against all the others). */
export function assignRoles(
  devices: readonly RoleCandidate[],
  rules: readonly RoleRule[],
  mysqlPaths: MysqlPaths | null | undefined,
): VolumeRole[] {
  return devices.map((d, i) =>
    assignRole(d.mountpoints, rules, mysqlPaths, {
      device: d.device,
      others: devices.flatMap((o, j) => (j === i ? [] : o.mountpoints)),
    }),
  );
}

/** A role rule that gives no device its role, and the mountpoint its path lies on (null: on none). */
export interface UnmatchedRoleRule {
  readonly rule: RoleRule;
  readonly mountedOn: string | null;
}

/**
 * The rules that match no device of `devices` (in rule order): `--role data=/var/lib/mysql` where
 * /var/lib/mysql is a directory on `/`, not a mount of its own, would otherwise be ignored without a
 * word. `mountedOn` is the longest mountpoint (or alias) above the rule's path, to name in a warning.
 */
export function unmatchedRoleRules(devices: readonly RoleCandidate[], rules: readonly RoleRule[]): UnmatchedRoleRule[] {
  const out: UnmatchedRoleRule[] = [];
  for (const rule of rules) {
    if (devices.some((d) => ruleRole(d, [rule]) !== null)) continue;
    let mountedOn: string | null = null;
    for (const d of devices) for (const mp of d.mountpoints) if (isPathPrefix(mp, rule.path) && (mountedOn === null || trimSlash(mp).length > trimSlash(mountedOn).length)) mountedOn = mp;
    out.push({ rule, mountedOn });
  }
  return out;
}
