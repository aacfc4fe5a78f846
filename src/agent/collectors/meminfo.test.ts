import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { isMeminfoCount, parseMeminfo, readMeminfo } from './meminfo.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/host-a', import.meta.url));
const roots = { rootfs: FIXTURE, procfs: `${FIXTURE}/proc`, sysfs: `${FIXTURE}/sys`, udevData: `${FIXTURE}/run/udev/data` };

const cases: { name: string; text: string; want: Record<string, number> }[] = [
  { name: 'kB becomes bytes', text: 'MemTotal:       1000 kB\n', want: { MemTotal: 1024000 } },
  { name: 'parenthesised keys are kept as in the file', text: 'Active(anon):   2 kB\n', want: { 'Active(anon)': 2048 } },
  { name: 'unitless counts stay counts', text: 'HugePages_Total:       7\n', want: { HugePages_Total: 7 } },
  { name: 'garbage and blank lines are skipped', text: 'nonsense\n\nFoo: bar kB\nSwapFree: 0 kB\n', want: { SwapFree: 0 } },
];
for (const c of cases) test(`parseMeminfo: ${c.name}`, () => assert.deepEqual(parseMeminfo(c.text), c.want));

test('isMeminfoCount: only HugePages_* are counts', () => {
  for (const [key, want] of [['HugePages_Free', true], ['Hugepagesize', false], ['MemTotal', false]] as const) {
    assert.equal(isMeminfoCount(key), want, key);
  }
});

test('readMeminfo reads the fixture host', async () => {
  const m = await readMeminfo(roots);
  assert.equal(m.MemTotal, 32780260 * 1024);
  assert.equal(m.HugePages_Total, 0);
});
