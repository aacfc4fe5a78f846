import assert from 'node:assert/strict';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../../test/support/tmp.js';
import { maySearch, unreachableAncestor } from './reachable.js';

test('maySearch follows owner, group, other bits; root always may', () => {
  const nobody = { uid: 65534, gid: 65534 };
  const cases: Array<[{ uid: number; gid: number; mode: number }, boolean]> = [
    [{ uid: 0, gid: 0, mode: 0o755 }, true],
    [{ uid: 0, gid: 0, mode: 0o750 }, false],
    [{ uid: 0, gid: 65534, mode: 0o750 }, true],
    [{ uid: 65534, gid: 0, mode: 0o700 }, true],
    [{ uid: 65534, gid: 0, mode: 0o077 }, false],
    [{ uid: 0, gid: 0, mode: 0o701 }, true],
  ];
  for (const [st, want] of cases) assert.equal(maySearch(st, nobody), want, JSON.stringify(st));
  assert.equal(maySearch({ uid: 1, gid: 1, mode: 0o700 }, { uid: 0, gid: 0 }), true);
});

test('unreachableAncestor names the first directory a user cannot search', async () => {
  const tmp = tempDir('vigia-reach-');
  try {
    const deep = join(tmp.dir, 'state', 'bundles');
    mkdirSync(deep, { recursive: true });
    chmodSync(tmp.dir, 0o755);
    chmodSync(join(tmp.dir, 'state'), 0o700);
    const nobody = { uid: 65534, gid: 65534 };
    assert.equal(await unreachableAncestor(deep, nobody), join(tmp.dir, 'state'));
    chmodSync(join(tmp.dir, 'state'), 0o755);
    assert.equal(await unreachableAncestor(deep, nobody), null);
  } finally {
    tmp.remove();
  }
});
