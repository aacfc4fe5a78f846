import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idProblem, isValidId } from './id.js';

test('valid ids', () => {
  for (const id of ['a', 'A-z_0.9:x', 'queue-42', 'x'.repeat(128), '...', 'a..b']) {
    assert.equal(isValidId(id), true, id);
    assert.equal(idProblem(id), undefined, id);
  }
});

test('invalid ids and their reasons', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['x'.repeat(129), /longer/],
    ['.', /"\."/],
    ['..', /"\."/],
    ['a%2Fb', /percent/],
    ['a/b', /percent/],
    ['%00', /percent/],
    ['a\u0000', /percent/],
    ['ñ', /percent/],
    ['a b', /percent/],
    ['a\nb', /percent/],
  ];
  for (const [id, why] of cases) {
    assert.equal(isValidId(id), false, JSON.stringify(id));
    assert.match(idProblem(id) ?? '', why, JSON.stringify(id));
  }
});
