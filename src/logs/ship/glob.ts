/**
 * The file patterns of `vigia logs ship --glob`: a literal directory and wildcards in the file name only
 * (`/var/log/nginx/*access.log`, `/srv/www/site-?.log`). Node 20 has no fs.glob, and a web server's logs
 * sit in a few known directories; a recursive `**` would make every poll walk a tree. Pure.
 */
import { basename, dirname, isAbsolute } from 'node:path';

/** A compiled pattern: the directory to list, and the test its entries' names must pass. */
export interface FileGlob {
  /** The pattern as given. */
  readonly pattern: string;
  /** The literal directory part (absolute). */
  readonly dir: string;
  /** True when `name` (an entry of `dir`, no slash) matches the file-name part. */
  test(name: string): boolean;
}

const WILDCARD = /[*?[]/;

/**
 * Compile `pattern`: `*` any run of characters, `?` one character, `[abc]` / `[a-z]` / `[!abc]` one of a
 * set, in the file name; none of them in the directory part. A name starting with `.` matches only a
 * pattern starting with `.` (as in the shell). Returns a problem sentence instead for a pattern that is
 * not absolute, has a wildcard in the directory, or has an unclosed `[`.
 */
export function compileGlob(pattern: string): FileGlob | string {
  if (!isAbsolute(pattern)) return `"${pattern}" must be an absolute path`;
  if (pattern.endsWith('/')) return `"${pattern}" names a directory; add a file name pattern (e.g. ${pattern}*.log)`;
  const dir = dirname(pattern);
  const name = basename(pattern);
  if (WILDCARD.test(dir)) return `"${pattern}": wildcards are allowed only in the file name, not in the directory (${dir})`;
  let re = '^';
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = name.indexOf(']', i + 2);
      if (end < 0) return `"${pattern}": unclosed [ in the file name`;
      let set = name.slice(i + 1, end);
      const negate = set.startsWith('!') || set.startsWith('^');
      if (negate) set = set.slice(1);
      re += `[${negate ? '^' : ''}${set.replace(/[\\\]^]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, (m) => `\\${m}`);
  }
  const compiled = new RegExp(`${re}$`, 's');
  const dotOk = name.startsWith('.');
  return { pattern, dir, test: (entry: string) => (dotOk || !entry.startsWith('.')) && compiled.test(entry) };
}
