import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import { MANIFEST_FILE, packArchive } from '../../core/contracts/bundle.js';
import { readBundleDir } from './bundle-dir.js';

const MANIFEST = `apiVersion: vigia/v1
kind: CheckBundle
name: base
checks:
  - name: disk
    command: bin/check_disk.sh
    args: ["-w", "{warning}"]
    thresholds: { warning: 80 }
  - name: load
    command: /usr/lib/nagios/plugins/check_load
    interval: 5m
`;

const roots: string[] = [];
after(async () => { for (const r of roots) await rm(r, { recursive: true, force: true }); });

/** A bundle directory; `files` maps a path to its content, a trailing `*` in the path marks it executable. */
async function bundle(files: Record<string, string> = {}, manifest = MANIFEST): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vigia-bundle-dir-'));
  roots.push(dir);
  const all: Record<string, string> = { [MANIFEST_FILE]: manifest, 'bin/check_disk.sh*': '#!/bin/sh\necho OK\n', ...files };
  for (const [spec, content] of Object.entries(all)) {
    const path = join(dir, spec.replace(/\*$/, ''));
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
    await chmod(path, spec.endsWith('*') ? 0o755 : 0o644);
  }
  return dir;
}

const invalid = (re: RegExp) => (err: unknown) => isVigiaError(err, 'BUNDLE_ERR_INVALID') && re.test(err.message);

describe('readBundleDir', () => {
  it('reads every file but dotfiles, sorted, with the manifest parsed', async () => {
    const dir = await bundle({ '.git/config': 'x', '.env': 'SECRET=1', 'lib/z.sh': 'z', 'lib/a.sh': 'a', 'lib-x/b': 'b' });
    await symlink('../lib/a.sh', join(dir, 'bin', 'alias.sh'));
    const b = await readBundleDir(dir);
    assert.deepEqual(b.files.map((f) => [f.path, f.executable]), [
      ['bin/alias.sh', false], ['bin/check_disk.sh', true], ['lib-x/b', false], ['lib/a.sh', false], ['lib/z.sh', false], [MANIFEST_FILE, false],
    ]);
    assert.equal(b.files.find((f) => f.path === 'bin/alias.sh')?.data.toString(), 'a');
    assert.equal(b.manifest.checks[1]?.interval, 300_000);
    assert.deepEqual((b.rawManifest as { checks: { interval?: string }[] }).checks[1]?.interval, '5m');
    // The archive does not depend on how the directory was created.
    const again = await readBundleDir(await bundle({ 'lib/a.sh': 'a', 'lib-x/b': 'b', 'lib/z.sh': 'z', 'bin/alias.sh': 'a' }));
    assert.equal(packArchive(again.rawManifest, again.files).sha256, packArchive(b.rawManifest, b.files).sha256);
  });

  it('refuses bad manifests naming the field path', async () => {
    const cases: [string, RegExp][] = [
      [MANIFEST.replace('interval: 5m', 'interval: soon'), /checks\.1\.interval: a duration such as 500ms/],
      [MANIFEST.replace('kind: CheckBundle', 'kind: Other'), /kind: Invalid literal/],
      [MANIFEST.replace('name: load', 'name: disk'), /checks\.1\.name: check "disk" is declared twice/],
      [MANIFEST.replace('command: bin/check_disk.sh', 'command: ../x'), /checks\.0\.command: an absolute path, or a relative path/],
      [MANIFEST.replace('command: bin/check_disk.sh', 'command: bin/nope.sh'), /checks\.0\.command: "bin\/nope.sh" is not a file of the bundle/],
      [MANIFEST + 'extra: 1\n', /Unrecognized key/],
      ['checks: [\n', /vigia-checks.yaml: not valid YAML/],
      ['', /\(root\): Expected object/],
    ];
    for (const [manifest, re] of cases) await assert.rejects(readBundleDir(await bundle({}, manifest)), invalid(re), String(re));
  });

  it('refuses non-executable commands, escaping symlinks, special files, bad names and a missing manifest', async () => {
    const notExec = await bundle({ 'bin/check_disk.sh': 'no exec bit' });
    await assert.rejects(readBundleDir(notExec), invalid(/checks\.0\.command: "bin\/check_disk.sh" is not executable/));

    const outside = await bundle();
    await symlink('/etc/hostname', join(outside, 'host'));
    await assert.rejects(readBundleDir(outside), invalid(/host: symlink points outside the bundle/));

    const dangling = await bundle();
    await symlink('nowhere', join(dangling, 'gone'));
    await assert.rejects(readBundleDir(dangling), invalid(/gone: symlink points outside the bundle \(or nowhere\)/));

    const dirLink = await bundle();
    await symlink('bin', join(dirLink, 'bin2'));
    await assert.rejects(readBundleDir(dirLink), invalid(/bin2: symlink to something other than a regular file/));

    const fifo = await bundle();
    execFileSync('mkfifo', [join(fifo, 'pipe')]);
    await assert.rejects(readBundleDir(fifo), invalid(/pipe: not a regular file or directory/));

    await assert.rejects(readBundleDir(await bundle({ 'has space.sh': '' })), invalid(/has space.sh: a bundle path may hold only/));

    const noManifest = await bundle();
    await rm(join(noManifest, MANIFEST_FILE));
    await assert.rejects(readBundleDir(noManifest), invalid(/vigia-checks.yaml: missing/));

    await assert.rejects(readBundleDir('/nonexistent/vigia'), invalid(/cannot read the bundle directory/));
  });

  it('refuses more files than a bundle may hold', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) files[`f/${i}`] = '';
    await assert.rejects(readBundleDir(await bundle(files)), invalid(/more than 1000 files/));
  });
});
