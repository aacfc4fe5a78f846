import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../../../test/support/tmp.js';
import { openLogStore, storeEngineOf } from './open-store.js';

test('storeEngineOf: clickhouse://, http:// and https:// are ClickHouse; anything else is LOGS_ERR_STORE_URL naming what was typed', () => {
  for (const url of ['clickhouse://ch:9000/logs', 'http://127.0.0.1:8123/', 'https://user@ch.example/?database=logs']) assert.equal(storeEngineOf(url), 'clickhouse', url);
  assert.throws(() => storeEngineOf('ftp://x/'), (err: Error & { code?: string }) => err.code === 'LOGS_ERR_STORE_URL' && err.message.includes('ftp://x/'));
  assert.throws(() => storeEngineOf('data/logs'), (err: Error & { code?: string }) => err.code === 'LOGS_ERR_STORE_URL' && err.message.includes('is not a URL'));
});

test('openLogStore: { dataDir } opens the embedded engine there; a bad --store URL is refused before any engine loads', async () => {
  const { dir, remove } = tempDir('vigia-open-store-');
  try {
    const store = await openLogStore({ dataDir: dir });
    try {
      assert.equal(store.engine, 'duckdb');
      assert.equal((await store.stats()).lines, 0);
    } finally {
      await store.close();
    }
    await assert.rejects(openLogStore({ url: 'postgres://db/logs' }), { code: 'LOGS_ERR_STORE_URL' });
  } finally {
    remove();
  }
});
