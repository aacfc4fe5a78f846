import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { test } from 'node:test';
import { EMPTY_STATE, loadShipState, parseShipState, saveShipState, type ShipState } from './ship-state.js';

test('state round-trips through the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ship-state-'));
  try {
    const path = join(dir, 'state.json');
    assert.deepEqual(await loadShipState(path, () => assert.fail('not corrupt')), EMPTY_STATE);
    const s: ShipState = { version: 1, dropped: 7, files: [{ id: '2049:12:abc', dev: 2049, ino: 12, path: '/var/log/a.log', offset: 1234, head: 'aGVsbG8=' }], gzDone: ['2049:13:999'] };
    await saveShipState(path, s);
    assert.deepEqual(await loadShipState(path, () => assert.fail('not corrupt')), s);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a corrupt state file starts over and says why', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ship-state-'));
  try {
    const path = join(dir, 'state.json');
    await writeFile(path, '{"version":1,"dropped":-1,"files":[],"gzDone":[]}');
    const problems: string[] = [];
    assert.deepEqual(await loadShipState(path, (p) => problems.push(p)), EMPTY_STATE);
    assert.match(problems[0]!, /dropped/);
    assert.equal(parseShipState('{'), 'not JSON');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
