import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goF, goG } from './go-format.js';

test('goG prints like Go %g/%v (values as Sloth prints them for common objectives)', () => {
  const cases: Array<[number, string]> = [
    [99.9 / 100, '0.9990000000000001'],
    [(100 - 99.9) / 100, '0.0009999999999999432'],
    [(100 - 99.99) / 100, '0.00010000000000005117'],
    [(100 - 99.999) / 100, '1.0000000000047748e-05'],
    [(100 - 95) / 100, '0.05'],
    [14.4, '14.4'],
    [(5 * 672) / 100 / 6, '5.6000000000000005'],
    [(10 * 672) / 100 / 24, '2.8000000000000003'],
    [(10 * 672) / 100 / 72, '0.9333333333333333'],
    [30, '30'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [123456, '123456'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [-2.5, '-2.5'],
    [1e21, '1e+21'],
    [0, '0'],
  ];
  for (const [x, want] of cases) assert.equal(goG(x), want, String(x));
});

test('goF never uses exponent form', () => {
  assert.equal(goF(99.9), '99.9');
  assert.equal(goF(95), '95');
  assert.equal(goF(1e-7), '0.0000001');
  assert.equal(goF(1.5e22), '15000000000000000000000');
  assert.equal(goF(99.99), '99.99');
});
