/**
 * The shell blocks that docs mark to be run by the doc test (test/integration/docs-quickstart.test.ts).
 *
 * A block is marked by the line `<!-- doc-test: <doc>/<step> -->` immediately before its ```sh or ```bash fence.
 * Pure: text in, blocks out; reading files is the caller's business.
 */

/** One marked shell block of a doc. */
export interface DocBlock {
  /** The marker's name, `<doc>/<step>` (e.g. `readme/turno`). */
  readonly name: string;
  /** The block's body, without the fences, ending with a newline. */
  readonly text: string;
  /** 1-based line number of the opening fence in the doc. */
  readonly line: number;
}

const MARKER = /^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$/;
// A line that opens with a comment about doc-test is meant as a marker; prose may quote the syntax mid-line.
const MARKER_LOOSE = /^\s*<!--\s*doc-test\b/;
const NAME = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/;
const SHELL_FENCE = /^(\s*)(`{3,}|~{3,})\s*(sh|bash)\s*$/;

/**
 * The marked blocks of one doc, in document order. Throws an Error naming `file` and the line when a marker is
 * malformed, is not immediately followed by a ```sh/```bash fence, its block is never closed, or a name repeats:
 * a marker that silently stopped matching would let a drifted doc pass.
 */
export function extractDocBlocks(markdown: string, file: string): DocBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: DocBlock[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!MARKER_LOOSE.test(line)) continue;
    const where = `${file}:${i + 1}`;
    const m = MARKER.exec(line);
    if (!m) throw new Error(`${where}: a doc-test marker must be alone on its line: <!-- doc-test: <doc>/<step> -->`);
    const name = m[1]!;
    if (!NAME.test(name)) throw new Error(`${where}: doc-test name "${name}" must be <doc>/<step> (lower case, digits, . _ -)`);
    const prev = seen.get(name);
    if (prev !== undefined) throw new Error(`${where}: doc-test name "${name}" already used at line ${prev}`);
    seen.set(name, i + 1);
    const fence = SHELL_FENCE.exec(lines[i + 1] ?? '');
    if (!fence) throw new Error(`${where}: doc-test marker "${name}" must be immediately followed by a \`\`\`sh or \`\`\`bash fence`);
    const [, indent, ticks] = fence;
    const body: string[] = [];
    let j = i + 2;
    // A closing fence uses the same character, at least as many of it, and nothing after (CommonMark).
    const close = new RegExp(`^\\s*${ticks![0] === '`' ? '`' : '~'}{${ticks!.length},}\\s*$`);
    for (; j < lines.length && !close.test(lines[j]!); j++) body.push(stripIndent(lines[j]!, indent!.length));
    if (j >= lines.length) throw new Error(`${where}: the block of doc-test "${name}" is never closed`);
    blocks.push({ name, text: body.join('\n') + '\n', line: i + 2 });
    i = j;
  }
  return blocks;
}

/** Removes up to `n` leading spaces, as CommonMark does for a fence indented by `n` (a block inside a list item). */
function stripIndent(line: string, n: number): string {
  let k = 0;
  while (k < n && line[k] === ' ') k++;
  return line.slice(k);
}
