import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTokenEntries, hashToken } from '../core/auth.js';
import { tempDir } from '../../test/support/tmp.js';
import { defaultHostName, prepareDataDir } from './data-dir.js';
import { upLayout } from './plan.js';

const mode = (p: string): number => statSync(p).mode & 0o777;

test('first run: private directories, 0600 token files whose hash lines match the tokens; a second run keeps them', async () => {
  const box = tempDir('vigia-up-');
  try {
    const layout = upLayout(join(box.dir, 'data'));
    const first = await prepareDataDir(layout, { demo: true, hostName: 'db-7' });
    for (const d of [layout.dataDir, layout.upDir, layout.agentDir, layout.demoDir, layout.logDir]) assert.equal(mode(d), 0o700, d);
    for (const f of [layout.operatorToken, layout.operatorTokens, layout.agentToken, layout.agentTokens, layout.ingestToken, layout.hostNameFile, layout.bundleKey, layout.bundlePub]) assert.equal(mode(f), 0o600, f);
    const entries = parseTokenEntries(readFileSync(layout.operatorTokens, 'utf8'));
    const byHash = new Map(entries.map((e) => [`sha256:${e.hash.toString('hex')}`, e]));
    assert.deepEqual(byHash.get(hashToken(first.operatorToken))?.scopes, ['read', 'admin', 'run']);
    assert.deepEqual(byHash.get(hashToken(first.ingestToken))?.scopes, ['ingest']);
    assert.equal(readFileSync(layout.operatorToken, 'utf8').trim(), first.operatorToken);
    assert.equal(first.hostName, 'db-7');
    const key = readFileSync(layout.bundleKey, 'utf8');

    // A resume: same tokens, same host name (even when asked for another), same key.
    const second = await prepareDataDir(layout, { demo: true, hostName: 'other' });
    assert.deepEqual(second, first);
    assert.equal(readFileSync(layout.bundleKey, 'utf8'), key);
  } finally {
    box.remove();
  }
});

test('without --demo no signing key is made; a token file that is not ours is refused with a hint', async () => {
  const box = tempDir('vigia-up-');
  try {
    const layout = upLayout(join(box.dir, 'data'));
    await prepareDataDir(layout, { demo: false, hostName: 'h' });
    assert.throws(() => statSync(layout.bundleKey));
    writeFileSync(layout.operatorToken, 'not a token\n');
    await assert.rejects(prepareDataDir(layout, { demo: false }), /operator\.token: not a token written by vigia up/);
  } finally {
    box.remove();
  }
});

test('the default host name is this machine\'s when it is a valid host name, else localhost', () => {
  assert.equal(defaultHostName('db-01.example'), 'db-01.example');
  assert.equal(defaultHostName('bad name!'), 'localhost');
  assert.equal(defaultHostName(''), 'localhost');
});
