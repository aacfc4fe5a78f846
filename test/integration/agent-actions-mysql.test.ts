/**
 * The shipped purge-binlogs action and MySQL path detection against a real, throwaway MariaDB.
 * MariaDB (like MySQL) decides what `PURGE BINARY LOGS BEFORE <t>` removes by each binlog file's
 * modification time, so the test ages files with utimes() and checks they really disappear.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { createActionService, type ActionService } from '../../src/agent/actions/action-service.js';
import { memoryAuditLog } from '../../src/agent/actions/audit.js';
import { detectMysqlPaths } from '../../src/agent/mysql-paths.js';
import { probeMysqlPaths } from '../../src/agent/mysql-probe.js';
import { startAgent } from '../support/agent-process.js';
import { isVigiaError } from '../../src/core/errors.js';
import { startMariadb, type TestMariadb } from '../support/mariadb.js';
import { waitFor } from '../support/wait.js';
import { tempDir } from '../support/tmp.js';

const SHIPPED = fileURLToPath(new URL('../../deploy/agent/actions/purge-binlogs', import.meta.url));
const isRoot = process.getuid?.() === 0;
const ACTION_UID = 65534; // nobody: what actions run as when the agent is root

interface PurgeOutput {
  days: number;
  dry_run: boolean;
  before: { name: string; size: number }[];
  after: { name: string; size: number }[];
  purged: string[];
  warnings: string[];
}

/** An actions dir holding the shipped purge-binlogs manifest, pointed at this test's server. */
async function purgeService(root: string, env: Record<string, string>): Promise<{ svc: ActionService; audit: ReturnType<typeof memoryAuditLog> }> {
  const dir = join(root, 'purge-binlogs');
  mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(SHIPPED, 'manifest.json'), 'utf8')) as { argv: string[]; env: Record<string, string> };
  manifest.argv[0] = join(SHIPPED, 'purge-binlogs.mjs');
  Object.assign(manifest.env, env);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const audit = memoryAuditLog();
  return { svc: await createActionService({ actionsDir: root, audit }), audit };
}

function binlogFiles(db: TestMariadb): string[] {
  return readdirSync(dirname(db.binlogBasename)).filter((f) => /^mysql-bin\.\d+$/.test(f)).sort();
}

/** The mountpoint of the filesystem holding `path` (longest mountpoint prefix in /proc/self/mountinfo). */
function mountpointOf(path: string): string {
  const mps = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m);
  return mps.filter((m) => m === '/' || path === m || path.startsWith(`${m}/`)).sort((a, b) => b.length - a.length)[0]!;
}

