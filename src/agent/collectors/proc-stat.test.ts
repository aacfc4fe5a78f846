import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseProcStat, readProcStat } from './proc-stat.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/host-a', import.meta.url));
const roots = { rootfs: FIXTURE, procfs: `${FIXTURE}/proc`, sysfs: `${FIXTURE}/sys`, udevData: `${FIXTURE}/run/udev/data` };

const cases: { name: string; text: string; check: (s: ReturnType<typeof parseProcStat>) => void }[] = [
  {
    name: 'modern kernel: 10 cpu fields, ticks become seconds',
    text: 'cpu  100 2 30 4000 5 0 6 7 8 9\ncpu0 100 2 30 4000 5 0 6 7 8 9\nintr 12345 0 9 12336\nctxt 42\nbtime 1700000000\nprocesses 99\nprocs_running 2\nprocs_blocked 1\n',
    check: (s) => {
      assert.deepEqual(s.total, { cpu: '', user: 1, nice: 0.02, system: 0.3, idle: 40, iowait: 0.05, irq: 0, softirq: 0.06, steal: 0.07, guest: 0.08, guestNice: 0.09 });
      assert.equal(s.cpus.length, 1);
      assert.equal(s.cpus[0]!.cpu, '0');
      assert.deepEqual([s.contextSwitches, s.bootTimeSeconds, s.forks, s.procsRunning, s.procsBlocked], [42, 1700000000, 99, 2, 1]);
      // node_intr_total: the intr line's first number is the total; the per-IRQ counts after it are not summed again
      assert.equal(s.interrupts, 12345);
    },
  },
  {
    name: 'old kernel: missing steal/guest columns read as 0',
    text: 'cpu  1 2 3 4\ncpu0 1 2 3 4\ncpu1 0 0 0 0\n',
    check: (s) => {
      assert.equal(s.total.steal, 0);
      assert.equal(s.total.guestNice, 0);
      assert.deepEqual(s.cpus.map((c) => c.cpu), ['0', '1']);
      assert.equal(s.contextSwitches, 0);
      assert.equal(s.interrupts, 0, 'no intr line reads as 0, as node_exporter reports it');
    },
  },
  {
    name: 'unknown lines and blank lines are ignored; cpu ids keep gaps (offline CPUs)',
    text: '\nintr 1 2 3\ncpu 1 1 1 1 1 1 1 1 1 1\ncpu3 1 1 1 1 1 1 1 1 1 1\nsoftirq 9 9\n',
    check: (s) => assert.deepEqual(s.cpus.map((c) => c.cpu), ['3']),
  },
];

for (const c of cases) test(`parseProcStat: ${c.name}`, () => c.check(parseProcStat(c.text)));

test('readProcStat reads the fixture host', async () => {
  const s = await readProcStat(roots);
  assert.equal(s.cpus.length, 2);
  assert.equal(s.bootTimeSeconds, 1764489600);
  assert.equal(s.cpus[1]!.user, 11254.07);
  assert.equal(s.interrupts, 391562340);
});

test('readProcStat rejects when procfs is missing', async () => {
  await assert.rejects(readProcStat({ ...roots, procfs: '/nonexistent' }), { code: 'ENOENT' });
});
