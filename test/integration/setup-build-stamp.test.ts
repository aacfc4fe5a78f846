/**
 * `npm start` runs `scripts/setup.sh --runtime` every time; it must build only when a source or a
 * build setting changed (the stamp in dist/), and build again when one did. Runs in a copy of the
 * tree so the checkout's own dist/ is never touched; `npm` is a stub that fails the test, so the
 * copy can never run `npm ci` through its symlinked node_modules.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../support/tmp.js';

const root = resolve(import.meta.dirname, '../..');
const work = tempDir('vigia-setup-stamp-');
after(() => work.remove());

test('setup.sh --runtime: no build when nothing changed, an incremental build when a source did', { timeout: 300_000 }, () => {
  const tree = join(work.dir, 'tree');
  mkdirSync(tree);
  const old = new Date('2020-01-01T00:00:00Z');
  for (const f of ['src', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json']) {
    cpSync(join(root, f), join(tree, f), { recursive: true });
  }
  // Sources and settings older than any build; the lock older than the installed node_modules.
  spawnSync('find', [tree, '-exec', 'touch', '-h', '-d', old.toISOString(), '{}', '+']);
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
  // The checkout's build (the suite builds before it runs) with its tsc build info, less the stamp:
  // tsc starts incremental, so the builds below cost seconds, not a full compile.
  cpSync(join(root, 'dist'), join(tree, 'dist'), { recursive: true });
  rmSync(join(tree, 'dist/.build-stamp'), { force: true });
  const bin = join(work.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'npm'), '#!/bin/sh\necho "npm must not run here: $*" >&2\nexit 99\n');
  chmodSync(join(bin, 'npm'), 0o755);
  const setup = () => {
    const p = spawnSync('bash', ['scripts/setup.sh', '--runtime'], { cwd: tree, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, timeout: 240_000 });
    assert.equal(p.status, 0, p.stderr);
    return p.stderr;
  };

  assert.match(setup(), /setup: building/, 'no stamp: a build');
  const main = join(tree, 'dist/cli/main.js');
  const builtAt = statSync(main).mtimeMs;
  assert.match(setup(), /setup: build is up to date/, 'nothing changed: no build');
  assert.equal(statSync(main).mtimeMs, builtAt, 'dist/ untouched');

  // A source changes: built again, and the change is in dist/.
  const src = join(tree, 'src/cli/commands.ts');
  writeFileSync(src, readFileSync(src, 'utf8').replace("summary: 'take-a-number counter service", "summary: 'STAMP-TEST take-a-number counter service"));
  utimesSync(src, new Date(), new Date(Date.now() + 2000));
  assert.match(setup(), /setup: building/);
  assert.match(readFileSync(join(tree, 'dist/cli/commands.js'), 'utf8'), /STAMP-TEST/);
  assert.match(setup(), /setup: build is up to date/);
});
