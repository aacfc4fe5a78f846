import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isVigiaError } from '../../core/errors.js';
import { readLineChunks } from './line-chunks.js';

const dir = mkdtempSync(join(tmpdir(), 'vigia-line-chunks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function lines(path: string, opts: Parameters<typeof readLineChunks>[1] = {}): Promise<{ lines: string[]; overlong: string[]; last: number }> {
  let text = '';
  const overlong: string[] = [];
  let last = 0;
  for await (const c of readLineChunks(path, opts)) {
    // Every block but the last ends at a line end.
    text += c.text;
    overlong.push(...c.overlong);
    assert.ok(c.fileBytesRead >= last);
    last = c.fileBytesRead;
  }
  return { lines: text.split('\n'), overlong, last };
}

const BODY = Array.from({ length: 2000 }, (_, i) => `10.0.0.${i % 250} - - [07/Dec/2026:10:00:00 +0000] "GET /p/${i} HTTP/1.1" 200 ${i} "-" "ünïcødé 😀"`).join('\n');

test('plain and gzip (told by magic bytes, not the name) give the same lines, across small read blocks', async () => {
  writeFileSync(join(dir, 'plain.log'), `${BODY}\n`);
  writeFileSync(join(dir, 'rotated.log.1'), gzipSync(`${BODY}\n`));
  const a = await lines(join(dir, 'plain.log'), { highWaterMark: 97 });
  const b = await lines(join(dir, 'rotated.log.1'), { highWaterMark: 97 });
  assert.deepEqual(a.lines, [...BODY.split('\n'), '']);
  assert.deepEqual(b.lines, a.lines);
  assert.equal(a.last, Buffer.byteLength(`${BODY}\n`));
});

test('a last line without LF is kept; CRLF is left for the parser loop', async () => {
  writeFileSync(join(dir, 'nolf.log'), 'a\r\nb\nlast');
  assert.deepEqual((await lines(join(dir, 'nolf.log'), { highWaterMark: 2 })).lines, ['a\r', 'b', 'last']);
});

test('a line over the cap is skipped to its LF, leaving a sample; memory stays bounded', async () => {
  writeFileSync(join(dir, 'long.log'), `first\n${'x'.repeat(10_000)}\nafter\n${'y'.repeat(5000)}`);
  const r = await lines(join(dir, 'long.log'), { maxLineBytes: 1000, highWaterMark: 256 });
  assert.deepEqual(r.lines, ['first', 'after', '']);
  assert.equal(r.overlong.length, 2);
  assert.ok(r.overlong[0]!.startsWith('xxx') && r.overlong[0]!.length <= 1500);
  assert.ok(r.overlong[1]!.startsWith('yyy'));
});

test('missing files and corrupt gzip are LOGS_ERR_READ_FAILED naming the file', async () => {
  const missing = join(dir, 'nope.log');
  await assert.rejects(lines(missing), (e: unknown) => isVigiaError(e, 'LOGS_ERR_READ_FAILED') && e.message.includes(missing));
  const gz = gzipSync(`${BODY}\n`);
  writeFileSync(join(dir, 'cut.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
  await assert.rejects(lines(join(dir, 'cut.gz')), (e: unknown) => isVigiaError(e, 'LOGS_ERR_READ_FAILED') && /cut\.gz: gzip data is corrupt or cut short/.test(e.message));
  await assert.rejects(lines(dir), (e: unknown) => isVigiaError(e, 'LOGS_ERR_READ_FAILED'));
});
