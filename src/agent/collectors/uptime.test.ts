import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseUptime, readUptime } from './uptime.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/host-a', import.meta.url));
const roots = { rootfs: FIXTURE, procfs: `${FIXTURE}/proc`, sysfs: `${FIXTURE}/sys`, udevData: `${FIXTURE}/run/udev/data` };

for (const [text, want] of [['271.13 450.07\n', 271.13], ['5 1', 5]] as const) {
  test(`parseUptime(${JSON.stringify(text)})`, () => assert.deepEqual(parseUptime(text), { uptimeSeconds: want }));
}
for (const bad of ['', 'x 1']) test(`parseUptime rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseUptime(bad), /malformed uptime/));
test('readUptime reads the fixture host', async () => assert.deepEqual(await readUptime(roots), { uptimeSeconds: 2593842.17 }));
