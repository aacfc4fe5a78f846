import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl } from './postgres.js';
import { sqlState, toNumber } from './database.js';

test('redactUrl hides the password and keeps the rest', () => {
  assert.equal(redactUrl('postgres://vigia:s3cret@db.example:5432/vigia?sslmode=require'), 'postgres://vigia:***@db.example:5432/vigia?sslmode=require');
  assert.equal(redactUrl('postgres://vigia@db/vigia'), 'postgres://vigia@db/vigia');
  assert.equal(redactUrl('not a url'), '(unparseable url)');
  assert.equal(redactUrl('postgres://db/vigia?user=vigia&password=s3cret&sslmode=require'), 'postgres://db/vigia?user=vigia&password=***&sslmode=require', 'libpq takes the password as a parameter too');
});

test('toNumber and sqlState read driver values', () => {
  assert.equal(toNumber('9007199254740991'), 9007199254740991);
  assert.equal(toNumber(12n), 12);
  assert.equal(toNumber(null), null);
  assert.equal(toNumber(1.5), 1.5);
  assert.equal(sqlState({ code: '23505' }), '23505');
  assert.equal(sqlState({ code: 'ECONNREFUSED' }), undefined);
  assert.equal(sqlState(new Error('x')), undefined);
});
