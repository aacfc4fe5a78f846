import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { isVigiaError } from '../core/errors.js';
import { assertPortFree } from './ports.js';

test('a free port passes; a taken one is VIGIA_ERR_PORT_IN_USE naming the address and the flag', async () => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const port = (holder.address() as { port: number }).port;
  try {
    await assert.rejects(assertPortFree(port, '--agent-port'), (err: unknown) => {
      assert.ok(isVigiaError(err));
      assert.equal(err.code, 'VIGIA_ERR_PORT_IN_USE');
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} \\(--agent-port\\) is taken`));
      return true;
    });
  } finally {
    await new Promise((r) => holder.close(r));
  }
  // Released: free again (and the check itself leaves nothing listening).
  await assertPortFree(port, '--agent-port');
  await assertPortFree(port, '--agent-port');
});
