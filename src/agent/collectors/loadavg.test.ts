import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseLoadavg, readLoadavg } from './loadavg.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/host-a', import.meta.url));
const roots = { rootfs: FIXTURE, procfs: `${FIXTURE}/proc`, sysfs: `${FIXTURE}/sys`, udevData: `${FIXTURE}/run/udev/data` };

const ok: [string, { load1: number; load5: number; load15: number }][] = [
  ['0.14 0.25 0.12 1/150 8002\n', { load1: 0.14, load5: 0.25, load15: 0.12 }],
  ['12.00 8.50 4.25 30/900 1', { load1: 12, load5: 8.5, load15: 4.25 }],
];
for (const [text, want] of ok) test(`parseLoadavg(${JSON.stringify(text)})`, () => assert.deepEqual(parseLoadavg(text), want));
for (const bad of ['', '1.0 2.0', 'a b c']) {
  test(`parseLoadavg rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseLoadavg(bad), /malformed loadavg/));
}
test('readLoadavg reads the fixture host', async () => assert.deepEqual(await readLoadavg(roots), { load1: 2.31, load5: 1.87, load15: 1.52 }));
