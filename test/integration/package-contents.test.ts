/**
 * What `npm pack` ships: the built CLI and what it reads at run time (deploy/agent/actions, package.json),
 * the docs, and nothing that only develops or tests Vigía. Needs dist/ (the suite builds it first).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

test('npm pack ships the built CLI, deploy files and docs, and no sources, tests, fixtures or benchmarks', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  for (const needed of ['dist/cli/main.js', 'package.json', 'README.md', 'deploy/agent/actions/purge-binlogs/manifest.json', 'docs/errors.md']) {
    assert.ok(files.includes(needed), `${needed} is shipped`);
  }
  const unwanted = files.filter((f) => /^(src|test|bench|scripts|\.ci)\//.test(f) || /\.test\.|\.map$|fixture|golden/.test(f));
  assert.deepEqual(unwanted, []);
});
