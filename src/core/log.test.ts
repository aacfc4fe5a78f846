import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './log.js';

test('log lines carry host text as JSON escapes: no raw C1 control, DEL or format character (U+202E) reaches the terminal', async () => {
  const chunks: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { chunks.push(chunk.toString('utf8')); cb(); } });
  const log = createLogger('info', { role: 'test' }, sink);
  const evil = '/\u001b]8;;http://evil\u0007x\u202e\u009b2J\u007f\u200b\u2028';
  log.warn({ mountpoint: evil, tags: { dc: `mad${evil}` } }, `statfs failed on ${evil}`);
  await new Promise((r) => setImmediate(r));
  const out = chunks.join('');
  assert.ok(out.endsWith('\n'));
  assert.equal(/[\p{Cc}\p{Cf}\u2028\u2029]/u.exec(out.slice(0, -1)), null, JSON.stringify(out));
  const line = JSON.parse(out) as { mountpoint: string; msg: string; tags: { dc: string } };
  assert.deepEqual([line.mountpoint, line.msg, line.tags.dc], [evil, `statfs failed on ${evil}`, `mad${evil}`], 'the exact text survives for log tools');
});
