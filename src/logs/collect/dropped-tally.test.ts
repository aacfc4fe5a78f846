import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DroppedTally } from './dropped-tally.js';

test('cumulative drops: increases count once per shipper across its files; a restart counts its new value whole', () => {
  const t = new DroppedTally();
  assert.equal(t.observe('web1', 'ship-a:2049:11', 5), 5);
  assert.equal(t.observe('web1', 'ship-a:2049:12', 5), 0, 'same shipper, another file, same figure');
  assert.equal(t.observe('web1', 'ship-a:2049:11', 8), 3);
  assert.equal(t.observe('web1', 'ship-a:2049:11', 2), 2, 'restarted');
  assert.equal(t.observe('web2', 'ship-a:2049:11', 4), 4, 'another host is another shipper');
});

test('bounded: a forgotten shipper counts whole again (over-states, never hides)', () => {
  const t = new DroppedTally(1);
  t.observe('h1', 's:1', 5);
  t.observe('h2', 's:1', 1);
  assert.equal(t.observe('h1', 's:1', 6), 6);
});
