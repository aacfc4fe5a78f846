// The embedded engine against the shared contract, twice: with the default run size (every line stays in
// the recent table at this scale) and with tiny runs, so the sorted-run path and its move are exercised too.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../../../test/support/tmp.js';
import { openDuckDbStore } from './duckdb-store.js';
import { logStoreContract, contractRecords } from './log-store.contract.js';

const dirs: (() => void)[] = [];
after(() => dirs.forEach((remove) => remove()));
function freshDir(): string {
  const t = tempDir('vigia-duckdb-');
  dirs.push(t.remove);
  return t.dir;
}

logStoreContract('duckdb', () => openDuckDbStore(freshDir(), { threads: 2 }));
logStoreContract('duckdb, sorted runs of 700 lines', () => openDuckDbStore(freshDir(), { threads: 2, runRows: 700 }));

test('duckdb: the lines survive a close and an open of the same data dir; a second open is refused', async () => {
  const dir = freshDir();
  const records = contractRecords(1500, 11);
  const a = await openDuckDbStore(dir, { runRows: 1000 });
  await a.insert(records.slice(0, 1200));
  await assert.rejects(openDuckDbStore(dir), { code: 'LOGS_ERR_STORE_LOCKED' });
  await a.close();
  const b = await openDuckDbStore(dir, { runRows: 1000 });
  try {
    await b.insert(records.slice(1200));
    assert.equal((await b.stats()).lines, records.length);
  } finally {
    await b.close();
  }
});
