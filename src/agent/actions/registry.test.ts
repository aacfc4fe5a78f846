import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import { tempDir } from '../../../test/support/tmp.js';
import { agentNodeModules, checkTrustedFile, loadActions, trustProblem, lookupUser, parsePasswd, resolveManifest, resolvePlaceholders } from './registry.js';
import { parseManifest } from './manifest.js';

const SHIPPED = fileURLToPath(new URL('../../../deploy/agent/actions', import.meta.url));
const host = { node: process.execPath, nodeModules: '/opt/vigia/node_modules' };

const isRoot = process.getuid?.() === 0;

function writeAction(root: string, name: string, manifest: Record<string, unknown>, script = 'process.exit(0)\n'): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(root, 0o755);
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'run.mjs'), script, { mode: 0o755 });
  chmodSync(join(dir, 'run.mjs'), 0o755);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ name, description: 'd', executable: '${node}', argv: ['${actionDir}/run.mjs'], timeoutMs: 1000, outputCapBytes: 100, concurrency: 1, ...manifest }));
  return dir;
}

function manifestError(re: RegExp) {
  return (e: unknown) => isVigiaError(e, 'AGENT_ERR_ACTION_MANIFEST') && re.test(e.message);
}

describe('registry', () => {
  it('loads the shipped actions with host placeholders resolved', async () => {
    const actions = await loadActions(SHIPPED, host);
    assert.deepEqual(actions.map((a) => a.manifest.name), ['motd-fortune', 'purge-binlogs']);
    const purge = actions.find((a) => a.manifest.name === 'purge-binlogs')!;
    assert.equal(purge.manifest.executable, process.execPath);
    assert.deepEqual(purge.manifest.argv, [join(SHIPPED, 'purge-binlogs', 'purge-binlogs.mjs'), '--', '{days}', '{dry_run}']);
    assert.equal(purge.manifest.env.NODE_PATH, '/opt/vigia/node_modules');
    assert.deepEqual(purge.manifest.parameters.days, { type: 'integer', minimum: 1, maximum: 365, description: 'keep the binary logs of the last <days> days' });
  });

  it('finds the node_modules that holds mysql2', () => {
    const nm = agentNodeModules();
    assert.ok(nm && nm.endsWith('/node_modules'));
  });

  it('resolves only known placeholders', () => {
    assert.equal(resolvePlaceholders('${node} ${actionDir}', { node: '/n', actionDir: '/a' }, 'w'), '/n /a');
    assert.throws(() => resolvePlaceholders('${HOME}', { node: '/n' }, 'f: env.X'), manifestError(/f: env\.X: unknown placeholder \$\{HOME\}/));
    assert.throws(() => resolvePlaceholders('${nodeModules}', { nodeModules: null }, 'w'), manifestError(/cannot be resolved/));
  });

  it('${rootfs} is the host root without a trailing slash, so the same manifest works on a host and in a container', () => {
    const m = parseManifest(JSON.stringify({
      name: 'x', description: 'd', executable: '${node}', argv: ['${actionDir}/x.mjs', '--'], timeoutMs: 1000, outputCapBytes: 10, concurrency: 1,
      env: { MYSQL_SOCKET: '${rootfs}/run/mysqld/mysqld.sock' },
    }), 'm.json');
    const onHost = resolveManifest(m, '/a', { node: '/n', nodeModules: null }, 'm.json');
    assert.equal(onHost.env.MYSQL_SOCKET, '/run/mysqld/mysqld.sock');
    const inContainer = resolveManifest(m, '/a', { node: '/n', nodeModules: null, rootfs: '/host/' }, 'm.json');
    assert.equal(inContainer.env.MYSQL_SOCKET, '/host/run/mysqld/mysqld.sock');
    assert.equal(inContainer.executable, '/n');
  });

  it('rejects a bad manifest naming file and field, a name mismatch, missing or unsafe executables', async () => {
    const tmp = tempDir();
    try {
      const root = join(tmp.dir, 'a');
      writeAction(root, 'ok', {});
      await loadActions(root, host);
      writeAction(root, 'zz-bad', { timeoutMs: 'soon' });
      await assert.rejects(loadActions(root, host), manifestError(/zz-bad\/manifest\.json: timeoutMs/));

      const r2 = join(tmp.dir, 'b');
      writeAction(r2, 'other', { name: 'different' });
      await assert.rejects(loadActions(r2, host), manifestError(/name: "different" must equal its directory name "other"/));

      const r3 = join(tmp.dir, 'c');
      writeAction(r3, 'rel', { executable: 'node' });
      await assert.rejects(loadActions(r3, host), manifestError(/executable: must be an absolute path/));

      const r4 = join(tmp.dir, 'd');
      writeAction(r4, 'missing', { executable: '/nonexistent/bin' });
      await assert.rejects(loadActions(r4, host), manifestError(/executable: \/nonexistent\/bin does not exist/));

      const r5 = join(tmp.dir, 'e');
      const dir5 = writeAction(r5, 'ww', {});
      chmodSync(join(dir5, 'run.mjs'), 0o777);
      await assert.rejects(loadActions(r5, host), manifestError(/argv\.0: .*run\.mjs is group- and world-writable \(mode 0777\)/));

      const r6 = join(tmp.dir, 'f');
      writeAction(r6, 'dir', { executable: '/tmp' });
      await assert.rejects(loadActions(r6, host), manifestError(/not a regular file/));

      await assert.rejects(loadActions(join(tmp.dir, 'nope'), host), manifestError(/cannot read actions directory/));
    } finally {
      tmp.remove();
    }
  });

  it('trusts only files and directories owned by root or the agent and writable by no one else (sshd StrictModes)', () => {
    assert.equal(trustProblem({ uid: 0, mode: 0o100644 }, false, 1000), undefined);
    assert.equal(trustProblem({ uid: 1000, mode: 0o100755 }, false, 1000), undefined);
    assert.match(trustProblem({ uid: 1001, mode: 0o100644 }, false, 1000)!, /owned by uid 1001 \(must be root or the agent's uid 1000\)/);
    assert.match(trustProblem({ uid: 0, mode: 0o100664 }, false, 0)!, /is group-writable \(mode 0664\)/);
    assert.match(trustProblem({ uid: 0, mode: 0o100646 }, false, 0)!, /is world-writable/);
    assert.equal(trustProblem({ uid: 0, mode: 0o41777 }, true, 0), undefined, '/tmp is fine');
    assert.match(trustProblem({ uid: 1000, mode: 0o41777 }, true, 1000)!, /world-writable/, 'a sticky dir owned by someone else is not');
    assert.match(trustProblem({ uid: 0, mode: 0o41777 }, false, 0)!, /writable/, 'the sticky exception is for directories only');
  });

  it('rejects a group-writable manifest, script or directory anywhere up to /, naming file and reason', async () => {
    const tmp = tempDir();
    try {
      const r1 = join(tmp.dir, 'm');
      const d1 = writeAction(r1, 'gw', {});
      chmodSync(join(d1, 'manifest.json'), 0o664);
      await assert.rejects(loadActions(r1, host), manifestError(/gw\/manifest\.json: .*manifest\.json is group-writable \(mode 0664\)/));

      const r2 = join(tmp.dir, 's');
      const d2 = writeAction(r2, 'gw', {});
      chmodSync(join(d2, 'run.mjs'), 0o775);
      await assert.rejects(loadActions(r2, host), manifestError(/argv\.0: .*run\.mjs is group-writable/));

      const r3 = join(tmp.dir, 'd');
      const d3 = writeAction(r3, 'gw', {});
      chmodSync(d3, 0o775);
      await assert.rejects(loadActions(r3, host), manifestError(/directory .*\/d\/gw is group-writable \(mode 0775\)/));

      const r4 = join(tmp.dir, 'up');
      writeAction(join(r4, 'actions'), 'gw', {});
      chmodSync(r4, 0o777);
      await assert.rejects(loadActions(join(r4, 'actions'), host), manifestError(/directory .*\/up is group- and world-writable/));

      // A root-owned sticky directory (like /tmp) on the way is fine; the temp dir itself sits in /tmp.
      const r5 = join(tmp.dir, 'sticky');
      mkdirSync(r5);
      chmodSync(r5, 0o1777);
      writeAction(join(r5, 'actions'), 'ok', {});
      if (isRoot) await loadActions(join(r5, 'actions'), host);
      else await assert.rejects(loadActions(join(r5, 'actions'), host), manifestError(/sticky.*world-writable/));

      // Through a symlink: the directories along the path as written count too.
      const r6 = join(tmp.dir, 'link');
      mkdirSync(r6, { mode: 0o777 });
      chmodSync(r6, 0o777);
      symlinkSync(join(r1, 'gw', 'run.mjs'), join(r6, 'run.mjs'));
      await assert.rejects(checkTrustedFile(join(r6, 'run.mjs'), 'w'), manifestError(/w: directory .*\/link is group- and world-writable/));
    } finally {
      tmp.remove();
    }
  });

  it('rejects files and directories owned by another user, unless it is the agent itself', { skip: !isRoot && 'needs root (chown)' }, async () => {
    const tmp = tempDir();
    try {
      const r1 = join(tmp.dir, 'f');
      const d1 = writeAction(r1, 'other', {});
      chownSync(join(d1, 'run.mjs'), 65534, 65534);
      await assert.rejects(loadActions(r1, host), manifestError(/argv\.0: .*run\.mjs is owned by uid 65534 \(must be root or the agent's uid 0\)/));
      await loadActions(r1, host, { uid: 65534 });

      const r2 = join(tmp.dir, 'd');
      const d2 = writeAction(r2, 'other', {});
      chownSync(d2, 65534, 65534);
      await assert.rejects(loadActions(r2, host), manifestError(/manifest\.json: directory .*\/d\/other is owned by uid 65534/));

      const r3 = join(tmp.dir, 'sticky');
      mkdirSync(r3);
      chmodSync(r3, 0o1777);
      chownSync(r3, 65534, 65534);
      writeAction(join(r3, 'actions'), 'ok', {});
      await assert.rejects(loadActions(join(r3, 'actions'), host), manifestError(/directory .*\/sticky is owned by uid 65534/));
    } finally {
      tmp.remove();
    }
  });

  it('parses passwd without shelling out', async () => {
    const text = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nbroken:x::\n';
    assert.deepEqual(parsePasswd(text, 'nobody'), { uid: 65534, gid: 65534 });
    assert.equal(parsePasswd(text, 'broken'), undefined);
    assert.equal(parsePasswd(text, 'ghost'), undefined);
    const tmp = tempDir();
    try {
      writeFileSync(join(tmp.dir, 'passwd'), text);
      assert.deepEqual(await lookupUser('root', join(tmp.dir, 'passwd')), { uid: 0, gid: 0 });
      await assert.rejects(lookupUser('ghost', join(tmp.dir, 'passwd')), manifestError(/user "ghost" not found/));
    } finally {
      tmp.remove();
    }
  });
});
