/**
 * Which mounts the filesystem collector reports, with node_exporter's flag semantics: a mount is
 * excluded when its mountpoint matches mount-points-exclude or its fstype matches fs-types-exclude;
 * include patterns, when given, must also match.
 */
import { VigiaError } from '../../core/errors.js';

/** Compiled filter; regexes are tested unanchored, as Go's MatchString does. */
export interface FilesystemFilter {
  readonly mountPointsExclude: RegExp;
  readonly fsTypesExclude: RegExp;
  readonly mountPointsInclude?: RegExp;
  readonly fsTypesInclude?: RegExp;
}

/**
 * Upstream node_exporter 1.5's --collector.filesystem.mount-points-exclude default. Debian's package
 * patches it to `^/(dev|proc|run|sys|mnt|media|...)`, which hides real data volumes commonly mounted
 * under /mnt (cloud ephemeral disks) and /media, and every tmpfs under /run; we keep upstream's.
 */
export const DEFAULT_MOUNT_POINTS_EXCLUDE = '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';
/** node_exporter 1.5's --collector.filesystem.fs-types-exclude default (upstream's and Debian's alike). */
export const DEFAULT_FS_TYPES_EXCLUDE =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$';

/** node_exporter's default filter (no include patterns). */
export const DEFAULT_FILESYSTEM_FILTER: FilesystemFilter = Object.freeze({
  mountPointsExclude: new RegExp(DEFAULT_MOUNT_POINTS_EXCLUDE),
  fsTypesExclude: new RegExp(DEFAULT_FS_TYPES_EXCLUDE),
});

/** True when the mount is reported. */
export function isIncluded(filter: FilesystemFilter, mountpoint: string, fstype: string): boolean {
  if (filter.mountPointsExclude.test(mountpoint)) return false;
  if (filter.fsTypesExclude.test(fstype)) return false;
  if (filter.mountPointsInclude && !filter.mountPointsInclude.test(mountpoint)) return false;
  if (filter.fsTypesInclude && !filter.fsTypesInclude.test(fstype)) return false;
  return true;
}

/** Matches nothing: an empty exclude pattern means "exclude nothing" (not Go's "match everything"). */
const NEVER = /(?!)/;

function compile(flag: string, source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${flag}: invalid regular expression ${JSON.stringify(source)}`, { cause: err });
  }
}

/**
 * Compiles raw flag values. Absent excludes take node_exporter's defaults; an empty exclude excludes
 * nothing; absent or empty includes are unset. Throws VIGIA_ERR_CONFIG naming the flag on a bad regex.
 */
export function parseFilesystemFilter(raw: {
  mountPointsExclude?: string;
  fsTypesExclude?: string;
  mountPointsInclude?: string;
  fsTypesInclude?: string;
}): FilesystemFilter {
  const exclude = (flag: string, v: string | undefined, def: RegExp): RegExp =>
    v === undefined ? def : v === '' ? NEVER : compile(flag, v);
  const filter: { -readonly [K in keyof FilesystemFilter]: FilesystemFilter[K] } = {
    mountPointsExclude: exclude('mount-points-exclude', raw.mountPointsExclude, DEFAULT_FILESYSTEM_FILTER.mountPointsExclude),
    fsTypesExclude: exclude('fs-types-exclude', raw.fsTypesExclude, DEFAULT_FILESYSTEM_FILTER.fsTypesExclude),
  };
  if (raw.mountPointsInclude) filter.mountPointsInclude = compile('mount-points-include', raw.mountPointsInclude);
  if (raw.fsTypesInclude) filter.fsTypesInclude = compile('fs-types-include', raw.fsTypesInclude);
  return Object.freeze(filter);
}
