/**
 * `vigia server enroll`'s input: the `--tag KEY=VALUE` flags, and the host list of `--from FILE`. Pure:
 * the caller reads the file. The whole file is checked before anything is enrolled, so a bad line
 * leaves the fleet as it was; the error names the file and line.
 *
 * File format, one host per line: `NAME [KEY=VALUE ...]`, separated by blanks; `#` starts a comment
 * line; blank lines are ignored. A value cannot hold blanks (tags are identifiers: dc=mad1, tier=db).
 * A line with no tag rotates the host's token and keeps its tags, as `--host` without `--tag` does.
 */
import { HOST_NAME_RE, MAX_REPORT_TAGS } from '../core/contracts/host-report.js';
import { VigiaError } from '../core/errors.js';

/** One host to enrol: its name and, when given, the tags that replace its current ones. */
export interface EnrollEntry {
  readonly host: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Most hosts one file may hold (100 bulk requests). */
export const ENROLL_FILE_MAX_HOSTS = 100_000;

const TAG_RE = /^([A-Za-z_][A-Za-z0-9_.-]{0,63})=(.{0,256})$/;

/** `KEY=VALUE` as [key, value], or null when it is not one (key: a letter or _, then letters, digits, _ . -). */
export function parseTag(text: string): [string, string] | null {
  const m = TAG_RE.exec(text);
  return m && !m[2]!.includes('\u0000') ? [m[1]!, m[2]!] : null;
}

/** The `--tag` flags as a tag map; VIGIA_ERR_CONFIG naming the flag value that is not KEY=VALUE. */
export function parseTagFlags(list: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of list) {
    const kv = parseTag(t);
    if (!kv) throw new VigiaError('VIGIA_ERR_CONFIG', `--tag "${t.slice(0, 80)}" is not KEY=VALUE (key: a letter or _, then letters, digits, _ . -)`);
    tags[kv[0]] = kv[1];
  }
  if (Object.keys(tags).length > MAX_REPORT_TAGS) throw new VigiaError('VIGIA_ERR_CONFIG', `--tag: at most ${MAX_REPORT_TAGS} tags`);
  return tags;
}

/**
 * Parse the text of a `--from` file named `file` (for messages) into its hosts, in file order. Throws
 * VIGIA_ERR_CONFIG `--from FILE line N: ...` for the first bad line (a bad name, a bad or repeated tag,
 * a host listed twice), or when the file lists no host or too many.
 */
export function parseEnrollFile(text: string, file: string): EnrollEntry[] {
  const entries: EnrollEntry[] = [];
  const lineOf = new Map<string, number>();
  const fail = (line: number, why: string): never => {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--from ${file} line ${line}: ${why}`);
  };
  text.split('\n').forEach((raw, i) => {
    const n = i + 1;
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const [host, ...fields] = line.split(/[ \t]+/);
    if (!HOST_NAME_RE.test(host!)) fail(n, `"${host!.slice(0, 80)}" is not a host name (letters, digits, . _ -, at most 253, starting with a letter or digit)`);
    if (entries.length >= ENROLL_FILE_MAX_HOSTS) fail(n, `more than ${ENROLL_FILE_MAX_HOSTS} hosts; split the file`);
    const first = lineOf.get(host!);
    if (first !== undefined) fail(n, `${host} is already listed on line ${first}`);
    lineOf.set(host!, n);
    if (fields.length === 0) {
      entries.push({ host: host! });
      return;
    }
    const tags: Record<string, string> = {};
    for (const f of fields) {
      const kv = parseTag(f);
      if (!kv) fail(n, `"${f.slice(0, 80)}" is not KEY=VALUE (key: a letter or _, then letters, digits, _ . -; value: no blanks, at most 256)`);
      if (Object.hasOwn(tags, kv![0])) fail(n, `tag ${kv![0]} given twice`);
      tags[kv![0]] = kv![1];
    }
    if (fields.length > MAX_REPORT_TAGS) fail(n, `${fields.length} tags; at most ${MAX_REPORT_TAGS}`);
    entries.push({ host: host!, tags });
  });
  if (entries.length === 0) throw new VigiaError('VIGIA_ERR_CONFIG', `--from ${file}: no host in it (one per line: NAME [KEY=VALUE ...])`);
  return entries;
}
