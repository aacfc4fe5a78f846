import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartDelayMs } from './cluster.js';

test('a dead worker is replaced after a delay that doubles with each death in the last minute, at most 30 s', () => {
  const table: Array<[number, number]> = [
    [1, 200],
    [2, 400],
    [3, 800],
    [8, 25_600],
    [9, 30_000],
    [50, 30_000],
  ];
  for (const [deaths, ms] of table) assert.equal(restartDelayMs(deaths), ms, `${deaths} deaths`);
});
