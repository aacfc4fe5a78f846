import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLogFormat } from './compile.js';
import { ParseTally, parseChunk } from './parse-tally.js';

const OK = '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "-"';

test('parseChunk: LF and CRLF lines, a last line without LF, a final LF starts no line, empty lines count', () => {
  for (const format of ['combined', 'json']) {
    const p = compileLogFormat(format);
    const line = format === 'json' ? '{"remote_addr":"1.2.3.4","time_local":"10/Oct/2000:13:55:36 -0700","request":"GET / HTTP/1.1","status":"200"}' : OK;
    const tally = new ParseTally();
    const out = parseChunk(p, `${line}\r\n${line}\n\ngarbage\r\n${line}`, 'w', tally);
    assert.equal(out.length, 3, format);
    assert.ok(out.every((r) => r.url === '/' && r.server === 'w'), format);
    assert.equal(tally.parsed, 3);
    assert.equal(tally.rejected, 2);
    assert.equal(tally.count('empty'), 1);
    assert.equal(tally.count(format === 'json' ? 'bad-json' : 'missing-field'), 1);
    assert.deepEqual(tally.samples(format === 'json' ? 'bad-json' : 'missing-field'), ['garbage']);
    const again = new ParseTally();
    assert.equal(parseChunk(p, `${line}\n`, 'w', again).length, 1);
    assert.equal(again.parsed + again.rejected, 1);
  }
});

test('parseChunk parses in place the same as line by line (backslash scan across lines)', () => {
  const p = compileLogFormat('combined');
  const lines = [OK, OK.replace('"-" "-"', '"-" "a\\"b"'), OK, OK.replace('"GET / HTTP/1.1"', '"GET /\\x41 HTTP/1.1"'), OK, 'x'];
  const chunked = parseChunk(p, lines.join('\n'), 'w', new ParseTally());
  const oneByOne = lines.map((l) => compileLogFormat('combined').parse(l, 'w')).filter((r) => typeof r === 'object');
  assert.deepEqual(chunked, oneByOne);
  assert.equal(chunked[1]!.agent, 'a"b');
  assert.equal(chunked[3]!.url, '/A');
});

test('ParseTally keeps at most N samples of at most L characters per reason, counts everything', () => {
  const tally = new ParseTally({ samplesPerReason: 2, sampleLength: 10 });
  for (let i = 0; i < 5; i++) tally.reject('bad-time', `line ${i} ${'x'.repeat(20)}`);
  tally.reject('empty', '');
  assert.equal(tally.count('bad-time'), 5);
  assert.deepEqual(tally.samples('bad-time'), ['line 0 ...', 'line 1 ...']);
  const other = new ParseTally({ samplesPerReason: 2, sampleLength: 10 });
  other.parsed = 7;
  other.reject('bad-time', 'z');
  tally.merge(other);
  assert.deepEqual(tally.summary(), {
    parsed: 7, rejected: 7, reasons: { empty: 1, 'bad-time': 6 }, samples: { empty: [''], 'bad-time': ['line 0 ...', 'line 1 ...'] },
  });
});
