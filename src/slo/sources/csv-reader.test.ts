import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mapHeader, parseCsv, scanCsvFile, type TextRow } from './csv-reader.js';

const rows = (...r: Array<[number, string[]]>): TextRow[] => r.map(([line, fields]) => ({ line, fields }));

describe('parseCsv (RFC 4180)', () => {
  const cases: Array<[string, string, TextRow[]]> = [
    ['LF', 'a,b\n1,2\n', rows([1, ['a', 'b']], [2, ['1', '2']])],
    ['CRLF', 'a,b\r\n1,2\r\n', rows([1, ['a', 'b']], [2, ['1', '2']])],
    ['no final newline', 'a,b\n1,2', rows([1, ['a', 'b']], [2, ['1', '2']])],
    ['BOM', '\uFEFFa,b\n1,2\n', rows([1, ['a', 'b']], [2, ['1', '2']])],
    ['quoted with comma', 'a,b\n"x,y",2\n', rows([1, ['a', 'b']], [2, ['x,y', '2']])],
    ['escaped quotes', 'a\n"say ""hi"""\n', rows([1, ['a']], [2, ['say "hi"']])],
    ['only escaped quote', 'a\n""""\n', rows([1, ['a']], [2, ['"']])],
    ['empty quoted', 'a,b\n"",x\n', rows([1, ['a', 'b']], [2, ['', 'x']])],
    ['newline inside quotes counts lines', 'a,b\n"l1\nl2",2\n3,4\n', rows([1, ['a', 'b']], [2, ['l1\nl2', '2']], [4, ['3', '4']])],
    ['CRLF inside quotes kept', 'a\n"l1\r\nl2"\r\n', rows([1, ['a']], [2, ['l1\r\nl2']])],
    ['quoted field then CRLF', 'a,b\r\n"x","y"\r\n', rows([1, ['a', 'b']], [2, ['x', 'y']])],
    ['empty lines skipped, still counted', 'a\n\n1\r\n\r\n2\n', rows([1, ['a']], [3, ['1']], [5, ['2']])],
    ['empty fields', 'a,b,c\n,,\n', rows([1, ['a', 'b', 'c']], [2, ['', '', '']])],
    ['trailing comma adds a field', 'a,b\n1,2,\n', rows([1, ['a', 'b']], [2, ['1', '2', '']])],
    ['quote inside unquoted field is data', 'a\nx"y\n', rows([1, ['a']], [2, ['x"y']])],
    ['stray bytes after closing quote kept', 'a,b\n"ab"c,2\n', rows([1, ['a', 'b']], [2, ['abc', '2']])],
    ['unterminated quote runs to the end', 'a,b\n"x,1\n2,3\n', rows([1, ['a', 'b']], [2, ['x,1\n2,3\n']])],
    ['utf-8', 'name\nMaría Núñez\n"日本"\n', rows([1, ['name']], [2, ['María Núñez']], [3, ['日本']])],
    ['spaces are data', 'a, b\n 1 ,2\n', rows([1, ['a', ' b']], [2, [' 1 ', '2']])],
    ['lone CR inside a field is data', 'a\nx\ry\n', rows([1, ['a']], [2, ['x\ry']])],
    ['empty input', '', []],
  ];
  for (const [name, text, want] of cases) {
    for (const chunk of [undefined, 1, 2, 3, 5]) {
      it(`${name} (chunk ${chunk ?? 'all'})`, () => assert.deepEqual(parseCsv(text, chunk), want));
    }
  }
});

describe('CsvRow byte ranges', () => {
  it('exposes plain and simply quoted fields as ranges, escaped ones as raw', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigia-csv-'));
    try {
      const path = join(dir, 'r.csv');
      writeFileSync(path, 'time,status\r\n2025-03-01T00:00:00Z,"503"\n"a""b",200\n');
      const seen: Array<[number, string, boolean, string]> = [];
      await scanCsvFile(path, (r) => {
        const raw = r.isRaw(0);
        const bytes = r.buf.toString('latin1', r.start(1), r.end(1));
        seen.push([r.line, r.text(0), raw, bytes]);
      }, { chunkBytes: 7 });
      assert.deepEqual(seen, [
        [1, 'time', false, 'status'],
        [2, '2025-03-01T00:00:00Z', false, '503'],
        [3, 'a"b', true, '200'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mapHeader', () => {
  const cols = [{ field: 'id', column: 'id' }, { field: 'status', column: 'state' }, { field: 'team', column: 'team' }];
  const cases: Array<[string, string[], number[], string[]]> = [
    ['all present, any order', ['team', 'id', 'state'], [1, 2, 0], []],
    ['trimmed names', [' id ', 'state', 'team'], [0, 1, 2], []],
    ['missing one', ['id', 'team'], [0, -1, 1], ['state']],
    ['case matters', ['ID', 'state', 'team'], [-1, 1, 2], ['id']],
    ['duplicate header: first wins', ['id', 'id', 'state', 'team'], [0, 2, 3], []],
  ];
  for (const [name, header, indices, missing] of cases) {
    it(name, () => assert.deepEqual(mapHeader(header, cols), { indices, missing }));
  }
});
