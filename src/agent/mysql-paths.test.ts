import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../test/support/tmp.js';
import { binlogDir, detectMysqlPaths, parseMysqlPaths } from './mysql-paths.js';

describe('parseMysqlPaths', () => {
  const table: [string, Parameters<typeof parseMysqlPaths>[0], ReturnType<typeof parseMysqlPaths>][] = [
    ['binlog on, absolute basename', { datadir: '/var/lib/mysql/', log_bin: 1, log_bin_basename: '/srv/binlog/mysql-bin' }, { datadir: '/var/lib/mysql', binlog: '/srv/binlog/mysql-bin' }],
    ['binlog on as string', { datadir: '/var/lib/mysql/', log_bin: '1', log_bin_basename: '/var/lib/mysql/mysql-bin' }, { datadir: '/var/lib/mysql', binlog: '/var/lib/mysql/mysql-bin' }],
    ['relative basename', { datadir: '/data/', log_bin: 1, log_bin_basename: './binlog' }, { datadir: '/data', binlog: '/data/binlog' }],
    ['binlog off', { datadir: '/var/lib/mysql/', log_bin: 0, log_bin_basename: null }, { datadir: '/var/lib/mysql', binlog: null }],
    ['no datadir', { datadir: null, log_bin: 0, log_bin_basename: null }, null],
  ];
  for (const [what, row, want] of table) it(what, () => assert.deepEqual(parseMysqlPaths(row), want));

  it('gives the binlog directory', () => {
    assert.equal(binlogDir({ datadir: '/d', binlog: '/srv/binlog/mysql-bin' }), '/srv/binlog');
    assert.equal(binlogDir({ datadir: '/d', binlog: null }), null);
  });
});

describe('detectMysqlPaths', () => {
  it('returns null for a socket nobody listens on', async () => {
    const tmp = tempDir();
    try {
      assert.equal(await detectMysqlPaths({ socketPath: join(tmp.dir, 'none.sock'), timeoutMs: 2000 }), null);
    } finally {
      tmp.remove();
    }
  });

  it('returns null within the timeout when the server never answers', async () => {
    const sockets: Socket[] = [];
    const srv = createServer((s) => sockets.push(s)); // accepts, never sends the handshake
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const t0 = Date.now();
      assert.equal(await detectMysqlPaths({ url: `mysql://u:p@127.0.0.1:${port}/`, timeoutMs: 300 }), null);
      assert.ok(Date.now() - t0 < 2000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    }
  });
});
