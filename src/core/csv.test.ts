import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvDocument, parseCsv } from './csv.js';

test('csvCell: formula starts are guarded, also after blanks and in full-width forms; numbers stay numbers', () => {
  const cases: Array<[string | number | boolean | null, string]> = [
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1', "'+1"],
    ['-cmd', "'-cmd"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['  =1+1', "'  =1+1"],
    ['\u3000=1+1', "'\u3000=1+1"],
    ['\uff1d1+1', "'\uff1d1+1"],
    ['\uff0bcmd', "'\uff0bcmd"],
    ['\uff0dcmd', "'\uff0dcmd"],
    ['\uff20SUM(A1)', "'\uff20SUM(A1)"],
    // A tab or CR before the formula is made visible first (\x09...), which no spreadsheet runs.
    ['\t=1', '\\x09=1'],
    ['/index.html', '/index.html'],
    ['a=b', 'a=b'],
    [-42, '-42'],
    [Number.NaN, ''],
    [true, 'true'],
    [null, ''],
    ['a,b', '"a,b"'],
    ['say "\u001b[2J"', '"say ""\\x1b[2J"""'],
  ];
  for (const [input, want] of cases) assert.equal(csvCell(input), want, JSON.stringify(input));
});

test('csvDocument writes CRLF rows that parseCsv reads back', () => {
  const doc = csvDocument(['key', 'hits'], [['/a,"b"', 3], ['=x', 1]]);
  assert.equal(doc, 'key,hits\r\n"/a,""b""",3\r\n\'=x,1\r\n');
  assert.deepEqual(parseCsv(doc), [['key', 'hits'], ['/a,"b"', '3'], ["'=x", '1']]);
});
