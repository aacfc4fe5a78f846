import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../../core/errors.js';
import { DEFAULT_WAVES, assignWaves, hashPosition, parseWaves, waveCutoffs, waveForNewHost } from './waves.js';

const hosts = (n: number, prefix = 'db-'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);

function sizes(assigned: Map<string, number>, waveCount: number): number[] {
  const out = new Array<number>(waveCount).fill(0);
  for (const k of assigned.values()) out[k] = (out[k] ?? 0) + 1;
  return out;
}

test('parseWaves: accepted inputs', () => {
  const cases: [string, number[]][] = [
    ['1,10,100', [1, 10, 100]],
    [' 1 , 10 ,100 ', [1, 10, 100]],
    ['1%,10%,100%', [1, 10, 100]],
    ['100', [100]],
    ['0.5,2.5,100', [0.5, 2.5, 100]],
    ['5,25,50,100', [5, 25, 50, 100]],
  ];
  for (const [text, want] of cases) assert.deepEqual([...parseWaves(text)], want, text);
  assert.deepEqual([...DEFAULT_WAVES], [1, 10, 100]);
  assert.ok(Object.isFrozen(DEFAULT_WAVES));
});

test('parseWaves: rejected inputs name the problem', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['1,10', /last wave must be 100.*got 10/],
    ['1,10,90', /last wave must be 100/],
    ['10,1,100', /waves\[1\]: 1 is not above the previous wave 10/],
    ['1,1,100', /waves\[1\]: 1 is not above/],
    ['0,10,100', /waves\[0\]: 0 is not a percentage in \(0, 100\]/],
    ['1,10,101', /waves\[2\]: 101 is not a percentage/],
    ['1,,100', /waves\[1\]: "" is not a percentage/],
    ['1,ten,100', /waves\[1\]: "ten" is not a percentage/],
    ['-1,100', /waves\[0\]: "-1"/],
    ['1e1,100', /waves\[0\]: "1e1"/],
    [Array.from({ length: 21 }, (_, i) => String(i + 80)).join(','), /at most 20 waves/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseWaves(text),
      (e: unknown) => isVigiaError(e, 'VIGIA_ERR_BAD_REQUEST') && re.test(e.message),
      text,
    );
  }
});

test('waveCutoffs: hand-computed cumulative counts', () => {
  const cases: [number, number[], number[]][] = [
    [10_000, [1, 10, 100], [100, 1000, 10_000]],
    [10_001, [1, 10, 100], [101, 1001, 10_001]], // ceil(100.01), ceil(1000.1)
    [50, [1, 10, 100], [1, 5, 50]], // ceil(0.5) = 1: the canary is one host
    [5, [1, 10, 100], [1, 2, 5]], // ceil(0.05)=1, ceil(0.5)=1 -> at least one more: 2
    [3, [1, 10, 100], [1, 2, 3]],
    [3, [50, 99, 100], [1, 2, 3]], // ceil(1.5)=2 would leave the last wave empty: capped
    [2, [1, 10, 100], [1, 2, 2]], // fewer hosts than waves: earliest waves first
    [1, [1, 10, 100], [1, 1, 1]],
    [0, [1, 10, 100], [0, 0, 0]],
    [100, [7, 100], [7, 100]],
    [1000, [0.1, 100], [1, 1000]],
    [200, [100], [200]],
  ];
  for (const [n, waves, want] of cases) assert.deepEqual(waveCutoffs(n, waves), want, `${n} ${waves.join(',')}`);
  assert.throws(() => waveCutoffs(-1, [100]), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_BAD_REQUEST'));
  assert.throws(() => waveCutoffs(10, [10, 50]), /last wave must be 100/);
});

test('assignWaves: sizes follow the cutoffs, deterministic, seed-dependent', () => {
  const fleet = hosts(10_000);
  const a = assignWaves(fleet, DEFAULT_WAVES, 'rollout-1');
  assert.equal(a.size, 10_000);
  assert.deepEqual(sizes(a, 3), [100, 900, 9000]);
  assert.deepEqual(assignWaves([...fleet].reverse(), DEFAULT_WAVES, 'rollout-1'), a, 'input order does not matter');
  const b = assignWaves(fleet, DEFAULT_WAVES, 'rollout-2');
  const canaryA = [...a].filter(([, k]) => k === 0).map(([h]) => h);
  const canaryB = new Set([...b].filter(([, k]) => k === 0).map(([h]) => h));
  assert.ok(canaryA.filter((h) => canaryB.has(h)).length < 20, 'another seed picks another canary');

  const small = assignWaves(hosts(50), DEFAULT_WAVES, 's');
  assert.deepEqual(sizes(small, 3), [1, 4, 45]);
  assert.deepEqual(sizes(assignWaves(['a', 'b', 'a'], DEFAULT_WAVES, 's'), 3), [1, 1, 0], 'duplicates count once');
  assert.equal(assignWaves([], DEFAULT_WAVES, 's').size, 0);
});

test('assignWaves: adding hosts keeps almost everyone in place', () => {
  const before = assignWaves(hosts(1000), DEFAULT_WAVES, 'seed');
  const after = assignWaves([...hosts(1000), ...hosts(10, 'web-')], DEFAULT_WAVES, 'seed');
  let moved = 0;
  for (const [h, k] of before) if (after.get(h) !== k) moved++;
  // Cutoffs move from (10, 100) to (11, 101): at most a handful of hosts cross a boundary.
  assert.ok(moved <= 12, `moved ${moved}`);
});

test('hashPosition and waveForNewHost', () => {
  const p = hashPosition('db-00001', 'seed');
  assert.ok(p >= 0 && p < 1);
  assert.equal(hashPosition('db-00001', 'seed'), p, 'deterministic');
  assert.notEqual(hashPosition('db-00001', 'other'), p);
  assert.notEqual(hashPosition('b', 'a'), hashPosition('', 'ab'), 'seed and name are separated');

  const counts = [0, 0, 0];
  for (const h of hosts(20_000, 'new-')) {
    const k = waveForNewHost(h, 'seed', DEFAULT_WAVES);
    const at = hashPosition(h, 'seed') * 100;
    assert.equal(k, at < 1 ? 0 : at < 10 ? 1 : 2);
    counts[k]!++;
  }
  // Expected 200 / 1800 / 18000; allow generous sampling noise.
  assert.ok(counts[0]! > 120 && counts[0]! < 280, String(counts));
  assert.ok(counts[1]! > 1600 && counts[1]! < 2000, String(counts));
  assert.equal(waveForNewHost('x', 's', [100]), 0);
});
