import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unescapeField } from './unescape.js';

const u = (s: string): string => unescapeField(s, 0, s.length);

test('unescapeField: \\" \\\\ and printable \\xHH decoded; UTF-8 runs decoded; control bytes and invalid UTF-8 kept', () => {
  const cases: [string, string][] = [
    ['plain', 'plain'],
    ['a\\"b', 'a"b'],
    ['a\\\\b', 'a\\b'],
    ['\\\\x41', '\\x41'],
    ['\\x41\\x22', 'A"'],
    ['\\xd0\\x9f\\xd1\\x80', 'Пр'],
    ['\\x16\\x03\\x01', '\\x16\\x03\\x01'],
    ['\\x1b[31m', '\\x1b[31m'],
    ['\\xff\\xfe', '\\xff\\xfe'],
    ['\\xc3', '\\xc3'],
    ['a\\nb\\t', 'a\\nb\\t'],
    ['end\\', 'end\\'],
    ['\\x4', '\\x4'],
  ];
  for (const [input, expected] of cases) assert.equal(u(input), expected, input);
  assert.equal(unescapeField('xx\\"yy', 2, 5), '"y', 'ranges');
});
