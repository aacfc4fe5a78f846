import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitiseJson, sanitiseLines, sanitiseText, UNSAFE_CHAR_RE } from './sanitise.js';

test('sanitiseText: every control, format and separator character becomes a visible escape, table', () => {
  const cases: [string, string, string][] = [
    ['plain ASCII is unchanged', '/var/lib/mysql', '/var/lib/mysql'],
    ['other scripts are unchanged', '/datos/año/数据/данные', '/datos/año/数据/данные'],
    ['emoji without joiners are unchanged', 'disk 💾', 'disk 💾'],
    ['backslashes are unchanged (display, not round trip)', 'C:\\x1b', 'C:\\x1b'],
    ['OSC 8 hyperlink, BEL, RLO', '\u001b]8;;http://evil\u0007x\u202e', '\\x1b]8;;http://evil\\x07x\\u202e'],
    ['CSI clear screen', 'a\u001b[2Jb', 'a\\x1b[2Jb'],
    ['NUL, tab, LF, CR', 'a\u0000b\tc\nd\re', 'a\\x00b\\x09c\\x0ad\\x0de'],
    ['DEL and C1 (NEL, CSI)', '\u007f\u0085\u009b', '\\x7f\\x85\\x9b'],
    ['bidi embeddings, isolates and marks', '\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c', '\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c'],
    ['zero-width characters, soft hyphen, BOM', '\u200b\u200c\u200d\u2060\u00ad\ufeff', '\\u200b\\u200c\\u200d\\u2060\\xad\\ufeff'],
    ['line and paragraph separators', '\u2028\u2029', '\\u2028\\u2029'],
    ['astral format characters (tags)', '\u{e0001}\u{e0041}', '\\u{e0001}\\u{e0041}'],
    ['empty', '', ''],
  ];
  for (const [name, input, want] of cases) {
    assert.equal(sanitiseText(input), want, name);
    assert.equal(sanitiseText(sanitiseText(input)), want, `${name}: idempotent`);
    assert.ok(!UNSAFE_CHAR_RE.test(sanitiseText(input)), `${name}: nothing unsafe left`);
  }
});

test('sanitiseLines keeps LF and CRLF line ends and escapes everything else sanitiseText does, table', () => {
  const cases: [string, string, string][] = [
    ['LF lines', 'a\nb\n', 'a\nb\n'],
    ['CRLF rows', 'a,b\r\nc,d\r\n', 'a,b\r\nc,d\r\n'],
    ['a lone CR overwrites a terminal line: escaped', 'ok\rFAKE', 'ok\\x0dFAKE'],
    ['ESC and RLO inside a line', 'x\u001b[31m\u202ey\n', 'x\\x1b[31m\\u202ey\n'],
    ['tab', 'a\tb', 'a\\x09b'],
    ['U+2028 is not a line end here', 'a\u2028b', 'a\\u2028b'],
  ];
  for (const [name, input, want] of cases) assert.equal(sanitiseLines(input), want, name);
});

test('sanitiseJson: the same JSON value with every unsafe character escaped, table', () => {
  const values: unknown[] = [
    { mountpoint: '/\u001b]8;;http://evil\u0007x\u202e' },
    ['\u007f\u0085\u009b', '\u200b\u2028\u2029\ufeff', '\u{e0001}'],
    { plain: 'año 数据', n: 1.5, nested: { a: [null, true] } },
  ];
  for (const v of values) {
    for (const indent of [undefined, 2]) {
      const json = sanitiseJson(JSON.stringify(v, null, indent));
      assert.deepEqual(JSON.parse(json), v);
      assert.ok(!UNSAFE_CHAR_RE.test(json.replace(/\n/g, '')), json);
    }
  }
  assert.equal(sanitiseJson(JSON.stringify('x\u202ey')), '"x\\u202ey"');
  assert.equal(sanitiseJson(JSON.stringify('\u{e0001}')), '"\\udb40\\udc01"');
  assert.equal(sanitiseJson('{"a":1}\n'), '{"a":1}\n', 'a log line keeps its line end');
});
