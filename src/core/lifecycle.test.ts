import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lifecycle } from './lifecycle.js';

test('releases run once, last registered first, and a failing release does not stop the others', async () => {
  const order: string[] = [];
  const life = new Lifecycle();
  life.defer('store', () => void order.push('store'));
  life.defer('broken', () => {
    throw new Error('boom');
  });
  life.defer('http', async () => {
    await new Promise((r) => setTimeout(r, 5));
    order.push('http');
  });
  assert.equal(life.isClosing, false);
  const a = life.shutdown();
  const b = life.shutdown();
  assert.equal(a, b, 'one shutdown, whoever asks');
  await a;
  assert.deepEqual(order, ['http', 'store']);
  assert.equal(life.isClosing, true);
});
