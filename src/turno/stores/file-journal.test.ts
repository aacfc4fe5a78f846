import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecord, replayJournal } from './file-journal.js';

const journal = (...recs: [string, number][]): string => recs.map(([id, v]) => encodeRecord(id, v)).join('');

test('replay keeps the largest value per id', () => {
  const r = replayJournal(journal(['a', 1], ['b', 1], ['a', 3], ['a', 2]));
  assert.deepEqual([...r.counters], [['a', 3], ['b', 1]]);
  assert.equal(r.records, 4);
  assert.equal(r.tornTailLines, 0);
  assert.deepEqual(r.corruptLines, []);
});

test('a torn last line (no newline, or bad crc) is dropped and reported as tail', () => {
  const good = journal(['a', 1], ['a', 2]);
  for (const tail of ['a 3', 'a 3 deadbeef\n', 'a 1', '\u0000\u0000\u0000']) {
    const r = replayJournal(good + tail);
    assert.equal(r.counters.get('a'), 2, JSON.stringify(tail));
    assert.equal(r.validBytes, good.length);
    assert.equal(r.tornTailLines, 1);
    assert.deepEqual(r.corruptLines, []);
  }
});

test('an invalid line followed by valid ones is corruption, with its line number', () => {
  const r = replayJournal(journal(['a', 1]) + 'garbage\n' + journal(['a', 2]));
  assert.deepEqual(r.corruptLines, [2]);
  assert.equal(r.counters.get('a'), 2);
});

test('values beyond MAX_SAFE_INTEGER or with leading zeros are invalid', () => {
  const r = replayJournal(encodeRecord('a', 5) + 'a 9007199254740993 0\n' + 'a 007 0\n');
  assert.equal(r.counters.get('a'), 5);
  assert.equal(r.tornTailLines, 2);
});

test('empty journal', () => {
  const r = replayJournal('');
  assert.equal(r.counters.size, 0);
  assert.equal(r.validBytes, 0);
});
