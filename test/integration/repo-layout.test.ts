/**
 * Keeps `npm run test:unit` a fast loop: a unit test (any *.test.ts under src/) must not start a service
 * or the built binary; such tests live in test/integration. The starters are the test/support modules
 * listed here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const SERVICE_STARTERS = ['postgres', 'redis', 'haproxy', 'smtp', 'mariadb', 'node-exporter', 'podman', 'loop-fs', 'control-process', 'agent-process', 'turno-process', 'binaries', 'browser', 'console-browser-world'];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

test('no unit test under src/ starts a service or the built CLI', () => {
  const offenders: string[] = [];
  const starter = new RegExp(`test/support/(${SERVICE_STARTERS.join('|')})\\.js['"]|dist/cli/main\\.js`);
  for (const file of testFiles('src')) {
    const m = starter.exec(readFileSync(file, 'utf8'));
    if (m) offenders.push(`${file}: ${m[0]}`);
  }
  assert.deepEqual(offenders, [], 'move these tests (or their service-backed cases) to test/integration');
});
