import assert from 'node:assert/strict';
import { chmodSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../../test/support/tmp.js';
import { formatAuditLine, memoryAuditLog, openAuditLog, refusalAuditEntry } from './audit.js';

describe('audit log', () => {
  it('formats one line per entry, escaping newlines inside values', () => {
    const line = formatAuditLine({ event: 'action.rejected', client: 'c', action: 'a', params: { s: 'x\ny' }, reason: 'r' }, new Date(0));
    assert.equal(line.split('\n').length, 2);
    assert.deepEqual(JSON.parse(line), { ts: '1970-01-01T00:00:00.000Z', event: 'action.rejected', client: 'c', action: 'a', params: { s: 'x\ny' }, reason: 'r' });
  });

  it('HTTP-level refusals: action.rejected when the path names an action, request.rejected otherwise; "-" without a valid token', () => {
    const base = { method: 'POST', address: '10.0.0.9', status: 404, code: 'VIGIA_ERR_NOT_FOUND' };
    assert.deepEqual(refusalAuditEntry({ ...base, path: '/v1//actions/x', action: undefined, client: 'ops' }), {
      event: 'request.rejected', client: 'ops', address: '10.0.0.9', method: 'POST', path: '/v1//actions/x', status: '404', reason: 'VIGIA_ERR_NOT_FOUND',
    });
    const long = refusalAuditEntry({ ...base, path: `/v1/actions/${'a'.repeat(188)}`, action: 'a'.repeat(201), client: null, status: 401, code: 'VIGIA_ERR_UNAUTHORIZED' });
    assert.deepEqual([long.event, long.client, long.action], ['action.rejected', '-', 'a'.repeat(100)]);
  });

  it('creates the file with mode 0600, appends, and never interleaves concurrent lines', async () => {
    const tmp = tempDir();
    try {
      const path = join(tmp.dir, 'audit.log');
      const log = await openAuditLog(path);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      await Promise.all(Array.from({ length: 200 }, (_, i) => log.write({ event: 'action.start', run_id: String(i), client: 'c', action: 'a', params: { pad: 'x'.repeat(3000) } })));
      await log.close();
      await assert.rejects(log.write({ event: 'action.start', client: 'c', action: 'a' }));
      const again = await openAuditLog(path);
      await again.write({ event: 'action.end', run_id: 'last', client: 'c', action: 'a', exit_code: 0 });
      await again.close();
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      assert.equal(lines.length, 201);
      const ids = lines.map((l) => (JSON.parse(l) as { run_id: string }).run_id);
      assert.equal(new Set(ids).size, 201);
      assert.equal(ids.at(-1), 'last');
    } finally {
      tmp.remove();
    }
  });

  it('keeps what an existing file already holds', async () => {
    const tmp = tempDir();
    try {
      const path = join(tmp.dir, 'audit.log');
      writeFileSync(path, '{"old":true}\n', { mode: 0o600 });
      const log = await openAuditLog(path);
      await log.write({ event: 'action.start', client: 'c', action: 'a' });
      await log.close();
      assert.equal(readFileSync(path, 'utf8').split('\n')[0], '{"old":true}');
    } finally {
      tmp.remove();
    }
  });

  it('fixes an existing log readable by group or others to 0600 when it opens it', async () => {
    const tmp = tempDir();
    try {
      const path = join(tmp.dir, 'audit.log');
      writeFileSync(path, '{"old":true}\n');
      chmodSync(path, 0o644);
      const log = await openAuditLog(path);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      await log.close();
      chmodSync(path, 0o660);
      await (await openAuditLog(path)).close();
      assert.equal(statSync(path).mode & 0o777, 0o600);
    } finally {
      tmp.remove();
    }
  });

  it('reopens the path when logrotate renamed or removed the file between two writes', async () => {
    const tmp = tempDir();
    try {
      const path = join(tmp.dir, 'audit.log');
      const log = await openAuditLog(path);
      await log.write({ event: 'action.start', run_id: '1', client: 'c', action: 'a' });
      renameSync(path, `${path}.1`);
      await log.write({ event: 'action.start', run_id: '2', client: 'c', action: 'a' });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      rmSync(path);
      await log.write({ event: 'action.start', run_id: '3', client: 'c', action: 'a' });
      await log.close();
      const ids = (p: string): string[] => readFileSync(p, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { run_id: string }).run_id);
      assert.deepEqual(ids(`${path}.1`), ['1']);
      assert.deepEqual(ids(path), ['3']);
    } finally {
      tmp.remove();
    }
  });

  it('has an in-memory variant', async () => {
    const m = memoryAuditLog();
    await m.write({ event: 'action.start', client: 'c', action: 'a' });
    assert.equal(m.lines.length, 1);
  });
});
