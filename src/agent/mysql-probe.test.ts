import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loaderArgs } from './mysql-probe.js';

test('the MySQL probe child inherits only module loader flags', () => {
  assert.deepEqual(loaderArgs(['--import', 'tsx', '--cpu-prof', '--inspect=9229', '--max-semi-space-size=1', '--require=./x.cjs', '-r', 'y']), ['--import', 'tsx', '--require=./x.cjs', '-r', 'y']);
  assert.deepEqual(loaderArgs(['--import']), []);
});
