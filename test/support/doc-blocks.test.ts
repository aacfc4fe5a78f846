import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractDocBlocks } from './doc-blocks.js';

test('extractDocBlocks returns the marked sh/bash blocks in order with name, body and fence line; unmarked blocks are skipped', () => {
  const md = [
    '# Doc', //                                   1
    '```sh', //                                   2  unmarked: skipped
    'npm test',
    '```',
    '<!-- doc-test: readme/start -->', //         5
    '```sh', //                                   6
    'vigia turno &',
    '',
    'curl -fsS http://127.0.0.1:7017/turno/a',
    '```',
    'text',
    '<!--doc-test:readme/stop-->', //             12
    '~~~~bash', //                                13
    'cat <<EOF',
    '```',
    'EOF',
    '~~~~',
    '- a list item:',
    '  <!-- doc-test: readme/indented -->', //    19
    '  ```bash', //                               20
    '  kill %1',
    '    echo two',
    '  ```',
  ].join('\n');
  assert.deepEqual(extractDocBlocks(md, 'README.md'), [
    { name: 'readme/start', text: 'vigia turno &\n\ncurl -fsS http://127.0.0.1:7017/turno/a\n', line: 6 },
    { name: 'readme/stop', text: 'cat <<EOF\n```\nEOF\n', line: 13 },
    { name: 'readme/indented', text: 'kill %1\n  echo two\n', line: 20 },
  ]);
  assert.deepEqual(extractDocBlocks('# nothing marked\n```sh\nls\n```\n', 'x.md'), []);
  // Prose may quote the marker syntax; only a line that opens with the comment is a marker.
  assert.deepEqual(extractDocBlocks('mark a block with `<!-- doc-test: <doc>/<step> -->`\n```sh\nls\n```\n', 'x.md'), []);
});

test('extractDocBlocks refuses markers that would silently stop running a block, naming the file and line', () => {
  const cases: Array<[string, RegExp]> = [
    ['<!-- doc-test: a/b -->\n\n```sh\nls\n```\n', /^Error: x\.md:1: doc-test marker "a\/b" must be immediately followed by a ```sh or ```bash fence$/],
    ['<!-- doc-test: a/b -->\n```js\nls\n```\n', /^Error: x\.md:1: .*immediately followed/],
    ['<!-- doc-test: a/b -->\n```sh\nls\n', /^Error: x\.md:1: the block of doc-test "a\/b" is never closed$/],
    ['<!-- doc-test: a/b --> and more\n```sh\nls\n```\n', /^Error: x\.md:1: a doc-test marker must be alone on its line/],
    ['<!-- doc-test: turno -->\n```sh\nls\n```\n', /^Error: x\.md:1: doc-test name "turno" must be <doc>\/<step>/],
    ['<!-- doc-test: a/b -->\n```sh\nls\n```\n<!-- doc-test: a/b -->\n```sh\nls\n```\n', /^Error: x\.md:5: doc-test name "a\/b" already used at line 1$/],
  ];
  for (const [md, re] of cases) assert.throws(() => extractDocBlocks(md, 'x.md'), re, md);
});
