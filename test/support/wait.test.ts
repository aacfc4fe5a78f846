import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from './wait.js';

test('waitFor resolves with the first truthy value; a throw counts as not yet', async () => {
  let calls = 0;
  const v = await waitFor('the third call', async () => {
    calls++;
    if (calls === 1) throw new Error('not up');
    return calls === 3 && { calls };
  }, 10_000, 1);
  assert.deepEqual(v, { calls: 3 });
});

test('waitFor rejects after its deadline naming what it waited for and the last error', async () => {
  await assert.rejects(waitFor('the moon', () => { throw new Error('ECONNREFUSED'); }, 30, 5), /^Error: timed out after 30 ms waiting for the moon: Error: ECONNREFUSED$/);
  await assert.rejects(waitFor('nothing', () => null, 0), /timed out after 0 ms waiting for nothing$/);
});