describe('purge-binlogs on a real MariaDB', () => {
  let db: TestMariadb;
  let root: Connection;
  const tmp = tempDir('vigia-purge-');
  let svc: ActionService;

  before(async () => {
    db = await startMariadb();
    root = await db.connect();
    await root.query("CREATE USER 'vigia_purge'@'localhost' IDENTIFIED BY 'purge-pw'");
    await root.query("GRANT BINLOG ADMIN, BINLOG MONITOR ON *.* TO 'vigia_purge'@'localhost'");
    await root.query("CREATE USER 'paths'@'127.0.0.1' IDENTIFIED BY 'paths-pw'");
    chmodSync(tmp.dir, 0o755);
    const pwFile = join(tmp.dir, 'purge.password');
    writeFileSync(pwFile, 'purge-pw\n', { mode: 0o600 });
    if (isRoot) chownSync(pwFile, ACTION_UID, ACTION_UID); // the operator gives the action user its password file
    ({ svc } = await purgeService(join(tmp.dir, 'actions'), { MYSQL_SOCKET: db.socket, MYSQL_PASSWORD_FILE: pwFile }));
    for (let i = 0; i < 4; i++) await root.query('FLUSH BINARY LOGS');
  });

  after(async () => {
    await svc?.close();
    await root?.end();
    await db?.stop();
    tmp.remove();
  });

  it('has five binlogs to start with', () => {
    assert.equal(binlogFiles(db).length, 5);
  });

  it('dry_run lists the binlogs and changes nothing', async () => {
    const files = binlogFiles(db);
    const old = new Date(Date.now() - 30 * 86400_000);
    for (const f of files.slice(0, 3)) utimesSync(join(dirname(db.binlogBasename), f), old, old);
    const run = await svc.start('purge-binlogs', { days: 7, dry_run: true }, 'tester');
    assert.equal(run.status, 'succeeded', run.stderr);
    const out = JSON.parse(run.stdout) as PurgeOutput;
    assert.equal(out.dry_run, true);
    assert.deepEqual(out.before.map((b) => b.name), files);
    assert.deepEqual(out.purged, []);
    assert.deepEqual(binlogFiles(db), files);
  });

  it('rejects bad days without touching MySQL', async () => {
    const [[{ Value: before }]] = (await root.query("SHOW GLOBAL STATUS LIKE 'Connections'")) as unknown as [[{ Value: string }]];
    const bad: unknown[] = [{ days: 0 }, { days: 366 }, { days: '7' }, { days: [7] }, { days: 7.5 }, { days: '7; DROP DATABASE mysql' }, { days: 7, password: 'x' }, { days: 7, dry_run: 'yes' }, {}];
    for (const body of bad) {
      await assert.rejects(svc.start('purge-binlogs', body, 'mallory'), (e: unknown) => isVigiaError(e, 'AGENT_ERR_INVALID_PARAMS'), JSON.stringify(body));
    }
    const [[{ Value: after }]] = (await root.query("SHOW GLOBAL STATUS LIKE 'Connections'")) as unknown as [[{ Value: string }]];
    assert.equal(after, before, 'a rejected call must not connect');
    assert.equal(binlogFiles(db).length, 5);
  });

  it('purges the binlogs older than N days, and the files really disappear', async () => {
    const files = binlogFiles(db);
    // MariaDB keeps a binlog until its InnoDB "binlog checkpoint" has moved past it (slow under load):
    // wait until the newest file records the checkpoint in itself, as production servers long have.
    const last = files.at(-1)!;
    await waitFor('binlog checkpoint in the newest binlog', async () => {
      const [events] = await root.query<RowDataPacket[]>(`SHOW BINLOG EVENTS IN '${last}'`);
      return events.some((e) => e.Event_type === 'Binlog_checkpoint' && e.Info === last);
    }, 20_000, 100);
    const run = await svc.start('purge-binlogs', { days: 7 }, 'tester');
    assert.equal(run.status, 'succeeded', run.stderr);
    const out = JSON.parse(run.stdout) as PurgeOutput;
    assert.equal(out.days, 7);
    assert.deepEqual(out.purged, files.slice(0, 3), out.warnings.join('; '));
    assert.deepEqual(out.after.map((b) => b.name), files.slice(3));
    assert.deepEqual(binlogFiles(db), files.slice(3));
    for (const f of files.slice(0, 3)) assert.equal(existsSync(join(dirname(db.binlogBasename), f)), false);
    const [rows] = await root.query<RowDataPacket[]>('SHOW BINARY LOGS');
    assert.deepEqual(rows.map((r) => r.Log_name as string), files.slice(3));
  });

  it('exits non-zero with a clear message when it cannot connect', async () => {
    const t2 = tempDir('vigia-purge-');
    chmodSync(t2.dir, 0o755);
    const { svc: bad } = await purgeService(t2.dir, { MYSQL_SOCKET: db.socket, MYSQL_PASSWORD_FILE: join(t2.dir, 'missing') });
    try {
      const run = await bad.start('purge-binlogs', { days: 7 }, 'tester');
      assert.equal(run.status, 'failed');
      assert.equal(run.exit_code, 3);
      assert.match(run.stderr, /cannot connect to MySQL on .* as vigia_purge: ER_ACCESS_DENIED_ERROR/);
    } finally {
      await bad.close();
      t2.remove();
    }
  });

  it('detectMysqlPaths finds the temp datadir and binlog basename, over the socket and over TCP', async () => {
    assert.deepEqual(await detectMysqlPaths({ socketPath: db.socket, user: 'root', timeoutMs: 5000 }), { datadir: db.datadir, binlog: db.binlogBasename });
    assert.deepEqual(await detectMysqlPaths({ url: `mysql://paths:paths-pw@127.0.0.1:${db.port}/`, timeoutMs: 5000 }), { datadir: db.datadir, binlog: db.binlogBasename });
    assert.equal(await detectMysqlPaths({ socketPath: db.socket, user: 'root', password: 'wrong', timeoutMs: 5000 }), null);
    // The agent asks from a child process so the driver never stays in its memory: same answers.
    assert.deepEqual(await probeMysqlPaths({ socketPath: db.socket, user: 'root', timeoutMs: 5000 }), { datadir: db.datadir, binlog: db.binlogBasename });
    assert.equal(await probeMysqlPaths({ socketPath: db.socket, user: 'root', password: 'wrong', timeoutMs: 5000 }), null);
    assert.equal(await probeMysqlPaths({ socketPath: '/nonexistent/mysqld.sock', timeoutMs: 1000 }), null);
  });

  it('the agent labels the volume holding the datadir "data" from the live server (no --role given)', async () => {
    const agent = await startAgent(['--mysql-socket', db.socket, '--mysql-user', 'root', '--no-actions']);
    try {
      const { body } = await agent.fetch(`/v1/devices?mountpoint=${encodeURIComponent(mountpointOf(db.datadir))}`);
      assert.equal(body.device.role, 'data', JSON.stringify(body));
      const others = (await agent.fetch('/v1/devices')).body.devices.filter((d: { mountpoint: string }) => d.mountpoint !== body.device.mountpoint);
      assert.ok(others.every((d: { role: string }) => d.role === 'other'), 'only the datadir volume is labelled');
    } finally {
      await agent.stop();
    }
  });
});

describe('purge-binlogs on a MariaDB without binary logging', () => {
  it('exits 2 saying binary logging is off, and detectMysqlPaths reports no binlog', async () => {
    const db = await startMariadb({ logBin: false });
    const tmp = tempDir('vigia-purge-');
    try {
      const root = await db.connect();
      await root.query("CREATE USER 'vigia_purge'@'localhost'");
      await root.end();
      chmodSync(tmp.dir, 0o755);
      const { svc, audit } = await purgeService(tmp.dir, { MYSQL_SOCKET: db.socket, MYSQL_PASSWORD_FILE: '' });
      try {
        const run = await svc.start('purge-binlogs', { days: 30 }, 'tester');
        assert.equal(run.status, 'failed');
        assert.equal(run.exit_code, 2);
        assert.match(run.stderr, /binary logging is off/);
        const end = audit.lines.map((l) => JSON.parse(l) as { event: string; exit_code?: number }).find((l) => l.event === 'action.end');
        assert.equal(end?.exit_code, 2);
      } finally {
        await svc.close();
      }
      assert.deepEqual(await detectMysqlPaths({ socketPath: db.socket, user: 'root', timeoutMs: 5000 }), { datadir: db.datadir, binlog: null });
    } finally {
      await db.stop();
      tmp.remove();
    }
  });
});
