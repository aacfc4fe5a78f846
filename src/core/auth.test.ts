import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerAuthenticator, hashToken, newToken, parseTokenFile } from './auth.js';
import { isVigiaError } from './errors.js';

test('bearer authenticator accepts only listed tokens', () => {
  const a = newToken();
  const b = newToken();
  const auth = bearerAuthenticator(parseTokenFile(`# ops\n${hashToken(a)}\n\n${hashToken(b)}\n`));
  assert.equal(auth(`Bearer ${a}`), true);
  assert.equal(auth(`Bearer ${b}`), true);
  assert.equal(auth(`Bearer ${a}x`), false);
  assert.equal(auth(a), false);
  assert.equal(auth(undefined), false);
  assert.equal(auth('Bearer '), false);
});

test('token file errors name the line', () => {
  assert.throws(() => parseTokenFile('sha256:abc\n'), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /line 1/.test(e.message));
  assert.throws(() => parseTokenFile('# nothing\n'), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG'));
});
