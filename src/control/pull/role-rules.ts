/**
 * Volume roles of pulled hosts. A node_exporter knows nothing about MySQL, so the control plane decides
 * what each mountpoint is for from per-target rules: first matching rule wins, else `other`.
 */
import type { ReportDevice } from '../../core/contracts/host-report.js';

/** What a volume is for (the report's `role`). */
export type PullRole = ReportDevice['role'];

/** One rule as written in a target file: a glob on the mountpoint, or a regex written as `/.../`. */
export interface RoleRuleSpec {
  readonly role: PullRole;
  /** Glob (`*` within one path segment, `**` across segments, `?` one character), anchored; or `/regex/` (unanchored, like Go's MatchString). */
  readonly match: string;
}

/** Compiled rules: mountpoint -> role. */
export type RoleMatcher = (mountpoint: string) => PullRole;

/**
 * The default rules: a mountpoint whose path contains `binlog` holds binary logs; `/var/lib/mysql`
 * and anything below it holds data. Binlog is checked first so `/var/lib/mysql-binlog` and
 * `/var/lib/mysql/binlog` are binlog volumes.
 */
export const DEFAULT_ROLE_RULES: readonly RoleRuleSpec[] = Object.freeze([
  { role: 'binlog', match: '/binlog/' },
  { role: 'data', match: '/var/lib/mysql' },
  { role: 'data', match: '/var/lib/mysql/**' },
]);

/** A glob or `/regex/` as a RegExp; throws SyntaxError with the pattern on a bad regex. */
export function compileMountPattern(pattern: string): RegExp {
  const re = /^\/(.*)\/$/s.exec(pattern);
  if (re && pattern.length >= 2 && !pattern.startsWith('//')) {
    try {
      return new RegExp(re[1]!);
    } catch (err) {
      throw new SyntaxError(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
    }
  }
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      src += '.*';
      i++;
    } else if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

/** Compile rules (first match wins, `other` when none matches). */
export function compileRoleRules(rules: readonly RoleRuleSpec[] = DEFAULT_ROLE_RULES): RoleMatcher {
  const compiled = rules.map((r) => ({ role: r.role, re: compileMountPattern(r.match) }));
  return (mountpoint) => compiled.find((r) => r.re.test(mountpoint))?.role ?? 'other';
}
