import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SyslogFramer } from './tcp-framing.js';

const octet = (m: string): string => `${Buffer.byteLength(m)} ${m}`;

/** Feed `bytes` cut at every position in turn: the result must not depend on where TCP split it. */
function everySplit(bytes: Buffer, max: number): { messages: string[]; oversize: number; broken: boolean }[] {
  const out = [];
  for (let cut = 0; cut <= bytes.length; cut++) {
    const f = new SyslogFramer(max);
    const a = f.push(bytes.subarray(0, cut));
    const b = a.broken ? { messages: [], oversize: 0, broken: true } : f.push(bytes.subarray(cut));
    out.push({ messages: [...a.messages, ...b.messages], oversize: a.oversize + b.oversize, broken: a.broken || b.broken });
  }
  return out;
}

test('octet counting (RFC 6587 3.4.1): messages with LFs and multi-byte text inside, any split', () => {
  const msgs = ['<13>1 - h a - - - one', '<13>1 - h a - - - two\nwith an LF', '<13>1 - h a - - - três ñ'];
  for (const r of everySplit(Buffer.from(msgs.map(octet).join('')), 1000)) assert.deepEqual(r, { messages: msgs, oversize: 0, broken: false });
});

test('LF framing (3.4.2): empty lines skipped, CR left for the parser, any split', () => {
  const bytes = Buffer.from('<13>Dec  7 03:04:05 h t: a\n\n<13>Dec  7 03:04:05 h t: b\r\n');
  for (const r of everySplit(bytes, 1000)) assert.deepEqual(r, { messages: ['<13>Dec  7 03:04:05 h t: a', '<13>Dec  7 03:04:05 h t: b\r'], oversize: 0, broken: false });
});

test('both framings on one connection, frame by frame', () => {
  const bytes = Buffer.from(`${octet('<13>x')}<13>y\n${octet('<13>z')}`);
  for (const r of everySplit(bytes, 1000)) assert.deepEqual(r.messages, ['<13>x', '<13>y', '<13>z']);
});

test('frames over the cap are skipped and counted; the stream goes on; memory stays under the cap', () => {
  const big = `<13>${'x'.repeat(200)}`;
  const bytes = Buffer.from(`${octet(big)}${octet('<13>ok1')}${big}\n<13>ok2\n`);
  for (const r of everySplit(bytes, 64)) assert.deepEqual(r, { messages: ['<13>ok1', '<13>ok2'], oversize: 2, broken: false });
  const f = new SyslogFramer(64);
  f.push(Buffer.from('<13>'.padEnd(60, 'y')));
  assert.ok(f.buffered <= 64);
  f.push(Buffer.from('y'.repeat(10_000)));
  assert.equal(f.buffered, 0, 'an oversize LF frame is not held');
});

test('a malformed octet count breaks the connection (it cannot be resynchronised)', () => {
  assert.equal(new SyslogFramer(100).push(Buffer.from('12x<13>hello')).broken, true);
  assert.equal(new SyslogFramer(100).push(Buffer.from('1234567890 <13>')).broken, true, 'ten digits');
});
