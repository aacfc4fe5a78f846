import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerAuthenticator, hashToken, matchBearer, newToken, parseTokenEntries, parseTokenFile } from './auth.js';
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

test('token entries carry scopes (read only by default) and a name that is never the token', () => {
  const r = newToken();
  const w = newToken();
  const entries = parseTokenEntries(`${hashToken(r)}\n${hashToken(w)} scopes=read,actions name=ops-bot\n`);
  assert.deepEqual(matchBearer(entries, `Bearer ${r}`)?.scopes, ['read']);
  assert.match(matchBearer(entries, `Bearer ${r}`)!.name, /^token-[0-9a-f]{8}$/);
  assert.ok(!matchBearer(entries, `Bearer ${r}`)!.name.includes(r.slice(0, 8)));
  assert.deepEqual(matchBearer(entries, `Bearer ${w}`)?.scopes, ['read', 'actions']);
  assert.equal(matchBearer(entries, `Bearer ${w}`)?.name, 'ops-bot');
  assert.equal(matchBearer(entries, `Bearer ${w}x`), undefined);
  assert.equal(matchBearer(entries, undefined), undefined);
  assert.equal(matchBearer(entries, `Basic ${w}`), undefined);
  assert.equal(matchBearer(entries, `bearer ${w}`)?.name, 'ops-bot', 'the scheme is case-insensitive');
});

test('token entry errors name the line and the bad field', () => {
  const h = hashToken(newToken());
  assert.throws(() => parseTokenEntries(`${h} scopes=read,root\n`), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /line 1: unknown scope "root"/.test(e.message));
  assert.throws(() => parseTokenEntries(`\n${h} owner=x\n`), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /line 2: unknown field/.test(e.message));
  assert.throws(() => parseTokenEntries(`${h} name=a/b\n`), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /name must be/.test(e.message));
  assert.throws(() => parseTokenEntries(`${h} name=a\n${h} name=b\n`), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /line 2: the same token hash appears twice/.test(e.message));
  assert.throws(() => parseTokenEntries(`${h} name=a\n${hashToken(newToken())} name=a\n`), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /line 2: name "a" is used twice/.test(e.message));
  assert.deepEqual(parseTokenEntries(`${h} scopes=actions\n`)[0]!.scopes, ['read', 'actions'], 'actions implies read');
  assert.deepEqual(parseTokenEntries(`${h} scopes=admin\n`)[0]!.scopes, ['read', 'admin'], 'admin implies read');
  assert.deepEqual(parseTokenEntries(`${h} scopes=run\n`)[0]!.scopes, ['read', 'run'], 'run implies read, and only read');
  assert.deepEqual(parseTokenEntries(`${h} scopes=ingest\n`)[0]!.scopes, ['ingest'], 'ingest implies nothing, not even read');
  assert.deepEqual(parseTokenEntries(`${h} scopes=cmdline\n`)[0]!.scopes, ['read', 'cmdline'], 'cmdline implies read, and only read');
  assert.deepEqual(parseTokenEntries(`${h} scopes=admin,ingest\n`)[0]!.scopes, ['read', 'admin', 'ingest']);
});
