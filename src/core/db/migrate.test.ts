import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../errors.js';
import { migrate, schemaVersion, type Migration } from './migrate.js';
import { openPglite } from './pglite.js';

const M: Migration[] = [
  { version: 1, name: 'one', sql: 'CREATE TABLE a (x int); CREATE TABLE b (y int);' },
  { version: 2, name: 'two', sql: 'ALTER TABLE a ADD COLUMN z int;' },
];

test('migrations apply in order, once, and record their versions', async () => {
  const db = await openPglite();
  try {
    assert.equal(await schemaVersion(db), 0);
    assert.deepEqual(await migrate(db, M.slice(0, 1)), [1]);
    assert.deepEqual(await migrate(db, M), [2]);
    assert.deepEqual(await migrate(db, M), []);
    assert.equal(await schemaVersion(db), 2);
    await db.query('INSERT INTO a (x, z) VALUES (1, 2)');
  } finally {
    await db.close();
  }
});

test('a failing migration rolls back whole and records nothing', async () => {
  const db = await openPglite();
  try {
    await assert.rejects(migrate(db, [M[0]!, { version: 2, name: 'bad', sql: 'CREATE TABLE c (x int); SELECT nope FROM missing;' }]));
    assert.equal(await schemaVersion(db), 1);
    const c = await db.query<{ t: string | null }>(`SELECT to_regclass('c')::text AS t`);
    assert.equal(c[0]?.t, null);
  } finally {
    await db.close();
  }
});

test('a database newer than the build is refused', async () => {
  const db = await openPglite();
  try {
    await migrate(db, M);
    await assert.rejects(migrate(db, M.slice(0, 1)), (e) => isVigiaError(e, 'CONTROL_ERR_SCHEMA_TOO_NEW') && /version 2/.test(e.message));
  } finally {
    await db.close();
  }
});

test('gaps in numbering are a programming error', async () => {
  const db = await openPglite();
  try {
    await assert.rejects(migrate(db, [M[1]!]), /numbered 1\.\.n/);
  } finally {
    await db.close();
  }
});
