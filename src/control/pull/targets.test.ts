import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVigiaError } from '../../core/errors.js';
import { compileMountPattern, compileRoleRules } from './role-rules.js';
import { loadPullTargets, parsePullTargets } from './targets.js';

test('default roles: binlog by name, /var/lib/mysql and below is data, else other', () => {
  const role = compileRoleRules();
  assert.equal(role('/var/lib/mysql'), 'data');
  assert.equal(role('/var/lib/mysql/ssd'), 'data');
  assert.equal(role('/var/lib/mysql-binlog'), 'binlog');
  assert.equal(role('/var/lib/mysql/binlog'), 'binlog');
  assert.equal(role('/srv/binlogs'), 'binlog');
  assert.equal(role('/var/lib/mysqlx'), 'other');
  assert.equal(role('/'), 'other');
});

test('globs are anchored with * inside a segment and ** across; /re/ is a regex', () => {
  assert.ok(compileMountPattern('/srv/*/data').test('/srv/a/data'));
  assert.ok(!compileMountPattern('/srv/*/data').test('/srv/a/b/data'));
  assert.ok(compileMountPattern('/srv/**').test('/srv/a/b'));
  assert.ok(compileMountPattern('/mnt/disk?').test('/mnt/disk1'));
  assert.ok(!compileMountPattern('/a.b').test('/axb'));
  assert.ok(compileMountPattern('/^\\/data\\d+$/').test('/data12'));
  assert.throws(() => compileMountPattern('/[/'), /invalid regular expression/);
  const role = compileRoleRules([{ role: 'data', match: '/srv/mysql' }, { role: 'binlog', match: '/srv/**' }]);
  assert.equal(role('/srv/mysql'), 'data');
  assert.equal(role('/srv/logs'), 'binlog');
});

test('a target file parses from YAML or JSON, list or { targets }', () => {
  const yaml = `
- host: db-00001
  kind: node_exporter
  url: http://10.0.0.1:9100/
  tags: { env: prod }
  roles: [{ role: data, match: /srv/mysql }]
- host: db-00002
  kind: agent
  url: https://10.0.0.2:9187
  token_file: db2.token
`;
  const dir = mkdtempSync(join(tmpdir(), 'vigia-targets-'));
  try {
    writeFileSync(join(dir, 'targets.yaml'), yaml);
    writeFileSync(join(dir, 'db2.token'), 'secret-token\n');
    const t = loadPullTargets(join(dir, 'targets.yaml'));
    assert.equal(t.length, 2);
    assert.equal(t[0]!.url, 'http://10.0.0.1:9100');
    assert.equal(t[0]!.token, null);
    assert.equal(t[0]!.roles('/srv/mysql'), 'data');
    assert.equal(t[0]!.roles('/var/lib/mysql'), 'other', 'explicit rules replace the defaults');
    assert.deepEqual(t[0]!.tags, { env: 'prod' });
    assert.equal(t[1]!.token, 'secret-token');
    assert.equal(t[1]!.roleRules, null);
    assert.ok(Object.isFrozen(t[1]));
    writeFileSync(join(dir, 'targets.json'), JSON.stringify({ targets: [{ host: 'h1', kind: 'agent', url: 'http://127.0.0.1:1' }] }));
    assert.equal(loadPullTargets(join(dir, 'targets.json'))[0]!.host, 'h1');
    writeFileSync(join(dir, 'bad-token.yaml'), '- { host: h1, kind: agent, url: "http://x", token_file: missing }');
    assert.throws(() => loadPullTargets(join(dir, 'bad-token.yaml')), /targets\[0\] \(h1\)\.token_file: cannot read/);
    writeFileSync(join(dir, 'bad.yaml'), 'host: [');
    assert.throws(() => loadPullTargets(join(dir, 'bad.yaml')), /not valid YAML/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad entries fail with VIGIA_ERR_CONFIG naming the entry and field', () => {
  const ok = { host: 'db-1', kind: 'agent', url: 'http://127.0.0.1:9187' };
  const cases: [unknown, RegExp][] = [
    [{ nope: 1 }, /expected a list of targets/],
    [[ok, { ...ok, host: 'db 2' }], /targets\[1\] \(db 2\)\.host: host name/],
    [[{ ...ok, kind: 'snmp' }], /targets\[0\] \(db-1\)\.kind:/],
    [[{ ...ok, url: 'ftp://x' }], /targets\[0\] \(db-1\)\.url: must be an http/],
    [[{ ...ok, url: 'not a url' }], /targets\[0\] \(db-1\)\.url: Invalid url/],
    [[{ ...ok, url: 'http://u:p@x' }], /credentials/],
    [[{ ...ok, extra: 1 }], /Unrecognized key/],
    [[{ ...ok, roles: [{ role: 'data', match: '/[/' }] }], /targets\[0\] \(db-1\)\.roles\.0\.match: invalid regular expression/],
    [[{ ...ok, roles: [{ role: 'logs', match: '/x' }] }], /roles\.0\.role/],
    [[ok, ok], /targets\[1\] \(db-1\)\.host: duplicate of targets\[0\]/],
  ];
  for (const [value, re] of cases) {
    assert.throws(() => parsePullTargets(value, 'pull.yaml'), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && re.test((e as Error).message) && (e as Error).message.includes('pull.yaml'), `${JSON.stringify(value)} -> ${re}`);
  }
});
