/**
 * `vigia server enroll`'s input: the `--tag KEY=VALUE` flags, and the host list of `--from FILE`. Pure:
 * the caller reads the file. The whole file is checked before anything is enrolled, so a bad line
 * leaves the fleet as it was; the error names the file and line.
 *
 * File format, one host per line: `NAME [KEY=VALUE ...]`, separated by blanks; `#` starts a comment
 * line; blank lines are ignored. A value cannot hold blanks (tags are identifiers: dc=mad1, tier=db).
 * A line with no tag rotates the host's token and keeps its tags, as `--host` without `--tag` does.
 */
import { HOST_NAME_RE, HOST_NAME_RULE } from '../core/contracts/host-report.js';
import { MAX_TAGS, parseTagFlags } from '../core/contracts/tags.js';
import { VigiaError } from '../core/errors.js';

/** One host to enrol: its name and, when given, the tags that replace its current ones. */
export interface EnrollEntry {
  readonly host: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Most hosts one file may hold (100 bulk requests). */
export const ENROLL_FILE_MAX_HOSTS = 100_000;

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
    if (!HOST_NAME_RE.test(host!)) fail(n, `"${host!.slice(0, 80)}" is not a host name (${HOST_NAME_RULE})`);
    if (entries.length >= ENROLL_FILE_MAX_HOSTS) fail(n, `more than ${ENROLL_FILE_MAX_HOSTS} hosts; split the file`);
    const first = lineOf.get(host!);
    if (first !== undefined) fail(n, `${host} is already listed on line ${first}`);
    lineOf.set(host!, n);
    if (fields.length === 0) {
      entries.push({ host: host! });
      return;
    }
    if (fields.length > MAX_TAGS) fail(n, `${fields.length} tags; at most ${MAX_TAGS}`);
    // The tag rules are core/contracts/tags.ts's, as for --tag; a value cannot hold blanks here.
    const parsed = parseTagFlags(fields, 'tag');
    if (!parsed.ok) fail(n, parsed.message);
    const tags = (parsed as { readonly tags: Record<string, string> }).tags;
    entries.push({ host: host!, tags });
  });
  if (entries.length === 0) throw new VigiaError('VIGIA_ERR_CONFIG', `--from ${file}: no host in it (one per line: NAME [KEY=VALUE ...])`);
  return entries;
}
