import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cutLines } from './lines.js';

const text = (parts: readonly Buffer[]): string => Buffer.concat(parts).toString();

test('whole lines are taken, a partial last line waits for its LF', () => {
  const c = cutLines(Buffer.from('a 1\nb 2\npartial'), false, 100);
  assert.equal(text(c.parts), 'a 1\nb 2\n');
  assert.equal(c.lines, 2);
  assert.equal(c.consumed, 8);
  assert.equal(c.bytes, 8);
  assert.equal(c.skipping, false);
  const none = cutLines(Buffer.from('no newline yet'), false, 100);
  assert.deepEqual([none.consumed, none.lines, none.parts.length], [0, 0, 0]);
});

test('at eof the partial last line is shipped with an LF', () => {
  const c = cutLines(Buffer.from('a\nlast'), false, 100, true);
  assert.equal(text(c.parts), 'a\nlast\n');
  assert.equal(c.lines, 2);
  assert.equal(c.consumed, 6);
});

test('a line over the cap is cut to the cap; its rest is skipped', () => {
  const c = cutLines(Buffer.from(`short\n${'x'.repeat(30)}\nok\n`), false, 10);
  assert.equal(text(c.parts), `short\n${'x'.repeat(10)}\nok\n`);
  assert.deepEqual([c.lines, c.capped, c.consumed], [3, 1, 6 + 31 + 3]);
});

test('a partial line already over the cap is shipped cut, and the next read skips to its LF', () => {
  const first = cutLines(Buffer.from(`a\n${'y'.repeat(25)}`), false, 10);
  assert.equal(text(first.parts), `a\n${'y'.repeat(10)}\n`);
  assert.deepEqual([first.lines, first.capped, first.consumed, first.skipping], [2, 1, 27, true]);
  const rest = cutLines(Buffer.from(`yyyy\nnext\n`), true, 10);
  assert.equal(text(rest.parts), 'next\n');
  assert.deepEqual([rest.lines, rest.consumed, rest.skipping], [1, 10, false]);
  const stillSkipping = cutLines(Buffer.from('yyyyyyyy'), true, 10);
  assert.deepEqual([stillSkipping.lines, stillSkipping.consumed, stillSkipping.skipping], [0, 8, true]);
});

test('a line of exactly the cap is whole, not cut', () => {
  const c = cutLines(Buffer.from(`${'z'.repeat(10)}\n`), false, 10);
  assert.deepEqual([c.lines, c.capped], [1, 0]);
});
