import assert from 'node:assert/strict';
import { test } from 'node:test';
import { downsampleMinMax } from './downsample.js';

test('a short series is returned as is', () => {
  assert.deepEqual(downsampleMinMax({ x: [1, 2, 3], y: [5, null, 7] }, 10), { x: [1, 2, 3], y: [5, null, 7] });
});

test('a long series keeps at most maxPoints, its ends, and every bucket\'s peak and dip', () => {
  const n = 166_000;
  const x = Array.from({ length: n }, (_, i) => i);
  const y = x.map((i) => Math.sin(i / 1000) * 100);
  y[50_000] = 1e6; // a spike
  y[120_000] = -1e6; // a dip
  const d = downsampleMinMax({ x, y }, 1000);
  assert.ok(d.x.length <= 1000, `${d.x.length} points`);
  assert.equal(d.x[0], 0);
  assert.equal(d.x.at(-1), n - 1);
  assert.ok(d.y.includes(1e6), 'the spike survives');
  assert.ok(d.y.includes(-1e6), 'the dip survives');
  for (let i = 1; i < d.x.length; i++) assert.ok(d.x[i]! > d.x[i - 1]!, 'x stays ascending');
});

test('gaps (null) are skipped inside buckets', () => {
  const x = Array.from({ length: 100 }, (_, i) => i);
  const y = x.map((i) => (i % 2 === 0 ? null : i));
  const d = downsampleMinMax({ x, y }, 10);
  assert.ok(d.x.length <= 10);
  assert.ok(d.y.slice(1, -1).every((v) => v !== null));
});
