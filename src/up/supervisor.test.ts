import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../../test/support/ports.js';
import { tempDir } from '../../test/support/tmp.js';
import { isVigiaError } from '../core/errors.js';
import { Supervisor, type PartExit } from './supervisor.js';

/** A part: a node script that serves /healthz on `port`, prints a line, and on SIGTERM says so and exits (or ignores it). */
function server(port: number, opts: { ignoreTerm?: boolean } = {}): string[] {
  return ['-e', `
    const http = require('node:http');
    const s = http.createServer((q, r) => r.end('ok')).listen(${port}, '127.0.0.1', () => console.log('listening ${port}'));
    process.on('SIGTERM', () => { console.log('got SIGTERM'); ${opts.ignoreTerm ? '' : 's.close(); process.exit(0);'} });
  `];
}

test('parts start once healthy and stop in reverse order; one that ignores SIGTERM is killed at the deadline', async () => {
  const box = tempDir('vigia-sup-');
  const unexpected: PartExit[] = [];
  const sup = new Supervisor({ command: [process.execPath], logDir: box.dir, onUnexpectedExit: (e) => unexpected.push(e) });
  try {
    const [a, b, c] = [await freePort(), await freePort(), await freePort()];
    await sup.start({ name: 'a', args: server(a), healthUrl: `http://127.0.0.1:${a}/healthz` }, 10_000);
    // Up means answering: the start resolved only after the port answered.
    assert.equal((await fetch(`http://127.0.0.1:${a}/healthz`)).status, 200);
    await sup.start({ name: 'b', args: server(b, { ignoreTerm: true }), healthUrl: `http://127.0.0.1:${b}/healthz` }, 10_000);
    await sup.start({ name: 'c', args: server(c), healthUrl: `http://127.0.0.1:${c}/healthz` }, 10_000);
    assert.deepEqual(sup.names, ['a', 'b', 'c']);
    const order: Array<[string, boolean, string | null]> = [];
    await sup.stopAll(1500, (e, killed) => order.push([e.name, killed, e.signal]));
    assert.deepEqual(order, [['c', false, null], ['b', true, 'SIGKILL'], ['a', false, null]]);
    assert.deepEqual(unexpected, [], 'stopping is not a failure');
    await assert.rejects(sup.start({ name: 'd', args: server(c) }, 1000), /stopping/);
  } finally {
    await sup.stopAll(0);
    box.remove();
  }
});

test('a part that dies is reported once with its last output; one that dies while starting fails the start naming it', async () => {
  const box = tempDir('vigia-sup-');
  const unexpected: PartExit[] = [];
  const sup = new Supervisor({ command: [process.execPath], logDir: box.dir, onUnexpectedExit: (e) => unexpected.push(e) });
  try {
    const port = await freePort();
    await sup.start({ name: 'crashy', args: ['-e', `require('node:http').createServer((q, r) => r.end()).listen(${port}, '127.0.0.1'); setTimeout(() => { console.error('disk on fire'); process.exit(3); }, 700);`], healthUrl: `http://127.0.0.1:${port}/healthz` }, 10_000);
    for (let i = 0; i < 100 && unexpected.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(unexpected.length, 1);
    assert.deepEqual([unexpected[0]!.name, unexpected[0]!.code], ['crashy', 3]);
    assert.match(unexpected[0]!.tail, /disk on fire/);

    await assert.rejects(sup.start({ name: 'early', args: ['-e', `console.error('port taken'); process.exit(2)`], healthUrl: `http://127.0.0.1:${await freePort()}/healthz` }, 10_000), (err: unknown) => {
      assert.ok(isVigiaError(err));
      assert.equal(err.code, 'VIGIA_ERR_UP_FAILED');
      assert.match(err.message, /: early exited while starting \(exit status 2\): port taken/);
      return true;
    });
    // A bounded load that ends by itself (mayEnd, status 0) is no failure.
    const before = unexpected.length;
    await sup.start({ name: 'load', args: ['-e', 'setTimeout(() => process.exit(0), 100)'], mayEnd: true }, 1000);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(unexpected.length, before);
    assert.deepEqual(unexpected.map((e) => e.name), ['crashy', 'early']);
  } finally {
    await sup.stopAll(0);
    box.remove();
  }
});
